//! Traefik's `common` and `genericCLF` access-log lines (`logger_formatters.go`).

use std::io::Write as _;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use super::timestamp;

/// One request as the access log records it, borrowed from the request and the response.
///
/// Field names follow Traefik's access-log fields (`ClientHost`, `ClientUsername`,
/// `RequestMethod`, …). `None` (or an empty string) is written as Traefik writes a missing
/// field: `-`, or `"-"` for the quoted ones.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Entry<'a> {
    /// `ClientHost`: the peer's address (the TCP peer, not `X-Forwarded-For`).
    pub client_host: Option<IpAddr>,
    /// `ClientUsername`: what forwardAuth's `headerField` (or basicAuth) found.
    pub client_username: Option<&'a str>,
    /// `StartUTC` / `StartLocal`: when the request arrived.
    pub start: SystemTime,
    /// The offset east of UTC, in seconds, the timestamp is written in (0: `StartUTC`, the
    /// default; the local offset for `StartLocal`).
    pub utc_offset_secs: i32,
    /// `RequestMethod`.
    pub method: &'a str,
    /// `RequestPath`: the request-target as received (path and query).
    pub path: &'a str,
    /// `RequestProtocol`: `HTTP/1.1`, `HTTP/2.0`, …
    pub protocol: &'a str,
    /// `DownstreamStatus`: the status sent to the client.
    pub status: Option<u16>,
    /// `DownstreamContentSize`: body bytes sent to the client.
    pub content_size: Option<u64>,
    /// The request's `Referer` header.
    pub referer: Option<&'a [u8]>,
    /// The request's `User-Agent` header.
    pub user_agent: Option<&'a [u8]>,
    /// `RequestCount`: requests received since the proxy started.
    pub request_count: Option<u64>,
    /// `RouterName`: the router that served the request (`app@file`).
    pub router_name: Option<&'a str>,
    /// `ServiceURL`: the server the request went to.
    pub service_url: Option<&'a str>,
    /// `Duration`: from arrival to the end of the response.
    pub duration: Duration,
}

impl Default for Entry<'_> {
    fn default() -> Self {
        Entry {
            client_host: None,
            client_username: None,
            start: SystemTime::UNIX_EPOCH,
            utc_offset_secs: 0,
            method: "",
            path: "",
            protocol: "",
            status: None,
            content_size: None,
            referer: None,
            user_agent: None,
            request_count: None,
            router_name: None,
            service_url: None,
            duration: Duration::ZERO,
        }
    }
}

/// Appends `entry` as one line of Traefik's `common` format:
///
/// ```text
/// <ClientHost> - <ClientUsername> [<StartUTC>] "<RequestMethod> <RequestPath> <RequestProtocol>"
///   <DownstreamStatus> <DownstreamContentSize> "<Referer>" "<User-Agent>" <RequestCount>
///   "<RouterName>" "<ServiceURL>" <Duration>ms
/// ```
///
/// (one line, ending in `\n`). Allocates only if `out` has to grow.
pub fn write_common(entry: &Entry<'_>, out: &mut Vec<u8>) {
    write_clf_part(entry, out);
    out.push(b' ');
    match entry.request_count {
        Some(n) => push_u64(out, n),
        None => out.push(b'-'),
    }
    out.push(b' ');
    quoted(out, entry.router_name.map(str::as_bytes));
    out.push(b' ');
    quoted(out, entry.service_url.map(str::as_bytes));
    out.push(b' ');
    // Traefik: `Duration.Nanoseconds() / 1e6`, truncated.
    push_u64(
        out,
        u64::try_from(entry.duration.as_millis()).unwrap_or(u64::MAX),
    );
    out.extend_from_slice(b"ms\n");
}

/// Appends `entry` as one line of `genericCLF`, the combined log format: the `common` line
/// without request count, router, service URL and duration.
///
/// ```
/// use rampart::access_log::{Entry, write_generic_clf};
/// let mut e = Entry::default();
/// e.method = "GET";
/// e.path = "/";
/// e.protocol = "HTTP/1.1";
/// e.user_agent = Some(b"curl/8.5.0");
/// let mut line = Vec::new();
/// write_generic_clf(&e, &mut line);
/// assert_eq!(line, b"- - - [01/Jan/1970:00:00:00 +0000] \"GET / HTTP/1.1\" - - \"-\" \"curl/8.5.0\"\n");
/// ```
pub fn write_generic_clf(entry: &Entry<'_>, out: &mut Vec<u8>) {
    write_clf_part(entry, out);
    out.push(b'\n');
}

/// Everything up to and including the quoted user agent.
fn write_clf_part(e: &Entry<'_>, out: &mut Vec<u8>) {
    match e.client_host {
        // `write!` into a `Vec` formats in place; an address never fails to format.
        Some(ip) => {
            let _ = write!(out, "{ip}");
        }
        None => out.push(b'-'),
    }
    out.extend_from_slice(b" - ");
    bare(out, e.client_username.map(str::as_bytes));
    out.extend_from_slice(b" [");
    timestamp::write_clf(out, e.start, e.utc_offset_secs);
    out.extend_from_slice(b"] \"");
    bare(out, Some(e.method.as_bytes()));
    out.push(b' ');
    bare(out, Some(e.path.as_bytes()));
    out.push(b' ');
    bare(out, Some(e.protocol.as_bytes()));
    out.extend_from_slice(b"\" ");
    match e.status {
        Some(s) => push_u64(out, u64::from(s)),
        None => out.push(b'-'),
    }
    out.push(b' ');
    match e.content_size {
        Some(n) => push_u64(out, n),
        None => out.push(b'-'),
    }
    out.push(b' ');
    quoted(out, e.referer);
    out.push(b' ');
    quoted(out, e.user_agent);
}

/// An unquoted field (`-` when missing or empty). Traefik writes these raw; a space, `"`, `\`
/// or control byte in them (an auth server's user name is arbitrary header text) would let a
/// value pose as further fields, so those bytes are written as `\xHH`.
fn bare(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) if !v.is_empty() => {
            for &b in v {
                if b == b' ' || b == b'"' || b == b'\\' || b.is_ascii_control() {
                    hex_escape(out, b);
                } else {
                    out.push(b);
                }
            }
        }
        _ => out.push(b'-'),
    }
}

/// A quoted field (`"-"` when missing or empty). Traefik escapes `"` as `\"`; a `\` is escaped
/// too (else `\"` in a value would end the field for a parser), and control bytes as `\xHH`.
fn quoted(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) if !v.is_empty() => {
            out.push(b'"');
            for &b in v {
                match b {
                    b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                    b if b.is_ascii_control() => hex_escape(out, b),
                    b => out.push(b),
                }
            }
            out.push(b'"');
        }
        _ => out.extend_from_slice(b"\"-\""),
    }
}

fn hex_escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[
        b'\\',
        b'x',
        HEX[usize::from(b >> 4)],
        HEX[usize::from(b & 0xf)],
    ]);
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}
