//! The brokers: who they are, who copies whom, and the records each holds.
//!
//! Roots build their records from the population with their own errors (a
//! typo'd street, a wrong middle initial, an old phone, only a past
//! address). Copiers start from their parent's records, errors included, and
//! add only mild noise of their own (dropping values), so a distinctive error
//! always points back to the root it came from.

use crate::model::{Address, PersonName};
use crate::profile::slug;

use super::population::{DEMO, Dice, Person};

/// How a broker's pages look; each broker has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Short cards with classes, linking to a detail page.
    Cards,
    /// A results table, one row per person.
    Table,
    /// Definition lists.
    DefList,
    /// schema.org JSON-LD in each result plus visible text.
    JsonLd,
    /// schema.org microdata.
    Microdata,
    /// Labelled paragraphs, short cards linking to a detail report.
    Labels,
    /// One text line per entry with separators.
    Lines,
    /// Rows carrying their values in `data-*` attributes.
    DataAttrs,
}

/// A broker's fixed description.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BrokerSpec {
    /// Source id and host ("peoplefind.test").
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    pub style: Style,
    /// Broker whose records this one copies.
    pub copies: Option<&'static str>,
    /// Share of the population (roots) or of the parent's records (copiers).
    pub coverage: f64,
    /// Results per page; `None` shows every result on one page.
    pub page_size: Option<usize>,
    /// Shows names without diacritics.
    pub ascii: bool,
    /// Phone format (see `format_phone`).
    pub phone_style: usize,
}

/// Every broker, parents before the brokers that copy them.
pub(crate) const BROKERS: [BrokerSpec; 8] = [
    BrokerSpec {
        id: "peoplefind.test",
        name: "PeopleFind",
        style: Style::Cards,
        copies: None,
        coverage: 0.75,
        page_size: Some(5),
        ascii: false,
        phone_style: 0,
    },
    BrokerSpec {
        id: "findpeoplefast.test",
        name: "FindPeopleFast",
        style: Style::Table,
        copies: Some("peoplefind.test"),
        coverage: 0.85,
        page_size: None,
        ascii: true,
        phone_style: 1,
    },
    BrokerSpec {
        id: "recordsmirror.test",
        name: "RecordsMirror",
        style: Style::DefList,
        copies: Some("findpeoplefast.test"),
        coverage: 0.85,
        page_size: Some(8),
        ascii: false,
        phone_style: 3,
    },
    BrokerSpec {
        id: "truepeoplerecords.test",
        name: "TruePeopleRecords",
        style: Style::JsonLd,
        copies: None,
        coverage: 0.7,
        page_size: Some(6),
        ascii: false,
        phone_style: 2,
    },
    BrokerSpec {
        id: "lookupdirect.test",
        name: "LookupDirect",
        style: Style::Microdata,
        copies: Some("truepeoplerecords.test"),
        coverage: 0.85,
        page_size: None,
        ascii: true,
        phone_style: 0,
    },
    BrokerSpec {
        id: "addresshistory.test",
        name: "AddressHistory",
        style: Style::Labels,
        copies: None,
        coverage: 0.5,
        page_size: Some(5),
        ascii: false,
        phone_style: 2,
    },
    BrokerSpec {
        id: "phonebookplus.test",
        name: "PhonebookPlus",
        style: Style::Lines,
        copies: None,
        coverage: 0.45,
        page_size: None,
        ascii: true,
        phone_style: 1,
    },
    BrokerSpec {
        id: "namesearchpro.test",
        name: "NameSearchPro",
        style: Style::DataAttrs,
        copies: None,
        coverage: 0.5,
        page_size: Some(10),
        ascii: false,
        phone_style: 0,
    },
];

/// One record on one broker.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    /// Index of the person in the population.
    pub person: usize,
    /// The broker's own identifier of the record.
    pub code: String,
    /// Name as displayed (may be a nickname, initial or wrong initial).
    pub name: PersonName,
    /// Other names shown ("also known as").
    pub akas: Vec<PersonName>,
    pub birth_year: i32,
    /// Current first when the broker knows it; may hold only a past address.
    pub addresses: Vec<Address>,
    /// Phones as 10 digits.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub relatives: Vec<String>,
    /// (first, last) slugs the broker's search finds this record under.
    pub keys: Vec<(String, String)>,
}

impl Listing {
    /// Whether a search for `who` (a slug, "first-last" or with
    /// `last_first` "last-first") in this place finds the record.
    pub(crate) fn hit(
        &self,
        who: &str,
        last_first: bool,
        state: Option<&str>,
        city: Option<&str>,
    ) -> bool {
        self.keys.iter().any(|(f, l)| {
            let key = if last_first {
                format!("{l}-{f}")
            } else {
                format!("{f}-{l}")
            };
            key == who
        }) && self.addresses.iter().any(|a| {
            state.is_none_or(|s| a.state.eq_ignore_ascii_case(s))
                && city.is_none_or(|c| slug(&a.city) == slug(c))
        })
    }
}

