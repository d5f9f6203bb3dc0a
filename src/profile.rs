//! The profile: what a person knows about themselves, loaded from TOML.
//!
//! Everything later stages need (search terms, matching evidence, draft
//! addressees, jurisdiction) comes from here. See README.md for the format.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{InputError, InputErrors, read_toml};
use crate::geo;
use crate::model::{Address, PersonName};

/// A person to search for. Field order mirrors the TOML file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short identifier used in report folders and the database; derived
    /// from the first name if absent ("jane-doe").
    #[serde(default)]
    pub id: String,
    /// Where the person lives for legal purposes: "US-CA", "US-TX", "DE", "FR".
    #[serde(default)]
    pub jurisdiction: String,
    /// Year of birth, if the person wants to use it for matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    /// Full birth date `YYYY-MM-DD`; implies `birth_year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Short forms of the first name people use ("Liz", "Beth").
    #[serde(default)]
    pub nicknames: Vec<String>,
    /// Phone numbers in any common format.
    #[serde(default)]
    pub phones: Vec<String>,
    /// E-mail addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Online usernames.
    #[serde(default)]
    pub usernames: Vec<String>,
    /// Relatives' full names; overlap with a listing's relatives is evidence.
    #[serde(default)]
    pub relatives: Vec<String>,
    /// Current names; the first is the primary name.
    #[serde(default)]
    pub names: Vec<PersonName>,
    /// Names no longer used (maiden names, before a legal change).
    #[serde(default)]
    pub former_names: Vec<PersonName>,
    /// Current addresses (usually one).
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// Where the person used to live; brokers keep old addresses for years.
    #[serde(default)]
    pub past_addresses: Vec<Address>,
}

impl Profile {
    /// Loads and validates a profile file, reporting every problem with its line.
    pub fn load(path: &Path) -> Result<Profile, InputErrors> {
        let (mut profile, text): (Profile, String) =
            read_toml(path).map_err(|e| InputErrors(vec![e]))?;
        let problems = profile.validate();
        if !problems.is_empty() {
            return Err(InputErrors(
                problems
                    .into_iter()
                    .map(|(field, msg)| InputError::at_field(path, &text, &field, msg))
                    .collect(),
            ));
        }
        profile.fill_defaults();
        Ok(profile)
    }

    /// Checks the profile; returns `(field, problem)` pairs, empty when valid.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.names.is_empty() {
            out.push((
                "names".to_string(),
                "no name given; expected at least one [[names]] table with `first` and `last`"
                    .to_string(),
            ));
        }
        for (list, names) in [("names", &self.names), ("former_names", &self.former_names)] {
            for (i, n) in names.iter().enumerate() {
                if n.first.trim().is_empty() {
                    out.push((
                        format!("{list}[{i}].first"),
                        "empty; expected the given name, e.g. \"Jane\"".into(),
                    ));
                }
                if n.last.trim().is_empty() {
                    out.push((
                        format!("{list}[{i}].last"),
                        "empty; expected the family name, e.g. \"Doe\"".into(),
                    ));
                }
            }
        }
        if let Some(y) = self.birth_year
            && !(1900..=2026).contains(&y)
        {
            out.push((
                "birth_year".into(),
                format!("{y} is not a plausible year of birth; expected 1900..=2026"),
            ));
        }
        if let Some(d) = &self.birth_date {
            match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(date) => {
                    use chrono::Datelike;
                    if let Some(y) = self.birth_year
                        && y != date.year()
                    {
                        out.push((
                            "birth_year".into(),
                            format!(
                                "{y} disagrees with birth_date {d}; give one or make them agree"
                            ),
                        ));
                    }
                }
                Err(_) => out.push((
                    "birth_date".into(),
                    format!("{d:?} is not a date; expected YYYY-MM-DD, e.g. \"1984-05-17\""),
                )),
            }
        }
        for (list, addrs) in [
            ("addresses", &self.addresses),
            ("past_addresses", &self.past_addresses),
        ] {
            for (i, a) in addrs.iter().enumerate() {
                let us = a.country.is_empty() || a.country.eq_ignore_ascii_case("US");
                if a.city.trim().is_empty() && a.zip.trim().is_empty() {
                    out.push((
                        format!("{list}[{i}]"),
                        "needs at least `city` (with `state`) or `zip`".into(),
                    ));
                }
                if us && !a.state.is_empty() && geo::state_code(&a.state).is_none() {
                    out.push((
                        format!("{list}[{i}].state"),
                        format!("{:?} is not a US state; expected a code like \"CA\" or a name like \"California\"", a.state),
                    ));
                }
                if us && !a.zip.is_empty() && !is_us_zip(&a.zip) {
                    out.push((
                        format!("{list}[{i}].zip"),
                        format!("{:?} is not a US ZIP code; expected 5 digits or ZIP+4 (\"94110-1234\")", a.zip),
                    ));
                }
                if !a.country.is_empty()
                    && (a.country.len() != 2 || !a.country.chars().all(|c| c.is_ascii_alphabetic()))
                {
                    out.push((
                        format!("{list}[{i}].country"),
                        format!(
                            "{:?} is not a country code; expected two letters, e.g. \"US\", \"DE\"",
                            a.country
                        ),
                    ));
                }
            }
        }
        for (i, p) in self.phones.iter().enumerate() {
            let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
            if !(7..=15).contains(&digits)
                || p.chars()
                    .any(|c| !(c.is_ascii_digit() || " +-().".contains(c)))
            {
                out.push((
                    format!("phones[{i}]"),
                    format!("{p:?} is not a phone number; expected e.g. \"(415) 555-0100\" or \"+49 30 1234567\""),
                ));
            }
        }
        for (i, e) in self.emails.iter().enumerate() {
            let ok = e.split_once('@').is_some_and(|(u, d)| {
                !u.is_empty() && d.contains('.') && !e.contains(char::is_whitespace)
            });
            if !ok {
                out.push((
                    format!("emails[{i}]"),
                    format!("{e:?} is not an e-mail address; expected e.g. \"jane@example.com\""),
                ));
            }
        }
        if !self.jurisdiction.is_empty() && !is_jurisdiction(&self.jurisdiction) {
            out.push((
                "jurisdiction".into(),
                format!("{:?} is not a jurisdiction; expected a country code (\"DE\") or US state (\"US-CA\")", self.jurisdiction),
            ));
        }
        if !self.id.is_empty() && !is_slug(&self.id) {
            out.push((
                "id".into(),
                format!(
                    "{:?} has characters unsafe in a folder name; expected letters, digits and '-'",
                    self.id
                ),
            ));
        }
        out
    }

    /// Derives `id`, `birth_year`, state codes and jurisdiction where absent.
    pub fn fill_defaults(&mut self) {
        if self.id.is_empty() {
            self.id = slug(&self.primary_name().full());
        }
        if self.birth_year.is_none() {
            self.birth_year = self
                .birth_date
                .as_deref()
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok());
        }
        for a in self
            .addresses
            .iter_mut()
            .chain(self.past_addresses.iter_mut())
        {
            if let Some(code) = geo::state_code(&a.state) {
                a.state = code.to_string();
            }
            if a.country.is_empty() {
                a.country = "US".into();
            }
            a.country = a.country.to_ascii_uppercase();
        }
        if self.jurisdiction.is_empty()
            && let Some(a) = self.addresses.first()
        {
            self.jurisdiction = if a.country == "US" && !a.state.is_empty() {
                format!("US-{}", a.state)
            } else {
                a.country.clone()
            };
        }
        self.jurisdiction = self.jurisdiction.to_ascii_uppercase();
    }

    /// The name searches start from.
    pub fn primary_name(&self) -> PersonName {
        self.names.first().cloned().unwrap_or_default()
    }

    /// Current names then former names.
    pub fn all_names(&self) -> impl Iterator<Item = &PersonName> {
        self.names.iter().chain(self.former_names.iter())
    }

    /// Current addresses then past addresses.
    pub fn all_addresses(&self) -> impl Iterator<Item = &Address> {
        self.addresses.iter().chain(self.past_addresses.iter())
    }

    /// Country part of the jurisdiction ("US" for "US-CA").
    pub fn country(&self) -> &str {
        self.jurisdiction.split('-').next().unwrap_or("")
    }
}

