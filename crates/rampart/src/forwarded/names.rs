//! Header names: the managed `X-Forwarded-*` set and the hop-by-hop list.

use std::net::IpAddr;

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

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
    // One scan of the names instead of a hashed lookup per managed name: a browser request
    // usually has no `x-…` header at all, and then nothing else is done.
    let mut found = [0usize; 13]; // indices into MANAGED
    let mut n = 0;
    let mut alias = false;
    for name in headers.keys() {
        let s = name.as_str();
        if s.len() < 8 || s.as_bytes()[0] != b'x' {
            continue;
        }
        if let Some(i) = MANAGED.iter().position(|m| m.as_str() == s) {
            // `keys()` yields each name once, and there are only so many managed names.
            found[n] = i;
            n += 1;
        } else if is_managed(s) {
            alias = true;
        }
    }
    for &i in &found[..n] {
        headers.remove(&MANAGED[i]);
    }
    // Aliases are rare: only collect (and allocate) when one is present at all.
    if alias {
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

/// Formats an IP address as a header value (`X-Real-Ip`, `X-Forwarded-For`): IPv4 without the
/// formatting machinery (it runs for every request), IPv6 as `Display` writes it.
///
/// ```
/// let v = rampart::forwarded::ip_value("203.0.113.7".parse().unwrap());
/// assert_eq!(v, "203.0.113.7");
/// let v = rampart::forwarded::ip_value("2001:db8::1".parse().unwrap());
/// assert_eq!(v, "2001:db8::1");
/// ```
pub fn ip_value(ip: IpAddr) -> HeaderValue {
    let mut buf = [0u8; 45]; // the longest IPv6 text (RFC 4291 §2.2, IPv4-mapped form)
    let len = write_ip(ip, &mut buf);
    HeaderValue::from_bytes(&buf[..len]).expect("an IP address is a valid header value")
}

/// Writes `ip` as text into `buf` (at least 45 bytes) and tells how many bytes it wrote.
pub(crate) fn write_ip(ip: IpAddr, buf: &mut [u8; 45]) -> usize {
    match ip {
        IpAddr::V4(v4) => {
            let mut len = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[len] = b'.';
                    len += 1;
                }
                if octet >= 100 {
                    buf[len] = b'0' + octet / 100;
                    len += 1;
                }
                if octet >= 10 {
                    buf[len] = b'0' + octet / 10 % 10;
                    len += 1;
                }
                buf[len] = b'0' + octet % 10;
                len += 1;
            }
            len
        }
        IpAddr::V6(v6) => {
            use std::io::Write as _;
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            // 45 bytes hold any IPv6 text, so the write cannot fail.
            let _ = write!(cursor, "{v6}");
            usize::try_from(cursor.position()).unwrap_or(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_managed_name_and_alias_is_removed_and_nothing_else() {
        let mut h = HeaderMap::new();
        for m in &MANAGED {
            h.insert(m.clone(), HeaderValue::from_static("spoofed"));
        }
        for alias in ["x_forwarded_for", "x-forwarded_host", "x_real_ip"] {
            h.insert(
                HeaderName::from_static(alias),
                HeaderValue::from_static("spoofed"),
            );
        }
        for kept in [
            "x-forwarded-foo",
            "x-request-id",
            "accept",
            "x_custom_thing",
        ] {
            h.insert(
                HeaderName::from_static(kept),
                HeaderValue::from_static("kept"),
            );
        }
        remove_managed(&mut h);
        let mut left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(
            left,
            [
                "accept",
                "x-forwarded-foo",
                "x-request-id",
                "x_custom_thing"
            ]
        );
    }

    #[test]
    fn alias_with_dash_after_x_is_removed_too() {
        // `x-forwarded_for` folds onto `x-forwarded-for` for CGI-style backends.
        let mut h = HeaderMap::new();
        h.insert("x-forwarded_for", HeaderValue::from_static("1.2.3.4"));
        remove_managed(&mut h);
        assert!(h.is_empty());
    }

    #[test]
    fn ip_values_match_display() {
        for ip in [
            "0.0.0.0",
            "9.99.100.255",
            "203.0.113.7",
            "255.255.255.255",
            "::",
            "::1",
            "2001:db8::1",
            "::ffff:192.0.2.128",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
            "1234:5678:9abc:def0:1234:5678:9abc:def0",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_value(ip), ip.to_string().as_str(), "{ip}");
        }
    }
}
