//! rampart's opt-in extensions: authService, the decision cache with single flight,
//! authRequestCookies, nonNavigationAs401, reserved paths.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rampart::middleware::{BoxFuture, Builder, Endpoint, Registry};
use rampart::{Body, Request, Response};
use rampart_testkit::auth_backends::{Authentik, OAuth2Proxy};
use rampart_testkit::auth_server::{AuthServer, Reply};

use super::support::{Upstream, chain, forward_auth, send, serve};

/// A minimal HTTP forwarding service: what a load balancer is to forwardAuth's `authService`.
struct Forward {
    origin: String,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Body>,
}

impl Endpoint for Forward {
    fn call<'a>(&'a self, mut req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async move {
            let pq = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            *req.uri_mut() = format!("{}{pq}", self.origin).parse().unwrap();
            match self.client.request(req).await {
                Ok(res) => res.map(Body::from),
                Err(_) => rampart::error::status_response(http::StatusCode::BAD_GATEWAY),
            }
        })
    }
}

#[tokio::test]
async fn auth_service_sends_auth_requests_through_a_named_service() {
    let auth = AuthServer::start(|req| {
        if req.target == "/oauth2/auth?x=1" {
            Reply::status(202).header("X-Auth-Request-User", "dave")
        } else {
            Reply::status(404)
        }
    })
    .await;
    let registry = Registry::with_builtins();
    let mut builder = Builder::new(&registry);
    builder.service(
        "oauth@file",
        Arc::new(Forward {
            origin: format!("http://{}", auth.addr()),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }),
    );
    let def: rampart_config::Value = serde_json::from_str(
        r#"{"forwardAuth": {"authService": "oauth", "authPath": "/oauth2/auth?x=1", "trustForwardHeader": false, "authResponseHeaders": ["X-Auth-Request-User"]}}"#,
    )
    .unwrap();
    builder.define_value("auth@file", &def).unwrap();
    let up = Upstream::new();
    let c = builder
        .chain("app@file", ["auth"], Arc::new(up.clone()))
        .unwrap();
    let proxy = serve(c).await;
    let res = send(proxy.addr, "GET /p HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 200);
    assert_eq!(up.last().headers["x-auth-request-user"], "dave");
    assert_eq!(up.last().uri.path(), "/p");
    assert_eq!(auth.last().unwrap().header("x-forwarded-uri"), Some("/p"));

    // An unknown service is a build error naming it.
    let mut builder = Builder::new(&registry);
    builder.define_value("auth@file", &def).unwrap();
    let Err(err) = builder.middleware("auth@file") else {
        panic!("an unknown service must not build");
    };
    let err = err.to_string();
    assert!(err.contains("oauth@file"), "{err}");
}

#[tokio::test]
async fn cache_reuses_positive_answers_per_credentials() {
    let auth = AuthServer::start(|req| match req.header("cookie") {
        Some("s=alice") => Reply::status(200).header("Remote-User", "alice"),
        Some("s=bob") => Reply::status(200).header("Remote-User", "bob"),
        _ => Reply::status(401),
    })
    .await;
    let up = Upstream::new();
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": false, "authResponseHeaders": ["Remote-User"], "cache": {{"ttl": "30s"}}}}"#,
        auth.url("/")
    );
    let proxy = serve(chain(&cfg, &up)).await;
    for _ in 0..3 {
        assert_eq!(
            send(
                proxy.addr,
                "GET /a HTTP/1.1\nHost: app.test\nCookie: s=alice",
                b""
            )
            .await
            .status,
            200
        );
    }
    assert_eq!(auth.count(), 1, "two cache hits");
    assert_eq!(up.last().headers["remote-user"], "alice");
    send(
        proxy.addr,
        "GET /a HTTP/1.1\nHost: app.test\nCookie: s=bob\nRemote-User: alice",
        b"",
    )
    .await;
    assert_eq!(auth.count(), 2, "another user is another key");
    assert_eq!(up.last().headers["remote-user"], "bob");
    send(
        proxy.addr,
        "GET /b HTTP/1.1\nHost: app.test\nCookie: s=alice",
        b"",
    )
    .await;
    assert_eq!(
        auth.count(),
        3,
        "another path is another key (default keyScope: uri)"
    );
    for _ in 0..2 {
        assert_eq!(
            send(proxy.addr, "GET /a HTTP/1.1\nHost: app.test", b"")
                .await
                .status,
            401
        );
    }
    assert_eq!(auth.count(), 5, "denials are never cached");
}

