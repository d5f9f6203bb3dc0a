//! Matching: decide whether a listing is the subject or a namesake, and say why.
//!
//! A listing must agree on a name (current or former: last name equal after
//! normalisation, first name equal, a nickname or an initial) or it is
//! rejected. Past that gate every field adds or removes points, and a few
//! hard rules (age off by five years or more, a conflicting middle name or
//! generational suffix) cap the level whatever the points say. The weights,
//! rules and thresholds are documented in `docs/MATCHING.md`; keep the two in
//! step.

pub mod nicknames;
pub mod normalize;

use chrono::Datelike;

use crate::model::{Address, Evidence, MatchLevel, MatchResult, PersonName, Record};
use crate::profile::Profile;

use self::nicknames::Nicknames;
use self::normalize as norm;

/// Score at or above which a listing with no hard conflict is `possible`.
pub const POSSIBLE_SCORE: f64 = 3.0;
/// Score at or above which a listing is `probable`, provided at least one
/// piece of identifying evidence (city-level place, street, ZIP, relative,
/// username, birth date, alias) agreed: name, age and middle name alone
/// never make a listing probable, because namesakes share them.
pub const PROBABLE_SCORE: f64 = 5.5;
/// Score at or above which a listing is `confirmed` without a phone or
/// e-mail match, provided two different kinds of identifying evidence agreed.
pub const CONFIRMED_SCORE: f64 = 10.0;

/// Points per kind of evidence. Public so the documentation and the
/// evaluation can quote them; see `docs/MATCHING.md` for the reasoning.
pub mod weights {
    /// First identifier (phone or e-mail) that matches exactly.
    pub const STRONG_ID: f64 = 6.0;
    /// Every further phone or e-mail that matches.
    pub const EXTRA_ID: f64 = 2.0;
    /// First and last name equal.
    pub const NAME_EXACT: f64 = 2.0;
    /// First name is a nickname of yours (table or your own list).
    pub const NAME_NICKNAME: f64 = 1.5;
    /// First name is an initial of yours, or the listing shows your middle
    /// name as its first.
    pub const NAME_INITIAL: f64 = 1.0;
    /// Deducted when only one part of a compound last name agrees.
    pub const LAST_NAME_PART: f64 = -1.0;
    /// Full middle names agree.
    pub const MIDDLE_FULL: f64 = 1.5;
    /// Middle name is a variant: nickname, another of your middle names,
    /// or your maiden name used as a middle name.
    pub const MIDDLE_VARIANT: f64 = 1.0;
    /// Middle initials agree.
    pub const MIDDLE_INITIAL: f64 = 0.5;
    /// Full middle names conflict. Also a hard rule.
    pub const MIDDLE_CONFLICT: f64 = -4.0;
    /// A middle initial conflicts (one side shows only an initial). Not a
    /// hard rule: a mistyped initial is a common data-entry error, so the
    /// listing needs more corroboration instead of being ruled out.
    pub const MIDDLE_INITIAL_CONFLICT: f64 = -2.0;
    /// Same generational suffix (Jr = Jr).
    pub const SUFFIX_AGREES: f64 = 0.5;
    /// Different generational suffix (Jr ≠ Sr). Also a hard rule.
    pub const SUFFIX_CONFLICT: f64 = -4.0;
    /// Listed under both a current and a former name of yours.
    pub const ALIAS_FORMER: f64 = 1.5;
    /// Age or birth year within one year of yours.
    pub const AGE_AGREES: f64 = 2.0;
    /// Age off by 2–4 years.
    pub const AGE_NEAR: f64 = -1.0;
    /// Age off by 5 years or more. Also a hard rule.
    pub const AGE_CONFLICT: f64 = -5.0;
    /// Full birth date equal (replaces the age evidence).
    pub const BIRTH_DATE_AGREES: f64 = 3.0;
    /// Full birth date differs within an agreeing year.
    pub const BIRTH_DATE_CONFLICT: f64 = -3.0;
    /// Same street (and number) in the same city or ZIP.
    pub const STREET: f64 = 3.5;
    /// Same number, street name off by a typo, same city or ZIP.
    pub const STREET_NEAR: f64 = 3.0;
    /// Same city and state.
    pub const CITY: f64 = 2.0;
    /// Same ZIP, city not shown or spelled differently.
    pub const ZIP_ONLY: f64 = 1.5;
    /// Same city, but one side shows no state.
    pub const CITY_NO_STATE: f64 = 1.0;
    /// Same ZIP on top of a street or city match.
    pub const ZIP_BONUS: f64 = 0.5;
    /// Same state only.
    pub const STATE: f64 = 0.5;
    /// Each further address of yours (current or past) on the listing.
    pub const EXTRA_PLACE: f64 = 1.0;
    /// Cap on the further-address bonus.
    pub const EXTRA_PLACE_CAP: f64 = 2.0;
    /// None of the listing's places overlap any of yours.
    pub const NO_PLACE: f64 = -1.5;
    /// First relative in common.
    pub const RELATIVE: f64 = 2.0;
    /// Every further relative in common.
    pub const EXTRA_RELATIVE: f64 = 1.0;
    /// Cap on the relatives evidence.
    pub const RELATIVE_CAP: f64 = 4.0;
    /// Both sides list relatives and none is shared.
    pub const NO_RELATIVE: f64 = -1.0;
    /// A username of yours appears on the listing.
    pub const USERNAME: f64 = 3.0;
}

