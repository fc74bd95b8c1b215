//! Traefik's `sourceCriterion`: what groups requests as coming from one source.

use std::hash::{BuildHasher, Hash, Hasher};

use http::HeaderName;
use serde::Deserialize;

use super::{ClientIp, IpStrategy, IpStrategyConfig};
use crate::Request;
use crate::middleware::BuildError;

/// `sourceCriterion` options: exactly one of `ipStrategy`, `requestHeaderName`, `requestHost`.
///
/// Several at once is an error, as in Traefik (`GetSourceExtractor`); none means the middleware's
/// default (the peer IP for `rateLimit`, the request host for `inFlightReq`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct SourceCriterionConfig {
    /// Group by client IP, picked by this strategy.
    #[serde(default, rename = "ipStrategy")]
    pub ip_strategy: Option<IpStrategyConfig>,
    /// Group by the value of this request header.
    #[serde(default)]
    pub request_header_name: String,
    /// Group by the request host (`Host`, or the HTTP/2 `:authority`), port included.
    #[serde(default)]
    pub request_host: bool,
}

/// A compiled [`SourceCriterionConfig`]: turns a request into the key of its source.
///
/// ```
/// use rampart::middleware::builtin::source::{SourceCriterion, SourceCriterionConfig};
/// let cfg: SourceCriterionConfig = rampart_config::from_value(
///     &serde_json::from_str(r#"{"requestHeaderName": "X-Tenant"}"#).unwrap(),
/// ).unwrap();
/// let criterion = SourceCriterion::new(Some(&cfg), SourceCriterion::peer_ip(), "sourceCriterion").unwrap();
/// let req = |tenant: &str| http::Request::builder()
///     .header("x-tenant", tenant)
///     .body(rampart::Body::empty())
///     .unwrap();
/// let hasher = std::collections::hash_map::RandomState::new();
/// assert_eq!(criterion.key(&req("a"), &hasher), criterion.key(&req("a"), &hasher));
/// assert_ne!(criterion.key(&req("a"), &hasher), criterion.key(&req("b"), &hasher));
/// ```
#[derive(Debug, Clone)]
pub enum SourceCriterion {
    /// The client IP as the strategy picks it.
    Ip(IpStrategy),
    /// The value of a request header (missing: the empty value, one shared source).
    Header(HeaderName),
    /// The request host.
    Host,
}

impl SourceCriterion {
    /// The default criterion of `rateLimit`: the peer address.
    pub fn peer_ip() -> Self {
        SourceCriterion::Ip(IpStrategy::RemoteAddr { ipv6_subnet: None })
    }

    /// Compiles `cfg`, or takes `default` when it sets no criterion; `key` names the option in
    /// errors.
    pub fn new(
        cfg: Option<&SourceCriterionConfig>,
        default: SourceCriterion,
        key: &str,
    ) -> Result<Self, BuildError> {
        let Some(cfg) = cfg else { return Ok(default) };
        let header = !cfg.request_header_name.is_empty();
        let set = [cfg.ip_strategy.is_some(), header, cfg.request_host];
        if set.iter().filter(|s| **s).count() > 1 {
            return Err(BuildError::invalid(
                key,
                "ipStrategy, requestHeaderName and requestHost are mutually exclusive",
            ));
        }
        if let Some(ip) = &cfg.ip_strategy {
            return Ok(SourceCriterion::Ip(IpStrategy::new(
                ip,
                &format!("{key}.ipStrategy"),
            )?));
        }
        if header {
            let name = HeaderName::try_from(cfg.request_header_name.as_str()).map_err(|_| {
                BuildError::invalid(
                    format!("{key}.requestHeaderName"),
                    format_args!("`{}` is not a header name", cfg.request_header_name),
                )
            })?;
            return Ok(SourceCriterion::Header(name));
        }
        if cfg.request_host {
            return Ok(SourceCriterion::Host);
        }
        Ok(default)
    }

