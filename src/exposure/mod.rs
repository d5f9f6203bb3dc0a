//! Breach exposure and risk summaries.
//!
//! [`summarize`] turns a scan's found listings, the source definitions and
//! the breach catalog into an [`ExposureSummary`]: where each kind of
//! personal data is exposed, which combinations are dangerous, which brokers
//! that list the subject were themselves breached, what the listings sell
//! for, and an ordered list of what to do first.

pub mod catalog;
pub mod hibp;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use chrono::Datelike;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

pub use catalog::{Breach, Catalog};

use crate::model::{AttributeKind, MatchLevel, Record};
use crate::profile::Profile;
use crate::sources::{OptOutMethod, Requirement, SourceDef};
use crate::store::ListingRow;

/// A breach as the report shows it (snake_case, the fields people read).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreachRef {
    /// HIBP name ("NationalPublicData").
    pub name: String,
    /// Display title.
    pub title: String,
    /// Breached service's domain, if HIBP names one.
    #[serde(default)]
    pub domain: String,
    /// When it happened (YYYY-MM-DD).
    pub breach_date: String,
    /// Accounts in it.
    pub pwn_count: u64,
    /// Data exposed, in HIBP's words.
    pub data_classes: Vec<String>,
}

impl From<&Breach> for BreachRef {
    fn from(b: &Breach) -> Self {
        BreachRef {
            name: b.name.clone(),
            title: b.title.clone(),
            domain: b.domain.clone(),
            breach_date: b.breach_date.clone(),
            pwn_count: b.pwn_count,
            data_classes: b.data_classes.clone(),
        }
    }
}

/// The breaches HIBP lists for one of the subject's e-mail addresses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountBreaches {
    /// The e-mail address searched.
    pub email: String,
    /// When HIBP was asked (RFC 3339).
    pub checked_at: String,
    /// Breaches it appears in, by name; empty when HIBP has none.
    pub breaches: Vec<BreachRef>,
}

/// A broker that lists the subject and was itself breached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrokerBreach {
    /// Source id of the broker.
    pub source_id: String,
    /// Broker's display name.
    pub source_name: String,
    /// How the breach was tied to the broker ("domain whitepages.com", "name", ...).
    pub matched_by: String,
    /// The breach.
    pub breach: BreachRef,
}

/// Where one kind of personal data is exposed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeExposure {
    /// The kind ("phone").
    pub kind: String,
    /// Human label ("Phone number").
    pub label: String,
    /// Source ids whose found listings show it.
    pub brokers: Vec<String>,
    /// Source ids with found listings that declare the category but whose listing did not show it.
    pub declared_by: Vec<String>,
    /// Breaches of the subject's own e-mail accounts (HIBP) that exposed it.
    pub breaches: Vec<String>,
    /// Breaches of brokers that list the subject that exposed this kind.
    pub broker_breaches: Vec<String>,
}

/// A risk arising from what is exposed, especially from combinations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// Stable id ("identity_theft_kit", "ssn", "financial", "minor", "passwords", "relatives").
    pub id: String,
    /// "high" or "medium".
    pub severity: String,
    /// One-line summary.
    pub title: String,
    /// Why it matters and where it comes from.
    pub detail: String,
    /// Source ids involved.
    pub sources: Vec<String>,
    /// Breach names involved.
    pub breaches: Vec<String>,
}

/// One step of "what to do first".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// 1 = do this first.
    pub rank: usize,
    /// "broker" (an opt-out) or "accounts" (secure breached accounts).
    pub kind: String,
    /// Source id to send the opt-out to (empty for "accounts").
    pub source_id: String,
    /// What to do, in a few words.
    pub title: String,
    /// Opt-out method of the source.
    pub optout_method: String,
    /// Opt-out page, if any.
    pub optout_url: Option<String>,
    /// Other found sources this one opt-out also covers (fronts, `opt_out_via`).
    pub covers: Vec<String>,
    /// Why it is ranked here, strongest reason first.
    pub reasons: Vec<String>,
    /// Priority score the ranking used (higher first).
    pub score: i64,
}

