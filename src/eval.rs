//! Scoring predicted listings against ground truth: precision, recall and F1
//! overall and per broker, plus the confusion list behind them.
//!
//! Pure functions over (person, URL) pairs, so `brokertrace eval` can feed it
//! the simulated network's truth and the scan's matches, and CI can gate on
//! the numbers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::MatchLevel;

/// A listing that really is the person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthPair {
    /// Person id.
    pub person_id: String,
    /// Absolute URL of the listing's page.
    pub url: String,
}

/// A listing the matcher attributed to a person, with its level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prediction {
    /// Person id.
    pub person_id: String,
    /// Absolute URL of the listing's page.
    pub url: String,
    /// How sure the matcher was.
    pub level: MatchLevel,
}

/// Counts and rates for one slice (overall or one broker).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Predicted at or above the threshold and true.
    pub true_positives: usize,
    /// Predicted at or above the threshold but not true.
    pub false_positives: usize,
    /// True but not predicted at or above the threshold.
    pub false_negatives: usize,
    /// TP / (TP + FP); 1.0 when nothing was predicted.
    pub precision: f64,
    /// TP / (TP + FN); 1.0 when there was nothing to find.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0.0 when both are 0.
    pub f1: f64,
}

impl Scores {
    fn from_counts(tp: usize, fp: usize, fn_: usize) -> Scores {
        let precision = if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        let recall = if tp + fn_ == 0 {
            1.0
        } else {
            tp as f64 / (tp + fn_) as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Scores {
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
            precision,
            recall,
            f1,
        }
    }
}

/// Which way a pair was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Attributed to the person but not theirs (a namesake, usually).
    FalsePositive,
    /// The person's listing, missed or scored below the threshold.
    FalseNegative,
}

/// One wrong pair, for the confusion list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// False positive or false negative.
    pub kind: ErrorKind,
    /// Person id.
    pub person_id: String,
    /// Listing URL as given.
    pub url: String,
    /// Broker: the URL's host.
    pub broker: String,
    /// The level the matcher gave, when it saw the listing at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<MatchLevel>,
}

/// The full evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Lowest level counted as a positive prediction.
    pub threshold: MatchLevel,
    /// All brokers together.
    pub overall: Scores,
    /// Per broker (URL host), sorted by host.
    pub per_broker: BTreeMap<String, Scores>,
    /// Every false positive, then every false negative, sorted by broker,
    /// person and URL.
    pub confusion: Vec<Confusion>,
}

impl EvalReport {
    /// True when overall precision and recall reach the given minimums
    /// (the CI gate: `meets(0.97, 0.95)`).
    pub fn meets(&self, min_precision: f64, min_recall: f64) -> bool {
        self.overall.precision >= min_precision && self.overall.recall >= min_recall
    }
}

/// The broker of a listing: its URL's host, lower-cased, without "www.";
/// the whole string when it is not a URL.
pub fn broker_of(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(u) => {
            let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
            let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
            match u.port() {
                Some(p) if !host.is_empty() => format!("{host}:{p}"),
                _ => host,
            }
        }
        Err(_) => url.trim().to_string(),
    }
}

/// A URL in the form used to compare truth with predictions: host
/// lower-cased, fragment dropped, trailing "/" of the path dropped.
pub fn canonical_url(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut u) => {
            u.set_fragment(None);
            let path = u.path().trim_end_matches('/').to_string();
            u.set_path(if path.is_empty() { "/" } else { &path });
            let s = u.to_string();
            s.strip_suffix('/').map(str::to_string).unwrap_or(s)
        }
        Err(_) => url.trim().to_string(),
    }
}

/// Scores predictions at the usual threshold, `probable` or better.
pub fn evaluate(truth: &[TruthPair], predicted: &[Prediction]) -> EvalReport {
    evaluate_at(truth, predicted, MatchLevel::Probable)
}