/// A broker with its records, sorted by code (so result order looks random).
#[derive(Debug)]
pub(crate) struct Broker {
    pub spec: BrokerSpec,
    pub listings: Vec<Listing>,
}

impl Broker {
    /// The record with this code.
    pub(crate) fn by_code(&self, code: &str) -> Option<&Listing> {
        self.listings
            .binary_search_by(|l| l.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.listings[i])
    }
}

/// Builds every broker's records from the population.
pub(crate) fn build(seed: u64, people: &[Person]) -> Vec<Broker> {
    let mut out: Vec<Broker> = Vec::new();
    for (i, spec) in BROKERS.iter().enumerate() {
        let mut d = Dice::new(seed, 100 + i as u64);
        let mut listings: Vec<Listing> = match spec.copies {
            None => people
                .iter()
                .enumerate()
                .filter_map(|(pi, p)| {
                    let listed = d.chance(spec.coverage);
                    let mut l = root_listing(&mut d, pi, p);
                    let listed = match demo_variant(spec.id, pi) {
                        Some(v) => {
                            v(&mut l, p);
                            true
                        }
                        None if pi == DEMO => false,
                        None => listed,
                    };
                    listed.then_some(l)
                })
                .collect(),
            Some(parent) => {
                let parent = out
                    .iter()
                    .find(|b| b.spec.id == parent)
                    .expect("parents are built before the brokers that copy them");
                parent
                    .listings
                    .iter()
                    .filter_map(|l| {
                        let keep = d.chance(spec.coverage) || l.person == DEMO;
                        let copy = copy_listing(&mut d, l);
                        keep.then_some(copy)
                    })
                    .collect()
            }
        };
        for l in &mut listings {
            l.code = code(spec.id, &people[l.person].id);
            l.keys = keys(l, &people[l.person]);
        }
        listings.sort_by(|a, b| a.code.cmp(&b.code));
        listings.dedup_by(|a, b| a.code == b.code);
        out.push(Broker {
            spec: *spec,
            listings,
        });
    }
    out
}

