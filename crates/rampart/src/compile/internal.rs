//! rampart's own routers (`…@internal`), added after the configured ones:
//!
//! * entrypoint redirections (`web-to-websecure@internal`, Traefik's ``HostRegexp(`^.+$`)`` at
//!   priority MaxInt-1 unless configured);
//! * `ping@internal` on ``PathPrefix(`/ping`)`` (priority `MaxInt`) unless `ping.manualRouting`;
//! * `acme-http@internal` on ``PathPrefix(`/.well-known/acme-challenge/`)`` (`MaxInt`) on the
//!   HTTP-01 entrypoint, when the process provides that service;
//! * reserved auth paths: a forwardAuth middleware declaring `reservedPathPrefix` gets, on every
//!   host its routers match, a router ``Host(…) && PathPrefix(prefix)`` at `MaxInt-3` that sends
//!   those requests to the auth backend — ahead of every application router, so the outpost
//!   route can never lose on rule length (the guide's priority trap).

use std::sync::Arc;

use rampart_config::static_config::RedirectTarget;
use rampart_config::{Map, Value};

use super::routers::{Reserved, Routers};
use crate::middleware::{Definition, Endpoint, Middleware};
use crate::runtime::{ProblemKind, RouteTarget, RouterSummary};
use crate::service::internal::Noop;
use crate::table;

const PRIORITY_ACME: i64 = i64::MAX;
const PRIORITY_PING: i64 = i64::MAX;
const PRIORITY_RESERVED: i64 = i64::MAX - 3;

pub(super) fn add(r: &mut Routers<'_>) {
    redirections(r);
    ping(r);
    acme_http(r);
    reserved_routes(r);
}

/// Mounts an internal router on `entrypoint` (both tables unless `plain_only`).
fn mount(
    r: &mut Routers<'_>,
    entrypoint: &str,
    plain_only: bool,
    router: table::Router<RouteTarget>,
    service: &str,
    middlewares: Vec<String>,
) {
    r.report.routers.push(RouterSummary {
        name: router.name.clone(),
        rule: router.rule.clone(),
        priority: router.priority,
        explicit_priority: true,
        entrypoints: vec![entrypoint.to_owned()],
        middlewares,
        service: service.to_owned(),
        tls: !plain_only,
        active: true,
        internal: true,
    });
    let Some(routes) = r.routes.get_mut(entrypoint) else {
        return;
    };
    if !plain_only {
        routes.tls.push(router.clone());
    }
    routes.plain.push(router);
}

fn redirections(r: &mut Routers<'_>) {
    let eps: Vec<_> = r
        .input
        .static_config
        .entry_points
        .iter()
        .filter_map(|(n, ep)| ep.http.redirection.clone().map(|red| (n.clone(), red)))
        .collect();
    for (ep_name, redirection) in eps {
        let (target, port) = match &redirection.to {
            RedirectTarget::EntryPoint(to) => {
                let port = r
                    .input
                    .static_config
                    .entry_points
                    .get(to)
                    .map(|e| e.address.port);
                (to.clone(), port)
            }
            RedirectTarget::Port(p) => (format!("port-{p}"), Some(*p)),
        };
        let name = format!("{ep_name}-to-{target}@internal");
        let Some(port) = port else {
            r.error(
                ProblemKind::EntryPoint,
                &ep_name,
                format!("redirection target `{target}` does not exist"),
            );
            continue;
        };
        let mut options = Map::new();
        options.insert("scheme".into(), Value::String(redirection.scheme.clone()));
        options.insert("permanent".into(), Value::Bool(redirection.permanent));
        // Port 0 means "any free port": the binary compiles with the port it bound, so 0 is
        // only seen by `rampart check`/`explain`, where the Location's port does not matter.
        if port != 0 {
            options.insert("port".into(), Value::String(port.to_string()));
        }
        let middleware = format!("redirect-{ep_name}-to-{target}@internal");
        r.base.define(
            &middleware,
            Definition {
                type_name: "redirectScheme".into(),
                config: Value::Map(options),
            },
        );
        let Some(chain) = r.chain(&name, std::slice::from_ref(&middleware), Arc::new(Noop)) else {
            continue;
        };
        let router =
            table::Router::new(&name, "HostRegexp(`^.+$`)", RouteTarget::new(&name, chain))
                .with_priority(redirection.priority);
        mount(
            r,
            &ep_name,
            false,
            router,
            "noop@internal",
            vec![middleware],
        );
    }
}

