//! `http.routers.<name>`: which requests go where, through which middlewares.

use super::names::{QualifiedName, service_ref, tls_options_ref};
use super::raw::{RawRouter, RawRouterObservability, RawRouterTls};
use crate::diag::Diagnostics;
use crate::types::{Domain, RuleSyntax};

/// The largest priority a user router may have; Traefik keeps the rest for `@internal` routers.
pub const MAX_USER_PRIORITY: i64 = i64::MAX - 1000;

/// A router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    /// The rule (`Host(`a.example.com`) && PathPrefix(`/api`)`), as written.
    pub rule: String,
    /// The rule syntax; `None` uses the static `core.defaultRuleSyntax`.
    pub rule_syntax: Option<RuleSyntax>,
    /// The priority: as written, or the rule's length in bytes when unset or 0 (Traefik's rule).
    pub priority: i64,
    /// Entry points; empty means the default entry points.
    pub entry_points: Vec<String>,
    /// Middlewares in order, qualified.
    pub middlewares: Vec<QualifiedName>,
    /// The service, qualified.
    pub service: QualifiedName,
    /// When set, the router serves TLS connections only.
    pub tls: Option<RouterTls>,
    /// Per-router observability switches.
    pub observability: RouterObservability,
}

/// `tls` of a router.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouterTls {
    /// TLS options: `default` or qualified; `None` is `default`. A router with a `tls`
    /// section takes nothing from its entry point's `http.tls` (Traefik's entrypoint model
    /// applies only to routers without one).
    pub options: Option<String>,
    /// Certificate resolver.
    pub cert_resolver: Option<String>,
    /// Domains to obtain certificates for (else the rule's `Host`s).
    pub domains: Vec<Domain>,
}

/// `observability` of a router; `None` inherits the entry point's setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RouterObservability {
    /// Access logs.
    pub access_logs: Option<bool>,
    /// Metrics.
    pub metrics: Option<bool>,
    /// Tracing.
    pub tracing: Option<bool>,
    /// Detailed traces rather than minimal ones.
    pub detailed_traces: bool,
}

/// Validates `http.routers.<name>` of `provider`.
pub(super) fn build(
    key: &str,
    provider: &str,
    raw: RawRouter,
    d: &mut Diagnostics<'_>,
) -> Option<Router> {
    let before = d.errors.len();
    if raw.parent_refs.is_some() {
        // A child router runs after its parents' middlewares; mounting it alone would skip them.
        d.unsupported(&format!("{key}.parentRefs"));
        return None;
    }
    let rule = raw.rule.unwrap_or_default();
    if rule.trim().is_empty() {
        d.error(key, "`rule` is required");
    }
    let rule_syntax = match raw.rule_syntax.as_deref().map(str::trim) {
        None | Some("" | "default") => None,
        Some(text) => {
            d.deprecated(
                &format!("{key}.ruleSyntax"),
                "rewrite the rule in v3 syntax and remove `ruleSyntax`",
            );
            RuleSyntax::parse(text).or_else(|| {
                d.error(
                    &format!("{key}.ruleSyntax"),
                    format!("unsupported rule syntax `{text}` (expected v2 or v3)"),
                );
                None
            })
        }
    };
    let priority = match raw.priority {
        None | Some(0) => i64::try_from(rule.len()).unwrap_or(i64::MAX),
        Some(p) => p,
    };
    if priority > MAX_USER_PRIORITY {
        d.error(
            &format!("{key}.priority"),
            format!("{priority} exceeds the largest user priority {MAX_USER_PRIORITY}"),
        );
    }
    let mut middlewares = Vec::new();
    for (i, m) in raw.middlewares.unwrap_or_default().iter().enumerate() {
        match QualifiedName::resolve(m, provider) {
            Ok(n) => middlewares.push(n),
            Err(e) => d.error(&format!("{key}.middlewares[{i}]"), e),
        }
    }
    let service = match raw.service.as_deref().map(str::trim) {
        None | Some("") => {
            d.error(key, "`service` is required");
            None
        }
        Some(s) => service_ref(s, provider)
            .map_err(|e| d.error(&format!("{key}.service"), e))
            .ok(),
    };
    let tls = raw.tls.map(|tls| router_tls(key, provider, tls, d));
    let observability = raw
        .observability
        .map_or_else(RouterObservability::default, |o| {
            router_observability(key, &o, d)
        });
    if d.errors.len() > before {
        return None;
    }
    Some(Router {
        rule,
        rule_syntax,
        priority,
        entry_points: raw.entry_points.unwrap_or_default(),
        middlewares,
        service: service?,
        tls,
        observability,
    })
}

fn router_tls(key: &str, provider: &str, raw: RawRouterTls, d: &mut Diagnostics<'_>) -> RouterTls {
    let domains = raw.domains.unwrap_or_default();
    for (i, domain) in domains.iter().enumerate() {
        if domain.main.trim().is_empty() {
            d.error(
                &format!("{key}.tls.domains[{i}].main"),
                "a domain needs a `main` name",
            );
        }
    }
    let options = raw.options.filter(|o| !o.trim().is_empty()).and_then(|o| {
        tls_options_ref(&o, provider)
            .map_err(|e| d.error(&format!("{key}.tls.options"), e))
            .ok()
    });
    RouterTls {
        options,
        cert_resolver: raw.cert_resolver.filter(|r| !r.is_empty()),
        domains,
    }
}

fn router_observability(
    key: &str,
    raw: &RawRouterObservability,
    d: &mut Diagnostics<'_>,
) -> RouterObservability {
    let detailed_traces = match raw.trace_verbosity.as_deref() {
        None | Some("" | "minimal") => false,
        Some("detailed") => true,
        Some(other) => {
            d.error(
                &format!("{key}.observability.traceVerbosity"),
                format!("`{other}` is not one of minimal, detailed"),
            );
            false
        }
    };
    RouterObservability {
        access_logs: raw.access_logs,
        metrics: raw.metrics,
        tracing: raw.tracing,
        detailed_traces,
    }
}
