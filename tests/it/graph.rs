//! Exposure graph: build from a synthetic store, provenance, exports, redaction.
//!
//! Three synthetic people are listed on four synthetic brokers. `beta.test`
//! copies `alpha.test`: it repeats alpha's typo'd street and wrong middle
//! initial, drops the relatives alpha shows and adds a noisy phone of its
//! own. `gamma.test` and `delta.test` compile their records independently.

use std::path::Path;

use brokertrace::graph::{self, EdgeKind, NodeKind};
use brokertrace::model::{Address, CheckState, MatchLevel, MatchResult, PersonName, Record};
use brokertrace::profile::Profile;
use brokertrace::sources::load_dir;
use brokertrace::store::{CheckOutcome, FetchLog, ListingObservation, Store};
use chrono::{TimeZone, Utc};

use crate::common::{cmd, fixture};

struct Person {
    id: &'static str,
    first: &'static str,
    middle: &'static str,
    last: &'static str,
    street: &'static str,
    typo_street: &'static str,
    city: &'static str,
    zip: &'static str,
    phone: &'static str,
    noisy_phone: &'static str,
    email: &'static str,
    birth: &'static str,
    relative: &'static str,
}

const PEOPLE: [Person; 3] = [
    Person {
        id: "jane-doe",
        first: "Jane",
        middle: "Quinn",
        last: "Doe",
        street: "12 Oak St",
        typo_street: "12 Oak Stret",
        city: "San Francisco",
        zip: "94110",
        phone: "+14155550100",
        noisy_phone: "+14155550109",
        email: "jane.doe@example.com",
        birth: "1984-05-17",
        relative: "Samuel Doe",
    },
    Person {
        id: "john-roe",
        first: "John",
        middle: "Avery",
        last: "Roe",
        street: "48 Pine Ave",
        typo_street: "48 Pine Avenu",
        city: "Oakland",
        zip: "94607",
        phone: "+15105550123",
        noisy_phone: "+15105550128",
        email: "john.roe@example.com",
        birth: "1979-11-02",
        relative: "Annabel Roe",
    },
    Person {
        id: "ada-poe",
        first: "Ada",
        middle: "Mae",
        last: "Poe",
        street: "7 Birch Rd",
        typo_street: "7 Brich Rd",
        city: "Fresno",
        zip: "93701",
        phone: "+15595550144",
        noisy_phone: "+15595550147",
        email: "ada.poe@example.com",
        birth: "1991-02-23",
        relative: "Lenora Poe",
    },
];

fn profile(p: &Person) -> Profile {
    Profile {
        id: p.id.into(),
        jurisdiction: "US-CA".into(),
        birth_date: Some(p.birth.into()),
        birth_year: p.birth[..4].parse().ok(),
        phones: vec![p.phone.into()],
        emails: vec![p.email.into()],
        relatives: vec![p.relative.into()],
        names: vec![PersonName::new(p.first, p.middle, p.last)],
        addresses: vec![address(p, p.street)],
        ..Profile::default()
    }
}

fn address(p: &Person, street: &str) -> Address {
    Address {
        street: street.into(),
        city: p.city.into(),
        state: "CA".into(),
        zip: p.zip.into(),
        country: "US".into(),
    }
}

/// What each broker shows about a person.
fn record(p: &Person, source: &str) -> Record {
    let name = |middle: &str| PersonName::new(p.first, middle, p.last);
    let mut r = Record {
        birth_date: Some(p.birth.into()),
        phones: vec![p.phone.into()],
        ..Record::default()
    };
    match source {
        "alpha" => {
            r.names = vec![name("X")];
            r.addresses = vec![address(p, p.typo_street)];
            r.relatives = vec![p.relative.into()];
            r.emails = vec![p.email.into()];
        }
        "beta" => {
            r.names = vec![name("X")];
            r.addresses = vec![address(p, p.typo_street)];
            r.phones.push(p.noisy_phone.into());
        }
        "gamma" => {
            r.names = vec![name(&p.middle[..1])];
            r.addresses = vec![address(p, p.street)];
            r.relatives = vec![p.relative.into()];
        }
        _ => {
            r.names = vec![name(p.middle)];
            r.addresses = vec![address(p, p.street)];
            r.emails = vec![p.email.into()];
        }
    }
    r
}

