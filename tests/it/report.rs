//! Reports built from a fixed synthetic store: Markdown and JSON snapshots,
//! HTML escaping of hostile scraped values, and (with Chromium) a rendering check.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use brokertrace::exposure::{self, AccountBreaches, Catalog};
use brokertrace::model::{
    Address, CheckState, Evidence, MatchLevel, MatchResult, PersonName, Record,
};
use brokertrace::profile::Profile;
use brokertrace::report::{self, ReportData};
use brokertrace::sources::SourceDef;
use brokertrace::store::{CheckOutcome, FetchLog, ListingObservation, Store};

use crate::common::{cmd, fixture, repo};

/// Scraped text that would run if the report did not escape it; if it ran in
/// a browser it would change the page title.
const SCRIPT: &str = "<script>alert(1);document.title='XSS'</script>";
const IMG: &str = "<img src=x onerror=\"alert(1);document.title='XSS'\">";

fn at(min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 12, min, 0).unwrap()
}

fn sources() -> Vec<SourceDef> {
    brokertrace::sources::load_dir(&fixture("report/sources"))
        .expect("fixture sources load")
        .into_iter()
        .map(|l| l.def)
        .collect()
}

fn addr(street: &str) -> Address {
    Address {
        street: street.into(),
        city: "Springfield".into(),
        state: "IL".into(),
        zip: "62701".into(),
        country: String::new(),
    }
}

fn ev(field: &str, weight: f64, reason: &str) -> Evidence {
    Evidence {
        field: field.into(),
        weight,
        reason: reason.into(),
    }
}

fn listing(
    key: &str,
    record: Record,
    level: MatchLevel,
    score: f64,
    evidence: Vec<Evidence>,
    min: u32,
) -> ListingObservation {
    ListingObservation {
        key: key.into(),
        url: Some(key.into()),
        record,
        result: MatchResult {
            score,
            level,
            evidence,
        },
        content_hash: Some(format!("{:064x}", min)),
        seen_at: at(min),
    }
}

fn check(
    scan_id: i64,
    source: &str,
    url: &str,
    state: CheckState,
    listings: Vec<ListingObservation>,
    min: u32,
) -> CheckOutcome {
    CheckOutcome {
        scan_id,
        source_id: source.into(),
        url: url.into(),
        state,
        fetches: vec![FetchLog {
            url: url.into(),
            final_url: Some(url.into()),
            status: Some(200),
            fetched_at: at(min),
            content_hash: Some(format!("{:064x}", min)),
            bytes: Some(2048),
            ..FetchLog::default()
        }],
        listings,
        finished_at: at(min),
    }
}

