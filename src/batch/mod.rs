//! Batch scans: many subjects from one CSV or JSONL file, one politeness
//! budget, resumable, with aggregate statistics that name no one.
//!
//! Rows are read lazily ([`input::rows`]) and scanned a few subjects at a
//! time on one shared [`Engine`], so per-host limits hold across the whole
//! batch and identical searches are fetched once.

pub mod aggregate;
pub mod input;

use std::path::Path;

use anyhow::Result;
use futures_util::StreamExt;
use serde::Serialize;

use crate::diagnostics::InputError;
use crate::scan::{Engine, Progress, ProgressEvent, ScanOptions};
use crate::store::Store;

/// Knobs for a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Continue an earlier run: skip subjects whose latest scan finished and
    /// resume unfinished ones. Without it every subject gets a fresh scan.
    pub resume: bool,
    /// Stop before scanning anything if any row is bad.
    pub strict: bool,
    /// Subjects scanned at once.
    pub subjects_at_once: usize,
    /// Settings for each subject's scan.
    pub scan: ScanOptions,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            resume: false,
            strict: false,
            subjects_at_once: 8,
            scan: ScanOptions::default(),
        }
    }
}

/// What a batch run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchSummary {
    /// Rows read (good and bad).
    pub rows: usize,
    /// Rows skipped because they were invalid.
    pub bad_rows: usize,
    /// Subjects scanned (or resumed) in this run.
    pub scanned: usize,
    /// Subjects skipped because an earlier run finished them (`--resume`).
    pub already_done: usize,
    /// Subjects whose scan did not finish (stopped early).
    pub incomplete: usize,
    /// Every good row's subject id, in file order.
    pub subject_ids: Vec<String>,
}

/// Checks every row without scanning; returns the problems.
pub fn validate(path: &Path) -> Result<Vec<InputError>, InputError> {
    Ok(input::rows(path)?
        .filter_map(|(_, r)| r.err())
        .flatten()
        .collect())
}

/// Runs a batch. Bad rows are passed to `on_bad_row` and skipped.
pub async fn run(
    path: &Path,
    engine: &Engine,
    db: &Path,
    opts: &BatchOptions,
    progress: &dyn Progress,
    on_bad_row: &mut (dyn FnMut(&InputError) + Send),
) -> Result<BatchSummary> {
    if opts.strict {
        let problems = validate(path)?;
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(|e| e.to_string()).collect();
            anyhow::bail!("{}\n(--strict: nothing was scanned)", text.join("\n"));
        }
    }
    let total = input::rows(path)?.filter(|(_, r)| r.is_ok()).count();
    progress.event(&ProgressEvent::BatchPlanned { subjects: total });
    let store = Store::open(db)?;
    let mut summary = BatchSummary::default();
    let mut todo = Vec::new();
    for (_, row) in input::rows(path)? {
        summary.rows += 1;
        match row {
            Err(errors) => {
                summary.bad_rows += 1;
                for e in &errors {
                    on_bad_row(e);
                }
            }
            Ok(profile) => {
                summary.subject_ids.push(profile.id.clone());
                let done = opts.resume
                    && store
                        .latest_scan(&profile.id)?
                        .is_some_and(|s| s.finished_at.is_some() && s.kind == opts.scan.kind);
                if done {
                    summary.already_done += 1;
                    progress.event(&ProgressEvent::SubjectSkipped {
                        subject: profile.id.clone(),
                    });
                } else {
                    todo.push(profile);
                }
            }
        }
    }
    drop(store);
    let scan_opts = ScanOptions {
        fresh: !opts.resume,
        ..opts.scan.clone()
    };
    let scan_opts = &scan_opts;
    let mut runs = futures_util::stream::iter(todo)
        .map(|profile| async move { engine.scan(&profile, scan_opts, progress).await })
        .buffer_unordered(opts.subjects_at_once.max(1));
    while let Some(r) = runs.next().await {
        let s = r?;
        summary.scanned += 1;
        if !s.complete {
            summary.incomplete += 1;
        }
    }
    Ok(summary)
}

/// What a batch writes besides the database.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// Folder name under the reports root ("batch-people").
    pub name: String,
    /// Write each subject's report (as `scan` does).
    pub per_subject_reports: bool,
    /// Pseudonymise people in the batch-wide graph export.
    pub redact: bool,
}

/// Writes the batch's outputs: the batch-wide exposure graph (inferred copy
/// flows feed every report's "what to do first"), each subject's report,
/// and the aggregate (`aggregate.md/.json`, CSVs, graph exports) in
/// `<root>/<name>/<timestamp>/`. Returns that folder and the aggregate.
pub fn write_outputs(
    store: &Store,
    subject_ids: &[String],
    sources: &[crate::sources::SourceDef],
    root: &Path,
    opts: &OutputOptions,
) -> Result<(std::path::PathBuf, aggregate::Aggregate)> {
    use crate::graph;
    let catalog = crate::exposure::Catalog::load_default()?;
    let breaches = crate::exposure::breach_links(store, subject_ids, sources, &catalog)?;
    let graph = graph::build(store, subject_ids, sources, &breaches)?;
    let copies = graph.directed_flows();
    if opts.per_subject_reports {
        for id in subject_ids {
            if let Some(scan) = store.latest_scan(id)?.filter(|s| s.finished_at.is_some()) {
                crate::report::write_scan_report(store, scan.id, sources, root, &copies)?;
            }
        }
    }
    let mut agg = aggregate::compute(store, subject_ids.iter().map(String::as_str), sources)?;
    agg.copy_flows = aggregate::copy_flows(&graph);
    let dir = crate::report::report_dir(root, &opts.name);
    aggregate::write(&dir, &agg)?;
    let graph = if opts.redact {
        graph::redact::redact_owned(graph, &graph::redact::Redactor::random())
    } else {
        graph
    };
    for format in [graph::export::Format::Graphml, graph::export::Format::Json] {
        graph::export::write_into(&graph, format, &dir)?;
    }
    Ok((dir, agg))
}
