//! Generic extraction of schema.org `Person` data, needing no selectors:
//! JSON-LD (`<script type="application/ld+json">`, including `@graph`,
//! arrays and nested entities) and microdata (`itemscope` /
//! `itemtype=".../Person"` / `itemprop`).
//!
//! Microdata is first turned into the same JSON shape as JSON-LD so one
//! function ([`person_record`]) reads both.

use ego_tree::NodeRef;
use scraper::Node;
use serde_json::{Map, Value};
use url::Url;

use super::parse;
use super::select::{collapse, text_of};
use super::xpath::XNode;
use crate::geo;
use crate::model::{Address, PersonName, Record};

/// Every schema.org `Person` found under `ctx` (and in `ctx` itself), JSON-LD
/// first, then microdata, as records. A Person nested inside another
/// (`relatedTo`, `knows`) is a relative of the outer one, not a record.
pub fn persons(ctx: NodeRef<'_, Node>, base: &Url) -> Vec<Record> {
    let mut out = Vec::new();
    for v in json_ld(ctx) {
        let mut found = Vec::new();
        collect_persons(&v, &mut found);
        out.extend(found.into_iter().map(|p| person_record(p, base)));
    }
    for item in microdata_persons(ctx) {
        out.push(person_record(&item, base));
    }
    out.retain(|r| !r.is_empty() || r.profile_url.is_some());
    out
}

/// Parsed JSON of every JSON-LD script under `ctx`; scripts that do not
/// parse are skipped (pages often ship broken JSON-LD).
pub fn json_ld(ctx: NodeRef<'_, Node>) -> Vec<Value> {
    ctx.descendants()
        .filter(|n| {
            n.value().as_element().is_some_and(|e| {
                e.name() == "script"
                    && e.attr("type")
                        .is_some_and(|t| t.to_ascii_lowercase().contains("ld+json"))
            })
        })
        .filter_map(|n| {
            let text: String = n
                .children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect();
            let t = text.trim();
            let t = t.strip_prefix("<!--").unwrap_or(t);
            let t = t.strip_suffix("-->").unwrap_or(t);
            let t = t.trim().strip_prefix("//<![CDATA[").unwrap_or(t.trim());
            let t = t.strip_suffix("//]]>").unwrap_or(t);
            serde_json::from_str(t.trim()).ok()
        })
        .collect()
}

fn is_type(v: &Value, ty: &str) -> bool {
    let one = |t: &Value| {
        t.as_str().is_some_and(|s| {
            s.eq_ignore_ascii_case(ty)
                || s.rsplit(['/', ':', '#'])
                    .next()
                    .is_some_and(|x| x.eq_ignore_ascii_case(ty))
        })
    };
    match v.get("@type") {
        Some(Value::Array(a)) => a.iter().any(one),
        Some(t) => one(t),
        None => false,
    }
}

fn collect_persons<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_persons(x, out)),
        Value::Object(o) => {
            if is_type(v, "Person") {
                out.push(v);
            } else {
                o.values().for_each(|x| collect_persons(x, out));
            }
        }
        _ => {}
    }
}

