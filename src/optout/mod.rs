//! Opt-out and access request drafts, and the request ledger.
//!
//! [`draft_all`] turns the subject's newest scan into one draft per broker
//! that handles opt-outs (fronts are folded into their parent), under the law
//! of the profile's jurisdiction ([`law`]), revealing only what each broker
//! already shows ([`draft`]). Each draft is a request in the [`ledger`];
//! [`rescan`] later proves whether the listings went away.

pub mod draft;
pub mod law;
pub mod ledger;
pub mod rescan;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::Serialize;

use crate::profile::Profile;
use crate::sources::SourceDef;
use crate::store::Store;
use draft::Disclosure;
use law::Law;

/// One draft, as `drafts/index.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DraftEntry {
    /// Ledger request id (for `optout mark-sent`).
    pub request_id: i64,
    /// Broker (source id) the request goes to.
    pub broker: String,
    /// Its display name.
    pub broker_name: String,
    /// Route: "web-form", "email", "postal", "account", "unknown".
    pub method: String,
    /// Draft file name inside `drafts/`.
    pub file: String,
    /// Source ids whose listings it covers (the broker and its fronts).
    pub covers: Vec<String>,
    /// The listing URLs it names.
    pub listing_urls: Vec<String>,
    /// What the site demands (e-mail confirmation, ID, ...).
    pub requires: Vec<String>,
    /// Every value the draft reveals and who already shows it.
    pub discloses: Vec<Disclosure>,
    /// Answer due by, if sent on the draft date.
    pub due_if_sent_on_draft_date: NaiveDate,
    /// Latest date with the legal extension.
    pub due_extended: Option<NaiveDate>,
    /// The request's ledger state.
    pub state: String,
}

/// `drafts/index.json`: every draft of a subject.
#[derive(Debug, Clone, Serialize)]
pub struct DraftIndex {
    /// Subject id.
    pub subject_id: String,
    /// The profile's jurisdiction.
    pub jurisdiction: String,
    /// The law the drafts rest on.
    pub law: Law,
    /// Date the drafts were written for.
    pub drafted_on: NaiveDate,
    /// California's DROP advice, for California residents.
    pub drop_note: Option<String>,
    /// Scan the drafts come from.
    pub scan_id: i64,
    /// One entry per request.
    pub drafts: Vec<DraftEntry>,
}

/// `<out>/<subject>/drafts`.
pub fn drafts_dir(out: &Path, subject_id: &str) -> PathBuf {
    out.join(crate::profile::slug(subject_id)).join("drafts")
}

/// Writes one draft per opt-out target for the subject's newest scan into
/// the folder `dir` (e.g. [`drafts_dir`], or a report's `drafts/`),
/// replacing earlier drafts there, and records
/// each as a ledger request (keeping the state of requests already sent).
/// Running it twice with the same inputs writes the same files.
pub fn draft_all(
    store: &Store,
    subject_id: &str,
    defs: &[SourceDef],
    dir: &Path,
    date: NaiveDate,
) -> Result<DraftIndex> {
    let profile: Profile = store.subject(subject_id)?.with_context(|| {
        format!("no subject {subject_id:?} in the database; run `brokertrace scan` first")
    })?;
    let scan = store.latest_scan(subject_id)?.with_context(|| {
        format!("no scan of subject {subject_id:?}; run `brokertrace scan` first")
    })?;
    let listings = store.listings_in_scan(scan.id)?;
    let law = law::law_for(&profile.jurisdiction);
    let planned = draft::plan(&listings, defs);
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot replace old drafts in {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create drafts folder {}", dir.display()))?;
    let mut entries = Vec::new();
    for req in &planned {
        let listing_ids: Vec<i64> = req.listings.iter().map(|l| l.listing_id).collect();
        let id = ledger::upsert_request(
            store,
            &profile.id,
            &req.target_id,
            req.method.as_str(),
            &law.code,
            &listing_ids,
        )?;
        let target = defs.iter().find(|d| d.id == req.target_id);
        let rendered = draft::render(req, id, target, &profile, &law, date)?;
        let path = dir.join(&rendered.file);
        std::fs::write(&path, &rendered.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        ledger::set_draft_path(store, id, &path.to_string_lossy())?;
        let row = ledger::get(store, id)?;
        entries.push(DraftEntry {
            request_id: id,
            broker: req.target_id.clone(),
            broker_name: req.target_name.clone(),
            method: req.method.as_str().into(),
            file: rendered.file,
            covers: req.covers.clone(),
            listing_urls: req.listings.iter().filter_map(|l| l.url.clone()).collect(),
            requires: target
                .map(|t| {
                    t.optout
                        .requires
                        .iter()
                        .map(|r| {
                            serde_json::to_value(r)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default(),
            discloses: rendered.discloses,
            due_if_sent_on_draft_date: law.due(date),
            due_extended: law.due_extended(date),
            state: row.state.as_str().into(),
        });
    }
    let index = DraftIndex {
        subject_id: profile.id.clone(),
        jurisdiction: profile.jurisdiction.clone(),
        drop_note: law.drop_note().map(str::to_string),
        law,
        drafted_on: date,
        scan_id: scan.id,
        drafts: entries,
    };
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_string_pretty(&index)? + "\n",
    )?;
    std::fs::write(dir.join("index.md"), index_markdown(&index))?;
    Ok(index)
}

/// Escapes Markdown syntax in untrusted text.
fn md(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_control() {
            out.push(' ');
            continue;
        }
        if "\\`*_[]<>#|!~&{}()".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `drafts/index.md`: what to send where, and what each draft reveals.
pub fn index_markdown(index: &DraftIndex) -> String {
    let mut s = format!(
        "# Opt-out drafts for {}\n\nJurisdiction {} — {} ({}). Deadline: {}.\n\n",
        md(&index.subject_id),
        md(&index.jurisdiction),
        index.law.short,
        index.law.name,
        index.law.deadline_text()
    );
    if let Some(n) = &index.drop_note {
        s.push_str(&format!("{n}\n\n"));
    }
    if index.drafts.is_empty() {
        s.push_str("No listing of level probable or better (or marked \"me\") in the newest scan: nothing to request.\n");
        return s;
    }
    s.push_str("| # | broker | route | draft | covers | due if sent on draft date |\n|---|---|---|---|---|---|\n");
    for d in &index.drafts {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            d.request_id,
            md(&d.broker_name),
            d.method,
            md(&d.file),
            md(&d.covers.join(", ")),
            d.due_if_sent_on_draft_date
        ));
    }
    s.push_str("\nAfter sending: `brokertrace optout mark-sent ID --date YYYY-MM-DD --via email|web-form|postal`. `.eml` files open in most mail programs; check the From address first");
    s.push_str(&format!(
        " (`{}` means the profile has no e-mail: replace it).\n\n## What each draft discloses\n\n",
        draft::PLACEHOLDER_FROM
    ));
    for d in &index.drafts {
        s.push_str(&format!("### #{} {}\n\n", d.request_id, md(&d.broker_name)));
        for x in &d.discloses {
            let by = if x.shown_by == "sender" {
                "your reply address".to_string()
            } else {
                format!("already shown by {}", md(&x.shown_by))
            };
            s.push_str(&format!("- {}: {} ({by})\n", x.kind, md(&x.value)));
        }
        s.push('\n');
    }
    s
}
