//! The request path as Go's `net/url` sees it, for the path-rewriting middlewares.
//!
//! Go keeps two forms of a path: `URL.Path` (percent-decoded) and `URL.RawPath` (as escaped on
//! the wire). Traefik's `stripPrefix`, `addPrefix`, `replacePath(Regex)` rewrite both together so
//! that they stay consistent, and the upstream gets `URL.EscapedPath()`. rampart keeps only the
//! escaped form (the request URI); the decoded form is computed from it when a middleware needs
//! it, and the rewritten escaped form is what the upstream gets.
//!
//! A rewritten path must not reopen what the entrypoint closed (`attack_cases` C7, Traefik
//! GHSA-xf64-8mw2-4gr2 and GHSA-6jwx-7vp4-9847): [`is_sanitized`] rejects dot-segments and empty
//! segments in the *decoded* rewritten path, which covers Traefik's check (it compares the path
//! with its `JoinPath()`-cleaned form) and also catches `..%2F` made by a replacement.

use std::borrow::Cow;

use http::uri::{PathAndQuery, Uri};

use crate::Request;
use crate::request::path::{should_escape, valid_encoded};

/// A `%` not followed by two hex digits (Go's `url.EscapeError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidEscape(pub(crate) String);

impl std::fmt::Display for InvalidEscape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid URL escape {:?}", self.0)
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `raw` as Go's `url.PathUnescape` (no `+` rule).
pub(crate) fn decode(raw: &str) -> Result<Cow<'_, [u8]>, InvalidEscape> {
    let b = raw.as_bytes();
    if !b.contains(&b'%') {
        return Ok(Cow::Borrowed(b));
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let pair = b
                .get(i + 1)
                .and_then(|&h| hex(h))
                .zip(b.get(i + 2).and_then(|&l| hex(l)));
            let Some((h, l)) = pair else {
                let end = (i + 3).min(b.len());
                return Err(InvalidEscape(
                    String::from_utf8_lossy(&b[i..end]).into_owned(),
                ));
            };
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(Cow::Owned(out))
}

/// How many bytes of `raw` encode the first `decoded_len` decoded bytes (Traefik's
/// `encodedPrefixLen`: 3 bytes per `%XX`, 1 otherwise).
pub(crate) fn encoded_prefix_len(raw: &str, decoded_len: usize) -> usize {
    let b = raw.as_bytes();
    let (mut i, mut decoded) = (0, 0);
    while i < b.len() && decoded < decoded_len {
        i += if b[i] == b'%' && i + 2 < b.len() {
            3
        } else {
            1
        };
        decoded += 1;
    }
    i
}

/// Prepends `/` to a non-empty string that lacks it (Traefik's `ensureLeadingSlash`).
pub(crate) fn ensure_leading_slash(s: &str) -> Cow<'_, str> {
    if s.is_empty() || s.starts_with('/') {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("/{s}"))
    }
}

/// Go's `escape(s, encodePath)`.
pub(crate) fn escape(decoded: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(decoded.len());
    for &c in decoded {
        if should_escape(c) {
            out.push('%');
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 15)]));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

/// What Go's `URL.EscapedPath()` sends for a path whose raw form is `raw`: `raw` itself when it
/// is a valid encoding, else the escaped decoded path.
pub(crate) fn escaped_form(raw: &str) -> Result<Cow<'_, str>, InvalidEscape> {
    let decoded = decode(raw)?;
    if valid_encoded(raw) {
        Ok(Cow::Borrowed(raw))
    } else {
        Ok(Cow::Owned(escape(&decoded)))
    }
}

/// Whether a decoded path is free of `.`/`..` segments and empty inner segments (`//`): what
/// Go's `path.Clean` would leave unchanged, keeping a trailing `/`. The empty path passes.
pub(crate) fn is_sanitized(decoded: &[u8]) -> bool {
    let Some(rest) = decoded.strip_prefix(b"/") else {
        return decoded.is_empty();
    };
    if rest.is_empty() {
        return true;
    }
    let rest = rest.strip_suffix(b"/").unwrap_or(rest);
    rest.split(|&c| c == b'/')
        .all(|seg| !matches!(seg, b"" | b"." | b".."))
}

/// Replaces the path of `req` with `escaped` (already a valid escaped path), keeping the query,
/// the scheme and the authority.
pub(crate) fn set_path(req: &mut Request, escaped: &str) -> Result<(), http::Error> {
    let path = if escaped.is_empty() { "/" } else { escaped };
    let pq = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(pq)?);
    *req.uri_mut() = Uri::from_parts(parts)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_like_go_path_unescape() {
        assert_eq!(&*decode("/a%2Fb%20c").unwrap(), b"/a/b c");
        assert_eq!(&*decode("/a+b").unwrap(), b"/a+b");
        assert_eq!(decode("/a%zzb").unwrap_err().0, "%zz");
        assert_eq!(decode("/a%2").unwrap_err().0, "%2");
    }

    #[test]
    fn encoded_prefix_len_counts_escapes() {
        assert_eq!(encoded_prefix_len("/ap%69/a%2Fb", 5), 7);
        assert_eq!(encoded_prefix_len("/stat/a", 5), 5);
        assert_eq!(encoded_prefix_len("/a", 5), 2);
    }

    #[test]
    fn escaped_form_like_go_escaped_path() {
        assert_eq!(escaped_form("/a%2Fb").unwrap(), "/a%2Fb");
        assert_eq!(escaped_form("/a b").unwrap(), "/a%20b");
        assert_eq!(escaped_form("/a\"b").unwrap(), "/a%22b");
        assert_eq!(escaped_form("/(x)!").unwrap(), "/(x)!");
        assert!(escaped_form("/%zz").is_err());
    }

    #[test]
    fn sanitized_paths() {
        for ok in [
            "",
            "/",
            "/a",
            "/a/",
            "/a/b.c",
            "/..a",
            "/a..",
            "/.well-known/x",
        ] {
            assert!(is_sanitized(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "/.", "/..", "/./a", "/a/../b", "//a", "/a//b", "/a/.", "/a/..", "a", "/a//",
        ] {
            assert!(!is_sanitized(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn set_path_keeps_query_and_authority() {
        let mut req = Request::new(crate::Body::empty());
        *req.uri_mut() = "http://a.test/x/y?q=1".parse().unwrap();
        set_path(&mut req, "/y").unwrap();
        assert_eq!(req.uri().to_string(), "http://a.test/y?q=1");
        set_path(&mut req, "").unwrap();
        assert_eq!(req.uri().to_string(), "http://a.test/?q=1");
    }
}
