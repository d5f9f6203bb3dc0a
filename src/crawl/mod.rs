//! Crawling: fetch pages politely and say exactly what happened.
//!
//! [`Fetcher`] owns the HTTP client and the per-host politeness state; it is
//! cheap to clone and shared by every task of a run, so a batch of many
//! people never multiplies the load on one host. A fetch returns either a
//! [`Page`] or the [`CheckState`] that explains why there is none.

pub mod block;
pub mod body;
pub mod host;
pub mod retry;
pub mod robots;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use url::Url;

use self::body::BodyError;
use self::host::Host;

use crate::model::CheckState;
use crate::sources::Politeness;

/// Crawl settings for one run.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// User agent sent with every request.
    pub user_agent: String,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request including the body.
    pub timeout: Duration,
    /// Largest decoded body accepted; larger answers are an error.
    pub max_body_bytes: usize,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Retries after transient failures.
    pub retries: u32,
    /// Default requests per minute to one host.
    pub requests_per_minute: u32,
    /// Default requests in flight to one host.
    pub max_in_flight_per_host: u32,
    /// Requests in flight over all hosts.
    pub max_in_flight: usize,
    /// Obey robots.txt (on unless the user says otherwise, loudly).
    pub respect_robots: bool,
    /// Proxy URL (`http://`, `socks5://`, `socks5h://`).
    pub proxy: Option<String>,
    /// Host name overrides, like curl's `--resolve` (the simulated network).
    pub resolve: Vec<(String, SocketAddr)>,
    /// First retry delay; doubles on each retry, plus random jitter.
    pub retry_base: Duration,
    /// Longest wait accepted for a retry or a host-wide pause; a host that
    /// asks for more (`Retry-After: 3600`) is reported as rate limited.
    pub max_retry_wait: Duration,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            user_agent: crate::USER_AGENT.to_string(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            retries: 2,
            requests_per_minute: 30,
            max_in_flight_per_host: 2,
            max_in_flight: 32,
            respect_robots: true,
            proxy: None,
            resolve: Vec::new(),
            retry_base: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(60),
        }
    }
}

/// Cache validators from an earlier fetch of the same URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag` header value.
    pub etag: Option<String>,
    /// `Last-Modified` header value.
    pub last_modified: Option<String>,
}

/// One request.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// What to fetch.
    pub url: Url,
    /// The source's politeness overrides, if any.
    pub politeness: Option<Politeness>,
    /// Validators for a conditional request.
    pub validators: Option<Validators>,
    /// Extra case-insensitive body markers meaning "blocked".
    pub blocked_markers: Vec<String>,
}

impl FetchRequest {
    /// A plain GET of `url`.
    pub fn get(url: Url) -> Self {
        FetchRequest {
            url,
            politeness: None,
            validators: None,
            blocked_markers: Vec::new(),
        }
    }
}

/// A fetched page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// URL after redirects.
    pub final_url: String,
    /// HTTP status (200, 304, 404, ...).
    pub status: u16,
    /// Decoded body text (empty for 304).
    pub body: String,
    /// Hex SHA-256 of the body bytes.
    pub content_hash: String,
    /// Decoded body size in bytes.
    pub bytes: usize,
    /// `ETag` of the answer.
    pub etag: Option<String>,
    /// `Last-Modified` of the answer.
    pub last_modified: Option<String>,
    /// When the answer arrived.
    pub fetched_at: DateTime<Utc>,
}

