//! Hop-by-hop headers at the backend hop (Go's `httputil.ReverseProxy`, which Traefik uses).
//!
//! ```
//! use http::HeaderMap;
//! let mut h = HeaderMap::new();
//! h.insert("connection", "close, x-forwarded-host, foo".parse().unwrap());
//! h.insert("x-forwarded-host", "app.test".parse().unwrap());
//! h.insert("foo", "bar".parse().unwrap());
//! let upgrade = rampart::service::hop::strip_request(&mut h);
//! assert!(upgrade.is_none());
//! assert_eq!(h.len(), 1); // Connection cannot remove a managed header
//! ```

use http::HeaderMap;
use http::header::{CONNECTION, HeaderName, HeaderValue, TE, TRAILER, UPGRADE};

use crate::entrypoint::connection_tokens;
use crate::forwarded::{HOP_BY_HOP, is_managed};

/// Dropped at the backend hop besides [`HOP_BY_HOP`]: Go's `hopHeaders` also lists the
/// `Proxy-*` ones (`Proxy-Authorization` is for this proxy, not for the application behind
/// it). `HTTP2-Settings` belongs to an `h2c` upgrade of the client's own connection (RFC 7540
/// §3.2.1 makes it a connection option); Go forwards it unless `Connection` lists it, but with
/// the upgrade never forwarded it could only confuse the backend (attack catalogue B8).
const PROXY_ONLY: [HeaderName; 4] = [
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("proxy-authenticate"),
    HeaderName::from_static("proxy-authorization"),
    HeaderName::from_static("http2-settings"),
];

/// Strips a request's hop-by-hop headers for the upstream.
///
/// Removes what `Connection` lists (never a managed `X-Forwarded-*` header: CVE-2024-45410),
/// then the fixed list. Keeps `TE: trailers` (gRPC needs it, as Go keeps it), the `Trailer`
/// announcement (hyper only sends announced trailers), and re-adds `Connection: Upgrade` plus
/// `Upgrade` for an upgrade request, whose protocol it returns.
///
/// An upgrade to `h2c` is never forwarded: a backend that accepted it would get a raw HTTP/2
/// tunnel from the client, past routing and forwardAuth (h2c smuggling, attack catalogue E8).
pub fn strip_request(headers: &mut HeaderMap) -> Option<HeaderValue> {
    if !has_any_hop(headers) {
        return None;
    }
    let upgrade = if has_token(headers, &CONNECTION, "upgrade") {
        headers
            .get(UPGRADE)
            .filter(|v| {
                v.as_bytes()
                    .iter()
                    .all(|b| b.is_ascii_graphic() || *b == b' ')
            })
            .filter(|v| !connection_tokens(v).any(|t| t.eq_ignore_ascii_case("h2c")))
            .cloned()
    } else {
        None
    };
    let te_trailers = has_token(headers, &TE, "trailers");
    let trailer = headers.get(TRAILER).cloned();
    remove_listed(headers, true);
    remove_fixed(headers);
    if te_trailers {
        headers.insert(TE, HeaderValue::from_static("trailers"));
    }
    if let Some(t) = trailer {
        headers.insert(TRAILER, t);
    }
    if let Some(up) = &upgrade {
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(UPGRADE, up.clone());
    }
    upgrade
}

/// Strips a response's hop-by-hop headers for the client (keeping the `Trailer` announcement).
pub fn strip_response(headers: &mut HeaderMap) {
    if !has_any_hop(headers) {
        return;
    }
    let trailer = headers.get(TRAILER).cloned();
    remove_listed(headers, false);
    remove_fixed(headers);
    if let Some(t) = trailer {
        headers.insert(TRAILER, t);
    }
}

/// Cheap pre-check: most requests carry none of these, and then nothing is touched. One scan
/// of the names (a length switch and a compare each) instead of a hashed lookup per listed name.
fn has_any_hop(headers: &HeaderMap) -> bool {
    headers.keys().any(|k| {
        matches!(
            k.as_str(),
            "connection"
                | "keep-alive"
                | "te"
                | "trailer"
                | "trailers"
                | "transfer-encoding"
                | "upgrade"
                | "proxy-connection"
                | "proxy-authenticate"
                | "proxy-authorization"
                | "http2-settings"
        )
    })
}

fn remove_fixed(headers: &mut HeaderMap) {
    for h in HOP_BY_HOP.iter().chain(PROXY_ONLY.iter()) {
        headers.remove(h);
    }
}

