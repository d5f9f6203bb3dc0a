//! brokertrace: find where a person's data sits on data-broker sites, how it
//! travelled between them, and draft the requests that get it removed.
//!
//! The modules follow the data flow (see `docs/ARCHITECTURE.md`):
//! [`profile`] → [`sources`] → [`crawl`] → [`extract`] → [`matching`] →
//! [`store`] → [`graph`] → [`exposure`] / [`optout`] → [`report`], with
//! [`scan`] joining them and [`sim`] providing a simulated broker network.

pub mod diagnostics;
pub mod geo;
pub mod model;

pub mod profile;
pub mod sources;

pub mod crawl;
pub mod extract;
pub mod matching;
pub mod store;

pub mod exposure;
pub mod graph;
pub mod optout;
pub mod report;

pub mod batch;
pub mod eval;
pub mod scan;
pub mod sim;

/// The user agent every request carries: honest about what we are.
pub const USER_AGENT: &str = concat!(
    "brokertrace/",
    env!("CARGO_PKG_VERSION"),
    " (personal data exposure audit; +https://github.com/brokertrace/brokertrace)"
);
