//! Every case of Traefik's `forwarded_header_test.go` (`TestServeHTTP`,
//! `Test_isWebsocketRequest`, `TestConnection`), plus the attack catalogue's B7 variants.

use std::sync::Arc;

use http::HeaderMap;

use super::*;
use crate::context::TlsInfo;
use crate::{Body, ConnInfo};

const MANAGED_CANON: [&str; 10] = [
    "X-Forwarded-Proto",
    "X-Forwarded-For",
    "X-Forwarded-Uri",
    "X-Forwarded-Method",
    "X-Forwarded-Host",
    "X-Forwarded-Port",
    "X-Forwarded-Tls-Client-Cert",
    "X-Forwarded-Tls-Client-Cert-Info",
    "X-Forwarded-Prefix",
    "X-Real-Ip",
];

#[derive(Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors Traefik's table columns"
)]
struct Case {
    desc: &'static str,
    insecure: bool,
    trusted: Vec<&'static str>,
    connection: Vec<String>,
    scheme_headers: bool,
    incoming: Vec<(String, String)>,
    remote: Option<&'static str>,
    expected: Vec<(String, &'static str)>,
    tls: bool,
    websocket: bool,
    host: Option<&'static str>,
    absent: Vec<&'static str>,
}

fn s(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn e(v: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    v.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn run(case: &Case) -> HeaderMap {
    let spec = ForwardedHeadersSpec {
        trusted_ips: case.trusted.iter().map(|s| (*s).to_owned()).collect(),
        insecure: case.insecure,
        connection: case.connection.clone(),
        add_x_forwarded_scheme_headers: case.scheme_headers,
        ..ForwardedHeadersSpec::default()
    };
    let mut stage = ForwardedHeaders::new(&spec).unwrap();
    if let Some(host) = case.host {
        stage = stage.with_server_name(host);
    }
    let mut req = http::Request::new(Body::empty());
    if let Some(remote) = case.remote {
        let peer = remote.parse().unwrap();
        let info = if case.tls {
            ConnInfo::with_tls(peer, "web", TlsInfo::default())
        } else {
            ConnInfo::plain(peer, "web")
        };
        req.extensions_mut().insert(Arc::new(info));
    } else if case.tls {
        // Traefik's test has no remote address but a TLS state: an unknown peer over TLS.
        let info = ConnInfo::with_tls("0.0.0.0:0".parse().unwrap(), "web", TlsInfo::default());
        req.extensions_mut().insert(Arc::new(info));
    }
    if case.websocket {
        req.headers_mut()
            .insert("connection", "upgrade".parse().unwrap());
        req.headers_mut()
            .insert("upgrade", "websocket".parse().unwrap());
    }
    if let Some(host) = case.host {
        req.headers_mut().insert("host", host.parse().unwrap());
    }
    for (k, v) in &case.incoming {
        req.headers_mut().append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    stage.apply(&mut req);
    req.headers().clone()
}

fn get<'a>(h: &'a HeaderMap, k: &str) -> &'a str {
    h.get(k).map_or("", |v| v.to_str().unwrap())
}

fn check(case: &Case) {
    let h = run(case);
    for (k, v) in &case.expected {
        // The unknown-peer TLS trick above sets X-Real-Ip to 0.0.0.0; Traefik's has none.
        if case.remote.is_none() && case.tls && k.eq_ignore_ascii_case("x-real-ip") {
            continue;
        }
        assert_eq!(get(&h, k), *v, "{}: header {k}", case.desc);
    }
    for k in &case.absent {
        assert!(!h.contains_key(*k), "{}: {k} should be absent", case.desc);
    }
}

fn spoofed_all(value: &str) -> Vec<(String, String)> {
    MANAGED_CANON
        .iter()
        .map(|k| ((*k).to_owned(), value.to_owned()))
        .collect()
}

fn connection_all(lower: bool) -> Vec<(String, String)> {
    MANAGED_CANON
        .iter()
        .map(|k| {
            let k = if lower {
                k.to_ascii_lowercase()
            } else {
                (*k).to_owned()
            };
            ("Connection".to_owned(), k)
        })
        .collect()
}

fn expect_all(value: &'static str) -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = MANAGED_CANON
        .iter()
        .map(|k| ((*k).to_owned(), value))
        .collect();
    v.push(("Connection".to_owned(), ""));
    v
}

fn expect_untrusted() -> Vec<(String, &'static str)> {
    let mut v = expect_all("");
    for (k, val) in &mut v {
        match k.as_str() {
            "X-Forwarded-Proto" => *val = "http",
            "X-Forwarded-Port" => *val = "80",
            _ => {}
        }
    }
    v
}

fn with_x_headers() -> Vec<(String, String)> {
    s(&[
        ("X-Forwarded-For", "10.0.1.0, 10.0.1.12"),
        ("X-Forwarded-Uri", "/bar"),
        ("X-Forwarded-Method", "GET"),
        ("X-Forwarded-Tls-Client-Cert", "Cert"),
        ("X-Forwarded-Tls-Client-Cert-Info", "CertInfo"),
        ("X-Forwarded-Prefix", "/prefix"),
    ])
}

fn kept_x_headers() -> Vec<(String, &'static str)> {
    e(&[
        ("X-Forwarded-For", "10.0.1.0, 10.0.1.12"),
        ("X-Forwarded-Uri", "/bar"),
        ("X-Forwarded-Method", "GET"),
        ("X-Forwarded-Tls-Client-Cert", "Cert"),
        ("X-Forwarded-Tls-Client-Cert-Info", "CertInfo"),
        ("X-Forwarded-Prefix", "/prefix"),
    ])
}

fn dropped_x_headers() -> Vec<(String, &'static str)> {
    kept_x_headers().into_iter().map(|(k, _)| (k, "")).collect()
}

fn aliases() -> Vec<(String, String)> {
    s(&[
        ("X_forwarded_proto", "https"),
        ("X_forwarded_for", "10.0.0.1"),
    ])
}

#[expect(
    clippy::too_many_lines,
    reason = "one table, one entry per Traefik case"
)]
fn cases() -> Vec<Case> {
    let mut v = vec![
        Case {
            desc: "all Empty",
            insecure: true,
            expected: e(&[
                ("X-Forwarded-For", ""),
                ("X-Forwarded-Uri", ""),
                ("X-Forwarded-Method", ""),
                ("X-Forwarded-Tls-Client-Cert", ""),
                ("X-Forwarded-Tls-Client-Cert-Info", ""),
            ]),
            ..Case::default()
        },
        Case {
            desc: "insecure true with incoming X-Forwarded headers",
            insecure: true,
            incoming: [with_x_headers(), aliases()].concat(),
            expected: [
                kept_x_headers(),
                e(&[
                    ("X_forwarded_proto", "https"),
                    ("X_forwarded_for", "10.0.0.1"),
                ]),
            ]
            .concat(),
            ..Case::default()
        },
        Case {
            desc: "insecure false with incoming X-Forwarded headers",
            incoming: [
                with_x_headers(),
                aliases(),
                s(&[("X_forwarded_host", "evil.example")]),
            ]
            .concat(),
            expected: [
                dropped_x_headers(),
                e(&[
                    ("X_forwarded_proto", ""),
                    ("X_forwarded_for", ""),
                    ("X_forwarded_host", ""),
                ]),
            ]
            .concat(),
            ..Case::default()
        },
        Case {
            desc: "insecure false with incoming X-Forwarded headers and valid Trusted Ips",
            trusted: vec!["10.0.1.100"],
            remote: Some("10.0.1.100:80"),
            incoming: [with_x_headers(), aliases()].concat(),
            expected: [
                kept_x_headers(),
                e(&[
                    ("X_forwarded_proto", "https"),
                    ("X_forwarded_for", "10.0.0.1"),
                ]),
            ]
            .concat(),
            ..Case::default()
        },
        Case {
            desc: "insecure false with incoming X-Forwarded headers and invalid Trusted Ips",
            trusted: vec!["10.0.1.100"],
            remote: Some("10.0.1.101:80"),
            incoming: with_x_headers(),
            expected: dropped_x_headers(),
            ..Case::default()
        },
        Case {
            desc: "insecure false with incoming X-Forwarded headers and valid Trusted Ips CIDR",
            trusted: vec!["1.2.3.4/24"],
            remote: Some("1.2.3.156:80"),
            incoming: with_x_headers(),
            expected: kept_x_headers(),
            ..Case::default()
        },
        Case {
            desc: "insecure false with incoming X-Forwarded headers and invalid Trusted Ips CIDR",
            trusted: vec!["1.2.3.4/24"],
            remote: Some("10.0.1.101:80"),
            incoming: with_x_headers(),
            expected: dropped_x_headers(),
            ..Case::default()
        },
        Case {
            desc: "xForwardedFor with multiple header(s) values",
            insecure: true,
            incoming: s(&[
                ("X-Forwarded-For", "10.0.0.4, 10.0.0.3"),
                ("X-Forwarded-For", "10.0.0.2, 10.0.0.1"),
                ("X-Forwarded-For", "10.0.0.0"),
            ]),
            expected: e(&[(
                "X-Forwarded-For",
                "10.0.0.4, 10.0.0.3, 10.0.0.2, 10.0.0.1, 10.0.0.0",
            )]),
            ..Case::default()
        },
        Case {
            desc: "xRealIP populated from remote address",
            remote: Some("10.0.1.101:80"),
            expected: e(&[("X-Real-Ip", "10.0.1.101")]),
            ..Case::default()
        },
        Case {
            desc: "xRealIP was already populated from previous headers",
            insecure: true,
            remote: Some("10.0.1.101:80"),
            incoming: s(&[("X-Real-Ip", "10.0.1.12")]),
            expected: e(&[("X-Real-Ip", "10.0.1.12")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedProto with no tls",
            expected: e(&[("X-Forwarded-Proto", "http")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedProto with tls",
            tls: true,
            expected: e(&[("X-Forwarded-Proto", "https")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedScheme headers with tls",
            tls: true,
            scheme_headers: true,
            expected: e(&[
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Scheme", "https"),
                ("X-Scheme", "https"),
            ]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedScheme headers disabled keeps legacy headers absent",
            tls: true,
            expected: e(&[("X-Forwarded-Proto", "https")]),
            absent: vec!["x-forwarded-scheme", "x-scheme"],
            ..Case::default()
        },
        Case {
            desc: "xForwardedProto with websocket",
            websocket: true,
            expected: e(&[("X-Forwarded-Proto", "ws")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedScheme headers with websocket",
            websocket: true,
            scheme_headers: true,
            expected: e(&[
                ("X-Forwarded-Proto", "ws"),
                ("X-Forwarded-Scheme", "ws"),
                ("X-Scheme", "ws"),
            ]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedProto with websocket and tls",
            tls: true,
            websocket: true,
            expected: e(&[("X-Forwarded-Proto", "wss")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedScheme headers with websocket and tls",
            tls: true,
            websocket: true,
            scheme_headers: true,
            expected: e(&[
                ("X-Forwarded-Proto", "wss"),
                ("X-Forwarded-Scheme", "wss"),
                ("X-Scheme", "wss"),
            ]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedProto with websocket and tls and already x-forwarded-proto with wss",
            tls: true,
            websocket: true,
            incoming: s(&[("X-Forwarded-Proto", "wss")]),
            expected: e(&[("X-Forwarded-Proto", "wss")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedScheme headers overwrite in insecure mode",
            insecure: true,
            scheme_headers: true,
            incoming: s(&[
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Scheme", "external-https"),
                ("X-Scheme", "external-https"),
            ]),
            expected: e(&[
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Scheme", "https"),
                ("X-Scheme", "https"),
            ]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedPort with explicit port",
            host: Some("foo.com:8080"),
            expected: e(&[("X-Forwarded-Port", "8080")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedPort with implicit tls port from proto header",
            insecure: true,
            incoming: s(&[("X-Forwarded-Proto", "https")]),
            expected: e(&[("X-Forwarded-Proto", "https"), ("X-Forwarded-Port", "443")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedPort with implicit tls port from TLS in req",
            tls: true,
            expected: e(&[("X-Forwarded-Port", "443")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedHost from req host",
            host: Some("foo.com:8080"),
            expected: e(&[("X-Forwarded-Host", "foo.com:8080")]),
            ..Case::default()
        },
        Case {
            desc: "xForwardedServer from req XForwarded",
            host: Some("foo.com:8080"),
            expected: e(&[("X-Forwarded-Server", "foo.com:8080")]),
            ..Case::default()
        },
    ];
    let mut untrusted_conn = [connection_all(false), spoofed_all("foo")].concat();
    untrusted_conn.push(("Connection".to_owned(), "X_forwarded_proto".to_owned()));
    untrusted_conn.push(("X_forwarded_proto".to_owned(), "spoofed".to_owned()));
    let mut untrusted_expected = expect_untrusted();
    untrusted_expected.push(("X_forwarded_proto".to_owned(), ""));
    let managed_lower: Vec<String> = MANAGED_CANON
        .iter()
        .map(|k| k.to_ascii_lowercase())
        .collect();
    let managed_canon: Vec<String> = MANAGED_CANON.iter().map(|k| (*k).to_owned()).collect();
    v.extend([
        Case {
            desc: "Untrusted: Connection header has no effect on X- forwarded headers",
            incoming: untrusted_conn,
            expected: untrusted_expected,
            ..Case::default()
        },
        Case {
            desc: "Trusted (insecure): Connection header has no effect on X- forwarded headers",
            insecure: true,
            incoming: [connection_all(false), spoofed_all("foo")].concat(),
            expected: expect_all("foo"),
            ..Case::default()
        },
        Case {
            desc: "Untrusted and Connection: Connection header has no effect on X- forwarded headers",
            connection: managed_canon.clone(),
            incoming: [connection_all(false), spoofed_all("foo")].concat(),
            expected: expect_untrusted(),
            ..Case::default()
        },
        Case {
            desc: "Trusted (insecure) and Connection: Connection header has no effect on X- forwarded headers",
            insecure: true,
            connection: managed_canon,
            incoming: [connection_all(false), spoofed_all("foo")].concat(),
            expected: expect_all("foo"),
            ..Case::default()
        },
        Case {
            desc: "Trusted (insecure) and Connection: Testing case sensitivity on connection Headers param",
            insecure: true,
            connection: managed_lower,
            incoming: [connection_all(false), spoofed_all("foo")].concat(),
            expected: expect_all("foo"),
            ..Case::default()
        },
        Case {
            desc: "Trusted (insecure) and Connection: Testing case sensitivity on X- forwarded headers",
            insecure: true,
            incoming: [connection_all(true), spoofed_all("foo")].concat(),
            expected: expect_all("foo"),
            ..Case::default()
        },
        Case {
            desc: "Connection: one remove, and one passthrough header",
            connection: vec!["foo".to_owned()],
            incoming: s(&[
                ("Connection", "foo"),
                ("Connection", "bar"),
                ("Foo", "bar"),
                ("Bar", "foo"),
            ]),
            expected: e(&[("Bar", ""), ("Foo", "bar")]),
            ..Case::default()
        },
        Case {
            desc: "insecure false preserves non-matching underscore headers",
            remote: Some("10.0.1.101:80"),
            incoming: s(&[("X_custom_header", "value"), ("X_forwarded_proto", "spoofed")]),
            expected: e(&[("X_custom_header", "value"), ("X_forwarded_proto", "")]),
            ..Case::default()
        },
    ]);
    v
}

#[test]
fn traefik_serve_http_cases() {
    let cases = cases();
    assert_eq!(cases.len(), 33, "every TestServeHTTP case is here");
    for case in &cases {
        check(case);
    }
}

#[test]
fn traefik_is_websocket_request_cases() {
    let cases = [
        ("foo,upgrade,bar", "websocket", true),
        ("foo,bar,upgrade", "websocket", true),
        ("upgrade,foo,bar", "websocket", true),
        ("foo,bar", "websocket", false),
        ("", "websocket", false),
        ("foo,bar", "foo,bar", false),
        ("upgrade", "foo,bar,websocket", true),
    ];
    for (conn, up, want) in cases {
        let mut h = HeaderMap::new();
        h.insert("connection", conn.parse().unwrap());
        h.insert("upgrade", up.parse().unwrap());
        assert_eq!(is_websocket_upgrade(&h), want, "{conn} / {up}");
    }
}

fn connection_case(req: &[(&str, &str)], keep: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in req {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let keep: Vec<http::HeaderName> = keep.iter().map(|k| k.parse().unwrap()).collect();
    connection::apply(&mut h, &keep);
    h
}

#[test]
fn traefik_connection_cases() {
    // simple remove
    let h = connection_case(&[("Foo", "bar"), ("Connection", "foo")], &[]);
    assert!(h.is_empty(), "{h:?}");
    // remove and upgrade
    let h = connection_case(
        &[
            ("Upgrade", "test"),
            ("Foo", "bar"),
            ("Connection", "upgrade,foo"),
        ],
        &[],
    );
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(h["upgrade"], "test");
    assert!(h["connection"].as_bytes().eq_ignore_ascii_case(b"upgrade"));
    // no remove
    let h = connection_case(&[("Foo", "bar"), ("Connection", "fii")], &[]);
    assert_eq!(h.len(), 1);
    assert_eq!(h["foo"], "bar");
    // no remove because connection header pass through
    let h = connection_case(&[("Foo", "bar"), ("Connection", "Foo")], &["Foo"]);
    assert_eq!(h.len(), 2);
    assert_eq!(h["foo"], "bar");
    assert!(h["connection"].as_bytes().eq_ignore_ascii_case(b"foo"));
}

#[test]
fn cve_2024_45410_odd_spacing_and_split_lines_cannot_remove_managed_headers() {
    // Attack catalogue B7: whitespace variants and the list split over two lines.
    let h = connection_case(
        &[
            (
                "Connection",
                "close ,X-Real-Ip,\tx-forwarded-host , X_Forwarded_For",
            ),
            ("X-Real-Ip", "1"),
            ("X-Forwarded-Host", "2"),
            ("X_Forwarded_For", "3"),
        ],
        &[],
    );
    assert_eq!(h["x-real-ip"], "1");
    assert_eq!(h["x-forwarded-host"], "2");
    assert_eq!(h["x_forwarded_for"], "3");
    assert!(!h.contains_key("connection"));
}

#[test]
fn untrusted_peer_gets_proxy_values_for_everything() {
    // Attack catalogue B6 at the entrypoint: every spoofed value replaced, X-Forwarded-Port from
    // the real scheme (never 443 because the client claimed https: GHSA-3q9r-p662-5j8m).
    let case = Case {
        desc: "B6",
        remote: Some("127.0.0.1:5555"),
        host: Some("app.test"),
        incoming: s(&[
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Port", "443"),
            ("X-Forwarded-Host", "admin.internal"),
            ("X-Real-Ip", "10.0.0.1"),
            ("X-Forwarded-For", "10.0.0.1"),
            ("X-Forwarded-Prefix", "/public"),
        ]),
        ..Case::default()
    };
    let h = run(&case);
    assert_eq!(get(&h, "x-forwarded-proto"), "http");
    assert_eq!(get(&h, "x-forwarded-port"), "80");
    assert_eq!(get(&h, "x-forwarded-host"), "app.test");
    assert_eq!(get(&h, "x-real-ip"), "127.0.0.1");
    assert_eq!(get(&h, "x-forwarded-for"), "");
    assert_eq!(get(&h, "x-forwarded-prefix"), "");
}

#[test]
fn dot_and_other_token_aliases_of_managed_headers_are_removed_from_untrusted_peers() {
    // GHSA-rf44-j88r-hh8c: `X.Forwarded.Proto` reached the auth server (and the backend) from
    // an untrusted client; only `_` aliases were removed. Found through the binary
    // (bins/rampart/tests/auth_outpost.rs).
    let case = Case {
        desc: "dot aliases",
        remote: Some("127.0.0.2:5555"),
        host: Some("app.test"),
        incoming: s(&[
            ("X.Forwarded.Proto", "http"),
            ("x.forwarded.host", "evil.example"),
            ("X-Forwarded~For", "10.0.0.1"),
            ("x+real+ip", "10.0.0.1"),
            ("x.custom.header", "kept"),
        ]),
        ..Case::default()
    };
    let h = run(&case);
    let names: Vec<&str> = h.keys().map(http::HeaderName::as_str).collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains(['.', '~', '+']) || *n == "x.custom.header"),
        "{names:?}"
    );
    assert_eq!(get(&h, "x.custom.header"), "kept");
    assert_eq!(get(&h, "x-forwarded-proto"), "http");
    assert_eq!(get(&h, "x-forwarded-host"), "app.test");
}

#[test]
fn h2_authority_is_the_host_and_v4_mapped_peer_is_trusted_as_v4() {
    let stage = ForwardedHeaders::new(&ForwardedHeadersSpec {
        trusted_ips: vec!["127.0.0.1/32".into()],
        ..ForwardedHeadersSpec::default()
    })
    .unwrap();
    let mut req = http::Request::builder()
        .uri("https://app.test:8443/x")
        .header("x-forwarded-for", "203.0.113.9")
        .body(Body::empty())
        .unwrap();
    let peer = "[::ffff:127.0.0.1]:4000".parse().unwrap();
    req.extensions_mut()
        .insert(Arc::new(ConnInfo::plain(peer, "web")));
    stage.apply(&mut req);
    let h = req.headers();
    assert_eq!(h["x-forwarded-for"], "203.0.113.9");
    assert_eq!(h["x-forwarded-host"], "app.test:8443");
    assert_eq!(h["x-forwarded-port"], "8443");
    assert_eq!(h["x-real-ip"], "127.0.0.1");
}

#[test]
fn not_append_marks_the_request_and_bad_config_is_an_error() {
    let stage = ForwardedHeaders::new(&ForwardedHeadersSpec {
        not_append_x_forwarded_for: true,
        ..ForwardedHeadersSpec::default()
    })
    .unwrap();
    let mut req = http::Request::new(Body::empty());
    stage.apply(&mut req);
    assert!(req.extensions().get::<NotAppendXForwardedFor>().is_some());

    let err = ForwardedHeaders::new(&ForwardedHeadersSpec {
        connection: vec!["bad header".into()],
        ..ForwardedHeadersSpec::default()
    })
    .unwrap_err();
    assert_eq!(err, EntrypointError::HeaderName("bad header".into()));
}
