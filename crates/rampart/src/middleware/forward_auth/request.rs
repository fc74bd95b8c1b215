//! The auth request: which client headers go, and the `X-Forwarded-*` the auth server gets
//! (Traefik forward.go `writeHeader` / `oldWriteHeader`).

use std::sync::Arc;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;

use super::names::{connection_tokens, remove_aliases};
use crate::ConnInfo;
use crate::forwarded::{HOP_BY_HOP, MANAGED, ip_value, is_managed, remove_managed, write_ip};

/// The three behaviours of `trustForwardHeader` (Traefik ≥ 3.6.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trust {
    /// `true`: keep the `X-Forwarded-*` the request has (the entrypoint sanitised them).
    Keep,
    /// `false`: delete every managed header (and alias), then compute each.
    Rebuild,
    /// Unset: Traefik's legacy mix (overwrite five, pass the rest through).
    Legacy,
}

const XFF: HeaderName = HeaderName::from_static("x-forwarded-for");
const XF_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
const XF_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const XF_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const XF_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const XF_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");

/// The host the client asked for: the absolute-form or HTTP/2 authority, else `Host` (Go's
/// `req.Host`).
pub(crate) fn request_host(parts: &Parts) -> &str {
    parts
        .uri
        .authority()
        .map(http::uri::Authority::as_str)
        .or_else(|| {
            parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
        })
        .unwrap_or("")
}

/// Go's `URL.RequestURI()`: the path (`/` when empty) and the query.
pub(crate) fn request_uri(parts: &Parts) -> String {
    let path = parts.uri.path();
    let path = if path.is_empty() { "/" } else { path };
    match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    }
}

/// A websocket handshake: HTTP/1.1 `Connection: upgrade` + `Upgrade: websocket`, or an
/// HTTP/2 extended CONNECT for `websocket` (RFC 8441).
pub(crate) fn is_websocket(parts: &Parts) -> bool {
    // `Upgrade` first: without it (nearly every request) the `Connection` list, which
    // allocates, is not split at all.
    let h1 = parts
        .headers
        .get_all(header::UPGRADE)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
        && connection_tokens(&parts.headers)
            .iter()
            .any(|t| t == "upgrade");
    h1 || (parts.method == http::Method::CONNECT
        && parts
            .extensions
            .get::<hyper::ext::Protocol>()
            .is_some_and(|p| p.as_str().eq_ignore_ascii_case("websocket")))
}

fn conn_info(parts: &Parts) -> Option<&ConnInfo> {
    parts.extensions.get::<Arc<ConnInfo>>().map(AsRef::as_ref)
}

/// The client headers the auth request starts from: all of them but hop-by-hop ones, those the
/// `Connection` header lists (never a managed `X-Forwarded-*`: CVE-2024-45410), and the ones
/// the HTTP client writes itself (`Host`, `Content-Length`).
pub(crate) fn copied_headers(parts: &Parts) -> HeaderMap {
    // A clone copies the hash table as it is (no rehashing of every name, values shared);
    // the few names that must not go are then removed.
    let mut out = parts.headers.clone();
    out.remove(header::HOST);
    out.remove(header::CONTENT_LENGTH);
    let hop = out.keys().any(|k| HOP_BY_HOP.contains(k));
    if !hop {
        return out;
    }
    let listed = connection_tokens(&parts.headers);
    let doomed: Vec<HeaderName> = out
        .keys()
        .filter(|name| {
            HOP_BY_HOP.contains(name)
                || (listed.iter().any(|t| t == name.as_str()) && !is_managed(name.as_str()))
        })
        .cloned()
        .collect();
    for name in doomed {
        out.remove(name);
    }
    out
}

/// Removes every managed `X-Forwarded-*` header and every alias of one (`_`, `.`, …):
/// `trustForwardHeader: false` (GHSA-6384-m2mw-rf54, GHSA-5m6w-wvh7-57vm).
pub(crate) fn remove_managed_and_aliases(headers: &mut HeaderMap) {
    remove_managed(headers);
    remove_aliases(headers, |folded| {
        MANAGED.iter().any(|m| m.as_str() == folded)
    });
}

/// The auth request's headers for the client request `parts`.
pub(crate) fn auth_headers(parts: &Parts, trust: Trust, allow: Option<&[HeaderName]>) -> HeaderMap {
    let mut headers = copied_headers(parts);
    if trust == Trust::Rebuild {
        remove_managed_and_aliases(&mut headers);
    }
    // Traefik sets `User-Agent: ""` when the client sent none so that Go's default agent is
    // not sent; rampart's client never invents one, so there is nothing to do.
    if let Some(allow) = allow {
        let mut kept = HeaderMap::with_capacity(allow.len() + 6);
        for name in allow {
            for v in headers.get_all(name) {
                kept.append(name.clone(), v.clone());
            }
        }
        headers = kept;
    }
    set_forwarded(&mut headers, parts, trust);
    headers
}

