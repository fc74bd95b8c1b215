//! The auth backends' exchanges through the proxy binary, configured from the project's
//! fixtures in the guide's shape: Authentik's embedded outpost (first visit, callback, logged-in
//! visit, identity headers, sign-out), Authelia's and oauth2-proxy's conventions. Real servers
//! on 127.0.0.1 (testkit `AuthServer` with the backends' behaviours, a recording `Upstream`),
//! real TLS on the guide's `websecure` entrypoint.

mod common;
#[path = "common/e2e_auth.rs"]
mod e2e_auth;

use std::sync::Arc;

use bytes::Bytes;
use e2e_auth::{GUIDE_HEADERS, GUIDE_MIDDLEWARE, Stack, request};
use rampart_testkit::auth_backends::{Authelia, Authentik, OAuth2Proxy};
use rampart_testkit::auth_server::Handler;

/// Authentik with a second cookie on its redirects, as a sticky load balancer in front of the
/// outpost adds one: every `Set-Cookie` must reach the browser.
fn authentik_two_cookies(outpost: &Authentik) -> Handler {
    let inner = outpost.handler();
    Arc::new(move |req| {
        let reply = inner(req);
        if reply.status == 302 {
            reply.header("Set-Cookie", "ak_lb=outpost-1; Path=/; HttpOnly; Secure")
        } else {
            reply
        }
    })
}

fn assert_no_identity_from_client(app_req: &rampart_testkit::Recorded, user: &str) {
    for (name, value) in &app_req.headers {
        let folded: String = name
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
        if folded.starts_with("x-authentik") {
            assert_eq!(
                name.as_str(),
                folded,
                "an alias of an identity header reached the application: {name}"
            );
            assert_ne!(value, "mallory", "a forged {name} reached the application");
        }
    }
    assert_eq!(app_req.header("x-authentik-username"), user);
}

/// What whoami saw on the last (logged-in) visit: the outpost's 11 identity headers, once each,
/// and nothing a client forged.
fn assert_identity_of_a_logged_in_visit(stack: &Stack, host: &str, path: &str, cookie: &str) {
    let seen = stack.app.last_request().expect("whoami was called");
    assert_eq!(seen.path_and_query(), path);
    for name in GUIDE_HEADERS {
        assert!(seen.headers.contains_key(name), "{name} missing upstream");
        assert_eq!(seen.headers.get_all(name).iter().count(), 1, "{name}");
    }
    assert_no_identity_from_client(&seen, "akadmin");
    assert_eq!(seen.header("x-authentik-groups"), "authentik Admins|users");
    assert!(seen.header("x-authentik-jwt").len() > 900, "the whole JWT");
    assert!(
        !seen.headers.contains_key("x-authentik-entitlements"),
        "not in the guide's list: not copied"
    );
    assert_eq!(seen.header("x-forwarded-proto"), "https");
    assert_eq!(seen.header("x-forwarded-host"), host);
    assert_eq!(
        seen.header("cookie"),
        cookie,
        "the app gets the session cookie"
    );
}

