//! `loadBalancer` services: servers, balancing strategy, health checks, sticky sessions.

use std::collections::BTreeMap;

use super::names::{DEFAULT_SERVERS_TRANSPORT, QualifiedName};
use super::raw::{RawHealthCheck, RawLoadBalancer, RawSticky};
use crate::diag::Diagnostics;
use crate::duration::Duration;

/// `loadBalancer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    /// The servers (may be empty: then the service answers 503).
    pub servers: Vec<Server>,
    /// How a server is picked.
    pub strategy: Strategy,
    /// Forward the client's `Host` header (else the server's).
    pub pass_host_header: bool,
    /// Active health checks.
    pub health_check: Option<HealthCheck>,
    /// Passive health checks.
    pub passive_health_check: Option<PassiveHealthCheck>,
    /// Sticky sessions.
    pub sticky: Option<StickyCookie>,
    /// The servers transport, qualified (`default@internal` unless set).
    pub servers_transport: QualifiedName,
    /// `responseForwarding.flushInterval` (negative: flush after every write).
    pub flush_interval: Duration,
}

/// One upstream server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `scheme://host[:port][/path]`; the path is only used with `preserve_path`.
    pub url: String,
    /// Relative weight (0: no traffic).
    pub weight: u32,
    /// Prepend the URL's path to forwarded requests.
    pub preserve_path: bool,
}

/// `loadBalancer.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Weighted round robin (the default).
    #[default]
    Wrr,
    /// Power of two choices.
    P2c,
    /// Highest random weight.
    Hrw,
    /// Least response time.
    LeastTime,
}

/// `loadBalancer.healthCheck`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// Path to request.
    pub path: String,
    /// Scheme to use; empty: the server's.
    pub scheme: String,
    /// HTTP or gRPC health checks.
    pub grpc: bool,
    /// `Host` header to send; empty: the server's.
    pub hostname: String,
    /// Port to check; `None`: the server's.
    pub port: Option<u16>,
    /// Between checks of a healthy server.
    pub interval: Duration,
    /// Between checks of an unhealthy server (defaults to `interval`).
    pub unhealthy_interval: Duration,
    /// One check's timeout.
    pub timeout: Duration,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Follow redirects.
    pub follow_redirects: bool,
    /// Request method.
    pub method: String,
    /// Expected status; `None`: any 2xx or 3xx.
    pub status: Option<u16>,
}

/// `loadBalancer.passiveHealthCheck`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassiveHealthCheck {
    /// The window failures are counted in.
    pub failure_window: Duration,
    /// Failures in the window that mark a server down.
    pub max_failed_attempts: u32,
}

/// `sticky.cookie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickyCookie {
    /// The cookie name: as given with invalid characters replaced by `_`, or derived from the
    /// service name as Traefik does (`_` + 5 hex digits of a SHA-1).
    pub name: String,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `SameSite`.
    pub same_site: SameSite,
    /// `Max-Age` in seconds (0: a session cookie).
    pub max_age: i64,
    /// `Path` (`/`).
    pub path: String,
    /// `Domain` (empty: none).
    pub domain: String,
}

/// The cookie's `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Not sent.
    #[default]
    Unset,
    /// `None`.
    None,
    /// `Lax`.
    Lax,
    /// `Strict`.
    Strict,
}

/// Traefik's `cookie.GetName`: a given name sanitized, else derived from the service name.
pub(crate) fn cookie_name(given: Option<&str>, service: &str) -> String {
    if let Some(name) = given.filter(|n| !n.is_empty()) {
        name.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "!#$%&'*+-.^`|~".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    } else {
        let digest = ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            format!("_TRAEFIK_BACKEND_{service}").as_bytes(),
        );
        format!("_{}", crate::types::hex(digest.as_ref()))[..6].to_owned()
    }
}

pub(super) fn sticky(
    key: &str,
    service: &QualifiedName,
    raw: Option<RawSticky>,
    d: &mut Diagnostics<'_>,
) -> Option<StickyCookie> {
    let cookie = raw?.cookie?;
    let same_site = match cookie
        .same_site
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") => SameSite::Unset,
        Some("none") => SameSite::None,
        Some("lax") => SameSite::Lax,
        Some("strict") => SameSite::Strict,
        Some(other) => {
            d.error(
                &format!("{key}.sticky.cookie.sameSite"),
                format!("`{other}` is not one of none, lax, strict"),
            );
            SameSite::Unset
        }
    };
    Some(StickyCookie {
        name: cookie_name(cookie.name.as_deref(), service.as_str()),
        secure: cookie.secure.unwrap_or(false),
        http_only: cookie.http_only.unwrap_or(false),
        same_site,
        max_age: cookie.max_age.unwrap_or(0),
        path: cookie.path.unwrap_or_else(|| "/".to_owned()),
        domain: cookie.domain.unwrap_or_default(),
    })
}

