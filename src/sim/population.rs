//! The seeded synthetic population: people with namesakes, nicknames,
//! suffixes, non-ASCII names, moves, phones and relatives.
//!
//! Every value is invented: phones are 555-01xx numbers, e-mails live on
//! example.com/.net/.org, and names come from small built-in lists.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{Address, PersonName};
use crate::profile::Profile;

/// Deterministic dice over ChaCha8; every random choice of the network goes
/// through one of these so a seed fixes the whole network.
pub(crate) struct Dice(ChaCha8Rng);

impl Dice {
    pub(crate) fn new(seed: u64, stream: u64) -> Dice {
        // Separate streams keep one broker's choices from shifting another's
        // when the population size changes.
        Dice(ChaCha8Rng::seed_from_u64(
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ stream,
        ))
    }

    /// 0..n (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n.max(1))
    }

    /// lo..=hi.
    pub(crate) fn between(&mut self, lo: i32, hi: i32) -> i32 {
        self.0.random_range(lo..=hi)
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p.clamp(0.0, 1.0))
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A synthetic person with everything brokers might know about them,
/// including facts the person would not write in a profile (an old phone).
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: String,
    pub name: PersonName,
    pub former: Option<PersonName>,
    pub nicknames: Vec<String>,
    pub birth_year: i32,
    pub address: Address,
    pub past: Vec<Address>,
    /// Current phones as 10 digits.
    pub phones: Vec<String>,
    /// A disconnected number brokers still show; not in the profile.
    pub old_phone: Option<String>,
    pub emails: Vec<String>,
    pub relatives: Vec<String>,
}

impl Person {
    /// What the person would write about themselves.
    pub(crate) fn profile(&self) -> Profile {
        Profile {
            id: self.id.clone(),
            jurisdiction: format!("US-{}", self.address.state),
            birth_year: Some(self.birth_year),
            birth_date: None,
            nicknames: self.nicknames.clone(),
            phones: self.phones.iter().map(|p| format_phone(p, 0)).collect(),
            emails: self.emails.clone(),
            usernames: Vec::new(),
            relatives: self.relatives.clone(),
            names: vec![self.name.clone()],
            former_names: self.former.iter().cloned().collect(),
            addresses: vec![self.address.clone()],
            past_addresses: self.past.clone(),
        }
    }
}

/// Formats 10 digits in one of the styles brokers use.
pub(crate) fn format_phone(d: &str, style: usize) -> String {
    let (a, b, c) = (&d[..3], &d[3..6], &d[6..]);
    match style % 5 {
        0 => format!("({a}) {b}-{c}"),
        1 => format!("{a}.{b}.{c}"),
        2 => format!("+1 {a}-{b}-{c}"),
        3 => format!("{a}-{b}-{c}"),
        _ => format!("+1{a}{b}{c}"),
    }
}

/// (first name, nicknames, female).
const FIRSTS: &[(&str, &[&str], bool)] = &[
    ("Robert", &["Bob", "Rob"], false),
    ("William", &["Bill", "Will"], false),
    ("Elizabeth", &["Liz", "Beth"], true),
    ("Katherine", &["Kate", "Katie"], true),
    ("Michael", &["Mike"], false),
    ("James", &["Jim", "Jimmy"], false),
    ("Jennifer", &["Jen"], true),
    ("Margaret", &["Peggy", "Maggie"], true),
    ("Richard", &["Rick", "Dick"], false),
    ("Thomas", &["Tom"], false),
    ("Christopher", &["Chris"], false),
    ("Joseph", &["Joe"], false),
    ("Daniel", &["Dan"], false),
    ("Patricia", &["Pat", "Trish"], true),
    ("Susan", &["Sue"], true),
    ("Anthony", &["Tony"], false),
    ("Alexander", &["Alex"], false),
    ("Rebecca", &["Becky"], true),
    ("Jonathan", &["Jon"], false),
    ("Samantha", &["Sam"], true),
    ("David", &["Dave"], false),
    ("Andrew", &["Andy"], false),
    ("Maria", &[], true),
    ("Linda", &[], true),
    ("Karen", &[], true),
    ("Sarah", &[], true),
    ("Laura", &[], true),
    ("Emily", &[], true),
    ("Kevin", &[], false),
    ("Brian", &[], false),
    ("Steven", &["Steve"], false),
    ("Angela", &["Angie"], true),
];

const NON_ASCII_FIRSTS: &[(&str, bool)] = &[
    ("José", false),
    ("Zoë", true),
    ("François", false),
    ("Chloé", true),
    ("Raúl", false),
    ("Søren", false),
    ("Renée", true),
    ("Björn", false),
];