/// A source's declared report price, for sources where the subject was found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PricedSource {
    /// Source id.
    pub source_id: String,
    /// Display name.
    pub source_name: String,
    /// Price of one report, in US dollars.
    pub price_usd: f64,
}

/// "What your data is sold for".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SoldFor {
    /// Sum of the declared prices of sources with found listings.
    pub total_usd: f64,
    /// Sources that declare a price.
    pub priced: Vec<PricedSource>,
    /// Source ids with found listings whose price is unknown.
    pub unpriced: Vec<String>,
}

/// Everything the exposure sections of the report show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExposureSummary {
    /// One entry per attribute kind that is exposed anywhere, in display order.
    #[serde(default)]
    pub attributes: Vec<AttributeExposure>,
    /// Risks, highest severity first.
    #[serde(default)]
    pub risks: Vec<Risk>,
    /// Brokers that list the subject and were breached themselves.
    #[serde(default)]
    pub broker_breaches: Vec<BrokerBreach>,
    /// HIBP account search results for the subject's e-mails (needs HIBP_API_KEY).
    #[serde(default)]
    pub account_breaches: Vec<AccountBreaches>,
    /// What to do first, in order.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// What the found listings sell for.
    #[serde(default)]
    pub sold_for: SoldFor,
    /// Newest `AddedDate` of the breach catalog used.
    #[serde(default)]
    pub catalog_date: String,
    /// Licence attribution of the breach data.
    #[serde(default)]
    pub attribution: String,
}

/// What [`summarize`] reads.
pub struct ExposureInput<'a> {
    /// The subject.
    pub profile: &'a Profile,
    /// Listings of the scan (any level; only probable and better count as found).
    pub listings: &'a [ListingRow],
    /// Source definitions (for names, categories, relations, prices).
    pub sources: &'a [SourceDef],
    /// Breach catalog.
    pub catalog: &'a Catalog,
    /// HIBP account results for the subject's e-mails.
    pub account_breaches: &'a [AccountBreaches],
    /// Date the exposure is judged at (for the subject's age).
    pub as_of: chrono::NaiveDate,
    /// Copy flows inferred from the whole database, `(upstream, downstream)`.
    pub inferred_copies: &'a [(String, String)],
}

/// Human label of an attribute kind.
pub fn label(kind: AttributeKind) -> &'static str {
    match kind {
        AttributeKind::Name => "Name",
        AttributeKind::Age => "Age",
        AttributeKind::BirthDate => "Birth date",
        AttributeKind::Address => "Address",
        AttributeKind::Phone => "Phone number",
        AttributeKind::Email => "E-mail address",
        AttributeKind::Relatives => "Relatives and associates",
        AttributeKind::Username => "Usernames",
        AttributeKind::Employment => "Employment",
        AttributeKind::Education => "Education",
        AttributeKind::CourtRecords => "Court records",
        AttributeKind::Property => "Property records",
        AttributeKind::Financial => "Financial data",
        AttributeKind::Ssn => "SSN / government ID",
        AttributeKind::Photo => "Photos",
        AttributeKind::SocialMedia => "Social media profiles",
        AttributeKind::Location => "Location",
    }
}

/// Attribute kinds a listing actually shows.
pub fn record_kinds(r: &Record) -> BTreeSet<AttributeKind> {
    let mut k = BTreeSet::new();
    if !r.names.is_empty() {
        k.insert(AttributeKind::Name);
    }
    if r.age.is_some() {
        k.insert(AttributeKind::Age);
    }
    if r.birth_date.is_some() || r.birth_year.is_some() {
        k.insert(AttributeKind::BirthDate);
    }
    if !r.addresses.is_empty() {
        k.insert(AttributeKind::Address);
    }
    if !r.phones.is_empty() {
        k.insert(AttributeKind::Phone);
    }
    if !r.emails.is_empty() {
        k.insert(AttributeKind::Email);
    }
    if !r.relatives.is_empty() {
        k.insert(AttributeKind::Relatives);
    }
    if !r.usernames.is_empty() {
        k.insert(AttributeKind::Username);
    }
    k
}

