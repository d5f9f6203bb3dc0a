//! The one integration-test binary (each test binary costs a link of the
//! whole dependency tree, so every suite is a module here).

mod batch;
mod breaches;
mod common;
mod crawl;
mod demo;
mod extract;
mod graph;
mod lookup;
mod matching;
mod optout;
mod report;
mod resume;
mod scan;
mod sim;
mod sources;
