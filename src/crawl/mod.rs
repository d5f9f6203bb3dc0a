//! Crawling: fetch pages politely and say exactly what happened.
//!
//! [`Fetcher`] owns the HTTP client and the per-host politeness state; it is
//! cheap to clone and shared by every task of a run, so a batch of many
//! people never multiplies the load on one host. A fetch returns either a
//! [`Page`] or the [`CheckState`] that explains why there is none.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use url::Url;

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
}

/// Installs the ring TLS provider once per process.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    /// Builds the client; fails only on an invalid proxy URL.
    pub fn new(config: CrawlConfig) -> anyhow::Result<Fetcher> {
        init_tls();
        let mut b = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(config.max_redirects));
        for (host, addr) in &config.resolve {
            b = b.resolve(host, *addr);
        }
        if let Some(p) = &config.proxy {
            b = b.proxy(reqwest::Proxy::all(p)?);
        } else {
            b = b.no_proxy();
        }
        let client = b.build()?;
        let global = Semaphore::new(config.max_in_flight.max(1));
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                config,
                global,
            }),
        })
    }

    /// The run's settings.
    pub fn config(&self) -> &CrawlConfig {
        &self.inner.config
    }

    /// Fetches one page, obeying the limits.
    pub async fn fetch(&self, req: &FetchRequest) -> FetchOutcome {
        let _permit = self
            .inner
            .global
            .acquire()
            .await
            .map_err(|_| CheckState::Error("shutting down".into()))?;
        let resp = self
            .inner
            .client
            .get(req.url.clone())
            .send()
            .await
            .map_err(|e| CheckState::Error(classify(&e)))?;
        let status = resp.status().as_u16();
        if status == 429 || status == 503 {
            return Err(CheckState::RateLimited);
        }
        if status >= 400 && status != 404 && status != 410 {
            return Err(CheckState::Error(format!("http {status}")));
        }
        let final_url = resp.url().to_string();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| CheckState::Error(classify(&e)))?;
            if body.len() + chunk.len() > self.inner.config.max_body_bytes {
                return Err(CheckState::Error("too_large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        let content_hash = hex::encode(Sha256::digest(&body));
        Ok(Page {
            final_url,
            status,
            bytes: body.len(),
            body: String::from_utf8_lossy(&body).into_owned(),
            content_hash,
            etag,
            last_modified,
            fetched_at: Utc::now(),
        })
    }
}

fn classify(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else if e.is_redirect() {
        "redirect".into()
    } else if e.is_body() || e.is_decode() {
        "body".into()
    } else {
        "request".into()
    }
}
