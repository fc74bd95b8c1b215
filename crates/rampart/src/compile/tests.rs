//! Compiling configuration snapshots: fail closed, middleware order and instances, entrypoints,
//! TLS and plain tables, internal routers, the report `rampart check` prints.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::HeaderValue;
use rampart_config::{Document, DynamicConfig, Format, StaticConfig};
use serde::Deserialize;

use super::{CompileInput, Compiled, InternalServices, compile};
use crate::context::TlsInfo;
use crate::middleware::{Registry, from_fn};
use crate::runtime::{EntrypointRuntime, ProblemKind, RouterName, Severity};
use crate::{Body, ConnInfo, Request, Response};

fn static_config(yaml: &str) -> StaticConfig {
    let doc = Document::parse(yaml, Format::Yaml, "static.yaml").expect("static YAML");
    StaticConfig::from_document(&doc)
        .expect("valid static configuration")
        .0
}

fn dynamic_config(yaml: &str) -> DynamicConfig {
    let doc = Document::parse(yaml, Format::Yaml, "rules.yaml").expect("dynamic YAML");
    DynamicConfig::from_document(&doc, "file")
        .expect("valid dynamic configuration")
        .0
}

#[derive(Deserialize)]
struct MarkConfig {
    name: String,
}

/// The built-ins, plus `mark` (appends its `name` to the request's `x-order`).
fn registry() -> Registry {
    let mut registry = Registry::with_builtins();
    registry.register("mark", |cfg: MarkConfig, _ctx| {
        let value = HeaderValue::from_str(&cfg.name).expect("a header value");
        Ok(Arc::new(from_fn(move |mut req: Request, next| {
            req.headers_mut().append("x-order", value.clone());
            next.run(req)
        })))
    });
    registry
}

struct Fixture {
    static_config: StaticConfig,
    dynamic: DynamicConfig,
    registry: Registry,
    internal: InternalServices,
}

impl Fixture {
    fn new(static_yaml: &str, dynamic_yaml: &str) -> Self {
        Fixture {
            static_config: static_config(static_yaml),
            dynamic: dynamic_config(dynamic_yaml),
            registry: registry(),
            internal: InternalServices::default(),
        }
    }

    fn compile(&self) -> Compiled {
        compile(&CompileInput {
            static_config: &self.static_config,
            dynamic: &self.dynamic,
            registry: &self.registry,
            internal: &self.internal,
            start_health_checks: false,
        })
    }
}

const ONE_EP: &str = "entryPoints:\n  web:\n    address: \":80\"\n";

fn request(host: &str, path: &str, tls: bool) -> Request {
    let mut req = http::Request::builder()
        .uri(path)
        .header("host", host)
        .body(Body::empty())
        .expect("request");
    let peer = "127.0.0.1:40000".parse().expect("addr");
    let info = if tls {
        // Handshaken with the default TLS options, as every router here asks for.
        let tls = TlsInfo {
            options: Some(Arc::from("default")),
            ..TlsInfo::default()
        };
        ConnInfo::with_tls(peer, "web", tls)
    } else {
        ConnInfo::plain(peer, "web")
    };
    req.extensions_mut().insert(Arc::new(info));
    req
}

/// The `X-Order` values `whoami@internal` echoed, in order.
fn order(echo: &str) -> String {
    echo.lines()
        .filter_map(|l| l.strip_prefix("X-Order: "))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(",")
}

async fn body(res: Response) -> String {
    use http_body_util::BodyExt;
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn ep<'a>(compiled: &'a Compiled, name: &str) -> &'a Arc<EntrypointRuntime> {
    compiled
        .runtime
        .entrypoint(name)
        .unwrap_or_else(|| panic!("entrypoint {name}"))
}

