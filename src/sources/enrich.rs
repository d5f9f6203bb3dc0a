//! Builds the shipped source pack: DuckDuckGo recipes (see [`super::import`])
//! merged with the other public datasets in a data folder and a hand-written
//! overlay for brokers that have no recipe.
//!
//! Inputs (file names as in the shared data folder):
//! `brianreumere-data-brokers.json` (removal URL and process, fronts),
//! `broker-affiliation-edges.csv` (front/mirror/parent-opt-out edges, each
//! naming its source and licence), `themarkup-ca-registry-2025-optout-pages.csv`
//! (California registry presence, opt-out page, data flags). Every fact
//! added names its dataset in `provenance`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::companies::{CompaniesFile, Company, Relation};
use super::{DetailSpec, OptOut, OptOutMethod, Requirement, SearchSpec, SourceDef, SourceKind};
use crate::model::AttributeKind;

const BR_FILE: &str = "brianreumere-data-brokers.json";
const EDGES_FILE: &str = "broker-affiliation-edges.csv";
const CA_FILE: &str = "themarkup-ca-registry-2025-optout-pages.csv";
const BR_NAME: &str = "brianreumere/data-brokers (BSD-2-Clause)";
const CA_NAME: &str =
    "The Markup, investigation-data-broker-opt-out-pages, California registry 2025 (Apache-2.0)";

/// Hand-written facts for sites, keyed by source id (`sources/build/overlay.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Per-site additions.
    #[serde(default)]
    pub site: BTreeMap<String, SiteOverlay>,
}

/// Hand-written facts for one site; only set fields are applied.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteOverlay {
    /// Display name.
    pub name: Option<String>,
    /// Kind (defaults to people-search when a search is given, else registry).
    pub kind: Option<SourceKind>,
    /// Operating company, used when the CA registry does not name one.
    pub operator: Option<String>,
    /// Parent company.
    pub parent_company: Option<String>,
    /// Data categories shown.
    #[serde(default)]
    pub categories: Vec<AttributeKind>,
    /// Search for sites without a recipe.
    pub search: Option<SearchSpec>,
    /// Detail page spec.
    pub detail: Option<DetailSpec>,
    /// Opt-out page, used when no dataset names one.
    pub optout_url: Option<String>,
    /// Opt-out e-mail.
    pub optout_email: Option<String>,
    /// Extra opt-out requirements.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Where the hand-written facts come from.
    pub source: Option<String>,
    /// Notes appended to the file's notes.
    pub notes: Option<String>,
}

/// One row of the affiliation edges CSV.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Edge {
    /// The site or brand.
    pub child: String,
    /// The site or company it relates to.
    pub parent: String,
    /// `front_of`, `mirror_site_of`, `opt_out_handled_by_parent`, `similar_to`, `controller_runs`.
    pub relation: String,
    /// Dataset the edge comes from.
    pub source: String,
    /// That dataset's licence.
    pub license: String,
}

/// A row of The Markup's California registry opt-out pages CSV.
#[derive(Debug, Clone, Deserialize)]
pub struct MarkupRow {
    /// Registered company name.
    pub company_name: String,
    /// Host as registered.
    pub hostname_original: String,
    /// Opt-out URL as registered.
    pub url_original: String,
    /// Where that URL finally led.
    pub url_final: String,
    /// `TRUE` when the page was hidden from search engines.
    pub hiding_found: String,
    /// `TRUE` / `FALSE`.
    pub collects_minors_data: String,
    /// `TRUE` / `FALSE`.
    pub collects_location_data: String,
    /// `TRUE` / `FALSE`.
    pub collects_reproductive_data: String,
}

/// Reads The Markup's CSV.
pub fn read_markup(path: &Path) -> Result<Vec<MarkupRow>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    r.deserialize()
        .collect::<Result<Vec<MarkupRow>, _>>()
        .with_context(|| format!("{}: unexpected columns", path.display()))
}

/// Reads the affiliation edges CSV.
pub fn read_edges(path: &Path) -> Result<Vec<Edge>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    r.deserialize()
        .collect::<Result<Vec<Edge>, _>>()
        .with_context(|| format!("{}: unexpected columns", path.display()))
}

/// The host of a URL without "www.", lowercased.
pub fn host_of(u: &str) -> Option<String> {
    let u = if u.contains("://") {
        u.to_string()
    } else {
        format!("https://{u}")
    };
    url::Url::parse(&u)
        .ok()?
        .host_str()
        .map(|h| h.trim_start_matches("www.").to_lowercase())
}

