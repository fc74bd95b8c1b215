#!/usr/bin/env bash
# The whole test suite: installs what the tests need (Debian packages), then runs every test of
# every crate, the doc examples, and builds the examples and benches.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cargo test --workspace --all-targets
cargo test --workspace --doc
