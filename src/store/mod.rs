//! Storage: everything a scan learns, in one SQLite file.
//!
//! The schema is created by numbered migrations ([`MIGRATIONS`]). During a
//! scan a single writer thread ([`Writer`]) owns the write connection and
//! commits each finished check in one transaction, so an interrupted scan
//! loses nothing it finished and a re-run skips it. Readers open their own
//! connections (WAL mode lets them read while the writer writes).

mod writer;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use writer::{Writer, WriterThread};

use crate::model::{CheckState, MatchLevel, MatchResult, Record};
use crate::profile::Profile;

/// Schema migrations, applied in order; `PRAGMA user_version` records how
/// many ran. Never edit one that shipped: append a new one.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE subjects (
    id           TEXT PRIMARY KEY,
    profile_json TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE scans (
    id          INTEGER PRIMARY KEY,
    subject_id  TEXT NOT NULL REFERENCES subjects(id),
    kind        TEXT NOT NULL DEFAULT 'scan',
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE checks (
    id          INTEGER PRIMARY KEY,
    scan_id     INTEGER NOT NULL REFERENCES scans(id),
    source_id   TEXT NOT NULL,
    url         TEXT NOT NULL,
    state       TEXT NOT NULL,
    detail      TEXT,
    finished_at TEXT NOT NULL,
    UNIQUE (scan_id, source_id, url)
);
CREATE TABLE fetches (
    id            INTEGER PRIMARY KEY,
    check_id      INTEGER NOT NULL REFERENCES checks(id),
    url           TEXT NOT NULL,
    final_url     TEXT,
    status        INTEGER,
    fetched_at    TEXT NOT NULL,
    content_hash  TEXT,
    bytes         INTEGER,
    etag          TEXT,
    last_modified TEXT,
    error         TEXT
);
CREATE TABLE listings (
    id            INTEGER PRIMARY KEY,
    subject_id    TEXT NOT NULL REFERENCES subjects(id),
    source_id     TEXT NOT NULL,
    listing_key   TEXT NOT NULL,
    url           TEXT,
    record_json   TEXT NOT NULL,
    level         TEXT NOT NULL,
    score         REAL NOT NULL,
    evidence_json TEXT NOT NULL,
    content_hash  TEXT,
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    UNIQUE (subject_id, source_id, listing_key)
);
CREATE TABLE sightings (
    listing_id   INTEGER NOT NULL REFERENCES listings(id),
    scan_id      INTEGER NOT NULL REFERENCES scans(id),
    check_id     INTEGER NOT NULL REFERENCES checks(id),
    seen_at      TEXT NOT NULL,
    content_hash TEXT,
    PRIMARY KEY (listing_id, scan_id)
);
CREATE TABLE attributes (
    listing_id INTEGER NOT NULL REFERENCES listings(id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (listing_id, kind, value)
);
CREATE TABLE decisions (
    subject_id  TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    listing_key TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('me', 'not_me')),
    decided_at  TEXT NOT NULL,
    PRIMARY KEY (subject_id, source_id, listing_key)
);
CREATE TABLE http_cache (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    content_hash  TEXT,
    body          TEXT,
    fetched_at    TEXT NOT NULL
);
CREATE INDEX checks_scan ON checks (scan_id);
CREATE INDEX sightings_scan ON sightings (scan_id);
"#,
    // 2: the opt-out request ledger (src/optout/ledger.rs).
    r#"
CREATE TABLE requests (
    id             INTEGER PRIMARY KEY,
    subject_id     TEXT NOT NULL REFERENCES subjects(id),
    target_id      TEXT NOT NULL,
    method         TEXT NOT NULL,
    law            TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'found'
                   CHECK (state IN ('found', 'requested', 'removed', 'reappeared', 'refused')),
    draft_path     TEXT,
    sent_on        TEXT,
    sent_via       TEXT,
    due_on         TEXT,
    due_extended   TEXT,
    refusal_reason TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (subject_id, target_id)
);
CREATE TABLE request_listings (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    listing_id INTEGER NOT NULL REFERENCES listings(id),
    state      TEXT NOT NULL DEFAULT 'found'
               CHECK (state IN ('found', 'requested', 'removed', 'reappeared')),
    PRIMARY KEY (request_id, listing_id)
);
CREATE TABLE request_events (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    at         TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    detail     TEXT
);
CREATE TABLE removal_proofs (
    id                INTEGER PRIMARY KEY,
    request_id        INTEGER NOT NULL REFERENCES requests(id),
    listing_id        INTEGER NOT NULL REFERENCES listings(id),
    url               TEXT NOT NULL,
    before_fetched_at TEXT,
    before_status     INTEGER,
    before_hash       TEXT,
    after_fetched_at  TEXT NOT NULL,
    after_status      INTEGER,
    after_hash        TEXT,
    verdict           TEXT NOT NULL CHECK (verdict IN ('present', 'removed', 'unknown')),
    detail            TEXT
);
CREATE INDEX removal_proofs_listing ON removal_proofs (listing_id);
"#,
];

