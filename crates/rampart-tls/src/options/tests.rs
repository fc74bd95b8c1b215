//! Building options objects: what is an error, what is a warning, what ends up configured.
//! (Handshakes against these configurations are in `tests/options.rs`.)

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::{CipherSuite, NamedGroup};

use super::{OptionsSet, TlsOptionsSpec};
use crate::{AlpnChallengeCerts, CertStore, ClientAuthSpec, FileOrPem, Report, TlsError};

fn build_one(spec: TlsOptionsSpec) -> (OptionsSet, Report) {
    let mut specs = BTreeMap::new();
    specs.insert("o".to_owned(), spec);
    OptionsSet::build(
        &specs,
        &Arc::new(CertStore::new()),
        Arc::new(AlpnChallengeCerts::new()),
    )
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn warnings(report: &Report) -> Vec<String> {
    report.warnings.iter().map(ToString::to_string).collect()
}

fn suites(set: &OptionsSet) -> Vec<CipherSuite> {
    let config = set.get("o").expect("usable options");
    config
        .crypto_provider()
        .cipher_suites
        .iter()
        .map(rustls::SupportedCipherSuite::suite)
        .collect()
}

#[test]
fn the_seed_guides_tls_opts_build_with_exactly_two_warnings() {
    // appdata/traefik/rules/tls-opts.yaml of the guide rampart replaces.
    let spec = TlsOptionsSpec {
        sni_strict: true,
        min_version: Some("VersionTLS12".into()),
        cipher_suites: strings(&[
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_FALLBACK_SCSV",
        ]),
        curve_preferences: strings(&["secp521r1", "secp384r1"]),
        ..TlsOptionsSpec::default()
    };
    let (set, report) = build_one(spec);
    assert!(report.is_ok(), "{:?}", report.errors);
    let w = warnings(&report);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with(
            "TLS options \"o\": cipherSuites: TLS_FALLBACK_SCSV skipped: a signalling value"
        ),
        "{w:?}"
    );
    assert!(
        w[1].starts_with(
            "TLS options \"o\": curvePreferences: secp521r1 skipped: P-521 is not available"
        ),
        "{w:?}"
    );
    let config = set.get("o").unwrap();
    let groups: Vec<NamedGroup> = config
        .crypto_provider()
        .kx_groups
        .iter()
        .map(|g| g.name())
        .collect();
    assert_eq!(groups, [NamedGroup::secp384r1]);
    assert_eq!(suites(&set).len(), 9);
}

#[test]
fn every_unknown_name_is_an_error_naming_its_key_and_the_options_are_unusable() {
    let spec = TlsOptionsSpec {
        min_version: Some("VersionTLS1.3".into()),
        cipher_suites: strings(&["TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA512"]),
        curve_preferences: strings(&["P-256"]),
        client_auth: ClientAuthSpec {
            client_auth_type: Some("RequireClientCert".into()),
            ..ClientAuthSpec::default()
        },
        ..TlsOptionsSpec::default()
    };
    let (set, report) = build_one(spec);
    assert!(set.contains("o") && set.get("o").is_none());
    assert!(
        set.get("default").is_some(),
        "the built-in default still builds"
    );
    let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(errors[0].starts_with("TLS options \"o\": minVersion: unknown value \"VersionTLS1.3\"; expected one of VersionTLS10, "), "{errors:?}");
    assert!(
        errors[1].starts_with(
            "TLS options \"o\": cipherSuites[1]: unknown value \"TLS_AES_128_GCM_SHA512\""
        ),
        "{errors:?}"
    );
    assert!(
        errors[2].starts_with("TLS options \"o\": curvePreferences[0]: unknown value \"P-256\""),
        "{errors:?}"
    );
    assert!(
        errors[3].starts_with(
            "TLS options \"o\": clientAuth.clientAuthType: unknown value \"RequireClientCert\""
        ),
        "{errors:?}"
    );
}

#[test]
fn old_versions_are_raised_to_tls12_with_a_warning_and_an_empty_range_is_an_error() {
    let (set, report) = build_one(TlsOptionsSpec {
        min_version: Some("VersionTLS10".into()),
        ..TlsOptionsSpec::default()
    });
    assert!(set.get("o").is_some());
    assert_eq!(warnings(&report).len(), 1);
    assert!(
        warnings(&report)[0].contains("minVersion: VersionTLS10: TLS 1.0 and 1.1 are deprecated")
    );

    let (set, report) = build_one(TlsOptionsSpec {
        min_version: Some("VersionTLS13".into()),
        max_version: Some("VersionTLS12".into()),
        ..TlsOptionsSpec::default()
    });
    assert!(set.get("o").is_none());
    assert!(matches!(&report.errors[..], [TlsError::Options { key, .. }] if key == "minVersion"));
}

