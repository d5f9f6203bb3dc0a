//! Which law a request rests on, decided by the profile's jurisdiction, and
//! the deadline the recipient has to answer.
//!
//! The texts name articles and sections so a broker's privacy team (and, if
//! it comes to that, a regulator) can see at once what is being asked.

use chrono::{Days, Months, NaiveDate};
use serde::Serialize;

/// Legal regimes a request can be made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// EU/EEA GDPR, or the UK GDPR.
    Gdpr,
    /// California Consumer Privacy Act as amended by the CPRA.
    Ccpa,
    /// Another US state's comprehensive consumer privacy law.
    UsState,
    /// No specific law known to apply: a polite request.
    Generic,
}

/// How long the recipient has to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "unit", content = "n", rename_all = "snake_case")]
pub enum Period {
    /// Calendar days.
    Days(u32),
    /// Calendar months (GDPR's "one month").
    Months(u32),
}

impl Period {
    /// The date `self` after `from`.
    pub fn after(self, from: NaiveDate) -> NaiveDate {
        match self {
            Period::Days(d) => from + Days::new(d as u64),
            Period::Months(m) => from
                .checked_add_months(Months::new(m))
                .unwrap_or(from + Days::new(30 * m as u64)),
        }
    }

    /// "45 days", "one month".
    pub fn describe(self) -> String {
        match self {
            Period::Days(d) => format!("{d} days"),
            Period::Months(1) => "one month".into(),
            Period::Months(2) => "two months".into(),
            Period::Months(m) => format!("{m} months"),
        }
    }
}

/// The law a subject's requests are made under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Law {
    /// The regime.
    pub regime: Regime,
    /// Short code stored in the ledger ("gdpr", "ccpa", "us-va", "generic").
    pub code: String,
    /// Full name ("General Data Protection Regulation (EU) 2016/679").
    pub name: String,
    /// Abbreviation used in subjects and headings ("GDPR", "VCDPA").
    pub short: String,
    /// Time to answer from receipt.
    pub deadline: Period,
    /// Extension the recipient may take if it tells the requester in time.
    pub extension: Option<Period>,
    /// Whether to mention California's DROP (California residents only).
    pub mention_drop: bool,
}

/// EU and EEA member states (ISO 3166-1 alpha-2) where the GDPR applies.
const GDPR_COUNTRIES: [&str; 30] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", // EU
    "IS", "LI", "NO", // EEA
];

/// US states with a comprehensive consumer privacy law in force:
/// `(state, act, abbreviation, days to answer, extension days)`.
const US_STATE_LAWS: [(&str, &str, &str, u32, u32); 17] = [
    (
        "VA",
        "Virginia Consumer Data Protection Act",
        "VCDPA",
        45,
        45,
    ),
    ("CO", "Colorado Privacy Act", "CPA", 45, 45),
    ("CT", "Connecticut Data Privacy Act", "CTDPA", 45, 45),
    ("UT", "Utah Consumer Privacy Act", "UCPA", 45, 45),
    ("TX", "Texas Data Privacy and Security Act", "TDPSA", 45, 45),
    ("OR", "Oregon Consumer Privacy Act", "OCPA", 45, 45),
    ("MT", "Montana Consumer Data Privacy Act", "MCDPA", 45, 45),
    ("IA", "Iowa Consumer Data Protection Act", "ICDPA", 90, 45),
    ("DE", "Delaware Personal Data Privacy Act", "DPDPA", 45, 45),
    ("NE", "Nebraska Data Privacy Act", "NDPA", 45, 45),
    ("NH", "New Hampshire Privacy Act", "NHPA", 45, 45),
    ("NJ", "New Jersey Data Privacy Act", "NJDPA", 45, 45),
    ("TN", "Tennessee Information Protection Act", "TIPA", 45, 45),
    ("MN", "Minnesota Consumer Data Privacy Act", "MCDPA", 45, 45),
    ("MD", "Maryland Online Data Privacy Act", "MODPA", 45, 45),
    (
        "IN",
        "Indiana Consumer Data Protection Act",
        "ICDPA",
        45,
        45,
    ),
    (
        "KY",
        "Kentucky Consumer Data Protection Act",
        "KCDPA",
        45,
        45,
    ),
];