/// A database with one synthetic subject and one finished scan over the
/// fixture sources; returns its path and the scan id.
fn synthetic_store(dir: &Path) -> (PathBuf, i64) {
    let db = dir.join("db.sqlite");
    let mut store = Store::open(&db).unwrap();
    let profile = Profile {
        id: "jane-synthetic".into(),
        jurisdiction: "US-CA".into(),
        birth_year: Some(1984),
        names: vec![PersonName::new("Jane", "Q", "Synthetic")],
        phones: vec!["+14155550123".into()],
        emails: vec!["jane.synthetic@example.com".into()],
        addresses: vec![addr("12 Oak St")],
        ..Profile::default()
    };
    store.upsert_subject(&profile).unwrap();
    let scan = store.start_scan("jane-synthetic", "scan").unwrap();
    let jane = PersonName::new("Jane", "Q", "Synthetic");
    let wp = Record {
        names: vec![jane.clone()],
        age: Some(40),
        addresses: vec![addr("12 Oak St")],
        phones: vec!["+14155550123".into()],
        relatives: vec!["John Synthetic".into()],
        ..Record::default()
    };
    store
        .commit_check(&check(
            scan,
            "whitepages.com",
            "https://www.whitepages.com/name/Jane-Synthetic/Springfield-IL",
            CheckState::Found,
            vec![listing(
                "https://www.whitepages.com/name/Jane-Synthetic/Springfield-IL/abc1",
                wp,
                MatchLevel::Confirmed,
                7.5,
                vec![
                    ev("phone", 4.0, "phone +14155550123 matches your phone"),
                    ev("name", 2.0, "name Jane Q Synthetic matches"),
                    ev("city", 1.5, "lives in Springfield, IL like you"),
                ],
                1,
            )],
            1,
        ))
        .unwrap();
    let tf = Record {
        names: vec![jane.clone()],
        age: Some(40),
        addresses: vec![addr("12 Oak St")],
        ..Record::default()
    };
    let namesake = Record {
        names: vec![PersonName::new("Jane", "", "Synthetic")],
        age: Some(71),
        addresses: vec![Address {
            city: "Portland".into(),
            state: "OR".into(),
            ..Address::default()
        }],
        ..Record::default()
    };
    store
        .commit_check(&check(
            scan,
            "truthfinder.com",
            "https://www.truthfinder.com/results/?firstName=Jane&lastName=Synthetic&state=IL",
            CheckState::Found,
            vec![
                listing(
                    "https://www.truthfinder.com/p/jane-synthetic-1",
                    tf,
                    MatchLevel::Probable,
                    4.5,
                    vec![
                        ev("name", 2.0, "name Jane Q Synthetic matches"),
                        ev("age", 1.5, "age 40 fits your birth year 1984"),
                        ev("city", 1.0, "lives in Springfield, IL like you"),
                    ],
                    2,
                ),
                listing(
                    "https://www.truthfinder.com/p/jane-synthetic-2",
                    namesake,
                    MatchLevel::Rejected,
                    -3.0,
                    vec![ev("age", -3.0, "age 71 contradicts your birth year 1984")],
                    2,
                ),
            ],
            2,
        ))
        .unwrap();
    let hostile = Record {
        names: vec![PersonName::new(&format!("Jane {SCRIPT}"), "", "Synthetic")],
        age: Some(40),
        addresses: vec![addr(&format!("12 Oak St {IMG}"))],
        phones: vec!["+14155550123".into()],
        relatives: vec![SCRIPT.into(), IMG.into()],
        ..Record::default()
    };
    store
        .commit_check(&check(
            scan,
            "instantcheckmate.com",
            "https://www.instantcheckmate.com/results?firstName=Jane&lastName=Synthetic",
            CheckState::Found,
            vec![ListingObservation {
                url: Some(format!("javascript:alert(1)//{SCRIPT}")),
                ..listing(
                    "icm-1",
                    hostile,
                    MatchLevel::Probable,
                    5.0,
                    vec![ev("phone", 4.0, &format!("phone matches {IMG}"))],
                    3,
                )
            }],
            3,
        ))
        .unwrap();
    store
        .commit_check(&check(
            scan,
            "quietpages.test",
            "https://quietpages.test/search?n=Jane+Synthetic",
            CheckState::Absent,
            Vec::new(),
            4,
        ))
        .unwrap();
    store
        .commit_check(&check(
            scan,
            "walled.test",
            "https://walled.test/s/Jane-Synthetic",
            CheckState::Blocked("captcha".into()),
            Vec::new(),
            5,
        ))
        .unwrap();
    store
        .conn()
        .execute(
            "UPDATE scans SET started_at = ?1, finished_at = ?2 WHERE id = ?3",
            rusqlite::params!["2025-03-10T12:00:00.000Z", "2025-03-10T12:06:00.000Z", scan],
        )
        .unwrap();
    let catalog = Catalog::builtin();
    exposure::save_account_breaches(
        store.conn(),
        "jane-synthetic",
        &AccountBreaches {
            email: "jane.synthetic@example.com".into(),
            checked_at: "2025-03-10T12:07:00Z".into(),
            breaches: vec![catalog.get("Whitepages").unwrap().into()],
        },
    )
    .unwrap();
    (db, scan)
}

fn build(dir: &Path) -> ReportData {
    let (db, scan) = synthetic_store(dir);
    let store = Store::open(&db).unwrap();
    let mut data = report::build_with(&store, scan, &sources(), &Catalog::builtin(), &[]).unwrap();
    data.tool_version = "[version]".into();
    data
}

#[test]
fn report_md_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let data = build(dir.path());
    let out = dir.path().join("out");
    report::write(&out, &data).unwrap();
    insta::assert_snapshot!(std::fs::read_to_string(out.join("report.md")).unwrap());
}

#[test]
fn report_json_snapshot_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let data = build(dir.path());
    let out = dir.path().join("out");
    report::write(&out, &data).unwrap();
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    let back: ReportData = serde_json::from_str(&text).unwrap();
    assert_eq!(back, data);
    insta::assert_snapshot!(text);
}

#[test]
fn exposure_summary_links_breaches_ranks_parents_and_sums_prices() {
    let dir = tempfile::tempdir().unwrap();
    let e = build(dir.path()).exposure;
    let linked: Vec<(&str, &str)> = e
        .broker_breaches
        .iter()
        .map(|b| (b.source_id.as_str(), b.breach.name.as_str()))
        .collect();
    assert_eq!(
        linked,
        [
            ("instantcheckmate.com", "InstantCheckmate"),
            ("truthfinder.com", "TruthFinder"),
            ("whitepages.com", "Whitepages"),
        ]
    );
    // Leaked passwords first; then the parent whose one opt-out covers a front.
    assert_eq!(e.actions[0].kind, "accounts");
    assert_eq!(e.actions[1].source_id, "truthfinder.com");
    assert_eq!(e.actions[1].covers, ["instantcheckmate.com"]);
    assert!(
        e.actions
            .iter()
            .all(|a| a.source_id != "instantcheckmate.com")
    );
    let risks: Vec<&str> = e.risks.iter().map(|r| r.id.as_str()).collect();
    assert!(risks.contains(&"identity_theft_kit"), "{risks:?}");
    assert!(risks.contains(&"financial"), "{risks:?}");
    assert!(risks.contains(&"passwords"), "{risks:?}");
    // Instant Checkmate declares no price; quietpages.test has no listing.
    assert_eq!(e.sold_for.total_usd, 34.68);
    assert_eq!(e.sold_for.unpriced, ["instantcheckmate.com"]);
}

