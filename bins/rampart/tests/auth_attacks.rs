//! Attacks on forwardAuth through the binary (attack catalogue §A, §H, §I, §J, and the path
//! tricks of §C aimed at the auth router): forged identity headers in every spelling, a
//! `Connection` header naming the injected one, websocket upgrades without a session, an auth
//! server that is down, slow, failing or malformed, paths built to slip past the auth router,
//! and a router whose forwardAuth is broken in the configuration. In every case the protected
//! upstream is never reached unauthenticated.

mod common;
#[path = "common/e2e_auth.rs"]
mod e2e_auth;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use e2e_auth::{GUIDE_MIDDLEWARE, RESERVED_MIDDLEWARE, Stack, rampart_cli};
use futures_util::{SinkExt, StreamExt};
use rampart_testkit::auth_backends::Authentik;
use rampart_testkit::auth_server::{Action, AuthServer, Handler, Recorded, Reply};
use rampart_testkit::ws::{self, Message};

const APP: &str = "whoami-individual.domain.tld";

/// Authentik with a `skip_path_regex` of `^/public`: those paths get a bare 200, no identity
/// (as the outpost answers an allowlisted path; also authentik CVE-2026-25748's shape).
fn authentik_with_public_paths(outpost: &Authentik) -> Handler {
    let inner = outpost.handler();
    Arc::new(move |req: &Recorded| {
        if req
            .header("x-forwarded-uri")
            .is_some_and(|u| u.starts_with("/public"))
        {
            Reply::status(200)
        } else {
            inner(req)
        }
    })
}

/// A raw HTTP/1.1 request for the app host with extra header lines.
fn raw_get(path: &str, lines: &[&str]) -> String {
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {APP}\r\n");
    for l in lines {
        req.push_str(l);
        req.push_str("\r\n");
    }
    req.push_str("Connection: close\r\n\r\n");
    req
}

/// Every name of `seen` that folds (case, `_`, `.`, `~` → `-`) onto an `X-authentik-` name.
fn identity_names(seen: &rampart_testkit::Recorded) -> Vec<(String, String)> {
    seen.headers
        .iter()
        .filter(|(k, _)| {
            let folded: String = k
                .as_str()
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        char::from(b)
                    } else {
                        '-'
                    }
                })
                .collect();
            folded.starts_with("x-authentik-")
        })
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

const FORGED: [&str; 6] = [
    "X-Authentik-Username: mallory",
    "x-authentik-username: mallory",
    "X_Authentik_Username: mallory",
    "X.authentik.username: mallory",
    "X~authentik~username: mallory",
    "X-AUTHENTIK-GROUPS: authentik Admins",
];

#[tokio::test]
async fn forged_identity_headers_in_every_spelling_never_reach_the_upstream() {
    let outpost = Authentik::new();
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        authentik_with_public_paths(&outpost),
        &["whoami.yaml"],
        &[],
    )
    .await;
    let browser = stack.browser();
    let session = outpost.session_for("akadmin");
    let cookie = format!("Cookie: {session}");

    // Logged in: the outpost's identity, once, and no alias of it.
    let mut lines = FORGED.to_vec();
    lines.push(&cookie);
    let (status, _) = browser.raw(APP, &raw_get("/", &lines)).await;
    assert_eq!(status, 200);
    let seen = stack.app.last_request().unwrap();
    assert_eq!(
        identity_names(&seen)
            .iter()
            .filter(|(k, _)| k == "x-authentik-username")
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>(),
        ["akadmin"]
    );
    assert!(
        identity_names(&seen)
            .iter()
            .all(|(k, v)| !k.contains(['_', '.', '~']) && v != "mallory"),
        "{:?}",
        identity_names(&seen)
    );
    assert_eq!(seen.header("x-authentik-groups"), "authentik Admins|users");

    // An allowlisted path: the outpost answers 200 with no identity at all — the forged
    // headers must still be gone (Caddy CVE-2026-30851 kept them in this case).
    let (status, _) = browser.raw(APP, &raw_get("/public/x", &FORGED)).await;
    assert_eq!(status, 200);
    let seen = stack.app.last_request().unwrap();
    assert_eq!(seen.path_and_query(), "/public/x");
    assert!(
        identity_names(&seen).is_empty(),
        "{:?}",
        identity_names(&seen)
    );

    // Without a session: nothing reaches the upstream.
    let before = stack.app.request_count();
    let (status, _) = browser.raw(APP, &raw_get("/", &FORGED)).await;
    assert_eq!(status, 302);
    assert_eq!(stack.app.request_count(), before);
    stack.proxy.stop().await;
}

