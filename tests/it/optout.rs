//! `optout draft|list|status|mark-sent|mark-refused` and `rescan`, driven
//! through the real CLI against a synthetic store and a loopback broker.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use brokertrace::model::{Address, CheckState, MatchLevel, MatchResult, PersonName, Record};
use brokertrace::profile::Profile;
use brokertrace::store::{CheckOutcome, ListingObservation, Store};
use chrono::Utc;

use crate::common::cmd;

/// A profile phone that no listing shows: it must never reach a draft.
const SECRET_PHONE: &str = "+14155550199";

const SOURCES: &[(&str, &str)] = &[
    (
        "webform.test",
        r#"
id = "webform.test"
name = "Webform Finder"
homepage = "https://webform.test/"
kind = "registry"
[optout]
method = "web-form"
url = "https://webform.test/optout"
requires = ["email-confirmation", "captcha"]
notes = "Search first, then click *Remove*."
"#,
    ),
    (
        "mailer.test",
        r#"
id = "mailer.test"
name = "Mailer People"
homepage = "https://mailer.test/"
kind = "registry"
[optout]
method = "email"
email = "privacy@mailer.test"
"#,
    ),
    (
        "postal.test",
        r#"
id = "postal.test"
name = "Postal Records"
homepage = "https://postal.test/"
kind = "registry"
operator = "Postal Records LLC"
[optout]
method = "postal"
postal = "Attn: Privacy\nPO Box 555\nSpringfield, IL 62701"
"#,
    ),
    (
        "parent.test",
        r#"
id = "parent.test"
name = "Parent Data"
homepage = "https://parent.test/"
kind = "registry"
[optout]
method = "web-form"
url = "https://parent.test/remove"
"#,
    ),
    (
        "front1.test",
        r#"
id = "front1.test"
name = "Front One"
homepage = "https://front1.test/"
kind = "registry"
opt_out_via = "parent.test"
[optout]
method = "parent"
"#,
    ),
    (
        "front2.test",
        r#"
id = "front2.test"
name = "Front Two"
homepage = "https://front2.test/"
kind = "registry"
opt_out_via = "parent.test"
[optout]
method = "parent"
"#,
    ),
];

fn write_sources(dir: &Path) -> PathBuf {
    let s = dir.join("sources");
    std::fs::create_dir_all(&s).unwrap();
    for (id, text) in SOURCES {
        std::fs::write(s.join(format!("{id}.toml")), text).unwrap();
    }
    s
}

fn record(first: &str, last: &str, phone: &str) -> Record {
    Record {
        names: vec![PersonName::new(first, "", last)],
        age: Some(41),
        addresses: vec![Address {
            city: "San Francisco".into(),
            state: "CA".into(),
            ..Address::default()
        }],
        phones: vec![phone.into()],
        ..Record::default()
    }
}

/// A store with one finished scan holding `listings` as `(source, url, record, level)`.
fn store_with(
    dir: &Path,
    jurisdiction: &str,
    listings: Vec<(&str, String, Record, MatchLevel)>,
) -> PathBuf {
    let db = dir.join("bt.sqlite");
    let mut store = Store::open(&db).unwrap();
    let profile = Profile {
        id: "jane-doe".into(),
        jurisdiction: jurisdiction.into(),
        phones: vec![SECRET_PHONE.into()],
        emails: vec!["jane@example.com".into()],
        names: vec![PersonName::new("Jane", "", "Doe")],
        ..Profile::default()
    };
    store.upsert_subject(&profile).unwrap();
    let scan = store.start_scan("jane-doe", "scan").unwrap();
    for (source, url, rec, level) in listings {
        store
            .commit_check(&CheckOutcome {
                scan_id: scan,
                source_id: source.into(),
                url: format!("https://{source}/search?{url}"),
                state: CheckState::Found,
                fetches: Vec::new(),
                listings: vec![ListingObservation {
                    key: url.clone(),
                    url: Some(url),
                    record: rec,
                    result: MatchResult {
                        score: 5.0,
                        level,
                        evidence: Vec::new(),
                    },
                    content_hash: Some("abc".into()),
                    seen_at: Utc::now(),
                }],
                finished_at: Utc::now(),
            })
            .unwrap();
    }
    store.finish_scan(scan).unwrap();
    db
}

