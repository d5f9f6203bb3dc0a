//! Aggregate statistics of a batch: per broker, per attribute, per state.
//! Counts only; no subject is named.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::model::{AttributeKind, CheckState, MatchLevel};
use crate::sources::SourceDef;
use crate::store::Store;

/// Batch-wide statistics.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Aggregate {
    /// Subjects in the batch.
    pub subjects: usize,
    /// Subjects with a finished scan.
    pub scanned: usize,
    /// Subjects found on at least one broker.
    pub found_anywhere: usize,
    /// Per broker, by id.
    pub brokers: Vec<BrokerStats>,
    /// Per attribute kind: subjects whose value is exposed on ≥ 1 broker.
    pub attributes: Vec<AttributeStats>,
    /// How many subjects were found on N brokers (`[N, subjects]`).
    pub brokers_per_subject: Vec<(usize, usize)>,
    /// Checks per state over the whole batch.
    pub check_states: BTreeMap<String, usize>,
    /// Inferred copy flows between brokers, strongest first.
    #[serde(default)]
    pub copy_flows: Vec<CopyFlow>,
}

/// One inferred "downstream copies from upstream" relation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CopyFlow {
    /// Source the data comes from.
    pub upstream: String,
    /// Source that copies it.
    pub downstream: String,
    /// Whether the evidence supports the direction (else only a shared lineage).
    pub directed: bool,
    /// Confidence (0–1) that they share a lineage.
    pub confidence: f64,
    /// Distinct subjects whose listings carry the shared values.
    pub subjects: usize,
}

/// Copy flows of a batch-wide graph, strongest first.
pub fn copy_flows(graph: &crate::graph::ExposureGraph) -> Vec<CopyFlow> {
    let mut flows: Vec<CopyFlow> = graph
        .copies
        .iter()
        .map(|c| CopyFlow {
            upstream: c.upstream.clone(),
            downstream: c.downstream.clone(),
            directed: c.directed,
            confidence: c.confidence,
            subjects: c
                .shared
                .iter()
                .map(|v| v.subject.as_str())
                .collect::<BTreeSet<_>>()
                .len(),
        })
        .collect();
    flows.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.subjects.cmp(&a.subjects))
    });
    flows
}

/// One broker's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BrokerStats {
    /// Source id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Subjects searched there.
    pub subjects_checked: usize,
    /// Subjects with a listing graded probable or better there.
    pub subjects_found: usize,
    /// `subjects_found / subjects_checked` in percent.
    pub found_pct: f64,
    /// Listings of subjects there.
    pub listings: usize,
    /// Checks per state there.
    pub check_states: BTreeMap<String, usize>,
    /// Share of checks blocked (captcha, WAF) in percent.
    pub blocked_pct: f64,
    /// Share of checks that errored or were rate-limited, in percent.
    pub error_pct: f64,
}

/// Exposure of one attribute kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AttributeStats {
    /// Attribute kind ("phone").
    pub kind: String,
    /// Subjects whose value of this kind is on ≥ 1 broker.
    pub subjects: usize,
    /// Of all scanned subjects, in percent.
    pub pct: f64,
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / of as f64).round() / 10.0
    }
}

/// Computes the aggregate over each subject's newest scan, one subject at a
/// time (memory does not grow with the batch).
pub fn compute<'a>(
    store: &Store,
    subject_ids: impl IntoIterator<Item = &'a str>,
    sources: &[SourceDef],
) -> Result<Aggregate> {
    let mut agg = Aggregate {
        check_states: CheckState::LABELS
            .iter()
            .map(|l| (l.to_string(), 0))
            .collect(),
        ..Aggregate::default()
    };
    let mut brokers: BTreeMap<String, BrokerStats> = BTreeMap::new();
    let mut attrs: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut per_subject: BTreeMap<usize, usize> = BTreeMap::new();
    for id in subject_ids {
        agg.subjects += 1;
        let Some(scan) = store.latest_scan(id)? else {
            continue;
        };
        if scan.finished_at.is_none() {
            continue;
        }
        agg.scanned += 1;
        let mut checked = BTreeSet::new();
        for c in store.checks(scan.id)? {
            *agg.check_states
                .entry(c.state.label().to_string())
                .or_default() += 1;
            let b = brokers.entry(c.source_id.clone()).or_default();
            *b.check_states
                .entry(c.state.label().to_string())
                .or_default() += 1;
            checked.insert(c.source_id);
        }
        for s in &checked {
            brokers.get_mut(s).expect("inserted above").subjects_checked += 1;
        }
        let mut found_on = BTreeSet::new();
        let mut kinds = BTreeSet::new();
        for l in store.listings_in_scan(scan.id)? {
            if l.level < MatchLevel::Probable {
                continue;
            }
            brokers.entry(l.source_id.clone()).or_default().listings += 1;
            found_on.insert(l.source_id.clone());
            for (kind, _) in crate::store::attributes_of(&l.record) {
                kinds.insert(kind);
            }
        }
        for s in &found_on {
            brokers.get_mut(s).expect("inserted above").subjects_found += 1;
        }
        if !found_on.is_empty() {
            agg.found_anywhere += 1;
        }
        *per_subject.entry(found_on.len()).or_default() += 1;
        for k in kinds {
            *attrs.entry(k).or_default() += 1;
        }
    }
    for (id, mut b) in brokers {
        let total: usize = b.check_states.values().sum();
        b.name = sources
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.clone(), |s| s.name.clone());
        b.found_pct = pct(b.subjects_found, b.subjects_checked);
        b.blocked_pct = pct(*b.check_states.get("blocked").unwrap_or(&0), total);
        b.error_pct = pct(
            b.check_states.get("error").unwrap_or(&0)
                + b.check_states.get("rate_limited").unwrap_or(&0),
            total,
        );
        b.id = id;
        agg.brokers.push(b);
    }
    agg.attributes = AttributeKind::ALL
        .iter()
        .filter_map(|k| {
            attrs.get(k.as_str()).map(|n| AttributeStats {
                kind: k.as_str().to_string(),
                subjects: *n,
                pct: pct(*n, agg.scanned),
            })
        })
        .collect();
    agg.brokers_per_subject = per_subject.into_iter().collect();
    Ok(agg)
}