#[tokio::test]
async fn connection_header_cannot_drop_the_injected_identity() {
    let outpost = Authentik::new();
    let stack = Stack::start(GUIDE_MIDDLEWARE, outpost.handler(), &["whoami.yaml"], &[]).await;
    let browser = stack.browser();
    let cookie = format!("Cookie: {}", outpost.session_for("akadmin"));
    for connection in [
        "Connection: keep-alive, X-authentik-username, X-authentik-groups",
        "Connection: x-authentik-username",
        "Connection: X_Authentik_Username, x-forwarded-for",
    ] {
        let req = format!(
            "GET / HTTP/1.1\r\nHost: {APP}\r\n{cookie}\r\n{connection}\r\nConnection: close\r\n\r\n"
        );
        let (status, _) = browser.raw(APP, &req).await;
        assert_eq!(status, 200, "{connection}");
        let seen = stack.app.last_request().unwrap();
        assert_eq!(
            seen.header("x-authentik-username"),
            "akadmin",
            "{connection}"
        );
        assert_eq!(seen.header("x-forwarded-for"), "127.0.0.2", "{connection}");
        assert!(
            seen.headers.contains_key("x-authentik-groups"),
            "{connection}"
        );
    }
    stack.proxy.stop().await;
}

#[tokio::test]
async fn websocket_upgrade_without_a_session_never_reaches_the_upstream() {
    let outpost = Authentik::new();
    let echo = ws::echo_upstream().await;
    let ws_rules = format!(
        "http:\n  routers:\n    ws-rtr:\n      rule: \"Host(`ws.domain.tld`)\"\n      middlewares: [middlewares-authentik@file]\n      service: ws-svc\n  services:\n    ws-svc:\n      loadBalancer:\n        servers:\n          - url: \"http://{}\"\n",
        echo.addr()
    );
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        outpost.handler(),
        &[],
        &[("rules/apps/ws.yaml", &ws_rules)],
    )
    .await;
    let browser = stack.browser();
    let connect = |cookie: Option<String>| {
        let browser = browser.clone();
        async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut req = "wss://ws.domain.tld/live".into_client_request().unwrap();
            if let Some(c) = cookie {
                req.headers_mut().insert("cookie", c.parse().unwrap());
            }
            let io = browser.connect("ws.domain.tld").await;
            tokio::time::timeout(e2e_auth::DEADLINE, tokio_tungstenite::client_async(req, io))
                .await
                .expect("handshake in time")
        }
    };

    // No session: the outpost's 302 is relayed; no 101, no upgrade reaches the echo server.
    match connect(None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 302);
            assert!(res.headers().contains_key("location"));
        }
        Err(e) => panic!("expected the login redirect, got {e}"),
        Ok(_) => panic!("the upgrade went through without a session"),
    }
    assert_eq!(echo.request_count(), 0);
    let asked = stack.last_auth();
    assert_eq!(asked.method, "GET");
    // Hop-by-hop headers stay out of the auth request (`Sec-WebSocket-Key` is not hop-by-hop:
    // Traefik sends it, and without `Upgrade` it cannot start a handshake).
    for hop in ["upgrade", "connection"] {
        assert!(asked.header(hop).is_none(), "{hop} sent to the auth server");
    }
    assert_eq!(asked.header("x-forwarded-uri"), Some("/live"));

    // With a session: 101, the echo works, and the upgrade request carried the identity.
    let (mut socket, res) = connect(Some(outpost.session_for("akadmin")))
        .await
        .expect("upgrade with a session");
    assert_eq!(res.status(), 101);
    socket.send(Message::text("ping")).await.unwrap();
    let back = tokio::time::timeout(e2e_auth::DEADLINE, socket.next())
        .await
        .expect("echo in time")
        .expect("a message")
        .expect("no error");
    assert_eq!(back, Message::text("ping"));
    let seen = echo.last_request().unwrap();
    assert_eq!(seen.header("x-authentik-username"), "akadmin");
    assert_eq!(seen.header("upgrade"), "websocket");
    stack.proxy.stop().await;
}

