//! Traefik's `Host` comparison (`pkg/muxer/http/matcher.go` `host`, `pkg/muxer/muxer.go`).

/// Whether canonical host `host` matches the lower-cased rule value `expr` (v3 `Host`).
///
/// Equal ignoring ASCII case; a single trailing dot on either side is ignored (only one:
/// `example.com..` is not `example.com`); `*.example.com` replaces the host's first label
/// by `*`, so it matches exactly one label. An empty host matches nothing (`Host(`*`)`, which
/// matches everything, is decided before this).
pub(crate) fn matches_v3(expr: &str, host: &str) -> bool {
    if host.is_empty() {
        return false;
    }
    if domain_matches(host, expr) {
        return true;
    }
    expr.strip_suffix('.')
        .is_some_and(|e| domain_matches(host, e))
        || host
            .strip_suffix('.')
            .is_some_and(|h| domain_matches(h, expr))
}

/// Traefik's `DomainMatchHostExpression`.
fn domain_matches(domain: &str, expr: &str) -> bool {
    if let Some(suffix) = expr.strip_prefix('*') {
        // Replace the first label by `*`: the rest of the domain from its first dot.
        let rest = domain.find('.').map_or("", |i| &domain[i..]);
        return rest.eq_ignore_ascii_case(suffix);
    }
    domain.eq_ignore_ascii_case(expr)
}

/// The v2 `Host`/`HostHeader` comparison: the same, without wildcards.
pub(crate) fn matches_v2(expr: &str, host: &str) -> bool {
    if host.is_empty() {
        return false;
    }
    host.eq_ignore_ascii_case(expr)
        || expr
            .strip_suffix('.')
            .is_some_and(|e| host.eq_ignore_ascii_case(e))
        || host
            .strip_suffix('.')
            .is_some_and(|h| h.eq_ignore_ascii_case(expr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_dots_and_wildcards() {
        assert!(matches_v3("example.com", "example.com."));
        assert!(matches_v3("example.com.", "example.com"));
        assert!(!matches_v3("example.com", "example.com.."));
        assert!(matches_v3("example.com.", "example.com.."));
        assert!(matches_v3("*.example.com", "a.example.com"));
        assert!(!matches_v3("*.example.com", "a.b.example.com"));
        assert!(!matches_v3("*.example.com", "example.com"));
        assert!(matches_v3("*.example.com.", "a.example.com"));
        assert!(!matches_v3("*foo.com", "x.com"));
        assert!(!matches_v3("a", ""));
        assert!(matches_v2("a.", "a"));
        assert!(!matches_v2("*.a", "b.a"));
    }
}
