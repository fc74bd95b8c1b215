//! `ipAllowList` (and its deprecated name `ipWhiteList`): only clients in `sourceRange` get
//! through; the others get `rejectStatusCode` (default 403) with its reason phrase.
//!
//! The client IP comes from `ipStrategy` (default: the peer address). A client whose IP cannot be
//! determined (no connection info, too few `X-Forwarded-For` entries, an entry that is not an
//! address) is refused, as in Traefik.

use http::StatusCode;
use serde::Deserialize;

use super::source::{IpRanges, IpStrategy, IpStrategyConfig};
use crate::error::status_response;
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Request, Response};

/// `ipAllowList` options: `sourceRange` (required), `ipStrategy`, `rejectStatusCode`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpAllowListConfig {
    #[serde(default)]
    source_range: Vec<String>,
    #[serde(default)]
    ip_strategy: Option<IpStrategyConfig>,
    #[serde(default)]
    reject_status_code: u16,
}

/// `ipWhiteList` options (Traefik's deprecated name): as `ipAllowList`, without
/// `rejectStatusCode` (always 403).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpWhiteListConfig {
    #[serde(default)]
    source_range: Vec<String>,
    #[serde(default)]
    ip_strategy: Option<IpStrategyConfig>,
}

impl From<IpWhiteListConfig> for IpAllowListConfig {
    fn from(c: IpWhiteListConfig) -> Self {
        IpAllowListConfig {
            source_range: c.source_range,
            ip_strategy: c.ip_strategy,
            reject_status_code: 0,
        }
    }
}

/// The `ipAllowList` middleware.
///
/// ```
/// use rampart::middleware::builtin::ip_allow_list::{IpAllowList, IpAllowListConfig};
/// let cfg: IpAllowListConfig = rampart_config::from_value(
///     &serde_json::from_str(r#"{"sourceRange": ["127.0.0.1/32", "192.168.1.7"], "rejectStatusCode": 404}"#).unwrap(),
/// ).unwrap();
/// let allow = IpAllowList::new(&cfg).unwrap();
/// assert!(allow.allows("192.168.1.7".parse().unwrap()));
/// assert!(!allow.allows("192.168.1.8".parse().unwrap()));
/// ```
#[derive(Debug)]
pub struct IpAllowList {
    ranges: IpRanges,
    strategy: IpStrategy,
    reject: StatusCode,
}

impl IpAllowList {
    /// Builds the middleware, checking every range and the status code.
    pub fn new(cfg: &IpAllowListConfig) -> Result<Self, BuildError> {
        if cfg.source_range.is_empty() {
            return Err(BuildError::invalid(
                "sourceRange",
                "is empty: no client could ever pass",
            ));
        }
        let ranges = IpRanges::parse(&cfg.source_range)
            .map_err(|e| BuildError::invalid("sourceRange", e))?;
        let strategy = IpStrategy::new(&cfg.ip_strategy.clone().unwrap_or_default(), "ipStrategy")?;
        let reject = match cfg.reject_status_code {
            0 => StatusCode::FORBIDDEN,
            code => StatusCode::from_u16(code)
                .ok()
                .filter(|s| s.canonical_reason().is_some())
                .ok_or_else(|| {
                    BuildError::invalid(
                        "rejectStatusCode",
                        format_args!("{code} is not a known HTTP status"),
                    )
                })?,
        };
        Ok(IpAllowList {
            ranges,
            strategy,
            reject,
        })
    }

    /// Whether `ip` is in `sourceRange`.
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.ranges.contains(ip)
    }
}

