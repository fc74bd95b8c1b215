//! Traefik's entrypoint path pipeline, on Go's URL model.
//!
//! Go keeps a decoded `Path` and, when the client's encoding differs from Go's own, the
//! original `RawPath`; `EscapedPath()` returns the original only if it is a valid encoding
//! (else Go re-encodes the decoded path, so `%2F` becomes `/`). Traefik then, in order
//! (`pkg/server/server_entrypoint_tcp.go`, `pkg/muxer/http/mux.go`):
//!
//! 1. `denyFragment`: a raw `#` in the path is a 400;
//! 2. `normalizePath` (always): `%XX` of unreserved characters are decoded, other escapes are
//!    upper-cased (RFC 3986 §6.2.2.1, §2.3);
//! 3. `sanitizePath` (default on): `url.JoinPath()` — Go's `path.Clean` on the escaped path,
//!    keeping one trailing `/` (so `..%2F` is not a segment: RFC 3986 §6.2.2.3 on the
//!    escaped form);
//! 4. `withRoutingPath`: the escaped path with every `%XX` decoded except the reserved
//!    characters (`: / ? # [ ] @ ! $ & ' ( ) * + , ; =` and `%`), which matchers compare.
//!
//! The escaped path after step 3 is what is forwarded; the routing path is what rules see.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::query::hex;

/// Why a path is refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathError {
    Fragment,
    InvalidEscape,
}

/// The forwarded (escaped) path and the routing path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Processed<'a> {
    pub(crate) escaped: Cow<'a, str>,
    pub(crate) routing: Cow<'a, [u8]>,
}

/// Runs the pipeline on a request-target path (before `?`).
pub(crate) fn process(path: &str, sanitize: bool) -> Result<Processed<'_>, PathError> {
    if path.contains('#') {
        return Err(PathError::Fragment);
    }
    validate_escapes(path)?;
    let escaped = escaped_path(path);
    let escaped = if sanitize {
        match join_path(&escaped) {
            Cow::Borrowed(_) => escaped,
            Cow::Owned(cleaned) => Cow::Owned(cleaned),
        }
    } else {
        escaped
    };
    let routing = match &escaped {
        Cow::Borrowed(s) => routing_path(s),
        Cow::Owned(s) => Cow::Owned(routing_path(s).into_owned()),
    };
    Ok(Processed { escaped, routing })
}

/// Go rejects a `%` not followed by two hex digits.
fn validate_escapes(path: &str) -> Result<(), PathError> {
    let b = path.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1).and_then(|c| hex(*c)).is_some()
                && b.get(i + 2).and_then(|c| hex(*c)).is_some();
            if !ok {
                return Err(PathError::InvalidEscape);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Go's `shouldEscape(c, encodePath)`.
pub(crate) fn should_escape(c: u8) -> bool {
    !(c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'_'
                | b'.'
                | b'~'
                | b'$'
                | b'&'
                | b'+'
                | b','
                | b'/'
                | b':'
                | b';'
                | b'='
                | b'@'
        ))
}

/// Go's `validEncoded(s, encodePath)`: whether `s` may be sent as it is.
pub(crate) fn valid_encoded(s: &str) -> bool {
    s.bytes().all(|c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c)
    })
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// What Go's `EscapedPath()` returns after `normalizePath`, for a path whose escapes are
/// valid.
fn escaped_path(path: &str) -> Cow<'_, str> {
    if valid_encoded(path) {
        return normalize(path);
    }
    // Go re-encodes the decoded path: every escape is decoded first (even `%2F`), then
    // everything Go escapes in a path is escaped again, in upper case.
    let mut decoded = Vec::with_capacity(path.len());
    let b = path.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            decoded.push(hex(b[i + 1]).unwrap_or(0) << 4 | hex(b[i + 2]).unwrap_or(0));
            i += 3;
        } else {
            decoded.push(b[i]);
            i += 1;
        }
    }
    let mut out = String::with_capacity(decoded.len() * 3);
    for c in decoded {
        if should_escape(c) {
            let _ = write!(out, "%{c:02X}");
        } else {
            out.push(char::from(c));
        }
    }
    Cow::Owned(out)
}

/// Traefik's `normalizePath`: decode escaped unreserved characters, upper-case the rest.
fn normalize(path: &str) -> Cow<'_, str> {
    let b = path.as_bytes();
    let needs = b.iter().enumerate().any(|(i, &c)| {
        c == b'%' && {
            let byte = hex(b[i + 1]).unwrap_or(0) << 4 | hex(b[i + 2]).unwrap_or(0);
            is_unreserved(byte) || b[i + 1].is_ascii_lowercase() || b[i + 2].is_ascii_lowercase()
        }
    });
    if !needs {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let byte = hex(b[i + 1]).unwrap_or(0) << 4 | hex(b[i + 2]).unwrap_or(0);
            if is_unreserved(byte) {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push(char::from(b[i + 1].to_ascii_uppercase()));
                out.push(char::from(b[i + 2].to_ascii_uppercase()));
            }
            i += 3;
        } else {
            out.push(char::from(b[i]));
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Go's `url.JoinPath()` with no elements: `path.Clean`, keeping one trailing slash.
pub(crate) fn join_path(escaped: &str) -> Cow<'_, str> {
    if is_clean(escaped) {
        return Cow::Borrowed(escaped);
    }
    let cleaned = if escaped.starts_with('/') {
        clean(escaped)
    } else {
        // A relative path ("*", "" for authority-form) is cleaned as if rooted, then the
        // added root is removed.
        let rooted = format!("/{escaped}");
        let c = clean(&rooted).into_owned();
        Cow::Owned(c[1..].to_string())
    };
    let cleaned = if escaped.ends_with('/') && !cleaned.ends_with('/') {
        Cow::Owned(format!("{cleaned}/"))
    } else {
        cleaned
    };
    if cleaned == escaped {
        Cow::Borrowed(escaped)
    } else {
        Cow::Owned(cleaned.into_owned())
    }
}

/// Whether cleaning would change nothing: rooted, no `.`/`..` segment, no empty segment but
/// a trailing one. The common case, checked without allocating.
fn is_clean(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return path == "*" || path.is_empty();
    };
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if segment == "." || segment == ".." || (segment.is_empty() && !last) {
            return false;
        }
    }
    true
}

/// Go's `path.Clean` for a rooted path.
fn clean(path: &str) -> Cow<'_, str> {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let joined = format!("/{}", out.join("/"));
    if joined == path {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(joined)
    }
}

/// Traefik's `withRoutingPath`: decode every escape except the reserved characters.
fn routing_path(escaped: &str) -> Cow<'_, [u8]> {
    const RESERVED: &[u8] = b":/?#[]@!$&'()*+,;=%";
    let b = escaped.as_bytes();
    if !b.contains(&b'%') {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let byte = hex(b[i + 1]).unwrap_or(0) << 4 | hex(b[i + 2]).unwrap_or(0);
            if RESERVED.contains(&byte) {
                out.extend_from_slice(&b[i..i + 3]);
            } else {
                out.push(byte);
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;
