//! The one integration-test binary (each test binary costs a link of the
//! whole dependency tree, so every suite is a module here).

mod common;
mod crawl;
mod lookup;
