//! Extraction: one test per markup style (class-marked cards, table rows,
//! definition lists, JSON-LD, microdata), pagination and no-results pages,
//! every selector of the real DuckDuckGo PIR recipes compiling, and
//! property tests for the typed parsers.

use brokertrace::extract::parse;
use brokertrace::extract::select::Sel;
use brokertrace::extract::{Card, Extractor, ResultsPage};
use brokertrace::model::{Address, PersonName, Record};
use brokertrace::sources::{SourceDef, load_file};
use proptest::prelude::*;
use url::Url;

use crate::common::fixture;

fn extractor(name: &str) -> Extractor {
    let def: SourceDef = load_file(&fixture(&format!("extract/{name}.toml")))
        .unwrap_or_else(|e| panic!("fixture {name}.toml: {e}"));
    Extractor::new(&def).unwrap_or_else(|e| panic!("fixture {name}.toml: {e:?}"))
}

fn page(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("extract/{name}"))).expect("fixture exists")
}

fn cards(ex: &Extractor, html: &str, url: &str) -> (Vec<Card>, Option<String>) {
    match ex.results(html, &Url::parse(url).unwrap()) {
        ResultsPage::Results { cards, next_page } => (cards, next_page),
        other => panic!("expected results, got {other:?}"),
    }
}

fn name(first: &str, middle: &str, last: &str) -> PersonName {
    PersonName::new(first, middle, last)
}

