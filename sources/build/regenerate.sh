#!/usr/bin/env bash
# Regenerates the shipped source pack from the public datasets. Usage:
#   sources/build/regenerate.sh /path/to/shared/data
# The data folder holds the files named in sources/NOTICE. Hand-written facts
# live in sources/build/overlay.toml; never edit the generated *.toml files.
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:?usage: regenerate.sh DATA_DIR}"
find sources -maxdepth 1 -name '*.toml' -delete
cargo run -q -- sources import --format ddg "$data/duckduckgo-pir-broker-definitions.json" \
  --dataset-date 2025-02-01 --enrich "$data" --overlay sources/build/overlay.toml --out sources
python3 sources/registry/regenerate.py "$data"
cargo run -q -- sources validate sources