#[tokio::test]
async fn authentik_login_flow_through_the_guide_config() {
    let outpost = Authentik::new();
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        authentik_two_cookies(&outpost),
        &["authentik.yaml", "whoami.yaml"],
        &[],
    )
    .await;
    let browser = stack.browser();
    let host = "whoami-individual.domain.tld";

    // 1. First visit: the outpost's 302 to the authorize URL, with every Set-Cookie.
    let first = browser.get(host, "/foo?x=1", &[]).await;
    assert_eq!(first.status, 302, "{}", first.text());
    let location = first.header("location").to_owned();
    assert!(
        location.starts_with("https://authentik.example.test/application/o/authorize/?"),
        "{location}"
    );
    assert!(
        location.contains("redirect_uri=https%3A%2F%2Fwhoami-individual.domain.tld%2Foutpost.goauthentik.io%2Fcallback"),
        "the outpost saw the browser's scheme and host: {location}"
    );
    let cookies = first.all("set-cookie");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(cookies[0].starts_with(outpost.cookie_name()), "{cookies:?}");
    assert!(
        cookies[0].contains("HttpOnly") && cookies[0].contains("Secure"),
        "attributes untouched: {cookies:?}"
    );
    assert!(cookies[1].starts_with("ak_lb=outpost-1"), "{cookies:?}");
    assert!(
        first.text().contains("Found"),
        "body relayed: {}",
        first.text()
    );
    let asked = stack.last_auth();
    assert_eq!(asked.method, "GET");
    assert_eq!(asked.path(), "/outpost.goauthentik.io/auth/traefik");
    assert_eq!(asked.header("x-forwarded-proto"), Some("https"));
    assert_eq!(asked.header("x-forwarded-host"), Some(host));
    assert_eq!(asked.header("x-forwarded-uri"), Some("/foo?x=1"));
    assert_eq!(asked.header("x-forwarded-method"), Some("GET"));
    assert_eq!(asked.header("x-forwarded-for"), Some("127.0.0.2"));
    assert_eq!(stack.app.request_count(), 0, "nothing reached whoami");

    // 2. The browser logs in at Authentik and comes back to the callback on the app host. The
    //    guide's outpost router (v2 placeholders under v3) never matches, so the callback goes
    //    through the app router's forwardAuth, where the outpost recognises its query signature.
    let callback_url = outpost
        .login(&location, "akadmin")
        .expect("the authorize URL carries a state");
    let callback_path = callback_url
        .strip_prefix(&format!("https://{host}"))
        .expect("the callback is on the app host")
        .to_owned();
    let session = first.cookie_pairs();
    let back = browser
        .get(host, &callback_path, &[("cookie", &session)])
        .await;
    assert_eq!(back.status, 302, "{}", back.text());
    assert_eq!(back.header("location"), format!("https://{host}/foo?x=1"));
    assert!(
        back.header("set-cookie").starts_with(outpost.cookie_name()),
        "{:?}",
        back.all("set-cookie")
    );
    assert_eq!(
        stack.last_auth().header("x-forwarded-uri"),
        Some(callback_path.as_str())
    );
    assert_eq!(
        stack.app.request_count(),
        0,
        "the callback never reaches whoami"
    );

    // 3. The next visit, with the session and forged identity headers in every spelling the
    //    HTTP parser lets through: 200 from whoami, the outpost's identity only.
    let cookie = back.cookie_pairs();
    let ok = browser
        .get(
            host,
            "/foo?x=1",
            &[
                ("cookie", &cookie),
                ("X-authentik-username", "mallory"),
                ("X_Authentik_Username", "mallory"),
                ("X.authentik.username", "mallory"),
                ("x-authentik-groups", "mallory"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.text(), "whoami");
    assert_identity_of_a_logged_in_visit(&stack, host, "/foo?x=1", &cookie);

    // The other protected host shares the outpost (the session is host-only in single mode,
    // so the outpost asks again there).
    let other = browser
        .get("whoami-catchall.domain.tld", "/", &[("cookie", &cookie)])
        .await;
    assert_eq!(other.status, 200);
    stack.proxy.stop().await;
}

#[tokio::test]
async fn authentik_sign_out_without_reserved_prefix_reaches_the_app_as_in_traefik() {
    // The guide's outpost router never matches under v3 rules (SOURCE.txt gotcha 4): a
    // logged-in `/outpost.goauthentik.io/sign_out` passes forwardAuth and is forwarded to the
    // application — the session survives. `reservedPathPrefix` (auth_reserved_paths.rs) fixes it.
    let outpost = Authentik::new();
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        outpost.handler(),
        &["authentik.yaml", "whoami.yaml"],
        &[],
    )
    .await;
    let session = outpost.session_for("akadmin");
    let browser = stack.browser();
    let host = "whoami-individual.domain.tld";
    let out = browser
        .get(
            host,
            "/outpost.goauthentik.io/sign_out",
            &[("cookie", &session)],
        )
        .await;
    assert_eq!(out.status, 200);
    assert_eq!(out.text(), "whoami");
    assert_eq!(
        stack.app.last_request().unwrap().path_and_query(),
        "/outpost.goauthentik.io/sign_out"
    );
    let still = browser.get(host, "/", &[("cookie", &session)]).await;
    assert_eq!(still.status, 200, "the session was not ended");
    stack.proxy.stop().await;
}