impl Page {
    /// True for 304 Not Modified answers to conditional requests.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// A page, or the state that explains why there is none.
pub type FetchOutcome = Result<Page, CheckState>;

/// Shared HTTP client with politeness state. Clone freely.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: CrawlConfig,
    global: Semaphore,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// Installs the ring TLS provider once per process.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why a redirect was refused; found again in the error chain by [`classify`].
#[derive(Debug, thiserror::Error)]
enum RedirectError {
    #[error("redirect_loop")]
    Loop,
    #[error("too_many_redirects")]
    TooMany,
    #[error("redirect_scheme")]
    Scheme,
}

/// What one attempt produced: a final outcome, or a transient failure.
enum Attempt {
    Done(FetchOutcome),
    /// Worth retrying after a backoff.
    Transient(CheckState),
    /// The host asked us to wait (429/503); the pause is already host-wide.
    Paused,
}

impl Fetcher {
    /// Builds the client; fails only on an invalid proxy URL.
    pub fn new(config: CrawlConfig) -> anyhow::Result<Fetcher> {
        init_tls();
        let max = config.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if !matches!(attempt.url().scheme(), "http" | "https") {
                attempt.error(RedirectError::Scheme)
            } else if attempt.previous().contains(attempt.url()) {
                attempt.error(RedirectError::Loop)
            } else if attempt.previous().len() > max {
                attempt.error(RedirectError::TooMany)
            } else {
                attempt.follow()
            }
        });
        let mut b = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(policy);
        for (host, addr) in &config.resolve {
            b = b.resolve(host, *addr);
        }
        if let Some(p) = &config.proxy {
            b = b.proxy(proxy(p)?);
        } else {
            b = b.no_proxy();
        }
        let client = b.build().context("cannot build the HTTP client")?;
        let global = Semaphore::new(config.max_in_flight.max(1));
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                config,
                global,
                hosts: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The run's settings.
    pub fn config(&self) -> &CrawlConfig {
        &self.inner.config
    }

    /// Fetches one page, obeying robots.txt and the host's limits, retrying
    /// transient failures. 404 and 410 are pages (the caller decides what
    /// absence means); other statuses of 400 and up are states.
    pub async fn fetch(&self, req: &FetchRequest) -> FetchOutcome {
        let url = &req.url;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(CheckState::Error("unsupported_scheme".into()));
        }
        let cfg = &self.inner.config;
        let host = self.host(url, req.politeness.as_ref());
        if cfg.respect_robots {
            let robots = host
                .robots
                .get_or_init(|| async {
                    let _g = self.inner.global.acquire().await;
                    let r = robots::load(&self.inner.client, url, &cfg.user_agent).await;
                    if let Some(delay) = r.crawl_delay() {
                        host.tighten(delay, u32::MAX);
                    }
                    Arc::new(r)
                })
                .await;
            if !robots.is_url_allowed(url) {
                return Err(CheckState::RobotsDisallowed);
            }
        }
        let mut retries = 0;
        loop {
            let (state, wait) = match self.attempt(&host, req).await {
                Attempt::Done(out) => return out,
                // The host-wide pause does the waiting in `wait_turn`.
                Attempt::Paused => (CheckState::RateLimited, Duration::ZERO),
                Attempt::Transient(s) => (
                    s,
                    retry::backoff(cfg.retry_base, retries, cfg.max_retry_wait),
                ),
            };
            if retries >= cfg.retries {
                return Err(state);
            }
            retries += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// The shared state of `url`'s host, created on first use and
    /// tightened by the source's politeness overrides.
    fn host(&self, url: &Url, politeness: Option<&Politeness>) -> Arc<Host> {
        let cfg = &self.inner.config;
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        );
        let rpm = politeness
            .and_then(|p| p.requests_per_minute)
            .map_or(cfg.requests_per_minute, |r| r.min(cfg.requests_per_minute));
        let slots = politeness
            .and_then(|p| p.max_in_flight)
            .map_or(cfg.max_in_flight_per_host, |n| {
                n.min(cfg.max_in_flight_per_host)
            });
        let period = host::period_of(rpm);
        let mut hosts = self.inner.hosts.lock().expect("hosts lock");
        let h = hosts
            .entry(key)
            .or_insert_with(|| Arc::new(Host::new(period, slots)))
            .clone();
        drop(hosts);
        h.tighten(period, slots);
        h
    }