pub(super) fn load_balancer(
    key: &str,
    name: &QualifiedName,
    raw: RawLoadBalancer,
    d: &mut Diagnostics<'_>,
) -> LoadBalancer {
    let mut servers = Vec::new();
    for (i, s) in raw.servers.unwrap_or_default().into_iter().enumerate() {
        let url = s.url.unwrap_or_default();
        if let Err(e) = check_server_url(&url) {
            d.error(&format!("{key}.servers[{i}].url"), e);
            continue;
        }
        let Ok(weight) = u32::try_from(s.weight.unwrap_or(1)) else {
            d.error(
                &format!("{key}.servers[{i}].weight"),
                "a weight must not be negative",
            );
            continue;
        };
        servers.push(Server {
            url,
            weight,
            preserve_path: s.preserve_path.unwrap_or(false),
        });
    }
    let strategy = match raw
        .strategy
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("" | "wrr") => Strategy::Wrr,
        Some("p2c") => Strategy::P2c,
        Some("hrw") => Strategy::Hrw,
        Some("leasttime") => Strategy::LeastTime,
        Some(other) => {
            d.error(
                &format!("{key}.strategy"),
                format!("`{other}` is not one of wrr, p2c, hrw, leasttime"),
            );
            Strategy::Wrr
        }
    };
    let servers_transport = match raw.servers_transport.as_deref().map(str::trim) {
        None | Some("") => QualifiedName::resolve(DEFAULT_SERVERS_TRANSPORT, "internal").ok(),
        Some(t) => QualifiedName::resolve(t, name.provider())
            .map_err(|e| d.error(&format!("{key}.serversTransport"), e))
            .ok(),
    };
    LoadBalancer {
        servers,
        strategy,
        pass_host_header: raw.pass_host_header.unwrap_or(true),
        health_check: raw
            .health_check
            .map(|h| health_check(&format!("{key}.healthCheck"), h, d)),
        passive_health_check: raw.passive_health_check.map(|p| PassiveHealthCheck {
            failure_window: p.failure_window.unwrap_or(Duration::from_secs(10)),
            max_failed_attempts: p
                .max_failed_attempts
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| n > 0)
                .unwrap_or(1),
        }),
        sticky: sticky(key, name, raw.sticky, d),
        servers_transport: servers_transport.unwrap_or_else(|| {
            QualifiedName::resolve(DEFAULT_SERVERS_TRANSPORT, "internal")
                .expect("a valid built-in name")
        }),
        flush_interval: raw
            .response_forwarding
            .and_then(|r| r.flush_interval)
            .unwrap_or(Duration::from_millis(100)),
    }
}

fn health_check(key: &str, raw: RawHealthCheck, d: &mut Diagnostics<'_>) -> HealthCheck {
    let interval = raw
        .interval
        .filter(|i| *i > Duration::ZERO)
        .unwrap_or(Duration::from_secs(30));
    let grpc = match raw.mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "http") => false,
        Some("grpc") => true,
        Some(other) => {
            d.error(
                &format!("{key}.mode"),
                format!("`{other}` is not one of http, grpc"),
            );
            false
        }
    };
    let port = match raw.port {
        None | Some(0) => None,
        Some(p) => u16::try_from(p)
            .map_err(|_| d.error(&format!("{key}.port"), format!("{p} is not a port")))
            .ok(),
    };
    let status = match raw.status {
        None | Some(0) => None,
        Some(s) => u16::try_from(s)
            .ok()
            .filter(|s| (100..=999).contains(s))
            .or_else(|| {
                d.error(
                    &format!("{key}.status"),
                    format!("{s} is not an HTTP status"),
                );
                None
            }),
    };
    HealthCheck {
        path: raw.path.unwrap_or_default(),
        scheme: raw.scheme.unwrap_or_default(),
        grpc,
        hostname: raw.hostname.unwrap_or_default(),
        port,
        interval,
        unhealthy_interval: raw
            .unhealthy_interval
            .filter(|i| *i > Duration::ZERO)
            .unwrap_or(interval),
        timeout: raw
            .timeout
            .filter(|t| *t > Duration::ZERO)
            .unwrap_or(Duration::from_secs(5)),
        headers: raw.headers.unwrap_or_default(),
        follow_redirects: raw.follow_redirects.unwrap_or(true),
        method: raw
            .method
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "GET".to_owned()),
        status,
    }
}

/// A server URL: `http`, `https` or `h2c`, with a host and an optional valid port.
fn check_server_url(url: &str) -> Result<(), String> {
    if url.trim().is_empty() {
        return Err("`url` is required".to_owned());
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not an absolute URL (e.g. `http://app:8080`)"))?;
    if !["http", "https", "h2c"].contains(&scheme.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "`{url}`: scheme `{scheme}` is not one of http, https, h2c"
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("`{url}`: unclosed `[`"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(format!(
            "`{url}`: port `{port}` is not a number from 0 to 65535"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_names_follow_traefik() {
        assert_eq!(cookie_name(Some("my cookie;"), "app@file"), "my_cookie_");
        // `"_" + hex(sha1("_TRAEFIK_BACKEND_app@file"))[..5]`, computed independently.
        let derived = cookie_name(None, "app@file");
        assert_eq!(derived, "_fb0b0");
        assert_eq!(derived, cookie_name(Some(""), "app@file"));
        assert_ne!(derived, cookie_name(None, "other@file"));
    }

    #[test]
    fn server_urls_are_checked() {
        for ok in [
            "http://app:8080",
            "https://[::1]:8443/base",
            "h2c://grpc",
            "http://u:p@host/",
        ] {
            assert!(check_server_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "app:8080",
            "ftp://x",
            "http://",
            "http://host:99999",
            "http://[::1",
        ] {
            assert!(check_server_url(bad).is_err(), "{bad}");
        }
    }
}
