//! Helpers shared by the integration suites.
#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Path under the repository root.
pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The `brokertrace` binary, ready to run.
pub fn cmd() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("brokertrace").expect("binary builds")
}