fn addr(street: &str, city: &str, state: &str, zip: &str) -> Address {
    Address {
        street: street.into(),
        city: city.into(),
        state: state.into(),
        zip: zip.into(),
        country: "US".into(),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn cards_marked_with_classes() {
    let ex = extractor("cards");
    let (cards, next) = cards(
        &ex,
        &page("cards.html"),
        "https://cards.example/name/jane-doe",
    );
    assert_eq!(
        next.as_deref(),
        Some("https://cards.example/name/jane-doe?page=2")
    );
    assert_eq!(cards.len(), 2);
    let jane = &cards[0];
    assert_eq!(
        jane.detail_url.as_deref(),
        Some("https://cards.example/person/jane-q-doe-1")
    );
    let want = Record {
        names: vec![
            name("Jane", "Q", "Doe"),
            name("Janie", "", "Doe"),
            name("Jane", "", "Smith"),
        ],
        age: Some(42),
        addresses: vec![
            // Full addresses (field `addresses`) come before `city_state` lines.
            addr("12 Oak St Apt 3", "Austin", "TX", "78701"),
            addr("9 Elm Ave", "Dallas", "TX", "75201-1234"),
            addr("", "Austin", "TX", ""),
        ],
        phones: strings(&["+15125550142", "+15125550143"]),
        emails: strings(&["jane.doe@example.com"]),
        relatives: strings(&["John Doe", "Mary Doe"]),
        usernames: strings(&["janedoe84"]),
        profile_url: Some("https://cards.example/person/jane-q-doe-1".into()),
        ..Record::default()
    };
    assert_eq!(jane.record, want);
    let other = &cards[1].record;
    assert_eq!(other.names, [name("Jane", "", "Doe")]);
    assert_eq!(other.age, Some(67));
    assert_eq!(other.addresses, [addr("", "Portland", "OR", "")]);
    assert!(other.relatives.is_empty() && other.phones.is_empty());
}

#[test]
fn no_results_and_unrecognised_pages() {
    let ex = extractor("cards");
    let url = Url::parse("https://cards.example/name/zed-nobody").unwrap();
    assert_eq!(
        ex.results(&page("cards-empty.html"), &url),
        ResultsPage::NoResults
    );
    // A layout the selectors do not know is never reported as "no results".
    assert_eq!(
        ex.results(&page("changed-layout.html"), &url),
        ResultsPage::Unrecognised
    );
    assert_eq!(ex.results("", &url), ResultsPage::Unrecognised);
    let table = extractor("table");
    assert_eq!(
        table.results(&page("table-empty.html"), &url),
        ResultsPage::NoResults
    );
}

#[test]
fn table_rows_with_xpath() {
    let ex = extractor("table");
    let (cards, next) = cards(
        &ex,
        &page("table.html"),
        "https://table.example/search?fn=r&ln=s",
    );
    assert_eq!(next.as_deref(), Some("https://table.example/search?page=2"));
    assert_eq!(cards.len(), 2, "the header row is skipped");
    let bob = &cards[0];
    let mut want_name = name("Robert", "J", "Smith");
    want_name.suffix = "Jr".into();
    assert_eq!(bob.record.names, [want_name]);
    assert_eq!(bob.record.age, Some(42));
    assert_eq!(
        bob.record.addresses,
        [
            addr("", "Springfield", "IL", ""),
            addr("", "Columbus", "OH", "")
        ]
    );
    assert_eq!(
        bob.record.phones,
        strings(&["+12175550101", "+16145550102"])
    );
    // The template builds the profile URL; the detail link is resolved.
    assert_eq!(
        bob.record.profile_url.as_deref(),
        Some("https://table.example/p/100")
    );
    assert_eq!(
        bob.detail_url.as_deref(),
        Some("https://table.example/p/100")
    );
    let mary = &cards[1].record;
    assert_eq!(mary.names, [name("Mary", "Ann", "van der Berg")]);
    assert_eq!(mary.age, Some(38));
    assert!(mary.phones.is_empty(), "\"not listed\" is not a phone");
}

#[test]
fn definition_lists() {
    let ex = extractor("dl");
    let (cards, next) = cards(&ex, &page("dl.html"), "https://dl.example/jose-nunez");
    assert_eq!(next, None);
    let r = &cards[0].record;
    assert_eq!(
        r.names,
        [
            name("José", "", "Núñez-García"),
            name("Jose", "", "Nunez"),
            name("Pepe", "", "Garcia")
        ]
    );
    assert_eq!(r.age, Some(51));
    assert_eq!(r.birth_year, Some(1974));
    assert_eq!(r.birth_date.as_deref(), Some("1974-03-03"));
    assert_eq!(
        r.addresses,
        [
            addr("400 W 5th St Ste 12", "Miami", "FL", "33101"),
            addr("", "Orlando", "FL", "")
        ]
    );
    assert_eq!(r.relatives, strings(&["Ana Núñez", "Luis Garcia"]));
}

#[test]
fn json_ld_persons_become_cards_and_merge_into_details() {
    let ex = extractor("jsonld");
    let (cards, _) = cards(
        &ex,
        &page("jsonld-results.html"),
        "https://jsonld.example/find/jane-doe",
    );
    assert_eq!(
        cards.len(),
        2,
        "one card per Person; the broken script is skipped"
    );
    let jane = &cards[0];
    assert_eq!(
        jane.detail_url.as_deref(),
        Some("https://jsonld.example/people/jane-q-doe")
    );
    assert_eq!(
        jane.record.names,
        [
            name("Jane", "Q", "Doe"),
            name("Janie", "", "Doe"),
            name("Jane", "", "Smith")
        ]
    );
    assert_eq!(
        jane.record.addresses,
        [addr("12 Oak St", "Austin", "TX", "78701")]
    );
    assert_eq!(
        jane.record.phones,
        strings(&["+15125550142", "+15125550143"])
    );
    assert_eq!(jane.record.relatives, strings(&["John Doe", "Mary Doe"]));
    assert_eq!(cards[1].record.names, [name("Jane", "", "Doe")]);
    assert_eq!(cards[1].record.addresses, [addr("", "Portland", "OR", "")]);

    let detail = ex.detail(
        &page("jsonld-detail.html"),
        &Url::parse("https://jsonld.example/people/jane-q-doe").unwrap(),
    );
    let want = Record {
        names: vec![name("Jane", "Q", "Doe")],
        age: Some(42),
        birth_year: Some(1983),
        birth_date: Some("1983-05-17".into()),
        addresses: vec![
            addr("12 Oak St Apt 3", "Austin", "TX", "78701-1234"),
            addr("", "Dallas", "TX", ""),
        ],
        // The microdata copy of the same Person adds its phone.
        phones: strings(&["+15125550142", "+15125550144"]),
        emails: strings(&["jane.doe@example.com", "jdoe@example.com"]),
        relatives: strings(&["Sam Roe"]),
        ..Record::default()
    };
    assert_eq!(detail, want, "the sidebar's other Person does not merge in");
}

#[test]
fn microdata_in_cards_with_selectors_for_what_it_lacks() {
    let ex = extractor("microdata");
    let (cards, _) = cards(
        &ex,
        &page("microdata.html"),
        "https://microdata.example/robert_smith",
    );
    assert_eq!(cards.len(), 2);
    let bob = &cards[0];
    let want = Record {
        names: vec![name("Robert", "", "Smith")],
        age: Some(58),
        birth_year: Some(1967),
        addresses: vec![addr("77 Sunset Blvd", "Los Angeles", "CA", "90028")],
        // Linda's phone belongs to Linda, not to Bob.
        phones: strings(&["+13235550177"]),
        emails: strings(&["bob@example.com"]),
        relatives: strings(&["Linda Smith", "Tom Smith"]),
        profile_url: Some("https://microdata.example/p/robert-smith".into()),
        ..Record::default()
    };
    assert_eq!(bob.record, want);
    assert_eq!(bob.detail_url, bob.record.profile_url);
    let other = &cards[1].record;
    assert_eq!(other.names, [name("Robert", "", "Smith")]);
    assert_eq!(other.age, Some(31));
    assert_eq!(other.addresses, [addr("", "Boise", "ID", "83702")]);
}

#[test]
fn deeply_nested_pages_do_not_overflow_the_stack() {
    // Scraped HTML is untrusted: nesting must not crash the scan.
    let depth = 10_000;
    let html = format!(
        "<div role='listitem'><div itemscope itemtype='https://schema.org/Person'>{}<span itemprop='name'>Jane Doe</span>{}</div></div>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let ex = extractor("microdata");
    let page = ex.results(&html, &Url::parse("https://microdata.example/x").unwrap());
    assert!(matches!(page, ResultsPage::Results { .. }), "{page:?}");
    assert!(Sel::compile(&format!("{}//p{}", "(".repeat(100), ")".repeat(100))).is_err());
}

#[test]
fn compile_errors_name_the_field_and_the_problem() {
    let text = r#"
id = "bad.example"
name = "Bad"
homepage = "https://bad.example/"
kind = "people-search"
[search]
urls = ["https://bad.example/{first}"]
[search.results]
card = "div..card"
no_results = "//p[contains(text(), 'none')"
[search.results.fields]
name = ".//h2[foo()]"
age = { selector = ".age", regex = "(unclosed" }
profile_url = { selector = "a", attr = "href", template = "https://bad.example/p/" }
"#;
    let def: SourceDef = toml::from_str(text).unwrap();
    let errs = Extractor::new(&def).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "search.results.card",
            "search.results.no_results",
            "search.results.fields.name",
            "search.results.fields.age.regex",
            "search.results.fields.profile_url.template",
        ]
    );
    assert!(errs[0].1.contains("not a valid CSS selector"), "{errs:?}");
    assert!(
        errs[1].1.contains("not a valid XPath") && errs[1].1.contains("expected `]`"),
        "{errs:?}"
    );
    assert!(errs[2].1.contains("`foo()` is not supported"), "{errs:?}");
    assert!(errs[3].1.contains("not a valid regex"), "{errs:?}");
    assert!(errs[4].1.contains("{id}"), "{errs:?}");
}

/// Every selector in the DuckDuckGo PIR broker recipes (steps → actions
/// with `actionType = "extract"`) must compile, XPath and CSS alike.
#[test]
fn every_duckduckgo_recipe_selector_compiles() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/duckduckgo-pir-broker-definitions.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is not present", path.display());
        return;
    };
    let json: serde_json::Value = serde_json::from_str(&text).expect("recipes file is JSON");
    fn walk<'a>(v: &'a serde_json::Value, out: &mut Vec<(String, &'a str)>) {
        match v {
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => {
                if o.get("actionType").and_then(|t| t.as_str()) == Some("extract") {
                    for key in ["selector", "noResultsSelector"] {
                        if let Some(s) = o.get(key).and_then(|s| s.as_str()) {
                            out.push((key.to_string(), s));
                        }
                    }
                    if let Some(profile) = o.get("profile").and_then(|p| p.as_object()) {
                        for (field, spec) in profile {
                            if let Some(s) = spec.get("selector").and_then(|s| s.as_str()) {
                                out.push((format!("profile.{field}"), s));
                            }
                        }
                    }
                }
                o.values().for_each(|x| walk(x, out));
            }
            _ => {}
        }
    }
    let mut sels = Vec::new();
    walk(&json, &mut sels);
    assert!(
        sels.len() > 300,
        "found only {} selectors; did the file change shape?",
        sels.len()
    );
    let xpaths = sels
        .iter()
        .filter(|(_, s)| brokertrace::extract::select::is_xpath(s))
        .count();
    assert!(xpaths > 100, "found only {xpaths} XPath selectors");
    let failures: Vec<String> = sels
        .iter()
        .filter_map(|(k, s)| Sel::compile(s).err().map(|e| format!("{k}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} selectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- properties

/// A capitalised name word that is not a particle, prefix or suffix.
fn word() -> impl Strategy<Value = String> {
    "[A-Z][a-z]{2,8}".prop_filter("not a name particle or title", |w| {
        ![
            "Van", "Von", "Del", "Della", "Dela", "Das", "Dos", "Der", "Den", "Ter", "Ten", "Ste",
            "Saint", "Bin", "Ibn", "Mrs", "Miss", "Prof", "Rev", "Sir", "Iii", "Ii", "Iv",
        ]
        .contains(&w.as_str())
            && !w.starts_with("Mc")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn parsers_never_panic(s in "\\PC{0,60}") {
        let _ = parse::name(&s);
        let _ = parse::age(&s);
        let _ = parse::birth(&s);
        let _ = parse::phone(&s);
        let _ = parse::address(&s);
        let _ = parse::street(&s);
        let _ = parse::email(&s);
        let _ = parse::relatives(&s);
        let _ = Sel::compile(&s);
    }

    #[test]
    fn selectors_never_panic_on_xpath_like_input(s in "[./()\\[\\]@'a-z =|*:,0-9-]{0,40}") {
        if let Ok(sel) = Sel::compile(&s) {
            let doc = scraper::Html::parse_document("<div><p a='1'>x</p><p>y</p></div>");
            let _ = sel.select(doc.tree.root());
        }
    }

    #[test]
    fn phone_formats_agree(area in 200u32..=999, line in 100u32..=199) {
        prop_assume!(area % 100 != 11);
        let n = format!("{area}55501{:02}", line - 100);
        let want = format!("+1{n}");
        let (a, x, l) = (&n[0..3], &n[3..6], &n[6..10]);
        for v in [
            format!("({a}) {x}-{l}"),
            format!("{a}-{x}-{l}"),
            format!("{a}.{x}.{l}"),
            format!("{a}{x}{l}"),
            format!("+1 {a} {x} {l}"),
            format!("1-{a}-{x}-{l}"),
            format!("+1 ({a}) {x}-{l} x12"),
        ] {
            prop_assert_eq!(parse::phone(&v), Some(want.clone()), "{}", v);
        }
    }

    #[test]
    fn name_orders_agree(first in word(), middle in word(), last in word()) {
        let m = &middle[..1];
        let want = parse::name(&format!("{first} {m} {last}")).expect("plain order parses");
        prop_assert_eq!((&want.first, &want.middle, &want.last), (&first, &m.to_string(), &last));
        for v in [
            format!("{last}, {first} {m}"),
            format!("{last}, {first} {m}."),
            format!("{first} {m}. {last}"),
            format!("Dr. {first} {m} {last}"),
            format!("{}, {} {}", last.to_uppercase(), first.to_uppercase(), m),
            format!("  {first}\t{m}  {last} "),
        ] {
            prop_assert_eq!(parse::name(&v), Some(want.clone()), "{}", v);
        }
        let mut jr = want.clone();
        jr.suffix = "Jr".into();
        for v in [format!("{first} {m} {last} Jr."), format!("{last}, {first} {m}, Jr"), format!("{last} Jr, {first} {m}")] {
            prop_assert_eq!(parse::name(&v), Some(jr.clone()), "{}", v);
        }
    }

    #[test]
    fn ages_in_any_wording(a in 18u32..=99) {
        for v in [format!("Age {a}"), format!("Age: {a}"), format!("{a} years old"), format!("Jane Doe ({a})"), format!("AGE {a}")] {
            prop_assert_eq!(parse::age(&v), Some(a), "{}", v);
        }
    }
}

#[test]
fn a_card_that_is_itself_a_person_keeps_its_relatives_as_relatives() {
    let ex = extractor("microdata-self");
    let (cards, _) = cards(
        &ex,
        &page("microdata-self.html"),
        "https://microdata-self.example/Ruiz/Ana",
    );
    assert_eq!(cards.len(), 1);
    let r = &cards[0].record;
    assert_eq!(r.names, [name("Ana", "B", "Ruiz")]);
    assert_eq!(r.relatives, strings(&["Carlos Ruiz", "Maria Lopez"]));
    assert_eq!(r.phones, strings(&["+16025550123"]));
}
