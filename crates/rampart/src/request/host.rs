//! The request's host: where it comes from, what is refused, and its canonical form.
//!
//! Go's server takes `req.Host` from the absolute-form request-target's authority (HTTP/1.1,
//! RFC 9112 §3.2.2) or HTTP/2's `:authority`, and from the `Host` header otherwise; it
//! refuses (400) an HTTP/1.1 request without `Host`, with several `Host` fields, or with
//! bytes outside `httpguts.ValidHostHeader` — hyper checks none of this, so it is done here.
//! Traefik's canonical host (`requestdecorator`) is `req.Host` without port or IPv6
//! brackets, trimmed and lower-cased. Two refusals go beyond Go: an HTTP/2 request whose
//! `host` header names another host than `:authority` (RFC 9113 §8.3.1 allows treating it
//! as malformed, and one value must serve routing, forwarding and TLS checks alike), and a
//! port that is not digits (RFC 3986 §3.2.3).

use std::borrow::Cow;

use http::{Method, Request, Version};

/// The host facts of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hosts<'a> {
    /// `req.Host` as Go sees it (port included): what `X-Forwarded-Host` carries.
    pub(crate) authority: &'a str,
    /// The canonical host for routing.
    pub(crate) canonical: Cow<'a, str>,
}

pub(crate) fn hosts<B>(req: &Request<B>) -> Result<Hosts<'_>, &'static str> {
    let mut fields = req.headers().get_all(http::header::HOST).iter();
    let header = fields.next();
    if fields.next().is_some() {
        return Err("too many Host headers");
    }
    let header = match header {
        Some(value) => {
            let text = value.to_str().map_err(|_| "malformed Host header")?.trim();
            if !text.bytes().all(valid_host_byte) {
                return Err("malformed Host header");
            }
            Some(text)
        }
        None => None,
    };
    if header.is_none() && req.version() == Version::HTTP_11 && req.method() != Method::CONNECT {
        return Err("missing required Host header");
    }
    let authority = req
        .uri()
        .authority()
        .map(http::uri::Authority::as_str)
        .filter(|a| !a.is_empty());
    // RFC 9110 §4.2.4: userinfo in an http(s) URI received from an untrusted source is an
    // error (RFC 9113 §8.3.1 forbids it in `:authority`); Go would route on the host after
    // the `@`, which a backend or a log may read differently.
    if authority.is_some_and(|a| a.contains('@')) {
        return Err("userinfo in the request target");
    }
    if let (Version::HTTP_2, Some(auth), Some(h)) = (req.version(), authority, header)
        && !auth.eq_ignore_ascii_case(h)
    {
        return Err("HTTP/2 :authority and host header disagree");
    }
    let authority = authority.or(header).unwrap_or("");
    let (host, port) = split_host(authority);
    // Digits only (RFC 3986 §3.2.3), and a port that can exist (beyond Go, which passes
    // `:99999` on to X-Forwarded-Port).
    if port.is_some_and(|p| {
        !p.bytes().all(|b| b.is_ascii_digit()) || (!p.is_empty() && p.parse::<u16>().is_err())
    }) {
        return Err("invalid port in host");
    }
    let host = host.trim();
    let canonical = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    Ok(Hosts {
        authority,
        canonical,
    })
}

/// Go's `httpguts.ValidHostHeader` byte table.
fn valid_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b'-'
                | b'.'
                | b':'
                | b';'
                | b'='
                | b'['
                | b']'
                | b'_'
                | b'~'
        )
}

/// Traefik's `parseHost`: Go's `net.SplitHostPort` when the value has a `:`, the value
/// unchanged when that fails (a bare IPv6 address), brackets removed from `[v6]`. Returns
/// the host and the port, if one was split off.
pub(crate) fn split_host(addr: &str) -> (&str, Option<&str>) {
    if !addr.contains(':') {
        return (addr, None);
    }
    match split_host_port(addr) {
        Some((host, port)) => (host, Some(port)),
        None if addr.len() >= 2 && addr.starts_with('[') && addr.ends_with(']') => {
            (&addr[1..addr.len() - 1], None)
        }
        None => (addr, None),
    }
}

