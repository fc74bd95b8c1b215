//! gorilla/mux route templates (`{name}`, `{name:pattern}`), which the v2 rule syntax uses,
//! and the detection of such placeholders left in v3 rules.
//!
//! gorilla builds one anchored regexp per template (`regexp.go` `newRouteRegexp` in Traefik's
//! `containous/mux` fork): the text between placeholders is quoted, each placeholder becomes
//! its pattern (default `[^/]+` for paths, `[^.]+` for hosts, `.*` for queries), hosts are
//! matched case-insensitively, and everything but a path prefix is anchored at both ends.

use std::fmt::Write as _;

/// What a template is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TemplateKind {
    Host,
    Path,
    PathPrefix,
    Query,
}

/// The first-level `{…}` groups of `s`, as gorilla's `braceIndices`: `(start, end)` byte
/// pairs, `end` past the `}`. `Err` for unbalanced braces.
pub(crate) fn brace_groups(s: &str) -> Result<Vec<(usize, usize)>, String> {
    let mut level = 0i32;
    let mut start = 0;
    let mut groups = Vec::new();
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'{' => {
                level += 1;
                if level == 1 {
                    start = i;
                }
            }
            b'}' => {
                level -= 1;
                if level == 0 {
                    groups.push((start, i + 1));
                } else if level < 0 {
                    return Err(format!("mux: unbalanced braces in {s:?}"));
                }
            }
            _ => {}
        }
    }
    if level != 0 {
        return Err(format!("mux: unbalanced braces in {s:?}"));
    }
    Ok(groups)
}

/// The Go regexp gorilla builds for `tpl`.
pub(crate) fn to_go_regexp(tpl: &str, kind: TemplateKind) -> Result<String, String> {
    if matches!(kind, TemplateKind::Path | TemplateKind::PathPrefix) && !tpl.starts_with('/') {
        return Err(format!("mux: path must start with a slash, got {tpl:?}"));
    }
    let groups = brace_groups(tpl)?;
    let default = match kind {
        TemplateKind::Host => "[^.]+",
        TemplateKind::Query => ".*",
        TemplateKind::Path | TemplateKind::PathPrefix => "[^/]+",
    };
    let mut pattern = String::new();
    if kind == TemplateKind::Host {
        pattern.push_str("(?i)");
    }
    pattern.push('^');
    let mut end = 0;
    for (i, (start, stop)) in groups.iter().enumerate() {
        pattern.push_str(&quote_meta(&tpl[end..*start]));
        let inner = &tpl[start + 1..stop - 1];
        let (name, patt) = inner.split_once(':').unwrap_or((inner, default));
        if name.is_empty() || patt.is_empty() {
            return Err(format!(
                "mux: missing name or pattern in {:?}",
                &tpl[*start..*stop]
            ));
        }
        // gorilla also compiles each pattern alone, anchored.
        super::goregex::translate(&format!("^{patt}$")).map_err(|e| e.to_string())?;
        let _ = write!(pattern, "(?P<v{i}>{patt})");
        end = *stop;
    }
    pattern.push_str(&quote_meta(&tpl[end..]));
    if kind == TemplateKind::Query && tpl.split_once('=').is_none_or(|(_, v)| v.is_empty()) {
        pattern.push_str(default);
    }
    if kind != TemplateKind::PathPrefix {
        pattern.push('$');
    }
    Ok(pattern)
}

/// The variable names of `tpl`, for gorilla's duplicate check.
pub(crate) fn variable_names(tpl: &str) -> Vec<&str> {
    brace_groups(tpl)
        .unwrap_or_default()
        .into_iter()
        .map(|(s, e)| {
            let inner = &tpl[s + 1..e - 1];
            inner.split_once(':').map_or(inner, |(n, _)| n)
        })
        .collect()
}

/// Go's `regexp.QuoteMeta`.
pub(crate) fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The v2 placeholders in a v3 argument: `{name}` or `{name:pattern}` whose name reads like
/// a name (so `{2}` and `{2,3}`, Go repeats, are not placeholders).
pub(crate) fn placeholders(value: &str) -> Vec<(usize, usize)> {
    brace_groups(value)
        .unwrap_or_default()
        .into_iter()
        .filter(|(s, e)| {
            let inner = &value[s + 1..e - 1];
            let name = inner.split_once(':').map_or(inner, |(n, _)| n);
            name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .collect()
}

/// The plain regexp a v2 template means, for the warning's suggestion: quoted text and the
/// placeholders' patterns, anchored like gorilla anchors it.
pub(crate) fn suggest_regexp(tpl: &str, kind: TemplateKind) -> String {
    let groups = brace_groups(tpl).unwrap_or_default();
    let default = match kind {
        TemplateKind::Host => "[^.]+",
        TemplateKind::Query => ".*",
        TemplateKind::Path | TemplateKind::PathPrefix => "[^/]+",
    };
    let mut out = String::from("^");
    let mut end = 0;
    for (start, stop) in groups {
        out.push_str(&quote_meta(&tpl[end..start]));
        let inner = &tpl[start + 1..stop - 1];
        let patt = inner.split_once(':').map_or(default, |(_, p)| p);
        let wrapped = patt.starts_with('(') && patt.ends_with(')') || !patt.contains('|');
        if wrapped {
            out.push_str(patt);
        } else {
            let _ = write!(out, "(?:{patt})");
        }
        end = stop;
    }
    out.push_str(&quote_meta(&tpl[end..]));
    if kind != TemplateKind::PathPrefix {
        out.push('$');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gorilla_patterns() {
        assert_eq!(
            to_go_regexp("{subdomain:[a-z]+}.example.com", TemplateKind::Host).unwrap(),
            r"(?i)^(?P<v0>[a-z]+)\.example\.com$"
        );
        assert_eq!(
            to_go_regexp("/css", TemplateKind::PathPrefix).unwrap(),
            "^/css"
        );
        assert_eq!(
            to_go_regexp("foo=", TemplateKind::Query).unwrap(),
            "^foo=.*$"
        );
        assert_eq!(
            to_go_regexp("(example.com", TemplateKind::Host).unwrap(),
            r"(?i)^\(example\.com$"
        );
        assert!(to_go_regexp("{test", TemplateKind::Host).is_err());
        assert!(to_go_regexp("{:x}", TemplateKind::Host).is_err());
        assert!(to_go_regexp("css", TemplateKind::Path).is_err());
    }

    #[test]
    fn placeholder_detection() {
        assert_eq!(placeholders("{subdomain:[a-z0-9-]+}.domain.tld").len(), 1);
        assert!(placeholders("a{2,3}").is_empty());
        assert!(placeholders("^[a-z]+$").is_empty());
        assert_eq!(
            suggest_regexp("{subdomain:[a-z0-9-]+}.domain.tld", TemplateKind::Host),
            r"^[a-z0-9-]+\.domain\.tld$"
        );
        assert_eq!(
            suggest_regexp("/{path:(css|js)}", TemplateKind::Path),
            "^/(css|js)$"
        );
        assert_eq!(
            suggest_regexp("/a{x:b|c}", TemplateKind::PathPrefix),
            "^/a(?:b|c)"
        );
    }
}
