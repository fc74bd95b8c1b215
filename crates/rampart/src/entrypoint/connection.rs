//! The `Connection` header at the entrypoint (CVE-2024-45410 / GHSA-62c8-mh53-4cqv).
//!
//! RFC 9110 §7.6.1: a proxy removes the headers the `Connection` header lists. Traefik used to do
//! it at the backend hop, after its middlewares had set headers, so a client could list
//! `X-Forwarded-Host` and have the trusted value removed. Since v2.11.9/v3.1.3 the listed headers
//! are removed at the entrypoint, before anything sets a header, and a managed `X-Forwarded-*`
//! header (or an `_` alias) can never be removed this way; the comparison is case-insensitive
//! (the lower-case bypass, fixed in v3.6.9).

use http::header::{CONNECTION, HeaderMap, HeaderName, HeaderValue, UPGRADE};

use crate::forwarded::is_managed;

/// Applies the `Connection` header of a request at the entrypoint.
///
/// Removes every header `Connection` names, except managed ones and those in `keep` (Traefik's
/// `forwardedHeaders.connection`), which stay listed in a rewritten `Connection` so the backend
/// hop still drops them. `Upgrade` survives when `Connection` has the `upgrade` token.
pub(super) fn apply(headers: &mut HeaderMap, keep: &[HeaderName]) {
    if !headers.contains_key(CONNECTION) {
        return;
    }
    let upgrade = if has_token(headers, CONNECTION, "upgrade") {
        headers.get(UPGRADE).cloned()
    } else {
        None
    };

    // Two passes: collect the names (owning nothing but small stack data when nothing is kept),
    // then remove, since the map cannot change while its `Connection` values are borrowed.
    let mut kept: Vec<&HeaderName> = Vec::new();
    let mut doomed: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(CONNECTION) {
        for token in tokens(value) {
            if is_managed(token) {
                continue;
            }
            if let Some(name) = keep.iter().find(|k| k.as_str().eq_ignore_ascii_case(token)) {
                if !kept.contains(&name) {
                    kept.push(name);
                }
                continue;
            }
            if token.eq_ignore_ascii_case("upgrade") && upgrade.is_some() {
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

    match (kept.is_empty(), upgrade) {
        (true, None) => {
            headers.remove(CONNECTION);
        }
        (true, Some(up)) => {
            headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
            headers.insert(UPGRADE, up);
        }
        (false, up) => {
            let mut list = kept
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(",");
            if let Some(up) = up {
                list.push_str(",Upgrade");
                headers.insert(UPGRADE, up);
            }
            let value = HeaderValue::from_str(&list).expect("header names are valid values");
            headers.insert(CONNECTION, value);
        }
    }
}

/// The comma-separated, trimmed, non-empty tokens of a header value.
pub(crate) fn tokens(value: &HeaderValue) -> impl Iterator<Item = &str> {
    value
        .to_str()
        .unwrap_or("")
        .split(',')
        .map(|t| t.trim_matches([' ', '\t']))
        .filter(|t| !t.is_empty())
}

/// Whether any value of header `name` has `token` (case-insensitive) in its comma list.
pub(crate) fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|v| tokens(v).any(|t| t.eq_ignore_ascii_case(token)))
}

/// Whether a request is a websocket handshake: `Connection` has `upgrade` and `Upgrade` has
/// `websocket` (Traefik's `isWebsocketRequest`, which picks `ws`/`wss` for X-Forwarded-Proto).
///
/// ```
/// use http::HeaderMap;
/// let mut h = HeaderMap::new();
/// h.insert("connection", "keep-alive, Upgrade".parse().unwrap());
/// h.insert("upgrade", "websocket".parse().unwrap());
/// assert!(rampart::entrypoint::is_websocket_upgrade(&h));
/// ```
pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    has_token(headers, CONNECTION, "upgrade") && has_token(headers, UPGRADE, "websocket")
}
