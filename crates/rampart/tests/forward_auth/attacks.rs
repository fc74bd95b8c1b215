//! Attacks, written before the code they pin (attack catalogue §A, §B, §H, §I, §J).

use std::time::Duration;

use bytes::Bytes;
use rampart_testkit::auth_server::{Action, AuthServer, Reply};
use rampart_testkit::{TestCa, TestCert};

use super::support::{Upstream, chain, send, serve};

const IDENTITY: &str = r#""authResponseHeaders": ["X-authentik-username", "X-authentik-groups", "Remote-User"], "trustForwardHeader": false"#;

/// Every spelling of the identity headers a backend may fold onto the real ones.
const SPOOFS: &str = "X-Authentik-Username: akadmin\nx-authentik-username: akadmin2\nX_authentik_username: akadmin3\nX.authentik.username: akadmin4\nX~Authentik~Username: akadmin5\nX-authentik-groups: admins\nRemote_User: admin\nremote.user: admin";

fn assert_no_spoof(headers: &http::HeaderMap) {
    for (name, value) in headers {
        let v = value.to_str().unwrap_or("");
        assert!(
            !v.starts_with("akadmin") && v != "admins" && v != "admin",
            "spoofed {name}: {v} reached the upstream"
        );
    }
}

#[tokio::test]
async fn a1_spoofed_identity_headers_are_dropped_when_auth_sends_none() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/verify")),
        &up,
    ))
    .await;
    let res = send(
        proxy.addr,
        &format!("GET /admin/ HTTP/1.1\nHost: app.test\n{SPOOFS}"),
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    let seen = up.last();
    assert_no_spoof(&seen.headers);
    assert!(!seen.headers.contains_key("x-authentik-username"));
}

#[tokio::test]
async fn a2_auth_values_replace_every_spoofed_spelling() {
    let auth = AuthServer::start(|_| {
        Reply::status(200)
            .header("X-authentik-username", "alice")
            .header("X-authentik-groups", "users")
    })
    .await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/verify")),
        &up,
    ))
    .await;
    let res = send(
        proxy.addr,
        &format!("GET /admin/ HTTP/1.1\nHost: app.test\n{SPOOFS}\nX-AUTHENTIK-USERNAME: last"),
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    let seen = up.last();
    assert_no_spoof(&seen.headers);
    let users: Vec<_> = seen
        .headers
        .get_all("x-authentik-username")
        .iter()
        .collect();
    assert_eq!(users, ["alice"]);
    assert_eq!(seen.headers["x-authentik-groups"], "users");
    assert!(
        seen.headers
            .keys()
            .all(|k| !k.as_str().contains(['_', '.', '~'])),
        "{:?}",
        seen.headers
    );
}

#[tokio::test]
async fn a4_regex_deletes_every_matching_client_header() {
    let auth = AuthServer::start(|_| Reply::status(200).header("X-Auth-User", "alice")).await;
    let up = Upstream::new();
    let cfg = format!(
        r#"{{"address": "{}", "authResponseHeadersRegex": "^X-Auth-"}}"#,
        auth.url("/")
    );
    let proxy = serve(chain(&cfg, &up)).await;
    send(
        proxy.addr,
        "GET / HTTP/1.1\nHost: a\nX-Auth-Role: admin\nx-auth-email: a@b\nX_Auth_Role: admin",
        b"",
    )
    .await;
    let seen = up.last();
    assert_eq!(seen.headers["x-auth-user"], "alice");
    assert!(!seen.headers.contains_key("x-auth-role"));
    assert!(!seen.headers.contains_key("x-auth-email"));
    assert!(!seen.headers.contains_key("x_auth_role"));
}

#[tokio::test]
async fn a5_connection_header_cannot_drop_the_injected_identity() {
    let auth =
        AuthServer::start(|_| Reply::status(200).header("X-authentik-username", "alice")).await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/")),
        &up,
    ))
    .await;
    send(
        proxy.addr,
        "GET /admin/ HTTP/1.1\nHost: app.test\nConnection: keep-alive, X-authentik-username, Remote-User\nConnection: x_authentik_username",
        b"",
    )
    .await;
    assert_eq!(up.last().headers["x-authentik-username"], "alice");
}

