//! rampart's test kit: programmable upstream and auth servers on 127.0.0.1, certificates made
//! with rcgen, and helpers shared by every crate's tests. Not published.
//!
//! * [`Upstream`] — a recording HTTP/1.1 + HTTP/2 (h2c, TLS) server answering per test.
//! * [`reply`] — response builders and bodies: fixed, channel-fed, generated, with trailers.
//! * [`misbehave`] — a closed port, a black hole, a body cut short, late headers.
//! * [`ws`] — a websocket echo upstream and client.
//! * [`certs`] — a CA and leaves made by rcgen.
//! * [`acme_rig`] — pebble + BIND (or challtestsrv) on 127.0.0.1, for ACME tests.
//! * [`AuthServer`] — a programmable auth backend recording what it receives (wire-exact), and
//!   [`auth_backends`] — Authentik, Authelia and oauth2-proxy behaviours.

pub mod acme_rig;
pub mod auth_backends;
pub mod auth_server;
pub mod certs;
pub mod misbehave;
pub mod reply;
pub mod upstream;
pub mod ws;

pub use auth_server::{AuthServer, Recorded as AuthRecorded, Reply};
pub use certs::{TestCa, TestCert};
pub use misbehave::Misbehaving;
pub use upstream::{Options, Recorded, Upstream};