    async fn attempt(&self, host: &Host, req: &FetchRequest) -> Attempt {
        let cfg = &self.inner.config;
        let _slot = match host.wait_turn(cfg.max_retry_wait).await {
            Ok(s) => s,
            Err(state) => return Attempt::Done(Err(state)),
        };
        let Ok(_global) = self.inner.global.acquire().await else {
            return Attempt::Done(Err(CheckState::Error("shutting down".into())));
        };
        let mut rb = self.inner.client.get(req.url.clone());
        if let Some(v) = &req.validators {
            if let Some(etag) = &v.etag {
                rb = rb.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                rb = rb.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) if e.is_redirect() || e.is_builder() => {
                return Attempt::Done(Err(CheckState::Error(classify(&e))));
            }
            Err(e) => return Attempt::Transient(CheckState::Error(classify(&e))),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(kind) = block::from_headers(status, &headers) {
            return Attempt::Done(Err(CheckState::Blocked(kind)));
        }
        if status == 429 || status == 503 {
            let asked = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
            let wait =
                asked.unwrap_or_else(|| retry::backoff(cfg.retry_base, 0, cfg.max_retry_wait));
            // The whole host slows down, not just this request.
            host.pause_for(wait);
            if wait > cfg.max_retry_wait {
                return Attempt::Done(Err(CheckState::RateLimited));
            }
            return Attempt::Paused;
        }
        if (300..400).contains(&status) && status != 304 {
            // reqwest hands back, unfollowed, redirects it cannot follow
            // (a `file:` or `javascript:` Location, or none at all).
            let scheme_ok = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| req.url.join(l).ok())
                .is_some_and(|u| matches!(u.scheme(), "http" | "https"));
            let kind = if scheme_ok {
                "redirect"
            } else {
                "redirect_scheme"
            };
            return Attempt::Done(Err(CheckState::Error(kind.into())));
        }
        let final_url = resp.url().to_string();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let content_type = header("content-type");
        let bytes = match body::read_capped(resp, cfg.max_body_bytes).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return Attempt::Done(Err(CheckState::Error("too_large".into())));
            }
            Err(BodyError::Broken(kind)) => {
                return Attempt::Transient(CheckState::Error(kind));
            }
        };
        let text = body::decode(&bytes, content_type.as_deref());
        if let Some(kind) = block::from_body(status, &headers, &text, &req.blocked_markers) {
            return Attempt::Done(Err(CheckState::Blocked(kind)));
        }
        if status >= 500 {
            return Attempt::Transient(CheckState::Error(format!("http {status}")));
        }
        if status >= 400 && status != 404 && status != 410 {
            return Attempt::Done(Err(CheckState::Error(format!("http {status}"))));
        }
        Attempt::Done(Ok(Page {
            final_url,
            status,
            content_hash: hex::encode(Sha256::digest(&bytes)),
            bytes: bytes.len(),
            body: text,
            etag,
            last_modified,
            fetched_at: Utc::now(),
        }))
    }
}

/// Checks the proxy URL's scheme before reqwest sees it, so a typo gets an
/// error that says what is accepted.
fn proxy(p: &str) -> anyhow::Result<reqwest::Proxy> {
    let parsed = Url::parse(p).with_context(|| {
        format!("invalid proxy URL {p:?}: expected http://HOST:PORT or socks5h://HOST:PORT")
    })?;
    if !matches!(parsed.scheme(), "http" | "https" | "socks5" | "socks5h") {
        bail!(
            "invalid proxy URL {p:?}: scheme {:?} is not supported; use http://, https://, socks5:// or socks5h:// (DNS through the proxy)",
            parsed.scheme()
        );
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        bail!("invalid proxy URL {p:?}: it names no host");
    }
    reqwest::Proxy::all(p).with_context(|| format!("invalid proxy URL {p:?}"))
}

/// A short, stable name for a request failure ("timeout", "reset", ...).
pub(crate) fn classify(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut chain = String::new();
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<RedirectError>() {
            return r.to_string();
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            )
        {
            return "reset".into();
        }
        chain.push_str(&s.to_string().to_lowercase());
        chain.push(' ');
        source = s.source();
    }
    if e.is_timeout() || chain.contains("timed out") {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else if e.is_redirect() {
        "redirect".into()
    } else if chain.contains("reset") || chain.contains("connection closed") {
        "reset".into()
    } else if e.is_body() || e.is_decode() {
        if chain.contains("end of file") || chain.contains("incomplete") {
            "truncated".into()
        } else {
            "body".into()
        }
    } else {
        "request".into()
    }
}
