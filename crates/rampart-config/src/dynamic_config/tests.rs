use std::path::Path;

use super::*;
use crate::{ConfigError, Duration, FileOrContent, Format, RuleSyntax, Value};

fn load(text: &str) -> Result<(DynamicConfig, Vec<ConfigWarning>), ConfigErrors> {
    DynamicConfig::from_document(
        &Document::parse(text, Format::Yaml, "d.yaml").unwrap(),
        "file",
    )
}

fn ok(text: &str) -> DynamicConfig {
    load(text).unwrap_or_else(|e| panic!("{e}")).0
}

fn errors(text: &str) -> Vec<String> {
    load(text)
        .expect_err("should not load")
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn unsupported(warnings: &[ConfigWarning]) -> Vec<String> {
    warnings
        .iter()
        .filter_map(|w| match w {
            ConfigWarning::Unsupported { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn routers_qualify_references_and_default_their_priority() {
    let c = ok(concat!(
        "http:\n  routers:\n    r:\n      rule: Host(`a.test`)\n",
        "      middlewares: [auth, other@docker]\n      service: api@internal\n",
        "    s:\n      rule: Path(`/`)\n      service: svc\n      priority: -5\n      ruleSyntax: v2\n",
        "      tls:\n        options: default\n",
        "    t:\n      rule: Path(`/t`)\n      service: svc\n      tls: {}\n",
    ));
    let r = &c.http.routers["r@file"];
    assert_eq!(r.priority, 14);
    let names: Vec<&str> = r.middlewares.iter().map(QualifiedName::as_str).collect();
    assert_eq!(names, ["auth@file", "other@docker"]);
    assert_eq!(r.service.as_str(), "api@internal");
    assert!(r.entry_points.is_empty() && r.tls.is_none() && r.rule_syntax.is_none());
    let s = &c.http.routers["s@file"];
    assert_eq!(s.priority, -5);
    assert_eq!(s.rule_syntax, Some(RuleSyntax::V2));
    assert_eq!(s.tls.as_ref().unwrap().options.as_deref(), Some("default"));
    let t = &c.http.routers["t@file"];
    assert_eq!(t.tls, Some(RouterTls::default()));
}

#[test]
fn router_errors_are_collected_with_their_keys() {
    let errs = errors(concat!(
        "http:\n  routers:\n",
        "    nothing: {}\n",
        "    typo:\n      rule: Path(`/`)\n      service: s\n      servce: x\n",
        "    bad-refs:\n      rule: Path(`/`)\n      service: nope@internal\n      middlewares: ['a@b@c']\n",
        "    big:\n      rule: Path(`/`)\n      service: s\n      priority: 9223372036854775000\n",
        "    'at@sign':\n      rule: Path(`/`)\n      service: s\n",
    ));
    let expect = [
        "d.yaml:3:14: `http.routers.nothing`: `rule` is required",
        "`http.routers.nothing`: `service` is required",
        "`http.routers.typo.servce`: unknown field `servce`",
        "`http.routers.bad-refs.middlewares[0]`: `a@b@c`: a name may hold only one `@`",
        "`http.routers.bad-refs.service`: `nope@internal` is not an internal service",
        "`http.routers.big.priority`: 9223372036854775000 exceeds the largest user priority",
        "`http.routers.at@sign`: `at@sign`: `@` is not allowed in names",
    ];
    for e in expect {
        assert!(
            errs.iter().any(|t| t.contains(e)),
            "missing {e:?} in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
}

#[test]
fn load_balancers_take_traefik_defaults() {
    let c = ok(concat!(
        "http:\n  services:\n    s:\n      loadBalancer:\n",
        "        servers:\n          - url: http://a:80\n          - url: https://b\n            weight: 0\n            preservePath: true\n",
        "        sticky:\n          cookie: {}\n        healthCheck:\n          path: /health\n        passiveHealthCheck: {}\n",
    ));
    let Service::LoadBalancer(lb) = &c.http.services["s@file"] else {
        panic!()
    };
    assert_eq!(lb.servers[0].weight, 1);
    assert_eq!(
        (lb.servers[1].weight, lb.servers[1].preserve_path),
        (0, true)
    );
    assert_eq!(lb.strategy, Strategy::Wrr);
    assert!(lb.pass_host_header);
    assert_eq!(lb.flush_interval, Duration::from_millis(100));
    assert_eq!(lb.servers_transport.as_str(), "default@internal");
    let cookie = lb.sticky.as_ref().unwrap();
    assert_eq!(cookie.name, load_balancer::cookie_name(None, "s@file"));
    assert_eq!(
        (cookie.path.as_str(), cookie.same_site),
        ("/", SameSite::Unset)
    );
    let hc = lb.health_check.as_ref().unwrap();
    assert_eq!(
        (hc.interval, hc.unhealthy_interval, hc.timeout),
        (
            Duration::from_secs(30),
            Duration::from_secs(30),
            Duration::from_secs(5)
        )
    );
    assert_eq!(
        (hc.method.as_str(), hc.follow_redirects, hc.status, hc.port),
        ("GET", true, None, None)
    );
    let passive = lb.passive_health_check.unwrap();
    assert_eq!(
        (passive.failure_window, passive.max_failed_attempts),
        (Duration::from_secs(10), 1)
    );
}

#[test]
fn services_need_exactly_one_kind_and_valid_servers() {
    let errs = errors(concat!(
        "http:\n  services:\n",
        "    none: {}\n",
        "    two:\n      loadBalancer: {}\n      weighted: {}\n",
        "    bad-url:\n      loadBalancer:\n        servers:\n          - url: 'app:8080'\n          - {}\n",
        "    bad-strategy:\n      loadBalancer:\n        strategy: random\n",
        "    fo:\n      failover:\n        service: a\n",
    ));
    let expect = [
        "`http.services.none`: a service needs exactly one of loadBalancer, weighted, failover, mirroring, highestRandomWeight (found none)",
        "`http.services.two`: a service needs exactly one of loadBalancer, weighted, failover, mirroring, highestRandomWeight (found loadBalancer, weighted)",
        "`http.services.bad-url.loadBalancer.servers[0].url`: `app:8080` is not an absolute URL",
        "`http.services.bad-url.loadBalancer.servers[1].url`: `url` is required",
        "`http.services.bad-strategy.loadBalancer.strategy`: `random` is not one of wrr, p2c, hrw, leasttime",
        "`http.services.fo.failover.fallback`: a service name is required",
    ];
    for e in expect {
        assert!(
            errs.iter().any(|t| t.contains(e)),
            "missing {e:?} in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
}

#[test]
fn weighted_failover_and_mirroring() {
    let (c, warnings) = load(concat!(
        "http:\n  services:\n",
        "    w:\n      weighted:\n        services:\n          - name: a\n          - name: b@docker\n            weight: 3\n        healthCheck: {}\n",
        "    f:\n      failover:\n        service: a\n        fallback: b\n        errors:\n          status: ['500-599']\n",
        "    m:\n      mirroring:\n        service: a\n        mirrors:\n          - name: b\n            percent: 10\n",
    ))
    .unwrap();
    let Service::Weighted(w) = &c.http.services["w@file"] else {
        panic!()
    };
    assert_eq!(
        (w.services[0].name.as_str(), w.services[0].weight),
        ("a@file", 1)
    );
    assert_eq!(
        (w.services[1].name.as_str(), w.services[1].weight),
        ("b@docker", 3)
    );
    assert!(w.health_check);
    let Service::Failover(f) = &c.http.services["f@file"] else {
        panic!()
    };
    assert_eq!(
        (f.service.as_str(), f.fallback.as_str()),
        ("a@file", "b@file")
    );
    assert_eq!(f.errors.as_ref().unwrap().max_request_body_bytes, -1);
    let Service::Mirroring(m) = &c.http.services["m@file"] else {
        panic!()
    };
    assert_eq!(m.mirrors[0].1, 10);
    assert!(m.mirror_body);
    assert_eq!(unsupported(&warnings), ["http.services.m.mirroring"]);
}

#[test]
fn middlewares_keep_their_type_and_options() {
    let c = ok(
        "http:\n  middlewares:\n    gzip:\n      compress:\n    auth:\n      ForwardAuth:\n        address: http://a\n",
    );
    let gzip = &c.http.middlewares["gzip@file"];
    assert_eq!(
        (gzip.type_name.as_str(), &gzip.options),
        ("compress", &Value::Null)
    );
    let auth = &c.http.middlewares["auth@file"];
    assert_eq!(auth.type_name, "ForwardAuth");
    assert_eq!(
        auth.options.get("address"),
        Some(&Value::String("http://a".into()))
    );
    let errs = errors(
        "http:\n  middlewares:\n    two:\n      compress: {}\n      retry: {}\n    none: {}\n    scalar: 3\n",
    );
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(
        errs[0].contains(
            "`http.middlewares.two`: a middleware has exactly one type, found compress, retry"
        ),
        "{errs:#?}"
    );
    assert!(errs[1].contains("a middleware needs a type"), "{errs:#?}");
    assert!(
        errs[2].contains("expected a map with one middleware type, found an integer"),
        "{errs:#?}"
    );
}

#[test]
fn tls_options_stores_and_certificates() {
    let c = ok(concat!(
        "tls:\n  options:\n    default:\n      minVersion: VersionTLS13\n",
        "    strict:\n      sniStrict: true\n      cipherSuites: [TLS_FALLBACK_SCSV, TLS_AES_128_GCM_SHA256]\n",
        "      curvePreferences: [secp521r1, CurveP384, X25519]\n      clientAuth:\n        caFiles: [/ca.pem]\n",
        "  stores:\n    default:\n      defaultCertificate:\n        certFile: /d.pem\n        keyFile: /d.key\n",
        "  certificates:\n    - certFile: /a.pem\n      keyFile: /a.key\n    - certFile: \"-----BEGIN CERTIFICATE-----\\nX\"\n      keyFile: /b.key\n      stores: [other]\n",
    ));
    assert_eq!(c.tls.options["default"].min_version, TlsVersion::Tls13);
    let strict = &c.tls.options["strict@file"];
    assert_eq!(
        (strict.min_version, strict.max_version),
        (TlsVersion::Tls12, TlsVersion::Tls13)
    );
    assert_eq!(
        strict.client_auth.auth_type,
        ClientAuthType::RequireAndVerifyClientCert
    );
    assert_eq!(strict.alpn_protocols, ["h2", "http/1.1", "acme-tls/1"]);
    assert!(c.tls.stores["default"].default_certificate.is_some());
    assert_eq!(c.tls.certificates[0].stores, ["default"]);
    assert!(matches!(
        c.tls.certificates[1].pair.cert_file,
        FileOrContent::Content(_)
    ));
    let errs = errors(concat!(
        "tls:\n  options:\n    bad:\n      minVersion: TLS1.2\n      cipherSuites: [TLS_NOPE]\n",
        "      curvePreferences: [P-256]\n      clientAuth:\n        clientAuthType: RequireAndVerifyClientCert\n",
        "  certificates:\n    - certFile: /a.pem\n",
    ));
    let expect = [
        "`tls.options.bad.minVersion`: `TLS1.2` is not one of VersionTLS10",
        "`tls.options.bad.cipherSuites[0]`: invalid cipher suite `TLS_NOPE`",
        "`tls.options.bad.curvePreferences[0]`: invalid curve `P-256`",
        "`tls.options.bad.clientAuth`: verifying client certificates needs `caFiles`",
        "`tls.certificates[0]`: `keyFile` is required",
    ];
    for e in expect {
        assert!(
            errs.iter().any(|t| t.contains(e)),
            "missing {e:?} in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
}

#[test]
fn tcp_udp_and_child_routers_are_reported_not_yet_supported() {
    let (c, warnings) = load(concat!(
        "tcp:\n  routers: {}\nudp:\n  services: {}\n",
        "http:\n  routers:\n    child:\n      rule: Path(`/`)\n      service: s\n      parentRefs: [parent]\n",
        "  serversTransports:\n    st:\n      spiffe: {}\n",
    ))
    .unwrap();
    assert_eq!(
        unsupported(&warnings),
        [
            "tcp",
            "udp",
            "http.routers.child.parentRefs",
            "http.serversTransports.st.spiffe"
        ]
    );
    // Mounting a child router without its parent would skip the parent's middlewares.
    assert!(c.http.routers.is_empty());
    assert!(c.http.servers_transports.contains_key("st@file"));
}

#[test]
fn servers_transports_take_defaults() {
    let c = ok(
        "http:\n  serversTransports:\n    st:\n      insecureSkipVerify: true\n      forwardingTimeouts:\n        dialTimeout: 2s\n",
    );
    let st = &c.http.servers_transports["st@file"];
    assert!(st.insecure_skip_verify);
    assert_eq!(st.max_idle_conns_per_host, 200);
    assert_eq!(st.forwarding_timeouts.dial_timeout, Duration::from_secs(2));
    assert_eq!(
        st.forwarding_timeouts.idle_conn_timeout,
        Duration::from_secs(90)
    );
    assert_eq!(st.forwarding_timeouts.ping_timeout, Duration::from_secs(15));
}

#[test]
fn unknown_sections_are_errors() {
    let errs = errors("http:\n  router: {}\ntsl: {}\n");
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs.iter()
            .any(|e| e.contains("d.yaml:2:11: `http.router`: unknown key `router`")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("d.yaml:3:6: `tsl`: unknown key `tsl`")),
        "{errs:#?}"
    );
}

#[test]
fn yaml_and_toml_equivalents_match() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/config/equivalent");
    let parse = |name: &str, format| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        DynamicConfig::from_document(&Document::parse(&text, format, name).unwrap(), "file")
            .unwrap()
    };
    let (yaml, yaml_warnings) = parse("apps.yaml", Format::Yaml);
    let (toml, toml_warnings) = parse("apps.toml", Format::Toml);
    assert_eq!(yaml.http, toml.http);
    assert_eq!(yaml.tls, toml.tls);
    assert!(yaml_warnings.is_empty() && toml_warnings.is_empty());
    assert_eq!(yaml.http.routers["app@file"].priority, 42);
    assert_eq!(yaml.http.services.len(), 2);
}

#[test]
fn first_definition_wins_and_later_ones_are_reported() {
    let mut a = ok(
        "http:\n  middlewares:\n    m:\n      compress: {}\ntls:\n  certificates:\n    - {certFile: /a.pem, keyFile: /a.key}\n",
    );
    let b = DynamicConfig::from_document(
        &Document::parse(
            "http:\n  middlewares:\n    m:\n      retry: {attempts: 2}\n    n:\n      retry: {}\ntls:\n  certificates:\n    - {certFile: /a.pem, keyFile: /a.key}\n",
            Format::Yaml,
            "e.yaml",
        )
        .unwrap(),
        "file",
    )
    .unwrap()
    .0;
    let warnings = a.merge_first_wins(b);
    assert_eq!(a.http.middlewares["m@file"].type_name, "compress");
    assert!(a.http.middlewares.contains_key("n@file"));
    assert_eq!(a.tls.certificates.len(), 1);
    let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 2, "{text:#?}");
    assert!(
        text[0].starts_with("e.yaml:4:7: middleware `m@file` is already defined in d.yaml:4:7"),
        "{text:#?}"
    );
    assert!(
        text[1].contains("TLS certificate `/a.pem` is already defined"),
        "{text:#?}"
    );
}

#[test]
fn diff_names_added_removed_and_changed_objects() {
    let old = ok(
        "http:\n  routers:\n    a:\n      rule: Path(`/a`)\n      service: s\n    b:\n      rule: Path(`/b`)\n      service: s\n  middlewares:\n    m:\n      compress: {}\n",
    );
    let new = ok(
        "http:\n  routers:\n    a:\n      rule: Path(`/a2`)\n      service: s\n    c:\n      rule: Path(`/c`)\n      service: s\n  middlewares:\n    m:\n      compress: {}\ntls:\n  options:\n    o: {}\n",
    );
    let diff = DynamicConfig::diff(&old, &new);
    assert_eq!(diff.routers.added, ["c@file"]);
    assert_eq!(diff.routers.removed, ["b@file"]);
    assert_eq!(diff.routers.changed, ["a@file"]);
    assert!(diff.middlewares.is_empty());
    assert_eq!(diff.tls_options.added, ["o@file"]);
    assert_eq!(
        diff.to_string(),
        "routers +c@file ~a@file -b@file; tls options +o@file"
    );
    assert!(DynamicConfig::diff(&new, &new).is_empty());
    assert_eq!(DynamicConfig::diff(&new, &new).to_string(), "no changes");
}

#[test]
fn empty_documents_are_empty_configurations() {
    assert!(ok("").is_empty());
    assert!(ok("http:\n").is_empty());
    assert!(ok("http:\n  routers:\n").is_empty());
    let err: Vec<ConfigError> = load("- a\n- b\n").unwrap_err().0;
    assert!(
        err[0].to_string().contains("expected a map, found a list"),
        "{}",
        err[0]
    );
}
