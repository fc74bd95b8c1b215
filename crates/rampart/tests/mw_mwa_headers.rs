//! The `headers` middleware: Traefik's test tables (custom headers, CORS preflights and
//! responses, security headers, allowed hosts), the guide's secure-headers middleware, and real
//! loopback hops over plain HTTP and TLS.

#[path = "common/mw_mwa.rs"]
mod mw_mwa;

use std::sync::Arc;

use mw_mwa::{Echo, body_bytes, build, front, run, send, send_tls, upstream};
use rampart::forwarded::SuppressForwardedFor;
use rampart::middleware::{BoxFuture, Endpoint, Middleware};
use rampart::{Body, Request, Response};

/// Answers 200 with the headers it is given, and records what it received as `x-echo-*`.
struct App(Vec<(&'static str, &'static str)>);

impl Endpoint for App {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let mut res = Response::new(Body::from("ok"));
        for (n, v) in &self.0 {
            res.headers_mut().append(*n, v.parse().unwrap());
        }
        for (name, value) in req.headers() {
            res.headers_mut().append(
                http::HeaderName::try_from(format!("x-echo-{name}")).unwrap(),
                value.clone(),
            );
        }
        if req.extensions().get::<SuppressForwardedFor>().is_some() {
            res.headers_mut()
                .insert("x-echo-suppress-xff", "1".parse().unwrap());
        }
        Box::pin(async move { res })
    }
}

/// (options, extra request headers, expected response headers).
type PreflightCase = (String, Vec<(&'static str, &'static str)>, Vec<&'static str>);
/// (options, app response headers, request headers, expected response headers).
type ResponseCase = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<(&'static str, &'static str)>,
    Vec<&'static str>,
);

fn mw(json: &str) -> Arc<dyn Middleware> {
    build("headers", json).unwrap()
}

fn req(method: &str, headers: &[(&str, &str)]) -> Request {
    let mut b = http::Request::builder().method(method).uri("/foo");
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(Body::empty()).unwrap()
}

/// The response headers as sorted `name: value` lines, leaving out the `x-echo-*` ones.
fn lines(res: &Response) -> Vec<String> {
    let mut v: Vec<String> = res
        .headers()
        .iter()
        .filter(|(n, _)| !n.as_str().starts_with("x-echo-"))
        .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
        .collect();
    v.sort();
    v
}

async fn answer(json: &str, app: App, r: Request) -> Response {
    run(&[mw(json)], &app, r).await
}

#[tokio::test]
async fn empty_configuration_is_invalid() {
    let err = build("headers", "{}").err().unwrap();
    assert!(
        err.to_string().contains("headers configuration not valid"),
        "{err}"
    );
    // `stsSeconds: 0` set explicitly is a configuration (Traefik's TestNew_withSTSSecondsZero).
    let res = answer(
        r#"{"stsSeconds": 0, "forceSTSHeader": true}"#,
        App(vec![]),
        req("GET", &[]),
    )
    .await;
    assert!(res.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn custom_request_headers_set_override_and_delete() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"customRequestHeaders": {"X-Custom-Request-Header": "test_request"}}"#,
            &[
                "x-echo-foo: bar",
                "x-echo-x-custom-request-header: test_request",
            ],
        ),
        (
            r#"{"customRequestHeaders": {"X-Forwarded-For": "", "X-Custom-Request-Header": "", "Foo": ""}}"#,
            &["x-echo-suppress-xff: 1"],
        ),
        (
            r#"{"customRequestHeaders": {"Foo": "test"}}"#,
            &["x-echo-foo: test"],
        ),
    ];
    for (json, expected) in cases {
        let r = req("GET", &[("foo", "bar"), ("x-forwarded-for", "10.0.0.1")]);
        let res = answer(json, App(vec![]), r).await;
        let mut echoed: Vec<String> = res
            .headers()
            .iter()
            .filter(|(n, _)| {
                n.as_str().starts_with("x-echo-") && n.as_str() != "x-echo-x-forwarded-for"
            })
            .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
            .collect();
        echoed.sort();
        assert_eq!(echoed, *expected, "{json}");
    }
}

