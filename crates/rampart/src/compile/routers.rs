//! Routers → per-entrypoint routing tables.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use rampart_config::dynamic_config::Router as RouterModel;
use rampart_config::static_config::{self as sc, EntryPoint};

use super::services::Services;
use super::tls::TlsPlan;
use super::{CompileInput, Compiled, TlsRouter};
use crate::entrypoint::{ForwardedHeaders, ForwardedHeadersSpec};
use crate::middleware::{Builder, Chain, Definition, Endpoint, Middleware, qualify};
use crate::request::{EncodedCharacters, PathOptions};
use crate::rule::RuleSyntax;
use crate::runtime::{
    EntrypointRuntime, ProblemKind, Report, RouteTarget, RouterSummary, Runtime, UnderscoreHeaders,
};
use crate::table::{self, RoutingTable, TableOptions};

/// The routers of one entrypoint, split by the connections they serve.
#[derive(Default)]
pub(super) struct EpRoutes {
    pub(super) plain: Vec<table::Router<RouteTarget>>,
    pub(super) tls: Vec<table::Router<RouteTarget>>,
}

pub(super) struct Routers<'a> {
    pub(super) input: &'a CompileInput<'a>,
    pub(super) services: &'a Services<'a>,
    pub(super) base: Builder<'a>,
    pub(super) report: Report,
    pub(super) routes: BTreeMap<String, EpRoutes>,
    seen: HashSet<(ProblemKind, String, String)>,
    tls: Vec<TlsRouter>,
    pub(super) reserved: Vec<Reserved>,
}

/// A reserved auth path declared by a middleware of a mounted router (see
/// `internal::reserved_routes`).
pub(super) struct Reserved {
    pub(super) router: String,
    pub(super) rule: String,
    pub(super) entrypoint: String,
    pub(super) tls: bool,
    /// The TLS options its source router demands of a connection (the 421 check).
    pub(super) tls_options: Option<Arc<str>>,
    pub(super) prefix: Arc<str>,
    pub(super) middleware: Arc<dyn Middleware>,
}

impl<'a> Routers<'a> {
    pub(super) fn new(input: &'a CompileInput<'a>, services: &'a Services<'a>) -> Self {
        let mut base = Builder::new(input.registry);
        for (name, m) in &input.dynamic.http.middlewares {
            base.define(
                name.as_str(),
                Definition {
                    type_name: m.type_name.clone(),
                    config: m.options.clone(),
                },
            );
        }
        // Middlewares that reach services by name (forwardAuth's `authService`, `errors`).
        for name in input.dynamic.http.services.keys() {
            if let Ok(built) = services.get(name.as_str()) {
                base.service(name.as_str(), built.endpoint);
            }
        }
        for internal in ["noop@internal", "whoami@internal"] {
            if let Ok(built) = services.get(internal) {
                base.service(internal, built.endpoint);
            }
        }
        let routes = input
            .static_config
            .entry_points
            .keys()
            .map(|n| (n.clone(), EpRoutes::default()))
            .collect();
        Routers {
            input,
            services,
            base,
            report: Report::default(),
            routes,
            seen: HashSet::new(),
            tls: Vec::new(),
            reserved: Vec::new(),
        }
    }

    /// Records a problem once (a router mounted on two entrypoints reports once).
    pub(super) fn error(&mut self, kind: ProblemKind, name: &str, message: impl std::fmt::Display) {
        let message = message.to_string();
        if self.seen.insert((kind, name.to_owned(), message.clone())) {
            self.report.error(kind, name, message);
        }
    }

    fn warning(&mut self, kind: ProblemKind, name: &str, message: impl std::fmt::Display) {
        let message = message.to_string();
        if self.seen.insert((kind, name.to_owned(), message.clone())) {
            self.report.warning(kind, name, message);
        }
    }

    pub(super) fn compile(mut self) -> Compiled {
        let routers: Vec<(String, RouterModel)> = self
            .input
            .dynamic
            .http
            .routers
            .iter()
            .map(|(n, r)| (n.as_str().to_owned(), r.clone()))
            .collect();
        let mounts: Vec<Vec<String>> = routers
            .iter()
            .map(|(name, router)| self.entrypoints(name, router))
            .collect();
        let plan = TlsPlan::resolve(
            &self.input.static_config.entry_points,
            routers
                .iter()
                .zip(&mounts)
                .map(|((name, router), eps)| (name.as_str(), router, eps.as_slice())),
        );
        for fallback in &plan.fallbacks {
            self.warning(ProblemKind::Router, &fallback.router, &fallback.message);
        }
        for ((name, router), entrypoints) in routers.iter().zip(mounts) {
            self.router(name, router, &entrypoints, &plan);
        }
        super::internal::add(&mut self);
        self.finish()
    }

