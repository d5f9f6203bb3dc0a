//! The simulated broker network: brokers on loopback ports serving a seeded
//! synthetic population, with known ground truth.
//!
//! `population` invents the people (namesakes, nicknames, moves, non-ASCII
//! names), `brokers` decides what each broker holds (roots make errors,
//! copiers inherit them), and `markup` serves it in each broker's own URL
//! scheme and HTML. See `docs/SIM.md`.

mod brokers;
mod markup;
mod population;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::profile::Profile;
use brokers::{BROKERS, Broker};
use population::Person;

/// How to build the network.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the synthetic population; same seed, same network.
    pub seed: u64,
    /// People in the population.
    pub population: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 7,
            population: 400,
        }
    }
}

/// Who is listed where and who copies whom.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Every person: id and what they know about themselves.
    pub people: Vec<TruthPerson>,
    /// Every listing: person, broker and the listing's URL.
    pub listings: Vec<TruthListing>,
    /// Copy edges `(from, to)`: `to` copies records from `from`.
    pub copies: Vec<(String, String)>,
}

/// A synthetic person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthPerson {
    /// Person id.
    pub id: String,
    /// Their profile as they would write it.
    pub profile: Profile,
}

/// A listing of a person on a broker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthListing {
    /// Person id.
    pub person_id: String,
    /// Broker (source) id.
    pub broker_id: String,
    /// Absolute URL of the listing's own page.
    pub url: String,
}

/// A running network. Dropping it stops every broker.
pub struct Network {
    truth: GroundTruth,
    resolve: Vec<(String, SocketAddr)>,
    demo: Profile,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Network {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Served {
    broker: Broker,
    year: i32,
}

/// Builds the population, the brokers' records and the ground truth
/// without serving anything (same seed, same result).
fn build(config: &SimConfig) -> (Vec<Person>, Vec<Broker>, GroundTruth) {
    let people = population::generate(config.seed, config.population);
    let brokers = brokers::build(config.seed, &people);
    let mut listings: Vec<TruthListing> = brokers
        .iter()
        .flat_map(|b| {
            b.listings.iter().map(|l| TruthListing {
                person_id: people[l.person].id.clone(),
                broker_id: b.spec.id.to_string(),
                url: markup::listing_url(&b.spec, l),
            })
        })
        .collect();
    listings.sort_by(|a, b| {
        (a.person_id.as_str(), a.broker_id.as_str())
            .cmp(&(b.person_id.as_str(), b.broker_id.as_str()))
    });
    let copies = BROKERS
        .iter()
        .filter_map(|b| b.copies.map(|from| (from.to_string(), b.id.to_string())))
        .collect();
    let truth = GroundTruth {
        people: people
            .iter()
            .map(|p| TruthPerson {
                id: p.id.clone(),
                profile: p.profile(),
            })
            .collect(),
        listings,
        copies,
    };
    (people, brokers, truth)
}

/// The ground truth of the network `config` describes, without starting it.
pub fn ground_truth(config: &SimConfig) -> GroundTruth {
    build(config).2
}

/// Source ids (= host names) of every simulated broker.
pub fn broker_ids() -> Vec<&'static str> {
    BROKERS.iter().map(|b| b.id).collect()
}

impl Network {
    /// Starts every broker on its own loopback port.
    pub async fn start(config: SimConfig) -> anyhow::Result<Network> {
        let (people, brokers, truth) = build(&config);
        let demo = people[population::DEMO].profile();
        let year = chrono::Datelike::year(&chrono::Utc::now());
        let mut resolve = Vec::new();
        let mut tasks = Vec::new();
        for broker in brokers {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .context("cannot open a loopback port for the simulated network")?;
            let addr = listener.local_addr()?;
            resolve.push((broker.spec.id.to_string(), addr));
            let app = axum::Router::new()
                .fallback(handle)
                .with_state(Arc::new(Served { broker, year }));
            tasks.push(tokio::spawn(async move {
                // Serving ends only when the task is aborted on drop.
                let _ = axum::serve(listener, app).await;
            }));
        }
        Ok(Network {
            truth,
            resolve,
            demo,
            tasks,
        })
    }

    /// Host → address overrides that route the brokers' `.test` hosts here.
    pub fn resolve(&self) -> Vec<(String, SocketAddr)> {
        self.resolve.clone()
    }

    /// The network's ground truth.
    pub fn truth(&self) -> &GroundTruth {
        &self.truth
    }

    /// The built-in demo person (Elizabeth Anne Carter of San Francisco).
    pub fn demo_profile(&self) -> Profile {
        self.demo.clone()
    }

    /// Every true listing of one person, by broker id.
    pub fn listings_of(&self, person_id: &str) -> Vec<&TruthListing> {
        self.truth
            .listings
            .iter()
            .filter(|l| l.person_id == person_id)
            .collect()
    }
}

async fn handle(State(s): State<Arc<Served>>, uri: Uri) -> Response {
    let r = markup::route(&s.broker, uri.path(), uri.query().unwrap_or(""), s.year);
    (
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK),
        [(header::CONTENT_TYPE, r.content_type)],
        r.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Extractor, ResultsPage};
    use crate::sources::{load_dir, template};

    /// Runs a search in-process (no sockets), following next links.
    fn search(b: &Broker, ex: &Extractor, max_pages: u32, url: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = Some(url.to_string());
        let mut pages = 0;
        while let Some(u) = next.take() {
            pages += 1;
            let parsed = url::Url::parse(&u).unwrap();
            let r = markup::route(b, parsed.path(), parsed.query().unwrap_or(""), 2026);
            match ex.results(&r.body, &parsed) {
                ResultsPage::Results { cards, next_page } => {
                    out.extend(
                        cards
                            .into_iter()
                            .filter_map(|c| c.record.profile_url.or(c.detail_url)),
                    );
                    if pages < max_pages {
                        next = next_page;
                    }
                }
                ResultsPage::NoResults => {}
                ResultsPage::Unrecognised => assert_eq!(r.status, 404, "{u}"),
            }
        }
        out
    }

    #[test]
    fn every_listing_is_reachable_from_its_persons_profile() {
        let config = SimConfig::default();
        let (people, brokers, truth) = build(&config);
        let defs = load_dir(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sources/sim"
        )))
        .unwrap();
        let mut checked = 0;
        for p in &people {
            let profile = p.profile();
            for b in &brokers {
                let def = &defs.iter().find(|d| d.def.id == b.spec.id).unwrap().def;
                let ex = Extractor::new(def).unwrap();
                let search_spec = def.search.as_ref().unwrap();
                let mut found = Vec::new();
                for url in template::plan(&search_spec.urls, &profile, 8) {
                    found.extend(search(b, &ex, search_spec.max_pages, &url));
                }
                for l in truth
                    .listings
                    .iter()
                    .filter(|l| l.person_id == p.id && l.broker_id == b.spec.id)
                {
                    assert!(found.contains(&l.url), "{} {} not found", p.id, l.url);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, truth.listings.len());
    }
}
