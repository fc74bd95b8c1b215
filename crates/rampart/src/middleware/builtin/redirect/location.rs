//! The redirect answer (Traefik's `moveHandler`).

use std::fmt::Write as _;

use http::{HeaderValue, Method, StatusCode, header};

use crate::error::status_response;
use crate::{Request, Response};

/// 302/307, or 301/308 when `permanent`: the 30x that keeps the method for anything but `GET`.
pub(super) fn status(req: &Request, permanent: bool) -> StatusCode {
    match (permanent, req.method() == Method::GET) {
        (false, true) => StatusCode::FOUND,
        (false, false) => StatusCode::TEMPORARY_REDIRECT,
        (true, true) => StatusCode::MOVED_PERMANENTLY,
        (true, false) => StatusCode::PERMANENT_REDIRECT,
    }
}

/// The redirect response: `Location`, and the status text as a `text/plain` body as Go's
/// `http.StatusText` writes it.
pub(super) fn redirect(location: &str, status: StatusCode) -> Response {
    let mut res = status_response(status);
    res.headers_mut()
        .insert(header::LOCATION, header_value(location));
    res
}

/// `location` as a header value: bytes that cannot appear in a URL (controls, space, non-ASCII)
/// are percent-encoded, so a value built from the request never injects a header line
/// (`attack_cases` E10).
fn header_value(location: &str) -> HeaderValue {
    let mut out = String::with_capacity(location.len());
    for b in location.bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static("/"))
}

/// Whether Go's `url.Parse` accepts `url` for the cases a replacement can get wrong: every `%`
/// starts a valid escape, and the host has no escaped ASCII byte but `%25` (Go's `encodeHost`).
pub(super) fn parses_as_go_url(url: &str) -> bool {
    let b = url.as_bytes();
    let hex = |c: u8| c.is_ascii_hexdigit();
    let escapes_ok = b
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == b'%')
        .all(|(i, _)| {
            b.get(i + 1).copied().is_some_and(hex) && b.get(i + 2).copied().is_some_and(hex)
        });
    if !escapes_ok {
        return false;
    }
    let Some(after_scheme) = url.find("://").map(|i| &url[i + 3..]) else {
        return true;
    };
    let host = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h).as_bytes();
    host.iter()
        .enumerate()
        .filter(|(_, c)| **c == b'%')
        .all(|(i, _)| {
            &host[i..(i + 3).min(host.len())] == b"%25"
                || host.get(i + 1).is_some_and(|c| *c >= b'8')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_url_parse_rules() {
        assert!(parses_as_go_url("https://foo.com/a%2Fb"));
        assert!(!parses_as_go_url("http://192.168.0.%31/"));
        assert!(!parses_as_go_url("http://a.test/%zz"));
        assert!(parses_as_go_url("http://a%25b.test/"));
    }

    #[test]
    fn location_never_carries_control_bytes() {
        let res = redirect("https://a.test/x\r\nSet-Cookie: y é", StatusCode::FOUND);
        assert_eq!(
            res.headers()["location"],
            "https://a.test/x%0D%0ASet-Cookie:%20y%20%C3%A9"
        );
    }
}
