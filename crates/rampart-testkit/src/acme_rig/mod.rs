//! The ACME test rig: Debian's `pebble` (the ACME CA) with a DNS server it validates against —
//! BIND (`named`, RFC 2136 updates signed with TSIG) or `pebble-challtestsrv` (TXT records set
//! over its HTTP API) — all on 127.0.0.1 with free ports, configs written into a temp dir, every
//! wait bounded, every process stopped when the [`Rig`] is dropped (even when a test fails).
//!
//! Shared by `rampart-tls`'s ACME tests and the proxy binary's end-to-end tests. Install the
//! programs with `apt-get install -y pebble bind9` (`scripts/install-deps.sh` does); a missing
//! program fails the test with that command, it never skips.
//!
//! ```no_run
//! # async fn demo() {
//! use rampart_testkit::acme_rig::{Rig, RigOptions};
//!
//! let rig = Rig::start(RigOptions::default()).await; // pebble + BIND for `example.test`
//! println!("ACME directory: {}", rig.directory);
//! // … point a resolver at rig.directory, trusting rig.wfe_ca; publish TXT records on rig.dns
//! // with the TSIG key rig.tsig_name / rig.tsig_secret; verify issued chains with
//! // rig.issuer_client_config().
//! # }
//! ```
//!
//! * [`Rig`], [`RigOptions`], [`DnsBackend`] — the processes and how to start them.
//! * [`free_port`], [`program`] — ports and programs.
//! * [`http_request`], [`handshake`] — small clients for pebble's API and issued certificates.

mod client;
mod dns;
mod rig;
mod system;

pub use client::{handshake, http_request};
pub use rig::{DnsBackend, Rig, RigOptions};
pub use system::{free_port, program};