    /// The entrypoints a router is mounted on: its own, or the default ones.
    fn entrypoints(&mut self, name: &str, router: &RouterModel) -> Vec<String> {
        let wanted: Vec<String> = if router.entry_points.is_empty() {
            self.input
                .static_config
                .default_entry_points()
                .into_iter()
                .map(str::to_owned)
                .collect()
        } else {
            router.entry_points.clone()
        };
        let mut found = Vec::new();
        for ep in wanted {
            if self.input.static_config.entry_points.contains_key(&ep) {
                found.push(ep);
            } else {
                self.error(
                    ProblemKind::Router,
                    name,
                    format!("entrypoint `{ep}` does not exist"),
                );
            }
        }
        found
    }

    fn router(&mut self, name: &str, router: &RouterModel, entrypoints: &[String], plan: &TlsPlan) {
        let explicit_priority = i64::try_from(router.rule.len()).ok() != Some(router.priority);
        let mut summary = RouterSummary {
            name: name.to_owned(),
            rule: router.rule.clone(),
            priority: router.priority,
            explicit_priority,
            entrypoints: entrypoints.to_vec(),
            middlewares: Vec::new(),
            service: router.service.as_str().to_owned(),
            tls: false,
            active: false,
            internal: false,
        };
        let service = match self.services.get(router.service.as_str()) {
            Ok(built) => Some(built.endpoint),
            Err(e) => {
                self.error(
                    ProblemKind::Router,
                    name,
                    format!("service `{}`: {e}", router.service),
                );
                None
            }
        };
        for ep_name in entrypoints {
            let ep = &self.input.static_config.entry_points[ep_name];
            let names = middleware_names(name, ep, router);
            if summary.middlewares.is_empty() {
                summary.middlewares.clone_from(&names);
            }
            let Some(service) = service.clone() else {
                continue;
            };
            let Some(chain) = self.chain(name, &names, service) else {
                continue;
            };
            let ep_tls = plan.get(name, ep_name);
            let tls = ep_tls.is_some();
            let tls_options = ep_tls.map(|t| t.options.clone());
            summary.tls |= tls;
            for m in chain.middlewares().iter() {
                for path in m.reserved_paths() {
                    self.reserved.push(Reserved {
                        router: name.to_owned(),
                        rule: router.rule.clone(),
                        entrypoint: ep_name.clone(),
                        tls,
                        tls_options: tls_options.clone(),
                        prefix: path.prefix.clone(),
                        middleware: m.clone(),
                    });
                }
            }
            let target = RouteTarget::new(name, chain).with_tls_options(tls_options);
            let mut entry = table::Router::new(name, router.rule.clone(), target);
            if explicit_priority {
                entry = entry.with_priority(router.priority);
            }
            if let Some(syntax) = router.rule_syntax {
                entry = entry.with_syntax(syntax_of(syntax));
            }
            let routes = self.routes.entry(ep_name.clone()).or_default();
            if let Some(t) = ep_tls {
                routes.tls.push(entry);
                self.tls.push(t.summary.clone());
            } else {
                routes.plain.push(entry);
            }
            summary.active = true;
        }
        self.report.routers.push(summary);
    }

    /// Builds `names` for router `name` with a fresh builder (its own instances); a broken
    /// middleware is reported on itself and on the router, which is then left out.
    pub(super) fn chain(
        &mut self,
        name: &str,
        names: &[String],
        service: Arc<dyn Endpoint>,
    ) -> Option<Chain> {
        let builder = self.base.fresh();
        let mut middlewares: Vec<Arc<dyn Middleware>> = Vec::with_capacity(names.len());
        let mut broken = false;
        for m in names {
            match builder.middleware(m) {
                Ok(built) => middlewares.push(built),
                Err(e) => {
                    // "Does not exist" only when `m` itself is undefined; an internal
                    // middleware (a redirection's) that fails to build says why.
                    let missing = matches!(
                        &e,
                        crate::middleware::BuildError::Reference { name, .. } if name == m
                    );
                    if missing {
                        self.error(
                            ProblemKind::Router,
                            name,
                            format!("middleware `{m}` does not exist"),
                        );
                    } else {
                        if self.input.dynamic.http.middlewares.contains_key(m.as_str()) {
                            self.error(ProblemKind::Middleware, m, &e);
                        }
                        self.error(
                            ProblemKind::Router,
                            name,
                            format!("middleware `{m}` is broken: {e}"),
                        );
                    }
                    broken = true;
                }
            }
        }
        (!broken).then(|| Chain::new(middlewares, service))
    }

