//! Compiling routers into a table: rules, priorities, order, index, and per-router errors.

use std::cmp::Reverse;

use super::index::Index;
use super::router::{MAX_USER_PRIORITY, PrioritySource, Route, Router, TableOptions, provider_of};
use super::{RouterError, RouterErrorKind, RouterWarning, RoutingTable};
use crate::rule::Rule;

/// The result of compiling routers: the table of the valid ones, and what was wrong.
#[derive(Debug)]
#[non_exhaustive]
pub struct Built<T> {
    /// The routers that compiled, in priority order.
    pub table: RoutingTable<T>,
    /// The routers left out, and why.
    pub errors: Vec<RouterError>,
    /// Rules that compiled but are probably not what their author meant.
    pub warnings: Vec<RouterWarning>,
}

pub(super) fn build<T>(
    routers: impl IntoIterator<Item = Router<T>>,
    options: &TableOptions,
) -> Built<T> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut routes = Vec::new();
    for router in routers {
        let syntax = router.syntax.unwrap_or(options.default_syntax);
        let rule = match Rule::parse_with(&router.rule, syntax) {
            Ok(rule) => rule,
            Err(err) => {
                errors.push(RouterError {
                    router: router.name,
                    kind: RouterErrorKind::Rule(err),
                });
                continue;
            }
        };
        let (priority, source) = if router.priority == 0 {
            (rule.default_priority(), PrioritySource::RuleLength)
        } else {
            (router.priority, PrioritySource::Explicit)
        };
        if priority > MAX_USER_PRIORITY && !router.name.ends_with("@internal") {
            errors.push(RouterError {
                router: router.name,
                kind: RouterErrorKind::PriorityTooHigh {
                    priority,
                    max: MAX_USER_PRIORITY,
                },
            });
            continue;
        }
        warnings.extend(rule.warnings().iter().map(|w| RouterWarning {
            router: router.name.clone(),
            warning: w.clone(),
        }));
        let provider = provider_of(&router.name);
        let provider_rank = options
            .provider_precedence
            .iter()
            .position(|p| p == provider)
            .unwrap_or(options.provider_precedence.len());
        routes.push(Route {
            name: router.name,
            rule,
            priority,
            source,
            provider_rank,
            payload: router.payload,
        });
    }
    // Traefik sorts by priority, then provider precedence (`mux.go` `routes.Less`); its sort
    // is not stable, so rampart breaks the remaining ties by router name.
    routes.sort_by(|a, b| {
        (Reverse(a.priority), a.provider_rank, &a.name).cmp(&(
            Reverse(b.priority),
            b.provider_rank,
            &b.name,
        ))
    });
    let mut index = Index::default();
    for (rank, route) in routes.iter().enumerate() {
        index.add(u32::try_from(rank).unwrap_or(u32::MAX), route.rule.node());
    }
    index.finish();
    Built {
        table: RoutingTable { routes, index },
        errors,
        warnings,
    }
}
