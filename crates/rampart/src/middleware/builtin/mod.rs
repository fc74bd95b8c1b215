//! The built-in middleware types, registered by their Traefik type names.
//!
//! Each type lives in its own file with its config struct (decoded with Traefik's
//! case-insensitive keys, unknown keys rejected) and its constructor.

use std::sync::Arc;

use super::{Middleware, Registry};

pub use chain::{ChainConfig, ChainMiddleware};

mod auth_users;
pub mod basic_auth;
pub mod buffering;
mod chain;
pub mod circuit_breaker;
pub mod digest_auth;
pub mod error_pages;
pub mod expression;
mod go_duration;
pub mod in_flight_req;
pub mod ip_allow_list;
pub mod pass_tls_client_cert;
mod password_hash;
pub mod rate_limit;
pub mod retry;
pub mod source;
mod status_ranges;
#[cfg(test)]
mod test_support_b;

pub mod add_prefix;
pub mod compress;
pub mod content_type;
pub(crate) mod go_regex;
pub mod headers;
pub mod redirect;
pub mod replace_path;
pub mod replace_path_regex;
mod sniff;
pub mod strip_prefix;
pub mod strip_prefix_regex;
mod uri_path;

/// Registers every built-in middleware type in `registry`.
pub(super) fn register_all(registry: &mut Registry) {
    fn shared<M: Middleware>(m: M) -> Arc<dyn Middleware> {
        Arc::new(m)
    }
    chain::register(registry);
    super::forward_auth::register(registry);
    registry.register("rateLimit", |cfg: rate_limit::RateLimitConfig, _ctx| {
        Ok(shared(rate_limit::RateLimit::new(&cfg)?))
    });
    registry.register(
        "ipAllowList",
        |cfg: ip_allow_list::IpAllowListConfig, _ctx| {
            Ok(shared(ip_allow_list::IpAllowList::new(&cfg)?))
        },
    );
    registry.register(
        "ipWhiteList",
        |cfg: ip_allow_list::IpWhiteListConfig, _ctx| {
            tracing::warn!("middleware type ipWhiteList is deprecated, use ipAllowList");
            Ok(shared(ip_allow_list::IpAllowList::new(&cfg.into())?))
        },
    );
    registry.register(
        "inFlightReq",
        |cfg: in_flight_req::InFlightReqConfig, _ctx| {
            Ok(shared(in_flight_req::InFlightReq::new(&cfg)?))
        },
    );
    registry.register("basicAuth", |cfg: basic_auth::BasicAuthConfig, _ctx| {
        Ok(shared(basic_auth::BasicAuth::new(&cfg)?))
    });
    registry.register("digestAuth", |cfg: digest_auth::DigestAuthConfig, _ctx| {
        Ok(shared(digest_auth::DigestAuth::new(&cfg)?))
    });
    registry.register("buffering", |cfg: buffering::BufferingConfig, _ctx| {
        Ok(shared(buffering::Buffering::new(&cfg)?))
    });
    registry.register("retry", |cfg: retry::RetryConfig, _ctx| {
        Ok(shared(retry::Retry::new(&cfg)?))
    });
    registry.register("errors", |cfg: error_pages::ErrorPagesConfig, ctx| {
        error_pages::build(&cfg, ctx)
    });
    registry.register(
        "circuitBreaker",
        |cfg: circuit_breaker::CircuitBreakerConfig, _ctx| {
            Ok(shared(circuit_breaker::CircuitBreaker::new(&cfg)?))
        },
    );
    registry.register(
        "passTLSClientCert",
        |cfg: pass_tls_client_cert::PassTlsClientCertConfig, _ctx| {
            Ok(pass_tls_client_cert::build(&cfg))
        },
    );
    registry.register("addPrefix", add_prefix::build);
    registry.register("compress", compress::build);
    registry.register("contentType", content_type::build);
    registry.register("headers", headers::build);
    registry.register("redirectRegex", redirect::regex::build);
    registry.register("redirectScheme", redirect::scheme::build);
    registry.register("replacePath", replace_path::build);
    registry.register("replacePathRegex", replace_path_regex::build);
    registry.register("stripPrefix", strip_prefix::build);
    registry.register("stripPrefixRegex", strip_prefix_regex::build);
}

#[cfg(test)]
mod tests_b {
    use super::*;

    /// Every type of catalogue part B is registered under its Traefik name.
    #[test]
    fn part_b_types_are_registered() {
        let registry = Registry::with_builtins();
        for name in [
            "rateLimit",
            "ipAllowList",
            "ipWhiteList",
            "inFlightReq",
            "basicAuth",
            "digestAuth",
            "buffering",
            "retry",
            "errors",
            "passTLSClientCert",
            "circuitBreaker",
        ] {
            assert!(registry.contains(name), "{name} is not registered");
        }
    }
}
