//! Domain types shared by every stage of the pipeline.
//!
//! These are deliberately plain data: the profile, the extractor and the
//! matcher all speak in [`PersonName`], [`Address`] and [`Record`], so each
//! stage can be tested without the others.

use serde::{Deserialize, Serialize};

/// A person's name split into parts. Parts are kept as written; matching
/// normalises them (case, diacritics, nicknames) when it compares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    /// Given name ("Jane").
    pub first: String,
    /// Middle name or initial, possibly several words ("Quinn", "Q.").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub middle: String,
    /// Family name, including particles ("van der Berg", "O'Neil").
    pub last: String,
    /// Generational suffix ("Jr", "III"), if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub suffix: String,
}

impl PersonName {
    /// Builds a name from first and last parts.
    pub fn new(first: &str, middle: &str, last: &str) -> Self {
        PersonName {
            first: first.trim().to_string(),
            middle: middle.trim().to_string(),
            last: last.trim().to_string(),
            suffix: String::new(),
        }
    }

    /// The name as it would be written on an envelope: "Jane Q Doe Jr".
    pub fn full(&self) -> String {
        [&self.first, &self.middle, &self.last, &self.suffix]
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::fmt::Display for PersonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full())
    }
}

/// A postal address. Only `city` and `state` are needed for most searches;
/// the street is optional because people often do not want to type it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// Street line including number and unit ("12 Oak St Apt 3").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub street: String,
    /// City or town.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub city: String,
    /// US state as its two-letter code ("CA"), or a region elsewhere.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    /// ZIP or postal code ("94110" or "94110-1234").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub zip: String,
    /// ISO 3166-1 alpha-2 country code; empty means "US".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub country: String,
}

impl Address {
    /// One-line form: "12 Oak St, San Francisco, CA 94110".
    pub fn one_line(&self) -> String {
        let mut out = String::new();
        if !self.street.is_empty() {
            out.push_str(&self.street);
        }
        if !self.city.is_empty() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&self.city);
        }
        if !self.state.is_empty() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&self.state);
        }
        if !self.zip.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&self.zip);
        }
        out
    }
}

/// What one listing (a result card, or a card merged with its detail page)
/// says about a person, after the extractor's typed parsers ran.
///
/// Values are untrusted text scraped from the web: escape them wherever they
/// are shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Names shown, primary first, then "also known as" names.
    #[serde(default)]
    pub names: Vec<PersonName>,
    /// Age as shown on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
    /// Birth year, when shown or derivable from a birth date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    /// Birth date as ISO `YYYY-MM-DD` when the page shows a full date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Current address first when the page says which is current.
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// Phones in E.164 ("+14155550100") when parseable, else as shown.
    #[serde(default)]
    pub phones: Vec<String>,
    /// E-mail addresses, lower-cased.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Relatives' and associates' full names as shown.
    #[serde(default)]
    pub relatives: Vec<String>,
    /// Usernames or handles.
    #[serde(default)]
    pub usernames: Vec<String>,
    /// Link to the listing's own page (the URL an opt-out form asks for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
}

impl Record {
    /// Adds everything `other` knows that `self` does not (detail page over
    /// card). Scalars from `other` win; lists are unioned in order.
    pub fn merge(&mut self, other: Record) {
        fn union<T: PartialEq>(into: &mut Vec<T>, from: Vec<T>) {
            for v in from {
                if !into.contains(&v) {
                    into.push(v);
                }
            }
        }
        union(&mut self.names, other.names);
        self.age = other.age.or(self.age);
        self.birth_year = other.birth_year.or(self.birth_year);
        self.birth_date = other.birth_date.or(self.birth_date.take());
        union(&mut self.addresses, other.addresses);
        union(&mut self.phones, other.phones);
        union(&mut self.emails, other.emails);
        union(&mut self.relatives, other.relatives);
        union(&mut self.usernames, other.usernames);
        self.profile_url = other.profile_url.or(self.profile_url.take());
    }

    /// True when nothing was extracted.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.age.is_none()
            && self.birth_year.is_none()
            && self.addresses.is_empty()
            && self.phones.is_empty()
            && self.emails.is_empty()
            && self.usernames.is_empty()
    }
}

/// Kinds of personal attribute a source can expose. Used for source
/// categories, exposure summaries and graph attribute nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeKind {
    /// A full name or alias.
    Name,
    /// Age or birth year.
    Age,
    /// Full birth date.
    BirthDate,
    /// Postal address (current or past).
    Address,
    /// Phone number.
    Phone,
    /// E-mail address.
    Email,
    /// Relatives and associates.
    Relatives,
    /// Online usernames.
    Username,
    /// Employment history.
    Employment,
    /// Education history.
    Education,
    /// Criminal or court records.
    CourtRecords,
    /// Property ownership records.
    Property,
    /// Financial data (income, credit, bankruptcies).
    Financial,
    /// Social security number fragments.
    Ssn,
    /// Photos.
    Photo,
    /// Social media profiles.
    SocialMedia,
    /// Precise location data.
    Location,
}