/// Default database path: `<user data dir>/brokertrace/brokertrace.sqlite`.
pub fn default_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("brokertrace")
        .join("brokertrace.sqlite")
}

/// A connection to the database, with typed queries.
pub struct Store {
    conn: Connection,
}

/// One finished check, as the writer commits it.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// Scan this check belongs to.
    pub scan_id: i64,
    /// Source searched.
    pub source_id: String,
    /// Search URL (the check's identity within the scan).
    pub url: String,
    /// What happened.
    pub state: CheckState,
    /// Every HTTP exchange made for this check.
    pub fetches: Vec<FetchLog>,
    /// Every candidate listing read, matched or not.
    pub listings: Vec<ListingObservation>,
    /// When the check finished.
    pub finished_at: DateTime<Utc>,
}

/// One HTTP exchange, kept as evidence.
#[derive(Debug, Clone, Default)]
pub struct FetchLog {
    /// Requested URL.
    pub url: String,
    /// URL after redirects.
    pub final_url: Option<String>,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// When it happened.
    pub fetched_at: DateTime<Utc>,
    /// SHA-256 of the body.
    pub content_hash: Option<String>,
    /// Body size.
    pub bytes: Option<usize>,
    /// `ETag` of the answer.
    pub etag: Option<String>,
    /// `Last-Modified` of the answer.
    pub last_modified: Option<String>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// A candidate listing read during a check.
#[derive(Debug, Clone)]
pub struct ListingObservation {
    /// Stable identity on its source: its profile URL, else a hash of the record.
    pub key: String,
    /// Its own URL, if known.
    pub url: Option<String>,
    /// What it shows.
    pub record: Record,
    /// The matcher's verdict.
    pub result: MatchResult,
    /// Hash of the page it was read from.
    pub content_hash: Option<String>,
    /// When it was read.
    pub seen_at: DateTime<Utc>,
}

/// A scan run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScanInfo {
    /// Database id.
    pub id: i64,
    /// Subject scanned.
    pub subject_id: String,
    /// "scan" or "rescan".
    pub kind: String,
    /// Start time.
    pub started_at: String,
    /// End time; `None` while unfinished (resumable).
    pub finished_at: Option<String>,
}

/// A finished check as read back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckRow {
    /// Source searched.
    pub source_id: String,
    /// Search URL.
    pub url: String,
    /// Outcome.
    pub state: CheckState,
    /// When it finished.
    pub finished_at: String,
}

/// A listing as read back, with the user's decision applied.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListingRow {
    /// Database id.
    pub id: i64,
    /// Source it is on.
    pub source_id: String,
    /// Stable key on the source.
    pub key: String,
    /// Its own URL.
    pub url: Option<String>,
    /// What it shows.
    pub record: Record,
    /// Effective level: the user's decision if any, else the matcher's.
    pub level: MatchLevel,
    /// Matcher's score.
    pub score: f64,
    /// Matcher's explanation.
    pub evidence: Vec<crate::model::Evidence>,
    /// "me" or "not_me" if the user decided.
    pub decision: Option<String>,
    /// Hash of the page it was last read from.
    pub content_hash: Option<String>,
    /// First time any scan saw it.
    pub first_seen: String,
    /// Last time any scan saw it.
    pub last_seen: String,
}