#[tokio::test]
async fn authentik_forwarded_headers_from_a_trusted_proxy_and_from_the_internet() {
    let outpost = Authentik::new();
    let stack = Stack::start(GUIDE_MIDDLEWARE, outpost.handler(), &["whoami.yaml"], &[]).await;
    let host = "whoami-individual.domain.tld";
    let forged = [
        ("x-forwarded-proto", "http"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-uri", "/outpost.goauthentik.io/ping"),
        ("x-forwarded-for", "203.0.113.7"),
        ("X_Forwarded_Host", "evil.example"),
        ("X.Forwarded.Proto", "http"),
    ];
    // From the internet: rampart's own values (the outpost builds its redirect from them), and
    // no alias a CGI-style auth server would fold onto them.
    let res = stack.browser().get(host, "/private", &forged).await;
    assert_eq!(res.status, 302);
    let asked = stack.last_auth();
    assert_eq!(asked.header("x-forwarded-proto"), Some("https"));
    assert_eq!(asked.header("x-forwarded-host"), Some(host));
    assert_eq!(asked.header("x-forwarded-uri"), Some("/private"));
    assert_eq!(asked.header_all("x-forwarded-for"), ["127.0.0.2"]);
    assert!(
        asked
            .headers
            .iter()
            .all(|(k, _)| !k.to_ascii_lowercase().starts_with("x_forwarded")
                && !k.to_ascii_lowercase().starts_with("x.forwarded")),
        "{:?}",
        asked.headers
    );
    assert!(
        res.header("location")
            .contains("whoami-individual.domain.tld"),
        "{}",
        res.header("location")
    );

    // From Cloudflare (trusted): its values are kept, the peer appended (trustForwardHeader).
    let res = stack
        .cloudflare()
        .get(
            host,
            "/private",
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-for", "203.0.113.7"),
            ],
        )
        .await;
    assert_eq!(res.status, 302);
    let asked = stack.last_auth();
    assert_eq!(asked.header("x-forwarded-proto"), Some("https"));
    assert_eq!(
        asked.header("x-forwarded-for"),
        Some("203.0.113.7, 127.0.0.1")
    );
    assert_eq!(stack.app.request_count(), 0);
    stack.proxy.stop().await;
}

