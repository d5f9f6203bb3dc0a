//! `scan`: bad input is reported precisely; per-site failures are recorded
//! as that site's state without stopping the scan.

use std::io::Write;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use predicates::prelude::*;

use crate::common::{cmd, fixture, serve};

/// Writes a one-source folder whose search URL is `url_template`.
fn source_dir(url_template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("local.toml")).unwrap();
    write!(
        f,
        r#"id = "local.test"
name = "Local test broker"
homepage = "http://127.0.0.1/"
kind = "people-search"

[search]
urls = ["{url_template}"]

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
"#
    )
    .unwrap();
    dir
}

fn report_json(out: &std::path::Path) -> serde_json::Value {
    let subject = std::fs::read_dir(out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let stamp = std::fs::read_dir(&subject)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    serde_json::from_str(&std::fs::read_to_string(stamp.join("report.json")).unwrap()).unwrap()
}

/// `brokertrace scan` of the synthetic Jane against `sources`, storing into
/// `tmp` (database and reports).
fn scan_jane(sources: &std::path::Path, tmp: &std::path::Path) -> assert_cmd::Command {
    let mut c = cmd();
    c.args(["scan", "--profile"])
        .arg(fixture("profiles/jane.toml"))
        .arg("--sources")
        .arg(sources)
        .arg("--db")
        .arg(tmp.join("db.sqlite"))
        .arg("--out")
        .arg(tmp.join("reports"));
    c
}

#[test]
fn missing_profile_names_the_file() {
    cmd()
        .args([
            "scan",
            "--profile",
            "does-not-exist.toml",
            "--sources",
            "sources/sim",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "does-not-exist.toml: cannot read file",
        ));
}

#[test]
fn invalid_profile_value_names_line_and_field() {
    cmd()
        .args(["scan", "--profile"])
        .arg(fixture("profiles/bad-state.toml"))
        .args(["--sources", "sources/sim"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "bad-state.toml:9: addresses[0].state: \"Narnia\" is not a US state",
        ));
}

#[test]
fn wrong_type_in_profile_names_line_and_field() {
    cmd()
        .args(["scan", "--profile"])
        .arg(fixture("profiles/bad-type.toml"))
        .args(["--sources", "sources/sim"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad-type.toml:1: birth_year:"));
}

#[test]
fn unknown_placeholder_in_source_names_line_and_field() {
    let dir = source_dir("http://127.0.0.1:9/search?n={firstname}");
    cmd()
        .args(["scan", "--profile"])
        .arg(fixture("profiles/jane.toml"))
        .arg("--sources")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "local.toml:7: search.urls[0]: unknown placeholder {firstname}",
        ));
}

#[test]
fn unreachable_site_is_recorded_not_fatal() {
    // Port 9 (discard) is closed on loopback: the connection is refused.
    let dir = source_dir("http://127.0.0.1:9/search?first={first}&last={last}");
    let tmp = tempfile::tempdir().unwrap();
    scan_jane(dir.path(), tmp.path())
        .args(["--timeout", "5"])
        .assert()
        .success();
    let report = report_json(&tmp.path().join("reports"));
    assert_eq!(report["check_states"]["error"], 1, "{report:#}");
    assert_eq!(report["sources"][0]["state"], "error");
}

#[test]
fn non_html_answer_is_an_error_state_not_absent() {
    let app = Router::new().route(
        "/search",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                vec![0u8, 159, 146, 150, 255],
            )
                .into_response()
        }),
    );
    let addr = serve(app);
    let dir = source_dir(&format!(
        "http://{addr}/search?first={{first}}&last={{last}}"
    ));
    let tmp = tempfile::tempdir().unwrap();
    scan_jane(dir.path(), tmp.path()).assert().success();
    let report = report_json(&tmp.path().join("reports"));
    assert_eq!(report["check_states"]["absent"], 0, "{report:#}");
    assert_eq!(report["check_states"]["error"], 1, "{report:#}");
}

#[test]
fn finds_a_listing_on_a_loopback_broker() {
    let app = Router::new().route(
        "/search",
        get(|| async {
            axum::response::Html(
                r#"<html><body>
                <div class="person"><h2>Jane Q Doe</h2><span class="city">San Francisco, CA</span><span class="phone">415-555-0100</span></div>
                <div class="person"><h2>Jane Doe</h2><span class="city">Boise, ID</span></div>
                </body></html>"#,
            )
        }),
    );
    let addr = serve(app);
    let dir = source_dir(&format!(
        "http://{addr}/search?first={{first}}&last={{last}}"
    ));
    let tmp = tempfile::tempdir().unwrap();
    scan_jane(dir.path(), tmp.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("report written to"));
    let report = report_json(&tmp.path().join("reports"));
    assert_eq!(report["check_states"]["found"], 1, "{report:#}");
    assert_eq!(report["found"], 1, "{report:#}");
    assert_eq!(
        report["rejected"], 1,
        "the Boise namesake is rejected: {report:#}"
    );
}