/// Scores predictions counting those at `threshold` or above as positive.
/// A pair predicted several times counts once, at its highest level.
pub fn evaluate_at(
    truth: &[TruthPair],
    predicted: &[Prediction],
    threshold: MatchLevel,
) -> EvalReport {
    type Key = (String, String);
    let truth_set: BTreeSet<Key> = truth
        .iter()
        .map(|t| (t.person_id.clone(), canonical_url(&t.url)))
        .collect();
    let mut shown: BTreeMap<Key, String> = BTreeMap::new();
    for t in truth {
        shown
            .entry((t.person_id.clone(), canonical_url(&t.url)))
            .or_insert_with(|| t.url.clone());
    }
    let mut best: BTreeMap<Key, MatchLevel> = BTreeMap::new();
    for p in predicted {
        let key = (p.person_id.clone(), canonical_url(&p.url));
        shown.entry(key.clone()).or_insert_with(|| p.url.clone());
        let level = best.entry(key).or_insert(p.level);
        if p.level > *level {
            *level = p.level;
        }
    }
    let positive: BTreeSet<Key> = best
        .iter()
        .filter(|(_, l)| **l >= threshold)
        .map(|(k, _)| k.clone())
        .collect();

    let mut counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut confusion = Vec::new();
    for key in truth_set.union(&positive) {
        let broker = broker_of(&key.1);
        let c = counts.entry(broker.clone()).or_default();
        let (is_true, is_pos) = (truth_set.contains(key), positive.contains(key));
        let kind = match (is_true, is_pos) {
            (true, true) => {
                c.0 += 1;
                continue;
            }
            (false, true) => {
                c.1 += 1;
                ErrorKind::FalsePositive
            }
            (true, false) => {
                c.2 += 1;
                ErrorKind::FalseNegative
            }
            (false, false) => continue,
        };
        confusion.push(Confusion {
            kind,
            person_id: key.0.clone(),
            url: shown.get(key).cloned().unwrap_or_else(|| key.1.clone()),
            broker,
            level: best.get(key).copied(),
        });
    }
    confusion.sort_by(|a, b| {
        (a.kind, &a.broker, &a.person_id, &a.url).cmp(&(b.kind, &b.broker, &b.person_id, &b.url))
    });
    let (tp, fp, fn_) = counts
        .values()
        .fold((0, 0, 0), |acc, c| (acc.0 + c.0, acc.1 + c.1, acc.2 + c.2));
    EvalReport {
        threshold,
        overall: Scores::from_counts(tp, fp, fn_),
        per_broker: counts
            .into_iter()
            .map(|(b, (tp, fp, fn_))| (b, Scores::from_counts(tp, fp, fn_)))
            .collect(),
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &str, u: &str) -> TruthPair {
        TruthPair {
            person_id: p.into(),
            url: u.into(),
        }
    }

    fn pr(p: &str, u: &str, level: MatchLevel) -> Prediction {
        Prediction {
            person_id: p.into(),
            url: u.into(),
            level,
        }
    }

    #[test]
    fn counts_per_broker_and_overall() {
        let truth = [
            t("ann", "http://a.test/p/1"),
            t("ann", "http://b.test/p/9"),
            t("bob", "http://a.test/p/2"),
        ];
        let predicted = [
            pr("ann", "http://a.test/p/1/", MatchLevel::Confirmed),
            pr("ann", "http://b.test/p/9", MatchLevel::Possible),
            pr("bob", "http://a.test/p/2#top", MatchLevel::Probable),
            pr("bob", "http://a.test/p/3", MatchLevel::Probable),
            pr("bob", "http://b.test/p/4", MatchLevel::Rejected),
        ];
        let r = evaluate(&truth, &predicted);
        assert_eq!(
            (
                r.overall.true_positives,
                r.overall.false_positives,
                r.overall.false_negatives
            ),
            (2, 1, 1)
        );
        assert!((r.overall.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((r.overall.recall - 2.0 / 3.0).abs() < 1e-9);
        let a = &r.per_broker["a.test"];
        assert_eq!(
            (a.true_positives, a.false_positives, a.false_negatives),
            (2, 1, 0)
        );
        let b = &r.per_broker["b.test"];
        assert_eq!(
            (b.true_positives, b.false_positives, b.false_negatives),
            (0, 0, 1)
        );
        assert_eq!(b.recall, 0.0);
        assert_eq!(b.precision, 1.0);
        assert_eq!(b.f1, 0.0);
        assert_eq!(
            r.confusion,
            vec![
                Confusion {
                    kind: ErrorKind::FalsePositive,
                    person_id: "bob".into(),
                    url: "http://a.test/p/3".into(),
                    broker: "a.test".into(),
                    level: Some(MatchLevel::Probable),
                },
                Confusion {
                    kind: ErrorKind::FalseNegative,
                    person_id: "ann".into(),
                    url: "http://b.test/p/9".into(),
                    broker: "b.test".into(),
                    level: Some(MatchLevel::Possible),
                },
            ]
        );
        assert!(!r.meets(0.97, 0.95));
    }

    #[test]
    fn duplicates_count_once_at_their_best_level() {
        let truth = [t("ann", "http://a.test/1")];
        let predicted = [
            pr("ann", "http://a.test/1", MatchLevel::Possible),
            pr("ann", "http://A.TEST/1", MatchLevel::Probable),
        ];
        let r = evaluate(&truth, &predicted);
        assert_eq!(r.overall.true_positives, 1);
        assert_eq!(r.overall.false_positives, 0);
        assert!(r.meets(0.97, 0.95));
        let loose = evaluate_at(&truth, &[predicted[0].clone()], MatchLevel::Possible);
        assert_eq!(loose.overall.true_positives, 1);
    }

    #[test]
    fn a_listing_of_someone_else_is_a_false_positive_for_that_person() {
        let truth = [t("ann", "http://a.test/1")];
        let predicted = [pr("bob", "http://a.test/1", MatchLevel::Confirmed)];
        let r = evaluate(&truth, &predicted);
        assert_eq!(r.overall.false_positives, 1);
        assert_eq!(r.overall.false_negatives, 1);
        assert_eq!(r.overall.precision, 0.0);
    }

    #[test]
    fn empty_inputs_are_perfect_and_serialise() {
        let r = evaluate(&[], &[]);
        assert_eq!(r.overall.precision, 1.0);
        assert_eq!(r.overall.recall, 1.0);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"threshold\":\"probable\""), "{json}");
        let back: EvalReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn brokers_are_hosts() {
        assert_eq!(broker_of("https://www.Example.test/x"), "example.test");
        assert_eq!(broker_of("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
        assert_eq!(canonical_url("http://a.test/p/1/#x"), "http://a.test/p/1");
        assert_eq!(canonical_url("http://a.test/"), "http://a.test");
    }
}

/// How an evaluation run is set up.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Seed of the simulated population.
    pub seed: u64,
    /// People in the population.
    pub population: usize,
    /// Scan only every n-th person (1 = everyone); the demo person is always in.
    pub every: usize,
    /// Subjects scanned at once.
    pub subjects_at_once: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            seed: 7,
            population: 400,
            every: 1,
            subjects_at_once: 8,
        }
    }
}

