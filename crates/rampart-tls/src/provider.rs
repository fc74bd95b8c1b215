//! The one crypto provider: ring.
//!
//! aws-lc-rs must never enter the dependency graph (DESIGN.md: two providers make rustls panic at
//! start), so every config this crate builds names ring explicitly instead of relying on a
//! process-wide default.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;

/// ring's provider with rustls's defaults (all of ring's cipher suites and key exchange groups).
pub(crate) fn ring() -> &'static Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
}