#[tokio::test]
async fn cache_obeys_cache_control_and_set_cookie() {
    for (reply, cached) in [
        (
            Reply::status(200).header("Cache-Control", "no-store"),
            false,
        ),
        (
            Reply::status(200).header("Cache-Control", "max-age=0"),
            false,
        ),
        (Reply::status(200).header("Set-Cookie", "refresh=1"), false),
        (
            Reply::status(200).header("Cache-Control", "private, max-age=60"),
            true,
        ),
    ] {
        let auth = AuthServer::script(vec![reply]).await;
        let cfg = format!(
            r#"{{"address": "{}", "trustForwardHeader": false, "cache": {{}}}}"#,
            auth.url("/")
        );
        let proxy = serve(chain(&cfg, &Upstream::new())).await;
        for _ in 0..2 {
            send(proxy.addr, "GET / HTTP/1.1\nHost: a\nCookie: s=1", b"").await;
        }
        assert_eq!(auth.count(), if cached { 1 } else { 2 });
    }
}

#[tokio::test]
async fn single_flight_coalesces_identical_requests_but_not_denials() {
    let auth = AuthServer::start(|req| {
        if req.header("cookie") == Some("s=ok") {
            // Long enough for all eight clients to connect on a loaded machine.
            Reply::status(200)
                .header("Remote-User", "erin")
                .delay(Duration::from_secs(2))
        } else {
            Reply::redirect(302, "https://login.test/")
                .header("Set-Cookie", "pending=1")
                .delay(Duration::from_millis(300))
        }
    })
    .await;
    let up = Upstream::new();
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": false, "authResponseHeaders": ["Remote-User"], "cache": {{"ttl": "1s"}}}}"#,
        auth.url("/")
    );
    let proxy = serve(chain(&cfg, &up)).await;
    let allowed = (0..8).map(|_| send(proxy.addr, "GET / HTTP/1.1\nHost: a\nCookie: s=ok", b""));
    for res in futures_util::future::join_all(allowed).await {
        assert_eq!(res.status, 200);
    }
    assert_eq!(auth.count(), 1, "eight identical requests, one auth call");
    assert_eq!(up.count(), 8);
    assert!(
        up.calls()
            .iter()
            .all(|s| s.headers["remote-user"] == "erin")
    );

    let before = auth.count();
    let denied = (0..4).map(|_| send(proxy.addr, "GET / HTTP/1.1\nHost: a", b""));
    for res in futures_util::future::join_all(denied).await {
        assert_eq!(res.status, 302);
        assert_eq!(res.header("set-cookie"), Some("pending=1"));
    }
    assert_eq!(
        auth.count() - before,
        4,
        "each anonymous client gets its own login session"
    );
}

#[tokio::test]
async fn auth_request_cookies_sends_only_the_named_cookies() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": false, "authRequestCookies": ["authentik_proxy_*"]}}"#,
        auth.url("/")
    );
    let proxy = serve(chain(&cfg, &up)).await;
    send(
        proxy.addr,
        "GET / HTTP/1.1\nHost: a\nCookie: big=xxxx; authentik_proxy_3d9a=abc\nCookie: other=1",
        b"",
    )
    .await;
    assert_eq!(
        auth.last().unwrap().header_all("cookie"),
        ["authentik_proxy_3d9a=abc"]
    );
    assert_eq!(
        up.last().headers.get_all("cookie").iter().count(),
        2,
        "the app still gets all"
    );
    send(proxy.addr, "GET / HTTP/1.1\nHost: a\nCookie: big=xxxx", b"").await;
    assert_eq!(auth.last().unwrap().header("cookie"), None);
}

#[tokio::test]
async fn non_navigation_requests_get_401_with_the_login_url() {
    let outpost = Authentik::new();
    let server = AuthServer::with_handler(outpost.handler()).await;
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": false, "nonNavigationAs401": true}}"#,
        server.url("/outpost.goauthentik.io/auth/traefik")
    );
    let proxy = serve(chain(&cfg, &Upstream::new())).await;
    for head in [
        "GET /api HTTP/1.1\nHost: app.test\nSec-Fetch-Mode: cors",
        "GET /api HTTP/1.1\nHost: app.test\nX-Requested-With: XMLHttpRequest",
        "GET /api HTTP/1.1\nHost: app.test\nAccept: application/json",
        "GET /ws HTTP/1.1\nHost: app.test\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13",
    ] {
        let res = send(proxy.addr, head, b"").await;
        assert_eq!(res.status, 401, "{head}");
        assert!(
            res.header("x-auth-location")
                .unwrap()
                .starts_with("https://authentik.example.test/")
        );
        assert_eq!(res.header("set-cookie"), None, "{head}");
        assert_eq!(res.header("location"), None);
    }
    for head in [
        "GET / HTTP/1.1\nHost: app.test\nSec-Fetch-Mode: navigate\nAccept: application/json",
        "GET / HTTP/1.1\nHost: app.test\nAccept: text/html,application/json",
    ] {
        let res = send(proxy.addr, head, b"").await;
        assert_eq!(res.status, 302, "{head}");
        assert!(res.header("set-cookie").is_some());
    }
}