/// A profile prepared for comparing many records against it.
#[derive(Debug, Clone)]
pub struct Matcher {
    names: Vec<ProfileName>,
    nicknames: Vec<String>,
    former_lasts: Vec<String>,
    birth_year: Option<i32>,
    birth_date: Option<String>,
    phones: Vec<String>,
    emails: Vec<String>,
    usernames: Vec<String>,
    relatives: Vec<Relative>,
    places: Vec<Place>,
    region: String,
    year: i32,
}

#[derive(Debug, Clone)]
struct ProfileName {
    shown: String,
    first: String,
    first_tokens: Vec<String>,
    middles: Vec<String>,
    middle_shown: String,
    last: String,
    last_parts: Vec<String>,
    /// Middle and last run together ("vannguyen" for An Văn Nguyễn): a
    /// parser that takes a middle name like "Van" or "De" for a particle
    /// shows it as part of the last name.
    middle_last: String,
    suffix: String,
    former: bool,
}

#[derive(Debug, Clone)]
struct Relative {
    shown: String,
    first: String,
    last: String,
}

#[derive(Debug, Clone)]
struct Place {
    shown: String,
    street_shown: String,
    street: String,
    city: String,
    state: String,
    zip: String,
    country: String,
    past: bool,
}

/// Which first-name rule made a name agree.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FirstKind {
    Exact,
    Nickname,
    FirstToken,
    Initial,
    MiddleAsFirst,
}

/// Outcome of comparing middle names or suffixes across name pairs.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    None,
    Agrees(f64, String),
    Conflicts(String),
    /// Only an initial is shown on one side and it differs: brokers get
    /// middle initials wrong often enough that this is a strike, not a veto.
    InitialConflicts(String),
}

/// Everything the name comparison found.
#[derive(Debug, Default)]
struct NameCheck {
    /// Best agreeing pair: points and reason.
    best: Option<(f64, String)>,
    middle: Option<Part>,
    suffix: Option<Part>,
    alias: Option<String>,
}

impl NameCheck {
    /// A conflict that lowers the score and caps the level at `probable`
    /// but rules nothing out.
    fn soft_conflict(&self) -> bool {
        matches!(self.middle, Some(Part::InitialConflicts(_)))
    }

    fn hard_conflict(&self) -> bool {
        matches!(self.middle, Some(Part::Conflicts(_)))
            || matches!(self.suffix, Some(Part::Conflicts(_)))
    }
}

const PARTICLES: [&str; 12] = [
    "de", "la", "del", "della", "van", "der", "von", "da", "di", "le", "du", "los",
];

/// Formats points as "+2.0" or "−5.0" (a real minus sign, for reading).
fn pts(w: f64) -> String {
    if w < 0.0 {
        format!("\u{2212}{:.1}", -w)
    } else {
        format!("+{w:.1}")
    }
}

fn ev(field: &str, weight: f64, reason: String) -> Evidence {
    Evidence {
        field: field.into(),
        weight,
        reason: format!("{reason} ({})", pts(weight)),
    }
}

fn is_initial(s: &str) -> bool {
    s.len() == 1
}

impl Matcher {
    /// Prepares a profile (normalises names, phones, places once); ages are
    /// judged against the current calendar year.
    pub fn new(profile: &Profile) -> Matcher {
        Matcher::with_year(profile, chrono::Local::now().year())
    }

