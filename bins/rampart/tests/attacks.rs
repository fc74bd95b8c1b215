//! Attack cases through the whole binary, with raw bytes on real sockets (attack catalogue
//! §B7, §C, §D, §E): path tricks against `PathPrefix` routers, Host tricks, `Connection`
//! abuse, request smuggling basics. The auth server denies everything: whatever reaches the
//! app under `/admin` got there without auth.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::net::SocketAddr;
use std::time::Duration;

use common::TestProxy;
use e2e::{echo_upstream, exchange, statuses};
use rampart_testkit::auth_server::Reply;
use rampart_testkit::{AuthServer, Upstream};

/// `web` with Traefik's defaults; `hardened` refusing every dangerous encoded character.
const STATIC: &str = r#"
entryPoints:
  web:
    address: "127.0.0.1:0"
  hardened:
    address: "127.0.0.1:0"
    http:
      encodedCharacters:
        allowEncodedSlash: false
        allowEncodedBackSlash: false
        allowEncodedNullCharacter: false
        allowEncodedSemicolon: false
        allowEncodedPercent: false
        allowEncodedQuestionMark: false
        allowEncodedHash: false
providers:
  file:
    directory: "{dir}/rules"
"#;

struct Rig {
    proxy: TestProxy,
    auth: AuthServer,
    app: Upstream,
}

impl Rig {
    /// priv = `Host(app.test) && PathPrefix(/admin)` behind forwardAuth (which denies),
    /// pub = `Host(app.test) && PathPrefix(/public)` without auth.
    async fn start() -> Rig {
        let auth = AuthServer::start(|_| Reply::status(401).body("denied")).await;
        let app = echo_upstream().await;
        let dynamic = format!(
            r#"
http:
  routers:
    priv:
      rule: "Host(`app.test`) && PathPrefix(`/admin`)"
      middlewares: [auth]
      service: app
    pub:
      rule: "Host(`app.test`) && PathPrefix(`/public`)"
      service: app
  middlewares:
    auth:
      forwardAuth:
        address: "{}"
        authResponseHeaders: [X-Auth-User]
  services:
    app:
      loadBalancer:
        servers:
          - url: "{}"
"#,
            auth.url("/verify"),
            app.url()
        );
        let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", &dynamic)]).await;
        Rig { proxy, auth, app }
    }

    fn web(&self) -> SocketAddr {
        self.proxy.addr("web")
    }

    /// Sends raw bytes on a new connection to `web`; returns the statuses answered.
    async fn send(&self, bytes: &str) -> Vec<u16> {
        send_to(self.web(), bytes).await
    }

    /// The paths the app received.
    fn app_paths(&self) -> Vec<String> {
        self.app
            .requests()
            .iter()
            .map(|r| r.path_and_query().to_owned())
            .collect()
    }

    /// The `X-Forwarded-Uri` of the last auth request.
    fn auth_uri(&self) -> Option<String> {
        self.auth
            .last()
            .and_then(|r| r.header("x-forwarded-uri").map(str::to_owned))
    }

    /// Asserts that nothing under `/admin` ever reached the app.
    fn assert_admin_never_reached_the_app(&self) {
        let paths = self.app_paths();
        assert!(
            !paths
                .iter()
                .any(|p| p.contains("admin") && !p.starts_with("/public")),
            "{paths:?}"
        );
    }
}

async fn send_to(addr: SocketAddr, bytes: &str) -> Vec<u16> {
    statuses(&exchange(addr, bytes.as_bytes(), Duration::from_millis(250)).await)
}