#[test]
fn listed_tls13_suites_restrict_tls13_and_unlisted_ones_keep_all() {
    let (set, _) = build_one(TlsOptionsSpec {
        cipher_suites: strings(&["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]),
        ..TlsOptionsSpec::default()
    });
    assert_eq!(
        suites(&set),
        [
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ]
    );
    let (set, _) = build_one(TlsOptionsSpec {
        cipher_suites: strings(&[
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ]),
        ..TlsOptionsSpec::default()
    });
    assert_eq!(
        suites(&set),
        [
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ]
    );
}

#[test]
fn no_usable_tls12_suite_drops_tls12_or_fails_when_tls13_is_excluded() {
    let (set, report) = build_one(TlsOptionsSpec {
        cipher_suites: strings(&["TLS_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA"]),
        ..TlsOptionsSpec::default()
    });
    assert!(set.get("o").is_some());
    let w = warnings(&report);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[1].ends_with("no listed suite is usable with TLS 1.2, so only TLS 1.3 is offered"));

    let (set, report) = build_one(TlsOptionsSpec {
        max_version: Some("VersionTLS12".into()),
        cipher_suites: strings(&["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]),
        ..TlsOptionsSpec::default()
    });
    assert!(set.get("o").is_none());
    assert!(matches!(&report.errors[..], [TlsError::Options { key, .. }] if key == "cipherSuites"));
}

#[test]
fn only_unavailable_curves_fall_back_to_the_defaults_with_a_warning() {
    let (set, report) = build_one(TlsOptionsSpec {
        curve_preferences: strings(&["CurveP521", "X25519MLKEM768"]),
        ..TlsOptionsSpec::default()
    });
    let w = warnings(&report);
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(
        w[2].ends_with("no listed curve is usable; the defaults (X25519, P-256, P-384) are used")
    );
    let groups = set.get("o").unwrap().crypto_provider().kx_groups.len();
    assert_eq!(groups, 3);
}

#[test]
fn client_auth_modes_follow_traefik() {
    let ca = rampart_testkit::TestCa::new("clients");
    let with_ca = |mode: Option<&str>| TlsOptionsSpec {
        client_auth: ClientAuthSpec {
            ca_files: vec![FileOrPem::Pem(ca.cert_pem().to_owned())],
            client_auth_type: mode.map(str::to_owned),
        },
        ..TlsOptionsSpec::default()
    };
    let without_ca = |mode: &str| TlsOptionsSpec {
        client_auth: ClientAuthSpec {
            ca_files: vec![],
            client_auth_type: Some(mode.to_owned()),
        },
        ..TlsOptionsSpec::default()
    };
    // caFiles alone: require and verify.
    let (set, report) = build_one(with_ca(None));
    assert!(report.is_ok() && report.warnings.is_empty());
    assert!(set.get("o").is_some());
    // Verifying modes need caFiles.
    for mode in ["VerifyClientCertIfGiven", "RequireAndVerifyClientCert"] {
        let (set, report) = build_one(without_ca(mode));
        assert!(set.get("o").is_none(), "{mode}");
        assert!(
            report.errors[0]
                .to_string()
                .contains("needs clientAuth.caFiles"),
            "{mode}"
        );
    }
    // Non-verifying modes ignore caFiles, with a warning.
    for mode in ["NoClientCert", "RequestClientCert", "RequireAnyClientCert"] {
        let (set, report) = build_one(without_ca(mode));
        assert!(
            set.get("o").is_some() && report.warnings.is_empty(),
            "{mode}"
        );
        let (set, report) = build_one(with_ca(Some(mode)));
        assert!(set.get("o").is_some(), "{mode}");
        assert!(
            warnings(&report)[0].contains("caFiles are not used"),
            "{mode}"
        );
    }
    // A CA file that is not a certificate.
    let (set, report) = build_one(TlsOptionsSpec {
        client_auth: ClientAuthSpec {
            ca_files: vec![FileOrPem::Pem("-----BEGIN NOTHING-----\n".into())],
            client_auth_type: None,
        },
        ..TlsOptionsSpec::default()
    });
    assert!(set.get("o").is_none());
    assert!(
        report.errors[0]
            .to_string()
            .contains("clientAuth.caFiles[0]"),
        "{}",
        report.errors[0]
    );
}

#[test]
fn alpn_names_are_checked_and_default_to_h2_http11_acme() {
    let (set, _) = build_one(TlsOptionsSpec::default());
    assert_eq!(
        set.get("o").unwrap().alpn_protocols,
        [b"h2".to_vec(), b"http/1.1".to_vec(), b"acme-tls/1".to_vec()]
    );
    let (set, report) = build_one(TlsOptionsSpec {
        alpn_protocols: vec![String::new(), "x".repeat(256)],
        ..TlsOptionsSpec::default()
    });
    assert!(set.get("o").is_none());
    assert_eq!(report.errors.len(), 2);
}

#[test]
fn deprecated_prefer_server_cipher_suites_is_a_warning() {
    let (set, report) = build_one(TlsOptionsSpec {
        prefer_server_cipher_suites: Some(true),
        ..TlsOptionsSpec::default()
    });
    assert!(set.get("o").is_some());
    assert!(warnings(&report)[0].contains("preferServerCipherSuites is deprecated"));
}

#[test]
fn a_user_default_replaces_the_builtin_one() {
    let mut specs = BTreeMap::new();
    specs.insert(
        "default".to_owned(),
        TlsOptionsSpec {
            min_version: Some("VersionTLS13".into()),
            ..TlsOptionsSpec::default()
        },
    );
    let (set, report) = OptionsSet::build(
        &specs,
        &Arc::new(CertStore::new()),
        Arc::new(AlpnChallengeCerts::new()),
    );
    assert!(report.is_ok());
    assert_eq!(set.names(), ["default"]);
    let suites = &set.get("default").unwrap().crypto_provider().cipher_suites;
    assert!(
        suites.iter().all(|s| s.tls13().is_some()),
        "TLS 1.3 only: no TLS 1.2 suites kept"
    );
}