    /// Like [`Matcher::new`] with a fixed "current" year, so scores of a
    /// stored record or a test do not drift as years pass.
    pub fn with_year(profile: &Profile, year: i32) -> Matcher {
        let region = match profile.country() {
            "" => profile
                .addresses
                .first()
                .map(|a| a.country.clone())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "US".into()),
            c => c.to_string(),
        }
        .to_ascii_uppercase();
        let names = profile
            .names
            .iter()
            .map(|n| prepare_name(n, false))
            .chain(profile.former_names.iter().map(|n| prepare_name(n, true)))
            .filter(|n| !n.first.is_empty() && !n.last.is_empty())
            .collect::<Vec<_>>();
        let former_lasts = names
            .iter()
            .filter(|n| n.former)
            .map(|n| n.last.clone())
            .collect();
        let birth_year = profile.birth_year.or_else(|| {
            profile
                .birth_date
                .as_deref()
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok())
        });
        let places = profile
            .addresses
            .iter()
            .map(|a| prepare_place(a, false))
            .chain(
                profile
                    .past_addresses
                    .iter()
                    .map(|a| prepare_place(a, true)),
            )
            .filter(|p| !(p.city.is_empty() && p.state.is_empty() && p.zip.is_empty()))
            .collect();
        let mut phones: Vec<String> = profile
            .phones
            .iter()
            .map(|p| norm::phone(p, &region))
            .filter(|p| !p.is_empty())
            .collect();
        phones.dedup();
        Matcher {
            names,
            nicknames: profile
                .nicknames
                .iter()
                .map(|n| norm::name_key(n))
                .filter(|n| !n.is_empty())
                .collect(),
            former_lasts,
            birth_year,
            birth_date: profile.birth_date.as_ref().map(|d| d.trim().to_string()),
            phones,
            emails: profile.emails.iter().map(|e| norm::email(e)).collect(),
            usernames: profile
                .usernames
                .iter()
                .map(|u| norm::username(u))
                .filter(|u| !u.is_empty())
                .collect(),
            relatives: profile
                .relatives
                .iter()
                .filter_map(|r| prepare_relative(r))
                .collect(),
            places,
            region,
            year,
        }
    }

    /// Cheap card-level test: worth fetching the detail page? True when a
    /// name agrees and nothing on the card rules the listing out (age off by
    /// five years or more, a conflicting middle name or suffix). Permissive
    /// on purpose: missing places or relatives on a card prove nothing.
    pub fn plausible(&self, record: &Record) -> bool {
        let names = self.check_names(record);
        names.best.is_some()
            && !names.hard_conflict()
            && !matches!(self.check_age(record), Some((_, true)))
    }

    /// Scores a record against the profile with an explanation, strongest
    /// evidence first.
    pub fn score(&self, record: &Record) -> MatchResult {
        let mut evidence = Vec::new();
        let mut identifying = 0usize;

        // Unique identifiers.
        let mut strong = 0usize;
        let mut seen_phones = Vec::new();
        for raw in &record.phones {
            let p = norm::phone(raw, &self.region);
            if p.is_empty() || seen_phones.contains(&p) {
                continue;
            }
            seen_phones.push(p.clone());
            if self.phones.contains(&p) {
                let w = if strong == 0 {
                    weights::STRONG_ID
                } else {
                    weights::EXTRA_ID
                };
                strong += 1;
                evidence.push(ev("phone", w, format!("phone {p} matches your phone")));
            }
        }
        let mut seen_emails = Vec::new();
        for raw in &record.emails {
            let e = norm::email(raw);
            if e.is_empty() || seen_emails.contains(&e) {
                continue;
            }
            seen_emails.push(e.clone());
            if self.emails.contains(&e) {
                let w = if strong == 0 {
                    weights::STRONG_ID
                } else {
                    weights::EXTRA_ID
                };
                strong += 1;
                evidence.push(ev("email", w, format!("e-mail {e} matches your e-mail")));
            }
        }

        // Names.
        let names = self.check_names(record);
        match &names.best {
            Some((w, reason)) => evidence.push(ev("name", *w, reason.clone())),
            None => {
                let shown = record
                    .names
                    .first()
                    .map(|n| n.full())
                    .unwrap_or_else(|| "(none shown)".into());
                evidence.push(Evidence {
                    field: "name".into(),
                    weight: 0.0,
                    reason: format!(
                        "name {shown} does not agree with any of your names (listing rejected)"
                    ),
                });
            }
        }
        match &names.middle {
            Some(Part::Agrees(w, r)) => evidence.push(ev("middle_name", *w, r.clone())),
            Some(Part::Conflicts(r)) => {
                evidence.push(ev("middle_name", weights::MIDDLE_CONFLICT, r.clone()))
            }
            Some(Part::InitialConflicts(r)) => evidence.push(ev(
                "middle_name",
                weights::MIDDLE_INITIAL_CONFLICT,
                r.clone(),
            )),
            _ => {}
        }
        match &names.suffix {
            Some(Part::Agrees(w, r)) => evidence.push(ev("suffix", *w, r.clone())),
            Some(Part::Conflicts(r)) => {
                evidence.push(ev("suffix", weights::SUFFIX_CONFLICT, r.clone()))
            }
            _ => {}
        }
        if let Some(r) = &names.alias {
            identifying += 1;
            evidence.push(ev("name", weights::ALIAS_FORMER, r.clone()));
        }

        // Age and birth date.
        let mut age_conflict = false;
        if let Some((e, conflict)) = self.check_age(record) {
            age_conflict = conflict;
            if e.field == "birth_date" && e.weight > 0.0 {
                identifying += 1;
            }
            evidence.push(e);
        }

        // Places.
        let (place_evidence, place_identifies) = self.check_places(&record.addresses);
        if place_identifies {
            identifying += 1;
        }
        evidence.extend(place_evidence);

        // Relatives.
        let (rel_evidence, rel_identifies) = self.check_relatives(&record.relatives);
        if rel_identifies {
            identifying += 1;
        }
        evidence.extend(rel_evidence);

        // Usernames.
        if let Some(u) = record
            .usernames
            .iter()
            .map(|u| norm::username(u))
            .find(|u| !u.is_empty() && self.usernames.contains(u))
        {
            identifying += 1;
            evidence.push(ev(
                "username",
                weights::USERNAME,
                format!("username {u} matches your username"),
            ));
        }

        let score: f64 = evidence.iter().map(|e| e.weight).sum();
        let hard = age_conflict || names.hard_conflict();
        let level = if names.best.is_none() {
            MatchLevel::Rejected
        } else if hard {
            if strong > 0 {
                MatchLevel::Possible
            } else {
                MatchLevel::Rejected
            }
        } else if names.soft_conflict() && strong > 0 {
            // The identifier is real evidence, but a relative sharing the
            // household phone could carry the name too: not confirmed.
            MatchLevel::Probable
        } else if !names.soft_conflict()
            && (strong > 0 || (score >= CONFIRMED_SCORE && identifying >= 2))
        {
            MatchLevel::Confirmed
        } else if score >= PROBABLE_SCORE && identifying >= 1 {
            MatchLevel::Probable
        } else if score >= POSSIBLE_SCORE {
            MatchLevel::Possible
        } else {
            MatchLevel::Rejected
        };
        evidence.sort_by(|a, b| {
            b.weight
                .abs()
                .total_cmp(&a.weight.abs())
                .then(b.weight.total_cmp(&a.weight))
        });
        MatchResult {
            score,
            level,
            evidence,
        }
    }

    /// Compares every listing name with every profile name (both orders).
    fn check_names(&self, record: &Record) -> NameCheck {
        let mut out = NameCheck::default();
        let mut middle_agree: Option<(f64, String)> = None;
        let mut middle_conflict: Option<String> = None;
        let mut middle_initial_conflict: Option<String> = None;
        let mut suffix_agree: Option<String> = None;
        let mut suffix_conflict: Option<String> = None;
        let mut current_hit: Option<String> = None;
        let mut former_hit: Option<(String, String)> = None;
        for rn in &record.names {
            for pn in &self.names {
                let Some((w, reason)) = self
                    .compare_name(rn, pn, false)
                    .or_else(|| self.compare_name(rn, pn, true))
                else {
                    continue;
                };
                if out.best.as_ref().is_none_or(|(bw, _)| w > *bw) {
                    out.best = Some((w, reason));
                }
                if pn.former {
                    former_hit.get_or_insert((rn.full(), pn.shown.clone()));
                } else {
                    current_hit.get_or_insert(rn.full());
                }
                match compare_middle(rn, pn, &self.former_lasts) {
                    Part::Agrees(w, r) => {
                        if middle_agree.as_ref().is_none_or(|(bw, _)| w > *bw) {
                            middle_agree = Some((w, r));
                        }
                    }
                    Part::Conflicts(r) => {
                        middle_conflict.get_or_insert(r);
                    }
                    Part::InitialConflicts(r) => {
                        middle_initial_conflict.get_or_insert(r);
                    }
                    Part::None => {}
                }
                match compare_suffix(rn, pn) {
                    Part::Agrees(_, r) => {
                        suffix_agree.get_or_insert(r);
                    }
                    Part::Conflicts(r) | Part::InitialConflicts(r) => {
                        suffix_conflict.get_or_insert(r);
                    }
                    Part::None => {}
                }
            }
        }
        // Agreement on any listing name outweighs a conflict on another:
        // brokers list spelling variants and old records as aliases.
        out.middle = match (middle_agree, middle_conflict, middle_initial_conflict) {
            (Some((w, r)), _, _) => Some(Part::Agrees(w, r)),
            (None, Some(r), _) => Some(Part::Conflicts(r)),
            (None, None, Some(r)) => Some(Part::InitialConflicts(r)),
            _ => None,
        };
        out.suffix = match (suffix_agree, suffix_conflict) {
            (Some(r), _) => Some(Part::Agrees(weights::SUFFIX_AGREES, r)),
            (None, Some(r)) => Some(Part::Conflicts(r)),
            _ => None,
        };
        if let (Some(cur), Some((listed, former))) = (current_hit, former_hit)
            && norm::name_key(&cur) != norm::name_key(&listed)
        {
            out.alias = Some(format!(
                "listed both as {cur} and as {listed} (your former name {former})"
            ));
        }
        out
    }

    /// First + last agreement of one listing name with one profile name;
    /// `swapped` reads the listing's first and last the other way round.
    fn compare_name(
        &self,
        rn: &PersonName,
        pn: &ProfileName,
        swapped: bool,
    ) -> Option<(f64, String)> {
        let (r_first, r_last) = if swapped {
            (&rn.last, &rn.first)
        } else {
            (&rn.first, &rn.last)
        };
        let rf = norm::name_key(r_first);
        let rl = norm::name_key(r_last);
        if rf.is_empty() || rl.is_empty() {
            return None;
        }
        let mut last_weight = 0.0;
        let mut last_note = "";
        if !pn.middle_last.is_empty() && rl == pn.middle_last {
            last_note = ", your middle name shown as part of the last name";
        } else if rl != pn.last {
            let r_parts: Vec<String> = norm::name_parts(r_last)
                .into_iter()
                .filter(|p| p.len() > 1 && !PARTICLES.contains(&p.as_str()))
                .collect();
            let p_parts: Vec<&String> = pn
                .last_parts
                .iter()
                .filter(|p| p.len() > 1 && !PARTICLES.contains(&p.as_str()))
                .collect();
            let part_hit = (r_parts.len() > 1 && r_parts.contains(&pn.last))
                || (p_parts.len() > 1 && p_parts.contains(&&rl))
                || (r_parts.len() > 1
                    && p_parts.len() > 1
                    && r_parts.iter().any(|r| p_parts.contains(&r)));
            if !part_hit {
                return None;
            }
            last_weight = weights::LAST_NAME_PART;
            last_note = ", only part of the compound last name agrees";
        }
        let r_first_tokens = norm::tokens(r_first);
        let kind = if rf == pn.first {
            FirstKind::Exact
        } else if self.nicknames.contains(&rf) || Nicknames::shipped().equivalent(&rf, &pn.first) {
            FirstKind::Nickname
        } else if (r_first_tokens.len() > 1 && r_first_tokens[0] == pn.first)
            || (pn.first_tokens.len() > 1 && pn.first_tokens[0] == rf)
        {
            FirstKind::FirstToken
        } else if (is_initial(&rf) && pn.first.starts_with(rf.as_str()))
            || (is_initial(&pn.first) && rf.starts_with(pn.first.as_str()))
        {
            FirstKind::Initial
        } else if pn.middles.first().is_some_and(|m| m.len() > 1 && *m == rf) {
            FirstKind::MiddleAsFirst
        } else {
            return None;
        };
        let (w, how) = match kind {
            FirstKind::Exact => (weights::NAME_EXACT, "matches"),
            FirstKind::Nickname => (weights::NAME_NICKNAME, "matches by nickname"),
            FirstKind::FirstToken => (weights::NAME_NICKNAME, "matches by first given name"),
            FirstKind::Initial => (weights::NAME_INITIAL, "matches by initial"),
            FirstKind::MiddleAsFirst => (weights::NAME_INITIAL, "matches using your middle name"),
        };
        let whose = if pn.former {
            "your former name"
        } else {
            "your name"
        };
        let order = if swapped {
            " (first and last swapped)"
        } else {
            ""
        };
        Some((
            w + last_weight,
            format!(
                "name {} {how} {whose} {}{order}{last_note}",
                rn.full(),
                pn.shown
            ),
        ))
    }

    /// Age (or birth year, or birth date) against the profile's birth year.
    /// Returns the evidence and whether it is a hard conflict.
    fn check_age(&self, record: &Record) -> Option<(Evidence, bool)> {
        let by = self.birth_year?;
        let (hi, lo) = (self.year - by, self.year - by - 1);
        let yours = format!("your birth year {by} (age {lo}\u{2013}{hi})");
        if let (Some(rd), Some(pd)) = (&record.birth_date, &self.birth_date)
            && rd.get(..4) == pd.get(..4)
            && rd.len() == 10
            && pd.len() == 10
        {
            return Some(if rd == pd {
                (
                    ev(
                        "birth_date",
                        weights::BIRTH_DATE_AGREES,
                        format!("birth date {rd} matches your birth date"),
                    ),
                    false,
                )
            } else {
                (
                    ev(
                        "birth_date",
                        weights::BIRTH_DATE_CONFLICT,
                        format!("birth date {rd} differs from your birth date {pd}"),
                    ),
                    false,
                )
            });
        }
        let record_year = record.birth_year.or_else(|| {
            record
                .birth_date
                .as_deref()
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok())
        });
        let (shown, off) = if let Some(age) = record.age {
            let age = age as i32;
            let off = if age < lo {
                lo - age
            } else if age > hi {
                age - hi
            } else {
                0
            };
            (format!("age {age}"), off)
        } else if let Some(y) = record_year {
            (format!("birth year {y}"), (y - by).abs())
        } else {
            return None;
        };
        Some(match off {
            0 | 1 => (
                ev(
                    "age",
                    weights::AGE_AGREES,
                    format!("{shown} is consistent with {yours}"),
                ),
                false,
            ),
            2..=4 => (
                ev(
                    "age",
                    weights::AGE_NEAR,
                    format!("{shown} is {off} years off {yours}"),
                ),
                false,
            ),
            _ => (
                ev(
                    "age",
                    weights::AGE_CONFLICT,
                    format!("{shown} conflicts with {yours}"),
                ),
                true,
            ),
        })
    }

    /// Best agreement between the listing's places and the profile's.
    /// Returns the evidence and whether a city-level (or better) place agreed.
    fn check_places(&self, addresses: &[Address]) -> (Vec<Evidence>, bool) {
        let listed: Vec<Place> = addresses
            .iter()
            .map(|a| prepare_place(a, false))
            .filter(|p| !(p.city.is_empty() && p.state.is_empty() && p.zip.is_empty()))
            .collect();
        if listed.is_empty() || self.places.is_empty() {
            return (Vec::new(), false);
        }
        let mut best: Option<(Tier, usize, usize)> = None;
        for (pi, p) in self.places.iter().enumerate() {
            for (ri, r) in listed.iter().enumerate() {
                let t = compare_place(p, r);
                if best
                    .as_ref()
                    .is_none_or(|(b, _, _)| t.weight() > b.weight())
                {
                    best = Some((t, pi, ri));
                }
            }
        }
        let Some((tier, pi, ri)) = best.filter(|(t, _, _)| *t != Tier::None) else {
            let shown: Vec<String> = listed.iter().take(3).map(|p| p.shown.clone()).collect();
            return (
                vec![ev(
                    "location",
                    weights::NO_PLACE,
                    format!(
                        "none of the listing's places ({}) overlap your addresses",
                        shown.join("; ")
                    ),
                )],
                false,
            );
        };
        let (p, r) = (&self.places[pi], &listed[ri]);
        let whose = if p.past {
            "your past address"
        } else {
            "your address"
        };
        let mut out = Vec::new();
        let (field, reason) = match tier {
            Tier::Street => (
                "street",
                format!("street {} matches {whose} ({})", r.street_shown, p.shown),
            ),
            Tier::StreetNear => (
                "street",
                format!(
                    "street {} nearly matches {whose} {} (same number, likely a typo)",
                    r.street_shown, p.street_shown
                ),
            ),
            Tier::City => (
                "city",
                format!("place {} matches {whose} ({})", r.shown, p.shown),
            ),
            Tier::CityNoState => (
                "city",
                format!(
                    "city {} matches {whose} ({}) but no state to confirm it",
                    r.shown, p.shown
                ),
            ),
            Tier::Zip => (
                "zip",
                format!("ZIP {} matches {whose} ({})", r.zip, p.shown),
            ),
            Tier::State => (
                "state",
                format!(
                    "state {} matches {whose} ({}), city does not",
                    r.state, p.shown
                ),
            ),
            Tier::None => unreachable!("filtered above"),
        };
        out.push(ev(field, tier.weight(), reason));
        if matches!(tier, Tier::Street | Tier::StreetNear | Tier::City)
            && !p.zip.is_empty()
            && p.zip == r.zip
        {
            out.push(ev(
                "zip",
                weights::ZIP_BONUS,
                format!("ZIP {} also matches", r.zip),
            ));
        }
        // More of your addresses on the same listing: brokers keep address
        // histories, and a namesake rarely shares two of them.
        let mut extra = 0.0;
        let mut used_places = vec![(p.city.clone(), p.state.clone())];
        let mut used_listed = vec![ri];
        for (pj, p2) in self.places.iter().enumerate() {
            if pj == pi || used_places.contains(&(p2.city.clone(), p2.state.clone())) {
                continue;
            }
            let hit = listed.iter().enumerate().find(|(rj, r2)| {
                !used_listed.contains(rj) && compare_place(p2, r2).weight() >= weights::CITY
            });
            if let Some((rj, r2)) = hit {
                if extra + weights::EXTRA_PLACE > weights::EXTRA_PLACE_CAP {
                    break;
                }
                extra += weights::EXTRA_PLACE;
                used_places.push((p2.city.clone(), p2.state.clone()));
                used_listed.push(rj);
                let whose = if p2.past {
                    "your past address"
                } else {
                    "your address"
                };
                out.push(ev(
                    "location",
                    weights::EXTRA_PLACE,
                    format!("also lists {} matching {whose}", r2.shown),
                ));
            }
        }
        let identifies = matches!(
            tier,
            Tier::Street | Tier::StreetNear | Tier::City | Tier::Zip
        );
        (out, identifies)
    }

    /// Relatives in common. Returns the evidence and whether any matched.
    fn check_relatives(&self, listed: &[String]) -> (Vec<Evidence>, bool) {
        let listed: Vec<Relative> = listed.iter().filter_map(|r| prepare_relative(r)).collect();
        if listed.is_empty() || self.relatives.is_empty() {
            return (Vec::new(), false);
        }
        let mut out = Vec::new();
        let mut total = 0.0;
        let mut used = Vec::new();
        for r in &listed {
            let Some((i, p)) = self.relatives.iter().enumerate().find(|(i, p)| {
                !used.contains(i)
                    && p.last == r.last
                    && (p.first == r.first || Nicknames::shipped().equivalent(&p.first, &r.first))
            }) else {
                continue;
            };
            used.push(i);
            let w = if total == 0.0 {
                weights::RELATIVE
            } else {
                weights::EXTRA_RELATIVE
            };
            if total + w > weights::RELATIVE_CAP {
                break;
            }
            total += w;
            out.push(ev(
                "relatives",
                w,
                format!("relative {} matches your relative {}", r.shown, p.shown),
            ));
        }
        if out.is_empty() {
            out.push(ev(
                "relatives",
                weights::NO_RELATIVE,
                format!(
                    "none of the listing's {} relatives are among your {}",
                    listed.len(),
                    self.relatives.len()
                ),
            ));
            return (out, false);
        }
        (out, true)
    }
}

