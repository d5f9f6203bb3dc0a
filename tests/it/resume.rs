//! Scans survive being killed, and the user's "me" / "not me" decisions
//! survive re-scans. Both drive the real binary against loopback brokers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use axum::routing::get;
use rusqlite::{Connection, OpenFlags};

use crate::common::{cmd, fixture, walk};

/// Search URL templates per source; two sources × six templates gives a
/// twelve-check scan for a profile with one name and one place.
const TEMPLATES: usize = 6;
const SOURCES: [&str; 2] = ["slow.alpha", "slow.beta"];
const PLANNED: i64 = (TEMPLATES * SOURCES.len()) as i64;

/// Writes a folder with one source file per entry of `ids`, each searching
/// `http://ADDR/<id>/<n>?first=..&last=..` for n in 1..=templates.
fn sources_dir(dir: &Path, addr: SocketAddr, ids: &[&str], templates: usize) -> PathBuf {
    let root = dir.join("sources");
    std::fs::create_dir_all(&root).unwrap();
    for id in ids {
        let urls: Vec<String> = (1..=templates)
            .map(|n| format!("\"http://{addr}/{id}/{n}?first={{first}}&last={{last}}\""))
            .collect();
        std::fs::write(
            root.join(format!("{id}.toml")),
            format!(
                r#"id = "{id}"
name = "Loopback broker {id}"
homepage = "http://127.0.0.1/"
kind = "people-search"

[search]
urls = [{urls}]

[search.results]
card = "div.person"
no_results = "p.none"

[search.results.fields]
name = "h2"
addresses = {{ selector = "span.city", all = true }}
phones = {{ selector = "span.phone", all = true }}

[optout]
method = "web-form"
url = "http://127.0.0.1/optout"
"#,
                urls = urls.join(", ")
            ),
        )
        .unwrap();
    }
    root
}

/// Requests served, by path and query.
type Hits = Arc<Mutex<HashMap<String, usize>>>;

/// Serves `app` on a loopback port for the rest of the test process.
fn serve(app: Router) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    addr
}

/// A broker that answers every search after `delay`, counting hits per
/// URL. `/<source>/2` lists the profile's person; every other search is empty.
fn slow_broker(delay: Duration) -> (SocketAddr, Hits) {
    let hits: Hits = Arc::default();
    let app = Router::new()
        .route(
            "/{source}/{n}",
            get(move |State(hits): State<Hits>, uri: Uri| async move {
                let key = uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                *hits.lock().unwrap().entry(key).or_default() += 1;
                tokio::time::sleep(delay).await;
                if uri.path().ends_with("/2") {
                    Html(
                        r#"<html><body><div class="person"><h2>Jane Q Doe</h2>
                            <span class="city">San Francisco, CA</span>
                            <span class="phone">415-555-0100</span></div></body></html>"#,
                    )
                } else {
                    Html(r#"<html><body><p class="none">No results</p></body></html>"#)
                }
            }),
        )
        .with_state(hits.clone());
    (serve(app), hits)
}

/// The `scan` command line for `profile` against `sources`, storing into `db`.
fn scan_command(sources: &Path, db: &Path, out: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("brokertrace"));
    c.args(["--quiet", "scan", "--profile"])
        .arg(fixture("profiles/jane.toml"))
        .arg("--sources")
        .arg(sources)
        .arg("--db")
        .arg(db)
        .arg("--out")
        .arg(out)
        .args(["--rate", "60000", "--per-host", "1", "--concurrency", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Opens the database read-only, as a second process would.
fn read_only(db: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The one report.json written under `out`.
fn only_report(out: &Path) -> serde_json::Value {
    let reports: Vec<_> = walk(out)
        .into_iter()
        .filter(|p| p.ends_with("report.json"))
        .collect();
    assert_eq!(reports.len(), 1, "one report under {}", out.display());
    serde_json::from_str(&std::fs::read_to_string(&reports[0]).unwrap()).unwrap()
}

/// Path and query of a stored check URL, as the server counted it.
fn hit_key(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

#[test]
fn killed_scan_resumes_without_refetching_and_matches_an_uninterrupted_run() {
    let (addr, hits) = slow_broker(Duration::from_millis(150));
    let tmp = tempfile::tempdir().unwrap();
    let sources = sources_dir(tmp.path(), addr, &SOURCES, TEMPLATES);
    let db = tmp.path().join("killed.sqlite");
    let out = tmp.path().join("killed");

    let mut child = scan_command(&sources, &db, &out).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stored = read_only(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM checks", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if stored >= 3 {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("scan exited ({status}) before 3 checks were stored");
        }
        assert!(Instant::now() < deadline, "no 3 checks stored in 20 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up.
    child.wait().unwrap();

    let conn = read_only(&db).unwrap();
    let stored_before = count(&conn, "SELECT COUNT(*) FROM checks");
    assert!(
        (3..PLANNED).contains(&stored_before),
        "{stored_before} of {PLANNED} checks stored at the kill"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM scans WHERE finished_at IS NULL"
        ),
        1,
        "the killed scan is unfinished"
    );
    let done_urls: Vec<String> = conn
        .prepare("SELECT url FROM checks")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    drop(conn);
    assert!(walk(&out).iter().all(|p| !p.ends_with("report.json")));
    let hits_at_kill: HashMap<String, usize> = hits.lock().unwrap().clone();

    let resumed = scan_command(&sources, &db, &out).output().unwrap();
    assert!(
        resumed.status.success(),
        "resume failed: {}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let conn = read_only(&db).unwrap();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM scans"), 1);
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM scans WHERE finished_at IS NULL"
        ),
        0
    );
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM checks"), PLANNED);
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM (SELECT 1 FROM checks GROUP BY source_id, url HAVING COUNT(*) > 1)"
        ),
        0,
        "no check stored twice"
    );
    drop(conn);
    let after = hits.lock().unwrap().clone();
    for url in &done_urls {
        let key = hit_key(url);
        assert_eq!(
            after.get(&key),
            hits_at_kill.get(&key),
            "{key} was finished before the kill but fetched again"
        );
    }
    let resumed_report = only_report(&out);

    // The same scan, never interrupted, into its own database.
    let whole_out = tmp.path().join("whole");
    let whole = scan_command(&sources, &tmp.path().join("whole.sqlite"), &whole_out)
        .output()
        .unwrap();
    assert!(whole.status.success());
    let whole_report = only_report(&whole_out);
    assert_eq!(resumed_report["check_states"], whole_report["check_states"]);
    assert_eq!(resumed_report["found"], whole_report["found"]);
    assert_eq!(resumed_report["rejected"], whole_report["rejected"]);
    assert_eq!(whole_report["found"], 2, "one listing per source");
    assert_eq!(whole_report["check_states"]["absent"], PLANNED - 2);
}