fn assert_escaped(html: &str) {
    assert!(html.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        report::CSP.replace('\'', "&#39;")
    )));
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "raw <script> in the page");
    assert!(!lower.contains("<img"), "raw <img> in the page");
    assert!(!lower.contains("href=\"javascript"), "javascript: link");
    // askama writes `<` and `>` as numeric references.
    assert!(
        html.contains("&#60;script&#62;alert(1);document.title=&#39;XSS&#39;&#60;/script&#62;")
    );
    assert!(html.contains("&#60;img src=x onerror=&#34;alert(1)"));
    assert!(!lower.contains("src=\"http"), "external resource");
}

#[test]
fn index_html_escapes_scraped_values_and_lists_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let data = build(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("drafts")).unwrap();
    std::fs::write(out.join("drafts/whitepages.com.md"), "draft").unwrap();
    report::write(&out, &data).unwrap();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_escaped(&html);
    assert!(html.contains("<a href=\"drafts/whitepages.com.md\">"));
    assert!(html.contains("<svg"));
    assert!(html.contains("<b>$34.68</b>what your data sells for"));
    assert!(
        html.contains("<g class=\"broker breached\">"),
        "breached brokers are marked"
    );
    for section in [
        "headline",
        "todo",
        "attributes",
        "picture",
        "listings",
        "breaches",
        "drafts",
    ] {
        assert!(
            html.contains(&format!("<h2 id=\"{section}\">")),
            "{section} missing"
        );
    }
}

#[test]
fn report_command_writes_all_three_files() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = synthetic_store(dir.path());
    let reports = dir.path().join("reports");
    cmd()
        .args(["report", "--subject", "jane-synthetic", "--db"])
        .arg(&db)
        .arg("--sources")
        .arg(fixture("report/sources"))
        .arg("--out")
        .arg(&reports)
        .assert()
        .success();
    let subject = reports.join("jane-synthetic");
    let folder = std::fs::read_dir(&subject)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for f in ["report.md", "report.json", "index.html"] {
        assert!(folder.join(f).is_file(), "{f} missing");
    }
    assert_escaped(&std::fs::read_to_string(folder.join("index.html")).unwrap());
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
}

/// Renders index.html in headless Chromium: the screenshot must show
/// something, and the hostile listing must not have run (it would set the title).
#[test]
fn chromium_renders_the_report_and_runs_nothing() {
    if !on_path("chromium") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs chromium on PATH (apt-get install chromium)"
        );
        eprintln!("skipped: chromium not on PATH");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = build(dir.path());
    let out = dir.path().join("out");
    report::write(&out, &data).unwrap();
    let index = out.join("index.html");
    let png = dir.path().join("report.png");
    let status = std::process::Command::new("bash")
        .arg(repo(".ci/screenshot-report"))
        .arg(&index)
        .arg(&png)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        bytes.len() > 20_000,
        "screenshot looks blank ({} bytes)",
        bytes.len()
    );

    let profile = tempfile::tempdir().unwrap();
    let dom = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", index.display()))
        .output()
        .unwrap();
    assert!(dom.status.success());
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<title>brokertrace report</title>"),
        "title changed: {dom:.400}"
    );
    assert!(!dom.contains("XSS</title>"));
    assert!(
        !dom.to_lowercase().contains("<img"),
        "the payload became an element"
    );
}

#[test]
fn inferred_copy_flows_move_the_upstream_broker_up_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let (db, scan) = synthetic_store(dir.path());
    let store = Store::open(&db).unwrap();
    let plain = report::build_with(&store, scan, &sources(), &Catalog::builtin(), &[]).unwrap();
    let copies = [("whitepages.com".to_string(), "truthfinder.com".to_string())];
    let with = report::build_with(&store, scan, &sources(), &Catalog::builtin(), &copies).unwrap();
    let action = |d: &ReportData| {
        d.exposure
            .actions
            .iter()
            .find(|a| a.source_id == "whitepages.com")
            .cloned()
            .expect("whitepages lists the subject")
    };
    let (before, after) = (action(&plain), action(&with));
    assert!(
        after
            .reasons
            .iter()
            .any(|r| r.contains("copy their data from it")),
        "{:?}",
        after.reasons
    );
    assert!(after.score > before.score);
    assert!(after.rank <= before.rank);
}