fn prepare_name(n: &PersonName, former: bool) -> ProfileName {
    let suffix = {
        let s = norm::suffix(&n.suffix);
        if s.is_empty() {
            norm::trailing_suffix(&n.last)
        } else {
            s
        }
    };
    ProfileName {
        shown: n.full(),
        first: norm::name_key(&n.first),
        first_tokens: norm::tokens(&n.first),
        middles: middle_tokens(&n.middle),
        middle_shown: n.middle.trim().to_string(),
        last: norm::name_key(&n.last),
        last_parts: norm::name_parts(&n.last),
        middle_last: if n.middle.trim().is_empty() {
            String::new()
        } else {
            norm::name_key(&format!("{} {}", n.middle, n.last))
        },
        suffix,
        former,
    }
}

fn middle_tokens(s: &str) -> Vec<String> {
    norm::tokens(s)
        .into_iter()
        .filter(|t| norm::suffix(t).is_empty() || t.len() == 1)
        .collect()
}

/// Middle names of one listing name against one profile name.
fn compare_middle(rn: &PersonName, pn: &ProfileName, former_lasts: &[String]) -> Part {
    let rm = middle_tokens(&rn.middle);
    let (Some(r), Some(p)) = (rm.first(), pn.middles.first()) else {
        return Part::None;
    };
    let shown = rn.middle.trim();
    let yours = &pn.middle_shown;
    if is_initial(r) || is_initial(p) {
        return if r[..1] == p[..1] {
            Part::Agrees(
                weights::MIDDLE_INITIAL,
                format!("middle initial {shown} agrees with your middle name {yours}"),
            )
        } else {
            Part::InitialConflicts(format!(
                "middle initial {shown} differs from your middle name {yours} (initials are often mistyped)"
            ))
        };
    }
    if r == p {
        return Part::Agrees(
            weights::MIDDLE_FULL,
            format!("middle name {shown} matches your middle name"),
        );
    }
    if Nicknames::shipped().equivalent(r, p) || pn.middles.contains(r) || rm.contains(p) {
        return Part::Agrees(
            weights::MIDDLE_VARIANT,
            format!("middle name {shown} is a variant of your middle name {yours}"),
        );
    }
    // Women often keep a maiden name as a middle name after marriage.
    if former_lasts.contains(r) {
        return Part::Agrees(
            weights::MIDDLE_VARIANT,
            format!("middle name {shown} is your former last name"),
        );
    }
    Part::Conflicts(format!(
        "middle name {shown} conflicts with your middle name {yours}"
    ))
}