/// The law for a jurisdiction such as "US-CA", "DE", "GB" (case-insensitive).
pub fn law_for(jurisdiction: &str) -> Law {
    let j = jurisdiction.trim().to_ascii_uppercase();
    let (country, region) = match j.split_once('-') {
        Some((c, r)) => (c, r),
        None => (j.as_str(), ""),
    };
    if GDPR_COUNTRIES.contains(&country) {
        return Law {
            regime: Regime::Gdpr,
            code: "gdpr".into(),
            name: "General Data Protection Regulation (EU) 2016/679".into(),
            short: "GDPR".into(),
            deadline: Period::Months(1),
            extension: Some(Period::Months(2)),
            mention_drop: false,
        };
    }
    if country == "GB" || country == "UK" {
        return Law {
            regime: Regime::Gdpr,
            code: "uk-gdpr".into(),
            name: "UK General Data Protection Regulation and Data Protection Act 2018".into(),
            short: "UK GDPR".into(),
            deadline: Period::Months(1),
            extension: Some(Period::Months(2)),
            mention_drop: false,
        };
    }
    if country == "US" && region == "CA" {
        return Law {
            regime: Regime::Ccpa,
            code: "ccpa".into(),
            name:
                "California Consumer Privacy Act, as amended by the California Privacy Rights Act"
                    .into(),
            short: "CCPA/CPRA".into(),
            deadline: Period::Days(45),
            extension: Some(Period::Days(45)),
            mention_drop: true,
        };
    }
    if country == "US"
        && let Some((state, name, short, days, ext)) =
            US_STATE_LAWS.iter().find(|(s, ..)| *s == region)
    {
        return Law {
            regime: Regime::UsState,
            code: format!("us-{}", state.to_ascii_lowercase()),
            name: (*name).into(),
            short: (*short).into(),
            deadline: Period::Days(*days),
            extension: Some(Period::Days(*ext)),
            mention_drop: false,
        };
    }
    Law {
        regime: Regime::Generic,
        code: "generic".into(),
        name: "no specific privacy law".into(),
        short: "request".into(),
        deadline: Period::Days(30),
        extension: None,
        mention_drop: false,
    }
}

impl Law {
    /// The answer is due this date when the request is sent on `sent`.
    pub fn due(&self, sent: NaiveDate) -> NaiveDate {
        self.deadline.after(sent)
    }

    /// The latest date with the extension taken.
    pub fn due_extended(&self, sent: NaiveDate) -> Option<NaiveDate> {
        self.extension.map(|e| e.after(self.due(sent)))
    }

    /// "one month (extendable by two months)".
    pub fn deadline_text(&self) -> String {
        match (self.regime, self.extension) {
            (Regime::Generic, _) => format!(
                "{} (no legal deadline; a reasonable time we ask for)",
                self.deadline.describe()
            ),
            (_, Some(ext)) => format!(
                "{} (extendable by {} if you are told why within the first period)",
                self.deadline.describe(),
                ext.describe()
            ),
            (_, None) => self.deadline.describe(),
        }
    }

    /// The e-mail subject / letter heading: names the rights invoked.
    pub fn subject_line(&self) -> String {
        match self.regime {
            Regime::Gdpr => format!(
                "{} request: access (Art. 15 incl. source and recipients), erasure (Art. 17), objection (Art. 21)",
                self.short
            ),
            Regime::Ccpa => {
                "CCPA/CPRA request: right to know, delete, and opt out of sale/sharing".into()
            }
            Regime::UsState => format!(
                "{} request: deletion and opt-out of sale of my personal data",
                self.short
            ),
            Regime::Generic => "Request to remove my personal information".into(),
        }
    }

