use std::path::{Path, PathBuf};

use super::*;
use crate::{ConfigError, Duration, Format, StaticLoader};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/config/static")
        .join(name)
}

fn lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn env_fixture() -> Vec<(String, String)> {
    lines("traefik.env")
        .into_iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn yaml(text: &str) -> Result<(StaticConfig, Vec<ConfigWarning>), ConfigErrors> {
    StaticConfig::from_document(&Document::parse(text, Format::Yaml, "traefik.yaml").unwrap())
}

fn errors(text: &str) -> Vec<ConfigError> {
    yaml(text).expect_err("should not load").0
}

/// A loader that cannot find any machine-wide file.
fn loader() -> StaticLoader {
    StaticLoader::new().search_paths(Vec::new())
}

fn load_file(name: &str) -> LoadedStatic {
    let args = vec![format!("--configFile={}", fixture(name).display())];
    loader().load(&args, []).unwrap()
}

#[test]
fn guide_shaped_static_file_loads() {
    let loaded = load_file("traefik.yaml");
    assert!(matches!(&loaded.source, StaticSource::File(p) if p.ends_with("traefik.yaml")));
    let c = &loaded.config;
    assert!(!c.global.check_new_version);
    assert_eq!(c.entry_points.len(), 2);
    let web = &c.entry_points["web"];
    assert_eq!(web.address.port, 80);
    let r = web.http.redirection.as_ref().unwrap();
    assert_eq!(r.to, RedirectTarget::EntryPoint("websecure".into()));
    assert_eq!(
        (r.scheme.as_str(), r.permanent, r.priority),
        ("https", true, i64::MAX - 1)
    );
    let ws = &c.entry_points["websecure"];
    let tls = ws.http.tls.as_ref().unwrap();
    assert_eq!(tls.options.as_deref(), Some("tls-opts@file"));
    assert_eq!(tls.cert_resolver.as_deref(), Some("le"));
    assert_eq!(tls.domains[0].main, "example.test");
    assert_eq!(tls.domains[0].sans, ["*.example.test"]);
    assert_eq!(ws.forwarded_headers.trusted_ips.len(), 7);
    assert!(
        ws.forwarded_headers.trusted_ips[2]
            .contains(&"2400:cb00::1".parse::<std::net::IpAddr>().unwrap())
    );
    assert_eq!(ws.transport.idle_timeout, Duration::from_secs(180));
    assert_eq!(c.log.level, LogLevel::Info);
    assert_eq!(
        c.log.file_path.as_deref(),
        Some(Path::new("/logs/rampart.log"))
    );
    let access = c.access_log.as_ref().unwrap();
    assert_eq!(
        access.filters.status_codes,
        [(204, 299), (400, 499), (500, 599)]
    );
    assert_eq!(access.fields.names["StartUTC"], FieldMode::Drop);
    assert_eq!(access.buffering_size, 100);
    assert!(c.api.as_ref().unwrap().dashboard);
    let file = c.providers.file.as_ref().unwrap();
    assert_eq!(file.source, FileSource::Directory("/rules".into()));
    assert!(file.watch);
    let acme = &c.certificates_resolvers["le"].acme;
    assert_eq!(acme.storage, Path::new("/data/acme.json"));
    assert_eq!(acme.ca_server, defaults::ACME_CA_SERVER);
    assert_eq!(acme.key_type, KeyType::Rsa4096);
    let dns = acme.dns_challenge.as_ref().unwrap();
    assert_eq!(dns.provider, "cloudflare");
    assert_eq!(dns.resolvers, ["1.1.1.1:53", "8.8.8.8:53"]);
}

#[test]
fn docker_provider_is_the_only_unsupported_item_of_the_guide_file() {
    let loaded = load_file("traefik.yaml");
    let unsupported: Vec<String> = loaded.unsupported().map(ToString::to_string).collect();
    assert_eq!(unsupported.len(), 1, "{unsupported:?}");
    let w = loaded.unsupported().next().unwrap();
    let ConfigWarning::Unsupported { origin, key } = w else {
        unreachable!()
    };
    assert_eq!(key, "providers.docker");
    assert_eq!(origin.line, Some(64), "{w}");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
}

#[test]
fn yaml_and_toml_fixtures_are_the_same_configuration() {
    let from_yaml = load_file("traefik.yaml");
    let from_toml = load_file("traefik.toml");
    assert_eq!(from_yaml.config, from_toml.config);
}

#[test]
fn flags_and_env_produce_the_same_configuration_as_the_file() {
    let from_file = load_file("traefik.yaml");
    let from_flags = loader().load(&lines("traefik.flags"), []).unwrap();
    assert_eq!(from_flags.source, StaticSource::Flags);
    assert_eq!(from_flags.config, from_file.config);
    let from_env = loader().load(&[], env_fixture()).unwrap();
    assert_eq!(from_env.source, StaticSource::Env);
    assert_eq!(from_env.config, from_file.config);
    for loaded in [&from_flags, &from_env] {
        let keys: Vec<_> = loaded
            .unsupported()
            .map(|w| match w {
                ConfigWarning::Unsupported { key, .. } => key.clone(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(keys, ["providers.docker"]);
    }
}

#[test]
fn keys_are_case_insensitive() {
    let (a, _) = yaml("entrypoints:\n  web:\n    ADDRESS: ':81'\n    ForwardedHeaders:\n      TRUSTEDIPS: [10.0.0.1]\n").unwrap();
    let (b, _) = yaml("entryPoints:\n  web:\n    address: ':81'\n    forwardedHeaders:\n      trustedIPs: [10.0.0.1]\n").unwrap();
    assert_eq!(a, b);
    let errs = errors("entryPoints: {}\nentrypoints: {}\n");
    assert!(errs[0].to_string().contains("given twice"), "{}", errs[0]);
}

#[test]
fn typos_are_errors_naming_file_line_and_key() {
    let errs = errors(
        "entryPoints:\n  web:\n    address: ':80'\n    adress: ':81'\nlogs:\n  level: DEBUG\n",
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert!(
        text[0].starts_with("traefik.yaml:4:13: `entryPoints.web.adress`: unknown field `adress`"),
        "{}",
        text[0]
    );
    assert!(
        text[1].starts_with("traefik.yaml:6:3: `logs`: unknown key `logs`"),
        "{}",
        text[1]
    );
}

#[test]
fn defaults_apply_when_nothing_is_given() {
    let loaded = loader().load(&[], []).unwrap();
    assert_eq!(loaded.source, StaticSource::Defaults);
    let c = loaded.config;
    assert_eq!(c.entry_points.keys().collect::<Vec<_>>(), ["http"]);
    let http = &c.entry_points["http"];
    assert_eq!(http.address.to_string(), ":80");
    assert_eq!(http.transport.read_timeout, defaults::READ_TIMEOUT);
    assert_eq!(http.transport.grace_timeout, defaults::GRACE_TIMEOUT);
    assert_eq!(http.http.max_header_bytes, 1 << 20);
    assert!(http.http.sanitize_path);
    assert!(http.http.encoded_characters.allow_encoded_slash);
    assert_eq!(http.http2.max_concurrent_streams, 250);
    assert_eq!(c.log.level, LogLevel::Error);
    assert_eq!(c.providers.throttle_duration, Duration::from_secs(2));
    assert!(c.api.is_none() && c.ping.is_none() && c.access_log.is_none());
    assert_eq!(c.servers_transport.max_idle_conns_per_host, 200);
    assert_eq!(
        c.servers_transport.forwarding_timeouts.dial_timeout,
        Duration::from_secs(30)
    );
    assert_eq!(c.core.default_rule_syntax, crate::RuleSyntax::V3);
    assert_eq!(c.default_entry_points(), ["http"]);
}

#[test]
fn sections_take_defaults_when_named_and_switch_off_with_false() {
    let (c, _) = yaml("api:\nping: {}\naccessLog:\nhostResolver: true\nentryPoints:\n  web:\n    address: ':80'\n").unwrap();
    let api = c.api.clone().unwrap();
    assert!(api.dashboard && !api.insecure);
    assert_eq!(api.base_path, "/");
    let ping = c.ping.clone().unwrap();
    assert_eq!(
        (ping.entry_point.as_str(), ping.terminating_status_code),
        ("traefik", 503)
    );
    // ping on its default entry point creates `traefik` on :8080, as Traefik does.
    assert_eq!(c.entry_points["traefik"].address.port, 8080);
    assert_eq!(c.default_entry_points(), ["web"]);
    assert!(c.access_log.unwrap().filters.is_empty());
    assert_eq!(c.host_resolver.unwrap().resolv_depth, 5);
    let (c, _) = yaml("api: false\nping: 'false'\n").unwrap();
    assert!(c.api.is_none() && c.ping.is_none());
    let (c, _) = yaml("api:\n  insecure: true\n").unwrap();
    assert_eq!(
        c.entry_points.keys().collect::<Vec<_>>(),
        ["http", "traefik"]
    );
}

#[test]
fn durations_accept_go_strings_and_seconds() {
    let (c, _) = yaml(
        "entryPoints:\n  web:\n    address: ':80'\n    transport:\n      respondingTimeouts:\n        readTimeout: 30\n        writeTimeout: 1m30s\n        idleTimeout: '250ms'\n      lifeCycle:\n        graceTimeOut: 5\n",
    )
    .unwrap();
    let t = c.entry_points["web"].transport;
    assert_eq!(t.read_timeout, Duration::from_secs(30));
    assert_eq!(t.write_timeout, Duration::from_secs(90));
    assert_eq!(t.idle_timeout, Duration::from_millis(250));
    assert_eq!(t.grace_timeout, Duration::from_secs(5));
    let errs = errors("providers:\n  providersThrottleDuration: 2 seconds\n");
    assert!(
        errs[0].to_string().contains(
            "`providers.providersThrottleDuration`: unknown unit ` seconds` in duration `2 seconds`"
        ),
        "{}",
        errs[0]
    );
}

#[test]
fn every_validation_error_is_reported_at_once() {
    let errs = errors(concat!(
        "entryPoints:\n",
        "  web:\n    address: ':80'\n    http:\n      redirections:\n        entryPoint:\n          to: nowhere\n",
        "  bad:\n    address: 'localhost'\n",
        "  tls:\n    address: ':443'\n    http:\n      tls:\n        certResolver: missing\n",
        "  ips:\n    address: ':8000'\n    forwardedHeaders:\n      trustedIPs: ['10.0.0.0/8', 'not-an-ip']\n",
        "certificatesResolvers:\n  le:\n    acme:\n      storage: ''\n",
        "api:\n  basePath: 'no-slash'\n",
        "log:\n  level: LOUD\n",
    ));
    let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
    let expect = [
        "`entryPoints.bad.address`: `localhost` has no port",
        "`entryPoints.ips.forwardedHeaders.trustedIPs[1]`: `not-an-ip` is not an IP address",
        "`certificatesResolvers.le.acme.storage`: a storage file for the certificates is required",
        "`certificatesResolvers.le.acme`: no challenge",
        "`api.basePath`: `no-slash` is not an absolute URL path",
        "`log.level`: `LOUD` is not one of",
        "`entryPoints.tls.http.tls.certResolver`: no certificate resolver `missing`",
        "`entryPoints.web.http.redirections.entryPoint.to`: no entry point `nowhere`",
    ];
    for e in expect {
        assert!(
            text.iter().any(|t| t.contains(e)),
            "missing {e:?} in {text:#?}"
        );
    }
    assert_eq!(text.len(), expect.len(), "{text:#?}");
}

#[test]
fn acme_keys_and_deprecations() {
    let (c, warnings) = yaml(concat!(
        "certificatesResolvers:\n  le:\n    acme:\n",
        "      caServer: https://acme-staging.api.letsencrypt.org/directory\n",
        "      keyType: ec384\n      certificatesDuration: 24\n      clientTimeout: 10s\n",
        "      eab: {kid: k, hmacEncoded: h}\n      caCertificates: [/ca.pem]\n      caSystemCertPool: true\n",
        "      dnsChallenge:\n        provider: rfc2136\n        delayBeforeCheck: 30\n        disablePropagationCheck: true\n",
        "      httpChallenge:\n        entryPoint: web\n      tlsChallenge: {}\n",
        "entryPoints:\n  web:\n    address: ':80'\n",
    ))
    .unwrap();
    let acme = &c.certificates_resolvers["le"].acme;
    assert_eq!(
        acme.ca_server,
        "https://acme-staging-v02.api.letsencrypt.org/directory"
    );
    assert_eq!(acme.key_type, KeyType::Ec384);
    assert_eq!(acme.certificates_duration_hours, 24);
    assert_eq!(acme.client_timeout, Duration::from_secs(10));
    assert_eq!(acme.eab.as_ref().unwrap().kid, "k");
    let dns = acme.dns_challenge.as_ref().unwrap();
    assert!(dns.propagation.disable_checks);
    assert_eq!(dns.propagation.delay_before_checks, Duration::from_secs(30));
    assert_eq!(acme.http_challenge.as_ref().unwrap().entry_point, "web");
    assert!(acme.tls_challenge.is_some());
    let deprecated = warnings
        .iter()
        .filter(|w| matches!(w, ConfigWarning::Deprecated { .. }))
        .count();
    assert_eq!(deprecated, 3, "{warnings:#?}");
}

#[test]
fn unsupported_keys_are_reported_not_dropped() {
    let (_, warnings) = yaml(concat!(
        "entryPoints:\n  web:\n    address: ':80'\n    proxyProtocol:\n      insecure: true\n    http3: {}\n",
        "  dns:\n    address: ':53/udp'\n",
        "metrics:\n  prometheus: {}\ntracing:\nexperimental:\n  plugins: {}\n",
        "providers:\n  kubernetesCRD: {}\n",
    ))
    .unwrap();
    let keys: Vec<String> = warnings
        .iter()
        .filter_map(|w| match w {
            ConfigWarning::Unsupported { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        [
            "entryPoints.web.proxyProtocol",
            "entryPoints.web.http3",
            "entryPoints.dns.address",
            "metrics",
            "tracing",
            "experimental",
            "providers.kubernetesCRD",
        ]
    );
}

#[test]
fn a_file_wins_over_flags_and_env_which_are_reported_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traefik.yml");
    std::fs::write(&path, "entryPoints:\n  web:\n    address: ':8081'\n").unwrap();
    let loaded = StaticLoader::new()
        .search_paths(vec![dir.path().join("none.toml"), path.clone()])
        .load(
            &["--entrypoints.web.address=:9999".to_owned()],
            [
                ("TRAEFIK_LOG_LEVEL".to_owned(), "DEBUG".to_owned()),
                ("TRAEFIK_OTHER".to_owned(), "x".to_owned()),
            ],
        )
        .unwrap();
    assert_eq!(loaded.source, StaticSource::File(path));
    assert_eq!(loaded.config.entry_points["web"].address.port, 8081);
    assert_eq!(loaded.config.log.level, LogLevel::Error);
    let ignored: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(ignored.len(), 2, "{ignored:?}");
    assert!(
        ignored[0].contains("`--entrypoints.web.address=:9999`"),
        "{ignored:?}"
    );
    assert!(ignored[1].contains("`TRAEFIK_LOG_LEVEL`"), "{ignored:?}");
}

#[test]
fn flags_win_over_env_and_env_is_used_alone() {
    let env = [(
        "TRAEFIK_ENTRYPOINTS_WEB_ADDRESS".to_owned(),
        ":7000".to_owned(),
    )];
    let loaded = loader().load(&["--api".to_owned()], env.clone()).unwrap();
    assert_eq!(loaded.source, StaticSource::Flags);
    assert_eq!(
        loaded.config.entry_points.keys().collect::<Vec<_>>(),
        ["http"]
    );
    let loaded = loader().load(&[], env).unwrap();
    assert_eq!(loaded.source, StaticSource::Env);
    assert_eq!(loaded.config.entry_points["web"].address.port, 7000);
}

#[test]
fn a_missing_config_file_is_an_error() {
    let err = loader()
        .load(&["--configFile=/nonexistent/traefik.yaml".to_owned()], [])
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/traefik.yaml: cannot read: the file given with --configFile does not exist"), "{err}");
}

#[test]
fn flag_and_env_errors_name_their_source() {
    let err = loader()
        .load(&["--entrypoints.web.adress=:80".to_owned()], [])
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("command-line flags: `entryPoints.web.adress`: unknown field `adress`"),
        "{err}"
    );
    let err = loader()
        .load(
            &[],
            [(
                "TRAEFIK_ENTRYPOINTS_WEB_SECURE_ADDRESS".to_owned(),
                ":443".to_owned(),
            )],
        )
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("environment variables: `entryPoints.web.secure`: unknown field `secure`"),
        "{text}"
    );
    assert!(
        text.contains("names containing `_` cannot be set through the environment"),
        "{text}"
    );
}