    fn finish(mut self) -> Compiled {
        let options = TableOptions::default()
            .with_default_syntax(syntax_of(self.input.static_config.core.default_rule_syntax));
        let precedence: Vec<&str> = self
            .input
            .static_config
            .providers
            .precedence
            .iter()
            .map(String::as_str)
            .collect();
        let options = if precedence.is_empty() {
            options
        } else {
            options.with_provider_precedence(&precedence)
        };
        let mut runtime = Runtime::default();
        let routes = std::mem::take(&mut self.routes);
        let mut failed = HashSet::new();
        for (ep_name, ep_routes) in routes {
            let ep = &self.input.static_config.entry_points[&ep_name];
            let forwarded = self.forwarded(&ep_name, ep);
            let plain = self.table(ep_routes.plain, &options, &mut failed);
            let tls = self.table(ep_routes.tls, &options, &mut failed);
            let runtime_ep = EntrypointRuntime {
                name: Arc::from(ep_name.as_str()),
                forwarded,
                path: path_options(ep),
                underscore: match ep.http.underscore_headers {
                    sc::UnderscoreHeaders::Keep => UnderscoreHeaders::Keep,
                    sc::UnderscoreHeaders::Delete => UnderscoreHeaders::Delete,
                    sc::UnderscoreHeaders::Reject => UnderscoreHeaders::Reject,
                },
                plain,
                tls,
            };
            runtime
                .entrypoints
                .insert(runtime_ep.name.clone(), Arc::new(runtime_ep));
        }
        for summary in &mut self.report.routers {
            if failed.contains(&summary.name) {
                summary.active = false;
            }
        }
        self.report.routers.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        Compiled {
            runtime,
            report: self.report,
            tls_routers: self.tls,
        }
    }

    fn table(
        &mut self,
        routers: Vec<table::Router<RouteTarget>>,
        options: &TableOptions,
        failed: &mut HashSet<String>,
    ) -> RoutingTable<RouteTarget> {
        let built = RoutingTable::build(routers, options);
        for e in &built.errors {
            failed.insert(e.router.clone());
            self.error(ProblemKind::Router, &e.router.clone(), &e.kind);
        }
        for w in &built.warnings {
            self.warning(ProblemKind::Router, &w.router.clone(), &w.warning);
        }
        built.table
    }

    fn forwarded(&mut self, name: &str, ep: &EntryPoint) -> ForwardedHeaders {
        let fh = &ep.forwarded_headers;
        let spec = ForwardedHeadersSpec {
            trusted_ips: fh.trusted_ips.iter().map(ToString::to_string).collect(),
            insecure: fh.insecure,
            connection: fh.connection.clone(),
            not_append_x_forwarded_for: fh.not_append_x_forwarded_for
                || self.input.static_config.global.not_append_x_forwarded_for,
            add_x_forwarded_scheme_headers: fh.add_x_forwarded_scheme_headers,
        };
        match ForwardedHeaders::new(&spec) {
            Ok(stage) => stage,
            Err(e) => {
                self.error(
                    ProblemKind::EntryPoint,
                    name,
                    format!("forwardedHeaders: {e}; trusting nobody"),
                );
                ForwardedHeaders::new(&ForwardedHeadersSpec::new())
                    .expect("the empty spec is valid")
            }
        }
    }
}

/// The entrypoint's middlewares (qualified with the router's provider when they have none, as
/// Traefik does), then the router's.
fn middleware_names(router: &str, ep: &EntryPoint, model: &RouterModel) -> Vec<String> {
    ep.http
        .middlewares
        .iter()
        .map(|m| qualify(m, router))
        .chain(model.middlewares.iter().map(|m| m.as_str().to_owned()))
        .collect()
}

fn syntax_of(syntax: rampart_config::RuleSyntax) -> RuleSyntax {
    match syntax {
        rampart_config::RuleSyntax::V2 => RuleSyntax::V2,
        rampart_config::RuleSyntax::V3 => RuleSyntax::V3,
    }
}

fn path_options(ep: &EntryPoint) -> PathOptions {
    let e = &ep.http.encoded_characters;
    let encoded = EncodedCharacters {
        allow_encoded_slash: e.allow_encoded_slash,
        allow_encoded_back_slash: e.allow_encoded_back_slash,
        allow_encoded_null_character: e.allow_encoded_null_character,
        allow_encoded_semicolon: e.allow_encoded_semicolon,
        allow_encoded_percent: e.allow_encoded_percent,
        allow_encoded_question_mark: e.allow_encoded_question_mark,
        allow_encoded_hash: e.allow_encoded_hash,
    };
    PathOptions {
        sanitize_path: ep.http.sanitize_path,
        encoded_characters: encoded,
        encode_query_semicolons: ep.http.encode_query_semicolons,
    }
}
