//! Reserved auth paths (`reservedPathPrefix`) through the binary: the guide's priority trap
//! reproduced without the option (the application's longer rule wins, `/outpost.goauthentik.io/`
//! goes to the application), then fixed by it on every protected host; `rampart explain` and
//! `rampart check` (the real binary) show the internal router and why it wins.

mod common;
#[path = "common/e2e_auth.rs"]
mod e2e_auth;

use e2e_auth::{GUIDE_MIDDLEWARE, RESERVED_MIDDLEWARE, Stack, rampart_cli};
use rampart_testkit::auth_backends::Authentik;

const APP: &str = "whoami-individual.domain.tld";

#[tokio::test]
async fn without_the_option_the_longer_app_rule_wins_the_outpost_path() {
    let outpost = Authentik::new();
    let stack = Stack::start(
        GUIDE_MIDDLEWARE,
        outpost.handler(),
        &["priority-trap.yaml"],
        &[],
    )
    .await;
    let session = outpost.session_for("akadmin");
    let browser = stack.browser();

    // sign_out goes to the application router: forwardAuth says 200, whoami gets the request,
    // and the session is not ended.
    let out = browser
        .get(
            APP,
            "/outpost.goauthentik.io/sign_out",
            &[("cookie", &session)],
        )
        .await;
    assert_eq!((out.status.as_u16(), out.text().as_str()), (200, "whoami"));
    assert_eq!(
        stack.app.last_request().unwrap().path_and_query(),
        "/outpost.goauthentik.io/sign_out"
    );
    let asked = stack.last_auth();
    assert_eq!(asked.path(), "/outpost.goauthentik.io/auth/traefik");
    assert_eq!(
        asked.header("x-forwarded-uri"),
        Some("/outpost.goauthentik.io/sign_out")
    );

    // `rampart explain` says why: the application's rule is longer.
    let (ok, explained, err) = rampart_cli(
        &stack.proxy,
        &[
            "explain",
            "https://whoami-individual.domain.tld/outpost.goauthentik.io/callback?X-authentik-auth-callback=true",
        ],
    );
    assert!(ok, "{err}");
    let websecure = explained
        .split("entrypoint websecure")
        .nth(1)
        .expect("websecure is explained");
    assert!(
        websecure.contains(
            "whoami-rtr@file matched and wins by its priority 98, the length of its rule, above whoami-outpost-rtr@file (78 from rule length)"
        ),
        "{explained}"
    );
    stack.proxy.stop().await;
}

#[tokio::test]
async fn reserved_prefix_sends_the_outpost_paths_to_the_outpost_on_every_protected_host() {
    let outpost = Authentik::new();
    let stack = Stack::start(
        RESERVED_MIDDLEWARE,
        outpost.handler(),
        &["priority-trap.yaml", "whoami.yaml"],
        &[],
    )
    .await;
    let browser = stack.browser();

    for host in [APP, "whoami.domain.tld", "whoami-catchall.domain.tld"] {
        // The login: 302 from forwardAuth, then the callback goes straight to the outpost.
        let first = browser.get(host, "/page", &[]).await;
        assert_eq!(first.status, 302, "{host}");
        let callback = outpost
            .login(first.header("location"), "akadmin")
            .expect("a state");
        let path = callback
            .strip_prefix(&format!("https://{host}"))
            .unwrap_or_else(|| panic!("callback on {host}: {callback}"))
            .to_owned();
        let before = stack.app.request_count();
        let back = browser
            .get(host, &path, &[("cookie", &first.cookie_pairs())])
            .await;
        assert_eq!(back.status, 302, "{host}: {}", back.text());
        assert_eq!(back.header("location"), format!("https://{host}/page"));
        assert_eq!(back.header("cache-control"), "no-store");
        let asked = stack.last_auth();
        assert_eq!(asked.target, path, "{host}: proxied as the browser sent it");
        assert_eq!(asked.header("host"), Some(host));
        assert_eq!(asked.header("x-forwarded-proto"), Some("https"));
        assert_eq!(stack.app.request_count(), before, "{host}: not the app");

        // Logged in; then sign_out reaches the outpost, which ends the session.
        let cookie = back.cookie_pairs();
        let ok = browser.get(host, "/page", &[("cookie", &cookie)]).await;
        assert_eq!(ok.status, 200, "{host}");
        let out = browser
            .get(
                host,
                "/outpost.goauthentik.io/sign_out",
                &[("cookie", &cookie)],
            )
            .await;
        assert_eq!(out.status, 302, "{host}");
        assert_eq!(
            out.header("location"),
            "https://authentik.example.test/application/o/end-session/"
        );
        assert!(out.header("set-cookie").contains("Max-Age=0"));
        assert_eq!(stack.last_auth().path(), "/outpost.goauthentik.io/sign_out");
        let again = browser.get(host, "/page", &[("cookie", &cookie)]).await;
        assert_eq!(again.status, 302, "{host}: signed out");
    }
    assert!(
        stack
            .app
            .requests()
            .iter()
            .all(|r| !r.path_and_query().starts_with("/outpost.goauthentik.io/")),
        "no outpost path ever reached the application"
    );

    // A host no router protects with the middleware is not given the prefix.
    let (ok, explained, err) = rampart_cli(
        &stack.proxy,
        &[
            "explain",
            "https://unprotected.domain.tld/outpost.goauthentik.io/sign_out",
        ],
    );
    assert!(ok, "{err}");
    assert!(explained.contains("no router matched"), "{explained}");
    stack.proxy.stop().await;
}

#[tokio::test]
async fn explain_and_check_show_the_reserved_router() {
    let outpost = Authentik::new();
    let stack = Stack::start(
        RESERVED_MIDDLEWARE,
        outpost.handler(),
        &["priority-trap.yaml"],
        &[],
    )
    .await;
    let (ok, explained, err) = rampart_cli(
        &stack.proxy,
        &[
            "explain",
            "https://whoami-individual.domain.tld/outpost.goauthentik.io/callback?code=x",
        ],
    );
    assert!(ok, "{err}");
    let websecure = explained
        .split("entrypoint websecure")
        .nth(1)
        .expect("websecure is explained");
    assert!(
        websecure.contains("whoami-rtr-auth-path@internal matched and wins"),
        "{explained}"
    );
    assert!(websecure.contains("reservedPathPrefix"), "{explained}");

    let (ok, checked, err) = rampart_cli(&stack.proxy, &["check"]);
    assert!(ok, "{checked}\n{err}");
    let line = checked
        .lines()
        .find(|l| l.contains("whoami-rtr-auth-path@internal"))
        .unwrap_or_else(|| panic!("check lists the reserved router:\n{checked}"));
    assert!(
        line.contains("PathPrefix(`/outpost.goauthentik.io/`)"),
        "{line}"
    );
    stack.proxy.stop().await;
}