/// Sets `X-Forwarded-{For,Method,Proto,Port,Host,Uri}` as Traefik's forwardAuth does in each
/// trust mode.
pub(crate) fn set_forwarded(headers: &mut HeaderMap, parts: &Parts, trust: Trust) {
    let info = conn_info(parts);
    let keep = trust == Trust::Keep;
    if let Some(info) = info {
        let ip = info.peer.ip();
        let value = if keep && headers.contains_key(&XFF) {
            let mut v = Vec::with_capacity(64);
            for prior in headers.get_all(&XFF) {
                if prior.to_str().is_ok() {
                    v.extend_from_slice(prior.as_bytes());
                    v.extend_from_slice(b", ");
                }
            }
            let mut buf = [0u8; 45];
            let len = write_ip(ip, &mut buf);
            v.extend_from_slice(&buf[..len]);
            HeaderValue::from_bytes(&v).ok()
        } else if ip.to_canonical() == ip {
            // The connection's value, formatted once and shared.
            Some(info.peer_ip_value())
        } else {
            Some(ip_value(ip))
        };
        put(headers, XFF, value);
    }
    if !(keep && headers.contains_key(&XF_METHOD)) {
        put(headers, XF_METHOD, method_value(&parts.method));
    }
    let tls = info.is_some_and(ConnInfo::is_tls);
    if !(keep && headers.contains_key(&XF_PROTO)) {
        // The entrypoint sends `ws`/`wss` for websocket handshakes; so does rampart whenever
        // it computes the value (Traefik's forwardAuth itself only ever computes http/https).
        let proto = match (is_websocket(parts), tls) {
            (true, true) => "wss",
            (true, false) => "ws",
            (false, true) => "https",
            (false, false) => "http",
        };
        headers.insert(XF_PROTO, HeaderValue::from_static(proto));
    }
    let host = request_host(parts);
    if trust != Trust::Legacy && !(keep && headers.contains_key(&XF_PORT)) {
        let port = forwarded_port(host, headers, tls);
        put(headers, XF_PORT, port);
    }
    if !(keep && headers.contains_key(&XF_HOST)) {
        // The `Host` header's own value when that is where the host came from (shared bytes,
        // nothing copied).
        let value = match (parts.uri.authority(), parts.headers.get(header::HOST)) {
            (None, Some(h)) if h.to_str().is_ok() => Some(h.clone()),
            _ => HeaderValue::from_str(host).ok(),
        };
        put(headers, XF_HOST, value);
    }
    if !(keep && headers.contains_key(&XF_URI)) {
        let value = match parts.uri.path_and_query() {
            // Go's `RequestURI()` is the path and query as received (`/` for an empty path).
            Some(pq) if pq.as_str().starts_with('/') => HeaderValue::from_str(pq.as_str()).ok(),
            _ => HeaderValue::from_str(&request_uri(parts)).ok(),
        };
        put(headers, XF_URI, value);
    }
}

/// The method as a header value; the standard ones without copying.
fn method_value(method: &http::Method) -> Option<HeaderValue> {
    use http::Method;
    let known = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => return HeaderValue::from_str(method.as_str()).ok(),
    };
    Some(HeaderValue::from_static(known))
}

/// Traefik's `forwardedPort`: the `Host` port, else 443 when the proto being sent is
/// https/wss or the connection is TLS, else 80.
fn forwarded_port(host: &str, headers: &HeaderMap, tls: bool) -> Option<HeaderValue> {
    if let Some(port) = host_port(host) {
        return HeaderValue::from_str(port).ok();
    }
    let proto = headers.get(&XF_PROTO).map(HeaderValue::as_bytes);
    Some(HeaderValue::from_static(
        if tls || proto == Some(b"https") || proto == Some(b"wss") {
            "443"
        } else {
            "80"
        },
    ))
}

/// The port of `host[:port]` / `[v6]:port`, when present and non-empty.
fn host_port(host: &str) -> Option<&str> {
    let after = match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.1.strip_prefix(':')?,
        None => host
            .rsplit_once(':')
            .map(|(_, p)| p)
            .filter(|_| host.matches(':').count() == 1)?,
    };
    (!after.is_empty()).then_some(after)
}

fn put(headers: &mut HeaderMap, name: HeaderName, value: Option<HeaderValue>) {
    // Values come from the request line, `Host` and the peer address: never invalid once
    // hyper accepted the request. Anything else is dropped rather than invented.
    match value {
        Some(v) => {
            headers.insert(name, v);
        }
        None => {
            headers.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(host_port("a.test:8080"), Some("8080"));
        assert_eq!(host_port("a.test"), None);
        assert_eq!(host_port("a.test:"), None);
        assert_eq!(host_port("[::1]:9000"), Some("9000"));
        assert_eq!(host_port("[::1]"), None);
    }
}
