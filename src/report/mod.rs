//! Reports: what a scan found, as Markdown and JSON (and HTML, see
//! `docs/REPORT.md`), written to `reports/<subject>/<timestamp>/`.
//!
//! [`build`] gathers everything from the store into a [`ReportData`]; the
//! writers only format it, so every format says the same thing.

mod html;
mod markdown;

pub use html::CSP;
pub use markdown::md_escape;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::exposure::{self, Catalog, ExposureInput, ExposureSummary};
use crate::model::{CheckState, MatchLevel};
use crate::profile::Profile;
use crate::sources::SourceDef;
use crate::store::{CheckRow, ListingRow, ScanInfo, Store};

/// Version of the `report.json` layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a report shows. Serialised as `report.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportData {
    /// Layout version of this JSON.
    pub schema_version: u32,
    /// brokertrace version that wrote it.
    pub tool_version: String,
    /// Subject id.
    pub subject_id: String,
    /// Subject's primary name.
    pub subject_name: String,
    /// The scan reported on.
    pub scan: ScanInfo,
    /// Number of checks per state label (every label present, zeros included).
    pub check_states: BTreeMap<String, usize>,
    /// Listings that are the subject (probable, confirmed or marked "me").
    pub found: usize,
    /// Listings that may be the subject and need the user's review.
    pub needs_review: usize,
    /// Listings judged to be namesakes.
    pub rejected: usize,
    /// One section per source searched, by source id.
    pub sources: Vec<SourceSection>,
    /// Exposure by attribute, risks, breaches, prices and what to do first.
    #[serde(default)]
    pub exposure: ExposureSummary,
}

/// What one source showed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceSection {
    /// Source id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Home page.
    pub homepage: String,
    /// Overall state: found if any check found, else the most telling state.
    pub state: String,
    /// Opt-out method ("web-form", "email", ...).
    pub optout_method: String,
    /// Opt-out page, if any.
    pub optout_url: Option<String>,
    /// Every check run on it.
    pub checks: Vec<CheckRow>,
    /// Listings of the subject (and listings to review), strongest first.
    pub listings: Vec<ListingRow>,
    /// Number of namesake listings seen and rejected.
    pub rejected: usize,
    /// Company operating the site.
    #[serde(default)]
    pub operator: String,
    /// The operator's parent company, if any.
    #[serde(default)]
    pub parent_company: Option<String>,
    /// Declared price of one report on a person, in US dollars.
    #[serde(default)]
    pub price_usd: Option<f64>,
    /// The fetches each listing was read from in this scan (proof of what was shown when).
    #[serde(default)]
    pub evidence: Vec<ListingEvidence>,
}

/// One HTTP fetch behind a listing: what was fetched, when, and a hash of what came back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListingEvidence {
    /// Listing the fetch belongs to.
    pub listing_id: i64,
    /// Requested URL.
    pub url: String,
    /// URL after redirects.
    pub final_url: Option<String>,
    /// HTTP status.
    pub status: Option<u16>,
    /// When it was fetched.
    pub fetched_at: String,
    /// SHA-256 of the body.
    pub content_hash: Option<String>,
}

