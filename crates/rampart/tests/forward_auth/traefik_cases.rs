//! Every case of Traefik's `pkg/middlewares/auth/forward_test.go` (and
//! `connectionheader_test.go`), against the testkit auth server.

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use rampart::Body;
use rampart_testkit::auth_server::{Action, AuthServer, Reply};

use super::support::{Upstream, call, chain, request, send, serve};

fn cfg(auth: &AuthServer, extra: &str) -> String {
    format!(r#"{{"address": "{}"{extra}}}"#, auth.url("/"))
}

#[tokio::test]
async fn forward_auth_fail() {
    let auth = AuthServer::start(|_| {
        Reply::go_error(403, "Forbidden").header("Proxy-Authenticate", "test")
    })
    .await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 403);
    assert_eq!(res.header("proxy-authenticate"), Some("test"));
    assert_eq!(&res.body[..], b"Forbidden\n");
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn forward_auth_success() {
    let auth = AuthServer::start(|_| {
        Reply::status(200)
            .header("X-Auth-User", "user@example.com")
            .header("X-Auth-Secret", "secret")
            .header("X-Auth-Group", "group1")
            .header("X-Auth-Group", "group2")
            .header("Foo-Bar", "auth-value")
            .header("Set-Cookie", "authCookie=Auth")
            .header("Set-Cookie", "authCookieNotAdded=Auth")
            .body("Success\n")
    })
    .await;
    let up = Upstream::answering(|| {
        let mut res = rampart::Response::new(Body::from("traefik\n"));
        let h = res.headers_mut();
        h.append("set-cookie", "authCookie=Backend".parse().unwrap());
        h.append("set-cookie", "backendCookie=Backend".parse().unwrap());
        h.append("other-header", "BackendHeaderValue".parse().unwrap());
        res
    });
    let proxy = serve(chain(
        &cfg(
            &auth,
            r#", "authResponseHeaders": ["X-Auth-User", "X-Auth-Group"], "authResponseHeadersRegex": "^Foo-",
               "addAuthCookiesToResponse": ["authCookie"]"#,
        ),
        &up,
    ))
    .await;
    let res = send(
        proxy.addr,
        "GET / HTTP/1.1\nHost: app.test\nX-Auth-Group: admin_group\nFoo-Bar: client-value\nFoo-Baz: client-value",
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header_all("set-cookie"),
        ["backendCookie=Backend", "authCookie=Auth"]
    );
    assert_eq!(res.header_all("other-header"), ["BackendHeaderValue"]);
    assert_eq!(&res.body[..], b"traefik\n");
    let seen = up.last();
    assert_eq!(seen.headers["x-auth-user"], "user@example.com");
    assert!(!seen.headers.contains_key("x-auth-secret"));
    let groups: Vec<_> = seen.headers.get_all("x-auth-group").iter().collect();
    assert_eq!(groups, ["group1", "group2"]);
    assert_eq!(seen.headers["foo-bar"], "auth-value");
    assert!(!seen.headers.contains_key("foo-baz"));
}

#[tokio::test]
async fn forward_auth_forward_body() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &cfg(&auth, r#", "forwardBody": true, "maxBodySize": 15"#),
        &up,
    ))
    .await;
    let res = send(
        proxy.addr,
        "GET / HTTP/1.1\nHost: app.test",
        b"forwardBodyTest",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(auth.count(), 1);
    assert_eq!(&auth.last().unwrap().body[..], b"forwardBodyTest");
    assert_eq!(up.count(), 1);
    assert_eq!(
        &up.last().body[..],
        b"forwardBodyTest",
        "the upstream still gets the body"
    );
}