/// Flow (copy-edge) inference scored against the network's true copy edges.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FlowScores {
    /// Share of inferred directed copy edges that are true.
    pub precision: f64,
    /// Share of true copy edges inferred with the right direction.
    pub recall: f64,
    /// Inferred `(upstream, downstream)` pairs.
    pub predicted: Vec<(String, String)>,
    /// True pairs.
    pub truth: Vec<(String, String)>,
}

/// Everything `brokertrace eval` measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// Subjects scanned.
    pub subjects: usize,
    /// Checks run.
    pub checks: usize,
    /// Listing matching, at "probable or better".
    pub matching: EvalReport,
    /// Copy-flow inference.
    pub flows: FlowScores,
}

/// Targets CI enforces.
pub const TARGETS: Targets = Targets {
    precision: 0.97,
    recall: 0.95,
    flow_precision: 0.9,
    flow_recall: 0.8,
};

/// Minimum scores.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    /// Listing precision.
    pub precision: f64,
    /// Listing recall.
    pub recall: f64,
    /// Copy-edge precision.
    pub flow_precision: f64,
    /// Copy-edge recall.
    pub flow_recall: f64,
}

impl RunReport {
    /// The targets this report misses, as readable lines (empty when all are met).
    pub fn misses(&self, t: &Targets) -> Vec<String> {
        let mut out = Vec::new();
        let m = &self.matching.overall;
        if m.precision < t.precision {
            out.push(format!(
                "matching precision {:.3} < {}",
                m.precision, t.precision
            ));
        }
        if m.recall < t.recall {
            out.push(format!("matching recall {:.3} < {}", m.recall, t.recall));
        }
        if self.flows.precision < t.flow_precision {
            out.push(format!(
                "flow precision {:.3} < {}",
                self.flows.precision, t.flow_precision
            ));
        }
        if self.flows.recall < t.flow_recall {
            out.push(format!(
                "flow recall {:.3} < {}",
                self.flows.recall, t.flow_recall
            ));
        }
        out
    }
}

