use std::sync::Arc;

use super::*;
use crate::middleware::builtin::test_support_b::{config, run, text};
use crate::middleware::{BoxFuture, Endpoint};

const TEST: &str = "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/";
const TEST2: &str = "test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0";
const TEST3: &str = "test3:$apr1$3rJbDP0q$RfzJiorTk78jQ1EcKqWso0";
const TEST2_OVERRIDDEN: &str = "test2:$apr1$mK.GtItK$ncnLYvNLek0weXdxo68690";

/// Echoes the request headers the upstream got.
struct Headers;
impl Endpoint for Headers {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let mut lines: Vec<String> = req
            .headers()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.to_str().unwrap_or("?")))
            .collect();
        lines.sort();
        Box::pin(async move { Response::new(Body::from(lines.join("\n"))) })
    }
}

fn request(user: &str, password: &str) -> Request {
    let token = STANDARD.encode(format!("{user}:{password}"));
    http::Request::get("/")
        .header("authorization", format!("Basic {token}"))
        .body(Body::empty())
        .unwrap()
}

fn auth(json: &str) -> Arc<dyn Middleware> {
    Arc::new(BasicAuth::new(&config(json)).unwrap())
}

#[tokio::test]
async fn traefik_success_and_failure() {
    let mw = auth(&format!(r#"{{"users": ["{TEST}"]}}"#));
    let ok = run(&mw, &Headers, request("test", "test")).await;
    assert_eq!(ok.status(), 200);
    assert!(
        text(ok).await.contains("authorization=Basic"),
        "kept without removeHeader"
    );
    for (user, password) in [("test", "wrong"), ("nobody", "test"), ("", "")] {
        let res = run(&mw, &Headers, request(user, password)).await;
        assert_eq!(res.status(), 401, "{user}:{password}");
        assert_eq!(
            res.headers()["www-authenticate"],
            r#"Basic realm="traefik""#
        );
        assert_eq!(text(res).await, "401 Unauthorized\n");
    }
    let none = http::Request::get("/").body(Body::empty()).unwrap();
    assert_eq!(run(&mw, &Headers, none).await.status(), 401);
    for bad in ["Bearer abc", "Basic !!!", "Basic", "basic dGVzdA=="] {
        let req = http::Request::get("/")
            .header("authorization", bad)
            .body(Body::empty())
            .unwrap();
        assert_eq!(run(&mw, &Headers, req).await.status(), 401, "{bad}");
    }
}

#[tokio::test]
async fn header_field_replaces_a_spoofed_value_and_remove_header() {
    let mw = auth(&format!(
        r#"{{"users": ["{TEST}"], "headerField": "X-WebAuth-User", "removeHeader": true}}"#
    ));
    let mut req = request("test", "test");
    req.headers_mut()
        .insert("x-webauth-user", "admin".parse().unwrap());
    let res = run(&mw, &Headers, req).await;
    assert_eq!(res.status(), 200);
    let seen = text(res).await;
    assert!(seen.contains("x-webauth-user=test"), "{seen}");
    assert!(!seen.contains("admin"), "{seen}");
    assert!(!seen.contains("authorization"), "{seen}");
}

/// Traefik's `TestBasicAuthUsersFromFile` table.
#[tokio::test]
async fn traefik_users_file_cases() {
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (
            "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/\ntest2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0\n",
            &[],
            &[("test", "test"), ("test2", "test2")],
            "",
        ),
        (
            "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/\n",
            &[TEST2, TEST3],
            &[("test", "test"), ("test2", "test2"), ("test3", "test3")],
            "",
        ),
        (
            "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/\ntest2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0\n",
            &[TEST2_OVERRIDDEN],
            &[("test", "test"), ("test2", "overridden")],
            "traefik",
        ),
        (
            "#Comment\ntest:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/\ntest2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0\n",
            &[],
            &[("test", "test"), ("test2", "test2")],
            "traefiker",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (file, users, logins, realm)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("users{i}"));
        std::fs::write(&path, file).unwrap();
        let cfg = serde_json::json!({"usersFile": path, "users": users, "realm": realm});
        let mw = auth(&cfg.to_string());
        for (user, password) in *logins {
            assert_eq!(
                run(&mw, &Headers, request(user, password)).await.status(),
                200,
                "case {i}: {user}"
            );
        }
        let res = run(&mw, &Headers, request("foo", "foo")).await;
        assert_eq!(res.status(), 401);
        let want = if realm.is_empty() { "traefik" } else { realm };
        assert_eq!(
            res.headers()["www-authenticate"],
            format!("Basic realm=\"{want}\"").as_str()
        );
    }
    // The overridden file entry no longer works.
    let path = dir.path().join("users2");
    let cfg = serde_json::json!({"usersFile": path, "users": [TEST2_OVERRIDDEN]});
    assert_eq!(
        run(&auth(&cfg.to_string()), &Headers, request("test2", "test2"))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn bcrypt_runs_and_verifies() {
    let hash = bcrypt::hash_with_result("pw", 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    let mw = auth(&serde_json::json!({"users": [format!("bob:{hash}")]}).to_string());
    assert_eq!(run(&mw, &Headers, request("bob", "pw")).await.status(), 200);
    assert_eq!(run(&mw, &Headers, request("bob", "pW")).await.status(), 401);
    assert_eq!(
        run(&mw, &Headers, request("alice", "pw")).await.status(),
        401
    );
}

#[test]
fn build_errors_name_the_option() {
    let err = |json: &str| BasicAuth::new(&config(json)).unwrap_err();
    assert!(matches!(err(r#"{"users": []}"#), BuildError::Invalid { key, .. } if key == "users"));
    assert!(
        matches!(err(r#"{"users": ["test"]}"#), BuildError::Invalid { key, .. } if key == "users[0]")
    );
    assert!(
        matches!(err(r#"{"users": ["test:test"]}"#), BuildError::Invalid { key, reason } if key == "users[0]" && reason.contains("`test`"))
    );
    assert!(
        matches!(err(r#"{"usersFile": "/nonexistent/htpasswd"}"#), BuildError::Invalid { key, .. } if key == "usersFile")
    );
    assert!(
        matches!(err(&format!(r#"{{"users": ["{TEST}"], "realm": "a\"b"}}"#)), BuildError::Invalid { key, .. } if key == "realm")
    );
    assert!(
        matches!(err(&format!(r#"{{"users": ["{TEST}"], "headerField": "bad header"}}"#)), BuildError::Invalid { key, .. } if key == "headerField")
    );
}
