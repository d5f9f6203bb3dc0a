//! `eval`: matching and flow-inference quality on the simulated network.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use brokertrace::eval::{self, RunOptions, TARGETS};

use super::scan::load_sources;
use super::{Cli, progress};

/// Arguments of `eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Seed of the simulated population.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// People in the population.
    #[arg(long, default_value_t = 400)]
    pub population: usize,
    /// Scan every n-th person (1 = all).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub every: usize,
    /// Exit non-zero if a target is missed (precision ≥ 0.97, recall ≥ 0.95, flows ≥ 0.9 / 0.8).
    #[arg(long)]
    pub check: bool,
    /// Print the full report (with the confusion list) as JSON on stdout.
    #[arg(long = "report-json")]
    pub report_json: bool,
    /// Folder with the simulated brokers' source files.
    #[arg(long, value_name = "DIR", default_value = "sources/sim")]
    pub sources: PathBuf,
}

/// `brokertrace eval`.
pub fn eval(cli: &Cli, a: &EvalArgs) -> Result<ExitCode> {
    let defs = load_sources(&a.sources)?;
    let opts = RunOptions {
        seed: a.seed,
        population: a.population,
        every: a.every,
        ..RunOptions::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        let progress = progress::for_cli(cli.quiet, cli.json);
        eval::run(&opts, &defs, progress.as_ref()).await
    })?;
    if a.report_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let m = &report.matching.overall;
        println!("{} subjects, {} checks", report.subjects, report.checks);
        println!(
            "matching (probable or better): precision {:.3}  recall {:.3}  F1 {:.3}  (tp {}, fp {}, fn {})",
            m.precision, m.recall, m.f1, m.true_positives, m.false_positives, m.false_negatives
        );
        for (broker, s) in &report.matching.per_broker {
            println!(
                "  {broker:<24} precision {:.3}  recall {:.3}  (tp {}, fp {}, fn {})",
                s.precision, s.recall, s.true_positives, s.false_positives, s.false_negatives
            );
        }
        println!(
            "copy flows: precision {:.3}  recall {:.3}  inferred {:?}  true {:?}",
            report.flows.precision, report.flows.recall, report.flows.predicted, report.flows.truth
        );
        for c in
            report
                .matching
                .confusion
                .iter()
                .take(if cli.verbose > 0 { usize::MAX } else { 10 })
        {
            println!("  {:?} {} {} ({:?})", c.kind, c.person_id, c.url, c.level);
        }
    }
    let misses = report.misses(&TARGETS);
    if a.check && !misses.is_empty() {
        eprintln!("eval: targets missed: {}", misses.join("; "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
