//! `Location` of a non-2xx auth answer: validated as Go's `url.Parse` does, and resolved
//! against the auth request URL (RFC 3986 §5.2), as Go's `Response.Location()` does.

/// Why a `Location` value is unusable (Traefik answers 500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Location `{value}`: {reason}")]
pub(crate) struct LocationError {
    value: String,
    reason: &'static str,
}

/// The parts of a URI reference (RFC 3986 appendix B).
#[derive(Debug, Default, PartialEq, Eq)]
struct Parts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split(s: &str) -> Result<Parts<'_>, &'static str> {
    if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("control character");
    }
    let (rest, fragment) = match s.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (s, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let mut scheme = None;
    let mut rest = rest;
    if let Some(colon) = rest.find(':') {
        let cand = &rest[..colon];
        if cand.is_empty() && !rest.starts_with('/') {
            return Err("missing protocol scheme");
        }
        let valid = cand.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || i > 0 && (b.is_ascii_digit() || b"+-.".contains(&b))
        });
        if valid && !cand.contains('/') {
            scheme = Some(cand);
            rest = &rest[colon + 1..];
        } else if !cand.contains('/') {
            // Go: "first path segment in URL cannot contain colon".
            return Err("colon in the first path segment");
        }
    }
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => {
            let end = r.find('/').unwrap_or(r.len());
            (Some(&r[..end]), &r[end..])
        }
        None => (None, rest),
    };
    if let Some(a) = authority {
        check_authority(a)?;
    }
    for part in [Some(path), query, fragment].into_iter().flatten() {
        check_escapes(part)?;
    }
    Ok(Parts {
        scheme,
        authority,
        path,
        query,
        fragment,
    })
}

fn check_escapes(s: &str) -> Result<(), &'static str> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return Err("invalid URL escape");
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn check_authority(a: &str) -> Result<(), &'static str> {
    let host_port = a.rsplit_once('@').map_or(a, |(_, h)| h);
    let port = if let Some(rest) = host_port.strip_prefix('[') {
        let (_, after) = rest.split_once(']').ok_or("missing ']' in host")?;
        match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("invalid character after host")?),
        }
    } else {
        host_port.split_once(':').map(|(_, p)| p)
    };
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err("invalid port");
    }
    check_escapes(host_port)
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/');
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    let mut trailing = false;
    for (i, seg) in segments.iter().enumerate() {
        if i == 0 && absolute {
            continue;
        }
        match *seg {
            "." => trailing = i == last,
            ".." => {
                out.pop();
                trailing = i == last;
            }
            s => {
                out.push(s);
                trailing = false;
            }
        }
    }
    let mut res = String::with_capacity(path.len());
    if absolute {
        res.push('/');
    }
    res.push_str(&out.join("/"));
    if trailing && !res.ends_with('/') {
        res.push('/');
    }
    res
}

/// Checks `value` as Go's `url.Parse` would, returning it unchanged.
pub(crate) fn validate(value: &str) -> Result<&str, LocationError> {
    split(value).map(|_| value).map_err(|reason| LocationError {
        value: value.to_owned(),
        reason,
    })
}

/// Resolves `reference` against `base` (an absolute URL or an absolute path).
pub(crate) fn resolve(base: &str, reference: &str) -> Result<String, LocationError> {
    let err = |reason| LocationError {
        value: reference.to_owned(),
        reason,
    };
    let r = split(reference).map_err(err)?;
    if r.scheme.is_some() {
        return Ok(reference.to_owned());
    }
    let b = split(base).map_err(err)?;
    let (authority, path, query) = if r.authority.is_some() {
        (r.authority, remove_dot_segments(r.path), r.query)
    } else if r.path.is_empty() {
        (b.authority, b.path.to_owned(), r.query.or(b.query))
    } else if r.path.starts_with('/') {
        (b.authority, remove_dot_segments(r.path), r.query)
    } else {
        let dir = match b.path.rfind('/') {
            Some(i) => &b.path[..=i],
            None if b.authority.is_some() => "/",
            None => "",
        };
        (
            b.authority,
            remove_dot_segments(&format!("{dir}{}", r.path)),
            r.query,
        )
    };
    let mut out = String::with_capacity(base.len() + reference.len());
    if let Some(s) = b.scheme {
        out.push_str(s);
        out.push(':');
    }
    if let Some(a) = authority {
        out.push_str("//");
        out.push_str(a);
    }
    out.push_str(&path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = r.fragment {
        out.push('#');
        out.push_str(f);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:9000/outpost.goauthentik.io/auth/traefik?x=1";

    #[test]
    fn absolute_locations_are_kept() {
        assert_eq!(
            resolve(BASE, "http://example.com/redirect-test").unwrap(),
            "http://example.com/redirect-test"
        );
        assert_eq!(resolve(BASE, "https://a.test").unwrap(), "https://a.test");
    }

    #[test]
    fn relative_locations_resolve_against_the_auth_address() {
        assert_eq!(
            resolve(BASE, "/index.html").unwrap(),
            "http://127.0.0.1:9000/index.html"
        );
        assert_eq!(
            resolve(BASE, "login?rd=1").unwrap(),
            "http://127.0.0.1:9000/outpost.goauthentik.io/auth/login?rd=1"
        );
        assert_eq!(
            resolve(BASE, "?a=b").unwrap(),
            "http://127.0.0.1:9000/outpost.goauthentik.io/auth/traefik?a=b"
        );
        assert_eq!(
            resolve(BASE, "//auth.test/start").unwrap(),
            "http://auth.test/start"
        );
        assert_eq!(
            resolve(BASE, "../../x/./y/..").unwrap(),
            "http://127.0.0.1:9000/x/"
        );
        assert_eq!(resolve(BASE, "#f").unwrap(), format!("{BASE}#f"));
    }

    #[test]
    fn unparsable_locations_are_errors() {
        for bad in [
            "http://[::1",
            "http://host:port/",
            "/a%zz",
            "/a%4",
            ":nope",
            "1a:b",
            "/bad\u{1}",
        ] {
            assert!(resolve(BASE, bad).is_err(), "{bad}");
            assert!(validate(bad).is_err(), "{bad}");
        }
        assert!(validate("/index.html").is_ok());
    }
}