/// One router per failure mode, each with its own auth server, all fail closed.
#[tokio::test]
async fn auth_server_failures_fail_closed_with_a_clear_status() {
    let down = AuthServer::down().await;
    let hang = AuthServer::start(|_| Reply::hang()).await;
    let unavailable = AuthServer::start(|_| {
        Reply::status(503)
            .header("Retry-After", "5")
            .body("authentik starting")
    })
    .await;
    let huge = AuthServer::start(|_| Reply::status(200).action(Action::Huge(2 << 20))).await;
    let garbage = AuthServer::start(|_| {
        Reply::status(200).action(Action::Raw(Bytes::from_static(
            b"HTTP/1.1 2OO OK\r\nX-authentik-username: admin\r\n\r\n",
        )))
    })
    .await;
    let folded = AuthServer::start(|_| {
        Reply::status(200).action(Action::Raw(Bytes::from_static(
            b"HTTP/1.1 200 OK\r\nX-authentik-username: alice\r\n\tadmin\r\nContent-Length: 0\r\n\r\n",
        )))
    })
    .await;
    let stall = AuthServer::start(|_| Reply::status(200).action(Action::StallBody)).await;
    let closes = AuthServer::start(|_| Reply::status(200).action(Action::Close)).await;
    let informational = AuthServer::start(|_| Reply::status(101)).await;
    let cases: Vec<(&str, String, u16)> = vec![
        ("down", down.to_string(), 500),
        ("hang", hang.addr().to_string(), 500),
        ("unavailable", unavailable.addr().to_string(), 503),
        ("huge", huge.addr().to_string(), 401),
        ("garbage", garbage.addr().to_string(), 500),
        ("folded", folded.addr().to_string(), 500),
        ("stall", stall.addr().to_string(), 500),
        ("closes", closes.addr().to_string(), 500),
        ("informational", informational.addr().to_string(), 500),
    ];
    let mut rules = String::from("http:\n  middlewares:\n");
    for (name, addr, _) in &cases {
        // `timeout` is rampart's (Traefik's fixed 30 s would make this test slow).
        let _ = write!(
            rules,
            "    auth-{name}:\n      forwardAuth:\n        address: \"http://{addr}/outpost.goauthentik.io/auth/traefik\"\n        timeout: 2s\n        authResponseHeaders: [X-authentik-username]\n"
        );
    }
    rules.push_str("  routers:\n");
    for (name, _, _) in &cases {
        let _ = write!(
            rules,
            "    {name}-rtr:\n      rule: \"Host(`{name}.domain.tld`)\"\n      middlewares: [auth-{name}]\n      service: whoami-svc@file\n"
        );
    }
    let outpost = Authentik::new();
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        outpost.handler(),
        &["whoami.yaml"],
        &[("rules/apps/failures.yaml", &rules)],
    )
    .await;
    let browser = stack.browser();
    let tasks: Vec<_> = cases
        .iter()
        .map(|(name, _, want)| {
            let browser = browser.clone();
            let host = format!("{name}.domain.tld");
            let want = *want;
            let name = (*name).to_owned();
            tokio::spawn(async move {
                let res = browser.get(&host, "/", &[]).await;
                (name, want, res)
            })
        })
        .collect();
    for t in tasks {
        let (name, want, res) = t.await.unwrap();
        assert_eq!(res.status.as_u16(), want, "{name}: {}", res.text());
        match name.as_str() {
            "unavailable" => {
                assert_eq!(res.text(), "authentik starting");
                assert_eq!(res.header("retry-after"), "5");
            }
            "huge" => assert!(res.body.is_empty(), "Traefik's empty 401"),
            _ => assert_eq!(res.text(), "Internal Server Error", "{name}"),
        }
    }
    assert_eq!(
        stack.app.request_count(),
        0,
        "the upstream was never called"
    );
    stack.proxy.stop().await;
}