/// True when name, age or birth date, address and phone are all present:
/// enough to pass most "verify your identity" questions.
fn is_kit(k: &BTreeSet<AttributeKind>) -> bool {
    k.contains(&AttributeKind::Name)
        && (k.contains(&AttributeKind::Age) || k.contains(&AttributeKind::BirthDate))
        && k.contains(&AttributeKind::Address)
        && k.contains(&AttributeKind::Phone)
}

/// Breaches known to belong to a broker whose HIBP entry names no domain,
/// or names it differently from the broker's site.
const BREACH_ALIASES: &[(&str, &[&str])] = &[
    (
        "PDL",
        &["peopledatalabs.com", "People Data Labs", "PeopleDataLabs"],
    ),
    (
        "NationalPublicData",
        &[
            "nationalpublicdata.com",
            "National Public Data",
            "Jerico Pictures",
        ],
    ),
];

/// Lower-case letters and digits only, corporate suffixes dropped, so
/// "Truth Finder", "TruthFinder" and "TruthFinder, LLC" compare equal.
fn norm_company(s: &str) -> String {
    let lower = s.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| !["inc", "llc", "ltd", "corp", "corporation", "co", "the"].contains(w))
        .collect();
    words.concat()
}

/// Host of a URL without a leading "www.".
fn host_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let h = u.host_str()?.to_ascii_lowercase();
    Some(h.strip_prefix("www.").unwrap_or(&h).to_string())
}

fn domain_matches(host: &str, domain: &str) -> bool {
    let d = domain.trim().to_ascii_lowercase();
    let d = d.strip_prefix("www.").unwrap_or(&d);
    !d.is_empty() && (host == d || host.ends_with(&format!(".{d}")))
}

/// Breaches of the broker itself: matched by its homepage host or id against
/// the breach domain, by its name, operator or parent company against the
/// breach title, or through [`BREACH_ALIASES`]. Fabricated breaches are ignored.
pub fn breaches_of_source<'c>(def: &SourceDef, catalog: &'c Catalog) -> Vec<(&'c Breach, String)> {
    let hosts: Vec<String> = [host_of(&def.homepage), Some(def.id.to_ascii_lowercase())]
        .into_iter()
        .flatten()
        .collect();
    let names: Vec<(String, &str)> = [
        (def.name.as_str(), "name"),
        (def.operator.as_str(), "operator"),
        (
            def.parent_company.as_deref().unwrap_or(""),
            "parent company",
        ),
    ]
    .into_iter()
    .map(|(n, why)| (norm_company(n), why))
    .filter(|(n, _)| n.len() >= 4)
    .collect();
    let mut out = Vec::new();
    for b in catalog.breaches.iter().filter(|b| !b.is_fabricated) {
        let aliases = BREACH_ALIASES
            .iter()
            .find(|(n, _)| *n == b.name)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        let domains = std::iter::once(b.domain.as_str())
            .chain(aliases.iter().copied().filter(|a| a.contains('.')));
        let mut why = None;
        for d in domains {
            if let Some(h) = hosts.iter().find(|h| domain_matches(h, d)) {
                why = Some(format!("domain {h}"));
                break;
            }
        }
        if why.is_none() {
            let titles: Vec<String> = [b.title.as_str(), b.name.as_str()]
                .into_iter()
                .chain(aliases.iter().copied().filter(|a| !a.contains('.')))
                .map(norm_company)
                .collect();
            why = names
                .iter()
                .find(|(n, _)| titles.contains(n))
                .map(|(_, w)| w.to_string());
        }
        if let Some(w) = why {
            out.push((b, w));
        }
    }
    out
}

/// The subject's age on `as_of`, from the profile's birth date or year.
fn subject_age(p: &Profile, as_of: chrono::NaiveDate) -> Option<i32> {
    if let Some(d) = p
        .birth_date
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        let mut age = as_of.year() - d.year();
        if (as_of.month(), as_of.day()) < (d.month(), d.day()) {
            age -= 1;
        }
        return Some(age);
    }
    p.birth_year.map(|y| as_of.year() - y)
}

/// Whether a source definition says the broker collects minors' data
/// (the California registry flag is carried in the notes by the source pack).
fn declares_minors(def: &SourceDef) -> bool {
    def.notes.to_lowercase().contains("minors' data: yes")
}

