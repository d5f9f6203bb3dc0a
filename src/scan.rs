//! The scan pipeline: plan the checks for one subject, run them through the
//! crawler, extractor and matcher, and commit each finished check.
//!
//! Pieces are joined by plain async calls and a channel to the single store
//! writer: planning is pure ([`plan_checks`]), running one check is
//! [`run_check`], and [`run_scan`] schedules them with bounded concurrency.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use chrono::Utc;
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::crawl::{FetchRequest, Fetcher, Page};
use crate::extract::{Extractor, ResultsPage};
use crate::matching::Matcher;
use crate::model::{CheckState, MatchLevel, Record};
use crate::profile::Profile;
use crate::sources::{SourceDef, SourceKind, template};
use crate::store::{CheckOutcome, FetchLog, ListingObservation, Store, Writer, WriterThread};
use tokio::sync::OnceCell;

/// One search to run: a URL on a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Check {
    /// Source id.
    pub source_id: String,
    /// Search URL.
    pub url: String,
}

/// Progress as the scan goes, for bars and `--json` event streams.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// Checks planned for a subject; `resumed` were already done.
    Planned {
        /// Subject id.
        subject: String,
        /// Checks to run now.
        total: usize,
        /// Checks skipped because an earlier run finished them.
        resumed: usize,
        /// Checks to run per source.
        per_source: Vec<(String, usize)>,
    },
    /// A check finished and was committed.
    CheckDone {
        /// Subject id.
        subject: String,
        /// Source id.
        source: String,
        /// State label.
        state: String,
    },
    /// A batch counted its good rows.
    BatchPlanned {
        /// Subjects to scan or skip.
        subjects: usize,
    },
    /// A batch subject was skipped because an earlier run finished it.
    SubjectSkipped {
        /// Subject id.
        subject: String,
    },
    /// A subject's scan finished.
    Finished {
        /// Subject id.
        subject: String,
        /// Scan id.
        scan_id: i64,
    },
}

/// Receives progress events. The CLI draws bars; the library never prints.
pub trait Progress: Send + Sync {
    /// Called for each event, from any task.
    fn event(&self, e: &ProgressEvent);
}

/// A progress sink that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _: &ProgressEvent) {}
}

/// Knobs for one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Start a fresh scan even if an unfinished one exists.
    pub fresh: bool,
    /// Search URLs per source at most (name variants × places).
    pub max_searches_per_source: usize,
    /// Checks run at once.
    pub concurrency: usize,
    /// Stop after this many checks (leaves the scan unfinished, resumable).
    pub stop_after: Option<usize>,
    /// "scan" or "rescan".
    pub kind: &'static str,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            fresh: false,
            max_searches_per_source: 8,
            concurrency: 16,
            stop_after: None,
            kind: "scan",
        }
    }
}

/// What a scan did.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSummary {
    /// Scan id in the database.
    pub scan_id: i64,
    /// Subject id.
    pub subject_id: String,
    /// Checks run in this invocation.
    pub ran: usize,
    /// Checks an earlier, interrupted invocation had already finished.
    pub resumed: usize,
    /// Whether every planned check is now finished.
    pub complete: bool,
}

/// Every check a profile needs on these sources. Sources that cannot be
/// searched with what the profile holds get one `skipped` check.
pub fn plan_checks(
    profile: &Profile,
    sources: &[SourceDef],
    cap: usize,
) -> Vec<(Check, Option<CheckState>)> {
    let mut out = Vec::new();
    for s in sources {
        let Some(search) = &s.search else { continue };
        if !matches!(
            s.kind,
            SourceKind::PeopleSearch | SourceKind::PublicRecords | SourceKind::Username
        ) {
            continue;
        }
        let urls = template::plan(&search.urls, profile, cap);
        if urls.is_empty() {
            let needed: Vec<&str> = search
                .urls
                .iter()
                .flat_map(|u| template::placeholders(u))
                .collect();
            out.push((
                Check {
                    source_id: s.id.clone(),
                    url: search.urls.first().cloned().unwrap_or_default(),
                },
                Some(CheckState::Skipped(format!(
                    "profile lacks {}",
                    needed.join("/")
                ))),
            ));
        }
        for url in urls {
            out.push((
                Check {
                    source_id: s.id.clone(),
                    url,
                },
                None,
            ));
        }
    }
    out
}

