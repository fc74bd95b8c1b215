//! Header names: the managed `X-Forwarded-*` set and the hop-by-hop list.

use http::HeaderMap;
use http::header::HeaderName;

/// The `X-Forwarded-*` headers rampart manages, as Traefik's `forwardedheaders.XHeadersSet`.
///
/// Clients outside `forwardedHeaders.trustedIPs` can never set these: the entrypoint removes
/// them (and their aliases, see [`is_managed`]) before anything else sees the request.
pub const MANAGED: [HeaderName; 13] = [
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-forwarded-scheme"),
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-port"),
    HeaderName::from_static("x-forwarded-server"),
    HeaderName::from_static("x-forwarded-uri"),
    HeaderName::from_static("x-forwarded-method"),
    HeaderName::from_static("x-forwarded-prefix"),
    HeaderName::from_static("x-forwarded-tls-client-cert"),
    HeaderName::from_static("x-forwarded-tls-client-cert-info"),
    HeaderName::from_static("x-scheme"),
    HeaderName::from_static("x-real-ip"),
];

/// Hop-by-hop headers (RFC 9110 §7.6.1 and the ones proxies have always dropped).
///
/// `Proxy-Authorization` / `Proxy-Authenticate` are not in the list: Traefik forwards them
/// (RFC 7235 §4.4 allows it), and forwardAuth's tests expect them to reach the auth server.
pub const HOP_BY_HOP: [HeaderName; 7] = [
    HeaderName::from_static("connection"),
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("te"),
    HeaderName::from_static("trailer"),
    HeaderName::from_static("trailers"),
    HeaderName::from_static("transfer-encoding"),
    HeaderName::from_static("upgrade"),
];

/// Whether `name` is a managed header or an alias of one.
///
/// Aliases are the spellings a backend may fold onto the managed name: any other token
/// character in place of a `-` — `_` (CGI/WSGI/PHP, GHSA-5m6w-wvh7-57vm), `.`
/// (GHSA-rf44-j88r-hh8c), `~`, `+`, … — and any case. Header names are already lower-case in
/// `http`.
///
/// ```
/// use rampart::forwarded::is_managed;
/// assert!(is_managed("x-forwarded-for"));
/// assert!(is_managed("x_forwarded_for"));
/// assert!(is_managed("X_Real_IP"));
/// assert!(is_managed("x.forwarded.proto"));
/// assert!(is_managed("x-forwarded~host"));
/// assert!(!is_managed("x-forwarded-fo"));
/// assert!(!is_managed("x-custom"));
/// assert!(!is_managed("xaforwardedafor"));
/// ```
pub fn is_managed(name: &str) -> bool {
    // Every managed name starts with `x-` (or an alias of it): cheap pre-filter.
    let b = name.as_bytes();
    if b.len() < 8 || !(b[0] == b'x' || b[0] == b'X') || b[1].is_ascii_alphanumeric() {
        return false;
    }
    MANAGED.iter().any(|m| {
        let m = m.as_str().as_bytes();
        m.len() == b.len()
            && m.iter().zip(b).all(|(&m, &c)| {
                let c = c.to_ascii_lowercase();
                c == m || (m == b'-' && !c.is_ascii_alphanumeric())
            })
    })
}

/// Whether `name` could be an alias of a managed name: it starts with `x` and has a byte
/// that is neither alphanumeric nor `-`.
fn may_be_alias(name: &str) -> bool {
    let b = name.as_bytes();
    b.first() == Some(&b'x') && b.iter().any(|&c| c != b'-' && !c.is_ascii_alphanumeric())
}

/// Removes every managed header and every alias of one from `headers`.
///
/// ```
/// use http::HeaderMap;
/// let mut h = HeaderMap::new();
/// h.insert("x-forwarded-for", "1.2.3.4".parse().unwrap());
/// h.insert("x_forwarded_proto", "https".parse().unwrap());
/// h.insert("x.forwarded.host", "evil.example".parse().unwrap());
/// h.insert("accept", "*/*".parse().unwrap());
/// rampart::forwarded::remove_managed(&mut h);
/// assert_eq!(h.len(), 1);
/// ```
pub fn remove_managed(headers: &mut HeaderMap) {
    for name in &MANAGED {
        headers.remove(name);
    }
    // Aliases are rare: only scan (and allocate) when a candidate name is present at all.
    if headers.keys().any(|k| may_be_alias(k.as_str())) {
        let aliases: Vec<HeaderName> = headers
            .keys()
            .filter(|k| is_managed(k.as_str()))
            .cloned()
            .collect();
        for name in aliases {
            headers.remove(name);
        }
    }
}