/// Builds the exposure summary.
pub fn summarize(input: &ExposureInput) -> ExposureSummary {
    let def_of = |id: &str| input.sources.iter().find(|s| s.id == id);
    let name_of = |id: &str| def_of(id).map_or_else(|| id.to_string(), |d| d.name.clone());

    // Found listings per source and what they show.
    let mut shown: BTreeMap<String, BTreeSet<AttributeKind>> = BTreeMap::new();
    let mut young_listing: BTreeSet<String> = BTreeSet::new();
    for l in input
        .listings
        .iter()
        .filter(|l| l.level >= MatchLevel::Probable)
    {
        shown
            .entry(l.source_id.clone())
            .or_default()
            .extend(record_kinds(&l.record));
        if l.record.age.is_some_and(|a| a < 18) {
            young_listing.insert(l.source_id.clone());
        }
    }
    let found: Vec<String> = shown.keys().cloned().collect();

    // Brokers' own breaches.
    let mut broker_breaches = Vec::new();
    for id in &found {
        if let Some(def) = def_of(id) {
            for (b, why) in breaches_of_source(def, input.catalog) {
                broker_breaches.push(BrokerBreach {
                    source_id: id.clone(),
                    source_name: def.name.clone(),
                    matched_by: why,
                    breach: b.into(),
                });
            }
        }
    }
    let account: Vec<AccountBreaches> = input.account_breaches.to_vec();

    // Per attribute.
    let mut attributes = Vec::new();
    for kind in AttributeKind::ALL {
        let brokers: Vec<String> = found
            .iter()
            .filter(|id| shown[*id].contains(&kind))
            .cloned()
            .collect();
        let declared_by: Vec<String> = found
            .iter()
            .filter(|id| !shown[*id].contains(&kind))
            .filter(|id| def_of(id).is_some_and(|d| d.categories.contains(&kind)))
            .cloned()
            .collect();
        let mut breaches: Vec<String> = account
            .iter()
            .flat_map(|a| &a.breaches)
            .filter(|b| kinds_of(b).contains(&kind))
            .map(|b| b.name.clone())
            .collect();
        breaches.sort();
        breaches.dedup();
        let mut bb: Vec<String> = broker_breaches
            .iter()
            .filter(|b| kinds_of(&b.breach).contains(&kind))
            .map(|b| b.breach.name.clone())
            .collect();
        bb.sort();
        bb.dedup();
        if brokers.is_empty() && declared_by.is_empty() && breaches.is_empty() && bb.is_empty() {
            continue;
        }
        attributes.push(AttributeExposure {
            kind: kind.as_str().to_string(),
            label: label(kind).to_string(),
            brokers,
            declared_by,
            breaches,
            broker_breaches: bb,
        });
    }

    let risks = risks(input, &shown, &young_listing, &broker_breaches, &account);
    let actions = actions(input, &shown, &broker_breaches, &account);

    // What the listings sell for: one report per source that lists the subject.
    let mut sold_for = SoldFor::default();
    for id in &found {
        match def_of(id).and_then(|d| d.price_usd) {
            Some(p) => {
                sold_for.total_usd += p;
                sold_for.priced.push(PricedSource {
                    source_id: id.clone(),
                    source_name: name_of(id),
                    price_usd: p,
                });
            }
            None => sold_for.unpriced.push(id.clone()),
        }
    }
    sold_for.total_usd = (sold_for.total_usd * 100.0).round() / 100.0;

    ExposureSummary {
        attributes,
        risks,
        broker_breaches,
        account_breaches: account,
        actions,
        sold_for,
        catalog_date: input
            .catalog
            .newest_added()
            .map(|d| d.get(..10).unwrap_or(d).to_string())
            .unwrap_or_default(),
        attribution: catalog::ATTRIBUTION.to_string(),
    }
}

fn kinds_of(b: &BreachRef) -> BTreeSet<AttributeKind> {
    b.data_classes
        .iter()
        .filter_map(|c| catalog::data_class_kind(c))
        .collect()
}