fn compare_suffix(rn: &PersonName, pn: &ProfileName) -> Part {
    let rs = {
        let s = norm::suffix(&rn.suffix);
        if s.is_empty() {
            norm::trailing_suffix(&rn.last)
        } else {
            s
        }
    };
    if rs.is_empty() || pn.suffix.is_empty() {
        return Part::None;
    }
    if rs == pn.suffix {
        Part::Agrees(
            weights::SUFFIX_AGREES,
            format!("suffix {} matches yours", rn.suffix.trim()),
        )
    } else {
        Part::Conflicts(format!(
            "suffix {} conflicts with your suffix {} (a relative with your name?)",
            if rn.suffix.trim().is_empty() {
                rs.as_str()
            } else {
                rn.suffix.trim()
            },
            pn.suffix
        ))
    }
}

fn prepare_relative(s: &str) -> Option<Relative> {
    // "Doe, Mary J" is "Mary J Doe".
    let text = match s.split_once(',') {
        Some((last, rest)) if !rest.trim().is_empty() => format!("{rest} {last}"),
        _ => s.to_string(),
    };
    let toks: Vec<String> = norm::tokens(&text)
        .into_iter()
        .filter(|t| norm::suffix(t).is_empty())
        .collect();
    if toks.len() < 2 {
        return None;
    }
    Some(Relative {
        shown: s.trim().to_string(),
        first: toks[0].clone(),
        last: toks[toks.len() - 1].clone(),
    })
}