#[tokio::test]
async fn reserved_paths_go_to_the_auth_backend_not_the_application() {
    let outpost = Authentik::new();
    let server = AuthServer::with_handler(outpost.handler()).await;
    let up = Upstream::new();
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": false, "reservedPathPrefix": "/outpost.goauthentik.io/", "authResponseHeaders": ["X-authentik-username"]}}"#,
        server.url("/outpost.goauthentik.io/auth/traefik")
    );
    let fa = forward_auth(&cfg);
    assert_eq!(
        fa.reserved_paths()[0].prefix.as_ref(),
        "/outpost.goauthentik.io/"
    );
    assert_eq!(
        fa.reserved_paths()[0].target.as_ref(),
        format!("http://{}", server.addr())
    );
    let proxy = serve(rampart::middleware::Chain::new([fa], Arc::new(up.clone()))).await;

    // The login starts through forwardAuth; the callback is served straight by the outpost.
    let res = send(proxy.addr, "GET /page HTTP/1.1\nHost: app.test", b"").await;
    let session = res
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let callback = outpost
        .login(res.header("location").unwrap(), "akadmin")
        .unwrap();
    let target = callback
        .split_once("app.test")
        .unwrap()
        .1
        .replace("?X-authentik-auth-callback=true&", "?");
    let res = send(proxy.addr, &format!("GET {target} HTTP/1.1\nHost: app.test\nCookie: {session}\nX-authentik-username: mallory"), b"").await;
    assert_eq!(res.status, 302);
    assert_eq!(res.header("location"), Some("http://app.test/page"));
    assert!(
        res.header("set-cookie")
            .unwrap()
            .starts_with(outpost.cookie_name())
    );
    let direct = server.last().unwrap();
    assert!(
        direct
            .target
            .starts_with("/outpost.goauthentik.io/callback?")
    );
    assert_eq!(direct.header("host"), Some("app.test"));
    assert_eq!(
        direct.header("x-authentik-username"),
        None,
        "identity headers are never the client's"
    );

    // Sign-out too; the application never sees a reserved path.
    let res = send(
        proxy.addr,
        &format!(
            "GET /outpost.goauthentik.io/sign_out HTTP/1.1\nHost: app.test\nCookie: {session}"
        ),
        b"",
    )
    .await;
    assert_eq!(res.status, 302);
    assert_eq!(up.count(), 0);
    let res = send(
        proxy.addr,
        &format!("GET /page HTTP/1.1\nHost: app.test\nCookie: {session}"),
        b"",
    )
    .await;
    assert_eq!(res.status, 302, "signed out");
}

#[tokio::test]
async fn reserved_paths_reach_oauth2_proxy_through_a_chain() {
    let o2p = OAuth2Proxy::new();
    let server = AuthServer::with_handler(o2p.handler()).await;
    let registry = Registry::with_builtins();
    let mut builder = Builder::new(&registry);
    let def = |s: String| serde_json::from_str::<rampart_config::Value>(&s).unwrap();
    builder
        .define_value("o2p@file", &def(format!(
            r#"{{"forwardAuth": {{"address": "{}", "trustForwardHeader": false, "reservedPathPrefix": "/oauth2/"}}}}"#,
            server.url("/oauth2/auth")
        )))
        .unwrap();
    builder
        .define_value(
            "secured@file",
            &def(r#"{"chain": {"middlewares": ["o2p"]}}"#.to_owned()),
        )
        .unwrap();
    let up = Upstream::new();
    let c = builder
        .chain("app@docker", ["secured@file"], Arc::new(up.clone()))
        .unwrap();
    let reserved: Vec<String> = c.reserved_paths().map(ToString::to_string).collect();
    assert_eq!(reserved, [format!("/oauth2/ -> http://{}", server.addr())]);
    let proxy = serve(c).await;
    let res = send(
        proxy.addr,
        "GET /oauth2/callback?code=x&state=%2Fhome HTTP/1.1\nHost: app.test",
        b"",
    )
    .await;
    assert_eq!(res.status, 302);
    assert_eq!(res.header("location"), Some("/home"));
    assert_eq!(res.header_all("set-cookie").len(), 2);
    let cookie = res
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let res = send(
        proxy.addr,
        &format!("GET /home HTTP/1.1\nHost: app.test\nCookie: {cookie}"),
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(up.count(), 1);
    let body = up.last().body.clone();
    assert!(body.is_empty());
}

#[tokio::test]
async fn add_auth_cookies_to_response_takes_globs() {
    let auth = AuthServer::start(|_| {
        Reply::status(202)
            .header("Set-Cookie", "_oauth2_proxy_0=a; Path=/; HttpOnly")
            .header("Set-Cookie", "_oauth2_proxy_1=b; Path=/; HttpOnly")
            .header("Set-Cookie", "tracking=c")
    })
    .await;
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": false, "addAuthCookiesToResponse": ["_oauth2_proxy*"]}}"#,
        auth.url("/oauth2/auth")
    );
    let proxy = serve(chain(&cfg, &Upstream::new())).await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: a", b"").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header_all("set-cookie"),
        [
            "_oauth2_proxy_0=a; Path=/; HttpOnly",
            "_oauth2_proxy_1=b; Path=/; HttpOnly"
        ]
    );
}
