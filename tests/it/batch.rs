//! `batch`: bad rows skipped with line and column, identical searches fetched
//! once, aggregate written, `--resume` refetches nothing finished.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use predicates::prelude::*;

use crate::common::{cmd, serve, walk};

/// A broker listing one Jane Doe in Austin and one in Reno; counts searches.
fn broker(hits: Arc<AtomicUsize>) -> std::net::SocketAddr {
    async fn search(
        State(hits): State<Arc<AtomicUsize>>,
        Query(q): Query<Vec<(String, String)>>,
    ) -> axum::response::Html<String> {
        hits.fetch_add(1, Ordering::SeqCst);
        let last = q
            .iter()
            .find(|(k, _)| k == "last")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if last != "Doe" {
            return axum::response::Html("<p class=none>No results</p>".into());
        }
        axum::response::Html(
            r#"<div class="person"><h2>Jane Doe</h2><span class="city">Austin, TX</span><span class="phone">512-555-0100</span><a class="p" href="/p/1">x</a></div>
               <div class="person"><h2>Jane Doe</h2><span class="city">Reno, NV</span><span class="phone">775-555-0101</span><a class="p" href="/p/2">x</a></div>"#
                .into(),
        )
    }
    serve(Router::new().route("/search", get(search)).with_state(hits))
}

fn sources(addr: std::net::SocketAddr) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("local.toml")).unwrap();
    write!(
        f,
        r#"id = "local.test"
name = "Local"
homepage = "http://{addr}/"
kind = "people-search"

[search]
urls = ["http://{addr}/search?first={{first}}&last={{last}}"]

[search.results]
card = "div.person"
no_results = "p.none"

[search.results.fields]
name = "h2"
addresses = {{ selector = "span.city", all = true }}
phones = {{ selector = "span.phone", all = true }}
profile_url = {{ selector = "a.p", attr = "href" }}

[optout]
method = "email"
email = "privacy@local.test"
"#
    )
    .unwrap();
    dir
}

#[test]
fn batch_scans_rows_shares_searches_and_resumes() {
    let hits = Arc::new(AtomicUsize::new(0));
    let addr = broker(hits.clone());
    let src = sources(addr);
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("people.csv");
    std::fs::write(
        &csv,
        "id,first,last,city,state,phones\n\
         a,Jane,Doe,Austin,TX,512-555-0100\n\
         b,Jane,Doe,Reno,NV,775-555-0101\n\
         c,John,Roe,Springfield,Narnia,\n\
         d,Ann,Lee,Boise,ID,\n",
    )
    .unwrap();
    let db = tmp.path().join("db.sqlite");
    let out = tmp.path().join("reports");
    let run = |extra: &[&str]| {
        let mut c = cmd();
        c.arg("batch")
            .arg(&csv)
            .arg("--sources")
            .arg(src.path())
            .arg("--db")
            .arg(&db)
            .arg("--out")
            .arg(&out);
        c.args(extra);
        c.assert()
    };
    run(&[])
        .code(1)
        .stderr(predicate::str::contains(
            "people.csv:4: state: \"Narnia\" is not a US state",
        ))
        .stdout(predicate::str::contains(
            "4 row(s): 3 scanned, 0 already done, 1 invalid",
        ));
    // a and b search the same URL: fetched once. d searches another.
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    let agg_path = walk(&out)
        .into_iter()
        .find(|p| p.ends_with("aggregate.json"))
        .expect("aggregate written");
    let agg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&agg_path).unwrap()).unwrap();
    assert_eq!(agg["subjects"], 3);
    assert_eq!(agg["found_anywhere"], 2, "{agg:#}");
    assert_eq!(agg["brokers"][0]["subjects_found"], 2);
    assert_eq!(agg["brokers"][0]["subjects_checked"], 3);
    let agg_text = std::fs::read_to_string(agg_path.with_file_name("aggregate.md")).unwrap();
    let graphml = walk(&out)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "graphml"))
        .expect("batch graph exported");
    let graph_bytes = std::fs::read_to_string(&graphml).unwrap();
    assert!(graph_bytes.contains("local.test"), "brokers stay named");
    assert!(
        !graph_bytes.contains("Doe")
            && !graph_bytes.contains("555-01")
            && !graph_bytes.contains("5550"),
        "the batch graph is redacted by default"
    );
    assert!(
        !agg_text.contains("Jane") && !agg_text.contains("Doe"),
        "aggregate names no one"
    );

    run(&["--resume"]).stdout(predicate::str::contains("0 scanned, 3 already done"));
    assert_eq!(hits.load(Ordering::SeqCst), 2, "--resume refetches nothing");

    cmd()
        .arg("batch")
        .arg(&csv)
        .arg("--status")
        .arg("--db")
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("2\ta\tdone\t1\t1"));
}

#[test]
fn strict_batch_stops_before_scanning() {
    let hits = Arc::new(AtomicUsize::new(0));
    let addr = broker(hits.clone());
    let src = sources(addr);
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("people.csv");
    std::fs::write(
        &csv,
        "first,last,birth_year\nJane,Doe,1984\nJohn,Roe,soon\n",
    )
    .unwrap();
    cmd()
        .arg("batch")
        .arg(&csv)
        .arg("--strict")
        .arg("--sources")
        .arg(src.path())
        .arg("--db")
        .arg(tmp.path().join("db.sqlite"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("people.csv:3: birth_year"))
        .stderr(predicate::str::contains("nothing was scanned"));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