/// A database with the three people on the four brokers.
fn synthetic_db(path: &Path) -> Store {
    let mut store = Store::open(path).unwrap();
    let t = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    for p in &PEOPLE {
        store.upsert_subject(&profile(p)).unwrap();
        let scan = store.start_scan(p.id, "scan").unwrap();
        for (i, source) in ["alpha", "beta", "gamma", "delta"].iter().enumerate() {
            let host = format!("{source}.test");
            let url = format!("https://{host}/person/{}-{}", p.id, p.zip);
            let at = t + chrono::Duration::minutes(i as i64);
            let hash = format!("{:064x}", i + 1);
            store
                .commit_check(&CheckOutcome {
                    scan_id: scan,
                    source_id: host.clone(),
                    url: format!("https://{host}/search?name={}", p.id),
                    state: CheckState::Found,
                    fetches: vec![FetchLog {
                        url: url.clone(),
                        status: Some(200),
                        fetched_at: at,
                        content_hash: Some(hash.clone()),
                        ..FetchLog::default()
                    }],
                    listings: vec![ListingObservation {
                        key: url.clone(),
                        url: Some(url.clone()),
                        record: record(p, source),
                        result: MatchResult {
                            score: 9.0,
                            level: MatchLevel::Confirmed,
                            evidence: vec![],
                        },
                        content_hash: Some(hash),
                        seen_at: at,
                    }],
                    finished_at: at,
                })
                .unwrap();
        }
        store.finish_scan(scan).unwrap();
    }
    store
}

/// Every personal string of the synthetic people, as shown anywhere.
fn personal_values() -> Vec<String> {
    let mut v = Vec::new();
    for p in &PEOPLE {
        v.extend(
            [
                p.id,
                p.first,
                p.middle,
                p.last,
                p.street,
                p.typo_street,
                p.city,
                p.zip,
                p.phone,
                p.noisy_phone,
                p.email,
                p.birth,
                p.relative,
            ]
            .map(String::from),
        );
        v.push(format!("{} {} {}", p.first, p.middle, p.last));
        v.push(format!("{} X {}", p.first, p.last));
        v.push(p.phone[2..].to_string());
        v.push(format!("/person/{}", p.id));
    }
    v
}

fn sources() -> Vec<brokertrace::sources::SourceDef> {
    load_dir(&fixture("graph/sources"))
        .unwrap()
        .into_iter()
        .map(|l| l.def)
        .collect()
}

#[test]
fn builds_typed_graph_with_evidence_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = synthetic_db(&dir.path().join("bt.sqlite"));
    let g = graph::build(&store, &["jane-doe".to_string()], &sources(), &[]).unwrap();
    assert_eq!(g.count(NodeKind::Subject), 1);
    assert_eq!(g.count(NodeKind::Listing), 4);
    assert_eq!(g.count(NodeKind::Source), 4);
    // Alpha and beta's parent is shared; four operators plus it.
    assert_eq!(g.count(NodeKind::Company), 5);
    let edges = g.edges_sorted();
    let of = |k: EdgeKind| edges.iter().filter(|e| e.2.kind == k).count();
    assert_eq!(of(EdgeKind::On), 4);
    assert_eq!(of(EdgeKind::About), 4);
    assert_eq!(of(EdgeKind::OperatedBy), 4);
    assert_eq!(of(EdgeKind::OwnedBy), 2);
    assert!(of(EdgeKind::Has) >= 8);
    for (_, _, e) in edges.iter().filter(|e| e.2.kind == EdgeKind::Exposes) {
        assert!(e.evidence.urls[0].starts_with("https://"), "{e:?}");
        assert!(
            e.evidence
                .fetched_at
                .as_deref()
                .unwrap()
                .starts_with("2025-03-01T12:0")
        );
        assert!(e.evidence.content_hash.is_some());
        assert!(!e.evidence.reason.is_empty());
    }
    // The typo'd street is one attribute node shared by alpha and beta's listings.
    let typo = g.index["attr:address:12 oak stret, san francisco, ca 94110"];
    assert_eq!(
        g.graph
            .neighbors_directed(typo, petgraph::Direction::Incoming)
            .count(),
        3, // two listings and the subject
    );
}

