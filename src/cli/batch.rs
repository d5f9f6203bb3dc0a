//! `batch`: many subjects from a CSV or JSONL file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use brokertrace::batch::{self, BatchOptions, aggregate};
use brokertrace::crawl::Fetcher;
use brokertrace::scan::{Engine, ScanOptions};
use brokertrace::store::Store;
use brokertrace::{graph, profile, report};

use super::scan::{CrawlArgs, load_sources};
use super::{Cli, DbArgs, progress};

/// Arguments of `batch`.
#[derive(Args, Debug)]
pub struct BatchArgs {
    /// People to scan: CSV with a header row, or JSONL (one profile per line). Columns in README.md.
    pub file: PathBuf,
    /// Continue an earlier run: skip finished subjects, resume unfinished ones.
    #[arg(long)]
    pub resume: bool,
    /// Stop before scanning anything if any row is invalid (default: report and skip bad rows).
    #[arg(long)]
    pub strict: bool,
    /// Only show each subject's state (not started, unfinished, done) and exit.
    #[arg(long)]
    pub status: bool,
    /// Subjects scanned at once (per-host limits still hold across all of them).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub subjects_at_once: usize,
    /// Skip the per-subject reports; write only the aggregate.
    #[arg(long)]
    pub aggregate_only: bool,
    /// Name people in the batch-wide graph export (default: pseudonyms, URLs reduced to hosts).
    #[arg(long)]
    pub no_redact: bool,
    /// Folder of source definitions.
    #[arg(long, value_name = "DIR", default_value = "sources")]
    pub sources: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Folder reports are written under.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

/// `brokertrace batch`.
pub fn batch(cli: &Cli, a: &BatchArgs) -> Result<ExitCode> {
    let db = a.db.path();
    if a.status {
        return status(a, &db);
    }
    let defs = load_sources(&a.sources)?;
    let fetcher = Fetcher::new(a.crawl.config(Vec::new())?)?;
    let opts = BatchOptions {
        resume: a.resume,
        strict: a.strict,
        subjects_at_once: a.subjects_at_once,
        scan: ScanOptions {
            concurrency: a.crawl.concurrency,
            ..ScanOptions::default()
        },
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let summary = rt.block_on(async {
        let engine = Engine::new(&defs, &fetcher, &db)?;
        let progress = progress::for_cli(cli.quiet, cli.json);
        let mut report_bad = |e: &brokertrace::diagnostics::InputError| eprintln!("skipped: {e}");
        let result = tokio::select! {
            r = batch::run(&a.file, &engine, &db, &opts, progress.as_ref(), &mut report_bad) => Some(r),
            _ = tokio::signal::ctrl_c() => None,
        };
        drop(progress);
        engine.finish()?;
        match result {
            Some(r) => r.map(Some),
            None => Ok(None),
        }
    })?;
    let Some(summary) = summary else {
        eprintln!(
            "interrupted: finished checks are stored; run again with --resume to finish the batch"
        );
        return Ok(ExitCode::from(130));
    };
    let store = Store::open(&db)?;
    if !a.aggregate_only {
        for id in &summary.subject_ids {
            if let Some(scan) = store.latest_scan(id)?.filter(|s| s.finished_at.is_some()) {
                report::write_scan_report(&store, scan.id, &defs, &a.out)?;
            }
        }
    }
    let mut agg = aggregate::compute(
        &store,
        summary.subject_ids.iter().map(String::as_str),
        &defs,
    )?;
    let catalog = brokertrace::exposure::Catalog::load_default()?;
    let breaches =
        brokertrace::exposure::breach_links(&store, &summary.subject_ids, &defs, &catalog)?;
    let graph = graph::build(&store, &summary.subject_ids, &defs, &breaches)?;
    agg.copy_flows = aggregate::copy_flows(&graph);
    let stem = a
        .file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("batch");
    let dir = report::report_dir(&a.out, &format!("batch-{}", profile::slug(stem)));
    aggregate::write(&dir, &agg)?;
    let graph = if a.no_redact {
        graph
    } else {
        graph::redact::redact_owned(graph, &graph::redact::Redactor::random())
    };
    for format in [graph::export::Format::Graphml, graph::export::Format::Json] {
        for (name, bytes) in graph::export::render(&graph, format)? {
            std::fs::write(dir.join(name), bytes)?;
        }
    }
    if !cli.quiet {
        println!(
            "{} row(s): {} scanned, {} already done, {} invalid, {} unfinished.",
            summary.rows,
            summary.scanned,
            summary.already_done,
            summary.bad_rows,
            summary.incomplete
        );
        println!(
            "{} of {} subject(s) found on at least one broker.",
            agg.found_anywhere, agg.scanned
        );
        println!("aggregate written to {}", dir.display());
    }
    Ok(if summary.bad_rows > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn status(a: &BatchArgs, db: &std::path::Path) -> Result<ExitCode> {
    let store = Store::open(db)?;
    println!("line\tsubject\tstate\tchecks\tfound");
    for (line, row) in batch::input::rows(&a.file)? {
        match row {
            Err(e) => println!("{line}\t-\tinvalid: {}\t-\t-", e[0]),
            Ok(p) => {
                let (state, checks, found) = match store.latest_scan(&p.id)? {
                    None => ("not started", 0, 0),
                    Some(s) => {
                        let checks = store.checks(s.id)?.len();
                        let found = store
                            .listings_in_scan(s.id)?
                            .iter()
                            .filter(|l| l.level >= brokertrace::model::MatchLevel::Probable)
                            .count();
                        (
                            if s.finished_at.is_some() {
                                "done"
                            } else {
                                "unfinished"
                            },
                            checks,
                            found,
                        )
                    }
                };
                println!("{line}\t{}\t{state}\t{checks}\t{found}", p.id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