#[tokio::test]
async fn b1_untrusted_forwarded_headers_never_reach_the_auth_server() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/verify")),
        &up,
    ))
    .await;
    send(
        proxy.addr,
        "GET /admin/x?y=1 HTTP/1.1\nHost: app.test\nX-Forwarded-For: 10.0.0.1\nX-Real-Ip: 10.0.0.1\nX-Forwarded-Host: admin.internal\nX-Forwarded-Proto: https\nX-Forwarded-Port: 443\nX-Forwarded-Uri: /public/ok\nX-Forwarded-Method: GET\nX-Forwarded-Prefix: /public\nX-Forwarded-Server: trusted\nX-Forwarded-Tls-Client-Cert: MIIB\nX_Forwarded_Host: evil\nX.Forwarded.Uri: /public",
        b"",
    )
    .await;
    let seen = auth.last().unwrap();
    assert_eq!(seen.header_all("x-forwarded-for"), ["127.0.0.1"]);
    assert_eq!(seen.header("x-forwarded-method"), Some("GET"));
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
    assert_eq!(seen.header("x-forwarded-host"), Some("app.test"));
    assert_eq!(seen.header("x-forwarded-uri"), Some("/admin/x?y=1"));
    assert_eq!(seen.header("x-forwarded-port"), Some("80"));
    for gone in [
        "x-forwarded-prefix",
        "x-forwarded-server",
        "x-forwarded-tls-client-cert",
        "x-real-ip",
        "x_forwarded_host",
        "x.forwarded.uri",
    ] {
        assert_eq!(seen.header(gone), None, "{gone}");
    }
}

#[tokio::test]
async fn h1_websocket_upgrade_without_session_never_reaches_the_upstream() {
    let auth = AuthServer::start(|_| Reply::status(401).header("WWW-Authenticate", "Bearer")).await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/verify")),
        &up,
    ))
    .await;
    let res = send(
        proxy.addr,
        "GET /admin/ws HTTP/1.1\nHost: app.test\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\nOrigin: https://evil.test",
        b"",
    )
    .await;
    assert_eq!(res.status, 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(up.count(), 0);
    let seen = auth.last().unwrap();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.header("upgrade"), None);
    assert_eq!(seen.header("connection"), None);
    assert_eq!(seen.header("x-forwarded-proto"), Some("ws"));
    assert_eq!(seen.header("x-forwarded-uri"), Some("/admin/ws"));
}

/// §I: whatever the auth server does wrong, nothing reaches the upstream and the client gets
/// a clear status.
#[tokio::test]
async fn i_auth_server_failures_fail_closed() {
    let cases: Vec<(&str, Reply, u16)> = vec![
        ("never answers", Reply::hang(), 500),
        ("stalls the body", Reply::status(200).action(Action::StallBody), 500),
        ("closes", Reply::status(200).action(Action::Close), 500),
        ("garbage status line", Reply::status(200).action(Action::Raw(Bytes::from_static(b"HTTP/1.1 2OO OK\r\n\r\n"))), 500),
        ("obs-fold header", Reply::status(200).action(Action::Raw(Bytes::from_static(b"HTTP/1.1 200 OK\r\nX-authentik-username: alice\r\n\tadmin\r\nContent-Length: 0\r\n\r\n"))), 500),
        ("bare CR in a value", Reply::status(200).action(Action::Raw(Bytes::from_static(b"HTTP/1.1 200 OK\r\nX-authentik-username: alice\radmin\r\nContent-Length: 0\r\n\r\n"))), 500),
        ("truncated body", Reply::status(200).action(Action::Raw(Bytes::from_static(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))), 500),
        ("huge body over the default limit", Reply::status(200).action(Action::Huge(4 << 20)), 401),
        ("unparsable Location", Reply::status(302).header("Location", "http://[::1"), 500),
        ("101 to a plain GET", Reply::status(200).action(Action::Raw(Bytes::from_static(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))), 500),
        ("199 then nothing", Reply::status(200).action(Action::Raw(Bytes::from_static(b"HTTP/1.1 199 Wait\r\n\r\n"))), 500),
        ("5xx", Reply::status(503).header("Retry-After", "5").body("starting"), 503),
    ];
    for (what, reply, want) in cases {
        let auth = AuthServer::script(vec![reply]).await;
        let up = Upstream::new();
        let cfg = format!(
            r#"{{"address": "{}", {IDENTITY}, "timeout": "1s"}}"#,
            auth.url("/verify")
        );
        let proxy = serve(chain(&cfg, &up)).await;
        let res = send(proxy.addr, "GET /admin/ HTTP/1.1\nHost: app.test", b"").await;
        assert_eq!(res.status, want, "{what}");
        assert_eq!(up.count(), 0, "{what}: the upstream was called");
    }
    let down = AuthServer::down().await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "http://{down}/", {IDENTITY}}}"#),
        &up,
    ))
    .await;
    assert_eq!(
        send(proxy.addr, "GET / HTTP/1.1\nHost: a", b"")
            .await
            .status,
        500
    );
    assert_eq!(up.count(), 0);
}