#[tokio::test]
async fn forward_auth_does_not_forward_connect_body() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let c = chain(
        &cfg(
            &auth,
            r#", "forwardBody": true, "preserveRequestMethod": true"#,
        ),
        &up,
    );

    // Unknown length (chunked HTTP/1.1, or HTTP/2 without content-length): tunnel data.
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(http_body::Frame::data(
        Bytes::from_static(b"foo"),
    ))]);
    let mut req = request("CONNECT", "http://app.test:443", &[]);
    *req.body_mut() = Body::new(http_body_util::StreamBody::new(stream));
    let (status, _, _) = call(&c, req).await;
    assert_eq!(status, 200);
    let seen = auth.last().unwrap();
    assert_eq!(seen.method, "CONNECT");
    assert!(seen.body.is_empty());

    // A fixed length is a body like any other.
    let mut req = request("CONNECT", "http://app.test:443", &[]);
    *req.body_mut() = Body::from("foo");
    let (status, _, _) = call(&c, req).await;
    assert_eq!(status, 200);
    assert_eq!(&auth.last().unwrap().body[..], b"foo");
    assert_eq!(up.count(), 2);
}

#[tokio::test]
async fn forward_auth_forward_body_empty_body() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, r#", "forwardBody": true"#), &up)).await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 200);
    assert!(auth.last().unwrap().body.is_empty());
    assert_eq!(up.count(), 1);
}

#[tokio::test]
async fn forward_auth_forward_body_size_limit() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &cfg(&auth, r#", "forwardBody": true, "maxBodySize": 14"#),
        &up,
    ))
    .await;
    let res = send(
        proxy.addr,
        "GET / HTTP/1.1\nHost: app.test",
        b"forwardBodyTest",
    )
    .await;
    assert_eq!(res.status, 401);
    assert_eq!(auth.count(), 0);
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn forward_auth_not_forward_body() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
    let res = send(
        proxy.addr,
        "POST / HTTP/1.1\nHost: app.test",
        b"forwardBodyTest",
    )
    .await;
    assert_eq!(res.status, 200);
    let seen = auth.last().unwrap();
    assert!(seen.body.is_empty());
    assert!(seen.header("content-length").is_none_or(|l| l == "0"));
    assert_eq!(&up.last().body[..], b"forwardBodyTest");
}

#[tokio::test]
async fn forward_auth_redirect() {
    let auth =
        AuthServer::start(|_| Reply::redirect(302, "http://example.com/redirect-test")).await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 302);
    assert_eq!(
        res.header("location"),
        Some("http://example.com/redirect-test")
    );
    assert!(!res.body.is_empty());
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn forward_auth_remove_hop_by_hop_headers() {
    let auth = AuthServer::start(|_| {
        Reply::redirect(302, "http://example.com/redirect-test")
            .header("Connection", "test")
            .header("Keep-Alive", "test")
            .header("Te", "test")
            .header("Trailers", "test")
            .header("Transfer-Encoding", "chunked")
            .header("Upgrade", "test")
    })
    .await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 302);
    for h in [
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "upgrade",
    ] {
        assert_eq!(res.header(h), None, "{h}");
    }
    // The proxy's own `Connection: close` (the client asked for it) is not the auth server's.
    assert_ne!(res.header("connection"), Some("test"));
    assert_ne!(
        res.header("transfer-encoding"),
        Some("chunked"),
        "framing is rampart's own"
    );
    assert_eq!(
        res.header("location"),
        Some("http://example.com/redirect-test")
    );
    assert!(!res.body.is_empty());
}

#[tokio::test]
async fn forward_auth_fail_response_headers() {
    let auth = AuthServer::start(|_| {
        Reply::go_error(403, "Forbidden")
            .header("Set-Cookie", "example=testing; Path=/")
            .header("X-Foo", "bar")
    })
    .await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 403);
    let mut names: Vec<String> = res
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| k != "connection") // the client's `Connection: close`, answered in kind
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "content-length",
            "content-type",
            "date",
            "set-cookie",
            "x-content-type-options",
            "x-foo"
        ]
    );
    assert_eq!(res.header("content-length"), Some("10"));
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("set-cookie"), Some("example=testing; Path=/"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(&res.body[..], b"Forbidden\n");
}

#[tokio::test]
async fn forward_auth_client_closed_request() {
    let auth = AuthServer::start(|_| Reply::hang()).await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut s, b"GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
        .await
        .unwrap();
    while auth.count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(s);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        up.count(),
        0,
        "nothing reaches the upstream when the client goes away"
    );
}