    /// A 64-bit key for the source of `req`, hashed with `hasher`.
    ///
    /// Buckets and counters are keyed by this hash rather than by the source text: no allocation
    /// per request, and a fixed size per entry. With a randomly keyed hasher (`SipHash` with a
    /// per-middleware `RandomState`) a client cannot aim for another client's key.
    pub fn key<S: BuildHasher>(&self, req: &Request, hasher: &S) -> u64 {
        let mut h = hasher.build_hasher();
        match self {
            SourceCriterion::Ip(strategy) => match strategy.client_ip(req) {
                ClientIp::Ip(ip) => (0u8, ip).hash(&mut h),
                ClientIp::Text(text) => match text.parse::<std::net::IpAddr>() {
                    // The same address spelled as the peer or as a header entry is one source.
                    Ok(ip) => (0u8, ip.to_canonical()).hash(&mut h),
                    Err(_) => (1u8, text).hash(&mut h),
                },
                ClientIp::Unknown => 2u8.hash(&mut h),
            },
            SourceCriterion::Header(name) => {
                let value = req.headers().get(name).map_or(&b""[..], |v| v.as_bytes());
                (3u8, value).hash(&mut h);
            }
            SourceCriterion::Host => (4u8, host_of(req)).hash(&mut h),
        }
        h.finish()
    }
}

/// The request host as Go's `Request.Host` holds it: the `Host` header, else the URI authority
/// (HTTP/2 `:authority`).
pub(crate) fn host_of(req: &Request) -> &[u8] {
    req.headers()
        .get(http::header::HOST)
        .map(http::HeaderValue::as_bytes)
        .or_else(|| req.uri().authority().map(|a| a.as_str().as_bytes()))
        .unwrap_or(b"")
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::RandomState;

    use super::*;
    use crate::Body;

    fn build(json: &str) -> Result<SourceCriterion, BuildError> {
        let cfg: SourceCriterionConfig =
            rampart_config::from_value(&serde_json::from_str(json).unwrap()).unwrap();
        SourceCriterion::new(Some(&cfg), SourceCriterion::Host, "sourceCriterion")
    }

    #[test]
    fn criteria_are_mutually_exclusive() {
        for json in [
            r#"{"ipStrategy": {}, "requestHeaderName": "Foo"}"#,
            r#"{"ipStrategy": {}, "requestHost": true}"#,
            r#"{"requestHeaderName": "Foo", "requestHost": true}"#,
        ] {
            assert!(
                matches!(build(json), Err(BuildError::Invalid { key, .. }) if key == "sourceCriterion"),
                "{json}"
            );
        }
        assert!(
            matches!(build(r#"{"requestHeaderName": "bad header"}"#), Err(BuildError::Invalid { key, .. }) if key == "sourceCriterion.requestHeaderName")
        );
    }

    #[test]
    fn none_set_takes_the_default() {
        assert!(matches!(build("{}").unwrap(), SourceCriterion::Host));
        assert!(matches!(
            build(r#"{"requestHost": true}"#).unwrap(),
            SourceCriterion::Host
        ));
        assert!(matches!(
            build(r#"{"ipStrategy": {}}"#).unwrap(),
            SourceCriterion::Ip(_)
        ));
    }

    #[test]
    fn host_key_uses_host_header_or_authority() {
        let c = SourceCriterion::Host;
        let s = RandomState::new();
        let with_header = http::Request::builder()
            .header("host", "a.test")
            .body(Body::empty())
            .unwrap();
        let with_authority = http::Request::builder()
            .uri("http://a.test/x")
            .body(Body::empty())
            .unwrap();
        let other = http::Request::builder()
            .header("host", "b.test")
            .body(Body::empty())
            .unwrap();
        assert_eq!(c.key(&with_header, &s), c.key(&with_authority, &s));
        assert_ne!(c.key(&with_header, &s), c.key(&other, &s));
    }
}
