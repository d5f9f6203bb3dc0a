//! The simulated broker network: determinism, source files, and that the
//! demo person's every true listing is reachable through the source files.

use std::collections::{BTreeMap, BTreeSet};

use brokertrace::crawl::{CrawlConfig, FetchRequest, Fetcher};
use brokertrace::extract::{Extractor, ResultsPage};
use brokertrace::model::{Address, PersonName};
use brokertrace::profile::Profile;
use brokertrace::sim::{self, Network, SimConfig};
use brokertrace::sources::{self, LoadedSource, template};
use url::Url;

use crate::common;

fn sim_sources() -> Vec<LoadedSource> {
    sources::load_dir(&common::repo("sources/sim")).expect("sources/sim loads")
}

fn fetcher(network: &Network) -> Fetcher {
    Fetcher::new(CrawlConfig {
        requests_per_minute: 60_000,
        resolve: network.resolve(),
        ..CrawlConfig::default()
    })
    .unwrap()
}

/// Every page of one search: (status of the first page, cards' listing URLs,
/// whether a page said "no results").
async fn search(fetcher: &Fetcher, source: &LoadedSource, url: &str) -> (u16, Vec<String>, bool) {
    let extractor = Extractor::new(&source.def).unwrap();
    let max_pages = source.def.search.as_ref().unwrap().max_pages;
    let mut next = Some(url.to_string());
    let mut urls = Vec::new();
    let mut first_status = None;
    let mut no_results = false;
    let mut pages = 0;
    while let Some(u) = next.take() {
        pages += 1;
        let page = fetcher
            .fetch(&FetchRequest::get(Url::parse(&u).unwrap()))
            .await
            .unwrap_or_else(|e| panic!("{u}: {e:?}"));
        first_status.get_or_insert(page.status);
        match extractor.results(&page.body, &Url::parse(&page.final_url).unwrap()) {
            ResultsPage::NoResults => no_results = true,
            ResultsPage::Unrecognised => {
                assert_eq!(page.status, 404, "{u} unrecognised:\n{}", page.body)
            }
            ResultsPage::Results { cards, next_page } => {
                for c in cards {
                    let url = c
                        .record
                        .profile_url
                        .or(c.detail_url)
                        .unwrap_or_else(|| panic!("{u}: a card without a listing URL"));
                    assert!(!c.record.names.is_empty(), "{u}: a card without a name");
                    urls.push(url);
                }
                if pages < max_pages {
                    next = next_page;
                }
            }
        }
    }
    (first_status.unwrap(), urls, no_results)
}

#[test]
fn same_seed_same_truth_other_seed_other_truth() {
    let a = serde_json::to_string(&sim::ground_truth(&SimConfig::default())).unwrap();
    let b = serde_json::to_string(&sim::ground_truth(&SimConfig::default())).unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_string(&sim::ground_truth(&SimConfig {
        seed: 8,
        ..SimConfig::default()
    }))
    .unwrap();
    assert_ne!(a, c);
}

#[test]
fn truth_has_lineage_and_the_population_asked_for() {
    let truth = sim::ground_truth(&SimConfig::default());
    assert_eq!(truth.people.len(), 400);
    let edges: BTreeSet<(&str, &str)> = truth
        .copies
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert!(edges.contains(&("peoplefind.test", "findpeoplefast.test")));
    assert!(edges.contains(&("findpeoplefast.test", "recordsmirror.test")));
    assert!(edges.contains(&("truepeoplerecords.test", "lookupdirect.test")));
    let ids: BTreeSet<&str> = truth.people.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), truth.people.len(), "person ids are unique");
    let urls: BTreeSet<&str> = truth.listings.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(urls.len(), truth.listings.len(), "listing URLs are unique");
    for p in &truth.people {
        assert!(
            p.profile.validate().is_empty(),
            "{}: {:?}",
            p.id,
            p.profile.validate()
        );
        for ph in &p.profile.phones {
            assert!(ph.contains("555-01"), "{ph} is not a fictional number");
        }
        for e in &p.profile.emails {
            assert!(
                [
                    ".example.com",
                    "@example.com",
                    "@example.net",
                    "@example.org"
                ]
                .iter()
                .any(|d| e.ends_with(d)),
                "{e}"
            );
        }
    }
    // Non-ASCII names and suffixes are part of the population.
    let names: Vec<&PersonName> = truth.people.iter().map(|p| &p.profile.names[0]).collect();
    assert!(names.iter().any(|n| n.last == "Núñez" && n.first == "José"));
    assert!(names.iter().any(|n| !n.suffix.is_empty()));
    assert!(names.iter().any(|n| n.last == "Nguyễn"));
}