fn standard_listings() -> Vec<(&'static str, String, Record, MatchLevel)> {
    let mut injected = record("Jane", "Doe\r\nBcc: evil@example.com", "+14155550100");
    injected.emails = vec!["jane@example.com".into()];
    vec![
        (
            "webform.test",
            "https://webform.test/p/jane-doe-41".into(),
            record("Jane", "Doe", "+14155550100"),
            MatchLevel::Probable,
        ),
        (
            "mailer.test",
            "https://mailer.test/people/77".into(),
            injected,
            MatchLevel::Confirmed,
        ),
        (
            "postal.test",
            "https://postal.test/r/9".into(),
            record("Jane", "Doe", "+14155550101"),
            MatchLevel::Probable,
        ),
        (
            "front1.test",
            "https://front1.test/jane".into(),
            record("Jane", "Doe", "+14155550102"),
            MatchLevel::Probable,
        ),
        (
            "front2.test",
            "https://front2.test/x/jane-doe".into(),
            record("Jane", "Doe", "+14155550103"),
            MatchLevel::Confirmed,
        ),
        // A namesake: never drafted.
        (
            "webform.test",
            "https://webform.test/p/jane-doe-77".into(),
            record("Jane", "Doe", "+14155550104"),
            MatchLevel::Possible,
        ),
    ]
}

fn draft(db: &Path, sources: &Path, out: &Path) -> String {
    let o = cmd()
        .args([
            "optout",
            "draft",
            "--subject",
            "jane-doe",
            "--date",
            "2025-03-01",
        ])
        .arg("--db")
        .arg(db)
        .arg("--sources")
        .arg(sources)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    String::from_utf8(o.get_output().stdout.clone()).unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn drafts_follow_each_broker_route_and_disclose_only_listing_values() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(tmp.path());
    let db = store_with(tmp.path(), "US-CA", standard_listings());
    let out = tmp.path().join("reports");
    let stdout = draft(&db, &sources, &out);
    assert!(stdout.contains("4 draft(s)"), "{stdout}");
    let dir = out.join("jane-doe/drafts");

    // Web form: opt-out URL, exact listing URL, requirements; namesake absent.
    let checklist = read(&dir.join("webform.test-checklist.md"));
    assert!(
        checklist.contains("<https://webform.test/optout>"),
        "{checklist}"
    );
    assert!(checklist.contains("<https://webform.test/p/jane-doe-41>"));
    assert!(!checklist.contains("jane-doe-77"));
    assert!(checklist.contains("E-mail confirmation"));
    assert!(checklist.contains("Captcha"));
    assert!(checklist.contains("DROP"));
    assert!(checklist.contains("45 days"));
    assert!(
        checklist.contains("2025-04-15"),
        "deadline from the draft date"
    );

    // E-mail: an RFC 5322 message whose headers carry no injected Bcc.
    let eml = read(&dir.join("mailer.test.eml"));
    let (head, body) = eml.split_once("\r\n\r\n").expect("header/body separator");
    let mut names = Vec::new();
    for line in head.split("\r\n") {
        assert!(!line.contains('\r') && !line.contains('\n'), "{line:?}");
        if line.starts_with(' ') || line.starts_with('\t') {
            continue; // folded continuation
        }
        let (name, _) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("not a header: {line:?}"));
        assert!(
            !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':'),
            "{line:?}"
        );
        names.push(name.to_ascii_lowercase());
    }
    assert!(!names.iter().any(|n| n == "bcc" || n == "cc"), "{head}");
    for required in ["from", "to", "subject", "date"] {
        assert!(names.iter().any(|n| n == required), "{required} in {head}");
    }
    assert!(
        head.contains("To: \"Mailer People\" <privacy@mailer.test>"),
        "{head}"
    );
    assert!(head.contains("<jane@example.com>"), "{head}");
    assert!(head.contains("CCPA/CPRA"), "{head}");
    assert!(body.contains("https://mailer.test/people/77"));

    // Postal: a letter with the broker's address.
    let letter = read(&dir.join("postal.test-letter.txt"));
    assert!(
        letter.contains("Postal Records LLC\nAttn: Privacy\nPO Box 555\nSpringfield, IL 62701")
    );
    assert!(letter.contains("https://postal.test/r/9"));

    // Parent: one request for both fronts, none per front.
    let parent = read(&dir.join("parent.test-checklist.md"));
    assert!(parent.contains("<https://parent.test/remove>"));
    assert!(parent.contains("<https://front1.test/jane>"));
    assert!(parent.contains("<https://front2.test/x/jane-doe>"));
    assert!(!dir.join("front1.test-checklist.md").exists());

    // Minimum disclosure: the profile's own phone appears nowhere, and each
    // draft names only its own listings' phones.
    let mut all = String::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        all.push_str(&read(&e.unwrap().path()));
    }
    assert!(!all.contains(SECRET_PHONE));
    assert!(!all.contains("555-0199"));
    assert!(
        !checklist.contains("+14155550101"),
        "postal listing's phone leaked"
    );
    assert!(parent.contains("+14155550102") && parent.contains("+14155550103"));

    let index: serde_json::Value = serde_json::from_str(&read(&dir.join("index.json"))).unwrap();
    let drafts = index["drafts"].as_array().unwrap();
    assert_eq!(drafts.len(), 4);
    let parent_entry = drafts
        .iter()
        .find(|d| d["broker"] == "parent.test")
        .unwrap();
    assert_eq!(
        parent_entry["covers"],
        serde_json::json!(["front1.test", "front2.test"])
    );
    let disclosed: Vec<&str> = parent_entry["discloses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["value"].as_str().unwrap())
        .collect();
    assert!(
        disclosed.contains(&"https://front1.test/jane"),
        "{disclosed:?}"
    );
    assert!(
        !disclosed.contains(&"jane@example.com"),
        "web forms send no reply address"
    );
    let mail_entry = drafts
        .iter()
        .find(|d| d["broker"] == "mailer.test")
        .unwrap();
    assert!(
        mail_entry["discloses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["value"] == "jane@example.com" && d["shown_by"] == "sender")
    );
    assert!(read(&dir.join("index.md")).contains("What each draft discloses"));

    // Idempotent: same files, same request ids.
    let before: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let t = read(&p);
            (p, t)
        })
        .collect();
    draft(&db, &sources, &out);
    for (p, t) in before {
        assert_eq!(read(&p), t, "{} changed on re-run", p.display());
    }
    let o = cmd()
        .args(["optout", "list", "--db"])
        .arg(&db)
        .assert()
        .success();
    let list = String::from_utf8(o.get_output().stdout.clone()).unwrap();
    assert_eq!(list.lines().count(), 4, "{list}");
}

