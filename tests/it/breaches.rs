//! `brokertrace breaches`: the HIBP client against a loopback mock of the API
//! (never the real service).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use brokertrace::model::PersonName;
use brokertrace::profile::Profile;
use brokertrace::store::Store;

use crate::common::cmd;

/// One request as the mock saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: HashMap<String, String>,
    user_agent: String,
    api_key: Option<String>,
}

#[derive(Clone, Default)]
struct Mock {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// How many 429s the account endpoint answers before a real answer.
    throttle: Arc<AtomicUsize>,
}

const BREACHES: &str = r#"[
 {"Name":"Whitepages","Title":"Whitepages","Domain":"whitepages.com","BreachDate":"2016-06-27",
  "AddedDate":"2016-07-01T00:00:00Z","ModifiedDate":"2016-07-01T00:00:00Z","PwnCount":11657763,
  "Description":"<a href='x'>html is ignored</a>","LogoPath":"https://example.com/x.png",
  "DataClasses":["Email addresses","Names","Passwords"],"IsVerified":true,"IsFabricated":false,
  "IsSensitive":false,"IsRetired":false,"IsSpamList":false,"IsMalware":false,
  "IsSubscriptionFree":false,"IsStealerLog":false},
 {"Name":"Example2030","Title":"Example","Domain":"example.com","BreachDate":"2030-01-01",
  "AddedDate":"2030-01-02T00:00:00Z","PwnCount":5,"DataClasses":["Email addresses"],
  "IsVerified":true,"IsFabricated":false,"IsSensitive":false,"IsRetired":false,
  "IsSpamList":false,"IsMalware":false,"IsStealerLog":false}
]"#;

fn record(m: &Mock, path: String, q: HashMap<String, String>, h: &HeaderMap) {
    let hv = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    m.seen.lock().unwrap().push(Seen {
        path,
        query: q,
        user_agent: hv("user-agent").unwrap_or_default(),
        api_key: hv("hibp-api-key"),
    });
}

async fn breaches(State(m): State<Mock>, h: HeaderMap) -> Response {
    record(&m, "/breaches".into(), HashMap::new(), &h);
    if h.get("user-agent").is_none() {
        return (StatusCode::FORBIDDEN, "no user agent").into_response();
    }
    ([("content-type", "application/json")], BREACHES).into_response()
}

async fn account(
    State(m): State<Mock>,
    Path(email): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    record(&m, format!("/breachedaccount/{email}"), q, &h);
    if h.get("hibp-api-key").and_then(|v| v.to_str().ok()) != Some("test-key") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if m.throttle.load(Ordering::SeqCst) > 0 {
        m.throttle.fetch_sub(1, Ordering::SeqCst);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    if email == "jane.synthetic@example.com" {
        let full: Vec<serde_json::Value> = serde_json::from_str(BREACHES).unwrap();
        let body = serde_json::to_string(&vec![full[0].clone()]).unwrap();
        return ([("content-type", "application/json")], body).into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

/// Starts the mock on 127.0.0.1 (port 0) in a background thread.
fn start(mock: Mock) -> SocketAddr {
    crate::common::serve(
        Router::new()
            .route("/api/v3/breaches", get(breaches))
            .route("/api/v3/breachedaccount/{email}", get(account))
            .with_state(mock),
    )
}

#[test]
fn update_writes_a_compact_catalog_from_the_api() {
    let mock = Mock::default();
    let addr = start(mock.clone());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cat/hibp.json");
    cmd()
        .args(["breaches", "update", "--api-base"])
        .arg(format!("http://{addr}/api/v3"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("2 breaches"))
        .stdout(predicates::str::contains("Have I Been Pwned"));
    let text = std::fs::read_to_string(&out).unwrap();
    let cat = brokertrace::exposure::Catalog::from_json(&text).unwrap();
    assert_eq!(cat.breaches.len(), 2);
    assert_eq!(cat.to_json(), text, "stored in canonical form");
    assert!(
        !text.contains("Description"),
        "only the kept fields are stored"
    );
    let seen = mock.seen.lock().unwrap();
    assert!(seen[0].user_agent.starts_with("brokertrace/"));
    assert!(
        seen[0].api_key.is_none(),
        "the key is never sent to /breaches"
    );
}

#[test]
fn update_fails_cleanly_when_the_api_is_down() {
    // A bound-then-dropped port refuses connections.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hibp.json");
    cmd()
        .args(["breaches", "update", "--api-base"])
        .arg(format!("http://127.0.0.1:{port}/api/v3"))
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicates::str::contains("cannot reach"));
    assert!(!out.exists());
}

#[test]
fn check_queries_each_email_honours_retry_after_and_stores_results() {
    let mock = Mock::default();
    mock.throttle.store(1, Ordering::SeqCst);
    let addr = start(mock.clone());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let profile = Profile {
        id: "jane-synthetic".into(),
        names: vec![PersonName::new("Jane", "", "Synthetic")],
        emails: vec![
            "jane.synthetic@example.com".into(),
            "nobody+tag@example.com".into(),
        ],
        ..Profile::default()
    };
    Store::open(&db).unwrap().upsert_subject(&profile).unwrap();
    let started = std::time::Instant::now();
    cmd()
        .args(["breaches", "check", "--subject", "jane-synthetic", "--db"])
        .arg(&db)
        .arg("--api-base")
        .arg(format!("http://{addr}/api/v3"))
        .env("HIBP_API_KEY", "test-key")
        .assert()
        .success()
        .stdout(predicates::str::contains("1 breach(es)"))
        .stdout(predicates::str::contains("jane.synthetic").not());
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "retry-after was not waited out"
    );
    let seen = mock.seen.lock().unwrap().clone();
    let account: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.path.starts_with("/breachedaccount/"))
        .collect();
    assert_eq!(
        account.len(),
        3,
        "one 429 retried, then one per e-mail: {seen:?}"
    );
    for s in &account {
        assert_eq!(s.api_key.as_deref(), Some("test-key"));
        assert_eq!(
            s.query.get("truncateResponse").map(String::as_str),
            Some("false")
        );
        assert!(s.user_agent.starts_with("brokertrace/"));
    }
    assert_eq!(account[2].path, "/breachedaccount/nobody+tag@example.com");

    let store = Store::open(&db).unwrap();
    let stored = brokertrace::exposure::account_breaches(store.conn(), "jane-synthetic").unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].email, "jane.synthetic@example.com");
    assert_eq!(stored[0].breaches[0].name, "Whitepages");
    assert!(stored[1].breaches.is_empty(), "404 means not breached");
}

#[test]
fn check_without_a_key_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["breaches", "check", "--subject", "x", "--db"])
        .arg(dir.path().join("db.sqlite"))
        .env_remove("HIBP_API_KEY")
        .assert()
        .failure()
        .stderr(predicates::str::contains("HIBP_API_KEY"));
}

use predicates::prelude::PredicateBooleanExt;