#[tokio::test]
async fn forward_auth_forward_error() {
    let down = AuthServer::down().await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "http://{down}/auth"}}"#),
        &up,
    ))
    .await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 500);
    assert_eq!(up.count(), 0);
}

/// `TestForwardAuth_writeHeader` and `TestForwardAuth_oldWriteHeader`: the client request is
/// `GET http://foo.bar/path?q=1` with no peer address (so no `X-Forwarded-For`). Expected
/// headers are on the wire, so the auth client's own `Host` is in every set.
struct Case {
    desc: &'static str,
    headers: &'static [(&'static str, &'static str)],
    allow: &'static [&'static str],
    trust: Option<bool>,
    empty_host: bool,
    expected: &'static [(&'static str, &'static str)],
    exact: bool,
}

const HOP: &[(&str, &str)] = &[
    ("Connection", "Connection"),
    ("Keep-Alive", "KeepAlive"),
    ("Proxy-Authenticate", "ProxyAuthenticate"),
    ("Proxy-Authorization", "ProxyAuthorization"),
    ("Te", "Te"),
    ("Trailers", "Trailers"),
    ("Transfer-Encoding", "TransferEncoding"),
    ("Upgrade", "Upgrade"),
    ("X-CustomHeader", "CustomHeader"),
];

const FWD5: [(&str, &str); 5] = [
    ("X-Forwarded-Proto", "http"),
    ("X-Forwarded-Host", "foo.bar"),
    ("X-Forwarded-Uri", "/path?q=1"),
    ("X-Forwarded-Method", "GET"),
    ("X-Forwarded-Port", "80"),
];

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { desc: "trust forward header", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], allow: &[], trust: Some(true), empty_host: false, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], exact: false },
    Case { desc: "not trust forward header", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], allow: &[], trust: Some(false), empty_host: false, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "foo.bar")], exact: false },
    Case { desc: "trust forward header with empty Host", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], allow: &[], trust: Some(true), empty_host: true, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], exact: false },
    Case { desc: "not trust forward header with empty Host", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], allow: &[], trust: Some(false), empty_host: true, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "")], exact: false },
    Case { desc: "trust forward header with forwarded URI", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir"), ("X-Forwarded-Uri", "/forward?q=1")], allow: &[], trust: Some(true), empty_host: false, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir"), ("X-Forwarded-Uri", "/forward?q=1")], exact: false },
    Case { desc: "not trust forward header with forward requested URI", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir"), ("X-Forwarded-Uri", "/forward?q=1")], allow: &[], trust: Some(false), empty_host: false, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "foo.bar"), ("X-Forwarded-Uri", "/path?q=1")], exact: false },
    Case { desc: "trust forward header with forwarded request Method", headers: &[("X-Forwarded-Method", "OPTIONS")], allow: &[], trust: Some(true), empty_host: false, expected: &[("X-Forwarded-Method", "OPTIONS")], exact: false },
    Case { desc: "not trust forward header with forward request Method", headers: &[("X-Forwarded-Method", "OPTIONS")], allow: &[], trust: Some(false), empty_host: false, expected: &[("X-Forwarded-Method", "GET")], exact: false },
    Case { desc: "remove hop-by-hop headers", headers: HOP, allow: &[], trust: Some(false), empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4], ("Proxy-Authenticate", "ProxyAuthenticate"), ("Proxy-Authorization", "ProxyAuthorization")], exact: true },
    Case { desc: "filter forward request headers", headers: &[("X-CustomHeader", "CustomHeader"), ("Content-Type", "multipart/form-data; boundary=---123456")], allow: &["X-CustomHeader"], trust: Some(false), empty_host: false, expected: &[("x-customHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4]], exact: true },
    Case { desc: "filter forward request headers doesn't add new headers", headers: &[("X-CustomHeader", "CustomHeader"), ("Content-Type", "multipart/form-data; boundary=---123456")], allow: &["X-CustomHeader", "X-Non-Exists-Header"], trust: Some(false), empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4]], exact: true },
    Case { desc: "set empty User-Agent header if header is allowed but missing", headers: &[("X-CustomHeader", "CustomHeader"), ("Accept", "application/json")], allow: &["X-CustomHeader", "Accept", "User-Agent"], trust: Some(false), empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), ("Accept", "application/json"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4]], exact: true },
    Case { desc: "ignore User-Agent header if header is not allowed and missing", headers: &[("X-CustomHeader", "CustomHeader"), ("Accept", "application/json")], allow: &["X-CustomHeader", "Accept"], trust: Some(false), empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), ("Accept", "application/json"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4]], exact: true },
    Case { desc: "set empty User-Agent header if header is missing", headers: &[("X-CustomHeader", "CustomHeader"), ("Accept", "application/json")], allow: &[], trust: Some(false), empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), ("Accept", "application/json"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4]], exact: true },
    Case { desc: "authRequestHeaders and XForwarded are kept if trusted", headers: &[("X-CustomHeader", "CustomHeader"), ("X-Forwarded-Uri", "/path?q=2")], allow: &["X-CustomHeader"], trust: Some(true), empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), FWD5[0], FWD5[1], ("X-Forwarded-Uri", "/path?q=2"), FWD5[3], FWD5[4]], exact: true },
    Case { desc: "X-Forwarded and X_forwarded headers are removed when not trusted", headers: &[("X-CustomHeader", "CustomHeader"), ("X_forwarded_for", "127.0.0.1"), ("X-Forwarded-Proto", "xxx")], allow: &[], trust: Some(false), empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4]], exact: true },
    Case { desc: "X-Forwarded-Proto is not used to calculate X-Forwarded-Port if trustForwardHeader=false", headers: &[("X-CustomHeader", "CustomHeader"), ("X-Forwarded-Proto", "https")], allow: &[], trust: Some(false), empty_host: false, expected: &[FWD5[0], FWD5[1], FWD5[2], FWD5[3], FWD5[4]], exact: false },
    // TestForwardAuth_oldWriteHeader (trustForwardHeader unset).
    Case { desc: "legacy: not trust forward header", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], allow: &[], trust: None, empty_host: false, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "foo.bar")], exact: false },
    Case { desc: "legacy: empty Host", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir")], allow: &[], trust: None, empty_host: true, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "")], exact: false },
    Case { desc: "legacy: forward requested URI", headers: &[("Accept", "application/json"), ("X-Forwarded-Host", "fii.bir"), ("X-Forwarded-Uri", "/forward?q=1")], allow: &[], trust: None, empty_host: false, expected: &[("Accept", "application/json"), ("X-Forwarded-Host", "foo.bar"), ("X-Forwarded-Uri", "/path?q=1")], exact: false },
    Case { desc: "legacy: forward request Method", headers: &[("X-Forwarded-Method", "OPTIONS")], allow: &[], trust: None, empty_host: false, expected: &[("X-Forwarded-Method", "GET")], exact: false },
    Case { desc: "legacy: remove hop-by-hop headers", headers: HOP, allow: &[], trust: None, empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], ("Proxy-Authenticate", "ProxyAuthenticate"), ("Proxy-Authorization", "ProxyAuthorization")], exact: true },
    Case { desc: "legacy: filter forward request headers", headers: &[("X-CustomHeader", "CustomHeader"), ("Content-Type", "multipart/form-data; boundary=---123456")], allow: &["X-CustomHeader"], trust: None, empty_host: false, expected: &[("x-customHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3]], exact: true },
    Case { desc: "legacy: filter doesn't add new headers", headers: &[("X-CustomHeader", "CustomHeader"), ("Content-Type", "multipart/form-data; boundary=---123456")], allow: &["X-CustomHeader", "X-Non-Exists-Header"], trust: None, empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3]], exact: true },
    Case { desc: "legacy: X-Forwarded-Prefix is kept for non-breaking behavior", headers: &[("X-CustomHeader", "CustomHeader"), ("X-Forwarded-Prefix", "foo.bar")], allow: &[], trust: None, empty_host: false, expected: &[("X-CustomHeader", "CustomHeader"), FWD5[0], FWD5[1], FWD5[2], FWD5[3], ("X-Forwarded-Prefix", "foo.bar")], exact: true },
];