impl AttributeKind {
    /// Every kind, in display order.
    pub const ALL: [AttributeKind; 17] = [
        AttributeKind::Name,
        AttributeKind::Age,
        AttributeKind::BirthDate,
        AttributeKind::Address,
        AttributeKind::Phone,
        AttributeKind::Email,
        AttributeKind::Relatives,
        AttributeKind::Username,
        AttributeKind::Employment,
        AttributeKind::Education,
        AttributeKind::CourtRecords,
        AttributeKind::Property,
        AttributeKind::Financial,
        AttributeKind::Ssn,
        AttributeKind::Photo,
        AttributeKind::SocialMedia,
        AttributeKind::Location,
    ];

    /// The snake_case name used in files ("birth_date").
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeKind::Name => "name",
            AttributeKind::Age => "age",
            AttributeKind::BirthDate => "birth_date",
            AttributeKind::Address => "address",
            AttributeKind::Phone => "phone",
            AttributeKind::Email => "email",
            AttributeKind::Relatives => "relatives",
            AttributeKind::Username => "username",
            AttributeKind::Employment => "employment",
            AttributeKind::Education => "education",
            AttributeKind::CourtRecords => "court_records",
            AttributeKind::Property => "property",
            AttributeKind::Financial => "financial",
            AttributeKind::Ssn => "ssn",
            AttributeKind::Photo => "photo",
            AttributeKind::SocialMedia => "social_media",
            AttributeKind::Location => "location",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<AttributeKind> {
        AttributeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The outcome of one check (one search URL on one source for one subject).
/// A blocked page is never `Found` or `Absent`: we do not know.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum CheckState {
    /// At least one listing matched the subject (level possible or better).
    Found,
    /// The source answered and has no listing of the subject.
    Absent,
    /// A captcha, WAF or login wall answered instead of results.
    Blocked(String),
    /// The host kept answering 429/503 past our retry budget.
    RateLimited,
    /// robots.txt disallows the search URL.
    RobotsDisallowed,
    /// The fetch or parse failed (timeout, reset, too large, unparseable).
    Error(String),
    /// Not attempted (missing profile fields, source disabled).
    Skipped(String),
}

impl CheckState {
    /// Short label used in reports and the database ("blocked").
    pub fn label(&self) -> &'static str {
        match self {
            CheckState::Found => "found",
            CheckState::Absent => "absent",
            CheckState::Blocked(_) => "blocked",
            CheckState::RateLimited => "rate_limited",
            CheckState::RobotsDisallowed => "robots_disallowed",
            CheckState::Error(_) => "error",
            CheckState::Skipped(_) => "skipped",
        }
    }

    /// The reason carried by blocked, error and skipped states.
    pub fn detail(&self) -> Option<&str> {
        match self {
            CheckState::Blocked(d) | CheckState::Error(d) | CheckState::Skipped(d) => Some(d),
            _ => None,
        }
    }

    /// Rebuilds a state from its label and detail (the database columns).
    pub fn from_parts(label: &str, detail: Option<&str>) -> Option<CheckState> {
        let d = detail.unwrap_or_default().to_string();
        Some(match label {
            "found" => CheckState::Found,
            "absent" => CheckState::Absent,
            "blocked" => CheckState::Blocked(d),
            "rate_limited" => CheckState::RateLimited,
            "robots_disallowed" => CheckState::RobotsDisallowed,
            "error" => CheckState::Error(d),
            "skipped" => CheckState::Skipped(d),
            _ => return None,
        })
    }

    /// Labels of every state in report order.
    pub const LABELS: [&'static str; 7] = [
        "found",
        "absent",
        "blocked",
        "rate_limited",
        "robots_disallowed",
        "error",
        "skipped",
    ];
}

/// How sure we are that a listing is the subject's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchLevel {
    /// Not the subject (a namesake, or contradicting evidence).
    Rejected,
    /// Could be the subject; not enough evidence either way.
    Possible,
    /// Probably the subject.
    Probable,
    /// Strong evidence: a unique identifier or several independent agreements.
    Confirmed,
}

impl MatchLevel {
    /// The snake_case label.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchLevel::Rejected => "rejected",
            MatchLevel::Possible => "possible",
            MatchLevel::Probable => "probable",
            MatchLevel::Confirmed => "confirmed",
        }
    }

    /// Parses the snake_case label.
    pub fn parse(s: &str) -> Option<MatchLevel> {
        [
            MatchLevel::Rejected,
            MatchLevel::Possible,
            MatchLevel::Probable,
            MatchLevel::Confirmed,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

/// One piece of evidence behind a match score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Which field ("phone", "name", "age", "city", "middle_name", ...).
    pub field: String,
    /// Points added (positive) or removed (negative).
    pub weight: f64,
    /// Human-readable reason: "phone +14155550100 matches your phone".
    pub reason: String,
}

/// The matcher's verdict on one record against one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    /// Sum of evidence weights.
    pub score: f64,
    /// Level derived from the score and hard rules.
    pub level: MatchLevel,
    /// Every agreement and conflict that counted, strongest first.
    pub evidence: Vec<Evidence>,
}
