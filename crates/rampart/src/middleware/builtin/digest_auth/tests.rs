use std::sync::Arc;

use super::*;
use crate::Body;
use crate::middleware::builtin::test_support_b::{Echo, config, run};

/// Traefik's digest test users: password = name (`test2` is `overridden` in the override case).
const TEST: &str = "test:traefik:a2688e031edb4be6a3797f3882655c05";
const TEST2: &str = "test2:traefik:518845800f9e2bfb1f1f740ec24f074e";
const TEST_TRAEFIKER: &str = "test:traefiker:a3d334dff2645b914918de78bec50bf4";
const TEST2_OVERRIDDEN: &str = "test2:traefik:8de60a1c52da68ccf41f0c0ffb7c51a0";

/// A digest client (RFC 2617 §3.2.2) answering `challenge` for `uri`.
fn answer(
    challenge: &str,
    user: &str,
    password: &str,
    realm: &str,
    method: &str,
    uri: &str,
    nc: u32,
) -> String {
    let params = parse_digest(challenge).unwrap();
    let ha1 = hex_md5(&format!("{user}:{realm}:{password}"));
    let ha2 = hex_md5(&format!("{method}:{uri}"));
    let nc = format!("{nc:08x}");
    let response = hex_md5(&format!(
        "{ha1}:{}:{nc}:0a4f113b:auth:{ha2}",
        params["nonce"]
    ));
    format!(
        r#"Digest username="{user}", realm="{realm}", nonce="{}", uri="{uri}", qop=auth, nc={nc}, cnonce="0a4f113b", response="{response}", opaque="{}", algorithm=MD5"#,
        params["nonce"], params["opaque"]
    )
}

async fn challenge(mw: &Arc<dyn Middleware>) -> String {
    let res = run(
        mw,
        &Echo::default(),
        http::Request::get("/").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(res.status(), 401);
    res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn login(mw: &Arc<dyn Middleware>, authorization: &str, uri: &str) -> Response {
    let req = http::Request::get(uri)
        .header("authorization", authorization)
        .body(Body::empty())
        .unwrap();
    run(mw, &Echo::default(), req).await
}

fn auth(cfg: &serde_json::Value) -> Arc<dyn Middleware> {
    Arc::new(DigestAuth::new(&config(&cfg.to_string())).unwrap())
}

#[tokio::test]
async fn challenge_then_success_then_replay() {
    let mw = auth(&serde_json::json!({"users": [TEST], "headerField": "X-User"}));
    let ch = challenge(&mw).await;
    assert!(
        ch.starts_with(r#"Digest realm="traefik", nonce=""#)
            && ch.ends_with(r#"algorithm="MD5", qop="auth""#),
        "{ch}"
    );
    let a1 = answer(&ch, "test", "test", "traefik", "GET", "/a?b=c", 1);
    assert_eq!(login(&mw, &a1, "/a?b=c").await.status(), 200);
    // The same nonce count again: a replay.
    assert_eq!(login(&mw, &a1, "/a?b=c").await.status(), 401);
    assert_eq!(
        login(
            &mw,
            &answer(&ch, "test", "test", "traefik", "GET", "/a?b=c", 2),
            "/a?b=c"
        )
        .await
        .status(),
        200
    );
    // Out of order: stale.
    let res = login(
        &mw,
        &answer(&ch, "test", "test", "traefik", "GET", "/a?b=c", 1),
        "/a?b=c",
    )
    .await;
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"stale="true""#)
    );
}

#[tokio::test]
async fn wrong_password_uri_or_nonce_fail() {
    let mw = auth(&serde_json::json!({"users": [TEST]}));
    let ch = challenge(&mw).await;
    assert_eq!(
        login(
            &mw,
            &answer(&ch, "test", "nope", "traefik", "GET", "/", 1),
            "/"
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        login(
            &mw,
            &answer(&ch, "foo", "foo", "traefik", "GET", "/", 1),
            "/"
        )
        .await
        .status(),
        401
    );
    // A response computed for `/` does not open `/admin` (Traefik would accept the prefix).
    assert_eq!(
        login(
            &mw,
            &answer(&ch, "test", "test", "traefik", "GET", "/", 1),
            "/admin"
        )
        .await
        .status(),
        401
    );
    let forged = ch.replace("nonce=\"", "nonce=\"x");
    assert_eq!(
        login(
            &mw,
            &answer(&forged, "test", "test", "traefik", "GET", "/", 1),
            "/"
        )
        .await
        .status(),
        401
    );
    // Basic credentials are not digest credentials (Traefik's `TestDigestAuthFail`).
    assert_eq!(login(&mw, "Basic dGVzdDp0ZXN0", "/").await.status(), 401);
}

/// Traefik's `TestDigestAuthUsersFromFile` table.
#[tokio::test]
async fn traefik_users_file_cases() {
    type Case<'a> = (String, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (
            format!("{TEST}\n{TEST2}\n"),
            &[],
            &[("test", "test"), ("test2", "test2")],
            "traefik",
        ),
        (
            format!("{TEST}\n"),
            &[TEST2],
            &[("test", "test"), ("test2", "test2")],
            "traefik",
        ),
        (
            format!("{TEST}\n{TEST2}\n"),
            &[TEST2_OVERRIDDEN],
            &[("test", "test"), ("test2", "overridden")],
            "traefik",
        ),
        (
            format!("{TEST}\n{TEST_TRAEFIKER}\n"),
            &[],
            &[("test", "test2")],
            "traefiker",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (file, users, logins, realm)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("users{i}"));
        std::fs::write(&path, file).unwrap();
        let mw = auth(&serde_json::json!({"usersFile": path, "users": users, "realm": realm}));
        for (user, password) in *logins {
            let ch = challenge(&mw).await;
            let a = answer(&ch, user, password, realm, "GET", "/", 1);
            assert_eq!(login(&mw, &a, "/").await.status(), 200, "case {i}: {user}");
        }
    }
}

#[tokio::test]
async fn nonce_cache_stays_bounded() {
    let da = Arc::new(
        DigestAuth::new(&config(&serde_json::json!({"users": [TEST]}).to_string())).unwrap(),
    );
    let mw: Arc<dyn Middleware> = da.clone();
    for _ in 0..5_000 {
        challenge(&mw).await;
    }
    let n = da.nonces.lock().unwrap().len();
    assert!(n <= NONCE_CACHE + NONCE_TOLERANCE + 1, "{n} nonces kept");
}

#[test]
fn build_errors() {
    let err = |v: serde_json::Value| DigestAuth::new(&config(&v.to_string())).unwrap_err();
    assert!(
        matches!(err(serde_json::json!({"users": ["test"]})), BuildError::Invalid { key, .. } if key == "users[0]")
    );
    assert!(
        matches!(err(serde_json::json!({"users": ["test:traefik:nothex"]})), BuildError::Invalid { key, .. } if key == "users[0]")
    );
    assert!(
        matches!(err(serde_json::json!({})), BuildError::Invalid { key, .. } if key == "users")
    );
}

#[test]
fn parses_quoted_and_bare_parameters() {
    let p = parse_digest(r#"Digest username="a\"b", nc=00000001, qop=auth, uri="/x,y""#).unwrap();
    assert_eq!(p["username"], "a\"b");
    assert_eq!(p["nc"], "00000001");
    assert_eq!(p["qop"], "auth");
    assert_eq!(p["uri"], "/x,y");
    assert!(parse_digest("Basic abc").is_none());
}
