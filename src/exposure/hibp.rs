//! A small client for the Have I Been Pwned v3 API.
//!
//! `GET /breaches` needs no key; `GET /breachedaccount/{account}` needs one
//! (`hibp-api-key` header). Both need a `user-agent`. The base URL is
//! configurable so tests talk to a loopback mock, never the real service.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::catalog::{Breach, Catalog};

/// HIBP's v3 API root.
pub const DEFAULT_API_BASE: &str = "https://haveibeenpwned.com/api/v3";

/// How often a 429 answer is waited out before giving up on one request.
const MAX_RATE_LIMIT_RETRIES: u32 = 5;
/// Longest single wait a `retry-after` can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// HIBP API client.
#[derive(Debug, Clone)]
pub struct HibpClient {
    base: String,
    api_key: Option<String>,
    http: reqwest::Client,
}

impl HibpClient {
    /// A client for `base` (e.g. [`DEFAULT_API_BASE`]); `api_key` is needed only
    /// for account searches.
    pub fn new(base: &str, api_key: Option<String>) -> Result<HibpClient> {
        crate::crawl::init_tls();
        let http = reqwest::Client::builder()
            .user_agent(crate::USER_AGENT)
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(HibpClient {
            base: base.trim_end_matches('/').to_string(),
            api_key: api_key.filter(|k| !k.trim().is_empty()),
            http,
        })
    }

    /// Whether account searches are possible (a key was given).
    pub fn has_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// Every breach HIBP knows (`GET /breaches`), as a catalog.
    pub async fn breaches(&self) -> Result<Catalog> {
        let url = format!("{}/breaches", self.base);
        let resp = self.get(&url).await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("{url} answered {status}; try again later or pass --api-base");
        }
        let text = resp.text().await.context("breach list was cut off")?;
        Catalog::from_json(&text).with_context(|| format!("unexpected answer from {url}"))
    }

    /// Breaches an e-mail address appears in (`GET /breachedaccount/{email}`);
    /// empty when HIBP has none (404).
    pub async fn breached_account(&self, email: &str) -> Result<Vec<Breach>> {
        if self.api_key.is_none() {
            bail!("searching breaches by e-mail needs an HIBP API key; set HIBP_API_KEY");
        }
        let mut url = url::Url::parse(&format!("{}/breachedaccount/", self.base))
            .with_context(|| format!("{:?} is not a URL", self.base))?;
        url.path_segments_mut()
            .map_err(|_| anyhow::anyhow!("{:?} cannot be a base URL", self.base))?
            .pop_if_empty()
            .push(email);
        url.query_pairs_mut()
            .append_pair("truncateResponse", "false");
        let resp = self.get(url.as_str()).await?;
        let status = resp.status();
        match status.as_u16() {
            404 => Ok(Vec::new()),
            401 => bail!("HIBP refused the API key (401); check HIBP_API_KEY"),
            s if (200..300).contains(&s) => {
                let text = resp.text().await.context("breach list was cut off")?;
                let mut list: Vec<Breach> = serde_json::from_str(&text)
                    .context("unexpected answer from breachedaccount")?;
                list.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(list)
            }
            _ => bail!("breachedaccount answered {status}"),
        }
    }

    /// GET with the key header, waiting out 429 answers as `retry-after` asks.
    async fn get(&self, url: &str) -> Result<reqwest::Response> {
        let mut attempt = 0;
        loop {
            let mut req = self.http.get(url);
            if let Some(k) = &self.api_key {
                req = req.header("hibp-api-key", k);
            }
            let resp = req
                .send()
                .await
                .with_context(|| format!("cannot reach {}", redact_account(url)))?;
            if resp.status().as_u16() != 429 {
                return Ok(resp);
            }
            attempt += 1;
            if attempt > MAX_RATE_LIMIT_RETRIES {
                bail!("HIBP kept answering 429 (rate limited); wait a minute and try again");
            }
            let wait = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .unwrap_or(Duration::from_secs(2))
                .min(MAX_RETRY_AFTER);
            tracing::info!("HIBP rate limit: waiting {}s", wait.as_secs());
            tokio::time::sleep(wait).await;
        }
    }
}

/// Error messages must not carry the e-mail address (logs never show personal data).
fn redact_account(url: &str) -> String {
    match url.find("/breachedaccount/") {
        Some(i) => format!("{}/breachedaccount/…", &url[..i]),
        None => url.to_string(),
    }
}
