//! Command-line interface. Each command group has its own file; this one
//! holds the argument types and dispatch. No logic lives here.

mod batch;
mod breaches;
mod eval;
mod export;
mod lookup;
mod optout;
mod progress;
mod scan;
mod sources;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Find where your personal data sits on data-broker sites, see how it
/// travelled, and draft the requests that get it removed.
#[derive(Parser, Debug)]
#[command(name = "brokertrace", version, about, long_about = None)]
pub struct Cli {
    /// Show more detail; `-v` also allows personal data in logs.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress bars or summaries, only errors and requested output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print progress as JSON lines on stderr (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a built-in demo person against the simulated broker network (no internet).
    Demo(scan::DemoArgs),
    /// Scan a profile against the sources in a folder and write a report.
    Scan(scan::ScanArgs),
    /// Scan many people from a CSV or JSONL file, with aggregate statistics.
    Batch(batch::BatchArgs),
    /// Measure matching and copy-flow inference against the simulated network's ground truth.
    Eval(eval::EvalArgs),
    /// Write the report of a stored scan again.
    Report(scan::ReportArgs),
    /// Mark a listing as you ("me") or someone else ("not-me"); sticks on re-scans.
    Mark(scan::MarkArgs),
    /// Export the exposure graph (GraphML, GEXF, DOT, Cytoscape.js, Neo4j, JSON).
    Export(export::ExportArgs),
    /// Print the profile URLs of a username on the sites of a Sherlock, Maigret or WhatsMyName list.
    Lookup(lookup::LookupArgs),
    /// Run the simulated broker network.
    #[command(subcommand)]
    Sim(scan::SimCommand),
    /// Draft opt-out and access requests, and track them in the request ledger.
    #[command(subcommand)]
    Optout(optout::OptoutCommand),
    /// Re-check only the listings you asked brokers to remove, and record proof.
    Rescan(optout::RescanArgs),
    /// Import, validate, list and live-check source definitions.
    #[command(subcommand)]
    Sources(sources::SourcesCommand),
    /// The breach catalog (Have I Been Pwned) and e-mail breach searches.
    #[command(subcommand)]
    Breaches(breaches::BreachesCommand),
}

/// Where the database lives (shared by commands that use it).
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// SQLite database file [default: the user data dir's brokertrace/brokertrace.sqlite].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

impl DbArgs {
    /// The chosen or default path.
    pub fn path(&self) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(brokertrace::store::default_path)
    }
}

/// Runs the CLI and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match &cli.command {
        Command::Demo(a) => scan::demo(&cli, a),
        Command::Scan(a) => scan::scan(&cli, a),
        Command::Batch(a) => batch::batch(&cli, a),
        Command::Eval(a) => eval::eval(&cli, a),
        Command::Report(a) => scan::report(&cli, a),
        Command::Mark(a) => scan::mark(a),
        Command::Sim(c) => scan::sim(&cli, c),
        Command::Optout(c) => optout::optout(&cli, c),
        Command::Rescan(a) => optout::rescan(&cli, a),
        Command::Sources(c) => sources::run(&cli, c),
        Command::Export(a) => export::export(&cli, a),
        Command::Breaches(c) => breaches::run(&cli, c),
        Command::Lookup(a) => lookup::lookup(&cli, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BROKERTRACE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("brokertrace={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
