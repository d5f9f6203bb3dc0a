//! Table tests for the matcher: the tricky listings that separate a person
//! from their namesakes. Synthetic people only (555-01xx, example.com).

use brokertrace::matching::Matcher;
use brokertrace::model::{Address, MatchLevel, PersonName, Record};
use brokertrace::profile::Profile;

const YEAR: i32 = 2026;

fn place(street: &str, city: &str, state: &str, zip: &str) -> Address {
    Address {
        street: street.into(),
        city: city.into(),
        state: state.into(),
        zip: zip.into(),
        ..Default::default()
    }
}

/// Robert Allen O'Neil, born 1984, lives in Springfield IL, used to live in
/// St. Louis MO.
fn robert() -> Profile {
    let mut p = Profile {
        birth_year: Some(1984),
        names: vec![PersonName::new("Robert", "Allen", "O'Neil")],
        addresses: vec![place("12 Oak Street", "Springfield", "Illinois", "62704")],
        past_addresses: vec![place("", "Saint Louis", "MO", "")],
        phones: vec!["(217) 555-0142".into()],
        emails: vec!["Bob.ONeil@example.com".into()],
        relatives: vec!["Mary O'Neil".into(), "Thomas O'Neil".into()],
        ..Default::default()
    };
    p.fill_defaults();
    p
}

/// Elizabeth Anne Doe, née Smith, born 1990, Portland OR, formerly Austin TX.
fn elizabeth() -> Profile {
    let mut p = Profile {
        birth_year: Some(1990),
        names: vec![PersonName::new("Elizabeth", "Anne", "Doe")],
        former_names: vec![PersonName::new("Elizabeth", "", "Smith")],
        addresses: vec![place("", "Portland", "OR", "")],
        past_addresses: vec![place("", "Austin", "TX", "")],
        ..Default::default()
    };
    p.fill_defaults();
    p
}

/// José Müller, born 1975, San José CA.
fn jose() -> Profile {
    let mut p = Profile {
        birth_year: Some(1975),
        names: vec![PersonName::new("José", "", "Müller")],
        addresses: vec![place("", "San José", "CA", "")],
        ..Default::default()
    };
    p.fill_defaults();
    p
}

/// Ana María García-López, born 1988, Miami FL.
fn ana() -> Profile {
    let mut p = Profile {
        birth_year: Some(1988),
        names: vec![PersonName::new("Ana", "María", "García-López")],
        addresses: vec![place("", "Miami", "FL", "")],
        ..Default::default()
    };
    p.fill_defaults();
    p
}

/// An Văn Nguyễn, born 1982, Albany NY ("Văn" is a middle name that parsers
/// take for the particle "van").
fn an() -> Profile {
    let mut p = Profile {
        birth_year: Some(1982),
        names: vec![PersonName::new("An", "Văn", "Nguyễn")],
        addresses: vec![place("", "Albany", "NY", "")],
        ..Default::default()
    };
    p.fill_defaults();
    p
}

struct Listing<'a> {
    names: &'a [(&'a str, &'a str, &'a str)],
    age: Option<u32>,
    places: &'a [(&'a str, &'a str, &'a str)],
    phones: &'a [&'a str],
    relatives: &'a [&'a str],
}

impl Listing<'_> {
    fn record(&self) -> Record {
        Record {
            names: self
                .names
                .iter()
                .map(|(f, m, l)| PersonName::new(f, m, l))
                .collect(),
            age: self.age,
            addresses: self
                .places
                .iter()
                .map(|(s, c, st)| place(s, c, st, ""))
                .collect(),
            phones: self.phones.iter().map(|s| s.to_string()).collect(),
            relatives: self.relatives.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }
}

const NONE: &[&str] = &[];

/// (case, profile, listing, lowest acceptable level, highest acceptable level)
type Case<'a> = (
    &'a str,
    fn() -> Profile,
    Listing<'a>,
    MatchLevel,
    MatchLevel,
);