/// Go's `net.SplitHostPort`.
fn split_host_port(addr: &str) -> Option<(&str, &str)> {
    let colon = addr.rfind(':')?;
    let (host, inner_start, inner_end) = if addr.starts_with('[') {
        let end = addr.find(']')?;
        if end + 1 != colon {
            return None;
        }
        (&addr[1..end], 1, end + 1)
    } else {
        let host = &addr[..colon];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if addr[inner_start..].contains('[') || addr[inner_end..].contains(']') {
        return None;
    }
    Some((host, &addr[colon + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_host_cases() {
        // requestdecorator Test_parseHost.
        for (input, want) in [
            ("host", "host"),
            ("host:", "host"),
            ("127.0.0.1:123", "127.0.0.1"),
            ("127.0.0.1:", "127.0.0.1"),
            ("fe80::215:5dff:fe20:cd6a", "fe80::215:5dff:fe20:cd6a"),
            ("[fe80::215:5dff:fe20:cd6a]:123", "fe80::215:5dff:fe20:cd6a"),
            ("[fe80::215:5dff:fe20:cd6a]:", "fe80::215:5dff:fe20:cd6a"),
            ("[fe80::215:5dff:fe20:cd6a]", "fe80::215:5dff:fe20:cd6a"),
            ("fe80::215:5dff:fe20:cd6a]", "fe80::215:5dff:fe20:cd6a]"),
            ("[fe80::215:5dff:fe20:cd6a", "[fe80::215:5dff:fe20:cd6a"),
            ("", ""),
            (":", ""),
        ] {
            assert_eq!(split_host(input).0, want, "{input:?}");
        }
    }

    fn req(version: Version, uri: &str, hosts: &[&[u8]]) -> Request<()> {
        let mut b = Request::builder().version(version).uri(uri);
        for h in hosts {
            b = b.header("host", http::HeaderValue::from_bytes(h).unwrap());
        }
        b.body(()).unwrap()
    }

    #[test]
    fn refusals() {
        let h11 = Version::HTTP_11;
        assert!(hosts(&req(h11, "/", &[b"a", b"b"])).is_err());
        assert!(hosts(&req(h11, "/", &[])).is_err());
        assert!(hosts(&req(Version::HTTP_10, "/", &[])).is_ok());
        assert!(hosts(&req(h11, "/", &[b"app.test@evil.test"])).is_err());
        assert!(hosts(&req(h11, "/", &[b"evil.test/app.test"])).is_err());
        assert!(hosts(&req(h11, "/", &[b"\xd0\xb0pp.test"])).is_err());
        assert!(hosts(&req(h11, "/", &[b"app.test:abc"])).is_err());
        // Found end to end: a port out of range, userinfo in an absolute-form target.
        assert!(hosts(&req(h11, "/", &[b"app.test:99999"])).is_err());
        assert!(hosts(&req(h11, "/", &[b"app.test:65535"])).is_ok());
        assert!(hosts(&req(h11, "/", &[b"app.test:"])).is_ok());
        assert!(
            hosts(&req(
                h11,
                "http://app.test:80@evil.test/admin",
                &[b"app.test"]
            ))
            .is_err()
        );
        assert!(
            hosts(&req(
                Version::HTTP_2,
                "https://public.test/",
                &[b"app.test"]
            ))
            .is_err()
        );
    }

    #[test]
    fn canonical_forms() {
        let h11 = Version::HTTP_11;
        let r1 = req(h11, "/", &[b"APP.Test:8080"]);
        let got = hosts(&r1).unwrap();
        assert_eq!(
            (got.authority, &*got.canonical),
            ("APP.Test:8080", "app.test")
        );
        let r2 = req(h11, "http://example.com/", &[b"example.org"]);
        let got = hosts(&r2).unwrap();
        assert_eq!(got.canonical, "example.com");
        let r3 = req(h11, "/", &[b"[::1]:80"]);
        let got = hosts(&r3).unwrap();
        assert_eq!(got.canonical, "::1");
        let r4 = req(Version::HTTP_2, "https://a.test/", &[]);
        let got = hosts(&r4).unwrap();
        assert_eq!(got.canonical, "a.test");
    }
}
