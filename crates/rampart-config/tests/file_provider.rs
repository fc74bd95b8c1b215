//! The file provider on the guide-shaped rules directory and on temporary directories.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rampart_config::dynamic_config::{DynamicConfig, RouterTls, Service, TlsVersion};
use rampart_config::provider::{FileProvider, Snapshot};
use rampart_config::static_config::FileSource;
use rampart_config::{ConfigError, ConfigWarning, RuleSyntax, Value};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/config/rules")
}

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([("DOMAINNAME".to_owned(), "example.test".to_owned())])
}

fn load_rules() -> Snapshot {
    FileProvider::load_once(FileSource::Directory(rules_dir()), env())
}

fn middleware_names(c: &DynamicConfig) -> Vec<&str> {
    c.http
        .middlewares
        .keys()
        .map(rampart_config::dynamic_config::QualifiedName::as_str)
        .collect()
}

#[test]
fn the_guide_shaped_rules_directory_loads() {
    let snapshot = load_rules();
    assert_eq!(snapshot.generation, 1);
    let c = &snapshot.config;
    assert_eq!(
        middleware_names(c),
        [
            "chain-authentik@file",
            "chain-no-auth@file",
            "forwardAuth-authentik@file",
            "middlewares-authentik@file",
            "middlewares-buffering@file",
            "middlewares-https-redirectscheme@file",
            "middlewares-rate-limit@file",
            "middlewares-secure-headers@file",
        ]
    );
    let fa = &c.http.middlewares["forwardAuth-authentik@file"];
    assert_eq!(fa.type_name, "forwardAuth");
    assert_eq!(
        fa.options.get("address"),
        Some(&Value::String(
            "http://authentik_server:9000/outpost.goauthentik.io/auth/traefik".into()
        ))
    );
    assert_eq!(c.http.middlewares["chain-no-auth@file"].type_name, "chain");
    let outpost = &c.http.routers["authentik-outpost-rtr@file"];
    assert_eq!(
        outpost.rule,
        "HostRegexp(`{subdomain:[a-z0-9-]+}.example.test`) && PathPrefix(`/outpost.goauthentik.io/`)"
    );
    assert_eq!(outpost.rule_syntax, Some(RuleSyntax::V2));
    assert_eq!(outpost.service.as_str(), "authentik-svc@file");
    let whoami = &c.http.routers["whoami-rtr@file"];
    assert_eq!(
        (whoami.priority, whoami.middlewares[0].as_str()),
        (10, "chain-authentik@file")
    );
    assert_eq!(
        whoami.tls,
        Some(RouterTls {
            options: None,
            cert_resolver: Some("le".into()),
            domains: vec![]
        })
    );
    assert_eq!(
        c.http.routers["dashboard-rtr@file"].service.as_str(),
        "api@internal"
    );
    let Service::LoadBalancer(whoami_svc) = &c.http.services["whoami-svc@file"] else {
        panic!()
    };
    assert_eq!(whoami_svc.health_check.as_ref().unwrap().path, "/health");
    let tls_opts = &c.tls.options["tls-opts@file"];
    assert!(tls_opts.sni_strict);
    assert_eq!(
        tls_opts.cipher_suites.last().map(String::as_str),
        Some("TLS_FALLBACK_SCSV")
    );
    assert_eq!(tls_opts.curve_preferences, ["secp521r1", "secp384r1"]);
    assert_eq!(
        c.tls.options["mintls13@file"].min_version,
        TlsVersion::Tls13
    );
    // Files load depth first in name order: the `apps` subdirectory comes first.
    assert!(snapshot.report.files[0].ends_with("apps/routers.yaml"));
    assert_eq!(snapshot.report.files.len(), 10); // eleven files, one broken
}

#[test]
fn the_broken_compress_file_is_reported_with_its_position_and_skipped() {
    let snapshot = load_rules();
    let errors = &snapshot.report.errors;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let ConfigError::Syntax { origin, reason } = &errors[0] else {
        panic!("{:?}", errors[0])
    };
    assert!(
        origin
            .path()
            .unwrap()
            .ends_with("middlewares-compress.yaml")
    );
    assert_eq!(
        (origin.line, origin.column),
        (Some(9), Some(1)),
        "{}",
        errors[0]
    );
    assert!(!reason.is_empty());
    assert!(
        !snapshot
            .config
            .http
            .middlewares
            .contains_key("middlewares-compress@file")
    );
    assert!(
        !snapshot
            .report
            .files
            .iter()
            .any(|f| f.ends_with("middlewares-compress.yaml"))
    );
}