const LASTS: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Carter",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Hill", "Green",
    "Baker", "Nelson", "Morgan", "Reed", "Cooper", "Bailey", "O'Neil", "McDonald",
];

const NON_ASCII_LASTS: &[&str] = &[
    "Núñez",
    "Müller",
    "Peña",
    "Lefèvre",
    "Østergaard",
    "Ångström",
    "Dubois",
    "Gómez",
    "Nguyễn",
];

const MIDDLES: &[&str] = &[
    "Anne", "Marie", "Lynn", "Rose", "Jean", "Grace", "Louise", "James", "Lee", "Ray", "Allen",
    "Paul", "Edward", "Scott", "Wayne", "Dean", "Quinn", "Joy", "Claire", "Thomas",
];

/// (state, [(city, zip base, area codes)]).
type City = (&'static str, u32, &'static [&'static str]);
const PLACES: &[(&str, &[City])] = &[
    (
        "CA",
        &[
            ("San Francisco", 94110, &["415"]),
            ("Oakland", 94610, &["510"]),
            ("San Diego", 92101, &["619"]),
            ("Los Angeles", 90012, &["213", "323"]),
            ("San José", 95112, &["408"]),
        ],
    ),
    (
        "TX",
        &[
            ("Austin", 78701, &["512"]),
            ("Houston", 77002, &["713"]),
            ("El Paso", 79901, &["915"]),
        ],
    ),
    (
        "NY",
        &[
            ("New York", 10001, &["212", "646"]),
            ("Buffalo", 14201, &["716"]),
            ("Albany", 12203, &["518"]),
        ],
    ),
    (
        "FL",
        &[
            ("Miami", 33101, &["305"]),
            ("Tampa", 33602, &["813"]),
            ("Orlando", 32801, &["407"]),
        ],
    ),
    (
        "IL",
        &[
            ("Chicago", 60601, &["312", "773"]),
            ("Springfield", 62701, &["217"]),
        ],
    ),
    (
        "WA",
        &[("Seattle", 98101, &["206"]), ("Spokane", 99201, &["509"])],
    ),
    (
        "OH",
        &[
            ("Columbus", 43004, &["614"]),
            ("Cleveland", 44101, &["216"]),
        ],
    ),
    (
        "GA",
        &[("Atlanta", 30301, &["404"]), ("Savannah", 31401, &["912"])],
    ),
    (
        "MA",
        &[("Boston", 2108, &["617"]), ("Worcester", 1601, &["508"])],
    ),
    (
        "AZ",
        &[("Phoenix", 85001, &["602"]), ("Tucson", 85701, &["520"])],
    ),
];

const STREETS: &[&str] = &[
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Valencia",
    "Lincoln",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "Franklin",
    "Highland",
    "Jefferson",
    "Madison",
    "Willow",
    "Chestnut",
    "Grand",
    "Mission",
    "Juniper",
    "Sycamore",
    "Magnolia",
    "Harbor",
];
const STREET_KINDS: &[&str] = &["St", "Ave", "Blvd", "Rd", "Ln", "Dr", "Ct", "Way"];
const DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];

/// Allocates unique 555-01xx phone numbers per area code.
struct Phones {
    used: std::collections::HashSet<String>,
}

impl Phones {
    fn take(&mut self, d: &mut Dice, areas: &[&str]) -> String {
        for _ in 0..400 {
            let area = d.pick(areas);
            let n = format!("{area}55501{:02}", d.below(100));
            if self.used.insert(n.clone()) {
                return n;
            }
        }
        // The local pool is exhausted: fall back to any area code of the list.
        loop {
            let (_, cities) = d.pick(PLACES);
            let (_, _, areas) = d.pick(cities);
            let n = format!("{}55501{:02}", d.pick(areas), d.below(100));
            if self.used.insert(n.clone()) {
                return n;
            }
        }
    }
}

struct Gen {
    d: Dice,
    phones: Phones,
    people: Vec<Person>,
    emails: std::collections::HashSet<String>,
}

/// Where a new person should live.
#[derive(Clone, Copy)]
enum Home {
    Anywhere,
    State(&'static str),
    City(&'static str, usize),
}

fn cities_of(state: &str) -> &'static [City] {
    PLACES
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, c)| *c)
        .unwrap_or(PLACES[0].1)
}

fn address_in(d: &mut Dice, state: &'static str, city: usize) -> Address {
    let (name, zip, _) = cities_of(state)[city];
    let mut street = format!(
        "{} {} {}",
        d.between(10, 9899),
        d.pick(STREETS),
        d.pick(STREET_KINDS)
    );
    if d.chance(0.25) {
        street.push_str(&format!(" Apt {}", d.between(1, 40)));
    }
    Address {
        street,
        city: name.to_string(),
        state: state.to_string(),
        zip: format!("{:05}", zip + d.below(30) as u32),
        country: "US".into(),
    }
}

