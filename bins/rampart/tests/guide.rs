//! The guide's set-up end to end: `fixtures/guide/` (static `traefik.yaml` and the `rules/`
//! directory) served by the whole proxy, with a real Authentik-like outpost as the auth server
//! and real upstreams, over real TLS handshakes.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use e2e::{DOMAIN, Guide, get_host};
use rampart_testkit::AuthServer;
use rampart_testkit::auth_backends::Authentik;

async fn guide() -> (Guide, Authentik) {
    let ak = Authentik::new();
    let auth = AuthServer::with_handler(ak.handler()).await;
    (Guide::start(auth).await, ak)
}

#[tokio::test]
async fn apps_behind_authentik_redirect_to_login_then_serve_with_identity() {
    let (g, ak) = guide().await;
    let host = format!("whoami-individual.{DOMAIN}");
    let client = g.tls(&host);

    // No session: the outpost's 302 to the login page is relayed, with its cookie.
    let res = client.get("/private?x=1", &[]).await;
    assert_eq!(res.status, 302, "{}", res.body);
    assert!(
        res.header("location")
            .starts_with("https://authentik.example.test/application/o/authorize/"),
        "{:?}",
        res.headers
    );
    assert!(res.header("set-cookie").starts_with(ak.cookie_name()));
    assert_eq!(
        g.whoami.request_count(),
        0,
        "the app never sees an anonymous request"
    );

    // What the outpost was asked: the request as the client made it, over TLS.
    let asked = g.auth.last().expect("the auth server was called");
    assert_eq!(asked.path(), "/outpost.goauthentik.io/auth/traefik");
    assert_eq!(asked.header("x-forwarded-proto"), Some("https"));
    assert_eq!(asked.header("x-forwarded-host"), Some(host.as_str()));
    assert_eq!(asked.header("x-forwarded-uri"), Some("/private?x=1"));
    assert_eq!(asked.header("x-forwarded-method"), Some("GET"));

    // Logged in: the app gets the request with Authentik's identity headers.
    let session = ak.session_for("akadmin");
    let res = client
        .get("/private?x=1", &[("cookie", session.as_str())])
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let seen = g.whoami.last_request().expect("the app was called");
    assert_eq!(seen.path_and_query(), "/private?x=1");
    assert_eq!(seen.header("x-authentik-username"), "akadmin");
    assert_eq!(seen.header("x-authentik-email"), "akadmin@example.test");
    assert_eq!(seen.header("x-forwarded-proto"), "https");
    assert_eq!(seen.header("x-forwarded-host"), host);
    assert_eq!(seen.header("host"), host, "passHostHeader defaults to true");

    // A spoofed identity header from the client never reaches the app.
    let res = client
        .get(
            "/",
            &[
                ("cookie", session.as_str()),
                ("x-authentik-username", "someone-else"),
            ],
        )
        .await;
    assert_eq!(res.status, 200);
    let seen = g.whoami.last_request().expect("the app was called");
    assert_eq!(
        seen.headers
            .get_all("x-authentik-username")
            .iter()
            .collect::<Vec<_>>(),
        ["akadmin"]
    );
    g.proxy.stop().await;
}

#[tokio::test]
async fn apps_without_middlewares_and_authentik_itself_are_served() {
    let (g, _) = guide().await;
    let res = g.tls(&format!("whoami.{DOMAIN}")).get("/hello", &[]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.starts_with("GET /hello HTTP/1.1"), "{}", res.body);
    assert_eq!(g.auth.count(), 0, "no auth on the public app");

    let res = g
        .tls(&format!("authentik.{DOMAIN}"))
        .get("/if/flow/", &[])
        .await;
    assert_eq!((res.status, res.body.as_str()), (200, "authentik"));
    g.proxy.stop().await;
}

#[tokio::test]
async fn http2_over_tls_reaches_an_http1_upstream() {
    let (g, _) = guide().await;
    let client = g.tls(&format!("whoami.{DOMAIN}"));
    let res = client.get("/h2", &[]).await;
    assert_eq!(res.version, http::Version::HTTP_2, "ALPN chose h2");
    assert_eq!(res.status, 200);
    let seen = g.whoami.last_request().expect("the app was called");
    assert_eq!(seen.version, http::Version::HTTP_11);
    assert_eq!(
        seen.header("host"),
        format!("whoami.{DOMAIN}"),
        ":authority becomes Host"
    );

    let res = client.with_alpn(&[b"http/1.1"]).get("/h1", &[]).await;
    assert_eq!(res.version, http::Version::HTTP_11);
    assert_eq!(res.status, 200);
    g.proxy.stop().await;
}

