#!/usr/bin/env bash
# Installs what rampart's tests need on a fresh Debian machine, and nothing when it is all there.
# Each line names a command the tests run and the Debian package that provides it. Tests never
# skip because a tool is missing: this script installs it, or fails saying what to install.
set -euo pipefail

# command  package
NEEDED=(
  "curl curl"
  "openssl openssl"
  # ACME end-to-end tests (crates/rampart-tls/tests/rig): the CA, its DNS test server, and an
  # authoritative DNS server that takes RFC 2136 updates signed with TSIG.
  "pebble pebble"
  "pebble-challtestsrv pebble"
  "named bind9"
)

missing=()
for entry in "${NEEDED[@]}"; do
  cmd=${entry%% *}
  pkg=${entry##* }
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/usr/bin/$cmd" ]; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    $SUDO apt-get update >/dev/null
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null || {
      echo "install-deps: could not install ${missing[*]}; run: apt-get install -y ${missing[*]}" >&2
      exit 1
    }
  fi
fi