fn random_place(d: &mut Dice) -> (&'static str, usize) {
    let (state, cities) = d.pick(PLACES);
    (state, d.below(cities.len()))
}

impl Gen {
    fn first(&mut self, female: Option<bool>) -> (String, Vec<String>, bool) {
        loop {
            let (f, nicks, fem) = *self.d.pick(FIRSTS);
            if female.is_none_or(|x| x == fem) {
                return (
                    f.to_string(),
                    nicks.iter().map(|s| s.to_string()).collect(),
                    fem,
                );
            }
        }
    }

    fn email(&mut self, name: &PersonName) -> String {
        let base = crate::profile::slug(&format!("{} {}", name.first, name.last)).replace('-', ".");
        let domain = *self.d.pick(DOMAINS);
        let mut candidate = format!("{base}@{domain}");
        let mut n = 2;
        while !self.emails.insert(candidate.clone()) {
            candidate = format!("{base}{n}@{domain}");
            n += 1;
        }
        candidate
    }

    /// Adds one person; returns its index.
    fn person(
        &mut self,
        first: (String, Vec<String>, bool),
        last: &str,
        home: Home,
        born: Option<i32>,
    ) -> usize {
        let d = &mut self.d;
        let (first, nicknames, female) = first;
        let middle = if d.chance(0.85) {
            d.pick(MIDDLES).to_string()
        } else {
            String::new()
        };
        let birth_year = born.unwrap_or_else(|| d.between(1945, 2002));
        let (state, city) = match home {
            Home::Anywhere => random_place(d),
            Home::State(s) => (s, d.below(cities_of(s).len())),
            Home::City(s, c) => (s, c),
        };
        let address = address_in(d, state, city);
        let mut past = Vec::new();
        for _ in 0..d.below(3) {
            let (s, c) = if d.chance(0.5) {
                (state, d.below(cities_of(state).len()))
            } else {
                random_place(d)
            };
            past.push(address_in(d, s, c));
        }
        let name = PersonName::new(&first, &middle, last);
        let former = (female && d.chance(0.3)).then(|| {
            let maiden = *d.pick(LASTS);
            PersonName::new(&first, &middle, maiden)
        });
        let mut relatives = Vec::new();
        for _ in 0..d.between(1, 4) {
            let (f, _, _) = *d.pick(FIRSTS);
            let l = match &former {
                Some(m) if d.chance(0.4) => m.last.clone(),
                _ => last.to_string(),
            };
            let r = format!("{f} {l}");
            if r != format!("{first} {last}") && !relatives.contains(&r) {
                relatives.push(r);
            }
        }
        let areas = cities_of(state)[city].2;
        let n_phones = if d.chance(0.35) { 2 } else { 1 };
        let mut phones = Vec::new();
        for _ in 0..n_phones {
            let p = self.phones.take(&mut self.d, areas);
            phones.push(p);
        }
        let old_phone = if self.d.chance(0.5) {
            let p = self.phones.take(&mut self.d, areas);
            Some(p)
        } else {
            None
        };
        let mut emails = Vec::new();
        if self.d.chance(0.85) {
            emails.push(self.email(&name));
        }
        let id = format!("p{:04}", self.people.len());
        self.people.push(Person {
            id,
            name,
            former,
            nicknames,
            birth_year,
            address,
            past,
            phones,
            old_phone,
            emails,
            relatives,
        });
        self.people.len() - 1
    }
}

/// Index of the demo person in the population.
pub(crate) const DEMO: usize = 0;