/// Writes `aggregate.md`, `aggregate.json`, `brokers.csv` and `attributes.csv`.
pub fn write(dir: &Path, agg: &Aggregate) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    let json = dir.join("aggregate.json");
    std::fs::write(&json, serde_json::to_string_pretty(agg)?)?;
    written.push(json);

    let brokers = dir.join("brokers.csv");
    let mut w = csv::Writer::from_path(&brokers)?;
    w.write_record([
        "id",
        "name",
        "subjects_checked",
        "subjects_found",
        "found_pct",
        "listings",
        "blocked_pct",
        "error_pct",
    ])?;
    for b in &agg.brokers {
        w.write_record([
            b.id.clone(),
            b.name.clone(),
            b.subjects_checked.to_string(),
            b.subjects_found.to_string(),
            b.found_pct.to_string(),
            b.listings.to_string(),
            b.blocked_pct.to_string(),
            b.error_pct.to_string(),
        ])?;
    }
    w.flush()?;
    written.push(brokers);

    let attributes = dir.join("attributes.csv");
    let mut w = csv::Writer::from_path(&attributes)?;
    w.write_record(["kind", "subjects", "pct"])?;
    for a in &agg.attributes {
        w.write_record([a.kind.clone(), a.subjects.to_string(), a.pct.to_string()])?;
    }
    w.flush()?;
    written.push(attributes);

    let md = dir.join("aggregate.md");
    std::fs::write(&md, markdown(agg))?;
    written.push(md);
    Ok(written)
}

fn markdown(agg: &Aggregate) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Batch exposure statistics\n");
    let _ = writeln!(
        o,
        "{} subjects, {} scanned, {} ({:.1} %) found on at least one broker. No subject is named in this report.\n",
        agg.subjects,
        agg.scanned,
        agg.found_anywhere,
        pct(agg.found_anywhere, agg.scanned)
    );
    let _ = writeln!(
        o,
        "## Brokers\n\n| broker | subjects found | % | listings | blocked % | error % |\n|---|---:|---:|---:|---:|---:|"
    );
    let mut brokers = agg.brokers.clone();
    brokers.sort_by(|a, b| b.found_pct.total_cmp(&a.found_pct).then(a.id.cmp(&b.id)));
    for b in &brokers {
        let _ = writeln!(
            o,
            "| {} | {}/{} | {:.1} | {} | {:.1} | {:.1} |",
            crate::report::md_escape(&b.name),
            b.subjects_found,
            b.subjects_checked,
            b.found_pct,
            b.listings,
            b.blocked_pct,
            b.error_pct
        );
    }
    let _ = writeln!(
        o,
        "\n## Attributes exposed\n\n| attribute | subjects | % |\n|---|---:|---:|"
    );
    for a in &agg.attributes {
        let _ = writeln!(o, "| {} | {} | {:.1} |", a.kind, a.subjects, a.pct);
    }
    let _ = writeln!(
        o,
        "\n## Brokers per subject\n\n| brokers | subjects |\n|---:|---:|"
    );
    for (n, s) in &agg.brokers_per_subject {
        let _ = writeln!(o, "| {n} | {s} |");
    }
    if !agg.copy_flows.is_empty() {
        let _ = writeln!(
            o,
            "\n## Inferred copy flows\n\n| upstream | downstream | direction | confidence | subjects |\n|---|---|---|---:|---:|"
        );
        for f in &agg.copy_flows {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:.2} | {} |",
                f.upstream,
                f.downstream,
                if f.directed { "supported" } else { "unsure" },
                f.confidence,
                f.subjects
            );
        }
    }
    let _ = writeln!(o, "\n## Check states\n\n| state | checks |\n|---|---:|");
    for (k, v) in &agg.check_states {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    o
}
