//! Traefik's `ipStrategy`: which address is the client's.

use std::net::IpAddr;

use http::HeaderMap;
use serde::Deserialize;

use super::IpRanges;
use super::ranges::{mask_v6, parse_client_ip};
use crate::middleware::BuildError;
use crate::{ConnInfo, Request};

/// `ipStrategy` options, as in Traefik's dynamic configuration.
///
/// With no options the peer address is the client IP. `depth` wins over `excludedIPs`, and
/// `ipv6Subnet` applies to the peer address and to `depth` only (Traefik's `IPStrategy.Get`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct IpStrategyConfig {
    /// Take the `depth`-th `X-Forwarded-For` entry, counted from the right (1 = the last one).
    #[serde(default)]
    pub depth: i64,
    /// Take the right-most `X-Forwarded-For` entry that is not in these ranges.
    #[serde(default, rename = "excludedIPs")]
    pub excluded_ips: Vec<String>,
    /// Group IPv6 clients by their `/ipv6Subnet` network.
    #[serde(default, rename = "ipv6Subnet")]
    pub ipv6_subnet: Option<i64>,
}

/// A compiled [`IpStrategyConfig`].
///
/// ```
/// use rampart::middleware::builtin::source::{ClientIp, IpStrategy, IpStrategyConfig};
/// let cfg: IpStrategyConfig = rampart_config::from_value(
///     &serde_json::from_str(r#"{"depth": 2}"#).unwrap(),
/// ).unwrap();
/// let strategy = IpStrategy::new(&cfg, "ipStrategy").unwrap();
/// let req = http::Request::builder()
///     .header("x-forwarded-for", "10.0.0.3, 10.0.0.2, 10.0.0.1")
///     .body(rampart::Body::empty())
///     .unwrap();
/// assert_eq!(strategy.client_ip(&req), ClientIp::Text("10.0.0.2"));
/// ```
#[derive(Debug, Clone)]
pub enum IpStrategy {
    /// The TCP peer of the connection (from [`ConnInfo`]).
    RemoteAddr {
        /// Mask IPv6 peers to this prefix length.
        ipv6_subnet: Option<u8>,
    },
    /// The `depth`-th `X-Forwarded-For` entry from the right.
    Depth {
        /// 1 = the right-most entry.
        depth: usize,
        /// Mask IPv6 entries to this prefix length.
        ipv6_subnet: Option<u8>,
    },
    /// The right-most `X-Forwarded-For` entry outside these ranges.
    Excluded(IpRanges),
}

/// The client address an [`IpStrategy`] picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientIp<'a> {
    /// A parsed address (the peer, or a masked IPv6 subnet).
    Ip(IpAddr),
    /// An `X-Forwarded-For` entry as the request spelled it (it may not be an address at all).
    Text(&'a str),
    /// Nothing: no connection info, or not enough `X-Forwarded-For` entries. Traefik's empty
    /// string: never allowed by `ipAllowList`, one shared bucket for `rateLimit`.
    Unknown,
}

impl ClientIp<'_> {
    /// The address, when there is one that parses.
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            ClientIp::Ip(ip) => Some(ip),
            ClientIp::Text(text) => parse_client_ip(text),
            ClientIp::Unknown => None,
        }
    }
}

impl IpStrategy {
    /// Compiles `cfg`; `key` (e.g. `sourceCriterion.ipStrategy`) prefixes the option names in errors.
    pub fn new(cfg: &IpStrategyConfig, key: &str) -> Result<Self, BuildError> {
        if cfg.depth < 0 {
            return Err(BuildError::invalid(
                format!("{key}.depth"),
                "must be 0 or more",
            ));
        }
        let subnet = || -> Result<Option<u8>, BuildError> {
            match cfg.ipv6_subnet {
                None => Ok(None),
                Some(n @ 1..=128) => Ok(Some(u8::try_from(n).unwrap_or(128))),
                Some(n) => Err(BuildError::invalid(
                    format!("{key}.ipv6Subnet"),
                    format_args!("{n} is not a prefix length between 1 and 128"),
                )),
            }
        };
        if cfg.depth > 0 {
            return Ok(IpStrategy::Depth {
                depth: usize::try_from(cfg.depth).unwrap_or(usize::MAX),
                ipv6_subnet: subnet()?,
            });
        }
        if !cfg.excluded_ips.is_empty() {
            let ranges = IpRanges::parse(&cfg.excluded_ips)
                .map_err(|e| BuildError::invalid(format!("{key}.excludedIPs"), e))?;
            return Ok(IpStrategy::Excluded(ranges));
        }
        Ok(IpStrategy::RemoteAddr {
            ipv6_subnet: subnet()?,
        })
    }

