//! Host names as the store, the resolver and the host→options map compare them.

use std::borrow::Cow;

/// Lower-cases an ASCII host name and drops trailing dots.
///
/// SNI must not carry a trailing dot (RFC 6066 §3) but configs and some clients do, and DNS
/// names compare case-insensitively (RFC 4343); attack case D6 needs `ADMIN.TEST` and
/// `admin.test.` to land where `admin.test` does. Borrows when nothing changes, which is the
/// common case on the handshake path.
pub(crate) fn normalize(name: &str) -> Cow<'_, str> {
    let trimmed = name.trim_end_matches('.');
    if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(trimmed.to_ascii_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    }
}

/// The name a one-label wildcard covering `name` is filed under: `example.com` for
/// `a.example.com` (served by `*.example.com`). `None` for a single label.
///
/// One label only, as in Traefik and RFC 6125 §6.4.3: `*.example.com` serves `a.example.com`,
/// not `a.b.example.com` nor `example.com`.
pub(crate) fn wildcard_parent(name: &str) -> Option<&str> {
    let (first, rest) = name.split_once('.')?;
    (!first.is_empty() && !rest.is_empty()).then_some(rest)
}

/// For a configured name, the wildcard key (`*.example.com` → `example.com`), or `None` for
/// an exact name.
pub(crate) fn wildcard_key(name: &str) -> Option<&str> {
    name.strip_prefix("*.").filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_lowercases_and_drops_trailing_dots() {
        assert_eq!(normalize("Admin.TEST."), "admin.test");
        assert_eq!(normalize("admin.test.."), "admin.test");
        assert!(matches!(normalize("admin.test"), Cow::Borrowed(_)));
    }

    #[test]
    fn wildcard_parent_strips_exactly_one_label() {
        assert_eq!(wildcard_parent("a.example.com"), Some("example.com"));
        assert_eq!(wildcard_parent("a.b.example.com"), Some("b.example.com"));
        assert_eq!(wildcard_parent("example.com"), Some("com"));
        assert_eq!(wildcard_parent("localhost"), None);
        assert_eq!(wildcard_parent(".example.com"), None);
        assert_eq!(wildcard_parent("a."), None);
    }

    #[test]
    fn wildcard_key_only_for_a_leading_star_label() {
        assert_eq!(wildcard_key("*.example.com"), Some("example.com"));
        assert_eq!(wildcard_key("a.*.example.com"), None);
        assert_eq!(wildcard_key("*example.com"), None);
        assert_eq!(wildcard_key("*."), None);
    }
}