/// Fetches of the checks in which each listing of a scan was seen.
fn listing_evidence(store: &Store, scan_id: i64) -> Result<Vec<ListingEvidence>> {
    let mut st = store.conn().prepare(
        "SELECT s.listing_id, f.url, f.final_url, f.status, f.fetched_at, f.content_hash
         FROM sightings s JOIN fetches f ON f.check_id = s.check_id
         WHERE s.scan_id = ?1 AND f.error IS NULL
         ORDER BY s.listing_id, f.fetched_at, f.id",
    )?;
    let rows = st
        .query_map([scan_id], |r| {
            Ok(ListingEvidence {
                listing_id: r.get(0)?,
                url: r.get(1)?,
                final_url: r.get(2)?,
                status: r.get(3)?,
                fetched_at: r.get(4)?,
                content_hash: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Gathers a scan's results, judging breach exposure with the user's
/// breach catalog (or the built-in one; see [`Catalog::load_default`]).
pub fn build(store: &Store, scan_id: i64, sources: &[SourceDef]) -> Result<ReportData> {
    let catalog = Catalog::load_default().unwrap_or_else(|e| {
        tracing::warn!("{e:#}; using the built-in breach catalog");
        Catalog::builtin()
    });
    build_with(
        store,
        scan_id,
        sources,
        &catalog,
        &inferred_copies(store, sources)?,
    )
}

/// Copy flows `(upstream, downstream)` inferred from every subject in the
/// database. Inference needs several people's listings, so a database with
/// fewer than three subjects yields none (and costs nothing).
pub fn inferred_copies(store: &Store, sources: &[SourceDef]) -> Result<Vec<(String, String)>> {
    if store.subject_ids()?.len() < 3 {
        return Ok(Vec::new());
    }
    let graph = crate::graph::build(store, &[], sources, &[])?;
    Ok(graph.directed_flows())
}

/// [`build`] with an explicit breach catalog and inferred copy flows (a
/// batch computes those once for all its reports).
pub fn build_with(
    store: &Store,
    scan_id: i64,
    sources: &[SourceDef],
    catalog: &Catalog,
    copies: &[(String, String)],
) -> Result<ReportData> {
    let scan = store
        .scan(scan_id)?
        .with_context(|| format!("no scan {scan_id} in the database"))?;
    let profile: Profile = store
        .subject(&scan.subject_id)?
        .with_context(|| format!("no subject {} in the database", scan.subject_id))?;
    let checks = store.checks(scan_id)?;
    let listings = store.listings_in_scan(scan_id)?;
    let as_of = chrono::DateTime::parse_from_rfc3339(&scan.started_at)
        .map(|t| t.date_naive())
        .unwrap_or_else(|_| chrono::Utc::now().date_naive());
    let summary = exposure::summarize(&ExposureInput {
        profile: &profile,
        listings: &listings,
        sources,
        catalog,
        account_breaches: &exposure::account_breaches(store.conn(), &profile.id)?,
        as_of,
        inferred_copies: copies,
    });
    let mut evidence = listing_evidence(store, scan_id)?;
    let mut check_states: BTreeMap<String, usize> = CheckState::LABELS
        .iter()
        .map(|l| (l.to_string(), 0))
        .collect();
    for c in &checks {
        *check_states.entry(c.state.label().to_string()).or_default() += 1;
    }
    let mut by_source: BTreeMap<String, (Vec<CheckRow>, Vec<ListingRow>)> = BTreeMap::new();
    for c in checks {
        by_source.entry(c.source_id.clone()).or_default().0.push(c);
    }
    for l in listings {
        by_source.entry(l.source_id.clone()).or_default().1.push(l);
    }
    let (mut found, mut needs_review, mut rejected_total) = (0, 0, 0);
    let mut sections = Vec::new();
    for (id, (checks, mut listings)) in by_source {
        let def = sources.iter().find(|s| s.id == id);
        let rejected = listings
            .iter()
            .filter(|l| l.level == MatchLevel::Rejected)
            .count();
        listings.retain(|l| l.level > MatchLevel::Rejected);
        listings.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(b.score.total_cmp(&a.score))
                .then(a.key.cmp(&b.key))
        });
        found += listings
            .iter()
            .filter(|l| l.level >= MatchLevel::Probable)
            .count();
        needs_review += listings
            .iter()
            .filter(|l| l.level == MatchLevel::Possible)
            .count();
        rejected_total += rejected;
        let state = overall_state(&checks, &listings);
        let shown: std::collections::BTreeSet<i64> = listings.iter().map(|l| l.id).collect();
        let (mine, rest): (Vec<_>, Vec<_>) = evidence
            .into_iter()
            .partition(|e| shown.contains(&e.listing_id));
        evidence = rest;
        sections.push(SourceSection {
            name: def.map_or_else(|| id.clone(), |d| d.name.clone()),
            homepage: def.map(|d| d.homepage.clone()).unwrap_or_default(),
            optout_method: def
                .map_or("unknown", |d| d.optout.method.as_str())
                .to_string(),
            optout_url: def.and_then(|d| d.optout.url.clone()),
            id,
            state,
            checks,
            listings,
            rejected,
            operator: def.map(|d| d.operator.clone()).unwrap_or_default(),
            parent_company: def.and_then(|d| d.parent_company.clone()),
            price_usd: def.and_then(|d| d.price_usd),
            evidence: mine,
        });
    }
    Ok(ReportData {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        subject_id: profile.id.clone(),
        subject_name: profile.primary_name().full(),
        scan,
        check_states,
        found,
        needs_review,
        rejected: rejected_total,
        sources: sections,
        exposure: summary,
    })
}

/// The state that best describes a source: found beats everything; then
/// any state that means "we could not tell" beats absent, so a blocked
/// source is never reported as clean.
fn overall_state(checks: &[CheckRow], listings: &[ListingRow]) -> String {
    if listings.iter().any(|l| l.level >= MatchLevel::Probable) {
        return "found".into();
    }
    for label in [
        "blocked",
        "rate_limited",
        "error",
        "robots_disallowed",
        "skipped",
        "absent",
    ] {
        if checks.iter().any(|c| c.state.label() == label) {
            return label.into();
        }
    }
    "absent".into()
}

/// Writes the complete report of a scan into a new
/// `<root>/<subject>/<timestamp>/` folder: opt-out drafts (when the scan is
/// the subject's newest), then `report.md`, `report.json` and `index.html`.
/// Returns the folder and what it shows.
pub fn write_scan_report(
    store: &Store,
    scan_id: i64,
    sources: &[SourceDef],
    root: &Path,
    copies: &[(String, String)],
) -> Result<(PathBuf, ReportData)> {
    let catalog = Catalog::load_default().unwrap_or_else(|e| {
        tracing::warn!("{e:#}; using the built-in breach catalog");
        Catalog::builtin()
    });
    let data = build_with(store, scan_id, sources, &catalog, copies)?;
    let dir = report_dir(root, &data.subject_id);
    let newest = store
        .latest_scan(&data.subject_id)?
        .is_some_and(|s| s.id == scan_id);
    if newest {
        crate::optout::draft_all(
            store,
            &data.subject_id,
            sources,
            &dir.join("drafts"),
            chrono::Local::now().date_naive(),
        )?;
    }
    write(&dir, &data)?;
    Ok((dir, data))
}

/// Folder for a new report: `<root>/<subject>/<UTC timestamp>/`.
pub fn report_dir(root: &Path, subject_id: &str) -> PathBuf {
    let base = root.join(subject_id);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    // Two reports within one second must not overwrite each other.
    let mut dir = base.join(&stamp);
    let mut n = 2;
    while dir.exists() {
        dir = base.join(format!("{stamp}-{n}"));
        n += 1;
    }
    dir
}

/// Writes `report.md`, `report.json` and `index.html` into `dir`; returns the files written.
/// Drafts already in `<dir>/drafts/` are listed in the HTML.
pub fn write(dir: &Path, data: &ReportData) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create report folder {}", dir.display()))?;
    let md = dir.join("report.md");
    std::fs::write(&md, markdown::render(data))
        .with_context(|| format!("cannot write {}", md.display()))?;
    let json = dir.join("report.json");
    std::fs::write(&json, serde_json::to_string_pretty(data)?)
        .with_context(|| format!("cannot write {}", json.display()))?;
    let index = dir.join("index.html");
    std::fs::write(&index, html::render(data, dir))
        .with_context(|| format!("cannot write {}", index.display()))?;
    Ok(vec![md, json, index])
}