fn join_names(ids: &[String], name_of: &dyn Fn(&str) -> String) -> String {
    ids.iter()
        .map(|i| name_of(i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn risks(
    input: &ExposureInput,
    shown: &BTreeMap<String, BTreeSet<AttributeKind>>,
    young_listing: &BTreeSet<String>,
    broker_breaches: &[BrokerBreach],
    account: &[AccountBreaches],
) -> Vec<Risk> {
    let def_of = |id: &str| input.sources.iter().find(|s| s.id == id);
    let name_of = |id: &str| def_of(id).map_or_else(|| id.to_string(), |d| d.name.clone());
    let account_refs: Vec<&BreachRef> = account.iter().flat_map(|a| &a.breaches).collect();
    let mut out = Vec::new();

    let kit_sources: Vec<String> = shown
        .iter()
        .filter(|(_, k)| is_kit(k))
        .map(|(id, _)| id.clone())
        .collect();
    let mut all: BTreeSet<AttributeKind> = shown.values().flatten().copied().collect();
    for b in &account_refs {
        all.extend(kinds_of(b));
    }
    if !kit_sources.is_empty() {
        out.push(Risk {
            id: "identity_theft_kit".into(),
            severity: "high".into(),
            title: "Identity-theft kit on one page".into(),
            detail: format!(
                "{} show your name, age or birth date, address and phone together — what \
                 account-recovery and credit checks ask for. Remove these first.",
                join_names(&kit_sources, &name_of)
            ),
            sources: kit_sources,
            breaches: Vec::new(),
        });
    } else if is_kit(&all) {
        out.push(Risk {
            id: "identity_theft_kit".into(),
            severity: "high".into(),
            title: "Identity-theft kit when combined".into(),
            detail: "No single page shows everything, but together the listings and breaches \
                     give your name, age or birth date, address and phone."
                .into(),
            sources: shown.keys().cloned().collect(),
            breaches: account_refs.iter().map(|b| b.name.clone()).collect(),
        });
    }

    for (kind, id, severity, title, why) in [
        (
            AttributeKind::Ssn,
            "ssn",
            "high",
            "SSN or government ID exposed",
            "SSN fragments or ID numbers open credit in your name: consider a credit freeze at \
             all three bureaus.",
        ),
        (
            AttributeKind::Financial,
            "financial",
            "high",
            "Financial data exposed",
            "Income, credit or account data makes targeted fraud and scams more convincing.",
        ),
    ] {
        let sources: Vec<String> = shown
            .keys()
            .filter(|s| {
                shown[*s].contains(&kind) || def_of(s).is_some_and(|d| d.categories.contains(&kind))
            })
            .cloned()
            .collect();
        let mut breaches: Vec<String> = account_refs
            .iter()
            .filter(|b| kinds_of(b).contains(&kind))
            .map(|b| b.name.clone())
            .chain(
                broker_breaches
                    .iter()
                    .filter(|b| kinds_of(&b.breach).contains(&kind))
                    .map(|b| b.breach.name.clone()),
            )
            .collect();
        breaches.sort();
        breaches.dedup();
        if sources.is_empty() && breaches.is_empty() {
            continue;
        }
        let mut where_ = Vec::new();
        if !sources.is_empty() {
            where_.push(format!(
                "shown or sold by {}",
                join_names(&sources, &name_of)
            ));
        }
        if !breaches.is_empty() {
            where_.push(format!("in breaches {}", breaches.join(", ")));
        }
        out.push(Risk {
            id: id.into(),
            severity: severity.into(),
            title: title.into(),
            detail: format!("{why} Where: {}.", where_.join("; ")),
            sources,
            breaches,
        });
    }

    let minor_age = subject_age(input.profile, input.as_of).filter(|a| *a < 18);
    let minors_sources: Vec<String> = shown
        .keys()
        .filter(|s| young_listing.contains(*s) || def_of(s).is_some_and(declares_minors))
        .cloned()
        .collect();
    if minor_age.is_some() || !young_listing.is_empty() {
        out.push(Risk {
            id: "minor".into(),
            severity: "high".into(),
            title: "A minor's data is listed".into(),
            detail: "Data of people under 18 gets extra protection in many US states and under \
                     GDPR; say so in every request — brokers must delete it."
                .into(),
            sources: minors_sources,
            breaches: Vec::new(),
        });
    }

    let pw: Vec<String> = account_refs
        .iter()
        .filter(|b| {
            b.data_classes
                .iter()
                .any(|c| c.to_lowercase().contains("password"))
        })
        .map(|b| b.name.clone())
        .collect();
    if !pw.is_empty() {
        out.push(Risk {
            id: "passwords".into(),
            severity: "high".into(),
            title: "Passwords of your accounts leaked".into(),
            detail: "Change the password anywhere you reused it and turn on two-factor \
                     authentication."
                .into(),
            sources: Vec::new(),
            breaches: pw,
        });
    }

    let rel: Vec<String> = shown
        .iter()
        .filter(|(_, k)| k.contains(&AttributeKind::Relatives))
        .map(|(id, _)| id.clone())
        .collect();
    if !rel.is_empty() {
        out.push(Risk {
            id: "relatives".into(),
            severity: "medium".into(),
            title: "Relatives are named".into(),
            detail: format!(
                "{} name your relatives: answers to security questions, and a way to find you \
                 through them.",
                join_names(&rel, &name_of)
            ),
            sources: rel,
            breaches: Vec::new(),
        });
    }
    out
}

fn actions(
    input: &ExposureInput,
    shown: &BTreeMap<String, BTreeSet<AttributeKind>>,
    broker_breaches: &[BrokerBreach],
    account: &[AccountBreaches],
) -> Vec<Action> {
    let def_of = |id: &str| input.sources.iter().find(|s| s.id == id);
    let name_of = |id: &str| def_of(id).map_or_else(|| id.to_string(), |d| d.name.clone());

    // One request to a parent covers its fronts and the sites that opt out through it.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in shown.keys() {
        let target = def_of(id)
            .and_then(|d| d.opt_out_via.clone().or_else(|| d.front_of.clone()))
            .filter(|t| def_of(t).is_some())
            .unwrap_or_else(|| id.clone());
        groups.entry(target).or_default().push(id.clone());
    }

    let mut out = Vec::new();
    for (target, members) in groups {
        let def = def_of(&target);
        let mut reasons: Vec<(i64, String)> = Vec::new();
        let covers: Vec<String> = members.iter().filter(|m| **m != target).cloned().collect();
        if !covers.is_empty() {
            reasons.push((
                100 * covers.len() as i64,
                format!(
                    "one request here also removes you from {}",
                    join_names(&covers, &name_of)
                ),
            ));
        }
        let copiers: Vec<String> = shown
            .keys()
            .filter(|s| {
                def_of(s).is_some_and(|d| d.copies_from.contains(&target))
                    || input
                        .inferred_copies
                        .iter()
                        .any(|(up, down)| *up == target && down == *s)
            })
            .cloned()
            .collect();
        if !copiers.is_empty() {
            reasons.push((
                60 * copiers.len() as i64,
                format!(
                    "upstream: {} copy their data from it",
                    join_names(&copiers, &name_of)
                ),
            ));
        }
        let kinds: BTreeSet<AttributeKind> = members
            .iter()
            .flat_map(|m| shown[m].iter().copied())
            .collect();
        if is_kit(&kinds) {
            reasons.push((
                40,
                "shows name, age, address and phone together (identity-theft kit)".into(),
            ));
        } else if !kinds.is_empty() {
            let l: Vec<&str> = kinds.iter().map(|k| label(*k)).collect();
            reasons.push((5 * kinds.len() as i64, format!("shows {}", l.join(", "))));
        }
        let sensitive: Vec<&str> = [AttributeKind::Ssn, AttributeKind::Financial]
            .into_iter()
            .filter(|k| {
                members
                    .iter()
                    .any(|m| def_of(m).is_some_and(|d| d.categories.contains(k)))
            })
            .map(label)
            .collect();
        if !sensitive.is_empty() {
            reasons.push((30, format!("sells {}", sensitive.join(" and "))));
        }
        if let Some(d) = def {
            let hard: Vec<&str> = d
                .optout
                .requires
                .iter()
                .filter_map(|r| match r {
                    Requirement::IdDocument => Some("an ID document"),
                    Requirement::Payment => Some("a payment"),
                    Requirement::PhoneCall => Some("a phone call"),
                    _ => None,
                })
                .collect();
            match (d.optout.method, hard.is_empty()) {
                (OptOutMethod::WebForm | OptOutMethod::Email, true) => {
                    reasons.push((15, format!("simple opt-out ({})", d.optout.method.as_str())))
                }
                (_, false) => reasons.push((-10, format!("opt-out demands {}", hard.join(", ")))),
                (OptOutMethod::Postal, true) => reasons.push((-5, "opt-out by letter only".into())),
                _ => {}
            }
        }
        let breached: Vec<String> = broker_breaches
            .iter()
            .filter(|b| members.contains(&b.source_id))
            .map(|b| b.breach.title.clone())
            .collect();
        if !breached.is_empty() {
            reasons.push((10, format!("was itself breached ({})", breached.join(", "))));
        }
        reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
        let score = reasons.iter().map(|r| r.0).sum();
        out.push(Action {
            rank: 0,
            kind: "broker".into(),
            source_id: target.clone(),
            title: format!("Opt out of {}", name_of(&target)),
            optout_method: def.map_or("unknown", |d| d.optout.method.as_str()).into(),
            optout_url: def.and_then(|d| d.optout.url.clone()),
            covers,
            reasons: reasons.into_iter().map(|r| r.1).collect(),
            score,
        });
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.source_id.cmp(&b.source_id)));

    let pw: Vec<String> = account
        .iter()
        .flat_map(|a| &a.breaches)
        .filter(|b| {
            b.data_classes
                .iter()
                .any(|c| c.to_lowercase().contains("password"))
        })
        .map(|b| b.title.clone())
        .collect();
    if !pw.is_empty() {
        // Leaked passwords are exploitable today and fixed in minutes: first.
        out.insert(
            0,
            Action {
                kind: "accounts".into(),
                title: "Change leaked passwords and turn on two-factor authentication".into(),
                optout_method: String::new(),
                reasons: vec![format!("passwords leaked in {}", pw.join(", "))],
                score: 1000,
                ..Action::default()
            },
        );
    }
    for (i, a) in out.iter_mut().enumerate() {
        a.rank = i + 1;
    }
    out
}

/// Creates the table that keeps HIBP account results (outside the shared
/// migrations, so this module can evolve it on its own).
pub fn ensure_tables(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS account_breaches (
            subject_id    TEXT NOT NULL,
            email         TEXT NOT NULL,
            checked_at    TEXT NOT NULL,
            breaches_json TEXT NOT NULL,
            PRIMARY KEY (subject_id, email)
        )",
    )
    .context("cannot create the account_breaches table")?;
    Ok(())
}

