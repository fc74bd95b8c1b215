//! Matcher names of each rule syntax and the spellings Traefik accepts.
//!
//! Traefik registers each matcher under four spellings (`pkg/rules/parser.go`): as defined
//! (`PathPrefix`), all lower-case (`pathprefix`), all upper-case (`PATHPREFIX`) and the
//! title case of the lower-case form (`Pathprefix`). Any other spelling is unknown.

use super::RuleSyntax;

/// Every matcher of either syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Name {
    ClientIp,
    Method,
    Host,
    HostRegexp,
    Path,
    PathRegexp,
    PathPrefix,
    Header,
    HeaderRegexp,
    Query,
    QueryRegexp,
    // v2 only
    HostHeader,
    Headers,
    HeadersRegexp,
}

const V3: &[Name] = &[
    Name::ClientIp,
    Name::Method,
    Name::Host,
    Name::HostRegexp,
    Name::Path,
    Name::PathRegexp,
    Name::PathPrefix,
    Name::Header,
    Name::HeaderRegexp,
    Name::Query,
    Name::QueryRegexp,
];

const V2: &[Name] = &[
    Name::Host,
    Name::HostHeader,
    Name::HostRegexp,
    Name::ClientIp,
    Name::Path,
    Name::PathPrefix,
    Name::Method,
    Name::Headers,
    Name::HeadersRegexp,
    Name::Query,
];

impl Name {
    /// The name as Traefik defines it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Name::ClientIp => "ClientIP",
            Name::Method => "Method",
            Name::Host => "Host",
            Name::HostRegexp => "HostRegexp",
            Name::Path => "Path",
            Name::PathRegexp => "PathRegexp",
            Name::PathPrefix => "PathPrefix",
            Name::Header => "Header",
            Name::HeaderRegexp => "HeaderRegexp",
            Name::Query => "Query",
            Name::QueryRegexp => "QueryRegexp",
            Name::HostHeader => "HostHeader",
            Name::Headers => "Headers",
            Name::HeadersRegexp => "HeadersRegexp",
        }
    }

    /// Whether `written` is one of the four accepted spellings.
    fn spelled_as(self, written: &str) -> bool {
        let name = self.as_str();
        if written == name {
            return true;
        }
        let lower = name.to_ascii_lowercase();
        if written == lower || written == name.to_ascii_uppercase() {
            return true;
        }
        let mut chars = lower.chars();
        chars.next().is_some_and(|first| {
            written.strip_prefix(first.to_ascii_uppercase()) == Some(chars.as_str())
        })
    }
}

fn table(syntax: RuleSyntax) -> &'static [Name] {
    match syntax {
        RuleSyntax::V3 => V3,
        RuleSyntax::V2 => V2,
    }
}

/// The matcher `written` names in `syntax`, or a hint for the error.
pub(crate) fn resolve(written: &str, syntax: RuleSyntax) -> Result<Name, String> {
    if let Some(name) = table(syntax).iter().find(|n| n.spelled_as(written)) {
        return Ok(*name);
    }
    Err(hint(written, syntax))
}

/// Resolves against both syntaxes (Traefik's `ParseDomains` knows every name).
pub(crate) fn resolve_any(written: &str) -> Result<Name, String> {
    resolve(written, RuleSyntax::V3)
        .or_else(|_| resolve(written, RuleSyntax::V2).map_err(|_| hint(written, RuleSyntax::V3)))
}

fn hint(written: &str, syntax: RuleSyntax) -> String {
    let all = V3.iter().chain(V2);
    if let Some(name) = all
        .clone()
        .find(|n| n.as_str().eq_ignore_ascii_case(written))
    {
        let in_syntax = table(syntax).contains(name);
        if in_syntax {
            let n = name.as_str();
            return format!(
                "; the accepted spellings are {n}, {}, {} and {}{}",
                n.to_ascii_lowercase(),
                n.to_ascii_uppercase(),
                &n[..1],
                &n[1..].to_ascii_lowercase()
            );
        }
        return match (syntax, name) {
            (RuleSyntax::V3, Name::Headers) => {
                "; `Headers` is Traefik v2 syntax: in v3 write Header(`name`, `value`)".into()
            }
            (RuleSyntax::V3, Name::HeadersRegexp) => {
                "; `HeadersRegexp` is Traefik v2 syntax: in v3 write HeaderRegexp(`name`, `regexp`)"
                    .into()
            }
            (RuleSyntax::V3, Name::HostHeader) => {
                "; `HostHeader` is Traefik v2 syntax: in v3 write Host(`example.com`)".into()
            }
            (RuleSyntax::V2, _) => format!(
                "; `{}` exists only in the v3 rule syntax (the router has ruleSyntax v2)",
                name.as_str()
            ),
            _ => String::new(),
        };
    }
    let known: Vec<&str> = table(syntax).iter().map(|n| n.as_str()).collect();
    format!("; the matchers are {}", known.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_spellings() {
        for ok in ["PathPrefix", "pathprefix", "PATHPREFIX", "Pathprefix"] {
            assert_eq!(resolve(ok, RuleSyntax::V3), Ok(Name::PathPrefix), "{ok}");
        }
        for bad in ["pathPrefix", "PathprefiX", "PATHprefix"] {
            assert!(resolve(bad, RuleSyntax::V3).is_err(), "{bad}");
        }
        assert_eq!(resolve("Clientip", RuleSyntax::V3), Ok(Name::ClientIp));
        assert!(resolve("HostRegExp", RuleSyntax::V3).is_err());
        assert!(
            resolve("Headers", RuleSyntax::V3)
                .unwrap_err()
                .contains("v2")
        );
        assert_eq!(resolve("HOSTHEADER", RuleSyntax::V2), Ok(Name::HostHeader));
        assert!(resolve("PathRegexp", RuleSyntax::V2).is_err());
    }
}
