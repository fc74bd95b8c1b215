//! TLS options (`tls.options.<name>`) → rustls [`ServerConfig`](rustls::ServerConfig)s.
//!
//! * [`TlsOptionsSpec`] — the plain input.
//! * [`names`] — Traefik's (Go's) names for versions, cipher suites and curves, and what rustls
//!   with ring makes of each.
//! * [`OptionsSet`] — every options object built: ring provider, chosen versions, suites and
//!   curves, client authentication, ALPN, session resumption (tickets + cache).

mod build;
mod client_auth;
pub mod names;
mod set;
mod spec;

pub use build::DEFAULT_ALPN;
pub use client_auth::CLIENT_AUTH_TYPES;
pub use set::OptionsSet;
pub use spec::{ClientAuthSpec, TlsOptionsSpec};

#[cfg(test)]
mod tests;
