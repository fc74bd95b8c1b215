#!/usr/bin/env bash
# The side-by-side harness: rampart vs nginx (auth_request) vs Caddy (forward_auth) on this
# machine, written into BENCHMARKS.md. Installs what it needs from Debian. Bounded in time
# (about 3 rounds × 3 proxies × 6 scenarios × ~10 s, plus builds). Options: see
# `benches/peers/run.sh --help` (`--scenarios idle --only rampart --no-write`: the idle-memory
# scenario alone).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec timeout 3600 python3 benches/peers/harness.py "$@"
