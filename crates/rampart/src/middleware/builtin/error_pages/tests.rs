use super::*;
use crate::middleware::builtin::test_support_b::{config, run, text};

/// Answers with the configured status and a body naming it.
struct Backend(u16);
impl Endpoint for Backend {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        let status = StatusCode::from_u16(self.0).unwrap();
        Box::pin(async move {
            let mut res = Response::new(Body::from(
                status.canonical_reason().unwrap_or("").to_owned(),
            ));
            *res.status_mut() = status;
            res
        })
    }
}

/// The error service: shows what it was asked.
struct Pages;
impl Endpoint for Pages {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let seen = format!(
            "uri={} host={} x-request-id={} authorization={}",
            req.uri(),
            req.headers()
                .get("host")
                .map_or("", |v| v.to_str().unwrap()),
            req.headers()
                .get("x-request-id")
                .map_or("", |v| v.to_str().unwrap()),
            req.headers()
                .get("authorization")
                .map_or("", |v| v.to_str().unwrap()),
        );
        Box::pin(async move {
            let mut res = Response::new(Body::from(seen));
            res.headers_mut().insert("x-page", "yes".parse().unwrap());
            res
        })
    }
}

fn mw(json: &str) -> Arc<dyn Middleware> {
    Arc::new(ErrorPages::new(&config(json), Arc::new(Pages)).unwrap())
}

fn request() -> Request {
    http::Request::get("/test?foo=bar&baz=buz")
        .header("host", "localhost")
        .header("x-request-id", "trace-abc")
        .header("authorization", "Bearer secret")
        .body(Body::empty())
        .unwrap()
}

/// Traefik's `TestHandler` table.
#[tokio::test]
async fn traefik_cases() {
    let ranges = r#""status": ["500-501", "503-599"], "service": "error""#;
    let cases: &[(&str, u16, u16, &str)] = &[
        (
            &format!(r#"{{{ranges}, "query": "/test"}}"#),
            200,
            200,
            "OK",
        ),
        (
            &format!(r#"{{{ranges}, "query": "/test"}}"#),
            206,
            206,
            "Partial Content",
        ),
        (
            &format!(r#"{{{ranges}, "query": "/test"}}"#),
            304,
            304,
            "Not Modified",
        ),
        (
            &format!(r#"{{{ranges}, "query": "/test"}}"#),
            500,
            500,
            "uri=/test host=localhost",
        ),
        (
            &format!(r#"{{{ranges}, "query": "/test"}}"#),
            502,
            502,
            "Bad Gateway",
        ),
        (
            r#"{"status": ["503-503"], "query": "/{status}"}"#,
            503,
            503,
            "uri=/503 ",
        ),
        (
            r#"{"status": ["503"], "query": "{status}"}"#,
            503,
            503,
            "uri=/503 ",
        ),
        (
            r#"{"status": ["503"], "query": "/?status={status}&url={url}"}"#,
            503,
            503,
            "uri=/?status=503&url=http%3A%2F%2Flocalhost%2Ftest%3Ffoo%3Dbar%26baz%3Dbuz ",
        ),
        (
            r#"{"status": ["418"], "statusRewrites": {"418": 404}, "query": "/{status}/{originalStatus}"}"#,
            418,
            404,
            "uri=/404/418 ",
        ),
        (
            r#"{"status": ["500-599"], "statusRewrites": {"500-503": 500}, "query": "/{status}/{originalStatus}"}"#,
            502,
            500,
            "uri=/500/502 ",
        ),
    ];
    for (json, backend, want_status, want_body) in cases {
        let res = run(&mw(json), &Backend(*backend), request()).await;
        assert_eq!(res.status(), *want_status, "{json}");
        let body = text(res).await;
        assert!(body.starts_with(want_body), "{json}: {body}");
    }
}

#[tokio::test]
async fn request_headers_all_some_or_none() {
    let all = text(
        run(
            &mw(r#"{"status": ["503"], "query": "/"}"#),
            &Backend(503),
            request(),
        )
        .await,
    )
    .await;
    assert!(
        all.contains("x-request-id=trace-abc") && all.contains("Bearer secret"),
        "{all}"
    );
    let some = text(
        run(
            &mw(r#"{"status": ["503"], "query": "/", "errorRequestHeaders": ["X-Request-Id"]}"#),
            &Backend(503),
            request(),
        )
        .await,
    )
    .await;
    assert!(
        some.contains("x-request-id=trace-abc") && !some.contains("Bearer secret"),
        "{some}"
    );
    let none = text(
        run(
            &mw(r#"{"status": ["503"], "query": "/", "errorRequestHeaders": []}"#),
            &Backend(503),
            request(),
        )
        .await,
    )
    .await;
    assert!(
        !none.contains("trace-abc") && !none.contains("Bearer secret"),
        "{none}"
    );
    assert!(
        none.contains("host=localhost"),
        "the original host is always sent: {none}"
    );
}

#[tokio::test]
async fn page_headers_are_kept() {
    let res = run(
        &mw(r#"{"status": ["500"], "query": "/"}"#),
        &Backend(500),
        request(),
    )
    .await;
    assert_eq!(res.headers()["x-page"], "yes");
}

#[test]
fn bad_options() {
    let err = |json: &str| ErrorPages::new(&config(json), Arc::new(Pages)).unwrap_err();
    assert!(matches!(err(r#"{"status": []}"#), BuildError::Invalid { key, .. } if key == "status"));
    assert!(
        matches!(err(r#"{"status": ["5xx"]}"#), BuildError::Invalid { key, .. } if key == "status")
    );
    assert!(
        matches!(err(r#"{"status": ["500"], "statusRewrites": {"abc": 404}}"#), BuildError::Invalid { key, .. } if key == "statusRewrites.abc")
    );
    assert!(
        matches!(err(r#"{"status": ["500"], "statusRewrites": {"500": 1000}}"#), BuildError::Invalid { key, .. } if key == "statusRewrites.500")
    );
    assert_eq!(
        query_escape("http://a b/?x=1&y=é"),
        "http%3A%2F%2Fa+b%2F%3Fx%3D1%26y%3D%C3%A9"
    );
}
