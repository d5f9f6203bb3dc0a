//! The simulated broker network: brokers on loopback ports serving a seeded
//! synthetic population, with known ground truth.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::profile::Profile;

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

/// A running network.
pub struct Network {
    truth: GroundTruth,
    resolve: Vec<(String, SocketAddr)>,
}

impl Network {
    /// Starts every broker on its own loopback port.
    pub async fn start(_config: SimConfig) -> anyhow::Result<Network> {
        Ok(Network {
            truth: GroundTruth::default(),
            resolve: Vec::new(),
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

    /// The built-in demo person.
    pub fn demo_profile(&self) -> Profile {
        Profile::default()
    }
}
