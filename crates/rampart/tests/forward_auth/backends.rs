//! The three auth backends of the guide's world, end to end through a real proxy.

use rampart_testkit::auth_backends::{Authelia, Authentik, OAuth2Proxy};
use rampart_testkit::auth_server::{AuthServer, Recorded};

use super::support::{Upstream, chain, send, serve};

const AUTHENTIK_HEADERS: &str = r#"["X-authentik-username", "X-authentik-groups", "X-authentik-email", "X-authentik-name", "X-authentik-uid", "X-authentik-jwt", "X-authentik-meta-jwks", "X-authentik-meta-outpost", "X-authentik-meta-provider", "X-authentik-meta-app", "X-authentik-meta-version"]"#;

#[tokio::test]
async fn authentik_outpost_login_exchange() {
    let outpost = Authentik::new();
    let server = AuthServer::with_handler(outpost.handler()).await;
    let up = Upstream::new();
    // The guide's middleware, with the entrypoint's trusted X-Forwarded-Proto standing in for TLS.
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": true, "authResponseHeaders": {AUTHENTIK_HEADERS}}}"#,
        server.url("/outpost.goauthentik.io/auth/traefik")
    );
    let proxy = serve(chain(&cfg, &up)).await;
    let host = "Host: whoami.example.test\nX-Forwarded-Proto: https";

    // 1. First visit: 302 to the authorize URL and the session cookie, both relayed.
    let res = send(proxy.addr, &format!("GET /foo?x=1 HTTP/1.1\n{host}"), b"").await;
    assert_eq!(res.status, 302);
    let authorize = res.header("location").unwrap().to_owned();
    assert!(
        authorize.starts_with("https://authentik.example.test/application/o/authorize/?"),
        "{authorize}"
    );
    let set_cookie = res.header("set-cookie").unwrap();
    assert!(
        set_cookie.starts_with(outpost.cookie_name()),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("Secure"));
    let session = set_cookie.split(';').next().unwrap().to_owned();
    assert_eq!(up.count(), 0);
    let asked = server.last().unwrap();
    assert_eq!(
        asked.header("x-forwarded-host"),
        Some("whoami.example.test")
    );
    assert_eq!(asked.header("x-forwarded-uri"), Some("/foo?x=1"));

    // 2. The user logs in at the IdP, which sends the browser to the callback on the app host;
    //    the callback goes through forwardAuth (query signature) and comes back as a 302 home.
    let callback = outpost.login(&authorize, "akadmin").unwrap();
    let target = callback
        .strip_prefix("https://whoami.example.test")
        .unwrap();
    assert!(Recorded::query_param(target, "X-authentik-auth-callback").is_some());
    let res = send(
        proxy.addr,
        &format!("GET {target} HTTP/1.1\n{host}\nCookie: {session}"),
        b"",
    )
    .await;
    assert_eq!(res.status, 302, "{res:?}");
    assert_eq!(
        res.header("location"),
        Some("https://whoami.example.test/foo?x=1")
    );
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=86400"));
    assert_eq!(up.count(), 0);

    // 3. Authenticated: 200 with the identity headers, copied onto the upstream request.
    let res = send(
        proxy.addr,
        &format!("GET /foo?x=1 HTTP/1.1\n{host}\nCookie: {session}\nX-authentik-username: mallory"),
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    let seen = up.last();
    assert_eq!(seen.headers["x-authentik-username"], "akadmin");
    assert_eq!(seen.headers["x-authentik-groups"], "authentik Admins|users");
    assert!(seen.headers["x-authentik-jwt"].len() > 900);
    assert_eq!(
        seen.headers["x-authentik-meta-outpost"],
        "authentik Embedded Outpost"
    );
    assert!(
        !seen.headers.contains_key("x-authentik-entitlements"),
        "not in the guide's list"
    );
}

#[tokio::test]
async fn authentik_callback_without_the_relayed_cookie_is_a_400() {
    let outpost = Authentik::new();
    let server = AuthServer::with_handler(outpost.handler()).await;
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": true}}"#,
        server.url("/outpost.goauthentik.io/auth/traefik")
    );
    let proxy = serve(chain(&cfg, &Upstream::new())).await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    let callback = outpost
        .login(res.header("location").unwrap(), "akadmin")
        .unwrap();
    let target = callback.split_once("app.test").unwrap().1;
    let res = send(
        proxy.addr,
        &format!("GET {target} HTTP/1.1\nHost: app.test"),
        b"",
    )
    .await;
    assert_eq!(res.status, 400, "mismatched session ID");
}

