//! The built-in middleware types, registered by their Traefik type names.
//!
//! Each type lives in its own file with its config struct (decoded with Traefik's
//! case-insensitive keys, unknown keys rejected) and its constructor.

mod chain;

pub use chain::{ChainConfig, ChainMiddleware};

use super::Registry;

/// Registers every built-in middleware type in `registry`.
pub(super) fn register_all(registry: &mut Registry) {
    chain::register(registry);
    super::forward_auth::register(registry);
}