#[tokio::test]
async fn c_path_tricks_never_reach_admin_without_auth() {
    let rig = Rig::start().await;
    // Dot segments, raw and encoded (C1, C2), duplicate slashes (C6), encoded unreserved
    // letters (C12), a query that looks like a path (C8): all routed to priv, whose auth
    // sees the same normalised path the app would get.
    for (target, uri) in [
        ("/public/../admin/secret", "/admin/secret"),
        ("/public/./../admin/secret", "/admin/secret"),
        ("/public/%2e%2e/admin/secret", "/admin/secret"),
        ("/public/%2E%2e/admin/secret", "/admin/secret"),
        ("/public/.%2e/admin/secret", "/admin/secret"),
        ("//admin/secret", "/admin/secret"),
        ("///admin", "/admin"),
        ("/public//../admin", "/admin"),
        ("/%61dmin/x", "/admin/x"),
        ("/admin?/public", "/admin?/public"),
        ("/admin%2Fsecret", "/admin%2Fsecret"),
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: app.test\r\n\r\n");
        assert_eq!(rig.send(&req).await, [401], "{target}");
        assert_eq!(rig.auth_uri().as_deref(), Some(uri), "{target}");
    }
    // A fragment (C5) is dropped before routing and never forwarded, re-encoded or not:
    // the router, the auth server and the app all see the path without it. (Traefik answers
    // 400; hyper's URI parser has already dropped the fragment when rampart sees it.)
    let req = "GET /admin#x HTTP/1.1\r\nHost: app.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [401]);
    assert_eq!(rig.auth_uri().as_deref(), Some("/admin"));
    let req = "GET /public/x#/../../admin HTTP/1.1\r\nHost: app.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [200]);
    assert_eq!(
        rig.app_paths().last().map(String::as_str),
        Some("/public/x")
    );
    // Encoded slashes are not decoded for routing (Traefik's default allows them): this
    // stays under /public and reaches the app byte for byte.
    let req = "GET /public%2F..%2Fadmin%2Fsecret HTTP/1.1\r\nHost: app.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [200]);
    assert_eq!(
        rig.app_paths().last().map(String::as_str),
        Some("/public%2F..%2Fadmin%2Fsecret")
    );
    // No double decoding: %252e stays literal.
    let req = "GET /public/%252e%252e/admin HTTP/1.1\r\nHost: app.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [200]);
    assert_eq!(
        rig.app_paths().last().map(String::as_str),
        Some("/public/%252e%252e/admin")
    );
    rig.assert_admin_never_reached_the_app();

    // The hardened entrypoint refuses every dangerous encoded character (C3, C4).
    let hardened = rig.proxy.addr("hardened");
    for target in [
        "/admin%2Fsecret",
        "/public%2F..%2Fadmin",
        "/public%5C..%5Cadmin",
        "/admin%00.png",
        "/admin%3Bx",
        "/admin%23frag",
        "/admin%3F.png",
        "/public/%252e%252e/admin",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: app.test\r\n\r\n");
        assert_eq!(send_to(hardened, &req).await, [400], "{target}");
    }
    rig.proxy.stop().await;
}

#[tokio::test]
async fn c_request_target_forms() {
    let rig = Rig::start().await;
    // Absolute form: the target's authority is the host (RFC 9112 §3.2.2), Host is ignored,
    // and PathPrefix sees only the path (C10).
    let req = "GET http://app.test/admin/secret HTTP/1.1\r\nHost: other.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [401]);
    let asked = rig.auth.last().expect("auth called");
    assert_eq!(asked.header("x-forwarded-uri"), Some("/admin/secret"));
    assert_eq!(asked.header("x-forwarded-host"), Some("app.test"));
    let req = "GET https://app.test/public/../admin HTTP/1.1\r\nHost: app.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [401]);
    // Userinfo in the target is refused (RFC 9110 §4.2.4).
    let req = "GET http://app.test:80@evil.test/admin HTTP/1.1\r\nHost: app.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [400]);
    // Asterisk and authority forms are never forwarded (C11).
    let req = "OPTIONS * HTTP/1.1\r\nHost: app.test\r\n\r\n";
    let answered = rig.send(req).await;
    assert!(matches!(answered[..], [400 | 404]), "{answered:?}");
    for target in ["app.test:443", "127.0.0.1:22"] {
        let req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
        let answered = rig.send(&req).await;
        assert!(
            matches!(answered[..], [400 | 404 | 405]),
            "{target}: {answered:?}"
        );
    }
    assert!(rig.app.requests().is_empty(), "{:?}", rig.app_paths());
    rig.proxy.stop().await;
}