/// One sighting of a listing by a scan, as read back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SightingRow {
    /// Scan that saw it.
    pub scan_id: i64,
    /// When it was read.
    pub seen_at: String,
    /// Hash of the page it was read from.
    pub content_hash: Option<String>,
    /// Search URL of the check that found it.
    pub check_url: String,
    /// Time of the check's last HTTP fetch, if any was logged.
    pub fetched_at: Option<String>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create database folder {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store { conn };
        store
            .migrate()
            .with_context(|| format!("cannot migrate database {}", path.display()))?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > MIGRATIONS.len() {
            anyhow::bail!(
                "database schema version {version} is newer than this brokertrace ({}); upgrade brokertrace",
                MIGRATIONS.len()
            );
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(m)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The raw connection, for modules with their own tables.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Saves or updates a subject's profile.
    pub fn upsert_subject(&self, profile: &Profile) -> Result<()> {
        let now = ts(Utc::now());
        self.conn.execute(
            "INSERT INTO subjects (id, profile_json, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (id) DO UPDATE SET profile_json = excluded.profile_json, updated_at = excluded.updated_at",
            params![profile.id, serde_json::to_string(profile)?, now],
        )?;
        Ok(())
    }

    /// A subject's stored profile.
    pub fn subject(&self, id: &str) -> Result<Option<Profile>> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT profile_json FROM subjects WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| serde_json::from_str(&j).context("stored profile is unreadable"))
            .transpose()
    }

    /// Ids of every stored subject.
    pub fn subject_ids(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("SELECT id FROM subjects ORDER BY id")?;
        let ids = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// The subject's newest unfinished scan of `kind`, to resume.
    pub fn unfinished_scan(&self, subject_id: &str, kind: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM scans WHERE subject_id = ?1 AND kind = ?2 AND finished_at IS NULL
                 ORDER BY id DESC LIMIT 1",
                params![subject_id, kind],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Starts a new scan of `kind` ("scan" or "rescan").
    pub fn start_scan(&self, subject_id: &str, kind: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO scans (subject_id, kind, started_at) VALUES (?1, ?2, ?3)",
            params![subject_id, kind, ts(Utc::now())],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Marks a scan finished.
    pub fn finish_scan(&self, scan_id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE scans SET finished_at = ?2 WHERE id = ?1",
            params![scan_id, ts(Utc::now())],
        )?;
        Ok(())
    }

    /// A scan's row.
    pub fn scan(&self, scan_id: i64) -> Result<Option<ScanInfo>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, subject_id, kind, started_at, finished_at FROM scans WHERE id = ?1",
                [scan_id],
                |r| {
                    Ok(ScanInfo {
                        id: r.get(0)?,
                        subject_id: r.get(1)?,
                        kind: r.get(2)?,
                        started_at: r.get(3)?,
                        finished_at: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// The subject's newest scan of any kind.
    pub fn latest_scan(&self, subject_id: &str) -> Result<Option<ScanInfo>> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM scans WHERE subject_id = ?1 ORDER BY id DESC LIMIT 1",
                [subject_id],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.scan(id),
            None => Ok(None),
        }
    }

    /// `(source_id, url)` of every check already finished in a scan.
    pub fn finished_checks(
        &self,
        scan_id: i64,
    ) -> Result<std::collections::HashSet<(String, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT source_id, url FROM checks WHERE scan_id = ?1")?;
        let rows = st
            .query_map([scan_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Every finished check of a scan, by source then URL.
    pub fn checks(&self, scan_id: i64) -> Result<Vec<CheckRow>> {
        let mut st = self.conn.prepare(
            "SELECT source_id, url, state, detail, finished_at FROM checks WHERE scan_id = ?1
             ORDER BY source_id, url",
        )?;
        let rows = st
            .query_map([scan_id], |r| {
                let label: String = r.get(2)?;
                let detail: Option<String> = r.get(3)?;
                Ok(CheckRow {
                    source_id: r.get(0)?,
                    url: r.get(1)?,
                    state: CheckState::from_parts(&label, detail.as_deref())
                        .unwrap_or(CheckState::Error(format!("unknown state {label}"))),
                    finished_at: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Every listing seen in a scan, with decisions applied, by source then key.
    pub fn listings_in_scan(&self, scan_id: i64) -> Result<Vec<ListingRow>> {
        self.listings_where(
            "l.id IN (SELECT listing_id FROM sightings WHERE scan_id = ?1)",
            params![scan_id],
        )
    }

    /// Every listing ever seen for a subject.
    pub fn listings_of_subject(&self, subject_id: &str) -> Result<Vec<ListingRow>> {
        self.listings_where("l.subject_id = ?1", params![subject_id])
    }

    fn listings_where(&self, cond: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<ListingRow>> {
        let sql = format!(
            "SELECT l.id, l.source_id, l.listing_key, l.url, l.record_json, l.level, l.score,
                    l.evidence_json, d.decision, l.content_hash, l.first_seen, l.last_seen
             FROM listings l
             LEFT JOIN decisions d ON d.subject_id = l.subject_id AND d.source_id = l.source_id
                                  AND d.listing_key = l.listing_key
             WHERE {cond} ORDER BY l.source_id, l.listing_key"
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(p, |r| {
            let record_json: String = r.get(4)?;
            let level: String = r.get(5)?;
            let evidence_json: String = r.get(7)?;
            let decision: Option<String> = r.get(8)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                record_json,
                level,
                r.get::<_, f64>(6)?,
                evidence_json,
                decision,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, String>(11)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, source_id, key, url, rj, level, score, ej, decision, hash, first, last) = row?;
            let matcher_level = MatchLevel::parse(&level).unwrap_or(MatchLevel::Possible);
            let level = match decision.as_deref() {
                Some("me") => MatchLevel::Confirmed,
                Some("not_me") => MatchLevel::Rejected,
                _ => matcher_level,
            };
            out.push(ListingRow {
                id,
                source_id,
                key,
                url,
                record: serde_json::from_str(&rj).context("stored listing is unreadable")?,
                level,
                score,
                evidence: serde_json::from_str(&ej).context("stored evidence is unreadable")?,
                decision,
                content_hash: hash,
                first_seen: first,
                last_seen: last,
            });
        }
        Ok(out)
    }

    /// Every sighting of a listing, oldest first, with the search URL of the
    /// check that saw it and the time of that check's last fetch (evidence
    /// for the exposure graph).
    pub fn listing_sightings(&self, listing_id: i64) -> Result<Vec<SightingRow>> {
        let mut st = self.conn.prepare(
            "SELECT s.scan_id, s.seen_at, s.content_hash, c.url,
                    (SELECT MAX(f.fetched_at) FROM fetches f WHERE f.check_id = s.check_id)
             FROM sightings s JOIN checks c ON c.id = s.check_id
             WHERE s.listing_id = ?1 ORDER BY s.seen_at, s.scan_id",
        )?;
        let rows = st
            .query_map([listing_id], |r| {
                Ok(SightingRow {
                    scan_id: r.get(0)?,
                    seen_at: r.get(1)?,
                    content_hash: r.get(2)?,
                    check_url: r.get(3)?,
                    fetched_at: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The newest sighting of every listing (the last one
    /// [`listing_sightings`](Store::listing_sightings) would return), keyed by
    /// listing id, in one pass: `fetches` has no index on `check_id`, so the
    /// per-listing query scans the whole table once per listing.
    pub fn newest_sightings(&self) -> Result<std::collections::HashMap<i64, SightingRow>> {
        let mut st = self.conn.prepare(
            "WITH newest_fetch AS (
                 SELECT check_id, MAX(fetched_at) AS fetched_at FROM fetches GROUP BY check_id
             )
             SELECT s.listing_id, s.scan_id, s.seen_at, s.content_hash, c.url, nf.fetched_at
             FROM sightings s JOIN checks c ON c.id = s.check_id
             LEFT JOIN newest_fetch nf ON nf.check_id = s.check_id
             ORDER BY s.listing_id, s.seen_at, s.scan_id",
        )?;
        let mut rows = st.query([])?;
        let mut out = std::collections::HashMap::new();
        while let Some(r) = rows.next()? {
            out.insert(
                r.get::<_, i64>(0)?,
                SightingRow {
                    scan_id: r.get(1)?,
                    seen_at: r.get(2)?,
                    content_hash: r.get(3)?,
                    check_url: r.get(4)?,
                    fetched_at: r.get(5)?,
                },
            );
        }
        Ok(out)
    }

    /// Records the user's "me" / "not me" decision on a listing; it outlives re-scans.
    pub fn decide(&self, subject_id: &str, listing_id: i64, me: bool) -> Result<()> {
        let (source_id, key): (String, String) = self
            .conn
            .query_row(
                "SELECT source_id, listing_key FROM listings WHERE id = ?1 AND subject_id = ?2",
                params![listing_id, subject_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .with_context(|| format!("no listing {listing_id} for subject {subject_id}"))?;
        self.conn.execute(
            "INSERT INTO decisions (subject_id, source_id, listing_key, decision, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at",
            params![subject_id, source_id, key, if me { "me" } else { "not_me" }, ts(Utc::now())],
        )?;
        Ok(())
    }

    /// Validators stored for a URL, for conditional re-fetch.
    pub fn cached(&self, url: &str) -> Result<Option<(crate::crawl::Validators, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT etag, last_modified, body FROM http_cache WHERE url = ?1",
                [url],
                |r| {
                    Ok((
                        crate::crawl::Validators {
                            etag: r.get(0)?,
                            last_modified: r.get(1)?,
                        },
                        r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    ))
                },
            )
            .optional()?)
    }

    /// Commits one finished check with its fetches and listings, atomically.
    /// Re-committing the same check (same scan, source and URL) is a no-op.
    pub fn commit_check(&mut self, c: &CheckOutcome) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let subject_id: String = tx.query_row(
            "SELECT subject_id FROM scans WHERE id = ?1",
            [c.scan_id],
            |r| r.get(0),
        )?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO checks (scan_id, source_id, url, state, detail, finished_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                c.scan_id,
                c.source_id,
                c.url,
                c.state.label(),
                c.state.detail(),
                ts(c.finished_at)
            ],
        )?;
        if inserted == 0 {
            return Ok(());
        }
        let check_id = tx.last_insert_rowid();
        for f in &c.fetches {
            tx.execute(
                "INSERT INTO fetches (check_id, url, final_url, status, fetched_at, content_hash,
                                      bytes, etag, last_modified, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    check_id,
                    f.url,
                    f.final_url,
                    f.status,
                    ts(f.fetched_at),
                    f.content_hash,
                    f.bytes.map(|b| b as i64),
                    f.etag,
                    f.last_modified,
                    f.error
                ],
            )?;
        }
        for l in &c.listings {
            let seen = ts(l.seen_at);
            let listing_id: i64 = tx.query_row(
                "INSERT INTO listings (subject_id, source_id, listing_key, url, record_json, level,
                                       score, evidence_json, content_hash, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
                 ON CONFLICT (subject_id, source_id, listing_key) DO UPDATE SET
                    url = excluded.url, record_json = excluded.record_json, level = excluded.level,
                    score = excluded.score, evidence_json = excluded.evidence_json,
                    content_hash = excluded.content_hash, last_seen = excluded.last_seen
                 RETURNING id",
                params![
                    subject_id,
                    c.source_id,
                    l.key,
                    l.url,
                    serde_json::to_string(&l.record)?,
                    l.result.level.as_str(),
                    l.result.score,
                    serde_json::to_string(&l.result.evidence)?,
                    l.content_hash,
                    seen
                ],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO sightings (listing_id, scan_id, check_id, seen_at, content_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![listing_id, c.scan_id, check_id, seen, l.content_hash],
            )?;
            tx.execute("DELETE FROM attributes WHERE listing_id = ?1", [listing_id])?;
            for (kind, value) in attributes_of(&l.record) {
                tx.execute(
                    "INSERT OR IGNORE INTO attributes (listing_id, kind, value) VALUES (?1, ?2, ?3)",
                    params![listing_id, kind, value],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores validators and body of a page for conditional re-fetch.
    pub fn remember_page(&self, url: &str, page: &crate::crawl::Page) -> Result<()> {
        if page.etag.is_none() && page.last_modified.is_none() {
            return Ok(());
        }
        self.conn.execute(
            "INSERT INTO http_cache (url, etag, last_modified, content_hash, body, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                content_hash = excluded.content_hash, body = excluded.body, fetched_at = excluded.fetched_at",
            params![url, page.etag, page.last_modified, page.content_hash, page.body, ts(page.fetched_at)],
        )?;
        Ok(())
    }
}

/// `(kind, value)` pairs a record exposes, for the attributes table.
pub fn attributes_of(r: &Record) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for n in &r.names {
        out.push(("name", n.full()));
    }
    if let Some(a) = r.age {
        out.push(("age", a.to_string()));
    }
    if let Some(d) = &r.birth_date {
        out.push(("birth_date", d.clone()));
    } else if let Some(y) = r.birth_year {
        out.push(("birth_date", y.to_string()));
    }
    for a in &r.addresses {
        out.push(("address", a.one_line()));
    }
    for p in &r.phones {
        out.push(("phone", p.clone()));
    }
    for e in &r.emails {
        out.push(("email", e.clone()));
    }
    for x in &r.relatives {
        out.push(("relatives", x.clone()));
    }
    for u in &r.usernames {
        out.push(("username", u.clone()));
    }
    out
}