    /// The client address of `req`.
    pub fn client_ip<'r>(&self, req: &'r Request) -> ClientIp<'r> {
        match self {
            IpStrategy::RemoteAddr { ipv6_subnet } => match ConnInfo::of(req) {
                Some(info) => {
                    ClientIp::Ip(apply_subnet(info.peer.ip().to_canonical(), *ipv6_subnet))
                }
                None => ClientIp::Unknown,
            },
            IpStrategy::Depth { depth, ipv6_subnet } => {
                match xff_from_right(req.headers()).nth(depth - 1) {
                    Some("") | None => ClientIp::Unknown,
                    Some(entry) => match (ipv6_subnet, entry.parse::<IpAddr>()) {
                        (Some(_), Ok(ip @ IpAddr::V6(_))) => {
                            ClientIp::Ip(apply_subnet(ip, *ipv6_subnet))
                        }
                        _ => ClientIp::Text(entry),
                    },
                }
            }
            IpStrategy::Excluded(ranges) => xff_from_right(req.headers())
                .filter(|entry| !entry.is_empty())
                .find(|entry| !matches!(entry.parse::<IpAddr>(), Ok(ip) if ranges.contains(ip)))
                .map_or(ClientIp::Unknown, ClientIp::Text),
        }
    }
}

fn apply_subnet(ip: IpAddr, subnet: Option<u8>) -> IpAddr {
    match (ip, subnet) {
        (IpAddr::V6(v6), Some(prefix)) => IpAddr::V6(mask_v6(v6, prefix)),
        _ => ip,
    }
}