/// A stable record id per broker and person (FNV-1a; no randomness, so
/// adding a broker never renumbers another's records).
fn code(broker: &str, person: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in broker.bytes().chain([0]).chain(person.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
}

fn keys(l: &Listing, p: &Person) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let names = std::iter::once(&p.name)
        .chain(p.former.iter())
        .chain(std::iter::once(&l.name))
        .chain(l.akas.iter());
    for n in names {
        let k = (slug(&n.first), slug(&n.last));
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// A record built from the truth with the root's own errors.
fn root_listing(d: &mut Dice, pi: usize, p: &Person) -> Listing {
    let mut name = p.name.clone();
    let mut akas = Vec::new();
    let r = d.below(100);
    name.middle = match r {
        _ if p.name.middle.is_empty() => String::new(),
        0..=49 => p.name.middle.clone(),
        50..=84 => initial(&p.name.middle),
        85..=93 => String::new(),
        // A wrong middle initial: distinctive, and copied downstream.
        _ => wrong_initial(d, &p.name.middle),
    };
    if d.chance(0.3) {
        name.suffix.clear();
    }
    if !p.nicknames.is_empty() && d.chance(0.12) {
        name.first = d.pick(&p.nicknames).clone();
        if d.chance(0.5) {
            akas.push(p.name.clone());
        }
    }
    if let Some(f) = &p.former
        && d.chance(0.7)
    {
        akas.push(f.clone());
    }
    let birth_year = if d.chance(0.07) {
        p.birth_year + if d.chance(0.5) { 1 } else { -1 }
    } else {
        p.birth_year
    };
    let mut addresses = Vec::new();
    if !p.past.is_empty() && d.chance(0.12) {
        // Outdated: the broker never learnt about the move.
        addresses.push(p.past[0].clone());
    } else {
        addresses.push(p.address.clone());
        for a in &p.past {
            if d.chance(0.7) {
                addresses.push(a.clone());
            }
        }
    }
    if d.chance(0.1) {
        addresses[0].street = typo(d, &addresses[0].street);
    }
    let mut phones: Vec<String> = p
        .phones
        .iter()
        .filter(|_| d.chance(0.85))
        .cloned()
        .collect();
    if let Some(old) = &p.old_phone
        && d.chance(0.3)
    {
        phones.push(old.clone());
    }
    let emails = if d.chance(0.5) {
        p.emails.clone()
    } else {
        Vec::new()
    };
    let relatives = p
        .relatives
        .iter()
        .filter(|_| d.chance(0.8))
        .cloned()
        .collect();
    Listing {
        person: pi,
        code: String::new(),
        name,
        akas,
        birth_year,
        addresses,
        phones,
        emails,
        relatives,
        keys: Vec::new(),
    }
}

/// A copy of a parent's record: errors kept, some values dropped.
fn copy_listing(d: &mut Dice, l: &Listing) -> Listing {
    let mut c = l.clone();
    if c.relatives.len() > 1 && d.chance(0.15) {
        c.relatives.pop();
    }
    if d.chance(0.15) {
        c.emails.clear();
    }
    if c.name.middle.chars().count() > 1 && d.chance(0.1) {
        c.name.middle = initial(&c.name.middle);
    }
    if c.phones.len() > 1 && d.chance(0.1) {
        c.phones.remove(0);
    }
    if c.addresses.len() > 2 && d.chance(0.2) {
        c.addresses.pop();
    }
    c
}

fn initial(middle: &str) -> String {
    middle.chars().next().map(String::from).unwrap_or_default()
}

fn wrong_initial(d: &mut Dice, middle: &str) -> String {
    let real = middle.chars().next().unwrap_or('A');
    loop {
        let c = (b'A' + d.below(26) as u8) as char;
        if c != real {
            return c.to_string();
        }
    }
}

/// Misspells the street name (second word): swap two letters or drop one.
pub(crate) fn typo(d: &mut Dice, street: &str) -> String {
    let mut words: Vec<String> = street.split(' ').map(str::to_string).collect();
    let Some(w) = words.get_mut(1) else {
        return format!("{street}e");
    };
    let mut chars: Vec<char> = w.chars().collect();
    if chars.len() < 3 {
        chars.push(chars[chars.len() - 1]);
    } else {
        let i = 1 + d.below(chars.len() - 2);
        if d.chance(0.5) && chars[i] != chars[i + 1] {
            chars.swap(i, i + 1);
        } else {
            chars.remove(i);
        }
    }
    *w = chars.into_iter().collect();
    words.join(" ")
}

/// How the demo person appears on each root broker (copiers follow their
/// parent); `None` for a root means not listed there.
type DemoFix = fn(&mut Listing, &Person);

fn demo_variant(broker: &str, person: usize) -> Option<DemoFix> {
    if person != DEMO {
        return None;
    }
    match broker {
        // Correct and complete.
        "peoplefind.test" => Some(|l, p| {
            l.name = p.name.clone();
            l.akas = p.former.iter().cloned().collect();
            l.birth_year = p.birth_year;
            l.addresses = std::iter::once(p.address.clone())
                .chain(p.past.iter().cloned())
                .collect();
            l.phones = p.phones.clone();
            l.emails = p.emails.clone();
            l.relatives = p.relatives.clone();
        }),
        // Only the outdated Oakland address and the disconnected number.
        "truepeoplerecords.test" => Some(|l, p| {
            l.name = p.name.clone();
            l.name.middle = "A".into();
            l.akas.clear();
            l.birth_year = p.birth_year;
            l.addresses = vec![p.past[0].clone()];
            l.phones = p.old_phone.iter().chain(p.phones.get(1)).cloned().collect();
            l.relatives = p.relatives.clone();
        }),
        // Under the nickname.
        "addresshistory.test" => Some(|l, p| {
            l.name = p.name.clone();
            l.name.first = "Liz".into();
            l.name.middle = "A".into();
            l.akas.clear();
            l.birth_year = p.birth_year;
            l.addresses = vec![p.address.clone(), p.past[0].clone()];
            l.phones = p.phones[..1].to_vec();
        }),
        // A typo'd street.
        "namesearchpro.test" => Some(|l, p| {
            l.name = p.name.clone();
            l.name.middle = "A".into();
            l.birth_year = p.birth_year;
            l.addresses = vec![p.address.clone()];
            l.addresses[0].street = "2150 Valnecia St Apt 4".into();
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_change_only_the_street_name() {
        let mut d = Dice::new(1, 1);
        for _ in 0..50 {
            let t = typo(&mut d, "2150 Valencia St Apt 4");
            assert_ne!(t, "2150 Valencia St Apt 4");
            assert!(t.starts_with("2150 V") && t.ends_with(" St Apt 4"), "{t}");
        }
    }

    #[test]
    fn codes_are_stable_and_distinct() {
        assert_eq!(code("a.test", "p0001"), code("a.test", "p0001"));
        assert_ne!(code("a.test", "p0001"), code("b.test", "p0001"));
    }
}
