//! Accepting TLS connections: per-SNI options and certificates, one deadline, swappable
//! configuration.
//!
//! * [`AcceptorConfig`] — store, built options, host → options map, TLS-ALPN-01 answers.
//! * [`TlsAcceptor`] — runs each handshake (tokio-rustls `LazyConfigAcceptor`).
//! * [`TlsConnInfo`] — what the handshake established.

mod accept;
mod config;
mod info;

pub use accept::{Accepted, TlsAcceptor};
pub use config::AcceptorConfig;
pub use info::TlsConnInfo;