#[tokio::test]
async fn path_tricks_never_reach_the_protected_upstream_unauthenticated() {
    // The layout Authentik's documentation gives: an outpost router on the app host with a high
    // explicit priority (no auth: it is the outpost), and the app router behind forwardAuth.
    let outpost = Authentik::new();
    let outpost_rtr = "http:\n  routers:\n    whoami-outpost-rtr:\n      rule: \"Host(`whoami-individual.domain.tld`) && PathPrefix(`/outpost.goauthentik.io/`)\"\n      priority: 1000\n      service: authentik-svc@file\n";
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        outpost.handler(),
        &["whoami.yaml", "authentik.yaml"],
        &[("rules/apps/outpost.yaml", outpost_rtr)],
    )
    .await;
    let browser = stack.browser();
    let tricks = [
        "/outpost.goauthentik.io/../admin",
        "/outpost.goauthentik.io/%2e%2e/admin",
        "/outpost.goauthentik.io/%2E%2E/%61dmin",
        "/outpost.goauthentik.io/./../admin",
        "//outpost.goauthentik.io/../admin",
        "/outpost.goauthentik.io//../../admin",
        "/outpost.goauthentik.io%2F..%2Fadmin",
        "/outpost.goauthentik.io/..%2Fadmin",
        "/outpost.goauthentik.io/..%5Cadmin",
        "/outpost.goauthentik.io/%252e%252e/admin",
        "/outpost.goauthentik.io/ping/../../admin",
        "/outpost.goauthentik.io/..;/admin",
        "/Outpost.goauthentik.io/admin",
    ];
    for path in tricks {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {APP}\r\nConnection: close\r\n\r\n");
        let (status, text) = browser.raw(APP, &req).await;
        assert!(
            matches!(status, 302 | 400 | 404),
            "{path}: {status}\n{text}"
        );
        assert_eq!(
            stack.app.request_count(),
            0,
            "{path} reached the app: {:?}\n{text}",
            stack.app.last_request()
        );
    }
    // Whatever went to the outpost router went with a clean path (no dot-segment; an encoded
    // `..%2F` is one segment, passed as Traefik 3.6.7+ passes it by default).
    for r in stack.auth.requests() {
        assert!(
            r.path().split('/').all(|seg| seg != ".." && seg != "."),
            "{}",
            r.target
        );
    }
    stack.proxy.stop().await;
}

#[tokio::test]
async fn path_tricks_against_the_reserved_prefix() {
    let outpost = Authentik::new();
    let stack = Stack::start(
        RESERVED_MIDDLEWARE,
        outpost.handler(),
        &["whoami.yaml"],
        &[],
    )
    .await;
    let browser = stack.browser();
    // Out of the prefix into the app: normalised first, so the app router and its forwardAuth.
    for path in [
        "/outpost.goauthentik.io/../admin",
        "/outpost.goauthentik.io/%2e%2e/admin",
        "/outpost.goauthentik.io/%2fadmin/..%2f..%2fadmin",
    ] {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {APP}\r\nConnection: close\r\n\r\n");
        let (status, text) = browser.raw(APP, &req).await;
        // 302: the app router's forwardAuth; 400: refused; 404: the outpost's own answer (an
        // encoded slash keeps the path inside the prefix).
        assert!(
            matches!(status, 302 | 400 | 404),
            "{path}: {status}\n{text}"
        );
        assert_eq!(stack.app.request_count(), 0, "{path} reached the app");
    }
    // Into the prefix from elsewhere: the outpost gets the clean path.
    let req = format!(
        "GET /admin/../outpost.goauthentik.io/ping HTTP/1.1\r\nHost: {APP}\r\nConnection: close\r\n\r\n"
    );
    let (status, _) = browser.raw(APP, &req).await;
    assert_eq!(status, 204);
    assert_eq!(stack.last_auth().target, "/outpost.goauthentik.io/ping");
    assert_eq!(stack.app.request_count(), 0);
    stack.proxy.stop().await;
}

