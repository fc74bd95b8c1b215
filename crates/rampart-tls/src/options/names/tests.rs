//! The name tables, checked name by name: which of Traefik's names rustls with ring honours and
//! exactly which it skips.

use super::*;

fn supported_suites() -> Vec<&'static str> {
    CIPHER_SUITE_NAMES
        .into_iter()
        .filter(|n| matches!(cipher_suite(n), Some(Support::Supported(_))))
        .collect()
}

#[test]
fn every_traefik_cipher_suite_name_is_known() {
    for name in CIPHER_SUITE_NAMES {
        assert!(cipher_suite(name).is_some(), "{name}");
    }
    assert!(cipher_suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ").is_none());
    assert!(
        cipher_suite("tls_aes_128_gcm_sha256").is_none(),
        "Go's names are case-sensitive"
    );
}

#[test]
fn exactly_the_aead_ecdhe_and_tls13_suites_are_supported() {
    assert_eq!(
        supported_suites(),
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
        ]
    );
}

#[test]
fn exactly_these_seventeen_suites_are_skipped_each_with_its_reason() {
    let skipped: Vec<(&str, &str)> = CIPHER_SUITE_NAMES
        .into_iter()
        .filter_map(|n| match cipher_suite(n) {
            Some(Support::Unsupported(why)) => Some((n, why)),
            _ => None,
        })
        .collect();
    assert_eq!(skipped.len(), 17);
    for (name, why) in &skipped {
        let expected = if name.starts_with("TLS_RSA_") {
            RSA_KX
        } else if name.contains("RC4") {
            RC4
        } else if name.contains("3DES") {
            TRIPLE_DES
        } else if name.contains("CBC") {
            CBC
        } else {
            assert_eq!(*name, "TLS_FALLBACK_SCSV");
            FALLBACK_SCSV
        };
        assert_eq!(*why, expected, "{name}");
    }
}

#[test]
fn chacha_aliases_map_to_the_same_suite() {
    let (Some(Support::Supported(a)), Some(Support::Supported(b))) = (
        cipher_suite("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"),
        cipher_suite("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    ) else {
        panic!("both aliases are supported");
    };
    assert_eq!(a.suite(), b.suite());
}

#[test]
fn supported_suites_round_trip_through_their_go_name() {
    for name in supported_suites() {
        let Some(Support::Supported(s)) = cipher_suite(name) else {
            unreachable!()
        };
        let back = cipher_suite_name(s.suite()).expect("every supported suite has a Go name");
        // The legacy aliases come back with their canonical `_SHA256` name, as Go reports them.
        assert!(
            name == back || format!("{name}_SHA256") == back,
            "{name} → {back}"
        );
    }
    // Every suite ring offers is reachable by name.
    for s in rustls::crypto::ring::ALL_CIPHER_SUITES {
        assert!(cipher_suite_name(s.suite()).is_some(), "{:?}", s.suite());
    }
}

#[test]
fn versions_one_zero_and_one_one_are_skipped_others_map() {
    assert!(matches!(
        version("VersionTLS10"),
        Some(Support::Unsupported(OLD_TLS))
    ));
    assert!(matches!(
        version("VersionTLS11"),
        Some(Support::Unsupported(OLD_TLS))
    ));
    assert!(matches!(
        version("VersionTLS12"),
        Some(Support::Supported(Version::Tls12))
    ));
    assert!(matches!(
        version("VersionTLS13"),
        Some(Support::Supported(Version::Tls13))
    ));
    for bad in ["", "VersionTLS14", "TLS13", "versiontls13", "1.3"] {
        assert!(version(bad).is_none(), "{bad:?}");
    }
    assert_eq!(version_name(ProtocolVersion::TLSv1_2), Some("1.2"));
    assert_eq!(version_name(ProtocolVersion::TLSv1_3), Some("1.3"));
    assert_eq!(version_name(ProtocolVersion::TLSv1_0), None);
}

#[test]
fn curves_map_and_p521_and_hybrids_are_skipped() {
    use rustls::NamedGroup::{X25519, secp256r1, secp384r1};

    let supported: Vec<(&str, rustls::NamedGroup)> = CURVE_NAMES
        .into_iter()
        .filter_map(|n| match curve(n) {
            Some(Support::Supported(g)) => Some((n, g.name())),
            Some(Support::Unsupported(_)) => None,
            None => panic!("{n} is a Traefik curve name"),
        })
        .collect();
    assert_eq!(
        supported,
        [
            ("secp256r1", secp256r1),
            ("CurveP256", secp256r1),
            ("secp384r1", secp384r1),
            ("CurveP384", secp384r1),
            ("x25519", X25519),
            ("X25519", X25519),
        ]
    );
    for n in ["secp521r1", "CurveP521"] {
        assert!(matches!(curve(n), Some(Support::Unsupported(P521))), "{n}");
    }
    for n in &CURVE_NAMES[8..] {
        assert!(
            matches!(curve(n), Some(Support::Unsupported(HYBRID))),
            "{n}"
        );
    }
    assert!(curve("P-256").is_none());
}