fn push_note(notes: &mut String, s: &str) {
    if s.is_empty() || notes.contains(s) {
        return;
    }
    if !notes.is_empty() {
        notes.push(' ');
    }
    notes.push_str(s);
}

fn add_provenance(def: &mut SourceDef, s: &str) {
    if def.provenance.contains(s) {
        return;
    }
    if def.provenance.is_empty() {
        def.provenance = s.to_string();
    } else {
        def.provenance.push_str("; ");
        def.provenance.push_str(s);
    }
}

fn add_req(o: &mut OptOut, r: Requirement) {
    if !o.requires.contains(&r) {
        o.requires.push(r);
    }
}

/// Merges the datasets in `data_dir` and the overlay into `defs` (the
/// DuckDuckGo import), adds the brokers that have no recipe, and returns the
/// full pack plus the companies file.
pub fn enrich(
    mut defs: Vec<SourceDef>,
    data_dir: &Path,
    overlay: &Overlay,
) -> Result<(Vec<SourceDef>, CompaniesFile)> {
    let br: Value = serde_json::from_str(
        &std::fs::read_to_string(data_dir.join(BR_FILE))
            .with_context(|| format!("{}", data_dir.join(BR_FILE).display()))?,
    )?;
    let edges = read_edges(&data_dir.join(EDGES_FILE))?;
    let markup = read_markup(&data_dir.join(CA_FILE))?;

    // brianreumere's newest "asOf" stands for the dataset's date.
    let brokers = br["brokers"].as_object().cloned().unwrap_or_default();
    let br_date = brokers
        .values()
        .filter_map(|b| b["status"]["asOf"].as_str())
        .max()
        .unwrap_or("2023-11-01")
        .to_string();

    // 1. brianreumere brokers: add missing ones, merge removal facts.
    for (key, b) in &brokers {
        let Some(host) = b["url"].as_str().and_then(host_of) else {
            continue;
        };
        let pos = match defs.iter().position(|d| d.id == host) {
            Some(p) => p,
            None => {
                let name = b["names"][0].as_str().unwrap_or(&host);
                let mut d = SourceDef::registry(&host, name, b["url"].as_str().unwrap_or_default());
                d.last_checked = Some(b["status"]["asOf"].as_str().unwrap_or(&br_date).to_string());
                defs.push(d);
                defs.len() - 1
            }
        };
        let d = &mut defs[pos];
        add_provenance(d, &format!("{BR_NAME}: data/{key}.yaml"));
        merge_brianreumere(d, b);
    }

    // 2. Hand-written overlay (search specs for brokers without a recipe).
    for (id, o) in &overlay.site {
        let Some(d) = defs.iter_mut().find(|d| &d.id == id) else {
            anyhow::bail!(
                "overlay names {id:?}, which is in no dataset; add it to a dataset or drop it"
            );
        };
        apply_overlay(d, o);
    }

    // 3. Relations from the edges file.
    let ids: BTreeSet<String> = defs.iter().map(|d| d.id.clone()).collect();
    let mut relations = Vec::new();
    for e in &edges {
        let (child, parent) = (e.child.to_lowercase(), e.parent.to_lowercase());
        if !ids.contains(&child) || !ids.contains(&parent) {
            continue;
        }
        let kind = match e.relation.as_str() {
            "front_of" => "front_of",
            "mirror_site_of" => "mirror_of",
            "opt_out_handled_by_parent" => "opt_out_via",
            "similar_to" => "similar_to",
            _ => continue,
        };
        relations.push(Relation {
            child: child.clone(),
            parent: parent.clone(),
            kind: kind.to_string(),
            source: e.source.clone(),
            license: e.license.clone(),
        });
        let d = defs.iter_mut().find(|d| d.id == child).expect("known id");
        let prov = format!("{kind} {parent}: {} ({})", e.source, e.license);
        match kind {
            "front_of" => {
                d.front_of = Some(parent.clone());
                if d.optout.url.is_none() && d.optout.email.is_none() {
                    // brianreumere: fronts share their back end's opt-out.
                    d.opt_out_via = Some(parent.clone());
                    d.optout.method = OptOutMethod::Parent;
                }
                add_provenance(d, &prov);
            }
            "mirror_of" => {
                d.mirror_of = Some(parent.clone());
                add_provenance(d, &prov);
            }
            "opt_out_via" => {
                d.opt_out_via = Some(parent.clone());
                add_provenance(d, &prov);
            }
            _ => {}
        }
    }

    // 4. California registry presence, by host.
    let mut by_host: BTreeMap<String, &MarkupRow> = BTreeMap::new();
    for r in &markup {
        for h in [
            host_of(&r.hostname_original),
            host_of(&r.url_original),
            host_of(&r.url_final),
        ]
        .into_iter()
        .flatten()
        {
            by_host.entry(h).or_insert(r);
        }
    }
    for d in &mut defs {
        match by_host.get(&d.id) {
            Some(r) => {
                d.ca_registered = Some(true);
                if d.operator.is_empty() {
                    d.operator = r.company_name.trim().to_string();
                }
                if d.optout.url.is_none() {
                    d.optout.url = Some(r.url_final.clone());
                    if d.optout.method == OptOutMethod::Unknown {
                        d.optout.method = OptOutMethod::WebForm;
                    }
                }
                let yn = |v: &str| if v == "TRUE" { "yes" } else { "no" };
                push_note(
                    &mut d.notes,
                    &format!(
                        "California registry 2025: registered as {:?}; collects minors' data: {}; precise location: {}; reproductive health: {}{}.",
                        r.company_name.trim(),
                        yn(&r.collects_minors_data),
                        yn(&r.collects_location_data),
                        yn(&r.collects_reproductive_data),
                        if r.hiding_found == "TRUE" {
                            "; its opt-out page was hidden from search engines"
                        } else {
                            ""
                        }
                    ),
                );
                if r.collects_location_data == "TRUE"
                    && !d.categories.contains(&AttributeKind::Location)
                {
                    d.categories.push(AttributeKind::Location);
                }
                add_provenance(d, CA_NAME);
            }
            None => {
                d.ca_registered = Some(false);
                push_note(
                    &mut d.notes,
                    "Host not found in The Markup's copy of the 2025 California registry (matched by host only; the operator may be registered under another domain).",
                );
                add_provenance(d, CA_NAME);
            }
        }
    }

    // 5. Operators of fronts and mirrors default to their back end's.
    let operators: BTreeMap<String, String> = defs
        .iter()
        .filter(|d| !d.operator.is_empty())
        .map(|d| (d.id.clone(), d.operator.clone()))
        .collect();
    for d in &mut defs {
        if d.operator.is_empty()
            && let Some(op) = d
                .front_of
                .as_ref()
                .or(d.mirror_of.as_ref())
                .and_then(|p| operators.get(p))
        {
            d.operator = op.clone();
        }
        if d.search.is_none() && d.kind != SourceKind::Registry {
            d.kind = SourceKind::Registry;
        }
        if d.categories.is_empty() {
            d.categories = vec![AttributeKind::Name, AttributeKind::Address];
        }
    }

    defs.sort_by(|a, b| a.id.cmp(&b.id));
    let companies = companies_of(&defs, relations);
    Ok((defs, companies))
}