#[tokio::test]
async fn a_router_whose_forward_auth_is_broken_is_not_mounted() {
    let outpost = Authentik::new();
    let broken = "http:\n  middlewares:\n    auth-typo:\n      forwardAuth:\n        address: \"http://authentik_server:9000/outpost.goauthentik.io/auth/traefik\"\n        authResponseHeader: [X-authentik-username]\n    auth-scheme:\n      forwardAuth:\n        address: \"ftp://authentik_server:9000/auth\"\n    auth-regex:\n      forwardAuth:\n        address: \"http://authentik_server:9000/auth\"\n        authResponseHeadersRegex: \"^X-(\"\n  routers:\n    typo-rtr:\n      rule: \"Host(`typo.domain.tld`)\"\n      middlewares: [auth-typo]\n      service: whoami-svc@file\n    scheme-rtr:\n      rule: \"Host(`scheme.domain.tld`)\"\n      middlewares: [auth-scheme]\n      service: whoami-svc@file\n    regex-rtr:\n      rule: \"Host(`regex.domain.tld`)\"\n      middlewares: [auth-regex]\n      service: whoami-svc@file\n    missing-rtr:\n      rule: \"Host(`missing.domain.tld`)\"\n      middlewares: [auth-nowhere]\n      service: whoami-svc@file\n";
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        outpost.handler(),
        &["whoami.yaml"],
        &[("rules/apps/broken.yaml", broken)],
    )
    .await;
    let browser = stack.browser();
    for host in [
        "typo.domain.tld",
        "scheme.domain.tld",
        "regex.domain.tld",
        "missing.domain.tld",
    ] {
        let res = browser.get(host, "/", &[]).await;
        assert_eq!(res.status, 404, "{host}");
    }
    assert_eq!(stack.app.request_count(), 0);
    // The rest keeps serving.
    let ok = browser
        .get(APP, "/", &[("cookie", &outpost.session_for("akadmin"))])
        .await;
    assert_eq!(ok.status, 200);

    let (ok, report, _) = rampart_cli(&stack.proxy, &["check"]);
    assert!(!ok, "check fails on a broken configuration:\n{report}");
    for needle in [
        "middleware `auth-typo@file`",
        "authResponseHeader",
        "middleware `auth-scheme@file`",
        "middleware `auth-regex@file`",
        "authResponseHeadersRegex",
        "middleware `auth-nowhere@file` does not exist",
        "rules/apps/broken.yaml:4:7): `authResponseHeader`: unknown field",
    ] {
        assert!(report.contains(needle), "check names {needle}:\n{report}");
    }

    // A reload that breaks a working forwardAuth takes its router down, never serves it open.
    let before = stack.proxy.generation();
    let guide = e2e_auth::fixture(GUIDE_MIDDLEWARE)
        .replace("authentik_server:9000", &stack.auth.addr().to_string())
        .replace("trustForwardHeader: true", "trustForwardHeader: maybe");
    stack
        .proxy
        .write("rules/middlewares-authentik.yaml", &guide);
    stack.proxy.wait_reload(before).await;
    let res = browser.get(APP, "/", &[]).await;
    assert_eq!(res.status, 404, "{}", res.text());
    assert_eq!(stack.app.request_count(), 1, "only the logged-in visit");
    tokio::time::sleep(Duration::from_millis(10)).await;
    stack.proxy.stop().await;
}