fn remove_listed(headers: &mut HeaderMap, protect_managed: bool) {
    let mut doomed: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(CONNECTION) {
        for token in connection_tokens(value) {
            if protect_managed && is_managed(token) {
                continue;
            }
            if let Ok(name) = HeaderName::from_bytes(token.as_bytes())
                && headers.contains_key(&name)
            {
                doomed.push(name);
            }
        }
    }
    for name in doomed {
        headers.remove(name);
    }
}

fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|v| connection_tokens(v).any(|t| t.eq_ignore_ascii_case(token)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pre_check_knows_every_stripped_name() {
        for name in HOP_BY_HOP.iter().chain(PROXY_ONLY.iter()) {
            let mut h = HeaderMap::new();
            h.insert("accept", HeaderValue::from_static("*/*"));
            h.insert(name.clone(), HeaderValue::from_static("x"));
            assert!(has_any_hop(&h), "{name}");
        }
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_static("*/*"));
        h.insert("x-connection", HeaderValue::from_static("x"));
        assert!(!has_any_hop(&h));
    }

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn b8_hop_by_hop_headers_never_reach_the_app() {
        // Attack catalogue B8.
        let mut h = map(&[
            ("connection", "Upgrade, HTTP2-Settings, Foo"),
            ("keep-alive", "300"),
            ("te", "trailers, deflate"),
            ("trailer", "X"),
            ("upgrade", "h2c"),
            ("http2-settings", "AAMAAABkAARAAAAAAAIAAAAA"),
            ("proxy-connection", "keep-alive"),
            ("proxy-authorization", "Basic eDp5"),
            ("foo", "bar"),
            ("x-forwarded-for", "1.2.3.4"),
            ("accept", "*/*"),
        ]);
        let upgrade = strip_request(&mut h);
        for gone in [
            "keep-alive",
            "http2-settings",
            "proxy-connection",
            "proxy-authorization",
            "foo",
        ] {
            assert!(!h.contains_key(gone), "{gone} was forwarded");
        }
        assert_eq!(h["te"], "trailers");
        assert_eq!(h["trailer"], "X");
        assert_eq!(h["x-forwarded-for"], "1.2.3.4");
        assert_eq!(h["accept"], "*/*");
        // E8: an h2c upgrade is dropped, never forwarded.
        assert!(upgrade.is_none());
        assert!(!h.contains_key("upgrade") && !h.contains_key("connection"));
    }

    #[test]
    fn http2_settings_is_dropped_even_when_connection_does_not_list_it() {
        // Found end to end: `Upgrade: h2c` went, its `HTTP2-Settings` reached the app.
        let mut h = map(&[
            ("upgrade", "h2c"),
            ("http2-settings", "AAMAAABkAARAAAAAAAIAAAAA"),
        ]);
        assert!(strip_request(&mut h).is_none());
        assert!(h.is_empty(), "{h:?}");
    }

    #[test]
    fn websocket_upgrades_are_kept() {
        let mut h = map(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(strip_request(&mut h).unwrap(), "websocket");
        assert_eq!(h["connection"], "Upgrade");
        assert_eq!(h["upgrade"], "websocket");
        let mut h = map(&[("connection", "Upgrade"), ("upgrade", "websocket, H2C")]);
        assert!(
            strip_request(&mut h).is_none(),
            "a list naming h2c is dropped whole"
        );
    }

    #[test]
    fn connection_cannot_remove_managed_headers_at_the_backend_hop() {
        let mut h = map(&[
            ("connection", "close, X-Forwarded-Host, x_real_ip"),
            ("x-forwarded-host", "app.test"),
            ("x_real_ip", "1.2.3.4"),
        ]);
        strip_request(&mut h);
        assert_eq!(h["x-forwarded-host"], "app.test");
        assert_eq!(h["x_real_ip"], "1.2.3.4");
        assert!(!h.contains_key("connection"));
    }

    #[test]
    fn te_without_trailers_is_dropped_and_plain_requests_are_untouched() {
        let mut h = map(&[("te", "gzip"), ("accept", "*/*")]);
        strip_request(&mut h);
        assert!(!h.contains_key("te"));
        let mut h = map(&[("accept", "*/*")]);
        let before = h.clone();
        strip_request(&mut h);
        assert_eq!(h, before);
    }

    #[test]
    fn response_drops_connection_listed_and_fixed_headers() {
        let mut h = map(&[
            ("connection", "x-secret, close"),
            ("x-secret", "1"),
            ("transfer-encoding", "chunked"),
            ("trailer", "grpc-status"),
            ("content-type", "text/plain"),
        ]);
        strip_response(&mut h);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h["trailer"], "grpc-status");
    }
}
