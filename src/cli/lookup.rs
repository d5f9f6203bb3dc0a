//! `lookup USERNAME --sites FILE`: which sites have a profile of that name.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use futures_util::StreamExt;

use brokertrace::crawl::{FetchRequest, Fetcher};
use brokertrace::model::CheckState;
use brokertrace::sources::sites::{self, SiteFormat, UsernameSite};

use super::Cli;
use super::scan::CrawlArgs;

/// Arguments of `lookup`.
#[derive(Args, Debug)]
pub struct LookupArgs {
    /// The username to look for.
    pub username: String,
    /// Site list: Sherlock or Maigret `data.json`, or WhatsMyName `wmn-data.json`.
    #[arg(long, value_name = "FILE")]
    pub sites: PathBuf,
    /// Format of the site list [default: detected from its shape].
    #[arg(long, value_enum)]
    pub format: Option<SiteFormat>,
    /// Sites checked at once (each site is usually its own host, so the
    /// per-host limits still apply).
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub sites_at_once: usize,
    /// Requests per minute to one host.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub rate: u32,
    /// Requests in flight to one host.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub per_host: u32,
    /// Seconds before a request is abandoned.
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    pub timeout: u64,
    /// Proxy for every request: http://, socks5:// or socks5h:// (DNS via the proxy, e.g. Tor).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Ignore robots.txt. Sites may block you, and it is impolite.
    #[arg(long)]
    pub ignore_robots: bool,
    /// Send HOST's requests to ADDR (like curl --resolve).
    #[arg(long, value_name = "HOST=ADDR")]
    pub resolve: Vec<String>,
}

/// Prints each found profile URL on its own line, in site-name order.
/// Exit code 0 when at least one profile was found, 1 when none.
pub fn lookup(cli: &Cli, a: &LookupArgs) -> Result<ExitCode> {
    if a.username.trim().is_empty() || a.username.contains(['/', '?', '#', ' ']) {
        bail!("username {:?} cannot be part of a URL path", a.username);
    }
    let list = sites::load(&a.sites, a.format)?;
    let mut config = CrawlArgs {
        rate: a.rate,
        per_host: a.per_host,
        concurrency: a.sites_at_once,
        timeout: a.timeout,
        proxy: a.proxy.clone(),
        ignore_robots: a.ignore_robots,
        resolve: a.resolve.clone(),
    }
    .config(Vec::new())?;
    config.max_in_flight = a.sites_at_once.max(1);
    // A username check is one small page; fail fast rather than hang a run.
    config.connect_timeout = Duration::from_secs(a.timeout.clamp(1, 10));
    config.max_retry_wait = Duration::from_secs(10);
    let fetcher = Fetcher::new(config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let results = rt.block_on(check_all(&fetcher, &list, &a.username, a.sites_at_once));
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut found = 0;
    for (site, state) in list.iter().zip(&results) {
        *counts.entry(state.label()).or_default() += 1;
        if *state == CheckState::Found {
            found += 1;
            println!("{}", site.profile_url(&a.username));
        }
    }
    if !cli.quiet {
        let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        eprintln!("{} sites: {}", list.len(), summary.join(", "));
    }
    Ok(if found > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Checks every site, returning states in the order of `list`.
async fn check_all(
    fetcher: &Fetcher,
    list: &[UsernameSite],
    username: &str,
    at_once: usize,
) -> Vec<CheckState> {
    let mut out: Vec<(usize, CheckState)> = futures_util::stream::iter(list.iter().enumerate())
        .map(|(i, site)| async move { (i, check(fetcher, site, username).await) })
        .buffer_unordered(at_once.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}

async fn check(fetcher: &Fetcher, site: &UsernameSite, username: &str) -> CheckState {
    if !site.accepts(username) {
        return CheckState::Skipped("username not valid on this site".into());
    }
    let url = site.check_url(username);
    let Ok(parsed) = url::Url::parse(&url) else {
        return CheckState::Error("bad_url".into());
    };
    match fetcher.fetch(&FetchRequest::get(parsed.clone())).await {
        Ok(page) => {
            let redirected = url::Url::parse(&page.final_url).is_ok_and(|f| f != parsed);
            if site.exists(page.status, &page.body, redirected) {
                CheckState::Found
            } else {
                CheckState::Absent
            }
        }
        Err(state) => state,
    }
}