#[tokio::test]
async fn custom_request_host_sets_the_request_host() {
    let r = req("GET", &[("host", "example.org")]);
    let res = answer(
        r#"{"customRequestHeaders": {"Host": "example.com"}}"#,
        App(vec![]),
        r,
    )
    .await;
    assert_eq!(res.headers()["x-echo-host"], "example.com");
}

#[tokio::test]
async fn custom_response_headers_set_and_delete() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"customResponseHeaders": {"Testing": "foo", "Testing2": "bar"}}"#,
            &["foo: bar", "testing2: bar", "testing: foo"],
        ),
        (
            r#"{"customResponseHeaders": {"Testing": "foo", "Testing2": ""}}"#,
            &["foo: bar", "testing: foo"],
        ),
        (
            r#"{"customResponseHeaders": {"Testing": "foo", "Foo": ""}}"#,
            &["testing: foo"],
        ),
        (
            r#"{"customResponseHeaders": {"Testing": "foo", "Foo": null}}"#,
            &["testing: foo"],
        ),
    ];
    for (json, expected) in cases {
        let res = answer(json, App(vec![("foo", "bar")]), req("GET", &[])).await;
        assert_eq!(lines(&res), *expected, "{json}");
    }
}

#[tokio::test]
async fn cors_preflights_traefik_table() {
    let methods = r#""accessControlAllowMethods": ["GET", "OPTIONS", "PUT"]"#;
    let cases: Vec<PreflightCase> = vec![
        (
            format!(r#"{{{methods}, "accessControlAllowOriginList": ["https://foo.bar.org"], "accessControlMaxAge": 600}}"#),
            vec![("access-control-request-headers", "origin")],
            vec!["access-control-allow-methods: GET,OPTIONS,PUT", "access-control-allow-origin: https://foo.bar.org", "access-control-max-age: 600", "content-length: 0"],
        ),
        (
            format!(r#"{{{methods}, "accessControlAllowOriginList": ["*"], "accessControlMaxAge": 600}}"#),
            vec![("access-control-request-headers", "origin")],
            vec!["access-control-allow-methods: GET,OPTIONS,PUT", "access-control-allow-origin: *", "access-control-max-age: 600", "content-length: 0"],
        ),
        (
            format!(r#"{{{methods}, "accessControlAllowOriginList": ["*"], "accessControlAllowCredentials": true, "accessControlMaxAge": 600}}"#),
            vec![("access-control-request-headers", "origin")],
            vec!["access-control-allow-credentials: true", "access-control-allow-methods: GET,OPTIONS,PUT", "access-control-allow-origin: https://foo.bar.org", "access-control-max-age: 600", "content-length: 0"],
        ),
        (
            format!(r#"{{{methods}, "accessControlAllowOriginList": ["*"], "accessControlAllowHeaders": ["origin", "X-Forwarded-For"], "accessControlMaxAge": 600}}"#),
            vec![("access-control-request-headers", "origin")],
            vec!["access-control-allow-headers: origin,X-Forwarded-For", "access-control-allow-methods: GET,OPTIONS,PUT", "access-control-allow-origin: *", "access-control-max-age: 600", "content-length: 0"],
        ),
        (
            format!(r#"{{{methods}, "accessControlAllowOriginList": ["*"], "accessControlAllowHeaders": ["origin", "X-Forwarded-For"], "accessControlMaxAge": 600}}"#),
            vec![],
            vec!["access-control-allow-headers: origin,X-Forwarded-For", "access-control-allow-methods: GET,OPTIONS,PUT", "access-control-allow-origin: *", "access-control-max-age: 600", "content-length: 0"],
        ),
        (
            format!(r#"{{{methods}, "accessControlAllowOriginList": ["*"]}}"#),
            vec![],
            vec!["access-control-allow-methods: GET,OPTIONS,PUT", "access-control-allow-origin: *", "content-length: 0"],
        ),
        (
            r#"{"accessControlAllowMethods": ["*"], "accessControlAllowHeaders": ["*"], "accessControlAllowCredentials": true, "accessControlAllowOriginList": ["*"], "accessControlExposeHeaders": ["*"]}"#.to_owned(),
            vec![("access-control-request-headers", "x-a")],
            vec!["access-control-allow-credentials: true", "access-control-allow-headers: x-a", "access-control-allow-methods: PUT", "access-control-allow-origin: https://foo.bar.org", "content-length: 0"],
        ),
    ];
    for (json, extra, expected) in cases {
        let mut headers = vec![
            ("access-control-request-method", "PUT"),
            ("origin", "https://foo.bar.org"),
        ];
        headers.extend(extra);
        // The preflight is answered by the middleware: the app (which would add `x-app`) is not called.
        let res = answer(&json, App(vec![("x-app", "1")]), req("OPTIONS", &headers)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(lines(&res), expected, "{json}");
        assert!(body_bytes(res).await.is_empty());
    }
}

#[tokio::test]
async fn options_without_origin_or_method_is_not_a_preflight() {
    let json = r#"{"accessControlAllowOriginList": ["*"]}"#;
    for headers in [
        vec![("origin", "https://a.test")],
        vec![("access-control-request-method", "GET")],
    ] {
        let res = answer(json, App(vec![("x-app", "1")]), req("OPTIONS", &headers)).await;
        assert_eq!(res.headers()["x-app"], "1");
    }
    // Without any CORS option, even a real preflight goes to the app.
    let res = answer(
        r#"{"customRequestHeaders": {"foo": "bar"}}"#,
        App(vec![("x-app", "1")]),
        req(
            "OPTIONS",
            &[
                ("origin", "https://a.test"),
                ("access-control-request-method", "GET"),
            ],
        ),
    )
    .await;
    assert_eq!(lines(&res), ["x-app: 1"]);
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of Traefik cases")]
async fn cors_responses_traefik_table() {
    let origin = ("origin", "https://foo.bar.org");
    let cases: Vec<ResponseCase> = vec![
        (
            r#"{"accessControlAllowOriginList": ["https://foo.bar.org"]}"#,
            vec![],
            vec![origin],
            vec!["access-control-allow-origin: https://foo.bar.org"],
        ),
        (
            r#"{"accessControlAllowOriginList": ["*"]}"#,
            vec![],
            vec![origin],
            vec!["access-control-allow-origin: *"],
        ),
        (
            r#"{"accessControlAllowOriginListRegex": ["^https?://([a-z]+)\\.bar\\.org$"]}"#,
            vec![],
            vec![origin],
            vec!["access-control-allow-origin: https://foo.bar.org"],
        ),
        (
            r#"{"accessControlAllowOriginListRegex": ["([a-z]+)\\.bar"]}"#,
            vec![],
            vec![origin],
            vec!["access-control-allow-origin: https://foo.bar.org"],
        ),
        (
            r#"{"accessControlAllowOriginListRegex": ["([a-z]+)\\.bar\\.org"]}"#,
            vec![],
            vec![("origin", "https://bar.org")],
            vec![],
        ),
        (
            r#"{"accessControlAllowOriginList": ["https://foo.bar.org"]}"#,
            vec![],
            vec![],
            vec![],
        ),
        (
            r#"{"accessControlAllowOriginList": ["*"], "accessControlAllowCredentials": true}"#,
            vec![],
            vec![origin],
            vec![
                "access-control-allow-credentials: true",
                "access-control-allow-origin: https://foo.bar.org",
            ],
        ),
        (
            r#"{"accessControlAllowOriginList": ["*"], "accessControlExposeHeaders": ["origin", "X-Forwarded-For"]}"#,
            vec![],
            vec![origin],
            vec![
                "access-control-allow-origin: *",
                "access-control-expose-headers: origin,X-Forwarded-For",
            ],
        ),
        (
            r#"{"accessControlAllowOriginList": ["https://foo.bar.org"], "addVaryHeader": true}"#,
            vec![],
            vec![origin],
            vec![
                "access-control-allow-origin: https://foo.bar.org",
                "vary: Origin",
            ],
        ),
        (
            r#"{"accessControlAllowOriginList": ["https://foo.bar.org"], "addVaryHeader": true}"#,
            vec![("vary", "Testing")],
            vec![origin],
            vec![
                "access-control-allow-origin: https://foo.bar.org",
                "vary: Testing,Origin",
            ],
        ),
        (
            r#"{"accessControlAllowOriginList": ["https://foo.bar.org"], "addVaryHeader": true}"#,
            vec![("vary", "Origin")],
            vec![origin],
            vec![
                "access-control-allow-origin: https://foo.bar.org",
                "vary: Origin",
            ],
        ),
        (
            r#"{"accessControlAllowOriginList": ["*"]}"#,
            vec![("access-control-allow-origin", "http://foo.bar.org")],
            vec![origin],
            vec!["access-control-allow-origin: *"],
        ),
        (
            r#"{"customRequestHeaders": {"foo": "bar"}}"#,
            vec![],
            vec![origin, ("access-control-request-method", "GET")],
            vec![],
        ),
    ];
    for (json, app, headers, expected) in cases {
        let res = answer(json, App(app), req("GET", &headers)).await;
        assert_eq!(lines(&res), expected, "{json}");
    }
    let err = build(
        "headers",
        r#"{"accessControlAllowOriginListRegex": ["a(b"]}"#,
    )
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .contains("accessControlAllowOriginListRegex[0]"),
        "{err}"
    );
}

#[tokio::test]
async fn security_headers_traefik_table() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"permissionsPolicy": "microphone=(),"}"#,
            &["permissions-policy: microphone=(),"],
        ),
        (
            r#"{"stsSeconds": 1, "forceSTSHeader": true}"#,
            &["strict-transport-security: max-age=1"],
        ),
        (
            r#"{"stsSeconds": 1, "forceSTSHeader": true, "stsPreload": true}"#,
            &["strict-transport-security: max-age=1; preload"],
        ),
        (
            r#"{"customFrameOptionsValue": "foo"}"#,
            &["x-frame-options: foo"],
        ),
        (r#"{"frameDeny": true}"#, &["x-frame-options: DENY"]),
        (
            r#"{"frameDeny": true, "customFrameOptionsValue": "SAMEORIGIN"}"#,
            &["x-frame-options: SAMEORIGIN"],
        ),
        (
            r#"{"contentTypeNosniff": true}"#,
            &["x-content-type-options: nosniff"],
        ),
        (
            r#"{"browserXssFilter": true}"#,
            &["x-xss-protection: 1; mode=block"],
        ),
        (
            r#"{"browserXssFilter": true, "customBrowserXSSValue": "0"}"#,
            &["x-xss-protection: 0"],
        ),
        (
            r#"{"contentSecurityPolicy": "default-src 'self'"}"#,
            &["content-security-policy: default-src 'self'"],
        ),
        (
            r#"{"contentSecurityPolicyReportOnly": "default-src 'none'"}"#,
            &["content-security-policy-report-only: default-src 'none'"],
        ),
        (
            r#"{"referrerPolicy": "no-referrer"}"#,
            &["referrer-policy: no-referrer"],
        ),
        // Plain HTTP: no STS unless forced, no HPKP.
        (r#"{"stsSeconds": 31536000}"#, &[]),
        (r#"{"publicKey": "pin-sha256=\"x\""}"#, &[]),
        // Development mode turns STS off even when forced.
        (
            r#"{"stsSeconds": 1, "forceSTSHeader": true, "isDevelopment": true}"#,
            &[],
        ),
        // A trusted proxy header marks the request as HTTPS.
        (
            r#"{"stsSeconds": 5, "stsIncludeSubdomains": true, "sslProxyHeaders": {"X-Forwarded-Proto": "https"}}"#,
            &["strict-transport-security: max-age=5; includeSubDomains"],
        ),
        // Removed in v3: accepted, no effect.
        (
            r#"{"featurePolicy": "camera 'none'", "sslRedirect": true, "sslHost": "a.test", "sslForceHost": true, "sslTemporaryRedirect": true}"#,
            &[],
        ),
    ];
    for (json, expected) in cases {
        let r = req("GET", &[("x-forwarded-proto", "https")]);
        let res = answer(json, App(vec![]), r).await;
        assert_eq!(res.status(), 200, "{json}");
        assert_eq!(lines(&res), *expected, "{json}");
    }
}

#[tokio::test]
async fn security_headers_override_the_upstream_and_custom_headers_win() {
    let json = r#"{"frameDeny": true, "customResponseHeaders": {"X-Content-Type-Options": "", "X-Frame-Options": "SAMEORIGIN"}, "contentTypeNosniff": true}"#;
    let res = answer(
        json,
        App(vec![("x-frame-options", "ALLOW")]),
        req("GET", &[]),
    )
    .await;
    assert_eq!(lines(&res), ["x-frame-options: SAMEORIGIN"]);
    let res = answer(
        r#"{"frameDeny": true}"#,
        App(vec![("x-frame-options", "ALLOW")]),
        req("GET", &[]),
    )
    .await;
    assert_eq!(lines(&res), ["x-frame-options: DENY"]);
}

#[tokio::test]
async fn csp_nonce_is_fresh_per_response() {
    let m = mw(
        r#"{"contentSecurityPolicy": "script-src $NONCE", "contentSecurityPolicyReportOnly": "default-src $NONCE"}"#,
    );
    let a = run(std::slice::from_ref(&m), &Echo, req("GET", &[])).await;
    let b = run(std::slice::from_ref(&m), &Echo, req("GET", &[])).await;
    let csp = |r: &Response, n: &str| r.headers()[n].to_str().unwrap().to_owned();
    let (ca, cb) = (
        csp(&a, "content-security-policy"),
        csp(&b, "content-security-policy"),
    );
    assert!(
        ca.starts_with("script-src 'nonce-") && ca.ends_with('\''),
        "{ca}"
    );
    assert_eq!(ca.len(), "script-src 'nonce-'".len() + 22);
    assert_ne!(ca, cb);
    // One nonce per response, shared by both policies.
    let ro = csp(&a, "content-security-policy-report-only");
    assert_eq!(
        ro.trim_start_matches("default-src "),
        ca.trim_start_matches("script-src ")
    );
}

#[tokio::test]
async fn allowed_hosts_traefik_table() {
    let json =
        r#"{"allowedHosts": ["foo.com", "bar.com"], "customResponseHeaders": {"X-Custom": "1"}}"#;
    for (host, status) in [
        (Some("foo.com"), 200),
        (Some("FOO.com"), 200),
        (None, 500),
        (Some("boo.com"), 500),
    ] {
        let headers: Vec<(&str, &str)> = host.map(|h| ("host", h)).into_iter().collect();
        let res = answer(json, App(vec![]), req("GET", &headers)).await;
        assert_eq!(res.status(), status, "{host:?}");
        // The outer response modifier applies to the "Bad Host" answer too, as in Traefik.
        assert_eq!(res.headers()["x-custom"], "1");
        if status == 500 {
            assert_eq!(body_bytes(res).await, "Bad Host\n");
        }
    }
    let proxied = r#"{"allowedHosts": ["foo.com"], "hostsProxyHeaders": ["X-Forwarded-Host"]}"#;
    let res = answer(
        proxied,
        App(vec![]),
        req(
            "GET",
            &[("host", "internal"), ("x-forwarded-host", "foo.com")],
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    let dev = r#"{"allowedHosts": ["foo.com"], "isDevelopment": true}"#;
    assert_eq!(
        answer(dev, App(vec![]), req("GET", &[("host", "x")]))
            .await
            .status(),
        200
    );
}

/// The guide's `middlewares-secure-headers` (with `DOMAINNAME=example.com`).
const GUIDE_SECURE_HEADERS: &str = r#"{
    "accessControlAllowMethods": ["GET", "OPTIONS", "PUT"],
    "accessControlMaxAge": 100,
    "hostsProxyHeaders": ["X-Forwarded-Host"],
    "stsSeconds": 63072000,
    "stsIncludeSubdomains": true,
    "stsPreload": true,
    "forceSTSHeader": true,
    "customFrameOptionsValue": "allow-from https:example.com",
    "contentTypeNosniff": true,
    "browserXssFilter": true,
    "referrerPolicy": "same-origin",
    "permissionsPolicy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "customResponseHeaders": {"X-Robots-Tag": "none,noarchive,nosnippet,notranslate,noimageindex,", "server": ""}
}"#;

const GUIDE_EXPECTED: &[&str] = &[
    "content-length: 2",
    "permissions-policy: camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "referrer-policy: same-origin",
    "strict-transport-security: max-age=63072000; includeSubDomains; preload",
    "x-content-type-options: nosniff",
    "x-frame-options: allow-from https:example.com",
    "x-robots-tag: none,noarchive,nosnippet,notranslate,noimageindex,",
    "x-xss-protection: 1; mode=block",
];

fn upstream_lines(parts: &http::response::Parts) -> Vec<String> {
    let mut v: Vec<String> = parts
        .headers
        .iter()
        .filter(|(n, _)| n.as_str() != "date")
        .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn guide_secure_headers_over_real_tls_and_plain_hops() {
    let up = upstream(|_req: http::Request<hyper::body::Incoming>| async {
        let mut res = Response::new(Body::from("ok"));
        res.headers_mut()
            .insert("server", "nginx/1.25".parse().unwrap());
        res
    })
    .await;
    let ca = rampart_testkit::TestCa::new("mw_mwa headers");
    let cert = ca.server_cert(&["app.example.com"]);
    let tls = front(
        vec![mw(GUIDE_SECURE_HEADERS)],
        up,
        Some(cert.server_config()),
    )
    .await;
    let get = || {
        http::Request::builder()
            .uri("/")
            .body(Body::empty())
            .unwrap()
    };
    let (parts, body) = send_tls(tls, &ca, "app.example.com", get()).await;
    assert_eq!(parts.status, 200);
    assert_eq!(body, "ok");
    assert_eq!(upstream_lines(&parts), GUIDE_EXPECTED);
    // forceSTSHeader: the same headers over plain HTTP.
    let plain = front(vec![mw(GUIDE_SECURE_HEADERS)], up, None).await;
    let (parts, _) = send(plain, get()).await;
    assert_eq!(upstream_lines(&parts), GUIDE_EXPECTED);
    // Its CORS options make it answer preflights itself.
    let preflight = http::Request::builder()
        .method("OPTIONS")
        .uri("/")
        .header("origin", "https://other.example.com")
        .header("access-control-request-method", "PUT")
        .body(Body::empty())
        .unwrap();
    let (parts, body) = send(plain, preflight).await;
    assert_eq!(parts.status, 200);
    assert!(body.is_empty());
    assert_eq!(
        upstream_lines(&parts),
        [
            "access-control-allow-methods: GET,OPTIONS,PUT",
            "access-control-max-age: 100",
            "content-length: 0"
        ]
    );
}

#[tokio::test]
async fn sts_only_over_tls_unless_forced_real_hops() {
    let up = upstream(|_req: http::Request<hyper::body::Incoming>| async {
        Response::new(Body::from("ok"))
    })
    .await;
    let ca = rampart_testkit::TestCa::new("mw_mwa sts");
    let cert = ca.server_cert(&["app.example.com"]);
    let sts = r#"{"stsSeconds": 315360000, "stsIncludeSubdomains": true}"#;
    let get = || {
        http::Request::builder()
            .uri("/")
            .body(Body::empty())
            .unwrap()
    };
    let tls = front(vec![mw(sts)], up, Some(cert.server_config())).await;
    let (parts, _) = send_tls(tls, &ca, "app.example.com", get()).await;
    assert_eq!(
        parts.headers["strict-transport-security"],
        "max-age=315360000; includeSubDomains"
    );
    let plain = front(vec![mw(sts)], up, None).await;
    let (parts, _) = send(plain, get()).await;
    assert!(parts.headers.get("strict-transport-security").is_none());
}

#[tokio::test]
async fn invalid_options_name_the_key() {
    let cases = [
        (
            r#"{"customRequestHeaders": {"bad header": "x"}}"#,
            "customRequestHeaders.bad header",
        ),
        (
            r#"{"customResponseHeaders": {"X-A": "line\nbreak"}}"#,
            "customResponseHeaders.X-A",
        ),
        (r#"{"stsSeconds": -1}"#, "stsSeconds"),
        (
            r#"{"hostsProxyHeaders": ["ok", "no way"]}"#,
            "hostsProxyHeaders[1]",
        ),
        (
            r#"{"frameDeny": true, "unknownOption": 1}"#,
            "unknownOption",
        ),
    ];
    for (json, key) in cases {
        let err = build("headers", json).err().unwrap();
        assert!(err.to_string().contains(key), "{json}: {err}");
    }
}