#[test]
fn tricky_listings_get_the_right_level() {
    use MatchLevel::*;
    let cases: Vec<Case> = vec![
        (
            "the person, with their phone",
            robert,
            Listing {
                names: &[("Robert", "A", "O'Neil")],
                age: Some(42),
                places: &[("", "Springfield", "IL")],
                phones: &["+12175550142"],
                relatives: NONE,
            },
            Confirmed,
            Confirmed,
        ),
        (
            "phone written in another format",
            robert,
            Listing {
                names: &[("Robert", "", "ONeil")],
                age: None,
                places: &[],
                phones: &["217.555.0142"],
                relatives: NONE,
            },
            Confirmed,
            Confirmed,
        ),
        (
            "namesake in the same city, different age",
            robert,
            Listing {
                names: &[("Robert", "", "O'Neil")],
                age: Some(67),
                places: &[("", "Springfield", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Rejected,
        ),
        (
            "namesake in the same state with a different middle name",
            robert,
            Listing {
                names: &[("Robert", "James", "ONeil")],
                age: Some(41),
                places: &[("", "Chicago", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Rejected,
        ),
        (
            "a different middle initial with only name, age and city stays below probable",
            robert,
            Listing {
                names: &[("Robert", "Q.", "O'Neil")],
                age: Some(42),
                places: &[("", "Springfield", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Possible,
        ),
        (
            "a mistyped middle initial does not hide your street",
            robert,
            Listing {
                names: &[("Robert", "Q", "O'Neil")],
                age: Some(42),
                places: &[("12 Oak St", "Springfield", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "a mistyped middle initial with your phone is probable, not confirmed",
            robert,
            Listing {
                names: &[("Robert", "Q", "O'Neil")],
                age: Some(42),
                places: &[("", "Springfield", "IL")],
                phones: &["(217) 555-0142"],
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "a different full middle name stays a veto even with your street",
            robert,
            Listing {
                names: &[("Robert", "James", "O'Neil")],
                age: Some(42),
                places: &[("12 Oak St", "Springfield", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Rejected,
        ),
        (
            "name, age and state alone are not enough",
            robert,
            Listing {
                names: &[("Robert", "", "O'Neil")],
                age: Some(42),
                places: &[("", "Peoria", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Possible,
        ),
        (
            "name and state alone are rejected",
            robert,
            Listing {
                names: &[("Robert", "", "O'Neil")],
                age: None,
                places: &[("", "", "Illinois")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Rejected,
        ),
        (
            "name and city without age is only possible",
            robert,
            Listing {
                names: &[("Robert", "", "O'Neil")],
                age: None,
                places: &[("", "Springfield", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Possible,
            Possible,
        ),
        (
            "nickname listing",
            robert,
            Listing {
                names: &[("Bob", "", "O Neil")],
                age: Some(41),
                places: &[("", "Springfield", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "reordered name",
            robert,
            Listing {
                names: &[("O'Neil", "", "Robert")],
                age: Some(42),
                places: &[("", "Springfield", "IL")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "outdated address only",
            robert,
            Listing {
                names: &[("Robert", "Allen", "O'Neil")],
                age: Some(42),
                places: &[("", "St. Louis", "MO")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "street with a typo, relatives in common",
            robert,
            Listing {
                names: &[("Rob", "", "O'Neil")],
                age: Some(42),
                places: &[("12 Oak Stret", "Springfield", "IL")],
                phones: NONE,
                relatives: &["Mary K O'Neil", "O'Neil, Thomas"],
            },
            Confirmed,
            Confirmed,
        ),
        (
            "relatives present on both sides but none shared",
            robert,
            Listing {
                names: &[("Robert", "", "O'Neil")],
                age: None,
                places: &[("", "Springfield", "IL")],
                phones: NONE,
                relatives: &["Karen Smith", "Luis O'Neil"],
            },
            Rejected,
            Possible,
        ),
        (
            "a relative's listing sharing the phone is not confirmed",
            robert,
            Listing {
                names: &[("Robert", "", "O'Neil"), ("Robert", "", "O'Neil Sr")],
                age: Some(68),
                places: &[("", "Springfield", "IL")],
                phones: &["+12175550142"],
                relatives: NONE,
            },
            Possible,
            Possible,
        ),
        (
            "non-ASCII profile, ASCII listing",
            jose,
            Listing {
                names: &[("JOSE", "", "MULLER")],
                age: Some(51),
                places: &[("", "San Jose", "CA")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "former name with an old address",
            elizabeth,
            Listing {
                names: &[("Elizabeth", "", "Smith")],
                age: Some(36),
                places: &[("", "Austin", "TX")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "nickname of the former name, aka current name",
            elizabeth,
            Listing {
                names: &[("Liz", "", "Smith"), ("Elizabeth", "A", "Doe")],
                age: Some(35),
                places: &[("", "Portland", "OR")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Confirmed,
        ),
        (
            "a different first name is rejected",
            elizabeth,
            Listing {
                names: &[("Emily", "", "Doe")],
                age: Some(36),
                places: &[("", "Portland", "OR")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Rejected,
        ),
        (
            "middle name read as part of the last name",
            an,
            Listing {
                names: &[("An", "", "Van Nguyen")],
                age: Some(44),
                places: &[("", "Albany", "NY")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
        (
            "a particle that is not your middle name still fails the gate",
            an,
            Listing {
                names: &[("An", "", "De Nguyen")],
                age: Some(44),
                places: &[("", "Albany", "NY")],
                phones: NONE,
                relatives: NONE,
            },
            Rejected,
            Rejected,
        ),
        (
            "one part of a hyphenated last name is weak",
            ana,
            Listing {
                names: &[("Ana", "", "Garcia")],
                age: Some(38),
                places: &[("", "Miami", "FL")],
                phones: NONE,
                relatives: NONE,
            },
            Possible,
            Possible,
        ),
        (
            "full hyphenated last name without accents",
            ana,
            Listing {
                names: &[("Ana", "Maria", "Garcia Lopez")],
                age: Some(38),
                places: &[("", "Miami", "FL")],
                phones: NONE,
                relatives: NONE,
            },
            Probable,
            Probable,
        ),
    ];
    let mut failures = Vec::new();
    for (name, profile, listing, lo, hi) in cases {
        let m = Matcher::with_year(&profile(), YEAR);
        let r = m.score(&listing.record());
        if r.level < lo || r.level > hi {
            failures.push(format!(
                "{name}: got {} (score {:.1}), expected {}..={}\n  {}",
                r.level.as_str(),
                r.score,
                lo.as_str(),
                hi.as_str(),
                r.evidence
                    .iter()
                    .map(|e| e.reason.as_str())
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
        // Anything probable or better must have been worth fetching.
        if r.level >= Probable {
            assert!(m.plausible(&listing.record()), "{name}: not plausible");
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn reasons_quote_the_values_that_counted() {
    let m = Matcher::with_year(&robert(), YEAR);
    let r = m.score(&Record {
        names: vec![PersonName::new("Robert", "", "O'Neil")],
        age: Some(63),
        phones: vec!["+12175550142".into()],
        ..Default::default()
    });
    let reasons: Vec<&str> = r.evidence.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "phone +12175550142 matches your phone (+6.0)",
            "age 63 conflicts with your birth year 1984 (age 41\u{2013}42) (\u{2212}5.0)",
            "name Robert O'Neil matches your name Robert Allen O'Neil (+2.0)",
        ]
    );
    assert_eq!(r.level, MatchLevel::Possible);
    let total: f64 = r.evidence.iter().map(|e| e.weight).sum();
    assert!((r.score - total).abs() < 1e-9);
}

#[test]
fn plausible_is_permissive_on_cards_without_details() {
    let m = Matcher::with_year(&robert(), YEAR);
    let bare = Record {
        names: vec![PersonName::new("Bob", "", "O'Neil")],
        ..Default::default()
    };
    assert!(m.plausible(&bare));
    let elsewhere = Record {
        addresses: vec![place("", "Boise", "ID", "")],
        ..bare.clone()
    };
    assert!(m.plausible(&elsewhere));
    let namesake = Record {
        names: vec![PersonName::new("Roberta", "", "O'Neil")],
        ..Default::default()
    };
    assert!(!m.plausible(&namesake));
    // A different middle initial may be a typo: fetch the details and let
    // street, phone and relatives decide. A different full middle name may not.
    let initial = Record {
        names: vec![PersonName::new("Robert", "Q", "O'Neil")],
        ..Default::default()
    };
    assert!(m.plausible(&initial));
    let middle = Record {
        names: vec![PersonName::new("Robert", "James", "O'Neil")],
        ..Default::default()
    };
    assert!(!m.plausible(&middle));
}