#[tokio::test]
async fn web_redirects_everything_to_websecure_on_its_real_port() {
    let (g, _) = guide().await;
    let port = g.proxy.addr("websecure").port();
    let res = get_host(
        g.proxy.addr("web"),
        &format!("whoami.{DOMAIN}"),
        "/a/b?c=d",
        &[],
    )
    .await;
    assert_eq!(res.status, 301, "permanent by default (GET)");
    assert_eq!(
        res.header("location"),
        format!("https://whoami.{DOMAIN}:{port}/a/b?c=d")
    );
    assert_eq!(res.body, "Moved Permanently");

    // Other methods keep theirs: 308.
    let mut conn = e2e::H1Conn::open(g.proxy.addr("web")).await;
    let res = conn
        .send(e2e::request("POST", "/form", &[("host", "unknown.host")]))
        .await
        .expect("answer");
    assert_eq!(res.status, 308, "every host is redirected");
    assert_eq!(g.whoami.request_count(), 0);
    g.proxy.stop().await;
}

#[tokio::test]
async fn the_broken_compress_file_fails_its_chain_closed_and_spares_the_rest() {
    let (g, _) = guide().await;
    // `chain-no-auth` names `middlewares-compress`, whose file is invalid YAML: its router is
    // left out (404), never served without the chain.
    let res = g.tls(&format!("whoami-chain.{DOMAIN}")).get("/", &[]).await;
    assert_eq!(res.status, 404);
    assert_eq!(g.whoami.request_count(), 0);
    // Every other file loaded, the templated secure-headers one included.
    let res = g.tls(&format!("whoami.{DOMAIN}")).get("/", &[]).await;
    assert_eq!(res.status, 200);
    g.proxy.stop().await;
}

#[tokio::test]
async fn the_v2_outpost_rule_never_matches_so_outpost_paths_go_through_auth() {
    let (g, _) = guide().await;
    let host = format!("whoami-catchall.{DOMAIN}");
    // Traefik 3 reads `{subdomain:[a-z0-9-]+}` as a regular expression matching those braces
    // literally: the outpost router never wins, the app's router (with forwardAuth) does.
    let res = g
        .tls(&host)
        .get("/outpost.goauthentik.io/sign_out", &[])
        .await;
    assert_eq!(res.status, 302, "{}", res.body);
    assert_eq!(
        g.authentik.request_count(),
        0,
        "not routed to authentik-svc"
    );
    let asked = g.auth.last().expect("forwardAuth ran");
    assert_eq!(
        asked.header("x-forwarded-uri"),
        Some("/outpost.goauthentik.io/sign_out")
    );
    g.proxy.stop().await;
}

#[tokio::test]
async fn unknown_hosts_get_traefiks_404_and_unknown_sni_no_handshake() {
    let (g, _) = guide().await;
    let res = g.tls(&format!("nothing-here.{DOMAIN}")).get("/", &[]).await;
    assert_eq!(res.status, 404);
    assert_eq!(res.body, "404 page not found\n");
    assert_eq!(res.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(res.header("x-content-type-options"), "nosniff");

    // tls-opts has sniStrict: a name no certificate covers gets no handshake at all.
    let refused = g.tls("elsewhere.invalid").handshake().await;
    assert!(refused.is_err(), "sniStrict refuses unknown names");
    g.proxy.stop().await;
}

#[tokio::test]
async fn trusted_peers_keep_their_forwarded_headers_and_are_appended() {
    let (g, _) = guide().await;
    // The guide trusts 127.0.0.1/32 on websecure (a CDN or a local proxy in front).
    let res = g
        .tls(&format!("whoami.{DOMAIN}"))
        .get(
            "/",
            &[
                ("x-forwarded-for", "203.0.113.9"),
                ("x-forwarded-host", "public.example.org"),
                ("x-real-ip", "203.0.113.9"),
            ],
        )
        .await;
    assert_eq!(res.status, 200);
    let seen = g.whoami.last_request().expect("the app was called");
    assert_eq!(seen.header("x-forwarded-for"), "203.0.113.9, 127.0.0.1");
    assert_eq!(seen.header("x-forwarded-host"), "public.example.org");
    assert_eq!(seen.header("x-real-ip"), "203.0.113.9");
    g.proxy.stop().await;
}
