//! `demo`, `scan`, `report`, `mark` and `sim`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use brokertrace::crawl::{CrawlConfig, Fetcher};
use brokertrace::profile::Profile;
use brokertrace::scan::{ScanOptions, ScanSummary, run_scan};
use brokertrace::sim::{Network, SimConfig};
use brokertrace::sources::{self, SourceDef};
use brokertrace::store::Store;
use brokertrace::{report, sim};

use super::{Cli, DbArgs, progress};

/// Crawl politeness and network settings.
#[derive(Args, Debug, Clone)]
pub struct CrawlArgs {
    /// Requests per minute to one host (a source file may lower it).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub rate: u32,
    /// Requests in flight to one host.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub per_host: u32,
    /// Checks run at once over all hosts.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// Seconds before a request is abandoned.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Proxy for every request: http://, socks5:// or socks5h:// (DNS via the proxy, e.g. Tor).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Ignore robots.txt. Sites may block you, and it is impolite.
    #[arg(long)]
    pub ignore_robots: bool,
    /// Send HOST's requests to ADDR (like curl --resolve), e.g. peoplefind.test=127.0.0.1:8701.
    #[arg(long, value_name = "HOST=ADDR")]
    pub resolve: Vec<String>,
}

impl CrawlArgs {
    /// The crawl settings these flags describe, plus `extra_resolve` overrides.
    pub fn config(&self, extra_resolve: Vec<(String, SocketAddr)>) -> Result<CrawlConfig> {
        let mut resolve = extra_resolve;
        for r in &self.resolve {
            let (host, addr) = r
                .split_once('=')
                .with_context(|| format!("--resolve {r:?}: expected HOST=IP:PORT"))?;
            let addr: SocketAddr = addr
                .parse()
                .with_context(|| format!("--resolve {r:?}: {addr:?} is not IP:PORT"))?;
            resolve.push((host.to_string(), addr));
        }
        if self.ignore_robots {
            eprintln!(
                "warning: --ignore-robots: robots.txt will not be obeyed; sites may block you"
            );
        }
        Ok(CrawlConfig {
            requests_per_minute: self.rate.max(1),
            max_in_flight_per_host: self.per_host.max(1),
            max_in_flight: self.concurrency.max(1) * 2,
            timeout: Duration::from_secs(self.timeout.max(1)),
            respect_robots: !self.ignore_robots,
            proxy: self.proxy.clone(),
            resolve,
            ..CrawlConfig::default()
        })
    }
}

/// Arguments of `demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder reports are written under.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Database file [default: a fresh one inside the report folder].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Seed of the simulated population.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Folder with the simulated brokers' source files.
    #[arg(long, value_name = "DIR", default_value = "sources/sim")]
    pub sources: PathBuf,
}

/// Arguments of `scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Profile file (TOML); see README.md for the format.
    #[arg(long, short, value_name = "FILE")]
    pub profile: PathBuf,
    /// Folder of source definitions.
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub sources: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Folder reports are written under.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Start a new scan instead of resuming an unfinished one.
    #[arg(long)]
    pub fresh: bool,
    /// Stop after N checks, leaving the scan resumable (for testing resume).
    #[arg(long, value_name = "N", hide = true)]
    pub stop_after: Option<usize>,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

/// Arguments of `report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Subject id (the profile's `id`, or derived from the name).
    #[arg(long, value_name = "ID")]
    pub subject: String,
    /// Scan id [default: the subject's newest].
    #[arg(long, value_name = "N")]
    pub scan: Option<i64>,
    /// Folder of source definitions (for names and opt-out details).
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub sources: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Folder reports are written under.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
}

/// Arguments of `mark`.
#[derive(Args, Debug)]
pub struct MarkArgs {
    /// Subject id.
    #[arg(long, value_name = "ID")]
    pub subject: String,
    /// Listing number as shown in the report (`listing #N`).
    pub listing: i64,
    /// `me` or `not-me`.
    #[arg(value_parser = ["me", "not-me"])]
    pub decision: String,
    #[command(flatten)]
    pub db: DbArgs,
}