/// Scans subjects of the simulated network with the real pipeline (in a
/// temporary database) and scores matches and inferred copy flows against
/// the network's ground truth.
pub async fn run(
    opts: &RunOptions,
    sources: &[crate::sources::SourceDef],
    progress: &dyn crate::scan::Progress,
) -> anyhow::Result<RunReport> {
    use crate::crawl::{CrawlConfig, Fetcher};
    use crate::scan::{Engine, ScanOptions};
    use crate::sim::{Network, SimConfig};
    use crate::store::Store;
    use futures_util::StreamExt;

    let network = Network::start(SimConfig {
        seed: opts.seed,
        population: opts.population,
    })
    .await?;
    let fetcher = Fetcher::new(CrawlConfig {
        resolve: network.resolve(),
        // Our own loopback brokers: politeness limits would only measure the pause.
        requests_per_minute: 1_000_000,
        max_in_flight_per_host: 16,
        max_in_flight: 64,
        ..CrawlConfig::default()
    })?;
    let dir = tempfile_dir()?;
    let db = dir.join("eval.sqlite");
    let engine = Engine::new(sources, &fetcher, &db)?;
    let demo = network.demo_profile().id;
    let people: Vec<crate::profile::Profile> = network
        .truth()
        .people
        .iter()
        .enumerate()
        .filter(|(i, p)| i % opts.every.max(1) == 0 || p.id == demo)
        .map(|(_, p)| p.profile.clone())
        .collect();
    progress.event(&crate::scan::ProgressEvent::BatchPlanned {
        subjects: people.len(),
    });
    let scan_opts = ScanOptions {
        fresh: true,
        ..ScanOptions::default()
    };
    let scan_opts = &scan_opts;
    let mut runs = futures_util::stream::iter(people.iter())
        .map(|p| engine.scan(p, scan_opts, progress))
        .buffer_unordered(opts.subjects_at_once.max(1));
    let mut scans = Vec::new();
    while let Some(r) = runs.next().await {
        scans.push(r?);
    }
    drop(runs);
    engine.finish()?;

    let store = Store::open(&db)?;
    let mut predicted = Vec::new();
    let mut checks = 0;
    for s in &scans {
        checks += store.checks(s.scan_id)?.len();
        for l in store.listings_in_scan(s.scan_id)? {
            if let Some(url) = l.url {
                predicted.push(Prediction {
                    person_id: s.subject_id.clone(),
                    url,
                    level: l.level,
                });
            }
        }
    }
    let scanned: BTreeSet<&str> = scans.iter().map(|s| s.subject_id.as_str()).collect();
    let truth: Vec<TruthPair> = network
        .truth()
        .listings
        .iter()
        .filter(|l| scanned.contains(l.person_id.as_str()))
        .map(|l| TruthPair {
            person_id: l.person_id.clone(),
            url: l.url.clone(),
        })
        .collect();
    let matching = evaluate(&truth, &predicted);

    let graph = crate::graph::build(&store, &[], sources, &[])?;
    let flow_pred = graph.directed_flows();
    let flow_truth = network.truth().copies.clone();
    let (precision, recall) = crate::graph::provenance::flow_metrics(&flow_pred, &flow_truth);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(RunReport {
        subjects: scans.len(),
        checks,
        matching,
        flows: FlowScores {
            precision,
            recall,
            predicted: flow_pred,
            truth: flow_truth,
        },
    })
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "brokertrace-eval-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
