//! The built-in middleware types, registered by their Traefik type names.
//!
//! Each type lives in its own file with its config struct (decoded with Traefik's
//! case-insensitive keys, unknown keys rejected) and its constructor.

use std::sync::Arc;

use super::{Middleware, Registry};

mod auth_users;
pub mod basic_auth;
pub mod buffering;
pub mod digest_auth;
pub mod expression;
mod go_duration;
pub mod in_flight_req;
pub mod ip_allow_list;
mod password_hash;
pub mod rate_limit;
pub mod source;
#[cfg(test)]
mod test_support_b;

/// Registers every built-in middleware type in `registry`.
pub(super) fn register_all(registry: &mut Registry) {
    registry.register("rateLimit", |cfg: rate_limit::RateLimitConfig, _ctx| {
        Ok(Arc::new(rate_limit::RateLimit::new(&cfg)?) as Arc<dyn Middleware>)
    });
    registry.register(
        "ipAllowList",
        |cfg: ip_allow_list::IpAllowListConfig, _ctx| {
            Ok(Arc::new(ip_allow_list::IpAllowList::new(&cfg)?) as Arc<dyn Middleware>)
        },
    );
    registry.register(
        "ipWhiteList",
        |cfg: ip_allow_list::IpWhiteListConfig, _ctx| {
            tracing::warn!("middleware type ipWhiteList is deprecated, use ipAllowList");
            Ok(Arc::new(ip_allow_list::IpAllowList::new(&cfg.into())?) as Arc<dyn Middleware>)
        },
    );
    registry.register(
        "inFlightReq",
        |cfg: in_flight_req::InFlightReqConfig, _ctx| {
            Ok(Arc::new(in_flight_req::InFlightReq::new(&cfg)?) as Arc<dyn Middleware>)
        },
    );
}
