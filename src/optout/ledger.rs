//! The request ledger: every opt-out request, its state, its deadline and
//! the proof that a listing went away (tables from store migration 2).
//!
//! States: `found` (drafted) → `requested` (sent) → `removed` / `reappeared`
//! / `refused`. Each listing a request covers has its own state too, so a
//! request is `removed` only when every listing is gone.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::law::Law;
use crate::store::Store;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Drafted, not sent yet.
    Found,
    /// Sent; waiting for the broker.
    Requested,
    /// Every listing it covers is gone (proved by `rescan`).
    Removed,
    /// A removed listing came back.
    Reappeared,
    /// The broker said no.
    Refused,
}

impl RequestState {
    /// The label stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Found => "found",
            RequestState::Requested => "requested",
            RequestState::Removed => "removed",
            RequestState::Reappeared => "reappeared",
            RequestState::Refused => "refused",
        }
    }

    fn parse(s: &str) -> RequestState {
        match s {
            "requested" => RequestState::Requested,
            "removed" => RequestState::Removed,
            "reappeared" => RequestState::Reappeared,
            "refused" => RequestState::Refused,
            _ => RequestState::Found,
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a broker refused, in the Data Rights Protocol's denial reasons
/// (DRP v0.9 §3.02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenialReason {
    /// The broker believes the request is fraudulent.
    SuspectedFraud,
    /// Identity verification failed or timed out.
    InsufVerification,
    /// The broker could not match you to any record.
    NoMatch,
    /// The data asked for is not covered by the law invoked.
    ClaimNotCovered,
    /// You are not covered by the law invoked (e.g. not a resident).
    OutsideJurisdiction,
    /// More requests than the broker is obliged to process.
    TooManyRequests,
    /// Any other reason.
    Other,
}

impl DenialReason {
    /// Every reason, for help texts.
    pub const ALL: [DenialReason; 7] = [
        DenialReason::SuspectedFraud,
        DenialReason::InsufVerification,
        DenialReason::NoMatch,
        DenialReason::ClaimNotCovered,
        DenialReason::OutsideJurisdiction,
        DenialReason::TooManyRequests,
        DenialReason::Other,
    ];

    /// The DRP label.
    pub fn as_str(self) -> &'static str {
        match self {
            DenialReason::SuspectedFraud => "suspected_fraud",
            DenialReason::InsufVerification => "insuf_verification",
            DenialReason::NoMatch => "no_match",
            DenialReason::ClaimNotCovered => "claim_not_covered",
            DenialReason::OutsideJurisdiction => "outside_jurisdiction",
            DenialReason::TooManyRequests => "too_many_requests",
            DenialReason::Other => "other",
        }
    }
}

impl FromStr for DenialReason {
    type Err = String;

    /// Accepts the DRP labels and the plain synonyms people type
    /// ("identity_unverifiable", "not_found"), with `-` or `_`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match s.as_str() {
            "identity_unverifiable" | "unverified" | "verification" => "insuf_verification",
            "not_found" | "no_record" => "no_match",
            "fraud" => "suspected_fraud",
            other => other,
        };
        DenialReason::ALL
            .into_iter()
            .find(|r| r.as_str() == alias)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a refusal reason; expected one of {}",
                    DenialReason::ALL.map(|r| r.as_str()).join(", ")
                )
            })
    }
}

/// One request as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRow {
    /// Request id (what `mark-sent` takes).
    pub id: i64,
    /// Subject.
    pub subject_id: String,
    /// Broker (source id) the request goes to.
    pub target_id: String,
    /// Opt-out route ("web-form", "email", ...).
    pub method: String,
    /// Law code ("gdpr", "ccpa", "us-va", "generic").
    pub law: String,
    /// Where it stands.
    pub state: RequestState,
    /// The draft file, if written.
    pub draft_path: Option<String>,
    /// Date it was sent.
    pub sent_on: Option<NaiveDate>,
    /// How it was sent.
    pub sent_via: Option<String>,
    /// Answer due by.
    pub due_on: Option<NaiveDate>,
    /// Latest date with the legal extension.
    pub due_extended: Option<NaiveDate>,
    /// DRP denial reason when refused.
    pub refusal_reason: Option<String>,
    /// Listings it covers.
    pub listings: usize,
    /// Listings proved gone.
    pub removed: usize,
}