#[test]
fn the_templated_secure_headers_file_renders_with_the_given_environment() {
    let headers = |env| {
        let snapshot = FileProvider::load_once(FileSource::Directory(rules_dir()), env);
        let m = snapshot.config.http.middlewares["middlewares-secure-headers@file"].clone();
        m.options.get("customFrameOptionsValue").cloned()
    };
    assert_eq!(
        headers(env()),
        Some(Value::String("allow-from https:example.test".into()))
    );
    // Go's `env` gives an empty string for an unset variable.
    assert_eq!(
        headers(BTreeMap::new()),
        Some(Value::String("allow-from https:".into()))
    );
    let snapshot = load_rules();
    let m = &snapshot.config.http.middlewares["middlewares-secure-headers@file"];
    let custom = m.options.get("customResponseHeaders").unwrap();
    assert_eq!(custom.get("server"), Some(&Value::String(String::new())));
    assert_eq!(m.options.get("stsSeconds"), Some(&Value::Int(63_072_000)));
}

#[test]
fn only_the_v2_rule_syntax_is_warned_about() {
    let snapshot = load_rules();
    let warnings: Vec<String> = snapshot
        .report
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("`http.routers.authentik-outpost-rtr.ruleSyntax`: deprecated"),
        "{warnings:#?}"
    );
}

#[test]
fn each_file_is_judged_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "a.yml",
        "http:\n  middlewares:\n    m:\n      compress: {}\n",
    );
    write(
        "b.YAML",
        "http:\n  middlewares:\n    m:\n      retry: {}\n    n:\n      retry: {}\n",
    );
    write(
        "c.toml",
        "[http.middlewares.t.stripPrefix]\nprefixes = [\"/a\"]\n",
    );
    write(
        "d.yaml",
        "http:\n  routers:\n    r:\n      rule: Path(`/`)\n      servce: s\n",
    );
    write("e.yaml", "a: {{ nope }}\n");
    write("f.yaml", "{{/* an empty file after rendering */}}");
    write("notes.txt", "ignored");
    std::fs::write(dir.path().join("g.yaml"), [0xff, 0xfe, 0x00]).unwrap();
    let snapshot =
        FileProvider::load_once(FileSource::Directory(dir.path().into()), BTreeMap::new());
    let c = &snapshot.config;
    assert_eq!(middleware_names(c), ["m@file", "n@file", "t@file"]);
    assert_eq!(c.http.middlewares["m@file"].type_name, "compress");
    let errors: Vec<String> = snapshot
        .report
        .errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0].contains("d.yaml:5:15: `http.routers.r.servce`: unknown field `servce`"),
        "{errors:#?}"
    );
    assert!(
        errors[1].contains("e.yaml:1:7: template: function \"nope\" not defined"),
        "{errors:#?}"
    );
    assert!(
        errors[2].contains("g.yaml: cannot read: the file is not UTF-8 text"),
        "{errors:#?}"
    );
    let warnings = &snapshot.report.warnings;
    assert!(
        matches!(&warnings[..], [ConfigWarning::Duplicate { kind: "middleware", name, .. }] if name == "m@file"),
        "{warnings:#?}"
    );
}

#[test]
fn a_single_file_source_loads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dynamic.toml");
    std::fs::write(&file, "[http.services.s.loadBalancer]\n[[http.services.s.loadBalancer.servers]]\nurl = \"http://127.0.0.1:1\"\n").unwrap();
    let snapshot = FileProvider::load_once(FileSource::File(file.clone()), BTreeMap::new());
    assert!(snapshot.report.is_clean(), "{:?}", snapshot.report);
    assert_eq!(snapshot.report.files, [file]);
    assert!(snapshot.config.http.services.contains_key("s@file"));
    let bad = FileProvider::load_once(FileSource::File(dir.path().join("x.json")), BTreeMap::new());
    assert!(
        bad.report.errors[0]
            .to_string()
            .contains("unsupported file extension")
    );
    let missing = FileProvider::load_once(
        FileSource::Directory(dir.path().join("none")),
        BTreeMap::new(),
    );
    assert!(
        missing.report.errors[0]
            .to_string()
            .contains("cannot read the directory")
    );
}