fn routes(table: &crate::table::RoutingTable<crate::runtime::RouteTarget>) -> Vec<String> {
    let mut names: Vec<String> = table.routes().iter().map(|r| r.name().to_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_router_whose_middleware_service_or_rule_is_broken_is_left_out() {
    let f = Fixture::new(
        ONE_EP,
        r#"
http:
  routers:
    ok:
      rule: "Host(`ok.test`)"
      service: whoami@internal
    bad-mw:
      rule: "Host(`priv.test`)"
      middlewares: [auth]
      service: whoami@internal
    missing-mw:
      rule: "Host(`missing.test`)"
      middlewares: [nowhere]
      service: whoami@internal
    bad-service:
      rule: "Host(`svc.test`)"
      service: nowhere
    bad-rule:
      rule: "Host(`rule.test`"
      service: whoami@internal
  middlewares:
    auth:
      forwardAuth:
        address: "http://127.0.0.1:9/verify"
        authResponseHeadersRegex: "^X-(Auth"
"#,
    );
    let compiled = f.compile();
    let web = ep(&compiled, "web");
    assert_eq!(routes(web.plain_routes()), ["ok@file"]);
    // Fail closed: the router is not served at all, never without its middleware.
    let res = web.handle(request("priv.test", "/", false)).await;
    assert_eq!(res.status(), 404);
    let res = web.handle(request("ok.test", "/", false)).await;
    assert_eq!(res.status(), 200);

    let report = &compiled.report;
    let inactive: Vec<&str> = report
        .routers
        .iter()
        .filter(|r| !r.active)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(inactive.len(), 4, "{inactive:?}");
    let problem = |kind: ProblemKind, name: &str| {
        report
            .problems
            .iter()
            .filter(|p| p.kind == kind && p.name == name && p.severity == Severity::Error)
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
    };
    let on_router = problem(ProblemKind::Router, "bad-mw@file");
    assert!(
        on_router
            .iter()
            .any(|m| m.starts_with("middleware `auth@file` is broken:")),
        "{on_router:?}"
    );
    assert!(!problem(ProblemKind::Middleware, "auth@file").is_empty());
    assert_eq!(
        problem(ProblemKind::Router, "missing-mw@file"),
        ["middleware `nowhere@file` does not exist"]
    );
    assert!(
        problem(ProblemKind::Router, "bad-service@file")[0].contains("service `nowhere@file`"),
        "{:?}",
        report.problems
    );
    assert!(!problem(ProblemKind::Router, "bad-rule@file").is_empty());
}

#[tokio::test]
async fn entrypoint_middlewares_come_first_then_the_routers_then_chain_members_in_place() {
    let f = Fixture::new(
        r#"
entryPoints:
  web:
    address: ":80"
    http:
      middlewares: [ep-first@file, ep-second]
"#,
        r#"
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      middlewares: [router-a, both, router-b]
      service: whoami@internal
  middlewares:
    ep-first: {mark: {name: ep1}}
    ep-second: {mark: {name: ep2}}
    router-a: {mark: {name: a}}
    router-b: {mark: {name: b}}
    in-chain-1: {mark: {name: c1}}
    in-chain-2: {mark: {name: c2}}
    both:
      chain:
        middlewares: [in-chain-1, in-chain-2]
"#,
    );
    let compiled = f.compile();
    assert!(
        !compiled.report.has_errors(),
        "{:?}",
        compiled.report.problems
    );
    let res = ep(&compiled, "web")
        .handle(request("app.test", "/", false))
        .await;
    assert_eq!(order(&body(res).await), "ep1,ep2,a,c1,c2,b");
    let summary = compiled
        .report
        .routers
        .iter()
        .find(|r| r.name == "app@file")
        .expect("summary");
    // An unqualified entrypoint middleware takes the router's provider, as in Traefik.
    assert_eq!(
        summary.middlewares,
        [
            "ep-first@file",
            "ep-second@file",
            "router-a@file",
            "both@file",
            "router-b@file"
        ]
    );
}

#[tokio::test]
async fn each_router_gets_its_own_middleware_instances() {
    // Traefik builds a router's middlewares for that router: two routers naming one
    // rateLimit get one bucket each.
    let f = Fixture::new(
        ONE_EP,
        r#"
http:
  routers:
    one:
      rule: "Host(`one.test`)"
      middlewares: [limit]
      service: whoami@internal
    two:
      rule: "Host(`two.test`)"
      middlewares: [limit]
      service: whoami@internal
  middlewares:
    limit:
      rateLimit:
        average: 1
        period: 1h
        burst: 1
"#,
    );
    let compiled = f.compile();
    let web = ep(&compiled, "web");
    let status = async |host: &str| web.handle(request(host, "/", false)).await.status();
    assert_eq!(status("one.test").await, 200);
    assert_eq!(status("one.test").await, 429);
    assert_eq!(status("two.test").await, 200, "its own bucket");
}

#[test]
fn routers_without_entrypoints_attach_to_the_defaults() {
    let dynamic = r#"
http:
  routers:
    anywhere:
      rule: "Host(`a.test`)"
      service: whoami@internal
    pinned:
      rule: "Host(`b.test`)"
      entryPoints: [admin]
      service: whoami@internal
    lost:
      rule: "Host(`c.test`)"
      entryPoints: [nowhere]
      service: whoami@internal
"#;
    // Every entrypoint but `traefik`…
    let f = Fixture::new(
        r#"
entryPoints:
  web: {address: ":80"}
  admin: {address: ":81"}
  traefik: {address: ":8080"}
"#,
        dynamic,
    );
    let compiled = f.compile();
    assert_eq!(
        routes(ep(&compiled, "web").plain_routes()),
        ["anywhere@file"]
    );
    assert_eq!(
        routes(ep(&compiled, "admin").plain_routes()),
        ["anywhere@file", "pinned@file"]
    );
    assert!(ep(&compiled, "traefik").plain_routes().is_empty());
    assert!(
        compiled
            .report
            .problems
            .iter()
            .any(|p| p.name == "lost@file" && p.message == "entrypoint `nowhere` does not exist")
    );
    // …or only those marked asDefault.
    let f = Fixture::new(
        r#"
entryPoints:
  web: {address: ":80", asDefault: true}
  admin: {address: ":81"}
"#,
        dynamic,
    );
    let compiled = f.compile();
    assert_eq!(
        routes(ep(&compiled, "web").plain_routes()),
        ["anywhere@file"]
    );
    assert_eq!(
        routes(ep(&compiled, "admin").plain_routes()),
        ["pinned@file"]
    );
}

#[tokio::test]
async fn tls_routers_serve_tls_connections_and_plain_ones_plain_connections() {
    let f = Fixture::new(
        r#"
entryPoints:
  web: {address: ":80"}
  websecure:
    address: ":443"
    http:
      tls: {}
"#,
        r#"
http:
  routers:
    plain:
      rule: "Host(`app.test`)"
      entryPoints: [web]
      service: noop@internal
    secure:
      rule: "Host(`app.test`)"
      entryPoints: [web]
      tls: {}
      service: whoami@internal
    everywhere:
      rule: "Host(`all.test`)"
      service: noop@internal
"#,
    );
    let compiled = f.compile();
    let web = ep(&compiled, "web");
    assert_eq!(
        routes(web.plain_routes()),
        ["everywhere@file", "plain@file"]
    );
    assert_eq!(routes(web.tls_routes()), ["secure@file"]);
    let websecure = ep(&compiled, "websecure");
    assert!(websecure.plain_routes().is_empty());
    assert_eq!(routes(websecure.tls_routes()), ["everywhere@file"]);
    // The same host answers from a different router on TLS connections.
    let res = web.handle(request("app.test", "/", true)).await;
    assert_eq!(res.status(), 200, "whoami answered");
    let res = web.handle(request("app.test", "/", false)).await;
    assert_eq!(res.status(), 418, "noop@internal answered");
    assert_eq!(
        RouterName::of(res.extensions()).map(RouterName::as_str),
        Some("plain@file")
    );
    // The ACME and TLS setup learns every TLS router with its domains.
    let tls: Vec<(&str, &[String])> = compiled
        .tls_routers
        .iter()
        .map(|t| (t.router.as_str(), t.rule_domains.as_slice()))
        .collect();
    assert!(tls.contains(&("secure@file", &["app.test".to_owned()][..])));
    assert!(tls.contains(&("everywhere@file", &["all.test".to_owned()][..])));
}

#[tokio::test]
async fn redirection_and_ping_routers_are_added_on_their_entrypoints() {
    let f = Fixture::new(
        r#"
entryPoints:
  web:
    address: ":80"
    http:
      redirections:
        entryPoint: {to: websecure, scheme: https}
  websecure: {address: ":8443"}
ping:
  entryPoint: websecure
"#,
        r#"
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      service: whoami@internal
"#,
    );
    let compiled = f.compile();
    assert!(
        !compiled.report.has_errors(),
        "{:?}",
        compiled.report.problems
    );
    let web = ep(&compiled, "web");
    let res = web.handle(request("app.test", "/a?b=c", false)).await;
    assert_eq!(res.status(), 301);
    assert_eq!(res.headers()["location"], "https://app.test:8443/a?b=c");
    assert_eq!(
        RouterName::of(res.extensions()).map(RouterName::as_str),
        Some("web-to-websecure@internal")
    );
    let websecure = ep(&compiled, "websecure");
    let res = websecure.handle(request("x.test", "/ping", false)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await, "OK");
    let summary = |name: &str| {
        compiled
            .report
            .routers
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let redirect = summary("web-to-websecure@internal");
    assert!(redirect.internal && redirect.active);
    assert_eq!(redirect.priority, i64::MAX - 1);
    assert_eq!(summary("ping@internal").priority, i64::MAX);

    // Once the process is shutting down, the same runtime's ping answers 503 (Traefik's
    // terminatingStatusCode).
    f.internal.shutting_down.store(true, Ordering::Release);
    let res = websecure.handle(request("x.test", "/ping", false)).await;
    assert_eq!(res.status(), 503);
}

#[test]
fn the_report_summarises_every_router_for_check() {
    let f = Fixture::new(
        ONE_EP,
        r#"
http:
  routers:
    by-length:
      rule: "Host(`a.test`)"
      service: whoami@internal
    explicit:
      rule: "Host(`b.test`)"
      priority: 100
      middlewares: [m]
      service: whoami@internal
  middlewares:
    m: {mark: {name: m}}
"#,
    );
    let report = f.compile().report;
    let names: Vec<&str> = report.routers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["explicit@file", "by-length@file"],
        "highest priority first"
    );
    let explicit = &report.routers[0];
    assert_eq!(
        (
            explicit.priority,
            explicit.explicit_priority,
            explicit.middlewares.clone(),
            explicit.service.as_str(),
            explicit.entrypoints.clone(),
        ),
        (
            100,
            true,
            vec!["m@file".to_owned()],
            "whoami@internal",
            vec!["web".to_owned()]
        )
    );
    let by_length = &report.routers[1];
    assert_eq!(by_length.priority, 14, "the length of Host(`a.test`)");
    assert!(!by_length.explicit_priority && by_length.active && !by_length.internal);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn a_v2_placeholder_in_a_v3_rule_is_a_warning_and_v2_syntax_accepts_it() {
    let rule = "HostRegexp(`{subdomain:[a-z0-9-]+}.example.test`) && PathPrefix(`/outpost.goauthentik.io/`)";
    let f = Fixture::new(
        ONE_EP,
        &format!(
            "http:\n  routers:\n    outpost:\n      rule: \"{rule}\"\n      service: whoami@internal\n    outpost-v2:\n      rule: \"{rule}\"\n      ruleSyntax: v2\n      service: whoami@internal\n"
        ),
    );
    let report = f.compile().report;
    let warnings: HashMap<&str, &str> = report
        .warnings()
        .map(|p| (p.name.as_str(), p.message.as_str()))
        .collect();
    assert!(
        warnings
            .get("outpost@file")
            .is_some_and(|m| m.contains("Traefik v2 placeholder syntax")),
        "{warnings:?}"
    );
    assert!(!warnings.contains_key("outpost-v2@file"), "{warnings:?}");
    assert!(report.routers.iter().all(|r| r.active));
}

// Internal routers and middlewares in the report.

fn compiled(static_yaml: &str, dynamic_yaml: &str) -> Compiled {
    let doc = Document::parse(static_yaml, Format::Yaml, "rampart.yaml").unwrap();
    let (static_config, _) = StaticConfig::from_document(&doc).unwrap();
    let doc = Document::parse(dynamic_yaml, Format::Yaml, "rules.yaml").unwrap();
    let (dynamic, _) = DynamicConfig::from_document(&doc, "file").unwrap();
    let registry = Registry::with_builtins();
    compile(&CompileInput {
        static_config: &static_config,
        dynamic: &dynamic,
        registry: &registry,
        internal: &InternalServices::default(),
        start_health_checks: false,
    })
}

#[test]
fn an_internal_middleware_that_fails_to_build_says_why_not_that_it_does_not_exist() {
    // A redirection whose scheme is not a URL scheme cannot build its redirectScheme; the
    // report used to say "middleware `redirect-web-to-websecure@internal` does not exist".
    let out = compiled(
        "entryPoints:\n  web:\n    address: 127.0.0.1:0\n    http:\n      redirections:\n        entryPoint:\n          to: websecure\n          scheme: \"not a scheme\"\n  websecure:\n    address: 127.0.0.1:0\n",
        "http: {}\n",
    );
    let errors: Vec<String> = out.report.errors().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("middleware `redirect-web-to-websecure@internal` is broken: `scheme`"),
        "{errors:?}"
    );
}

#[test]
fn a_reserved_auth_path_has_one_name_on_every_entrypoint() {
    let out = compiled(
        "entryPoints:\n  web:\n    address: 127.0.0.1:0\n  websecure:\n    address: 127.0.0.1:0\n",
        r"
http:
  routers:
    app:
      rule: Host(`app.example.test`)
      middlewares: [auth, auth2]
      service: noop@internal
  middlewares:
    auth:
      forwardAuth:
        address: http://127.0.0.1:9/outpost.goauthentik.io/auth/traefik
        reservedPathPrefix: /outpost.goauthentik.io/
    auth2:
      forwardAuth:
        address: http://127.0.0.1:9/oauth2/auth
        reservedPathPrefix: /oauth2/
",
    );
    assert!(!out.report.has_errors(), "{:?}", out.report.problems);
    let reserved: Vec<_> = out.report.routers.iter().filter(|r| r.internal).collect();
    assert_eq!(reserved.len(), 2, "{reserved:#?}");
    let first = reserved
        .iter()
        .find(|r| r.name == "app-auth-path@internal")
        .expect("the first prefix is named after the router");
    assert_eq!(first.entrypoints, ["web", "websecure"]);
    assert_eq!(
        first.rule,
        "(Host(`app.example.test`)) && PathPrefix(`/outpost.goauthentik.io/`)"
    );
    assert_eq!(first.service, "http://127.0.0.1:9");
    assert!(first.middlewares[0].contains("reservedPathPrefix `/outpost.goauthentik.io/`"));
    let second = reserved
        .iter()
        .find(|r| r.name == "app-auth-path-2@internal")
        .expect("the second prefix is numbered");
    assert!(second.rule.ends_with("PathPrefix(`/oauth2/`)"));
    for ep in ["web", "websecure"] {
        let table = out.runtime.entrypoint(ep).unwrap().plain_routes();
        let names: Vec<&str> = table.routes().iter().map(|r| r.name.as_str()).collect();
        assert!(names.contains(&"app-auth-path@internal"), "{ep}: {names:?}");
    }
    assert!(
        out.report
            .problems
            .iter()
            .all(|p| p.severity == Severity::Warning)
    );
}