/// The `X-Forwarded-For` entries, right-most first, trimmed.
///
/// Every `X-Forwarded-For` field line counts (RFC 9110 §5.3 makes several lines one list); Go's
/// `Header.Get` reads only the first, which would let a client's own line be picked when a proxy
/// appended a second one. A value that is not text yields one empty (unknown) entry.
fn xff_from_right(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(http::header::HeaderName::from_static("x-forwarded-for"))
        .iter()
        .rev()
        .flat_map(|v| v.to_str().unwrap_or("").rsplit(',').map(str::trim))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Body;

    fn strategy(json: &str) -> IpStrategy {
        let cfg: IpStrategyConfig =
            rampart_config::from_value(&serde_json::from_str(json).unwrap()).unwrap();
        IpStrategy::new(&cfg, "ipStrategy").unwrap()
    }

    fn request(peer: Option<&str>, xff: &[&str]) -> Request {
        let mut req = Request::new(Body::empty());
        for v in xff {
            req.headers_mut()
                .append("x-forwarded-for", v.parse().unwrap());
        }
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(Arc::new(ConnInfo::plain(peer.parse().unwrap(), "web")));
        }
        req
    }

    fn pick(s: &IpStrategy, req: &Request) -> String {
        match s.client_ip(req) {
            ClientIp::Ip(ip) => ip.to_string(),
            ClientIp::Text(t) => t.to_owned(),
            ClientIp::Unknown => String::new(),
        }
    }

    const STRATEGY_CASES: &[(&str, Option<&str>, &[&str], &str)] = &[
        ("{}", Some("192.0.2.1:1234"), &[], "192.0.2.1"),
        (
            "{}",
            Some("[::abcd:ffff:c0a8:1]:80"),
            &[],
            "::abcd:ffff:c0a8:1",
        ),
        (
            r#"{"ipv6Subnet": 24}"#,
            Some("192.0.2.1:1234"),
            &[],
            "192.0.2.1",
        ),
        (
            r#"{"ipv6Subnet": 80}"#,
            Some("[::abcd:ffff:c0a8:1]:80"),
            &[],
            "::abcd:0:0:0",
        ),
        ("{}", Some("[::ffff:192.0.2.9]:80"), &[], "192.0.2.9"),
        ("{}", None, &[], ""),
        (
            r#"{"depth": 3}"#,
            None,
            &["10.0.0.4,10.0.0.3,10.0.0.2,10.0.0.1"],
            "10.0.0.3",
        ),
        (r#"{"depth": 2}"#, None, &[], ""),
        (r#"{"depth": 2}"#, None, &["10.0.0.2,10.0.0.1"], "10.0.0.2"),
        (
            r#"{"depth": 2, "ipv6Subnet": 80}"#,
            None,
            &["10.0.0.3,10.0.0.2,10.0.0.1"],
            "10.0.0.2",
        ),
        (
            r#"{"depth": 2, "ipv6Subnet": 80}"#,
            None,
            &["10.0.0.3,::abcd:ffff:c0a8:1,10.0.0.1"],
            "::abcd:0:0:0",
        ),
        (
            r#"{"depth": 1}"#,
            None,
            &["10.0.0.1,11.0.0.1,12.0.0.1,13.0.0.1"],
            "13.0.0.1",
        ),
        (
            r#"{"depth": 5}"#,
            None,
            &["10.0.0.1,11.0.0.1,12.0.0.1,13.0.0.1"],
            "",
        ),
        (
            r#"{"excludedIPs": ["10.0.0.4", "10.0.0.3", "10.0.0.2", "10.0.0.1"]}"#,
            None,
            &["10.0.0.4,10.0.0.3,10.0.0.2,10.0.0.1"],
            "",
        ),
        (
            r#"{"excludedIPs": ["10.0.0.2", "10.0.0.1"]}"#,
            None,
            &["10.0.0.4,10.0.0.3,10.0.0.2,10.0.0.1"],
            "10.0.0.3",
        ),
        (
            r#"{"excludedIPs": ["10.0.0.1/24"]}"#,
            None,
            &["127.0.0.1,10.0.0.4,10.0.0.3,10.0.0.2,10.0.0.1"],
            "127.0.0.1",
        ),
        (
            r#"{"excludedIPs": ["12.0.0.1", "13.0.0.1"]}"#,
            None,
            &["10.0.0.1,11.0.0.1,12.0.0.1,13.0.0.1"],
            "11.0.0.1",
        ),
        (
            r#"{"excludedIPs": ["15.0.0.1", "16.0.0.1"]}"#,
            None,
            &["10.0.0.1,11.0.0.1,12.0.0.1,13.0.0.1"],
            "13.0.0.1",
        ),
        (
            r#"{"excludedIPs": ["10.0.0.1", "11.0.0.1"]}"#,
            None,
            &["10.0.0.1,11.0.0.1"],
            "",
        ),
        // depth wins over excludedIPs.
        (
            r#"{"depth": 1, "excludedIPs": ["13.0.0.1"]}"#,
            None,
            &["12.0.0.1,13.0.0.1"],
            "13.0.0.1",
        ),
        // Several header lines form one list.
        (
            r#"{"depth": 2}"#,
            None,
            &["10.0.0.9, 10.0.0.8", "10.0.0.7"],
            "10.0.0.8",
        ),
    ];

    /// Traefik's `TestRemoteAddrStrategy_GetIP`, `TestDepthStrategy_GetIP`,
    /// `TestTrustedIPsStrategy_GetIP` and the docs' tables.
    #[test]
    fn traefik_strategy_cases() {
        for (cfg, peer, xff, want) in STRATEGY_CASES {
            let s = strategy(cfg);
            assert_eq!(
                pick(&s, &request(*peer, xff)),
                *want,
                "{cfg} {peer:?} {xff:?}"
            );
        }
    }

    #[test]
    fn bad_options_name_the_key() {
        for (json, key) in [
            (r#"{"ipv6Subnet": 0}"#, "ipStrategy.ipv6Subnet"),
            (r#"{"ipv6Subnet": 129}"#, "ipStrategy.ipv6Subnet"),
            (
                r#"{"depth": 1, "ipv6Subnet": 500}"#,
                "ipStrategy.ipv6Subnet",
            ),
            (r#"{"depth": -1}"#, "ipStrategy.depth"),
            (r#"{"excludedIPs": ["nope"]}"#, "ipStrategy.excludedIPs"),
        ] {
            let cfg: IpStrategyConfig =
                rampart_config::from_value(&serde_json::from_str(json).unwrap()).unwrap();
            match IpStrategy::new(&cfg, "ipStrategy") {
                Err(BuildError::Invalid { key: k, .. }) => assert_eq!(k, key, "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }
}