    /// The body of the request, as paragraphs. `recipient` is the broker's
    /// name; `sent` (if known) fixes the deadline date.
    pub fn request_paragraphs(&self, recipient: &str, sent: NaiveDate) -> Vec<String> {
        let due = self.due(sent).format("%Y-%m-%d");
        let mut p = Vec::new();
        match self.regime {
            Regime::Gdpr => {
                p.push(format!(
                    "I am writing to {recipient} as a data subject under the {}.",
                    self.name
                ));
                p.push("1. Access (Art. 15): please confirm whether you process personal data concerning me and give me a copy of it, together with the purposes of processing, the recipients or categories of recipients to whom it has been or will be disclosed (Art. 15(1)(c)), the retention period, and all available information as to the source of the data, since it was not collected from me (Art. 15(1)(g)). Please name each source and each recipient individually.".into());
                p.push("2. Objection (Art. 21): I object to the processing of my personal data, including for direct marketing and profiling (Art. 21(2)); there are no compelling legitimate grounds that override my interests in not being listed on a people-search site.".into());
                p.push("3. Erasure (Art. 17): please erase all personal data concerning me without undue delay (Art. 17(1)(c) after my objection, and 17(1)(d) where processing was unlawful), and inform every recipient of the erasure (Art. 19).".into());
                p.push(format!(
                    "You must answer within {} of receipt, that is by {due} if this reaches you today (Art. 12(3)). Please use the data in this request only to find and remove my records. If you do not answer, I will complain to the competent data protection supervisory authority (Art. 77).",
                    self.deadline_text()
                ));
            }
            Regime::Ccpa => {
                p.push(format!(
                    "I am a California resident making a verifiable consumer request to {recipient} under the {} (Cal. Civ. Code § 1798.100 et seq.).",
                    self.name
                ));
                p.push("1. Right to know (§ 1798.110, § 1798.115): please tell me the categories and specific pieces of personal information you have collected about me, the categories of sources from which you collected it, the business purpose for collecting, selling or sharing it, and the categories of third parties to whom you disclosed, sold or shared it.".into());
                p.push("2. Right to delete (§ 1798.105): please delete all personal information about me and direct your service providers and contractors to do the same.".into());
                p.push("3. Right to opt out of sale and sharing (§ 1798.120): do not sell or share my personal information.".into());
                p.push(format!(
                    "The law gives you {} from receipt to answer, that is by {due} if this reaches you today (§ 1798.130). Please use the data in this request only to find and remove my records.",
                    self.deadline_text()
                ));
            }
            Regime::UsState => {
                p.push(format!(
                    "I am a resident exercising my consumer rights with {recipient} under the {} ({}).",
                    self.name, self.short
                ));
                p.push("Please delete all personal data you hold about me, opt me out of the sale of my personal data and of profiling and targeted advertising, and confirm whether you process my personal data.".into());
                p.push(format!(
                    "The {} requires an answer within {}, that is by {due} if this reaches you today. Please use the data in this request only to find and remove my records.",
                    self.short,
                    self.deadline_text()
                ));
            }
            Regime::Generic => {
                p.push(format!(
                    "I am asking {recipient} to remove the listing(s) about me named below and to delete the personal information you hold about me."
                ));
                p.push("Please also stop selling or sharing my personal information, and tell me where you obtained it.".into());
                p.push(format!(
                    "I would be grateful for confirmation within {}, that is by {due}. Please use the data in this request only to find and remove my records.",
                    self.deadline.describe()
                ));
            }
        }
        p
    }

    /// Advice about California's DROP, for California residents only.
    pub fn drop_note(&self) -> Option<&'static str> {
        self.mention_drop.then_some(
            "California residents can also use DROP, the Delete Request and Opt-out Platform of the California Privacy Protection Agency (Delete Act, SB 362): one verified deletion request reaches every registered data broker, and from 2026-08-01 brokers must check DROP at least every 45 days and process each request within 45 days. Send the direct requests below too: DROP covers only registered brokers, and a direct request also gets you the right to know.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn picks_the_law_by_jurisdiction() {
        assert_eq!(law_for("DE").regime, Regime::Gdpr);
        assert_eq!(law_for("fr").regime, Regime::Gdpr);
        assert_eq!(law_for("GB").code, "uk-gdpr");
        assert_eq!(law_for("US-CA").regime, Regime::Ccpa);
        assert_eq!(law_for("US-VA").short, "VCDPA");
        assert_eq!(law_for("US-IA").deadline, Period::Days(90));
        assert_eq!(law_for("US-NY").regime, Regime::Generic);
        assert_eq!(law_for("").regime, Regime::Generic);
        // "DE" as a US state (Delaware) is not Germany.
        assert_eq!(law_for("US-DE").short, "DPDPA");
    }

    #[test]
    fn deadlines_follow_each_law() {
        let gdpr = law_for("DE");
        assert_eq!(gdpr.due(d("2025-01-31")), d("2025-02-28"));
        assert_eq!(gdpr.due_extended(d("2025-01-15")), Some(d("2025-04-15")));
        let ccpa = law_for("US-CA");
        assert_eq!(ccpa.due(d("2025-03-01")), d("2025-04-15"));
        assert_eq!(ccpa.due_extended(d("2025-03-01")), Some(d("2025-05-30")));
    }

    #[test]
    fn only_californians_hear_about_drop() {
        assert!(law_for("US-CA").drop_note().unwrap().contains("45 days"));
        assert!(law_for("US-TX").drop_note().is_none());
        assert!(law_for("DE").drop_note().is_none());
    }
}