#[test]
fn every_sim_source_loads_and_compiles() {
    let loaded = sim_sources();
    let ids: Vec<&str> = loaded.iter().map(|s| s.def.id.as_str()).collect();
    let mut expected = sim::broker_ids();
    expected.sort();
    assert_eq!(ids, expected);
    for s in &loaded {
        assert_eq!(s.def.homepage, format!("http://{}/", s.def.id));
        Extractor::new(&s.def).unwrap_or_else(|e| panic!("{}: {e:?}", s.def.id));
    }
}

#[test]
fn demo_person_has_namesakes_in_the_same_state() {
    let truth = sim::ground_truth(&SimConfig::default());
    let demo = &truth.people[0].profile;
    let n = demo.primary_name();
    let namesakes: Vec<&Profile> = truth
        .people
        .iter()
        .skip(1)
        .map(|p| &p.profile)
        .filter(|p| p.names[0].first == n.first && p.names[0].last == n.last)
        .collect();
    assert!(namesakes.len() >= 3, "{}", namesakes.len());
    let state = &demo.addresses[0].state;
    let same_state = namesakes
        .iter()
        .filter(|p| &p.addresses[0].state == state)
        .count();
    assert!(same_state >= 2, "{same_state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_true_listing_of_the_demo_person_is_found_by_the_source_files() {
    let network = Network::start(SimConfig::default()).await.unwrap();
    let fetcher = fetcher(&network);
    let profile = network.demo_profile();
    let truth: BTreeMap<&str, &str> = network
        .listings_of(&profile.id)
        .into_iter()
        .map(|l| (l.broker_id.as_str(), l.url.as_str()))
        .collect();
    assert!(
        truth.len() >= 6,
        "the demo person is on most brokers: {truth:?}"
    );
    let mut namesake_cards = 0;
    for source in sim_sources() {
        let templates = &source.def.search.as_ref().unwrap().urls;
        let planned = template::plan(templates, &profile, 8);
        assert!(!planned.is_empty(), "{}", source.def.id);
        let mut found = BTreeSet::new();
        for url in &planned {
            let (_, urls, _) = search(&fetcher, &source, url).await;
            found.extend(urls);
        }
        if let Some(want) = truth.get(source.def.id.as_str()) {
            assert!(
                found.contains(*want),
                "{}: {want} not among {found:?}",
                source.def.id
            );
            namesake_cards += found.len() - 1;
        } else {
            assert!(
                found.iter().all(|u| !truth.values().any(|t| t == u)),
                "{}",
                source.def.id
            );
        }
    }
    assert!(namesake_cards >= 8, "namesakes show up: {namesake_cards}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_for_nobody_are_recognised_as_no_results() {
    let network = Network::start(SimConfig::default()).await.unwrap();
    let fetcher = fetcher(&network);
    let nobody = Profile {
        names: vec![PersonName::new("Zebediah", "", "Quaxley")],
        addresses: vec![Address {
            city: "Tucson".into(),
            state: "AZ".into(),
            ..Address::default()
        }],
        ..Profile::default()
    };
    for source in sim_sources() {
        let templates = &source.def.search.as_ref().unwrap().urls;
        for url in template::plan(templates, &nobody, 8) {
            let (status, urls, no_results) = search(&fetcher, &source, &url).await;
            assert!(urls.is_empty(), "{url}");
            assert!(no_results || status == 404, "{url}: status {status}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_allow_search_and_network_stops_on_drop() {
    let network = Network::start(SimConfig::default()).await.unwrap();
    let fetcher = fetcher(&network);
    for (host, _) in network.resolve() {
        let page = fetcher
            .fetch(&FetchRequest::get(
                Url::parse(&format!("http://{host}/robots.txt")).unwrap(),
            ))
            .await
            .unwrap();
        assert_eq!(page.status, 200);
        assert!(page.body.contains("User-agent: *"));
        assert!(page.body.contains("Allow: /\n"));
    }
    let addr = network.resolve()[0].1;
    drop(network);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn network_starts_quickly() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = std::time::Instant::now();
    let network = rt.block_on(Network::start(SimConfig::default())).unwrap();
    // Generous for debug builds on a loaded machine; release is ~10x faster.
    assert!(t.elapsed().as_millis() < 2000, "{:?}", t.elapsed());
    assert_eq!(network.resolve().len(), 8);
    drop(network);
}

#[test]
fn cli_prints_the_truth_as_json() {
    let out = common::cmd()
        .args(["sim", "truth", "--seed", "7"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let truth: sim::GroundTruth = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        truth.people[0].profile.primary_name().full(),
        "Elizabeth Anne Carter"
    );
    assert!(!truth.listings.is_empty());
    assert_eq!(truth.copies.len(), 3);
}

#[test]
fn cli_truth_survives_a_closed_pipe() {
    use std::io::Read;
    let bin = assert_cmd::cargo::cargo_bin("brokertrace");
    let mut child = std::process::Command::new(bin)
        .args(["sim", "truth"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // stdout is dropped here, like `| head` exiting.
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(head.starts_with(b"{"));
}