impl Middleware for IpAllowList {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let client = self.strategy.client_ip(&req);
        if client.ip().is_some_and(|ip| self.ranges.contains(ip)) {
            return next.run(req);
        }
        tracing::debug!(client = ?client, "ipAllowList: rejecting");
        let reject = self.reject;
        Box::pin(async move { status_response(reject) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::middleware::builtin::test_support_b::{Echo, config, get_from, run, text};

    fn allow_list(json: &str) -> Result<IpAllowList, BuildError> {
        IpAllowList::new(&config(json))
    }

    /// Traefik's `TestNewIPAllowLister` and `TestIPAllowLister_ServeHTTP`.
    #[tokio::test]
    async fn traefik_cases() {
        assert!(
            matches!(allow_list(r#"{"sourceRange": ["foo"]}"#), Err(BuildError::Invalid { key, .. }) if key == "sourceRange")
        );
        assert!(
            matches!(allow_list(r#"{"sourceRange": []}"#), Err(BuildError::Invalid { key, .. }) if key == "sourceRange")
        );
        assert!(
            matches!(allow_list(r#"{"sourceRange": ["10.10.10.10"], "rejectStatusCode": 600}"#), Err(BuildError::Invalid { key, .. }) if key == "rejectStatusCode")
        );
        let cases = [
            (
                r#"{"sourceRange": ["20.20.20.20"]}"#,
                "20.20.20.20:1234",
                200,
            ),
            (
                r#"{"sourceRange": ["20.20.20.20"]}"#,
                "20.20.20.21:1234",
                403,
            ),
            (
                r#"{"sourceRange": ["20.20.20.20"], "rejectStatusCode": 404}"#,
                "20.20.20.20:1234",
                200,
            ),
            (
                r#"{"sourceRange": ["20.20.20.20"], "rejectStatusCode": 404}"#,
                "20.20.20.21:1234",
                404,
            ),
            (
                r#"{"sourceRange": ["20.20.20.0/24"]}"#,
                "[::ffff:20.20.20.9]:1234",
                200,
            ),
        ];
        for (json, peer, want) in cases {
            let mw: Arc<dyn Middleware> = Arc::new(allow_list(json).unwrap());
            let res = run(&mw, &Echo::default(), get_from("/", peer)).await;
            assert_eq!(res.status(), want, "{json} {peer}");
        }
    }

    #[tokio::test]
    async fn spoofed_forwarded_for_does_not_help_with_the_default_strategy() {
        let mw: Arc<dyn Middleware> =
            Arc::new(allow_list(r#"{"sourceRange": ["10.0.0.0/8"]}"#).unwrap());
        let mut req = get_from("/", "203.0.113.9:5555");
        req.headers_mut()
            .insert("x-forwarded-for", "10.0.0.1".parse().unwrap());
        let res = run(&mw, &Echo::default(), req).await;
        assert_eq!(res.status(), 403);
        assert_eq!(text(res).await, "Forbidden");
    }

    #[tokio::test]
    async fn depth_strategy_and_unknown_clients() {
        let mw: Arc<dyn Middleware> = Arc::new(
            allow_list(r#"{"sourceRange": ["10.0.0.0/8"], "ipStrategy": {"depth": 2}}"#).unwrap(),
        );
        let echo = Echo::default();
        let with_xff = |xff: &str| {
            let mut r = get_from("/", "192.0.2.1:1");
            r.headers_mut()
                .insert("x-forwarded-for", xff.parse().unwrap());
            r
        };
        assert_eq!(
            run(&mw, &echo, with_xff("10.1.1.1, 192.0.2.50"))
                .await
                .status(),
            200
        );
        assert_eq!(
            run(&mw, &echo, with_xff("192.0.2.50, 10.1.1.1"))
                .await
                .status(),
            403
        );
        assert_eq!(
            run(&mw, &echo, with_xff("10.1.1.1")).await.status(),
            403,
            "too few entries"
        );
        assert_eq!(run(&mw, &echo, with_xff("garbage, x")).await.status(), 403);
        // No connection info at all: unknown peer, refused.
        let bare = http::Request::get("/").body(crate::Body::empty()).unwrap();
        let open: Arc<dyn Middleware> =
            Arc::new(allow_list(r#"{"sourceRange": ["0.0.0.0/0"]}"#).unwrap());
        assert_eq!(run(&open, &echo, bare).await.status(), 403);
    }

    #[test]
    fn white_list_has_no_reject_status() {
        let err = rampart_config::from_value::<IpWhiteListConfig>(
            &serde_json::from_str(r#"{"sourceRange": ["1.2.3.4"], "rejectStatusCode": 404}"#)
                .unwrap(),
        );
        assert!(err.is_err());
        let cfg: IpWhiteListConfig = config(r#"{"sourceRange": ["1.2.3.4"]}"#);
        assert!(IpAllowList::new(&cfg.into()).is_ok());
    }
}