fn is_us_zip(z: &str) -> bool {
    let b = z.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10
            && b[5] == b'-'
            && b[..5].iter().all(u8::is_ascii_digit)
            && b[6..].iter().all(u8::is_ascii_digit))
}

fn is_jurisdiction(j: &str) -> bool {
    let mut parts = j.split('-');
    let country = parts.next().unwrap_or("");
    let region = parts.next();
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_alphabetic())
        && parts.next().is_none()
        && region.is_none_or(|r| {
            if country.eq_ignore_ascii_case("US") {
                geo::state_name(r).is_some()
            } else {
                (1..=3).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
            }
        })
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Lower-case ASCII slug of any text ("José Núñez" → "jose-nunez").
pub fn slug(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_ascii_lowercase();
    let mut out = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    let s: String = trimmed.chars().take(64).collect();
    if s.is_empty() { "subject".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn load_str(text: &str) -> Result<Profile, InputErrors> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        Profile::load(f.path())
    }

    #[test]
    fn loads_a_full_profile() {
        let p = load_str(
            r#"
birth_date = "1984-05-17"
nicknames = ["Janie"]
phones = ["(415) 555-0100"]
emails = ["jane@example.com"]

[[names]]
first = "Jane"
middle = "Quinn"
last = "Doe"

[[former_names]]
first = "Jane"
last = "Smith"

[[addresses]]
city = "San Francisco"
state = "california"
zip = "94110"
"#,
        )
        .unwrap();
        assert_eq!(p.id, "jane-quinn-doe");
        assert_eq!(p.birth_year, Some(1984));
        assert_eq!(p.addresses[0].state, "CA");
        assert_eq!(p.jurisdiction, "US-CA");
        assert_eq!(p.all_names().count(), 2);
    }

    #[test]
    fn reports_line_and_field_of_bad_values() {
        let err = load_str(
            "[[names]]\nfirst = \"Jane\"\nlast = \"Doe\"\n\n[[addresses]]\ncity = \"Springfield\"\nstate = \"Narnia\"\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(":7: addresses[0].state: \"Narnia\" is not a US state"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let err = load_str("nmaes = 1\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(":1"), "{msg}");
        assert!(msg.contains("unknown field"), "{msg}");
    }

    #[test]
    fn missing_name_is_an_error() {
        let err = load_str("emails = [\"a@b.co\"]\n").unwrap_err();
        assert!(err.to_string().contains("names: no name given"), "{err}");
    }

    #[test]
    fn slugs_fold_diacritics() {
        assert_eq!(slug("José Núñez"), "jose-nunez");
        assert_eq!(slug("  "), "subject");
    }
}