#[tokio::test]
async fn forward_auth_write_header_and_old_write_header() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    for case in CASES {
        let mut json = format!(r#"{{"address": "{}""#, auth.url("/"));
        if let Some(t) = case.trust {
            let _ = write!(json, r#", "trustForwardHeader": {t}"#);
        }
        if !case.allow.is_empty() {
            let _ = write!(json, r#", "authRequestHeaders": {:?}"#, case.allow);
        }
        json.push('}');
        let c = chain(&json, &Upstream::new());
        let mut req = request("GET", "/path?q=1", case.headers);
        if !case.empty_host {
            req.headers_mut().insert("host", "foo.bar".parse().unwrap());
        }
        let (status, _, _) = call(&c, req).await;
        assert_eq!(status, 200, "{}", case.desc);
        let seen = auth.last().unwrap();
        for (k, v) in case.expected {
            assert_eq!(seen.header_all(k), [*v], "{}: {k}", case.desc);
        }
        assert_eq!(
            seen.header("user-agent"),
            None,
            "{}: rampart never invents a User-Agent",
            case.desc
        );
        if case.exact {
            let mut want: Vec<String> = case
                .expected
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .collect();
            want.push("host".to_owned());
            want.sort();
            want.dedup();
            assert_eq!(seen.header_names(), want, "{}", case.desc);
        }
    }
}

/// `TestForwardAuthTracing`, minus the tracing (rampart has no OpenTelemetry yet): every
/// value of an allow-listed header goes, and a filtered-out `User-Agent` does not.
#[tokio::test]
async fn forward_auth_allow_list_keeps_every_value() {
    let auth = AuthServer::start(|_| {
        Reply::status(404)
            .header("X-Bar", "foo")
            .header("X-Bar", "bar")
    })
    .await;
    let c = chain(
        &cfg(&auth, r#", "authRequestHeaders": ["X-Foo"]"#),
        &Upstream::new(),
    );
    let req = request(
        "GET",
        "http://www.test.com/search?q=Opentelemetry",
        &[
            ("User-Agent", "forward-test"),
            ("X-Forwarded-Proto", "http"),
            ("X-Foo", "foo"),
            ("X-Foo", "bar"),
        ],
    );
    let (status, headers, _) = call(&c, req).await;
    assert_eq!(status, 404);
    let bars: Vec<_> = headers.get_all("x-bar").iter().collect();
    assert_eq!(bars, ["foo", "bar"]);
    let seen = auth.last().unwrap();
    assert_eq!(seen.header_all("x-foo"), ["foo", "bar"]);
    assert_eq!(seen.header("user-agent"), None);
}

#[tokio::test]
async fn forward_auth_preserve_location_header() {
    let auth = AuthServer::start(|_| {
        Reply::go_error(401, "Unauthorized").header("Location", "/index.html")
    })
    .await;
    let up = Upstream::new();
    let kept = serve(chain(
        &cfg(&auth, r#", "preserveLocationHeader": true"#),
        &up,
    ))
    .await;
    let res = send(kept.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 401);
    assert_eq!(res.header("location"), Some("/index.html"));

    let resolved = serve(chain(&cfg(&auth, ""), &up)).await;
    let res = send(resolved.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(
        res.header("location"),
        Some(&*format!("http://{}/index.html", auth.addr()))
    );
}

#[tokio::test]
async fn forward_auth_preserve_request_method() {
    for (preserve, expected) in [(true, "POST"), (false, "GET")] {
        let auth = AuthServer::start(|_| Reply::status(200)).await;
        let up = Upstream::new();
        let proxy = serve(chain(
            &cfg(&auth, &format!(r#", "preserveRequestMethod": {preserve}"#)),
            &up,
        ))
        .await;
        let res = send(proxy.addr, "POST / HTTP/1.1\nHost: app.test", b"").await;
        assert_eq!(res.status, 200);
        let seen = auth.last().unwrap();
        assert_eq!(seen.method, expected);
        assert_eq!(seen.header("x-forwarded-method"), Some("POST"));
        assert_eq!(up.last().method, "POST");
    }
}

#[tokio::test]
async fn forward_auth_max_response_body_size() {
    let cases: [(i64, u16, &str, u16, &[u8]); 4] = [
        (-1, 403, "Forbidden", 403, b"Forbidden"),
        (1, 403, "Forbidden", 401, b""),
        (100, 200, "ok", 200, b"traefik\n"),
        (1, 200, "large auth response", 401, b""),
    ];
    for (limit, status, body, want_status, want_body) in cases {
        let auth = AuthServer::start(move |_| Reply::status(status).body(body)).await;
        let up = Upstream::new();
        let proxy = serve(chain(
            &cfg(&auth, &format!(r#", "maxResponseBodySize": {limit}"#)),
            &up,
        ))
        .await;
        let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
        assert_eq!(res.status, want_status, "limit {limit}, {status} {body}");
        assert_eq!(&res.body[..], want_body, "limit {limit}, {status} {body}");
        assert_eq!(up.count(), usize::from(want_status == 200));
    }
}

#[tokio::test]
async fn forward_auth_auth_signin_url() {
    let signin = r#", "authSigninURL": "https://auth.example.com/login""#;
    let cases = [
        (
            signin,
            401,
            302,
            Some("https://auth.example.com/login"),
            false,
        ),
        ("", 401, 401, None, false),
        (signin, 403, 403, None, false),
        (signin, 200, 200, None, true),
    ];
    for (extra, auth_status, want, location, next_called) in cases {
        let auth = AuthServer::start(move |_| {
            let text = http::StatusCode::from_u16(auth_status)
                .unwrap()
                .canonical_reason()
                .unwrap();
            Reply::go_error(auth_status, text)
        })
        .await;
        let up = Upstream::new();
        let proxy = serve(chain(&cfg(&auth, extra), &up)).await;
        let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
        assert_eq!(res.status, want, "{extra} {auth_status}");
        assert_eq!(res.header("location"), location);
        assert_eq!(up.count() == 1, next_called);
    }
}

/// `connectionheader_test.go TestRemover`, on the auth request.
#[tokio::test]
async fn forward_auth_connection_listed_headers_are_not_sent() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let c = chain(
        &cfg(&auth, r#", "trustForwardHeader": false"#),
        &Upstream::new(),
    );
    let cases: [(&[(&str, &str)], bool); 3] = [
        (&[("Foo", "bar"), ("Connection", "foo")], false),
        (
            &[
                ("Upgrade", "test"),
                ("Foo", "bar"),
                ("Connection", "Upgrade,foo"),
            ],
            false,
        ),
        (&[("Foo", "bar"), ("Connection", "fii")], true),
    ];
    for (headers, foo_kept) in cases {
        call(&c, request("GET", "http://foo.bar/", headers)).await;
        let seen = auth.last().unwrap();
        assert_eq!(seen.header("foo").is_some(), foo_kept, "{headers:?}");
        assert_eq!(seen.header("connection"), None);
        assert_eq!(seen.header("upgrade"), None);
    }
}

#[tokio::test]
async fn any_2xx_allows_and_anything_else_denies() {
    for status in [200u16, 202, 204, 299] {
        let auth = AuthServer::start(move |_| Reply::status(status)).await;
        let up = Upstream::new();
        let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
        assert_eq!(
            send(proxy.addr, "GET / HTTP/1.1\nHost: a", b"")
                .await
                .status,
            200
        );
        assert_eq!(up.count(), 1, "{status}");
    }
    for status in [300u16, 301, 307, 400, 404, 500, 503] {
        let auth =
            AuthServer::start(move |_| Reply::status(status).header("X-Why", "no").body("denied"))
                .await;
        let up = Upstream::new();
        let proxy = serve(chain(&cfg(&auth, ""), &up)).await;
        let res = send(proxy.addr, "GET / HTTP/1.1\nHost: a", b"").await;
        assert_eq!(res.status, status);
        assert_eq!(res.header("x-why"), Some("no"));
        assert_eq!(&res.body[..], b"denied");
        assert_eq!(up.count(), 0, "{status}");
    }
    let _ = Action::Respond;
}

/// `headerField`: the user name rides in the request's and the response's extensions (the
/// access log's `ClientUsername`), on success and on denial alike.
#[tokio::test]
async fn forward_auth_header_field_names_the_user_for_the_access_log() {
    use rampart::middleware::forward_auth::ClientUsername;
    let auth = AuthServer::script(vec![
        Reply::status(200).header("X-Auth-User", "ada"),
        Reply::status(403).header("X-Auth-User", "bob"),
    ])
    .await;
    let c = chain(
        &cfg(&auth, r#", "headerField": "X-Auth-User""#),
        &Upstream::new(),
    );
    let res = c.call(request("GET", "/", &[])).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.extensions().get::<ClientUsername>().map(|u| &*u.0),
        Some("ada")
    );
    let res = c.call(request("GET", "/", &[])).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.extensions().get::<ClientUsername>().map(|u| &*u.0),
        Some("bob")
    );
}

/// The computed `X-Forwarded-*` from the connection: TLS, websocket, `Host` port, and a
/// trusted `X-Forwarded-For` chain (Traefik appends the peer).
#[tokio::test]
async fn forwarded_headers_come_from_the_connection() {
    use std::sync::Arc;

    use rampart::ConnInfo;
    use rampart::context::TlsInfo;

    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let with_conn = |mut req: rampart::Request, tls: bool| {
        let peer = "203.0.113.5:5555".parse().unwrap();
        let info = if tls {
            ConnInfo::with_tls(peer, "websecure", TlsInfo::default())
        } else {
            ConnInfo::plain(peer, "web")
        };
        req.extensions_mut().insert(Arc::new(info));
        req
    };
    let rebuild = chain(
        &cfg(&auth, r#", "trustForwardHeader": false"#),
        &Upstream::new(),
    );
    let keep = chain(
        &cfg(&auth, r#", "trustForwardHeader": true"#),
        &Upstream::new(),
    );

    let ws = &[
        ("Host", "app.test"),
        ("Connection", "keep-alive, Upgrade"),
        ("Upgrade", "websocket"),
    ];
    call(&rebuild, with_conn(request("GET", "/ws?x=1;y=2", ws), true)).await;
    let seen = auth.last().unwrap();
    assert_eq!(seen.header("x-forwarded-proto"), Some("wss"));
    assert_eq!(seen.header("x-forwarded-port"), Some("443"));
    assert_eq!(seen.header("x-forwarded-for"), Some("203.0.113.5"));
    assert_eq!(seen.header("x-forwarded-uri"), Some("/ws?x=1;y=2"));

    call(
        &rebuild,
        with_conn(request("GET", "/", &[("Host", "app.test:8443")]), true),
    )
    .await;
    let seen = auth.last().unwrap();
    assert_eq!(seen.header("x-forwarded-proto"), Some("https"));
    assert_eq!(seen.header("x-forwarded-port"), Some("8443"));
    assert_eq!(seen.header("x-forwarded-host"), Some("app.test:8443"));

    let trusted = &[
        ("Host", "app.test"),
        ("X-Forwarded-For", "198.51.100.1"),
        ("X-Forwarded-For", "10.0.0.2"),
        ("X-Forwarded-Proto", "https"),
    ];
    call(&keep, with_conn(request("GET", "/", trusted), false)).await;
    let seen = auth.last().unwrap();
    assert_eq!(
        seen.header_all("x-forwarded-for"),
        ["198.51.100.1, 10.0.0.2, 203.0.113.5"]
    );
    assert_eq!(seen.header("x-forwarded-proto"), Some("https"));
    assert_eq!(
        seen.header("x-forwarded-port"),
        Some("443"),
        "computed from the trusted proto"
    );
}

/// Auth requests reuse pooled keep-alive connections.
#[tokio::test]
async fn auth_connections_are_pooled() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(&cfg(&auth, r#", "trustForwardHeader": false"#), &up)).await;
    for _ in 0..5 {
        assert_eq!(
            send(proxy.addr, "GET / HTTP/1.1\nHost: a", b"")
                .await
                .status,
            200
        );
    }
    assert_eq!(auth.count(), 5);
    assert_eq!(auth.connections(), 1);
}