#[tokio::test]
async fn authelia_status_conventions() {
    let authelia = Authelia::new();
    authelia.user("bob", "hunter2");
    authelia.deny("/admin");
    let server = AuthServer::with_handler(authelia.handler()).await;
    let up = Upstream::new();
    let cfg = format!(
        r#"{{"address": "{}", "trustForwardHeader": true, "authResponseHeaders": ["Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name"]}}"#,
        server.url("/api/authz/forward-auth")
    );
    let proxy = serve(chain(&cfg, &up)).await;
    let https = "Host: app.example.test\nX-Forwarded-Proto: https";

    let browser = send(
        proxy.addr,
        &format!("GET /x HTTP/1.1\n{https}\nAccept: text/html"),
        b"",
    )
    .await;
    assert_eq!(browser.status, 302);
    assert_eq!(
        browser.header("location"),
        Some("https://auth.example.test/?rd=https%3A%2F%2Fapp.example.test%2Fx&rm=GET")
    );
    let post = send(
        proxy.addr,
        &format!("POST /x HTTP/1.1\n{https}\nAccept: text/html"),
        b"a=1",
    )
    .await;
    assert_eq!(post.status, 303);
    let xhr = send(
        proxy.addr,
        &format!("GET /x HTTP/1.1\n{https}\nAccept: text/html\nX-Requested-With: XMLHttpRequest"),
        b"",
    )
    .await;
    assert_eq!(xhr.status, 401);
    let api = send(
        proxy.addr,
        &format!("GET /x HTTP/1.1\n{https}\nAccept: application/json"),
        b"",
    )
    .await;
    assert_eq!(api.status, 401);
    let plain_http = send(
        proxy.addr,
        "GET /x HTTP/1.1\nHost: app.example.test\nAccept: text/html",
        b"",
    )
    .await;
    assert_eq!(plain_http.status, 400, "Authelia refuses an http target");
    let bad_basic = send(
        proxy.addr,
        &format!("GET /x HTTP/1.1\n{https}\nAuthorization: Basic Ym9iOndyb25n"),
        b"",
    )
    .await;
    assert_eq!(bad_basic.status, 401);
    assert_eq!(
        bad_basic.header("www-authenticate"),
        Some("Basic realm=\"Authorization Required\"")
    );
    assert_eq!(up.count(), 0);

    let cookie = authelia.session_for("bob");
    let denied = send(
        proxy.addr,
        &format!("GET /admin HTTP/1.1\n{https}\nCookie: {cookie}"),
        b"",
    )
    .await;
    assert_eq!(denied.status, 403);
    let ok = send(
        proxy.addr,
        &format!("GET /x HTTP/1.1\n{https}\nCookie: {cookie}\nRemote-User: root"),
        b"",
    )
    .await;
    assert_eq!(ok.status, 200);
    let basic = send(
        proxy.addr,
        &format!("GET /x HTTP/1.1\n{https}\nAuthorization: Basic Ym9iOmh1bnRlcjI="),
        b"",
    )
    .await;
    assert_eq!(basic.status, 200);
    assert_eq!(up.count(), 2);
    assert_eq!(up.last().headers["remote-user"], "bob");
    assert_eq!(up.calls()[0].headers["remote-groups"], "admins,dev");
}

#[tokio::test]
async fn oauth2_proxy_status_conventions() {
    let o2p = OAuth2Proxy::new();
    let server = AuthServer::with_handler(o2p.handler()).await;
    let up = Upstream::new();
    let cfg = |q: &str| {
        format!(
            r#"{{"address": "{}", "trustForwardHeader": false, "authResponseHeaders": ["X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups"]}}"#,
            server.url(&format!("/oauth2/auth{q}"))
        )
    };
    let proxy = serve(chain(&cfg(""), &up)).await;
    let none = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(none.status, 401);
    let cookie = o2p.session_for("carol", &["dev"]);
    let ok = send(
        proxy.addr,
        &format!("GET / HTTP/1.1\nHost: app.test\nCookie: {cookie}"),
        b"",
    )
    .await;
    assert_eq!(ok.status, 200, "202 is a 2xx: allowed");
    assert_eq!(up.last().headers["x-auth-request-user"], "carol");

    let admins = serve(chain(&cfg("?allowed_groups=admins"), &up)).await;
    let forbidden = send(
        admins.addr,
        &format!("GET / HTTP/1.1\nHost: app.test\nCookie: {cookie}"),
        b"",
    )
    .await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(up.count(), 1);
}