/// Values of a property as a list: a single value, an array, or nothing.
fn many<'v>(v: &'v Value, key: &str) -> Vec<&'v Value> {
    match v.get(key) {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(x) => vec![x],
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(collapse(s)),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("name").or_else(|| o.get("@value")).and_then(as_text),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn str_of(v: &Value, key: &str) -> String {
    many(v, key)
        .first()
        .and_then(|x| as_text(x))
        .unwrap_or_default()
}

/// Reads one schema.org `Person` object (JSON-LD shape) into a record.
pub fn person_record(p: &Value, base: &Url) -> Record {
    let mut r = Record::default();
    for n in many(p, "name") {
        if let Some(name) = as_text(n).and_then(|s| parse::name(&s)) {
            push(&mut r.names, name);
        }
    }
    let (given, family) = (str_of(p, "givenName"), str_of(p, "familyName"));
    if !given.is_empty() && !family.is_empty() {
        let mut n = PersonName::new(&given, &str_of(p, "additionalName"), &family);
        n.suffix = str_of(p, "honorificSuffix");
        if !r
            .names
            .iter()
            .any(|x| x.first == n.first && x.last == n.last)
        {
            push(&mut r.names, n);
        }
    }
    for n in many(p, "alternateName") {
        if let Some(name) = as_text(n).and_then(|s| parse::name(&s)) {
            push(&mut r.names, name);
        }
    }
    if let Some(b) = many(p, "birthDate")
        .first()
        .and_then(|x| as_text(x))
        .and_then(|s| parse::birth(&s))
    {
        r.birth_year = Some(b.year);
        r.birth_date = b.date;
    }
    // Not schema.org, but brokers that hand-roll JSON-LD often add it.
    r.age = many(p, "age")
        .first()
        .and_then(|x| as_text(x))
        .and_then(|s| parse::age(&s));
    for key in ["address", "homeLocation"] {
        for a in many(p, key) {
            if let Some(addr) = address(a) {
                push(&mut r.addresses, addr);
            }
        }
    }
    for t in many(p, "telephone") {
        if let Some(ph) = as_text(t).and_then(|s| parse::phone(&s)) {
            push(&mut r.phones, ph);
        }
    }
    for e in many(p, "email") {
        if let Some(em) = as_text(e).and_then(|s| parse::email(&s)) {
            push(&mut r.emails, em);
        }
    }
    for key in [
        "relatedTo",
        "knows",
        "spouse",
        "parent",
        "parents",
        "children",
        "sibling",
        "siblings",
        "colleague",
        "colleagues",
    ] {
        for rel in many(p, key) {
            let name = match rel {
                Value::Object(_) if str_of(rel, "name").is_empty() => {
                    let g = str_of(rel, "givenName");
                    let f = str_of(rel, "familyName");
                    collapse(&format!("{g} {f}"))
                }
                _ => as_text(rel).unwrap_or_default(),
            };
            if name.chars().any(char::is_alphabetic) {
                push(&mut r.relatives, name);
            }
        }
    }
    r.profile_url = many(p, "url")
        .first()
        .and_then(|u| u.as_str())
        .and_then(|u| base.join(u.trim()).ok())
        .map(|u| u.to_string());
    r
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// A `PostalAddress` object, a `Place` holding one, or a one-line string.
fn address(v: &Value) -> Option<Address> {
    match v {
        Value::String(s) => parse::address(s),
        Value::Object(o) => {
            if let Some(inner) = o.get("address") {
                return address(inner);
            }
            let street = str_of(v, "streetAddress");
            let city = str_of(v, "addressLocality");
            let region = str_of(v, "addressRegion");
            let zip = str_of(v, "postalCode");
            let country = str_of(v, "addressCountry");
            let us = country.is_empty()
                || ["us", "usa", "united states", "united states of america"]
                    .contains(&country.to_lowercase().as_str());
            if city.is_empty() && region.is_empty() && street.is_empty() {
                // A Place with only a name ("Austin, TX").
                return parse::address(&str_of(v, "name"));
            }
            let state = if us {
                geo::state_code(&region)
                    .map(str::to_string)
                    .unwrap_or(region)
            } else {
                region
            };
            Some(Address {
                street: if us { parse::street(&street) } else { street },
                city,
                state,
                zip,
                country: if us { "US".into() } else { country },
            })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------- microdata

fn is_person_scope(n: NodeRef<'_, Node>) -> bool {
    n.value().as_element().is_some_and(|e| {
        e.attr("itemscope").is_some()
            && e.attr("itemtype").is_some_and(|t| {
                t.split_whitespace().any(|t| {
                    t.rsplit('/')
                        .next()
                        .is_some_and(|x| x.eq_ignore_ascii_case("Person"))
                })
            })
    })
}

/// Microdata `Person` items under `ctx` that are not nested in another
/// Person item, as JSON-LD-shaped objects.
pub fn microdata_persons(ctx: NodeRef<'_, Node>) -> Vec<Value> {
    // When `ctx` is itself a Person (a result card marked up as one), the
    // Persons inside it are its relatives, not further people.
    let ctx_is_person = is_person_scope(ctx);
    ctx.descendants()
        .filter(|n| is_person_scope(*n))
        .filter(|n| {
            if ctx_is_person {
                return n.id() == ctx.id();
            }
            !n.ancestors()
                .take_while(|a| a.id() != ctx.id())
                .any(is_person_scope)
        })
        .map(|n| item(n, 0))
        .collect()
}

/// Deeper markup is ignored: scraped pages are untrusted and a recursive
/// walk must not overflow the stack.
const MAX_DEPTH: usize = 200;

/// One microdata item as a JSON object of its properties.
fn item(scope: NodeRef<'_, Node>, depth: usize) -> Value {
    let mut props = Map::new();
    if let Some(t) = scope.value().as_element().and_then(|e| e.attr("itemtype")) {
        props.insert("@type".into(), Value::String(t.to_string()));
    }
    for c in scope.children() {
        walk_props(c, &mut props, depth + 1);
    }
    Value::Object(props)
}

fn walk_props(n: NodeRef<'_, Node>, props: &mut Map<String, Value>, depth: usize) {
    let Some(e) = n.value().as_element() else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    let scoped = e.attr("itemscope").is_some();
    if let Some(names) = e.attr("itemprop") {
        let value = if scoped {
            item(n, depth + 1)
        } else {
            Value::String(prop_value(n, names))
        };
        for name in names.split_whitespace() {
            match props.get_mut(name) {
                Some(Value::Array(a)) => a.push(value.clone()),
                Some(old) => *old = Value::Array(vec![old.take(), value.clone()]),
                None => {
                    props.insert(name.to_string(), value.clone());
                }
            }
        }
    }
    // A nested item's properties belong to it, not to us.
    if !scoped {
        for c in n.children() {
            walk_props(c, props, depth + 1);
        }
    }
}

fn prop_value(n: NodeRef<'_, Node>, names: &str) -> String {
    let Some(e) = n.value().as_element() else {
        return String::new();
    };
    if let Some(c) = e.attr("content") {
        return collapse(c);
    }
    let link_prop = names
        .split_whitespace()
        .any(|p| matches!(p, "url" | "sameAs" | "image" | "mainEntityOfPage"));
    let attr = match e.name() {
        "a" | "link" | "area" if link_prop => e.attr("href"),
        "link" => e.attr("href"),
        "img" | "audio" | "video" | "source" | "iframe" | "embed" => e.attr("src"),
        "time" => e.attr("datetime"),
        "data" | "meter" => e.attr("value"),
        _ => None,
    };
    match attr {
        Some(a) => a.trim().to_string(),
        None => text_of(&XNode::Node(n)),
    }
}