#[tokio::test]
async fn authelia_conventions_through_the_binary() {
    let authelia = Authelia::new();
    authelia.user("john", "password");
    authelia.deny("/admin");
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        authelia.handler(),
        &["authelia.yaml"],
        &[],
    )
    .await;
    let browser = stack.browser();
    let host = "wiki.domain.tld";
    let html = ("accept", "text/html,application/xhtml+xml");

    // A page navigation without a session: 302 to the portal, target and method in the query.
    let res = browser.get(host, "/page?id=7", &[html]).await;
    assert_eq!(res.status, 302);
    assert_eq!(
        res.header("location"),
        "https://auth.example.test/?rd=https%3A%2F%2Fwiki.domain.tld%2Fpage%3Fid%3D7&rm=GET"
    );
    // Other methods: 303 (Authelia), relayed as is.
    let post = browser
        .send(request("POST", host, "/form", &[html], Bytes::from("a=1")))
        .await;
    assert_eq!(post.status, 303);
    assert!(post.header("location").ends_with("&rm=POST"));
    // XHR and API clients: 401, so a single-page app can react.
    let xhr = browser
        .get(
            host,
            "/api",
            &[html, ("x-requested-with", "XMLHttpRequest")],
        )
        .await;
    assert_eq!(xhr.status, 401);
    // Wrong Basic credentials: 401 with the challenge relayed.
    let basic = browser
        .get(host, "/", &[("authorization", "Basic am9objp3cm9uZw==")])
        .await;
    assert_eq!(basic.status, 401);
    assert_eq!(
        basic.header("www-authenticate"),
        "Basic realm=\"Authorization Required\""
    );
    assert_eq!(stack.app.request_count(), 0);

    // Right Basic credentials (john:password) and a session cookie: through, with Remote-*.
    let ok = browser
        .get(
            host,
            "/",
            &[
                ("authorization", "Basic am9objpwYXNzd29yZA=="),
                ("remote-user", "admin"),
                ("Remote_Groups", "admins"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200);
    let seen = stack.app.last_request().unwrap();
    assert_eq!(seen.header("remote-user"), "john");
    assert_eq!(seen.header("remote-groups"), "admins,dev");
    assert!(!seen.headers.contains_key("remote_groups"));
    let session = authelia.session_for("jane");
    let ok = browser.get(host, "/", &[("cookie", &session)]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        stack.app.last_request().unwrap().header("remote-user"),
        "jane"
    );
    assert_eq!(
        stack.last_auth().header("x-forwarded-method"),
        Some("GET"),
        "Authelia requires X-Forwarded-Method"
    );
    // A denied resource: 403.
    let denied = browser.get(host, "/admin/x", &[("cookie", &session)]).await;
    assert_eq!(denied.status, 403);
    assert_eq!(stack.app.request_count(), 2);

    // A TLS terminator in front that says `http`: Authelia refuses the insecure target (400),
    // and rampart relays the refusal rather than forwarding.
    let insecure = stack
        .cloudflare()
        .get(
            host,
            "/",
            &[("x-forwarded-proto", "http"), ("cookie", &session)],
        )
        .await;
    assert_eq!(insecure.status, 400);
    assert!(insecure.text().contains("insecure scheme 'http'"));
    assert_eq!(stack.app.request_count(), 2);
    stack.proxy.stop().await;
}

#[tokio::test]
async fn oauth2_proxy_conventions_through_the_binary() {
    let oauth = OAuth2Proxy::new();
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        oauth.handler(),
        &["oauth2-proxy.yaml"],
        &[],
    )
    .await;
    let browser = stack.browser();
    let host = "grafana.domain.tld";

    // No session: oauth2-proxy's 401 relayed (no errors middleware configured).
    let res = browser.get(host, "/d/home", &[]).await;
    assert_eq!(
        (res.status.as_u16(), res.text().as_str()),
        (401, "Unauthorized")
    );
    assert_eq!(stack.app.request_count(), 0);

    // `/oauth2/start` and `/oauth2/callback` reach oauth2-proxy on the app host (reserved
    // prefix): both Set-Cookie of the callback are relayed.
    let start = browser.get(host, "/oauth2/start?rd=%2Fd%2Fhome", &[]).await;
    assert_eq!(start.status, 302);
    assert!(
        start
            .header("set-cookie")
            .starts_with("_oauth2_proxy_csrf=")
    );
    assert_eq!(stack.last_auth().path(), "/oauth2/start");
    assert_eq!(
        stack.last_auth().header("host"),
        Some(host),
        "the client's Host goes to the auth backend"
    );
    let cb = browser
        .get(host, "/oauth2/callback?code=abc&state=%2Fd%2Fhome", &[])
        .await;
    assert_eq!(cb.status, 302);
    assert_eq!(cb.header("location"), "/d/home");
    let cookies = cb.all("set-cookie");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert_eq!(cb.header("cache-control"), "no-store");
    assert_eq!(stack.app.request_count(), 0);

    // With the session: 202 is an allow; the X-Auth-Request-* headers reach the app.
    let session = cb.cookie_pairs();
    let ok = browser
        .get(
            host,
            "/d/home",
            &[("cookie", &session), ("x-auth-request-user", "admin")],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let seen = stack.app.last_request().unwrap();
    assert_eq!(seen.header("x-auth-request-user"), "callback-user");
    assert!(
        !seen.headers.contains_key("gap-auth"),
        "not listed: not copied"
    );

    // `?allowed_groups=` on the address: 403 for a user outside the group, 202 inside.
    let outsider = oauth.session_for("eve", &["users"]);
    let res = browser
        .get("admin.domain.tld", "/", &[("cookie", &outsider)])
        .await;
    assert_eq!(res.status, 403);
    let admin = oauth.session_for("ada", &["admins"]);
    let res = browser
        .get("admin.domain.tld", "/", &[("cookie", &admin)])
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        stack
            .app
            .last_request()
            .unwrap()
            .header("x-auth-request-user"),
        "ada"
    );

    // Sign-out through the reserved prefix: the expiring cookie reaches the browser.
    let out = browser
        .get(host, "/oauth2/sign_out", &[("cookie", &session)])
        .await;
    assert_eq!(out.status, 302);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    stack.proxy.stop().await;
}
