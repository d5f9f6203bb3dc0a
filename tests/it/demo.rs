//! `demo` and `scan` against the simulated network, compared with its
//! ground truth; resuming an interrupted scan gives the same report.

use std::collections::BTreeSet;
use std::path::Path;

use brokertrace::sim::{Network, SimConfig};

use crate::common::{cmd, repo, walk};

/// Starts the simulated network on a background runtime that lives as long
/// as the returned guard.
struct Sim {
    network: Option<Network>,
    rt: tokio::runtime::Runtime,
}

impl Sim {
    fn start(seed: u64) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let network = rt
            .block_on(Network::start(SimConfig {
                seed,
                ..SimConfig::default()
            }))
            .unwrap();
        Sim {
            network: Some(network),
            rt,
        }
    }

    fn network(&self) -> &Network {
        self.network.as_ref().unwrap()
    }

    fn resolve_args(&self) -> Vec<String> {
        self.network()
            .resolve()
            .iter()
            .flat_map(|(h, a)| ["--resolve".to_string(), format!("{h}={a}")])
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _guard = self.rt.enter();
        drop(self.network.take());
    }
}

fn newest_report(out: &Path) -> serde_json::Value {
    let mut dirs: Vec<_> = walk(out)
        .into_iter()
        .filter(|p| p.ends_with("report.json"))
        .collect();
    dirs.sort();
    let path = dirs.last().expect("a report.json was written");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// URLs of listings graded probable or better, per source.
fn found_urls(report: &serde_json::Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in report["sources"].as_array().unwrap() {
        for l in s["listings"].as_array().unwrap() {
            let level = l["level"].as_str().unwrap();
            if level == "probable" || level == "confirmed" {
                out.insert(l["url"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    out
}

fn truth_urls(network: &Network, subject: &str) -> BTreeSet<String> {
    let truth = network.truth();
    let person = truth
        .people
        .iter()
        .find(|p| p.profile.id == subject || p.id == subject)
        .expect("the subject is in the population");
    truth
        .listings
        .iter()
        .filter(|l| l.person_id == person.id)
        .map(|l| l.url.clone())
        .collect()
}

#[test]
fn demo_writes_a_report_of_exactly_the_demo_persons_listings() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    cmd()
        .current_dir(repo(""))
        .args(["demo", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("report written to"));
    let report = newest_report(&out);
    let sim = Sim::start(7);
    let subject = report["subject_id"].as_str().unwrap().to_string();
    assert_eq!(found_urls(&report), truth_urls(sim.network(), &subject));
    assert!(walk(&out).iter().any(|p| p.ends_with("report.md")));
}

#[test]
fn interrupted_scan_resumes_to_the_same_report() {
    let sim = Sim::start(7);
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("me.toml");
    std::fs::write(
        &profile,
        toml::to_string(&sim.network().demo_profile()).unwrap(),
    )
    .unwrap();
    let run = |db: &Path, out: &Path, extra: &[&str]| {
        cmd()
            .current_dir(repo(""))
            .args(["scan", "--sources", "sources/sim", "--profile"])
            .arg(&profile)
            .arg("--db")
            .arg(db)
            .arg("--out")
            .arg(out)
            .args(sim.resolve_args())
            .args(["--rate", "60000", "--per-host", "8"])
            .args(extra)
            .assert()
            .success()
    };
    // Uninterrupted.
    let whole = tmp.path().join("whole");
    run(&whole.join("db.sqlite"), &whole, &[]);
    // Stopped after 3 checks, then resumed.
    let parts = tmp.path().join("parts");
    run(&parts.join("db.sqlite"), &parts, &["--stop-after", "3"])
        .stdout(predicates::str::contains("resume"));
    assert!(
        walk(&parts).iter().all(|p| !p.ends_with("report.json")),
        "no report for an unfinished scan"
    );
    run(&parts.join("db.sqlite"), &parts, &[]);

    let a = newest_report(&whole);
    let b = newest_report(&parts);
    assert_eq!(a["check_states"], b["check_states"]);
    assert_eq!(found_urls(&a), found_urls(&b));
    let subject = a["subject_id"].as_str().unwrap().to_string();
    assert_eq!(
        found_urls(&a),
        truth_urls(sim.network(), &subject),
        "scan finds exactly the subject's listings"
    );
    assert_eq!(a["found"], b["found"]);
    assert_eq!(a["rejected"], b["rejected"]);

    // No duplicate rows: one check row per planned (source, url).
    let conn = rusqlite::Connection::open(parts.join("db.sqlite")).unwrap();
    let (total, distinct): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT source_id || ' ' || url) FROM checks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(total, distinct);
    let scans: i64 = conn
        .query_row("SELECT COUNT(*) FROM scans", [], |r| r.get(0))
        .unwrap();
    assert_eq!(scans, 1, "the resumed run continued the same scan");
}
