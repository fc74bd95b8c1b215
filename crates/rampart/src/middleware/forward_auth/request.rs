//! The auth request: which client headers go, and the `X-Forwarded-*` the auth server gets
//! (Traefik forward.go `writeHeader` / `oldWriteHeader`).

use std::sync::Arc;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;

use super::names::{connection_tokens, remove_aliases};
use crate::ConnInfo;
use crate::forwarded::{HOP_BY_HOP, MANAGED, is_managed, remove_managed};

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
    let h1 = connection_tokens(&parts.headers)
        .iter()
        .any(|t| t == "upgrade")
        && parts
            .headers
            .get_all(header::UPGRADE)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
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
    let listed = connection_tokens(&parts.headers);
    let mut out = HeaderMap::with_capacity(parts.headers.keys_len() + 6);
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(name)
            || *name == header::HOST
            || *name == header::CONTENT_LENGTH
            || (listed.iter().any(|t| t == n) && !is_managed(n))
        {
            continue;
        }
        out.append(name.clone(), value.clone());
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
        let ip = info.peer.ip().to_string();
        let value = if keep && headers.contains_key(&XFF) {
            let prior: Vec<&str> = headers
                .get_all(&XFF)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            format!("{}, {ip}", prior.join(", "))
        } else {
            ip
        };
        set(headers, XFF, &value);
    }
    if !(keep && headers.contains_key(&XF_METHOD)) {
        set(headers, XF_METHOD, parts.method.as_str());
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
        set(headers, XF_PROTO, proto);
    }
    let host = request_host(parts);
    if trust != Trust::Legacy && !(keep && headers.contains_key(&XF_PORT)) {
        let port = forwarded_port(host, headers, tls);
        set(headers, XF_PORT, &port);
    }
    if !(keep && headers.contains_key(&XF_HOST)) {
        set(headers, XF_HOST, host);
    }
    if !(keep && headers.contains_key(&XF_URI)) {
        set(headers, XF_URI, &request_uri(parts));
    }
}

/// Traefik's `forwardedPort`: the `Host` port, else 443 when the proto being sent is
/// https/wss or the connection is TLS, else 80.
fn forwarded_port(host: &str, headers: &HeaderMap, tls: bool) -> String {
    if let Some(port) = host_port(host) {
        return port.to_owned();
    }
    let proto = headers.get(&XF_PROTO).map(HeaderValue::as_bytes);
    if tls || proto == Some(b"https") || proto == Some(b"wss") {
        "443".to_owned()
    } else {
        "80".to_owned()
    }
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

fn set(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    // Values come from the request line, `Host` and the peer address: never invalid once
    // hyper accepted the request. Anything else is dropped rather than invented.
    match HeaderValue::from_str(value) {
        Ok(v) => {
            headers.insert(name, v);
        }
        Err(_) => {
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