#[test]
fn provenance_finds_the_copier_and_no_spurious_edge() {
    let dir = tempfile::tempdir().unwrap();
    let store = synthetic_db(&dir.path().join("bt.sqlite"));
    let g = graph::build(&store, &[], &sources(), &[]).unwrap();
    let pairs: Vec<(String, String)> = g.copies.iter().map(|c| c.flow_pair()).collect();
    assert_eq!(
        pairs,
        [("alpha.test".to_string(), "beta.test".to_string())],
        "{:#?}",
        g.copies
    );
    let c = &g.copies[0];
    assert!(c.directed && c.confidence > 0.9, "{c:#?}");
    // Both distinctive errors of all three people are behind it.
    assert_eq!(c.shared.len(), 6);
    let truth = [("alpha.test".to_string(), "beta.test".to_string())];
    assert_eq!(graph::provenance::flow_metrics(&pairs, &truth), (1.0, 1.0));
    // The edge in the graph points from the copier to its origin.
    let copies: Vec<_> = g
        .edges_sorted()
        .into_iter()
        .filter(|e| e.2.kind == EdgeKind::CopiesFrom)
        .map(|e| (e.0.to_string(), e.1.to_string()))
        .collect();
    assert_eq!(
        copies,
        [("source:beta.test".into(), "source:alpha.test".into())]
    );
    // Removal: the root first.
    assert_eq!(g.removal_order[0].source, "alpha.test");
    assert_eq!(g.removal_order[0].feeds, ["beta.test"]);
    assert_eq!(g.removal_order.len(), 4);
}

fn export(db: &Path, format: &str, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "export",
        "--format",
        format,
        "--db",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let src = fixture("graph/sources");
    args.extend(["--sources", src.to_str().unwrap()]);
    args.extend(extra);
    cmd().args(&args).assert().success();
}

/// With `BROKERTRACE_EXPORT_DIR` set, copies the exports to `$DIR/<name>`
/// (and the personal values to `$DIR/personal.txt`) for
/// `.ci/check-exports`, which checks them with networkx and Graphviz.
fn keep_for_external_checks(from: &Path, name: &str) {
    let Some(dir) = std::env::var_os("BROKERTRACE_EXPORT_DIR") else {
        return;
    };
    let to = Path::new(&dir).join(name);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        Path::new(&dir).join("personal.txt"),
        personal_values().join("\n") + "\n",
    )
    .unwrap();
}

fn parse_xml(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut r = quick_xml::Reader::from_str(text);
    let mut names = Vec::new();
    loop {
        match r.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                names.push(e.name().as_ref().to_string())
            }
            _ => {}
        }
    }
    names
}