impl RequestRow {
    /// Sent, unanswered, and past its due date on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state == RequestState::Requested && self.due_on.is_some_and(|d| today > d)
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// Creates the request for `(subject, target)` or refreshes its method and
/// law, and links the listings; an existing request keeps its state, so
/// drafting again never forgets what was sent. Returns the request id.
pub fn upsert_request(
    store: &Store,
    subject_id: &str,
    target_id: &str,
    method: &str,
    law: &str,
    listing_ids: &[i64],
) -> Result<i64> {
    let c = store.conn();
    let at = now();
    let id: i64 = c.query_row(
        "INSERT INTO requests (subject_id, target_id, method, law, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (subject_id, target_id) DO UPDATE SET method = excluded.method, law = excluded.law
         RETURNING id",
        params![subject_id, target_id, method, law, at],
        |r| r.get(0),
    )?;
    for l in listing_ids {
        c.execute(
            "INSERT OR IGNORE INTO request_listings (request_id, listing_id, state)
             SELECT ?1, ?2, CASE WHEN state = 'found' THEN 'found' ELSE 'requested' END
             FROM requests WHERE id = ?1",
            params![id, l],
        )?;
    }
    Ok(id)
}

/// Remembers where a request's draft was written.
pub fn set_draft_path(store: &Store, id: i64, path: &str) -> Result<()> {
    store.conn().execute(
        "UPDATE requests SET draft_path = ?2 WHERE id = ?1",
        params![id, path],
    )?;
    Ok(())
}

const SELECT: &str = "SELECT r.id, r.subject_id, r.target_id, r.method, r.law, r.state, r.draft_path,
        r.sent_on, r.sent_via, r.due_on, r.due_extended, r.refusal_reason,
        (SELECT COUNT(*) FROM request_listings rl WHERE rl.request_id = r.id),
        (SELECT COUNT(*) FROM request_listings rl WHERE rl.request_id = r.id AND rl.state = 'removed')
     FROM requests r";

fn row(r: &rusqlite::Row) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        id: r.get(0)?,
        subject_id: r.get(1)?,
        target_id: r.get(2)?,
        method: r.get(3)?,
        law: r.get(4)?,
        state: RequestState::parse(&r.get::<_, String>(5)?),
        draft_path: r.get(6)?,
        sent_on: date(r.get(7)?),
        sent_via: r.get(8)?,
        due_on: date(r.get(9)?),
        due_extended: date(r.get(10)?),
        refusal_reason: r.get(11)?,
        listings: r.get::<_, i64>(12)? as usize,
        removed: r.get::<_, i64>(13)? as usize,
    })
}