fn prepare_place(a: &Address, past: bool) -> Place {
    Place {
        shown: {
            let mut cs = a.city.trim().to_string();
            if !a.state.trim().is_empty() {
                if !cs.is_empty() {
                    cs.push_str(", ");
                }
                cs.push_str(a.state.trim());
            }
            if cs.is_empty() {
                a.zip.trim().to_string()
            } else {
                cs
            }
        },
        street_shown: a.street.trim().to_string(),
        street: norm::street(&a.street),
        city: norm::city(&a.city),
        state: norm::state(&a.state),
        zip: norm::zip(&a.zip),
        country: if a.country.trim().is_empty() {
            "US".into()
        } else {
            a.country.trim().to_ascii_uppercase()
        },
        past,
    }
}

/// How far two places agree, best first.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tier {
    Street,
    StreetNear,
    City,
    Zip,
    CityNoState,
    State,
    None,
}

impl Tier {
    fn weight(self) -> f64 {
        match self {
            Tier::Street => weights::STREET,
            Tier::StreetNear => weights::STREET_NEAR,
            Tier::City => weights::CITY,
            Tier::Zip => weights::ZIP_ONLY,
            Tier::CityNoState => weights::CITY_NO_STATE,
            Tier::State => weights::STATE,
            Tier::None => 0.0,
        }
    }
}

