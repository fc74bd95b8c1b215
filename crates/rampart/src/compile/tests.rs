use rampart_config::{Document, DynamicConfig, Format, StaticConfig};

use super::*;
use crate::runtime::Severity;

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
    // A redirection to an entrypoint listening on port 0 cannot name a port; the report used to
    // say "middleware `redirect-web-to-websecure@internal` does not exist".
    let out = compiled(
        "entryPoints:\n  web:\n    address: 127.0.0.1:0\n    http:\n      redirections:\n        entryPoint:\n          to: websecure\n  websecure:\n    address: 127.0.0.1:0\n",
        "http: {}\n",
    );
    let errors: Vec<String> = out.report.errors().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("middleware `redirect-web-to-websecure@internal` is broken: `port`"),
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