/// Every request, optionally of one subject, by id.
pub fn list(store: &Store, subject_id: Option<&str>) -> Result<Vec<RequestRow>> {
    let sql = format!("{SELECT} WHERE ?1 IS NULL OR r.subject_id = ?1 ORDER BY r.id");
    let mut st = store.conn().prepare(&sql)?;
    let rows = st
        .query_map([subject_id], row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One request.
pub fn get(store: &Store, id: i64) -> Result<RequestRow> {
    store
        .conn()
        .query_row(&format!("{SELECT} WHERE r.id = ?1"), [id], row)
        .optional()?
        .with_context(|| {
            format!("no opt-out request #{id}; `brokertrace optout list` shows the ids")
        })
}

fn transition(
    store: &Store,
    id: i64,
    from: RequestState,
    to: RequestState,
    detail: &str,
) -> Result<()> {
    store.conn().execute(
        "INSERT INTO request_events (request_id, at, from_state, to_state, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, now(), from.as_str(), to.as_str(), detail],
    )?;
    store.conn().execute(
        "UPDATE requests SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, to.as_str(), now()],
    )?;
    Ok(())
}

/// Records that a request was sent on `sent_on` via `via`; computes its
/// deadline under `law`. Re-sending after a refusal or reappearance starts
/// a new deadline.
pub fn mark_sent(
    store: &Store,
    id: i64,
    sent_on: NaiveDate,
    via: &str,
    law: &Law,
) -> Result<RequestRow> {
    let req = get(store, id)?;
    if req.state == RequestState::Removed {
        bail!(
            "request #{id} ({}) is already removed; nothing to send",
            req.target_id
        );
    }
    store.conn().execute(
        "UPDATE requests SET sent_on = ?2, sent_via = ?3, due_on = ?4, due_extended = ?5,
                refusal_reason = NULL, law = ?6
         WHERE id = ?1",
        params![
            id,
            sent_on.to_string(),
            via,
            law.due(sent_on).to_string(),
            law.due_extended(sent_on).map(|d| d.to_string()),
            law.code
        ],
    )?;
    store.conn().execute(
        "UPDATE request_listings SET state = 'requested' WHERE request_id = ?1 AND state != 'removed'",
        [id],
    )?;
    transition(
        store,
        id,
        req.state,
        RequestState::Requested,
        &format!("sent {sent_on} via {via}"),
    )?;
    get(store, id)
}

/// Records a broker's refusal with its DRP reason.
pub fn mark_refused(store: &Store, id: i64, reason: DenialReason) -> Result<RequestRow> {
    let req = get(store, id)?;
    if req.state != RequestState::Requested {
        bail!(
            "request #{id} is {}, not requested; only a sent request can be refused (run `optout mark-sent {id}` first)",
            req.state
        );
    }
    store.conn().execute(
        "UPDATE requests SET refusal_reason = ?2 WHERE id = ?1",
        params![id, reason.as_str()],
    )?;
    transition(store, id, req.state, RequestState::Refused, reason.as_str())?;
    get(store, id)
}

/// A listing `rescan` must look at again.
#[derive(Debug, Clone, PartialEq)]
pub struct RescanTarget {
    /// Request covering it.
    pub request_id: i64,
    /// Listing id.
    pub listing_id: i64,
    /// Its source.
    pub source_id: String,
    /// Its URL.
    pub url: Option<String>,
    /// The listing's own state in the request ("requested", "removed").
    pub listing_state: String,
    /// The last observation: fetch time, HTTP status, content hash.
    pub before: (Option<String>, Option<u16>, Option<String>),
}

/// Listings of requests in state requested or removed, for `rescan`.
pub fn rescan_targets(store: &Store, subject_id: &str) -> Result<Vec<RescanTarget>> {
    let mut st = store.conn().prepare(
        "SELECT rl.request_id, rl.listing_id, l.source_id, l.url, rl.state,
                COALESCE(p.after_fetched_at, l.last_seen), p.after_status,
                CASE WHEN p.id IS NULL THEN l.content_hash ELSE p.after_hash END
         FROM request_listings rl
         JOIN requests r ON r.id = rl.request_id
         JOIN listings l ON l.id = rl.listing_id
         LEFT JOIN removal_proofs p ON p.id = (SELECT MAX(id) FROM removal_proofs
                                              WHERE listing_id = rl.listing_id)
         WHERE r.subject_id = ?1 AND r.state IN ('requested', 'removed')
         ORDER BY rl.request_id, rl.listing_id",
    )?;
    let rows = st
        .query_map([subject_id], |r| {
            Ok(RescanTarget {
                request_id: r.get(0)?,
                listing_id: r.get(1)?,
                source_id: r.get(2)?,
                url: r.get(3)?,
                listing_state: r.get(4)?,
                before: (r.get(5)?, r.get(6)?, r.get(7)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// What a re-check saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The listing is still there.
    Present,
    /// The listing is gone.
    Removed,
    /// The fetch failed or was blocked: no conclusion.
    Unknown,
}

impl Verdict {
    /// The stored label.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Present => "present",
            Verdict::Removed => "removed",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Proof of one re-check.
#[derive(Debug, Clone)]
pub struct Proof {
    /// Fetch time of the re-check (RFC 3339).
    pub after_fetched_at: String,
    /// HTTP status, if a response arrived.
    pub after_status: Option<u16>,
    /// SHA-256 of the body.
    pub after_hash: Option<String>,
    /// The conclusion.
    pub verdict: Verdict,
    /// Why ("http 404", "no-results page", "name no longer shown", ...).
    pub detail: String,
}

/// Stores a re-check's proof and moves the listing and its request on:
/// a gone listing becomes `removed`; a removed listing seen again makes the
/// request `reappeared`; a request whose listings are all gone is `removed`.
/// Returns the request's new state.
pub fn record_proof(store: &Store, t: &RescanTarget, p: &Proof) -> Result<RequestState> {
    let c = store.conn();
    c.execute(
        "INSERT INTO removal_proofs (request_id, listing_id, url, before_fetched_at, before_status,
                                     before_hash, after_fetched_at, after_status, after_hash,
                                     verdict, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            t.request_id,
            t.listing_id,
            t.url.clone().unwrap_or_default(),
            t.before.0,
            t.before.1,
            t.before.2,
            p.after_fetched_at,
            p.after_status,
            p.after_hash,
            p.verdict.as_str(),
            p.detail
        ],
    )?;
    let req = get(store, t.request_id)?;
    let listing_state = match (p.verdict, t.listing_state.as_str()) {
        (Verdict::Removed, _) => "removed",
        (Verdict::Present, "removed" | "reappeared") => "reappeared",
        (Verdict::Present, other) => other,
        (Verdict::Unknown, other) => other,
    };
    c.execute(
        "UPDATE request_listings SET state = ?3 WHERE request_id = ?1 AND listing_id = ?2",
        params![t.request_id, t.listing_id, listing_state],
    )?;
    let (total, removed, reappeared): (i64, i64, i64) = c.query_row(
        "SELECT COUNT(*), SUM(state = 'removed'), SUM(state = 'reappeared')
         FROM request_listings WHERE request_id = ?1",
        [t.request_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let next = if reappeared > 0 {
        RequestState::Reappeared
    } else if total > 0 && removed == total {
        RequestState::Removed
    } else {
        req.state
    };
    if next != req.state {
        transition(store, t.request_id, req.state, next, &p.detail)?;
    }
    Ok(next)
}
