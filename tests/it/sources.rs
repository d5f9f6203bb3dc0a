//! The source pack: DuckDuckGo import, the shipped files, validation errors
//! located by file/line/field, and live drift checks against a loopback site.

use predicates::prelude::*;

use crate::common::{cmd, fixture, repo};

#[test]
fn ddg_import_loads_and_validates() {
    let file = fixture("ddg/broker-definitions.json");
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["sources", "import", "--format", "ddg"])
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let all = brokertrace::sources::load_dir(dir.path()).unwrap();
    // 50 recipes plus Spokeo's four mirror sites.
    assert_eq!(all.len(), 54);
    cmd()
        .args(["sources", "validate"])
        .arg(dir.path())
        .assert()
        .success();
    let centeda = std::fs::read_to_string(dir.path().join("centeda.com.toml")).unwrap();
    assert!(centeda.contains("Apache License"), "{centeda}");
    assert!(centeda.contains("fage={age|age_range}"), "{centeda}");
}

#[test]
fn shipped_pack_validates_and_is_big_enough() {
    cmd()
        .args(["sources", "validate"])
        .arg(repo("sources"))
        .assert()
        .success()
        .stdout("");
    let all = brokertrace::sources::load_dir(&repo("sources")).unwrap();
    let searchable = all
        .iter()
        .filter(|s| s.def.kind == brokertrace::sources::SourceKind::PeopleSearch)
        .count();
    assert!(searchable >= 60, "{searchable} people-search sources");
    assert!(
        all.iter()
            .all(|s| !s.def.verified && s.def.last_checked.is_some())
    );
    assert!(all.iter().all(|s| !s.def.provenance.is_empty()));
}

#[test]
fn spot_checks_of_shipped_sources() {
    use brokertrace::sources::{OptOutMethod, Requirement, load_file};
    let spokeo = load_file(&repo("sources/spokeo.com.toml")).unwrap();
    assert_eq!(
        spokeo.search.as_ref().unwrap().urls,
        ["https://www.spokeo.com/{first}-{last}/{state_full}/{city}"]
    );
    assert_eq!(spokeo.optout.method, OptOutMethod::WebForm);
    assert_eq!(
        spokeo.optout.url.as_deref(),
        Some("https://spokeo.com/optout")
    );
    assert!(
        spokeo
            .optout
            .requires
            .contains(&Requirement::EmailConfirmation)
    );
    assert_eq!(spokeo.operator, "Spokeo, Inc.");
    assert_eq!(spokeo.ca_registered, Some(true));

    let abc = load_file(&repo("sources/advancedbackgroundchecks.com.toml")).unwrap();
    assert_eq!(abc.opt_out_via.as_deref(), Some("peoplefinders.com"));
    assert_eq!(abc.optout.method, OptOutMethod::Parent);

    let mirror = load_file(&repo("sources/peoplewin.com.toml")).unwrap();
    assert_eq!(mirror.mirror_of.as_deref(), Some("spokeo.com"));

    let wp = load_file(&repo("sources/whitepages.com.toml")).unwrap();
    assert!(wp.optout.requires.contains(&Requirement::PhoneCall));
    assert!(wp.notes.contains("NOT checked against the live site"));
}

const GOOD: &str = r#"
id = "good.test"
name = "Good"
homepage = "http://good.test/"
kind = "people-search"

[search]
urls = ["http://good.test/{first}-{last}"]

[search.results]
card = ".card"
fields.name = ".name"

[optout]
method = "web-form"
url = "http://good.test/optout"
"#;

