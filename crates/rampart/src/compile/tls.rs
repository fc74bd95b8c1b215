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
mod tests {
    use super::*;
    use rampart_config::static_config::FileSource;
    use rampart_config::{DynamicConfig, FileProvider, StaticConfig};

    fn load(static_yaml: &str, dynamic_yaml: &str) -> (StaticConfig, DynamicConfig) {
        let dir = tempfile::tempdir().unwrap();
        let st = dir.path().join("static.yaml");
        let dy = dir.path().join("dynamic.yaml");
        std::fs::write(&st, static_yaml).unwrap();
        std::fs::write(&dy, dynamic_yaml).unwrap();
        let loaded =
            StaticConfig::load(&[format!("--configFile={}", st.display())], BTreeMap::new())
                .unwrap();
        let snapshot = FileProvider::load_once(FileSource::File(dy), BTreeMap::new());
        assert!(snapshot.report.errors.is_empty(), "{:?}", snapshot.report);
        (loaded.config, snapshot.config)
    }

    fn plan(st: &StaticConfig, dy: &DynamicConfig) -> TlsPlan {
        let mounts: Vec<(String, RouterModel, Vec<String>)> = dy
            .http
            .routers
            .iter()
            .map(|(n, r)| {
                let eps = if r.entry_points.is_empty() {
                    st.default_entry_points()
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                } else {
                    r.entry_points.clone()
                };
                (n.as_str().to_owned(), r.clone(), eps)
            })
            .collect();
        TlsPlan::resolve(
            &st.entry_points,
            mounts.iter().map(|(n, r, e)| (n.as_str(), r, e.as_slice())),
        )
    }

    const STATIC: &str = "
entryPoints:
  websecure:
    address: 127.0.0.1:0
    http:
      tls:
        options: tls-opts@file
        certResolver: le
        domains: [{main: example.test, sans: ['*.example.test']}]
  other:
    address: 127.0.0.1:0
providers:
  file:
    filename: unused.yaml
certificatesResolvers:
  le:
    acme:
      storage: acme.json
      tlsChallenge: {}
";

    #[test]
    fn a_router_with_its_own_tls_takes_nothing_from_the_entrypoint() {
        let (st, dy) = load(
            STATIC,
            "
http:
  routers:
    inherits:
      rule: Host(`a.example.test`)
      entryPoints: [websecure]
      service: noop@internal
    own:
      rule: Host(`b.example.test`)
      entryPoints: [websecure]
      service: noop@internal
      tls: {certResolver: other}
    plain:
      rule: Host(`c.example.test`)
      entryPoints: [other]
      service: noop@internal
tls:
  options:
    tls-opts: {minVersion: VersionTLS12}
",
        );
        let plan = plan(&st, &dy);
        let inherits = plan.get("inherits@file", "websecure").unwrap();
        assert_eq!(&*inherits.options, "tls-opts@file");
        assert_eq!(inherits.summary.cert_resolver.as_deref(), Some("le"));
        assert_eq!(
            inherits.summary.domains,
            [vec!["example.test".to_owned(), "*.example.test".to_owned()]]
        );
        let own = plan.get("own@file", "websecure").unwrap();
        assert_eq!(&*own.options, "default");
        assert_eq!(own.summary.cert_resolver.as_deref(), Some("other"));
        assert!(own.summary.domains.is_empty());
        assert!(plan.get("plain@file", "other").is_none());
        assert!(plan.fallbacks.is_empty(), "{:?}", plan.fallbacks);
    }

    #[test]
    fn an_unqualified_entrypoint_options_name_takes_the_routers_provider() {
        let (st, dy) = load(
            &STATIC.replace("tls-opts@file", "tls-opts"),
            "
http:
  routers:
    r:
      rule: Host(`a.example.test`)
      entryPoints: [websecure]
      service: noop@internal
",
        );
        assert_eq!(
            &*plan(&st, &dy).get("r@file", "websecure").unwrap().options,
            "tls-opts@file"
        );
    }

    #[test]
    fn a_host_asked_for_with_two_options_falls_back_to_default_on_that_entrypoint_only() {
        let (st, dy) = load(
            STATIC,
            "
http:
  routers:
    strict:
      rule: Host(`shared.example.test`) && Path(`/a`)
      entryPoints: [websecure, other]
      service: noop@internal
      tls: {options: mintls13}
    lax:
      rule: Host(`shared.example.test`) && Path(`/b`)
      entryPoints: [websecure]
      service: noop@internal
      tls: {options: tls-opts}
    alone:
      rule: Host(`alone.example.test`)
      entryPoints: [websecure]
      service: noop@internal
      tls: {options: mintls13}
tls:
  options:
    tls-opts: {minVersion: VersionTLS12}
    mintls13: {minVersion: VersionTLS13}
",
        );
        let plan = plan(&st, &dy);
        assert_eq!(
            &*plan.get("strict@file", "websecure").unwrap().options,
            "default"
        );
        assert_eq!(
            &*plan.get("lax@file", "websecure").unwrap().options,
            "default"
        );
        assert_eq!(
            &*plan.get("strict@file", "other").unwrap().options,
            "mintls13@file"
        );
        assert_eq!(
            &*plan.get("alone@file", "websecure").unwrap().options,
            "mintls13@file"
        );
        let routers: BTreeSet<&str> = plan.fallbacks.iter().map(|f| f.router.as_str()).collect();
        assert_eq!(routers, BTreeSet::from(["lax@file", "strict@file"]));
        assert!(plan.fallbacks[0].message.contains("shared.example.test"));
    }

    #[test]
    fn options_on_a_router_without_host_fall_back_to_default() {
        let (st, dy) = load(
            STATIC,
            "
http:
  routers:
    api:
      rule: PathPrefix(`/api`)
      entryPoints: [websecure]
      service: noop@internal
",
        );
        let plan = plan(&st, &dy);
        assert_eq!(
            &*plan.get("api@file", "websecure").unwrap().options,
            "default"
        );
        assert_eq!(plan.fallbacks.len(), 1);
        assert!(
            plan.fallbacks[0].message.contains("no Host"),
            "{:?}",
            plan.fallbacks
        );
    }
}
