//! Header-name helpers: aliases, Go's canonical form, `Connection` tokens, name patterns.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

use http::HeaderMap;
use http::header::{CONNECTION, HeaderName};

/// The spelling a backend that folds names would see: lower-case, every byte that is not a
/// letter or a digit as `-`. CGI/WSGI/PHP and nginx fold `X_A`, `X.A`, `X~A` onto `X-A`
/// (GHSA-5m6w-wvh7-57vm, GHSA-rf44-j88r-hh8c), so all of those are one header to them.
pub(crate) fn fold(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b.to_ascii_lowercase())
            } else {
                '-'
            }
        })
        .collect()
}

/// `name` (a lower-case header name) as a `&'static str`, one copy per distinct name, so that
/// a `HeaderName` made from it with `from_static` clones by copying a pointer (not by a
/// reference count every core shares) when identity headers are copied onto each request.
///
/// Each distinct configured name is kept for the life of the process: the memory is bounded by
/// the names ever configured (a reload with the same names adds nothing).
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let set = NAMES.get_or_init(Mutex::default);
    let mut set = set.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(t) = set.get(name) {
        return t;
    }
    let t: &'static str = Box::leak(name.to_owned().into_boxed_str());
    set.insert(t);
    t
}

/// The last 8 bytes of `name` (fewer, zero-padded, when shorter) as one integer: names that
/// share a prefix (`x-authentik-…`) differ there, so one comparison rules most out.
pub(crate) fn tail(name: &str) -> u64 {
    let b = name.as_bytes();
    match b.len().checked_sub(8) {
        // One unaligned load: no copy loop on the request path.
        Some(from) => u64::from_le_bytes(b[from..].try_into().expect("8 bytes")),
        None => b
            .iter()
            .enumerate()
            .fold(0, |t, (i, &c)| t | u64::from(c) << (8 * i)),
    }
}

/// Whether `name` is already in folded form (no alias can differ from it).
#[expect(
    clippy::needless_bitwise_bool,
    reason = "no short-circuit on purpose: branch-free, the loop vectorises"
)]
pub(crate) fn is_folded(name: &str) -> bool {
    // No early exit: the loop vectorises, and nearly every name is folded (checked in full).
    name.bytes().fold(true, |ok, b| {
        ok & (b.is_ascii_lowercase() | b.is_ascii_digit() | (b == b'-'))
    })
}

/// Go's `CanonicalMIMEHeaderKey` of a (lower-case) `http` header name, written into `out`:
/// upper-case the first letter and every letter after `-` (`X-Authentik-Username`).
/// Traefik matches `authResponseHeadersRegex` against this form.
pub(crate) fn canonical_into(name: &str, out: &mut String) {
    out.clear();
    let mut upper = true;
    for b in name.bytes() {
        let c = if upper {
            b.to_ascii_uppercase()
        } else {
            b.to_ascii_lowercase()
        };
        out.push(char::from(c));
        upper = b == b'-';
    }
}

/// The tokens of every `Connection` header, trimmed and lower-cased.
pub(crate) fn connection_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Removes every header whose name is not in folded form but folds to a name `is_target`
/// accepts. Cheap when no such name is present (the common case): one scan, no allocation.
pub(crate) fn remove_aliases(headers: &mut HeaderMap, mut is_target: impl FnMut(&str) -> bool) {
    if headers.keys().all(|k| is_folded(k.as_str())) {
        return;
    }
    let doomed: Vec<HeaderName> = headers
        .keys()
        .filter(|k| !is_folded(k.as_str()) && is_target(&fold(k.as_str())))
        .cloned()
        .collect();
    for name in doomed {
        headers.remove(name);
    }
}

/// A set of names given as exact names or `*` / `?` globs (`authentik_proxy_*`).
#[derive(Debug, Clone, Default)]
pub(crate) struct NameSet {
    exact: Vec<String>,
    globs: Vec<String>,
}

impl NameSet {
    pub(crate) fn new<S: AsRef<str>>(names: &[S]) -> Self {
        let mut set = NameSet::default();
        for n in names {
            let n = n.as_ref().trim();
            if n.contains(['*', '?']) {
                set.globs.push(n.to_owned());
            } else if !n.is_empty() {
                set.exact.push(n.to_owned());
            }
        }
        set
    }

    /// Case-sensitive, as cookie names are (RFC 6265 §5.3 compares names octet by octet).
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.exact.iter().any(|e| e == name) || self.globs.iter().any(|g| glob(g, name))
    }
}

/// `*` matches any run of bytes, `?` one byte; everything else matches itself.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_maps_every_alias_onto_one_name() {
        for alias in [
            "x-authentik-username",
            "x_authentik_username",
            "x.authentik.username",
            "x~authentik~username",
            "X_Authentik-USERNAME",
        ] {
            assert_eq!(fold(alias), "x-authentik-username", "{alias}");
        }
        assert!(is_folded("x-authentik-username"));
        assert!(!is_folded("x_authentik_username"));
    }

    #[test]
    fn canonical_is_gos() {
        let mut s = String::new();
        canonical_into("x-authentik-username", &mut s);
        assert_eq!(s, "X-Authentik-Username");
        canonical_into("x_forwarded_for", &mut s);
        assert_eq!(s, "X_forwarded_for");
        canonical_into("foo-bar", &mut s);
        assert_eq!(s, "Foo-Bar");
    }

    #[test]
    fn interned_names_are_equal_and_shared() {
        let a = intern(
            HeaderName::from_bytes(b"X-Authentik-Username")
                .unwrap()
                .as_str(),
        );
        let b = intern("x-authentik-username");
        assert_eq!(a, "x-authentik-username");
        assert!(std::ptr::eq(a, b), "one copy per name");
    }

    #[test]
    fn tails() {
        assert_eq!(tail("x-authentik-username"), tail("username"));
        assert_ne!(tail("x-authentik-username"), tail("x-authentik-meta-app"));
        assert_eq!(tail("ab"), u64::from_le_bytes(*b"ab\0\0\0\0\0\0"));
        assert_eq!(tail(""), 0);
    }

    #[test]
    fn globs() {
        assert!(glob("authentik_proxy_*", "authentik_proxy_3d9a1c07"));
        assert!(glob("authentik_proxy_*", "authentik_proxy_"));
        assert!(!glob("authentik_proxy_*", "authentik_prox"));
        assert!(glob("_oauth2_proxy*", "_oauth2_proxy_1"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        let set = NameSet::new(&["session", "authentik_proxy_*"]);
        assert!(set.contains("session"));
        assert!(!set.contains("Session"));
        assert!(set.contains("authentik_proxy_ab"));
    }
}