fn validate_with(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = cmd()
        .args(["sources", "validate"])
        .arg(dir.path())
        .assert()
        .failure()
        .code(1)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn bad_files_are_located_by_file_line_and_field() {
    let unknown = GOOD.replace("{first}-{last}", "{firstname}");
    let out = validate_with(&[("a.toml", &unknown)]);
    assert!(
        out.contains("a.toml:8: search.urls[0]: unknown placeholder {firstname}"),
        "{out}"
    );

    let no_card = GOOD.replace("card = \".card\"", "card = \"\"");
    let out = validate_with(&[("a.toml", &no_card)]);
    assert!(
        out.contains("a.toml:11: search.results.card: empty"),
        "{out}"
    );

    let no_url = GOOD.replace("url = \"http://good.test/optout\"", "");
    let out = validate_with(&[("a.toml", &no_url)]);
    assert!(
        out.contains("a.toml:") && out.contains(": optout.url: method is web-form"),
        "{out}"
    );

    let other = GOOD.replace("http://good.test", "http://other.test");
    let out = validate_with(&[("a.toml", GOOD), ("b.toml", &other)]);
    assert!(
        out.contains("b.toml:2: id: \"good.test\" is also used by"),
        "{out}"
    );

    let rel = GOOD.replace("kind = ", "opt_out_via = \"nowhere.test\"\nkind = ");
    let out = validate_with(&[("a.toml", &rel)]);
    assert!(
        out.contains("a.toml:5: opt_out_via: \"nowhere.test\" is not the id of any source"),
        "{out}"
    );

    let bad_sel = GOOD.replace("fields.name = \".name\"", "fields.name = \"div[\"");
    let out = validate_with(&[("a.toml", &bad_sel)]);
    assert!(out.contains("search.results.fields.name:"), "{out}");
}

#[test]
fn invalid_xpath_is_reported_with_file_line_and_field() {
    let bad = GOOD.replace("card = \".card\"", "card = \"//div[@class='x'\"");
    let out = validate_with(&[("a.toml", &bad)]);
    assert!(
        out.contains("a.toml:11: search.results.card: \"//div[@class='x'\" is not a valid XPath"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");

    // Valid XPath is compiled and accepted, not merely tolerated.
    let good = GOOD.replace("card = \".card\"", "card = \"//div[@class='x']\"");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), good).unwrap();
    cmd()
        .args(["sources", "validate"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("XPath").not());
}

#[test]
fn companies_relations_must_point_at_known_ids() {
    let companies = r#"
[[relation]]
child = "good.test"
parent = "ghost.test"
kind = "front_of"
source = "test"
license = "CC0-1.0"
"#;
    let out = validate_with(&[("a.toml", GOOD), ("companies.toml", companies)]);
    assert!(
        out.contains("companies.toml:4: relation[0].parent: \"ghost.test\""),
        "{out}"
    );
}

#[test]
fn list_prints_a_table() {
    cmd()
        .args(["sources", "list"])
        .arg(repo("sources"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("id")
                .and(predicate::str::contains("advancedbackgroundchecks.com")),
        )
        .stdout(predicate::str::contains("peoplefinders.com"));
}

/// A loopback "broker" with four behaviours, one per path prefix.
fn serve() -> std::net::SocketAddr {
    use axum::Router;
    use axum::extract::Path as P;
    use axum::http::StatusCode;
    use axum::response::{Html, IntoResponse};
    use axum::routing::get;

    async fn page(P((site, name)): P<(String, String)>) -> axum::response::Response {
        let made_up = name.contains("Qzxvy");
        match site.as_str() {
            "good" | "drifted" if made_up => {
                Html("<div class='none'>No results</div>".to_string()).into_response()
            }
            "good" | "drifted" => {
                Html("<div class='card'><span class='name'>John Smith</span></div>".to_string())
                    .into_response()
            }
            "blocked" => (StatusCode::FORBIDDEN, "no").into_response(),
            _ => (StatusCode::NOT_FOUND, "gone").into_response(),
        }
    }
    crate::common::serve(Router::new().route("/{site}/{name}", get(page)))
}

#[test]
fn live_check_reports_drift_per_source() {
    let addr = serve();
    let dir = tempfile::tempdir().unwrap();
    let def = |id: &str, card: &str| {
        format!(
            r#"id = "{id}"
name = "{id}"
homepage = "http://{id}.test/"
kind = "people-search"
[search]
urls = ["http://{addr}/{id}/{{first}}-{{last}}"]
[search.results]
card = "{card}"
no_results = ".none"
fields.name = ".name"
[optout]
method = "web-form"
url = "http://{id}.test/optout"
"#
        )
    };
    for (id, card) in [
        ("good", ".card"),
        ("drifted", ".result-card"),
        ("blocked", ".card"),
        ("moved", ".card"),
    ] {
        std::fs::write(dir.path().join(format!("{id}.toml")), def(id, card)).unwrap();
    }
    let out = cmd()
        .args(["sources", "check", "--live", "--rate", "6000", "--sources"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{id}\t")))
            .unwrap_or_else(|| panic!("no line for {id} in {out}"))
            .to_string()
    };
    assert!(line("good").contains("\tok\t"), "{out}");
    assert!(
        line("drifted").contains("card selector found nothing"),
        "{out}"
    );
    assert!(line("blocked").contains("blocked (http 403)"), "{out}");
    assert!(line("moved").contains("page moved (http 404)"), "{out}");

    // The same verdicts as JSON, typed per probe.
    let out = cmd()
        .args(["--json", "sources", "check", "--live", "--sources"])
        .arg(dir.path())
        .args(["good", "blocked"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let checks = v.as_array().unwrap();
    assert_eq!(checks.len(), 2, "{v}");
    assert_eq!(checks[0]["id"], "blocked");
    assert_eq!(checks[0]["ok"], false);
    assert_eq!(checks[0]["probes"][0]["outcome"]["kind"], "blocked");
    assert_eq!(checks[1]["id"], "good");
    assert_eq!(checks[1]["ok"], true);
    assert_eq!(checks[1]["probes"][0]["outcome"]["cards"], 1);

    // An unknown id is an error before anything is fetched.
    cmd()
        .args(["sources", "check", "--live", "--sources"])
        .arg(dir.path())
        .arg("ghost")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no source with id \"ghost\""));

    // Without --live nothing is fetched.
    cmd()
        .args(["sources", "check", "--sources"])
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("--live"));
}
