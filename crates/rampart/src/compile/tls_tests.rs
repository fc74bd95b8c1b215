//! The TLS plan: the entrypoint model and options resolution on real configuration files.

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
        StaticConfig::load(&[format!("--configFile={}", st.display())], BTreeMap::new()).unwrap();
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