#[test]
fn every_format_is_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bt.sqlite");
    drop(synthetic_db(&db));
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    for f in ["graphml", "gexf", "dot", "cytoscape", "json"] {
        export(&db, f, &out, &["--all"]);
    }
    export(&db, "neo4j", &out.join("neo4j"), &["--all"]);

    let names = parse_xml(&std::fs::read(out.join("brokertrace.graphml")).unwrap());
    assert_eq!(names[0], "graphml");
    assert!(names.iter().filter(|n| *n == "key").count() >= 19);
    let nodes = names.iter().filter(|n| *n == "node").count();
    assert!(nodes > 20, "{nodes}");

    let names = parse_xml(&std::fs::read(out.join("brokertrace.gexf")).unwrap());
    assert_eq!(names[0], "gexf");
    assert_eq!(names.iter().filter(|n| *n == "node").count(), nodes);
    assert_eq!(names.iter().filter(|n| *n == "attributes").count(), 2);

    let dot = std::fs::read_to_string(out.join("brokertrace.dot")).unwrap();
    assert!(dot.starts_with("digraph brokertrace {\n") && dot.ends_with("}\n"));
    for line in dot.lines().skip(1).filter(|l| *l != "}") {
        assert!(line.ends_with("];") || line.ends_with(';'), "{line}");
        assert_eq!(
            line.replace("\\\"", "").matches('"').count() % 2,
            0,
            "{line}"
        );
    }
    assert!(dot.contains("\"source:beta.test\" -> \"source:alpha.test\" [label=\"COPIES_FROM\""));

    let cy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("brokertrace.cytoscape.json")).unwrap())
            .unwrap();
    let cy_nodes = cy["elements"]["nodes"].as_array().unwrap();
    assert_eq!(cy_nodes.len(), nodes);
    let ids: std::collections::HashSet<&str> = cy_nodes
        .iter()
        .map(|n| n["data"]["id"].as_str().unwrap())
        .collect();
    for e in cy["elements"]["edges"].as_array().unwrap() {
        assert!(ids.contains(e["data"]["source"].as_str().unwrap()));
        assert!(ids.contains(e["data"]["target"].as_str().unwrap()));
        assert!(e["data"]["confidence"].is_f64());
    }

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("brokertrace.json")).unwrap()).unwrap();
    assert_eq!(json["subjects"].as_array().unwrap().len(), 3);
    assert_eq!(json["copies"][0]["upstream"], "alpha.test");
    assert_eq!(json["removal_order"][0]["source"], "alpha.test");

    let neo = out.join("neo4j");
    let nodes_csv = std::fs::read_to_string(neo.join("nodes.csv")).unwrap();
    assert!(nodes_csv.starts_with("id:ID,:LABEL,label,kind,value,url,level,score:double,"));
    assert_eq!(nodes_csv.lines().count(), nodes + 1);
    let rels = std::fs::read_to_string(neo.join("relationships.csv")).unwrap();
    assert!(rels.starts_with(":START_ID,:END_ID,:TYPE,confidence:double,reason,"));
    let cypher = std::fs::read_to_string(neo.join("load.cypher")).unwrap();
    assert!(cypher.contains("LOAD CSV WITH HEADERS FROM 'file:///nodes.csv'"));
    assert!(cypher.contains("CREATE (a)-[r:COPIES_FROM]->(b)"));
    keep_for_external_checks(&out, "plain");
}

#[test]
fn redacted_exports_hold_no_personal_value_and_salts_decide_joinability() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bt.sqlite");
    drop(synthetic_db(&db));
    let salt = "00112233445566778899aabbccddeeff";
    let out = dir.path().join("red");
    std::fs::create_dir_all(&out).unwrap();
    for f in ["graphml", "gexf", "dot", "cytoscape", "json"] {
        export(&db, f, &out, &["--redact", "--salt", salt]);
    }
    export(
        &db,
        "neo4j",
        &out.join("neo4j"),
        &["--redact", "--salt", salt],
    );
    let mut files = Vec::new();
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            files.push(p);
        }
    }
    assert_eq!(files.len(), 8);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lower = text.to_lowercase();
        for v in personal_values() {
            assert!(
                !lower.contains(&v.to_lowercase()),
                "{} contains {v:?}",
                f.display()
            );
        }
        // Brokers and companies stay named.
        if !f.ends_with("load.cypher") {
            assert!(text.contains("alpha.test"), "{}", f.display());
        }
    }
    keep_for_external_checks(&out, "redacted");
    let json = std::fs::read_to_string(out.join("brokertrace.json")).unwrap();
    assert!(json.contains("\"person-"));
    assert!(json.contains("\"phone-"));
    assert!(json.contains("Omni Holdings"));
    assert!(json.contains("\"https://alpha.test/\""));

    // Same salt, same pseudonyms; other or random salts, other pseudonyms.
    let again = dir.path().join("again.json");
    export(&db, "json", &again, &["--redact", "--salt", salt]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), json);
    let other = dir.path().join("other.json");
    export(
        &db,
        "json",
        &other,
        &["--redact", "--salt", "ffeeddccbbaa99887766554433221100"],
    );
    let subjects = |p: &Path| {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["subjects"].clone()
    };
    assert_ne!(subjects(&other), subjects(&again));
    let r1 = dir.path().join("r1.json");
    let r2 = dir.path().join("r2.json");
    export(&db, "json", &r1, &["--redact"]);
    export(&db, "json", &r2, &["--redact"]);
    assert_ne!(subjects(&r1), subjects(&r2));
}

#[test]
fn unknown_subject_and_missing_db_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bt.sqlite");
    cmd()
        .args(["export", "--format", "json", "--db", db.to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no database at"));
    drop(synthetic_db(&db));
    cmd()
        .args(["export", "--format", "json", "--subject", "nobody", "--db"])
        .arg(&db)
        .args(["--sources", fixture("graph/sources").to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no subject \"nobody\""));
}
