//! Which routers serve TLS on which entrypoint, and with which TLS options.
//!
//! Two Traefik rules, applied before any router is compiled:
//!
//! * **Entrypoint model** (`aggregator.go` `applyModel`): a router without its own `tls` takes
//!   the entrypoint's `http.tls` *whole* (options, certResolver, domains). A router with a `tls`
//!   section — even `tls: {}` — keeps its own and nothing of the entrypoint's.
//! * **Options resolution** (`aggregator.go` `resolveHTTPTLSOptions`), per entrypoint, because
//!   a handshake only knows its SNI: a host that routers of one entrypoint serve with different
//!   options, and a router with non-default options but no `Host` in its rule, fall back to the
//!   `default` options. The resolved name is what the handshake uses for the router's hosts
//!   and what the router demands of a connection (the 421 check, Traefik's `snicheck`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rampart_config::dynamic_config::Router as RouterModel;
use rampart_config::static_config::EntryPoint;

use super::TlsRouter;
use crate::middleware::qualify;
use crate::rule;

/// The name of the built-in TLS options.
const DEFAULT_OPTIONS: &str = "default";

/// A router's TLS on one entrypoint, after the model and the resolution.
#[derive(Debug, Clone)]
pub(super) struct RouterTls {
    /// The options the router's hosts are served with and that its connections must have used.
    pub(super) options: Arc<str>,
    /// What it describes to the TLS and ACME setup.
    pub(super) summary: TlsRouter,
}

/// Why a router's options were replaced by `default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fallback {
    pub(super) router: String,
    pub(super) message: String,
}

/// Every (router, entrypoint) pair that serves TLS.
#[derive(Debug, Default)]
pub(super) struct TlsPlan {
    routers: HashMap<(String, String), RouterTls>,
    /// The routers whose options fell back to `default`, with why.
    pub(super) fallbacks: Vec<Fallback>,
}

impl TlsPlan {
    /// Resolves `routers`, each mounted on the entrypoints given with it.
    pub(super) fn resolve<'a>(
        entrypoints: &BTreeMap<String, EntryPoint>,
        routers: impl IntoIterator<Item = (&'a str, &'a RouterModel, &'a [String])>,
    ) -> Self {
        let mut plan = TlsPlan::default();
        // entrypoint → host → options → routers asking for them
        let mut hosts: BTreeMap<String, BTreeMap<String, BTreeMap<String, BTreeSet<String>>>> =
            BTreeMap::new();
        for (name, router, eps) in routers {
            for ep_name in eps {
                let Some(ep) = entrypoints.get(ep_name) else {
                    continue;
                };
                let Some(summary) = model(name, router, ep, ep_name) else {
                    continue;
                };
                if summary.rule_domains.is_empty() && summary.options != DEFAULT_OPTIONS {
                    plan.fallbacks.push(Fallback {
                        router: name.to_owned(),
                        message: format!(
                            "no Host in the rule, so TLS options `{}` cannot be chosen by SNI; \
                             the default TLS options apply on entrypoint `{ep_name}` (as in Traefik)",
                            summary.options
                        ),
                    });
                }
                for domain in &summary.rule_domains {
                    hosts
                        .entry(ep_name.clone())
                        .or_default()
                        .entry(domain.clone())
                        .or_default()
                        .entry(summary.options.clone())
                        .or_default()
                        .insert(name.to_owned());
                }
                let options = Arc::from(summary.options.as_str());
                plan.routers.insert(
                    (name.to_owned(), ep_name.clone()),
                    RouterTls { options, summary },
                );
            }
        }
        plan.fall_back_on_conflicts(&hosts);
        plan
    }

    fn fall_back_on_conflicts(
        &mut self,
        hosts: &BTreeMap<String, BTreeMap<String, BTreeMap<String, BTreeSet<String>>>>,
    ) {
        let default: Arc<str> = Arc::from(DEFAULT_OPTIONS);
        for (ep, by_host) in hosts {
            for (host, by_options) in by_host.iter().filter(|(_, o)| o.len() > 1) {
                let asked: Vec<String> = by_options
                    .iter()
                    .map(|(o, rs)| format!("`{o}` ({})", join(rs)))
                    .collect();
                for router in by_options.values().flatten() {
                    self.fallbacks.push(Fallback {
                        router: router.clone(),
                        message: format!(
                            "host `{host}` is served on entrypoint `{ep}` with different TLS \
                             options: {}; the default TLS options apply to these routers there \
                             (as in Traefik)",
                            asked.join(", ")
                        ),
                    });
                }
            }
        }
        // Second pass, so that a router in two conflicts is reset once per entrypoint.
        for (ep, by_host) in hosts {
            for by_options in by_host.values().filter(|o| o.len() > 1) {
                for router in by_options.values().flatten() {
                    if let Some(r) = self.routers.get_mut(&(router.clone(), ep.clone())) {
                        r.options = default.clone();
                        DEFAULT_OPTIONS.clone_into(&mut r.summary.options);
                    }
                }
            }
        }
        for r in self.routers.values_mut() {
            if r.summary.rule_domains.is_empty() {
                r.options = default.clone();
                DEFAULT_OPTIONS.clone_into(&mut r.summary.options);
            }
        }
    }

    /// The TLS of router `name` on entrypoint `ep`; `None` when it serves plain HTTP there.
    pub(super) fn get(&self, name: &str, ep: &str) -> Option<&RouterTls> {
        self.routers.get(&(name.to_owned(), ep.to_owned()))
    }
}

fn join(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The router's TLS on `ep` by Traefik's model: its own `tls` section whole, else the
/// entrypoint's `http.tls` whole, else none (a plain-HTTP router there).
fn model(name: &str, router: &RouterModel, ep: &EntryPoint, ep_name: &str) -> Option<TlsRouter> {
    let (options, cert_resolver, domains) = match (&router.tls, &ep.http.tls) {
        (Some(own), _) => (own.options.clone(), own.cert_resolver.clone(), &own.domains),
        (None, Some(ep_tls)) => (
            // The entrypoint's name is qualified with the router's provider, as Traefik's
            // `GetQualifiedName` does for a model's options.
            ep_tls.options.as_deref().map(|o| options_ref(o, name)),
            ep_tls.cert_resolver.clone(),
            &ep_tls.domains,
        ),
        (None, None) => return None,
    };
    Some(TlsRouter {
        router: name.to_owned(),
        entrypoints: vec![ep_name.to_owned()],
        rule_domains: rule::parse_domains(&router.rule).unwrap_or_default(),
        options: options.unwrap_or_else(|| DEFAULT_OPTIONS.to_owned()),
        cert_resolver,
        domains: domains
            .iter()
            .map(|d| d.names().map(str::to_owned).collect())
            .collect(),
    })
}

/// A TLS options reference: `default` (or empty) is the global set, a name without `@` belongs
/// to the router's provider.
fn options_ref(options: &str, router: &str) -> String {
    match options.trim() {
        "" | DEFAULT_OPTIONS => DEFAULT_OPTIONS.to_owned(),
        name => qualify(name, router),
    }
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