/// A broker showing the profile's person and a namesake in another state.
fn broker_with_namesake() -> SocketAddr {
    serve(Router::new().route(
        "/{source}/{n}",
        get(|| async {
            Html(
                r#"<html><body>
                <div class="person"><h2>Jane Q Doe</h2><span class="city">San Francisco, CA</span><span class="phone">415-555-0100</span></div>
                <div class="person"><h2>Jane Doe</h2><span class="city">Boise, ID</span></div>
                </body></html>"#,
            )
        }),
    ))
}

fn run_ok(c: &mut assert_cmd::Command) -> String {
    let out = c.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn decisions_stick_across_fresh_rescans_and_reports() {
    let addr = broker_with_namesake();
    let tmp = tempfile::tempdir().unwrap();
    let sources = sources_dir(tmp.path(), addr, &["local.test"], 1);
    let db = tmp.path().join("db.sqlite");
    let scan = |out: &Path, fresh: bool| {
        let mut c = cmd();
        c.args(["scan", "--profile"])
            .arg(fixture("profiles/jane.toml"))
            .arg("--sources")
            .arg(&sources)
            .arg("--db")
            .arg(&db)
            .arg("--out")
            .arg(out)
            .args(["--rate", "60000"]);
        if fresh {
            c.arg("--fresh");
        }
        run_ok(&mut c);
        only_report(out)
    };

    let first = scan(&tmp.path().join("r1"), false);
    assert_eq!(first["found"], 1, "{first:#}");
    assert_eq!(first["rejected"], 1, "{first:#}");
    let subject = first["subject_id"].as_str().unwrap().to_string();
    let listing = &first["sources"][0]["listings"][0];
    assert!(
        ["probable", "confirmed"].contains(&listing["level"].as_str().unwrap()),
        "{listing:#}"
    );
    let mine = listing["id"].as_i64().unwrap();
    let namesake: i64 = read_only(&db)
        .unwrap()
        .query_row(
            "SELECT id FROM listings WHERE level = 'rejected'",
            [],
            |r| r.get(0),
        )
        .unwrap();

    let mark = |id: i64, decision: &str| {
        run_ok(
            cmd()
                .args(["mark", "--subject", &subject])
                .arg(id.to_string())
                .arg(decision)
                .arg("--db")
                .arg(&db),
        )
    };
    assert!(mark(mine, "not-me").contains(&format!("listing #{mine} marked not-me")));

    // A fresh scan sees and re-grades the listing; the decision still wins.
    let second = scan(&tmp.path().join("r2"), true);
    assert_eq!(
        second["scan"]["id"],
        first["scan"]["id"].as_i64().unwrap() + 1
    );
    assert_eq!(second["found"], 0, "{second:#}");
    assert_eq!(second["rejected"], 2, "{second:#}");
    assert_eq!(second["sources"][0]["listings"], serde_json::json!([]));
    assert_ne!(second["sources"][0]["state"], "found", "{second:#}");

    mark(namesake, "me");
    run_ok(
        cmd()
            .args(["report", "--subject", &subject, "--sources"])
            .arg(&sources)
            .arg("--db")
            .arg(&db)
            .arg("--out")
            .arg(tmp.path().join("r3")),
    );
    let third = only_report(&tmp.path().join("r3"));
    let shown = third["sources"][0]["listings"].as_array().unwrap();
    assert_eq!(shown.len(), 1, "{third:#}");
    assert_eq!(shown[0]["id"], namesake);
    assert_eq!(shown[0]["level"], "confirmed");
    assert_eq!(shown[0]["decision"], "me");
    assert_eq!(third["found"], 1);
    assert_eq!(third["rejected"], 1);
}
