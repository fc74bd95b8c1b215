//! Traefik's rule language: `Host(`example.com`) && PathPrefix(`/api`)`.
//!
//! A rule is parsed as Go parses it (Traefik hands it to `go/parser`), checked as Traefik
//! checks it, and compiled into a matcher that answers for a [`RequestView`] without
//! allocating. Both syntaxes are supported: v3 (the default) and v2 (`ruleSyntax: v2`, with
//! gorilla/mux templates and multi-value matchers).
//!
//! * [`Rule`] — a compiled rule; [`Rule::parse`] for v3, [`Rule::parse_with`] to choose.
//! * [`RuleError`] — why a rule is invalid, with the byte [`Span`] it is about.
//! * [`RuleWarning`] — legal but almost certainly wrong (a v2 placeholder in a v3 rule).
//! * [`parse_domains`] — the hosts a rule names, for ACME (Traefik's `ParseDomains`).
//!
//! The grammar, the matchers and how each compares are described in `docs/routing.md`.

mod ast;
mod clientip;
mod compile;
mod error;
pub(crate) mod goregex;
mod host;
mod lexer;
mod matcher;
mod names;
mod parser;
mod template;
mod v2;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use error::{RuleError, RuleErrorKind, RuleWarning, Span};
pub(crate) use matcher::{Leaf, Node};

use crate::request::RequestView;

/// Which rule syntax a router uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RuleSyntax {
    /// Traefik 3's syntax (the default).
    #[default]
    V3,
    /// Traefik 2's syntax, kept by Traefik 3 behind `ruleSyntax: v2` (deprecated since 3.4).
    V2,
}

impl RuleSyntax {
    /// Reads a router's `ruleSyntax` setting as Traefik does: `v2` and `v3` choose, an empty
    /// value or `default` means "the global default" (`None`), and any other value falls
    /// back to v3.
    ///
    /// ```
    /// use rampart::rule::RuleSyntax;
    /// assert_eq!(RuleSyntax::from_setting("v2"), Some(RuleSyntax::V2));
    /// assert_eq!(RuleSyntax::from_setting(""), None);
    /// assert_eq!(RuleSyntax::from_setting("v9"), Some(RuleSyntax::V3));
    /// ```
    pub fn from_setting(value: &str) -> Option<RuleSyntax> {
        match value {
            "" | "default" => None,
            "v2" => Some(RuleSyntax::V2),
            _ => Some(RuleSyntax::V3),
        }
    }
}

impl FromStr for RuleSyntax {
    type Err = String;

    /// Strict parsing for `core.defaultRuleSyntax`, where Traefik accepts only `v3` and `v2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v3" => Ok(RuleSyntax::V3),
            "v2" => Ok(RuleSyntax::V2),
            other => Err(format!("unsupported rule syntax {other:?}: use v3 or v2")),
        }
    }
}

impl fmt::Display for RuleSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleSyntax::V3 => "v3",
            RuleSyntax::V2 => "v2",
        })
    }
}

/// A compiled rule.
///
/// ```
/// use rampart::request::RequestView;
/// use rampart::rule::Rule;
///
/// let rule = Rule::parse("Host(`app.example.com`) && PathPrefix(`/api`)").unwrap();
/// assert!(rule.matches(&RequestView::new("GET", "app.example.com", "/api/v1")));
/// assert!(!rule.matches(&RequestView::new("GET", "app.example.com", "/web")));
/// assert_eq!(rule.default_priority(), 45); // the rule's length in bytes
/// assert_eq!(rule.domains(), ["app.example.com"]);
/// ```
#[derive(Debug, Clone)]
pub struct Rule {
    text: Box<str>,
    syntax: RuleSyntax,
    node: Node,
    domains: Vec<String>,
    warnings: Vec<RuleWarning>,
}

impl Rule {
    /// Parses and compiles a v3 rule.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        Rule::parse_with(text, RuleSyntax::V3)
    }

    /// Parses and compiles a rule in the given syntax.
    pub fn parse_with(text: &str, syntax: RuleSyntax) -> Result<Rule, RuleError> {
        let fail = |(kind, span)| RuleError::new(kind, span, text);
        let expr = parser::parse(text).map_err(fail)?;
        let mut compiler = compile::Compiler {
            syntax,
            warnings: Vec::new(),
        };
        let node = compiler.expr(&expr).map_err(fail)?;
        let mut domains = Vec::new();
        expr.for_each_call(&mut |call| {
            if names::resolve_any(&call.name) == Ok(names::Name::Host) {
                domains.extend(call.args.iter().map(|a| a.value.to_lowercase()));
            }
        });
        let warnings = compiler
            .warnings
            .into_iter()
            .map(|(message, span)| RuleWarning::new(message, span, text))
            .collect();
        Ok(Rule {
            text: text.into(),
            syntax,
            node,
            domains,
            warnings,
        })
    }

    /// Whether the request matches.
    pub fn matches(&self, req: &RequestView<'_>) -> bool {
        self.node.matches(req)
    }

    /// The rule's text, as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The syntax it was compiled with.
    pub fn syntax(&self) -> RuleSyntax {
        self.syntax
    }

    /// Traefik's default priority for a router with this rule: the length of the rule text in
    /// bytes, as decoded from the configuration file.
    pub fn default_priority(&self) -> i64 {
        i64::try_from(self.text.len()).unwrap_or(i64::MAX)
    }

    /// The hosts the rule names in `Host(…)`, under any operator (even `!`), lower-cased, in
    /// order — what Traefik's `ParseDomains` gives ACME. `HostRegexp` contributes nothing.
    pub fn domains(&self) -> &[String] {
        &self.domains
    }

    /// What is legal but almost certainly wrong in this rule.
    pub fn warnings(&self) -> &[RuleWarning] {
        &self.warnings
    }

    pub(crate) fn node(&self) -> &Node {
        &self.node
    }
}

/// The hosts a rule names, as Traefik's `ParseDomains`: the rule is parsed knowing every
/// matcher of both syntaxes but not validated further, and the lower-cased values of every
/// `Host(…)` are returned in order.
///
/// ```
/// use rampart::rule::parse_domains;
///
/// let domains = parse_domains("Host(`Foo.Bar`) || Host(`bar.buz`) && Path(`/test`)").unwrap();
/// assert_eq!(domains, ["foo.bar", "bar.buz"]);
/// assert!(parse_domains("Foobar(`foo.bar`)").is_err());
/// ```
pub fn parse_domains(text: &str) -> Result<Vec<String>, RuleError> {
    let fail = |(kind, span)| RuleError::new(kind, span, text);
    let expr = parser::parse(text).map_err(fail)?;
    let mut result = Ok(Vec::new());
    expr.for_each_call(&mut |call| {
        let Ok(domains) = &mut result else { return };
        match names::resolve_any(&call.name) {
            Ok(names::Name::Host) => {
                domains.extend(call.args.iter().map(|a| a.value.to_lowercase()));
            }
            Ok(_) => {}
            Err(hint) => {
                result = Err(RuleError::new(
                    RuleErrorKind::UnknownMatcher {
                        name: call.name.clone(),
                        hint,
                    },
                    call.name_span,
                    text,
                ));
            }
        }
    });
    result
}