#[tokio::test]
async fn i5_tls_auth_server_is_verified() {
    let ca = TestCa::new("rampart test CA");
    let cert: TestCert = ca.server_cert(&["localhost"]);
    let auth =
        AuthServer::start_tls(&cert, |_| Reply::status(200).header("Remote-User", "alice")).await;
    let dir = tempdir();
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.cert_pem()).unwrap();

    let cases = [
        (format!(r#""tls": {{"ca": "{}"}}"#, ca_path.display()), 200),
        (format!(r#""tls": {{"ca": {:?}}}"#, ca.cert_pem()), 200),
        (r#""tls": {"insecureSkipVerify": true}"#.to_owned(), 200),
        (
            format!(r#""tls": {{"ca": {:?}}}"#, TestCa::new("other").cert_pem()),
            500,
        ),
    ];
    for (tls, want) in cases {
        let up = Upstream::new();
        let cfg = format!(
            r#"{{"address": "{}", {IDENTITY}, {tls}}}"#,
            auth.url("/verify")
        );
        let proxy = serve(chain(&cfg, &up)).await;
        let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
        assert_eq!(res.status, want, "{tls}");
        if want == 200 {
            assert_eq!(up.last().headers["remote-user"], "alice");
        } else {
            assert_eq!(up.count(), 0);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rampart-fa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn j1_login_redirect_sees_the_real_host_and_scheme() {
    let auth = AuthServer::start(|req| {
        let target = format!(
            "{}://{}{}",
            req.header("x-forwarded-proto").unwrap_or(""),
            req.header("x-forwarded-host").unwrap_or(""),
            req.header("x-forwarded-uri").unwrap_or("")
        );
        Reply::redirect(302, &format!("https://auth.test/?rd={target}"))
    })
    .await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/")),
        &up,
    ))
    .await;
    let res = send(proxy.addr, "GET /admin HTTP/1.1\nHost: app.test\nX-Forwarded-Host: evil.test\nX-Forwarded-Proto: https", b"").await;
    assert_eq!(
        res.header("location"),
        Some("https://auth.test/?rd=http://app.test/admin")
    );
}

#[tokio::test]
async fn j3_every_set_cookie_of_a_denial_is_relayed_and_auth_cookies_never_become_request_headers()
{
    let auth = AuthServer::script(vec![
        Reply::redirect(302, "https://auth.test/login")
            .header("Set-Cookie", "a=1; Path=/; HttpOnly")
            .header(
                "Set-Cookie",
                "b=2; Path=/; Secure; SameSite=Lax; Priority=High",
            ),
        Reply::status(200).header("Set-Cookie", "session=refreshed"),
    ])
    .await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/")),
        &up,
    ))
    .await;
    let res = send(proxy.addr, "GET / HTTP/1.1\nHost: app.test", b"").await;
    assert_eq!(res.status, 302);
    // Denials are relayed byte for byte, unknown attributes included.
    assert_eq!(
        res.header_all("set-cookie"),
        [
            "a=1; Path=/; HttpOnly",
            "b=2; Path=/; Secure; SameSite=Lax; Priority=High"
        ]
    );
    let res = send(
        proxy.addr,
        "GET / HTTP/1.1\nHost: app.test\nCookie: session=old",
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("set-cookie").is_none(),
        "not in addAuthCookiesToResponse"
    );
    let seen = up.last();
    assert_eq!(seen.headers["cookie"], "session=old");
    assert!(!seen.headers.contains_key("set-cookie"));
    assert_eq!(auth.requests()[1].header("cookie"), Some("session=old"));
}

#[tokio::test]
async fn two_cookie_and_authorization_lines_reach_the_auth_server_whole() {
    let auth = AuthServer::start(|_| Reply::status(200)).await;
    let up = Upstream::new();
    let proxy = serve(chain(
        &format!(r#"{{"address": "{}", {IDENTITY}}}"#, auth.url("/")),
        &up,
    ))
    .await;
    send(proxy.addr, "GET / HTTP/1.1\nHost: a\nCookie: a=1\nCookie: b=2\nAuthorization: Bearer x\nAuthorization: Bearer y", b"").await;
    let seen = auth.last().unwrap();
    assert_eq!(seen.header_all("cookie"), ["a=1", "b=2"]);
    assert_eq!(seen.header_all("authorization"), ["Bearer x", "Bearer y"]);
    let _ = Duration::ZERO;
}