/// Stores (replacing) the HIBP result for one of a subject's e-mails.
pub fn save_account_breaches(
    conn: &Connection,
    subject_id: &str,
    a: &AccountBreaches,
) -> Result<()> {
    ensure_tables(conn)?;
    conn.execute(
        "INSERT INTO account_breaches (subject_id, email, checked_at, breaches_json)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (subject_id, email) DO UPDATE SET checked_at = excluded.checked_at,
            breaches_json = excluded.breaches_json",
        params![
            subject_id,
            a.email,
            a.checked_at,
            serde_json::to_string(&a.breaches)?
        ],
    )?;
    Ok(())
}

/// The stored HIBP results for a subject, by e-mail.
pub fn account_breaches(conn: &Connection, subject_id: &str) -> Result<Vec<AccountBreaches>> {
    ensure_tables(conn)?;
    let mut st = conn.prepare(
        "SELECT email, checked_at, breaches_json FROM account_breaches
         WHERE subject_id = ?1 ORDER BY email",
    )?;
    let rows = st
        .query_map([subject_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(email, checked_at, j)| {
            Ok(AccountBreaches {
                email,
                checked_at,
                breaches: serde_json::from_str(&j).context("stored breach list is unreadable")?,
            })
        })
        .collect()
}

/// Breach links for the exposure graph: brokers that were themselves
/// breached, and the subjects' e-mail addresses found in breaches (from an
/// earlier `breaches check`).
pub fn breach_links(
    store: &crate::store::Store,
    subject_ids: &[String],
    sources: &[SourceDef],
    catalog: &Catalog,
) -> Result<Vec<crate::graph::BreachLink>> {
    let page = |name: &str| Some(format!("https://haveibeenpwned.com/Breach/{name}"));
    let mut links = Vec::new();
    for def in sources {
        for (b, _why) in breaches_of_source(def, catalog) {
            links.push(crate::graph::BreachLink {
                breach: b.name.clone(),
                date: Some(b.breach_date.clone()),
                source: Some(def.id.clone()),
                url: page(&b.name),
                ..Default::default()
            });
        }
    }
    let subjects = if subject_ids.is_empty() {
        store.subject_ids()?
    } else {
        subject_ids.to_vec()
    };
    for subject in subjects {
        for account in account_breaches(store.conn(), &subject)? {
            for b in account.breaches {
                links.push(crate::graph::BreachLink {
                    breach: b.name.clone(),
                    date: Some(b.breach_date.clone()),
                    subject: Some(subject.clone()),
                    kind: Some(AttributeKind::Email),
                    value: Some(account.email.clone()),
                    url: page(&b.name),
                    ..Default::default()
                });
            }
        }
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: &str, name: &str, operator: &str) -> SourceDef {
        let toml = format!(
            "id = \"{id}\"\nname = \"{name}\"\nhomepage = \"https://www.{id}/\"\nkind = \"registry\"\noperator = \"{operator}\"\n"
        );
        toml::from_str(&toml).unwrap()
    }

    #[test]
    fn breach_links_name_breached_brokers_and_breached_emails() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("db.sqlite")).unwrap();
        let account = AccountBreaches {
            email: "ann@example.com".into(),
            checked_at: "2026-01-01T00:00:00Z".into(),
            breaches: vec![BreachRef {
                name: "Adobe".into(),
                title: "Adobe".into(),
                breach_date: "2013-10-04".into(),
                ..BreachRef::default()
            }],
        };
        save_account_breaches(store.conn(), "ann", &account).unwrap();
        let sources = [
            def("whitepages.com", "Whitepages", ""),
            def("example-broker.com", "Example", ""),
        ];
        let links =
            breach_links(&store, &["ann".to_string()], &sources, &Catalog::builtin()).unwrap();
        assert!(
            links
                .iter()
                .any(|l| l.breach == "Whitepages" && l.source.as_deref() == Some("whitepages.com"))
        );
        assert!(
            !links
                .iter()
                .any(|l| l.source.as_deref() == Some("example-broker.com"))
        );
        assert!(links.iter().any(|l| l.breach == "Adobe"
            && l.subject.as_deref() == Some("ann")
            && l.kind == Some(AttributeKind::Email)
            && l.value.as_deref() == Some("ann@example.com")));
    }

    #[test]
    fn brokers_are_linked_to_their_own_breaches() {
        let c = Catalog::builtin();
        let names = |d: &SourceDef| -> Vec<String> {
            breaches_of_source(d, &c)
                .into_iter()
                .map(|(b, _)| b.name.clone())
                .collect()
        };
        assert_eq!(
            names(&def("whitepages.com", "Whitepages", "Whitepages, Inc")),
            ["Whitepages"]
        );
        assert_eq!(
            names(&def("truthfinder.com", "TruthFinder", "")),
            ["TruthFinder"]
        );
        assert_eq!(
            names(&def("instantcheckmate.com", "Instant Checkmate", "")),
            ["InstantCheckmate"]
        );
        assert_eq!(
            names(&def("peopledatalabs.com", "People Data Labs", "")),
            ["PDL"]
        );
        assert_eq!(
            names(&def(
                "nationalpublicdata.com",
                "NPD",
                "Jerico Pictures, Inc"
            )),
            ["NationalPublicData"]
        );
        // "Not Acxiom" is HIBP's name for a list that is explicitly not Acxiom's.
        assert!(names(&def("acxiom.com", "Acxiom", "Acxiom LLC")).is_empty());
        assert!(names(&def("spokeo.com", "Spokeo", "Spokeo, Inc")).is_empty());
    }

    #[test]
    fn company_names_normalise() {
        assert_eq!(
            norm_company("Truth Finder"),
            norm_company("TruthFinder, LLC")
        );
        assert_ne!(norm_company("Not Acxiom"), norm_company("Acxiom"));
    }
}