#[test]
fn gdpr_drafts_ask_for_source_and_recipients() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(tmp.path());
    let db = store_with(tmp.path(), "DE", standard_listings());
    let out = tmp.path().join("reports");
    draft(&db, &sources, &out);
    let dir = out.join("jane-doe/drafts");
    let eml = read(&dir.join("mailer.test.eml"));
    let letter = read(&dir.join("postal.test-letter.txt"));
    for doc in [&eml, &letter] {
        // Quoted-printable may wrap the body; compare without soft breaks.
        let flat = doc.replace("=\r\n", "");
        assert!(flat.contains("Art. 15(1)(g)"), "source of the data");
        assert!(flat.contains("Art. 15(1)(c)"), "recipients");
        assert!(flat.contains("Art. 17"));
        assert!(flat.contains("Art. 21"));
        assert!(flat.contains("one month"));
        assert!(!flat.contains("DROP"));
    }
    assert!(
        letter.contains("by 2025-04-01"),
        "one month from 2025-03-01"
    );
}

fn ledger_cmd(db: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    cmd().args(args).arg("--db").arg(db).assert()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

fn request_id(db: &Path, broker: &str) -> String {
    let store = Store::open(db).unwrap();
    store
        .conn()
        .query_row(
            "SELECT id FROM requests WHERE target_id = ?1",
            [broker],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        .to_string()
}

#[test]
fn ledger_moves_through_its_states_and_flags_overdue_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(tmp.path());
    let db = store_with(tmp.path(), "US-CA", standard_listings());
    draft(&db, &sources, &tmp.path().join("reports"));
    let mail = request_id(&db, "mailer.test");
    let form = request_id(&db, "webform.test");

    // Only a sent request can be refused.
    let a = ledger_cmd(
        &db,
        &["optout", "mark-refused", &mail, "--reason", "no_match"],
    )
    .failure();
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("mark-sent"));

    let a = ledger_cmd(
        &db,
        &[
            "optout",
            "mark-sent",
            &mail,
            "--date",
            "2025-03-01",
            "--via",
            "email",
        ],
    )
    .success();
    assert!(stdout(&a).contains("due by 2025-04-15"), "{}", stdout(&a));
    ledger_cmd(&db, &["optout", "mark-sent", &form, "--date", "2025-05-01"]).success();

    let a = ledger_cmd(&db, &["optout", "status", "--today", "2025-05-10"]).success();
    let out = stdout(&a);
    let mail_line = out.lines().find(|l| l.contains("mailer.test")).unwrap();
    assert!(mail_line.contains("requested") && mail_line.contains("2025-04-15"));
    assert!(mail_line.contains("OVERDUE"), "{out}");
    let form_line = out.lines().find(|l| l.contains("webform.test")).unwrap();
    assert!(!form_line.contains("OVERDUE"), "{out}");
    let found_line = out.lines().find(|l| l.contains("postal.test")).unwrap();
    assert!(found_line.contains("found"), "{out}");

    // A refusal with a DRP reason (a plain synonym is accepted too).
    ledger_cmd(
        &db,
        &[
            "optout",
            "mark-refused",
            &mail,
            "--reason",
            "identity_unverifiable",
        ],
    )
    .success();
    ledger_cmd(&db, &["optout", "mark-refused", &form, "--reason", "bogus"]).failure();
    let a = ledger_cmd(&db, &["optout", "status", "--today", "2025-05-10"]).success();
    let out = stdout(&a);
    let mail_line = out.lines().find(|l| l.contains("mailer.test")).unwrap();
    assert!(mail_line.contains("refused") && mail_line.contains("insuf_verification"));
    assert!(!mail_line.contains("OVERDUE"));

    // Drafting again keeps what was sent.
    draft(&db, &sources, &tmp.path().join("reports"));
    let a = ledger_cmd(&db, &["optout", "status", "--today", "2025-05-10"]).success();
    assert!(
        stdout(&a)
            .lines()
            .any(|l| l.contains("webform.test") && l.contains("requested"))
    );
}