fn ping(r: &mut Routers<'_>) {
    let Some(ping) = r.input.static_config.ping.clone() else {
        return;
    };
    if ping.manual_routing {
        return;
    }
    let Ok(service) = r.services.get("ping@internal") else {
        return;
    };
    if !r.routes.contains_key(&ping.entry_point) {
        r.error(
            ProblemKind::EntryPoint,
            &ping.entry_point,
            "ping's entrypoint does not exist",
        );
        return;
    }
    let chain = crate::middleware::Chain::new(Vec::new(), service.endpoint);
    let router = table::Router::new(
        "ping@internal",
        "PathPrefix(`/ping`)",
        RouteTarget::new("ping@internal", chain),
    )
    .with_priority(PRIORITY_PING);
    mount(
        r,
        &ping.entry_point,
        false,
        router,
        "ping@internal",
        Vec::new(),
    );
}

fn acme_http(r: &mut Routers<'_>) {
    let Some(endpoint) = r.input.internal.extra.get("acme-http@internal").cloned() else {
        return;
    };
    let eps: Vec<String> = r
        .input
        .static_config
        .certificates_resolvers
        .values()
        .filter_map(|res| {
            res.acme
                .http_challenge
                .as_ref()
                .map(|h| h.entry_point.clone())
        })
        .collect();
    for ep in eps {
        if r.report
            .routers
            .iter()
            .any(|s| s.name == "acme-http@internal" && s.entrypoints == [ep.clone()])
        {
            continue;
        }
        let chain = crate::middleware::Chain::new(Vec::new(), endpoint.clone());
        let router = table::Router::new(
            "acme-http@internal",
            "PathPrefix(`/.well-known/acme-challenge/`)",
            RouteTarget::new("acme-http@internal", chain),
        )
        .with_priority(PRIORITY_ACME);
        mount(r, &ep, true, router, "acme-http@internal", Vec::new());
    }
}

fn reserved_routes(r: &mut Routers<'_>) {
    let reserved = std::mem::take(&mut r.reserved);
    let noop: Arc<dyn Endpoint> = Arc::new(Noop);
    // One name per (router, prefix), the same on every entrypoint the router serves, so that
    // `check` lists it once and `explain` names it the same way everywhere.
    let mut names: Vec<(String, Arc<str>)> = Vec::new();
    for res in reserved {
        let Reserved {
            router,
            rule,
            entrypoint,
            tls,
            tls_options,
            prefix,
            middleware,
        } = res;
        let hosts = crate::rule::parse_domains(&rule).unwrap_or_default();
        let scope = if hosts.is_empty() {
            format!("({rule})")
        } else {
            let any: Vec<String> = hosts.iter().map(|h| format!("Host(`{h}`)")).collect();
            format!("({})", any.join(" || "))
        };
        let new_rule = format!("{scope} && PathPrefix(`{prefix}`)");
        let short = router.split('@').next().unwrap_or(&router);
        let target = middleware
            .reserved_paths()
            .iter()
            .find(|p| p.prefix == prefix)
            .map_or_else(|| "the auth backend".to_owned(), |p| p.target.to_string());
        if !names.iter().any(|(r, p)| *r == router && *p == prefix) {
            names.push((router.clone(), prefix.clone()));
        }
        let index = names
            .iter()
            .filter(|(r, _)| *r == router)
            .position(|(_, p)| *p == prefix)
            .unwrap_or_default();
        let name = if index == 0 {
            format!("{short}-auth-path@internal")
        } else {
            format!("{short}-auth-path-{}@internal", index + 1)
        };
        let chain =
            crate::middleware::Chain::new([middleware as Arc<dyn Middleware>], noop.clone());
        let route = RouteTarget::new(&name, chain).with_tls_options(tls_options);
        let entry = table::Router::new(&name, new_rule, route).with_priority(PRIORITY_RESERVED);
        if let Some(summary) = r.report.routers.iter_mut().find(|s| s.name == name) {
            if !summary.entrypoints.contains(&entrypoint) {
                summary.entrypoints.push(entrypoint.clone());
            }
            summary.tls |= tls;
        } else {
            r.report.routers.push(RouterSummary {
                name: name.clone(),
                rule: entry.rule.clone(),
                priority: PRIORITY_RESERVED,
                explicit_priority: true,
                entrypoints: vec![entrypoint.clone()],
                middlewares: vec![format!("(reservedPathPrefix `{prefix}` of `{router}`)")],
                service: target,
                tls,
                active: true,
                internal: true,
            });
        }
        if let Some(routes) = r.routes.get_mut(&entrypoint) {
            if tls {
                routes.tls.push(entry);
            } else {
                routes.plain.push(entry);
            }
        }
    }
}
