//! Matching: decide whether a listing is the subject or a namesake, and say why.

use crate::model::{Evidence, MatchLevel, MatchResult, Record};
use crate::profile::Profile;

/// A profile prepared for comparing many records against it.
#[derive(Debug, Clone)]
pub struct Matcher {
    profile: Profile,
}

impl Matcher {
    /// Prepares a profile (normalises names, phones, places once).
    pub fn new(profile: &Profile) -> Matcher {
        Matcher {
            profile: profile.clone(),
        }
    }

    /// Cheap card-level test: worth fetching the detail page?
    pub fn plausible(&self, record: &Record) -> bool {
        self.score(record).level >= MatchLevel::Possible
    }

    /// Scores a record against the profile with an explanation.
    pub fn score(&self, record: &Record) -> MatchResult {
        let mut evidence = Vec::new();
        let name_ok = record.names.iter().any(|n| {
            self.profile.all_names().any(|p| {
                p.first.eq_ignore_ascii_case(&n.first) && p.last.eq_ignore_ascii_case(&n.last)
            })
        });
        if name_ok {
            evidence.push(Evidence {
                field: "name".into(),
                weight: 2.0,
                reason: "name matches".into(),
            });
        }
        let place_ok = record.addresses.iter().any(|a| {
            self.profile
                .all_addresses()
                .any(|p| p.city.eq_ignore_ascii_case(&a.city) && p.state == a.state)
        });
        if place_ok {
            evidence.push(Evidence {
                field: "city".into(),
                weight: 1.0,
                reason: "city matches".into(),
            });
        }
        let score: f64 = evidence.iter().map(|e| e.weight).sum();
        let level = if name_ok && place_ok {
            MatchLevel::Probable
        } else {
            MatchLevel::Rejected
        };
        MatchResult {
            score,
            level,
            evidence,
        }
    }
}