fn merge_brianreumere(d: &mut SourceDef, b: &Value) {
    let removal = b["removalUrl"].as_str().map(str::to_string);
    if d.optout.url.is_none() {
        d.optout.url = removal.clone();
    }
    if d.optout.method == OptOutMethod::Unknown && d.optout.url.is_some() {
        d.optout.method = OptOutMethod::WebForm;
    }
    match b["process"].as_str() {
        Some("search-first") => {
            add_req(&mut d.optout, Requirement::ListingUrl);
            push_note(
                &mut d.optout.notes,
                "Search the site for your listing first, then give its URL to the opt-out form.",
            );
        }
        Some("opt-out-search") => push_note(
            &mut d.optout.notes,
            "The opt-out page has its own search: find your listing there and select it.",
        ),
        Some("control") => push_note(
            &mut d.optout.notes,
            "Removal goes through the site's privacy control form.",
        ),
        _ => {}
    }
    for v in b["requiredVerification"].as_array().into_iter().flatten() {
        if v == "email" {
            add_req(&mut d.optout, Requirement::EmailConfirmation);
        }
    }
    let mut texts: Vec<String> = Vec::new();
    if let Some(h) = b["help"].as_str() {
        texts.push(h.trim().to_string());
    }
    let status = &b["status"];
    if status["working"] == false {
        texts.push(format!(
            "Opt-out reported not working as of {}.",
            status["asOf"].as_str().unwrap_or("?")
        ));
    }
    if let Some(w) = status["workaround"].as_str() {
        texts.push(format!("Workaround: {}", w.trim()));
    }
    for n in b["notes"].as_array().into_iter().flatten() {
        if let Some(t) = n["note"].as_str() {
            texts.push(format!(
                "{} ({})",
                t.trim(),
                n["date"].as_str().unwrap_or("?")
            ));
        }
    }
    let email_re =
        regex::Regex::new(r"`([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,})`").expect("valid regex");
    for t in &texts {
        let lower = t.to_lowercase();
        if lower.contains("phone call") || lower.contains("phone or sms") {
            add_req(&mut d.optout, Requirement::PhoneCall);
        }
        if lower.contains("proof of identity") {
            add_req(&mut d.optout, Requirement::IdDocument);
        }
        if d.optout.email.is_none()
            && let Some(c) = email_re.captures(t)
        {
            d.optout.email = Some(c[1].to_string());
        }
        push_note(&mut d.optout.notes, &t.replace('\n', " "));
    }
    if d.optout.method == OptOutMethod::Unknown && d.optout.email.is_some() {
        d.optout.method = OptOutMethod::Email;
    }
    let links: Vec<String> = b["helpLinks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["url"].as_str().map(str::to_string))
        .collect();
    if !links.is_empty() {
        push_note(
            &mut d.optout.notes,
            &format!("Guides: {}.", links.join(", ")),
        );
    }
}

fn apply_overlay(d: &mut SourceDef, o: &SiteOverlay) {
    if let Some(n) = &o.name {
        d.name = n.clone();
    }
    if let Some(op) = &o.operator
        && d.operator.is_empty()
    {
        d.operator = op.clone();
    }
    if o.parent_company.is_some() {
        d.parent_company = o.parent_company.clone();
    }
    for c in &o.categories {
        if !d.categories.contains(c) {
            d.categories.push(*c);
        }
    }
    if d.search.is_none() && o.search.is_some() {
        d.search = o.search.clone();
        d.kind = o.kind.unwrap_or(SourceKind::PeopleSearch);
        push_note(
            &mut d.notes,
            "Search URL and selectors were written by hand from the site's public URL scheme and were NOT checked against the live site.",
        );
    } else if let Some(k) = o.kind {
        d.kind = k;
    }
    if o.detail.is_some() {
        d.detail = o.detail.clone();
    }
    if let Some(u) = &o.optout_url
        && d.optout.url.is_none()
    {
        d.optout.url = Some(u.clone());
        if d.optout.method == OptOutMethod::Unknown {
            d.optout.method = OptOutMethod::WebForm;
        }
    }
    if let Some(e) = &o.optout_email
        && d.optout.email.is_none()
    {
        d.optout.email = Some(e.clone());
        if d.optout.method == OptOutMethod::Unknown {
            d.optout.method = OptOutMethod::Email;
        }
    }
    for r in &o.requires {
        add_req(&mut d.optout, *r);
    }
    if let Some(n) = &o.notes {
        push_note(&mut d.notes, n);
    }
    add_provenance(
        d,
        o.source.as_deref().unwrap_or(
            "brokertrace maintainers (sources/build/overlay.toml, hand-written, unverified)",
        ),
    );
}

/// Companies: one per operator named in the pack, with the sites it runs.
fn companies_of(defs: &[SourceDef], relations: Vec<Relation>) -> CompaniesFile {
    let mut by_op: BTreeMap<String, Vec<&SourceDef>> = BTreeMap::new();
    for d in defs.iter().filter(|d| !d.operator.is_empty()) {
        by_op.entry(d.operator.clone()).or_default().push(d);
    }
    let company = by_op
        .into_iter()
        .map(|(name, sites)| {
            let registered = sites.iter().any(|d| d.ca_registered == Some(true));
            Company {
                id: slug(&name),
                name: name.clone(),
                parent: None,
                sites: sites.iter().map(|d| d.id.clone()).collect(),
                source: if registered {
                    CA_NAME.to_string()
                } else {
                    "operator named in the sites' source files (see their provenance)".to_string()
                },
                license: if registered {
                    "Apache-2.0".into()
                } else {
                    String::new()
                },
            }
        })
        .collect();
    CompaniesFile {
        company,
        relation: relations,
    }
}

/// A stable id for a company name ("Spokeo, Inc." → "spokeo-inc").
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in deunicode::deunicode(name).to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}