/// What every scan of a run shares: the fetcher (and so the per-host
/// politeness budget), compiled extractors, the single store writer and a
/// small cache so identical searches by several subjects are fetched once.
pub struct Engine {
    fetcher: Fetcher,
    writer: Writer,
    thread: Option<WriterThread>,
    sources: Vec<(SourceDef, Arc<Extractor>)>,
    db: PathBuf,
    cache: PageCache,
    /// Read connection for cached validators and bodies (conditional re-fetch).
    http_cache: Mutex<Store>,
}

struct Ctx<'a> {
    engine: &'a Engine,
    matcher: Matcher,
    scan_id: i64,
}

impl Engine {
    /// Compiles the sources' selectors and starts the store writer.
    pub fn new(sources: &[SourceDef], fetcher: &Fetcher, db: &Path) -> Result<Engine> {
        let mut compiled = Vec::new();
        for s in sources {
            let ex = Extractor::new(s).map_err(|e| {
                anyhow::anyhow!(
                    "source {}: {}",
                    s.id,
                    e.iter()
                        .map(|(f, m)| format!("{f}: {m}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            compiled.push((s.clone(), Arc::new(ex)));
        }
        // Open (and migrate) before the writer thread does, so errors surface here.
        let http_cache = Mutex::new(Store::open(db)?);
        let (writer, thread) = Writer::spawn(db)?;
        Ok(Engine {
            fetcher: fetcher.clone(),
            writer,
            thread: Some(thread),
            sources: compiled,
            db: db.to_path_buf(),
            cache: PageCache::new(256),
            http_cache,
        })
    }

    /// The sources this engine scans.
    pub fn sources(&self) -> impl Iterator<Item = &SourceDef> {
        self.sources.iter().map(|(d, _)| d)
    }

    /// Waits for every write to land and stops the writer.
    pub fn finish(mut self) -> Result<()> {
        let thread = self.thread.take();
        drop(self);
        match thread {
            Some(t) => t.join(),
            None => Ok(()),
        }
    }

    /// Scans one subject; resumes its unfinished scan unless `opts.fresh`.
    pub async fn scan(
        &self,
        profile: &Profile,
        opts: &ScanOptions,
        progress: &dyn Progress,
    ) -> Result<ScanSummary> {
        let store = Store::open(&self.db)?;
        store.upsert_subject(profile)?;
        let scan_id = match store.unfinished_scan(&profile.id, opts.kind)? {
            Some(id) if !opts.fresh => id,
            _ => store.start_scan(&profile.id, opts.kind)?,
        };
        let done = store.finished_checks(scan_id)?;
        let defs: Vec<SourceDef> = self.sources().cloned().collect();
        let mut seen = HashSet::new();
        let todo: Vec<(Check, Option<CheckState>)> =
            plan_checks(profile, &defs, opts.max_searches_per_source)
                .into_iter()
                .filter(|(c, _)| seen.insert(c.clone()))
                .filter(|(c, _)| !done.contains(&(c.source_id.clone(), c.url.clone())))
                .collect();
        let resumed = done.len();
        let mut per_source: Vec<(String, usize)> = Vec::new();
        for (c, _) in &todo {
            match per_source.iter_mut().find(|(s, _)| *s == c.source_id) {
                Some((_, n)) => *n += 1,
                None => per_source.push((c.source_id.clone(), 1)),
            }
        }
        let todo_len = todo.len();
        let limit = opts.stop_after.unwrap_or(usize::MAX).min(todo_len);
        progress.event(&ProgressEvent::Planned {
            subject: profile.id.clone(),
            total: limit,
            resumed,
            per_source,
        });
        let ctx = Ctx {
            engine: self,
            matcher: Matcher::new(profile),
            scan_id,
        };
        let ctx = &ctx;
        let mut ran = 0;
        let mut failures = Vec::new();
        let mut results = futures_util::stream::iter(todo.into_iter().take(limit))
            .map(|(check, preset)| async move {
                let outcome = match preset {
                    Some(state) => CheckOutcome {
                        scan_id: ctx.scan_id,
                        source_id: check.source_id.clone(),
                        url: check.url.clone(),
                        state,
                        fetches: vec![],
                        listings: vec![],
                        finished_at: Utc::now(),
                    },
                    None => run_check(ctx, &check).await,
                };
                let label = outcome.state.label().to_string();
                ctx.engine
                    .writer
                    .commit(outcome)
                    .await
                    .map(|_| (check, label))
            })
            .buffer_unordered(opts.concurrency.max(1));
        while let Some(r) = results.next().await {
            match r {
                Ok((check, label)) => {
                    ran += 1;
                    progress.event(&ProgressEvent::CheckDone {
                        subject: profile.id.clone(),
                        source: check.source_id,
                        state: label,
                    });
                }
                Err(e) => failures.push(e),
            }
        }
        drop(results);
        if let Some(e) = failures.into_iter().next() {
            return Err(e.context("could not store a check result"));
        }
        let complete = ran == todo_len;
        if complete {
            store.finish_scan(scan_id)?;
            progress.event(&ProgressEvent::Finished {
                subject: profile.id.clone(),
                scan_id,
            });
        }
        Ok(ScanSummary {
            scan_id,
            subject_id: profile.id.clone(),
            ran,
            resumed,
            complete,
        })
    }
}

/// Scans one subject with a fresh [`Engine`]; resumes its unfinished scan
/// unless `opts.fresh`.
pub async fn run_scan(
    profile: &Profile,
    sources: &[SourceDef],
    fetcher: &Fetcher,
    db: &Path,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<ScanSummary> {
    let engine = Engine::new(sources, fetcher, db)?;
    let summary = engine.scan(profile, opts, progress).await;
    engine.finish()?;
    summary
}

type SharedOutcome = Arc<OnceCell<Result<Page, CheckState>>>;

/// Pages fetched during this run, so that identical URLs (namesakes in a
/// batch search the same names) cost one request. Bounded: the oldest
/// entries go first, keeping memory flat however long the batch.
struct PageCache {
    cap: usize,
    inner: Mutex<(HashMap<String, SharedOutcome>, VecDeque<String>)>,
}

impl PageCache {
    fn new(cap: usize) -> PageCache {
        PageCache {
            cap,
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    /// The shared slot for `url`, and whether this caller created it.
    fn slot(&self, url: &str) -> (SharedOutcome, bool) {
        let mut g = self.inner.lock().expect("page cache lock");
        if let Some(c) = g.0.get(url) {
            return (c.clone(), false);
        }
        let cell = Arc::new(OnceCell::new());
        g.0.insert(url.to_string(), cell.clone());
        g.1.push_back(url.to_string());
        while g.1.len() > self.cap {
            if let Some(old) = g.1.pop_front() {
                g.0.remove(&old);
            }
        }
        (cell, true)
    }
}

/// Runs one check: fetch result pages, read cards, fetch plausible detail
/// pages, match. Never fails: problems become the check's state.
async fn run_check(ctx: &Ctx<'_>, check: &Check) -> CheckOutcome {
    let (def, extractor) = ctx
        .engine
        .sources
        .iter()
        .find(|(s, _)| s.id == check.source_id)
        .expect("planned checks name loaded sources");
    let mut fetches = Vec::new();
    let mut listings: Vec<ListingObservation> = Vec::new();
    let max_pages = def.search.as_ref().map_or(1, |s| s.max_pages.max(1));
    let mut next = Some(check.url.clone());
    let mut pages = 0;
    let mut state = CheckState::Absent;
    while let Some(url) = next.take() {
        pages += 1;
        let page = match fetch_logged(ctx, def, &url, &mut fetches).await {
            Ok(p) => p,
            Err(s) => {
                state = s;
                break;
            }
        };
        let page_url =
            Url::parse(&page.final_url).unwrap_or_else(|_| Url::parse(&url).expect("valid"));
        match extractor.results(&page.body, &page_url) {
            ResultsPage::NoResults => break,
            ResultsPage::Unrecognised if page.status == 404 || page.status == 410 => break,
            ResultsPage::Unrecognised => {
                state = CheckState::Error("unrecognised_page".into());
                break;
            }
            ResultsPage::Results { cards, next_page } => {
                for card in cards {
                    let mut record = card.record;
                    let mut hash = Some(page.content_hash.clone());
                    let mut result = ctx.matcher.score(&record);
                    if let (Some(detail_url), Some(_)) = (&card.detail_url, &def.detail)
                        && ctx.matcher.plausible(&record)
                    {
                        match fetch_logged(ctx, def, detail_url, &mut fetches).await {
                            Ok(p) => {
                                let u =
                                    Url::parse(&p.final_url).unwrap_or_else(|_| page_url.clone());
                                record.merge(extractor.detail(&p.body, &u));
                                if record.profile_url.is_none() {
                                    record.profile_url = Some(detail_url.clone());
                                }
                                hash = Some(p.content_hash.clone());
                                result = ctx.matcher.score(&record);
                            }
                            Err(s) => {
                                state = s;
                            }
                        }
                    }
                    if record.profile_url.is_none() {
                        record.profile_url = card.detail_url.clone();
                    }
                    let key = listing_key(&record);
                    if listings.iter().any(|l| l.key == key) {
                        continue;
                    }
                    listings.push(ListingObservation {
                        key,
                        url: record.profile_url.clone(),
                        record,
                        result,
                        content_hash: hash,
                        seen_at: Utc::now(),
                    });
                }
                if pages < max_pages {
                    next = next_page.filter(|n| *n != url);
                }
            }
        }
    }
    if matches!(state, CheckState::Absent)
        && listings
            .iter()
            .any(|l| l.result.level >= MatchLevel::Probable)
    {
        state = CheckState::Found;
    }
    CheckOutcome {
        scan_id: ctx.scan_id,
        source_id: check.source_id.clone(),
        url: check.url.clone(),
        state,
        fetches,
        listings,
        finished_at: Utc::now(),
    }
}

async fn fetch_logged(
    ctx: &Ctx<'_>,
    def: &SourceDef,
    url: &str,
    log: &mut Vec<FetchLog>,
) -> Result<Page, CheckState> {
    let parsed = Url::parse(url).map_err(|e| CheckState::Error(format!("bad_url: {e}")))?;
    let mut req = FetchRequest::get(parsed);
    req.politeness = def.politeness.clone();
    req.blocked_markers = def.blocked_markers.clone();
    let (cell, fresh) = ctx.engine.cache.slot(url);
    let out = cell
        .get_or_init(|| async {
            let cached = ctx
                .engine
                .http_cache
                .lock()
                .ok()
                .and_then(|c| c.cached(url).ok().flatten());
            req.validators = cached.as_ref().map(|(v, _)| v.clone());
            let mut out = ctx.engine.fetcher.fetch(&req).await;
            // 304: the page has not changed; read the body stored last time.
            if let (Ok(p), Some((_, body))) = (&mut out, cached)
                && p.not_modified()
            {
                p.content_hash = hex::encode(Sha256::digest(body.as_bytes()));
                p.bytes = body.len();
                p.body = body;
            }
            out
        })
        .await
        .clone();
    let now = Utc::now();
    log.push(match &out {
        Ok(p) => FetchLog {
            url: url.to_string(),
            final_url: Some(p.final_url.clone()),
            status: Some(p.status),
            fetched_at: p.fetched_at,
            content_hash: Some(p.content_hash.clone()),
            bytes: Some(p.bytes),
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
            error: None,
        },
        Err(s) => FetchLog {
            url: url.to_string(),
            fetched_at: now,
            error: Some(format!(
                "{}{}",
                s.label(),
                s.detail().map(|d| format!(": {d}")).unwrap_or_default()
            )),
            ..FetchLog::default()
        },
    });
    if let (Ok(p), true) = (&out, fresh) {
        ctx.engine.writer.remember_page(url, p);
    }
    out
}

/// A listing's identity on its source: its own URL when it has one, else a
/// hash of what it shows.
pub fn listing_key(r: &Record) -> String {
    match &r.profile_url {
        Some(u) => u.clone(),
        None => {
            let json = serde_json::to_string(r).unwrap_or_default();
            format!(
                "sha256:{}",
                &hex::encode(Sha256::digest(json.as_bytes()))[..32]
            )
        }
    }
}
