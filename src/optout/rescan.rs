//! `rescan`: fetch again only the listings an opt-out request covers, decide
//! whether each is still there, and record the proof in the ledger.

use anyhow::Result;
use chrono::Utc;
use serde::Serialize;
use url::Url;

use super::ledger::{self, Proof, RequestState, RescanTarget, Verdict};
use crate::crawl::{FetchRequest, Fetcher, Page};
use crate::extract::{Extractor, ResultsPage};
use crate::model::PersonName;
use crate::sources::SourceDef;
use crate::store::Store;

/// What one re-check concluded.
#[derive(Debug, Clone, Serialize)]
pub struct RescanItem {
    /// Request covering the listing.
    pub request_id: i64,
    /// Listing id.
    pub listing_id: i64,
    /// Source id.
    pub source_id: String,
    /// What the fetch showed.
    pub verdict: Verdict,
    /// Why.
    pub detail: String,
    /// The request's state afterwards.
    pub request_state: RequestState,
}

/// Summary of a rescan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RescanSummary {
    /// Listings re-checked.
    pub checked: usize,
    /// Still there.
    pub present: usize,
    /// Gone.
    pub removed: usize,
    /// Back after being removed.
    pub reappeared: usize,
    /// No conclusion (fetch failed or blocked).
    pub unknown: usize,
    /// Every re-check.
    pub items: Vec<RescanItem>,
}

/// Lower-case ASCII words of a text, for "does the page still show the name".
fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_ascii_lowercase();
    let words: Vec<&str> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" "))
}

fn shows_name(body: &str, names: &[PersonName]) -> bool {
    let text = fold(&strip_tags(body));
    names.iter().any(|n| {
        let first = fold(&n.first);
        let last = fold(&n.last);
        !first.trim().is_empty()
            && !last.trim().is_empty()
            && text.contains(&first)
            && text.contains(&last)
    })
}

/// Page text without markup, so a name inside an attribute or script does
/// not count as shown.
fn strip_tags(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let mut out = String::new();
    for t in doc.root_element().text() {
        out.push_str(t);
        out.push(' ');
    }
    out
}

/// Decides whether a fetched listing page still shows the listing.
pub fn judge(page: &Page, def: Option<&SourceDef>, names: &[PersonName]) -> (Verdict, String) {
    if page.status == 404 || page.status == 410 {
        return (Verdict::Removed, format!("http {}", page.status));
    }
    if shows_name(&page.body, names) {
        return (
            Verdict::Present,
            format!("http {}: name still shown", page.status),
        );
    }
    let markers = def
        .map(|d| d.blocked_markers.as_slice())
        .unwrap_or_default();
    // The same detector the crawler uses, so a wall is never read as "removed".
    if let Some(kind) = crate::crawl::block::from_body(
        page.status,
        &reqwest::header::HeaderMap::new(),
        &page.body,
        markers,
    ) {
        return (Verdict::Unknown, format!("blocked page ({kind})"));
    }
    if let Some(def) = def
        && let Ok(ex) = Extractor::new(def)
        && let Ok(u) = Url::parse(&page.final_url)
        && ex.results(&page.body, &u) == ResultsPage::NoResults
    {
        return (Verdict::Removed, "no-results page".into());
    }
    (
        Verdict::Removed,
        format!("http {}: name no longer shown", page.status),
    )
}

/// Re-checks every listing with a request in state requested or removed.
pub async fn rescan(
    store: &Store,
    subject_id: &str,
    defs: &[SourceDef],
    fetcher: &Fetcher,
) -> Result<RescanSummary> {
    let targets = ledger::rescan_targets(store, subject_id)?;
    let listings = store.listings_of_subject(subject_id)?;
    let mut summary = RescanSummary::default();
    for t in targets {
        let def = defs.iter().find(|d| d.id == t.source_id);
        let names = listings
            .iter()
            .find(|l| l.id == t.listing_id)
            .map(|l| l.record.names.clone())
            .unwrap_or_default();
        let proof = check_one(&t, def, &names, fetcher).await;
        let state = ledger::record_proof(store, &t, &proof)?;
        summary.checked += 1;
        match (proof.verdict, t.listing_state.as_str()) {
            (Verdict::Present, "removed" | "reappeared") => summary.reappeared += 1,
            (Verdict::Present, _) => summary.present += 1,
            (Verdict::Removed, _) => summary.removed += 1,
            (Verdict::Unknown, _) => summary.unknown += 1,
        }
        summary.items.push(RescanItem {
            request_id: t.request_id,
            listing_id: t.listing_id,
            source_id: t.source_id.clone(),
            verdict: proof.verdict,
            detail: proof.detail.clone(),
            request_state: state,
        });
    }
    Ok(summary)
}

async fn check_one(
    t: &RescanTarget,
    def: Option<&SourceDef>,
    names: &[PersonName],
    fetcher: &Fetcher,
) -> Proof {
    let unknown = |detail: String| Proof {
        after_fetched_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        after_status: None,
        after_hash: None,
        verdict: Verdict::Unknown,
        detail,
    };
    let Some(url) = t.url.as_deref().and_then(|u| Url::parse(u).ok()) else {
        return unknown("the listing has no URL to re-check; run a full scan".into());
    };
    let mut req = FetchRequest::get(url);
    if let Some(d) = def {
        req.politeness = d.politeness.clone();
        req.blocked_markers = d.blocked_markers.clone();
    }
    match fetcher.fetch(&req).await {
        Ok(page) => {
            let (verdict, detail) = judge(&page, def, names);
            Proof {
                after_fetched_at: page
                    .fetched_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                after_status: Some(page.status),
                after_hash: Some(page.content_hash.clone()),
                verdict,
                detail,
            }
        }
        Err(state) => unknown(format!(
            "{}{}",
            state.label(),
            state.detail().map(|d| format!(": {d}")).unwrap_or_default()
        )),
    }
}
