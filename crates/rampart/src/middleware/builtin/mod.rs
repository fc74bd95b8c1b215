//! The built-in middleware types, registered by their Traefik type names.
//!
//! Each type lives in its own file with its config struct (decoded with Traefik's
//! case-insensitive keys, unknown keys rejected) and its constructor.

use std::sync::Arc;

use super::{Middleware, Registry};

mod go_duration;
pub mod rate_limit;
pub mod source;
#[cfg(test)]
mod test_support_b;

/// Registers every built-in middleware type in `registry`.
pub(super) fn register_all(registry: &mut Registry) {
    registry.register("rateLimit", |cfg: rate_limit::RateLimitConfig, _ctx| {
        Ok(Arc::new(rate_limit::RateLimit::new(&cfg)?) as Arc<dyn Middleware>)
    });
}