/// `sim` subcommands.
#[derive(Subcommand, Debug)]
pub enum SimCommand {
    /// Serve the simulated network until Ctrl-C, printing each broker's address.
    Serve {
        /// Seed of the simulated population.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// People in the population.
        #[arg(long, default_value_t = 400)]
        count: usize,
    },
    /// Print the simulated population as a batch CSV (input for `batch` and benchmarks).
    People {
        /// Seed of the simulated population.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// People in the population.
        #[arg(long, default_value_t = 400)]
        count: usize,
    },
    /// Print the network's ground truth as JSON.
    Truth {
        /// Seed of the simulated population.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Loads a sources folder, turning validation errors into one readable error.
pub fn load_sources(dir: &Path) -> Result<Vec<SourceDef>> {
    let loaded = sources::load_dir(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    if loaded.is_empty() {
        bail!("{}: no source definitions (*.toml) found", dir.display());
    }
    Ok(loaded.into_iter().map(|l| l.def).collect())
}

/// Runs a scan, cancelling cleanly on Ctrl-C (finished checks stay stored).
async fn scan_with_ctrl_c(
    cli: &Cli,
    profile: &Profile,
    defs: &[SourceDef],
    fetcher: &Fetcher,
    db: &Path,
    opts: &ScanOptions,
) -> Result<Option<ScanSummary>> {
    let progress = progress::for_cli(cli.quiet, cli.json);
    tokio::select! {
        r = run_scan(profile, defs, fetcher, db, opts, progress.as_ref()) => r.map(Some),
        _ = tokio::signal::ctrl_c() => Ok(None),
    }
}

fn write_report(
    cli: &Cli,
    db: &Path,
    scan_id: i64,
    defs: &[SourceDef],
    out: &Path,
) -> Result<PathBuf> {
    let store = Store::open(db)?;
    let copies = report::inferred_copies(&store, defs)?;
    let (dir, data) = report::write_scan_report(&store, scan_id, defs, out, &copies)?;
    if !cli.quiet {
        println!(
            "{} listing(s) found on {} source(s); {} to review; {} namesake(s) rejected.",
            data.found,
            data.sources.iter().filter(|s| s.state == "found").count(),
            data.needs_review,
            data.rejected
        );
        println!("report written to {}", dir.display());
    }
    Ok(dir)
}

/// `brokertrace demo`.
pub fn demo(cli: &Cli, a: &DemoArgs) -> Result<ExitCode> {
    let defs = load_sources(&a.sources)?;
    runtime()?.block_on(async {
        let network = Network::start(SimConfig {
            seed: a.seed,
            ..SimConfig::default()
        })
        .await?;
        let profile = network.demo_profile();
        let db = match &a.db {
            Some(p) => p.clone(),
            None => {
                let p = a.out.join(&profile.id).join("demo.sqlite");
                let _ = std::fs::remove_file(&p);
                p
            }
        };
        let config = CrawlConfig {
            requests_per_minute: 6000,
            max_in_flight_per_host: 4,
            respect_robots: true,
            resolve: network.resolve(),
            ..CrawlConfig::default()
        };
        let fetcher = Fetcher::new(config)?;
        if !cli.quiet {
            println!(
                "Simulated broker network: {} brokers on 127.0.0.1. Scanning demo person {}.",
                network.resolve().len(),
                profile.primary_name()
            );
        }
        let opts = ScanOptions {
            fresh: true,
            ..ScanOptions::default()
        };
        let Some(summary) = scan_with_ctrl_c(cli, &profile, &defs, &fetcher, &db, &opts).await?
        else {
            eprintln!("interrupted");
            return Ok(ExitCode::from(130));
        };
        write_report(cli, &db, summary.scan_id, &defs, &a.out)?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `brokertrace scan`.
pub fn scan(cli: &Cli, a: &ScanArgs) -> Result<ExitCode> {
    let profile = Profile::load(&a.profile).map_err(|e| anyhow::anyhow!("{e}"))?;
    let defs = load_sources(&a.sources)?;
    let db = a.db.path();
    let fetcher = Fetcher::new(a.crawl.config(Vec::new())?)?;
    let opts = ScanOptions {
        fresh: a.fresh,
        concurrency: a.crawl.concurrency,
        stop_after: a.stop_after,
        ..ScanOptions::default()
    };
    runtime()?.block_on(async {
        let Some(summary) = scan_with_ctrl_c(cli, &profile, &defs, &fetcher, &db, &opts).await?
        else {
            eprintln!(
                "interrupted: finished checks are stored; run the same command again to resume"
            );
            return Ok(ExitCode::from(130));
        };
        if !summary.complete {
            if !cli.quiet {
                println!(
                    "stopped after {} check(s); run the same command again to resume scan {}",
                    summary.ran, summary.scan_id
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        write_report(cli, &db, summary.scan_id, &defs, &a.out)?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `brokertrace report`.
pub fn report(cli: &Cli, a: &ReportArgs) -> Result<ExitCode> {
    let defs = load_sources(&a.sources).unwrap_or_default();
    let db = a.db.path();
    let store = Store::open(&db)?;
    let scan_id = match a.scan {
        Some(s) => s,
        None => {
            store
                .latest_scan(&a.subject)?
                .with_context(|| format!("no scan of subject {:?} in {}", a.subject, db.display()))?
                .id
        }
    };
    drop(store);
    write_report(cli, &db, scan_id, &defs, &a.out)?;
    Ok(ExitCode::SUCCESS)
}

/// `brokertrace mark`.
pub fn mark(a: &MarkArgs) -> Result<ExitCode> {
    let store = Store::open(&a.db.path())?;
    store.decide(&a.subject, a.listing, a.decision == "me")?;
    println!("listing #{} marked {}", a.listing, a.decision);
    Ok(ExitCode::SUCCESS)
}

/// `brokertrace sim serve|truth`.
pub fn sim(_cli: &Cli, c: &SimCommand) -> Result<ExitCode> {
    runtime()?.block_on(async {
        match c {
            SimCommand::Serve { seed, count } => {
                let network = Network::start(SimConfig {
                    seed: *seed,
                    population: *count,
                })
                .await?;
                let flags: Vec<String> = network
                    .resolve()
                    .iter()
                    .map(|(h, a)| format!("--resolve {h}={a}"))
                    .collect();
                for (h, a) in network.resolve() {
                    println!("{h}\thttp://{a}/");
                }
                println!("\nScan against it with:\n  brokertrace scan --profile P --sources sources/sim {}", flags.join(" "));
                println!("Ctrl-C stops the network.");
                tokio::signal::ctrl_c().await?;
                Ok(ExitCode::SUCCESS)
            }
            SimCommand::People { seed, count } => {
                let network = Network::start(SimConfig {
                    seed: *seed,
                    population: *count,
                })
                .await?;
                let people = network.truth().people.iter().map(|p| &p.profile);
                brokertrace::batch::input::write_csv(std::io::stdout().lock(), people)?;
                Ok(ExitCode::SUCCESS)
            }
            SimCommand::Truth { seed } => {
                // The truth needs no servers; build it directly.
                let truth = sim::ground_truth(&SimConfig {
                    seed: *seed,
                    ..SimConfig::default()
                });
                let json = serde_json::to_string_pretty(&truth)?;
                // `sim truth | head` closes the pipe early; that is not an error.
                match writeln!(std::io::stdout().lock(), "{json}") {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                    r => r?,
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