/// A loopback broker that shows the listing while `present` is true, else 404s.
fn broker(present: Arc<AtomicBool>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new().fallback(move || {
                let present = present.clone();
                async move {
                    if present.load(Ordering::SeqCst) {
                        (
                            axum::http::StatusCode::OK,
                            axum::response::Html(
                                "<html><body><h1>Jane Doe, 41</h1><p>San Francisco, CA</p></body></html>",
                            ),
                        )
                    } else {
                        (
                            axum::http::StatusCode::NOT_FOUND,
                            axum::response::Html("<html><body>Not found</body></html>"),
                        )
                    }
                }
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// `(before_status, after_status, verdict, after_hash, after_fetched_at)`.
type ProofRow = (Option<i64>, Option<i64>, String, Option<String>, String);

#[test]
fn rescan_proves_removal_and_notices_reappearance() {
    let present = Arc::new(AtomicBool::new(true));
    let addr = broker(present.clone());
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(tmp.path());
    let db = store_with(
        tmp.path(),
        "US-CA",
        vec![
            (
                "webform.test",
                "http://webform.test/p/jane-doe-41".into(),
                record("Jane", "Doe", "+14155550100"),
                MatchLevel::Probable,
            ),
            (
                "mailer.test",
                "http://mailer.test/people/77".into(),
                record("Jane", "Doe", "+14155550100"),
                MatchLevel::Probable,
            ),
        ],
    );
    draft(&db, &sources, &tmp.path().join("reports"));
    let form = request_id(&db, "webform.test");
    let rescan = |present_now: bool| {
        present.store(present_now, Ordering::SeqCst);
        let a = cmd()
            .args(["rescan", "--subject", "jane-doe", "--rate", "6000"])
            .arg("--db")
            .arg(&db)
            .arg("--sources")
            .arg(&sources)
            .arg("--resolve")
            .arg(format!("webform.test={addr}"))
            .arg("--resolve")
            .arg(format!("mailer.test={addr}"))
            .assert()
            .success();
        stdout(&a)
    };

    // Nothing sent yet: nothing to re-check (the mailer request never is).
    assert!(rescan(false).contains("nothing to re-check"));
    ledger_cmd(&db, &["optout", "mark-sent", &form, "--date", "2025-03-01"]).success();

    let out = rescan(true);
    assert!(
        out.contains("re-checked 1 listing(s): 0 removed, 1 still there"),
        "{out}"
    );
    let out = rescan(false);
    assert!(out.contains("1 removed"), "{out}");
    assert!(out.contains("http 404"), "{out}");
    let a = ledger_cmd(&db, &["optout", "status"]).success();
    assert!(
        stdout(&a)
            .lines()
            .any(|l| l.contains("webform.test") && l.contains("removed") && l.contains("1/1"))
    );

    let out = rescan(true);
    assert!(out.contains("1 reappeared"), "{out}");
    let a = ledger_cmd(&db, &["optout", "status"]).success();
    assert!(
        stdout(&a)
            .lines()
            .any(|l| l.contains("webform.test") && l.contains("reappeared"))
    );

    // Proof: before/after time, status and hash of each re-check.
    let store = Store::open(&db).unwrap();
    let proofs: Vec<ProofRow> = store
        .conn()
        .prepare(
            "SELECT before_status, after_status, verdict, after_hash, after_fetched_at
             FROM removal_proofs ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let summary: Vec<(Option<i64>, Option<i64>, &str)> = proofs
        .iter()
        .map(|(b, a, v, _, _)| (*b, *a, v.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (None, Some(200), "present"),
            (Some(200), Some(404), "removed"),
            (Some(404), Some(200), "present"),
        ]
    );
    assert!(
        proofs
            .iter()
            .all(|p| p.3.as_deref().is_some_and(|h| h.len() == 64))
    );
    assert!(proofs.iter().all(|p| p.4.contains('T')));
}