fn compare_place(p: &Place, r: &Place) -> Tier {
    if p.country != r.country {
        return Tier::None;
    }
    let city_eq = !p.city.is_empty() && p.city == r.city;
    let state_eq = !p.state.is_empty() && p.state == r.state;
    let state_conflict = !p.state.is_empty() && !r.state.is_empty() && p.state != r.state;
    let zip_eq = !p.zip.is_empty() && p.zip == r.zip;
    if state_conflict {
        return Tier::None;
    }
    // "12 Main St" exists in every town: a street counts only in the same
    // city or ZIP.
    if city_eq || zip_eq {
        match norm::compare_streets(&p.street, &r.street) {
            norm::StreetAgreement::Exact => return Tier::Street,
            norm::StreetAgreement::Near => return Tier::StreetNear,
            norm::StreetAgreement::Different => {}
        }
    }
    if city_eq && (state_eq || zip_eq) {
        Tier::City
    } else if zip_eq {
        Tier::Zip
    } else if city_eq {
        Tier::CityNoState
    } else if state_eq {
        Tier::State
    } else {
        Tier::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            birth_year: Some(1984),
            names: vec![PersonName::new("Jane", "Quinn", "Doe")],
            addresses: vec![Address {
                city: "Springfield".into(),
                state: "IL".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn card(
        first: &str,
        middle: &str,
        last: &str,
        age: Option<u32>,
        city: &str,
        st: &str,
    ) -> Record {
        Record {
            names: vec![PersonName::new(first, middle, last)],
            age,
            addresses: vec![Address {
                city: city.into(),
                state: st.into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn name_city_age_is_probable_and_explained() {
        let m = Matcher::with_year(&profile(), 2026);
        let r = m.score(&card("Jane", "", "Doe", Some(42), "Springfield", "IL"));
        assert_eq!(r.level, MatchLevel::Probable, "{r:#?}");
        assert!(
            r.evidence
                .windows(2)
                .all(|w| w[0].weight.abs() >= w[1].weight.abs())
        );
        assert!(r.evidence.iter().any(|e| e.reason
            == "age 42 is consistent with your birth year 1984 (age 41\u{2013}42) (+2.0)"));
    }

    #[test]
    fn age_conflict_is_hard_and_blocks_plausible() {
        let m = Matcher::with_year(&profile(), 2026);
        let rec = card("Jane", "", "Doe", Some(63), "Springfield", "IL");
        let r = m.score(&rec);
        assert_eq!(r.level, MatchLevel::Rejected);
        assert!(!m.plausible(&rec));
        assert!(r.evidence.iter().any(|e| e.reason
            == "age 63 conflicts with your birth year 1984 (age 41\u{2013}42) (\u{2212}5.0)"));
    }

    #[test]
    fn different_name_is_rejected_even_with_a_phone() {
        let mut p = profile();
        p.phones = vec!["(415) 555-0123".into()];
        let m = Matcher::with_year(&p, 2026);
        let mut rec = card("Mark", "", "Doe", None, "Springfield", "IL");
        rec.phones = vec!["+14155550123".into()];
        assert_eq!(m.score(&rec).level, MatchLevel::Rejected);
        assert!(!m.plausible(&rec));
    }

    #[test]
    fn suffix_conflict_is_hard() {
        let mut p = profile();
        p.names[0].suffix = "Jr".into();
        let m = Matcher::with_year(&p, 2026);
        let mut rec = card("Jane", "", "Doe", Some(42), "Springfield", "IL");
        rec.names[0].suffix = "Sr.".into();
        assert_eq!(m.score(&rec).level, MatchLevel::Rejected);
    }

    #[test]
    fn points_use_a_real_minus() {
        assert_eq!(pts(2.0), "+2.0");
        assert_eq!(pts(-1.5), "\u{2212}1.5");
    }
}
