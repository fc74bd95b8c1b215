//! Routers as the table takes them, and their priority.

use std::fmt;

use crate::rule::{Rule, RuleSyntax};

/// Traefik's highest priority for a user router (`pkg/server/router/router.go`:
/// `math.MaxInt - 1000`); routers named `…@internal` may go above it.
pub const MAX_USER_PRIORITY: i64 = i64::MAX - 1000;

/// Traefik's default `providers.precedence` (`pkg/config/static/static_config.go`): at equal
/// priority, a router of a provider listed earlier wins.
pub const DEFAULT_PROVIDER_PRECEDENCE: &[&str] =
    rampart_config::static_config::defaults::PROVIDERS_PRECEDENCE;

/// A router to compile: its qualified name (`app@file`), rule, syntax, priority and the
/// caller's payload (its middleware chain and service).
///
/// ```
/// use rampart::table::Router;
///
/// let router = Router::new("api@file", "Host(`api.example.com`)", "api-service").with_priority(10);
/// assert_eq!(router.priority, 10);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Router<T> {
    /// The qualified name, `name@provider`.
    pub name: String,
    /// The rule text as decoded from the configuration.
    pub rule: String,
    /// The router's `ruleSyntax`; `None` uses the table's default.
    pub syntax: Option<RuleSyntax>,
    /// The configured priority; 0 means "the rule's length".
    pub priority: i64,
    /// What the caller attaches (chain, service).
    pub payload: T,
}

impl<T> Router<T> {
    /// A router with the default syntax and a computed priority.
    pub fn new(name: impl Into<String>, rule: impl Into<String>, payload: T) -> Self {
        Router {
            name: name.into(),
            rule: rule.into(),
            syntax: None,
            priority: 0,
            payload,
        }
    }

    /// Sets the priority (0: the rule's length; negative values are allowed).
    #[must_use]
    pub fn with_priority(mut self, priority: i64) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the rule syntax.
    #[must_use]
    pub fn with_syntax(mut self, syntax: RuleSyntax) -> Self {
        self.syntax = Some(syntax);
        self
    }
}

/// Where a router's priority came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrioritySource {
    /// Set in the configuration.
    Explicit,
    /// Traefik's default: the length of the rule in bytes.
    RuleLength,
}

impl fmt::Display for PrioritySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrioritySource::Explicit => "explicit",
            PrioritySource::RuleLength => "rule length",
        })
    }
}

/// Options for compiling a table.
///
/// ```
/// use rampart::rule::RuleSyntax;
/// use rampart::table::TableOptions;
///
/// let options = TableOptions::default().with_default_syntax(RuleSyntax::V2);
/// assert_eq!(options.default_syntax, RuleSyntax::V2);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TableOptions {
    /// `core.defaultRuleSyntax`.
    pub default_syntax: RuleSyntax,
    /// `providers.precedence`, lower-case provider names, first wins ties.
    pub provider_precedence: Vec<String>,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            default_syntax: RuleSyntax::V3,
            provider_precedence: DEFAULT_PROVIDER_PRECEDENCE
                .iter()
                .map(|p| (*p).to_string())
                .collect(),
        }
    }
}

impl TableOptions {
    /// Sets the default rule syntax.
    #[must_use]
    pub fn with_default_syntax(mut self, syntax: RuleSyntax) -> Self {
        self.default_syntax = syntax;
        self
    }

    /// Sets the provider precedence.
    #[must_use]
    pub fn with_provider_precedence(mut self, precedence: &[&str]) -> Self {
        self.provider_precedence = precedence.iter().map(|p| p.to_ascii_lowercase()).collect();
        self
    }
}

/// A compiled router in the table.
#[derive(Debug, Clone)]
pub struct Route<T> {
    pub(crate) name: String,
    pub(crate) rule: Rule,
    pub(crate) priority: i64,
    pub(crate) source: PrioritySource,
    pub(crate) provider_rank: usize,
    pub(crate) payload: T,
}

impl<T> Route<T> {
    /// The qualified router name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compiled rule.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The effective priority.
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// Whether the priority was configured or computed from the rule.
    pub fn priority_source(&self) -> PrioritySource {
        self.source
    }

    /// The provider part of the name (`file` in `app@file`), empty without one.
    pub fn provider(&self) -> &str {
        provider_of(&self.name)
    }

    /// The caller's payload.
    pub fn payload(&self) -> &T {
        &self.payload
    }
}

/// Traefik's `providerName`: the part after `@` when the name has exactly one `@`.
pub(crate) fn provider_of(name: &str) -> &str {
    match name.split_once('@') {
        Some((_, provider)) if !provider.contains('@') => provider,
        _ => "",
    }
}