#[tokio::test]
async fn d_host_tricks() {
    let rig = Rig::start().await;
    // Malformed or ambiguous Host: 400 (RFC 9112 §3.2, D1, D4).
    for head in [
        "Host: public.test\r\nHost: app.test\r\n",
        "Host: app.test, public.test\r\n",
        "",
        "Host: app.test@evil.test\r\n",
        "Host: evil.test/app.test\r\n",
        "Host: app.test\x00.evil\r\n",
        "Host: app.test:99999\r\n",
        "Host: app.test:8o\r\n",
        "Host: \u{430}pp.test\r\n",
    ] {
        let req = format!("GET /admin HTTP/1.1\r\n{head}\r\n");
        assert_eq!(rig.send(&req).await, [400], "{head:?}");
    }
    // Case, trailing dot and port do not escape Host(`app.test`) (D2, D3): auth runs.
    for host in [
        "APP.Test",
        "app.test.",
        "APP.TEST.:80",
        "app.test:8080",
        "app.test ",
    ] {
        let req = format!("GET /admin/x HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(rig.send(&req).await, [401], "{host:?}");
    }
    // A punycode host only matches a punycode rule: not this one.
    let req = "GET /admin HTTP/1.1\r\nHost: xn--pp-8cd.test\r\n\r\n";
    assert_eq!(rig.send(req).await, [404]);
    rig.assert_admin_never_reached_the_app();
    rig.proxy.stop().await;
}

#[tokio::test]
async fn b7_connection_tokens_cannot_strip_what_the_proxy_sets_for_auth() {
    let rig = Rig::start().await;
    let req = "GET /admin/ HTTP/1.1\r\nHost: app.test\r\n\
               Connection: close, X-Forwarded-Host, X-Forwarded-Port, X-Forwarded-Proto\r\n\
               connection: x-real-ip,X-Forwarded-For , X-Forwarded-Uri, x-forwarded-method\r\n\
               X_Forwarded_Host: evil\r\n\r\n";
    assert_eq!(rig.send(req).await, [401]);
    let asked = rig.auth.last().expect("auth called");
    assert_eq!(asked.header("x-forwarded-host"), Some("app.test"));
    assert_eq!(asked.header("x-forwarded-proto"), Some("http"));
    assert_eq!(asked.header("x-forwarded-uri"), Some("/admin/"));
    assert_eq!(asked.header("x-forwarded-method"), Some("GET"));
    assert_eq!(asked.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(asked.header("x-forwarded-port"), Some("80"));
    assert_eq!(
        asked.header("x_forwarded_host"),
        None,
        "the alias is removed"
    );
    rig.proxy.stop().await;
}

/// The smuggled request every E case appends.
const SMUGGLED: &str = "GET /admin/smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n";

#[tokio::test]
async fn e_smuggling_basics_never_reach_the_app() {
    let rig = Rig::start().await;
    let framings = [
        // E1: Content-Length and Transfer-Encoding together.
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        // E2: obfuscated or unsupported codings.
        "Transfer-Encoding: xchunked\r\nContent-Length: 4\r\n",
        "Transfer-Encoding: chunked, identity\r\nContent-Length: 4\r\n",
        "Transfer-Encoding : chunked\r\nContent-Length: 4\r\n",
        "Transfer-Encoding: \x0bchunked\r\nContent-Length: 4\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nContent-Length: 4\r\n",
        // E3: ambiguous lengths.
        "Content-Length: 5, 6\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: 0x5\r\n",
        "Content-Length: 99999999999999999999\r\n",
    ];
    for framing in framings {
        let body = "5c\r\nGPOST /admin/smuggled HTTP/1.1\r\nHost: app.test\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n";
        let req =
            format!("POST /public HTTP/1.1\r\nHost: app.test\r\n{framing}\r\n{body}{SMUGGLED}");
        // Refused outright; with CL+TE, hyper lets Transfer-Encoding win (RFC 9112 §6.3)
        // and this chunked body is malformed: 400 as well, and the connection is closed. In
        // no case a second answer for bytes that were part of the first request.
        assert_eq!(rig.send(&req).await, [400], "{framing:?}");
    }
    // E4: chunk-size overflow and bare LFs in chunked bodies.
    for body in [
        "ffffffffffffffffff1\r\nx\r\n0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5;ext\nhello\r\n0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
    ] {
        let req = format!(
            "POST /public HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n{body}{SMUGGLED}"
        );
        // The client's malformed body is the client's fault: 400, not a 502 blaming the
        // upstream (which a circuit breaker would count against it).
        assert_eq!(rig.send(&req).await, [400], "{body:?}");
    }
    let paths = rig.app_paths();
    assert!(!paths.iter().any(|p| p.contains("smuggled")), "{paths:?}");
    for r in rig.app.requests() {
        assert!(
            !String::from_utf8_lossy(&r.body).contains("smuggled")
                || r.path_and_query() == "/public",
            "{r:?}"
        );
        // The app never gets both framings.
        assert!(
            !(r.headers.contains_key("content-length")
                && r.headers.contains_key("transfer-encoding")),
            "{:?}",
            r.headers
        );
    }
    rig.proxy.stop().await;
}

#[tokio::test]
async fn a_clients_malformed_bodies_never_trip_the_upstreams_circuit_breaker() {
    // Were a client's broken body answered 502, NetworkErrorRatio() would count it against
    // the upstream and open the breaker for every other client.
    let app = echo_upstream().await;
    let dynamic = format!(
        r#"
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      middlewares: [breaker]
      service: app
  middlewares:
    breaker:
      circuitBreaker:
        expression: "NetworkErrorRatio() > 0.5"
        checkPeriod: 50ms
  services:
    app:
      loadBalancer:
        servers:
          - url: "{}"
"#,
        app.url()
    );
    let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", &dynamic)]).await;
    let web = proxy.addr("web");
    for _ in 0..10 {
        let req = "POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(send_to(web, req).await, [400]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let req = "GET / HTTP/1.1\r\nHost: app.test\r\n\r\n";
    assert_eq!(send_to(web, req).await, [200], "the breaker stayed closed");
    proxy.stop().await;
}