/// Builds the population: the demo person and their namesakes first, then
/// namesake clusters, father/son pairs, non-ASCII names and random people.
pub(crate) fn generate(seed: u64, size: usize) -> Vec<Person> {
    let mut g = Gen {
        d: Dice::new(seed, 1),
        phones: Phones {
            used: Default::default(),
        },
        people: Vec::new(),
        emails: Default::default(),
    };
    demo_cluster(&mut g);
    let size = size.max(g.people.len());
    let budget = size - g.people.len();

    // Namesake clusters: same first + last, most in one state, some in one city.
    let mut clusters = budget / 12;
    while clusters > 0 && g.people.len() + 6 <= size {
        clusters -= 1;
        let first = g.first(None);
        let last = if g.d.chance(0.15) {
            *g.d.pick(NON_ASCII_LASTS)
        } else {
            *g.d.pick(LASTS)
        };
        let (state, city) = random_place(&mut g.d);
        let n = g.d.between(2, 5);
        for i in 0..n {
            let home = if i == 0 || g.d.chance(0.3) {
                Home::City(state, city)
            } else if g.d.chance(0.6) {
                Home::State(state)
            } else {
                Home::Anywhere
            };
            g.person(first.clone(), last, home, None);
        }
    }

    // Fathers and sons with the same name in the same city (Jr, III).
    let mut pairs = budget / 30;
    while pairs > 0 && g.people.len() + 2 <= size {
        pairs -= 1;
        let first = g.first(Some(false));
        let last = *g.d.pick(LASTS);
        let (state, city) = random_place(&mut g.d);
        let dad_year = g.d.between(1948, 1965);
        let dad = g.person(first.clone(), last, Home::City(state, city), Some(dad_year));
        let son_year = dad_year + g.d.between(24, 34);
        let son = g.person(first, last, Home::City(state, city), Some(son_year));
        let suffix = if g.d.chance(0.75) { "Jr" } else { "III" };
        g.people[son].name.suffix = suffix.to_string();
        let dad_name = format!("{} {}", g.people[dad].name.first, g.people[dad].name.last);
        let son_name = format!("{} {} {suffix}", g.people[son].name.first, last);
        g.people[son].relatives.insert(0, dad_name);
        g.people[dad].relatives.insert(0, son_name);
    }

    // Vietnamese names: family name first in speech, stored as first/middle/last.
    let mut vietnamese = budget / 40;
    while vietnamese > 0 && g.people.len() < size {
        vietnamese -= 1;
        let given = *g.d.pick(&["An", "Minh", "Lan", "Huong", "Tuan"]);
        let female = matches!(given, "Lan" | "Huong");
        let i = g.person(
            (given.to_string(), vec![], female),
            "Nguyễn",
            Home::Anywhere,
            None,
        );
        g.people[i].name.middle = if female { "Thị" } else { "Văn" }.to_string();
        g.people[i].former = None;
    }

    while g.people.len() < size {
        let first = if g.d.chance(0.08) {
            let (f, fem) = *g.d.pick(NON_ASCII_FIRSTS);
            (f.to_string(), vec![], fem)
        } else {
            g.first(None)
        };
        let last = if g.d.chance(0.1) {
            *g.d.pick(NON_ASCII_LASTS)
        } else {
            *g.d.pick(LASTS)
        };
        g.person(first, last, Home::Anywhere, None);
    }
    g.people
}

/// The demo person (index [`DEMO`]) and five namesakes: two in California
/// (one in the same city), the rest elsewhere; plus a José Núñez cluster.
fn demo_cluster(g: &mut Gen) {
    let liz = || {
        (
            "Elizabeth".to_string(),
            vec!["Liz".to_string(), "Beth".to_string()],
            true,
        )
    };
    let i = g.person(liz(), "Carter", Home::City("CA", 0), Some(1984));
    let p = &mut g.people[i];
    p.id = "elizabeth-anne-carter".into();
    p.name.middle = "Anne".into();
    p.former = Some(PersonName::new("Elizabeth", "Anne", "Morgan"));
    p.address = Address {
        street: "2150 Valencia St Apt 4".into(),
        city: "San Francisco".into(),
        state: "CA".into(),
        zip: "94110".into(),
        country: "US".into(),
    };
    p.past = vec![
        Address {
            street: "88 Grand Ave".into(),
            city: "Oakland".into(),
            state: "CA".into(),
            zip: "94612".into(),
            country: "US".into(),
        },
        Address {
            street: "1412 W Lake St".into(),
            city: "Chicago".into(),
            state: "IL".into(),
            zip: "60607".into(),
            country: "US".into(),
        },
    ];
    p.phones = vec!["4155550142".into(), "5105550187".into()];
    p.old_phone = Some("4155550199".into());
    p.emails = vec!["liz.carter@example.com".into()];
    p.relatives = vec!["Michael Carter".into(), "Susan Morgan".into()];
    for n in ["4155550142", "5105550187", "4155550199"] {
        g.phones.used.insert(n.to_string());
    }
    g.emails.insert("liz.carter@example.com".into());
    let namesakes: [(Home, i32, &str); 5] = [
        (Home::City("CA", 0), 1961, "Marie"),
        (Home::City("CA", 2), 1990, "Rose"),
        (Home::State("TX"), 1984, "Anne"),
        (Home::City("IL", 0), 1979, "Jean"),
        (Home::State("NY"), 1952, ""),
    ];
    for (home, born, middle) in namesakes {
        let j = g.person(liz(), "Carter", home, Some(born));
        g.people[j].name.middle = middle.to_string();
        if let Some(f) = &mut g.people[j].former {
            f.middle = middle.to_string();
        }
    }
    for home in [Home::City("CA", 4), Home::City("CA", 4), Home::State("TX")] {
        g.person(
            ("José".into(), vec!["Pepe".into()], false),
            "Núñez",
            home,
            None,
        );
    }
}
