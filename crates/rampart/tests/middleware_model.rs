//! The middleware model: chain order, the `chain` type, cycles, `from_fn`, and the tower layer
//! in a real axum application.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rampart::middleware::{
    BoxFuture, BuildContext, BuildError, Builder, Endpoint, Middleware, Next, Registry, from_fn,
};
use rampart::{Body, Request, Response};
use rampart_testkit::auth_server::{AuthServer, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Appends its tag to `X-Seen` on the way in, and to `X-Back` on the way out.
#[derive(Debug)]
struct Tag(String);

impl Middleware for Tag {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        req.headers_mut().append("x-seen", self.0.parse().unwrap());
        Box::pin(async move {
            let mut res = next.run(req).await;
            res.headers_mut().append("x-back", self.0.parse().unwrap());
            res
        })
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TagConfig {
    name: String,
}

/// Echoes the `X-Seen` values as the body.
#[derive(Debug)]
struct Echo;

impl Endpoint for Echo {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let seen: Vec<String> = req
            .headers()
            .get_all("x-seen")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        Box::pin(async move { Response::new(Body::from(seen.join(","))) })
    }
}

fn registry(builds: Arc<AtomicUsize>) -> Registry {
    let mut r = Registry::with_builtins();
    r.register("tag", move |c: TagConfig, _: &dyn BuildContext| {
        builds.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(Tag(c.name)) as Arc<dyn Middleware>)
    });
    r
}

fn json(s: &str) -> rampart_config::Value {
    serde_json::from_str(s).unwrap()
}

#[tokio::test]
async fn entrypoint_then_router_then_chain_members_in_order() {
    let builds = Arc::new(AtomicUsize::new(0));
    let reg = registry(builds.clone());
    let mut b = Builder::new(&reg);
    for (name, def) in [
        ("ep@file", r#"{"tag": {"name": "ep"}}"#),
        ("a@file", r#"{"tag": {"name": "a"}}"#),
        ("b@file", r#"{"tag": {"name": "b"}}"#),
        ("c@docker", r#"{"tag": {"name": "c"}}"#),
        (
            "inner@file",
            r#"{"chain": {"middlewares": ["b", "c@docker"]}}"#,
        ),
        ("outer@file", r#"{"Chain": {"Middlewares": "a,inner"}}"#),
    ] {
        b.define_value(name, &json(def)).unwrap();
    }
    // Entrypoint middlewares come first (Traefik prepends them to the router's).
    let chain = b
        .chain("app@file", ["ep", "outer", "a"], Arc::new(Echo))
        .unwrap();
    let res = chain.call(Request::new(Body::empty())).await;
    assert_eq!(res.body().as_bytes(), Some(&b"ep,a,b,c,a"[..]));
    let back: Vec<_> = res.headers().get_all("x-back").iter().collect();
    assert_eq!(
        back,
        ["a", "c", "b", "a", "ep"],
        "responses unwind innermost first"
    );
    assert_eq!(
        builds.load(Ordering::SeqCst),
        4,
        "`a` is built once and shared"
    );
}

#[tokio::test]
async fn cycles_are_build_errors_naming_the_loop() {
    let reg = registry(Arc::default());
    let mut b = Builder::new(&reg);
    b.define_value(
        "self@file",
        &json(r#"{"chain": {"middlewares": ["self"]}}"#),
    )
    .unwrap();
    b.define_value("x@file", &json(r#"{"chain": {"middlewares": ["y"]}}"#))
        .unwrap();
    b.define_value("y@file", &json(r#"{"chain": {"middlewares": ["z"]}}"#))
        .unwrap();
    b.define_value("z@file", &json(r#"{"chain": {"middlewares": ["y"]}}"#))
        .unwrap();
    let err = |name: &str| match b.middleware(name) {
        Err(e) => e,
        Ok(_) => panic!("{name} must not build"),
    };
    assert_eq!(
        err("self@file").to_string(),
        "middleware cycle: self@file -> self@file"
    );
    let e = err("x@file");
    assert!(
        matches!(&e, BuildError::Cycle(p) if p == &["y@file", "z@file", "y@file"]),
        "{e}"
    );
    // A failed build leaves nothing half-built behind: the same error again.
    assert!(matches!(err("x@file"), BuildError::Cycle(_)));
}

#[tokio::test]
async fn bad_definitions_name_what_is_wrong() {
    let reg = registry(Arc::default());
    let mut b = Builder::new(&reg);
    assert!(
        b.define_value("two@file", &json(r#"{"tag": {"name": "a"}, "chain": {}}"#))
            .unwrap_err()
            .to_string()
            .contains("one type per middleware")
    );
    b.define_value(
        "missing@file",
        &json(r#"{"chain": {"middlewares": ["nope"]}}"#),
    )
    .unwrap();
    b.define_value("typo@file", &json(r#"{"forwardAuthh": {}}"#))
        .unwrap();
    b.define_value(
        "key@file",
        &json(r#"{"chain": {"middlewares": [], "extra": 1}}"#),
    )
    .unwrap();
    b.define_value(
        "fa@file",
        &json(r#"{"forwardAuth": {"address": "ftp://x"}}"#),
    )
    .unwrap();
    b.define_value(
        "outer@file",
        &json(r#"{"chain": {"middlewares": ["inner"]}}"#),
    )
    .unwrap();
    b.define_value("inner@file", &json(r#"{"chain": {"middlewares": ["fa"]}}"#))
        .unwrap();
    let msg = |name: &str| match b.middleware(name) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{name} must not build"),
    };
    assert_eq!(
        msg("missing@file"),
        "`nope@file`: middleware does not exist"
    );
    assert_eq!(msg("typo@file"), "unknown middleware type `forwardAuthh`");
    assert!(msg("key@file").contains("extra"), "{}", msg("key@file"));
    assert!(
        msg("fa@file").starts_with("`address`"),
        "{}",
        msg("fa@file")
    );
    // A chain whose member fails to build names the member (found through the binary: the
    // chain's error read as the chain's own option).
    assert!(
        msg("outer@file").starts_with("`inner@file`: `fa@file`: `address`"),
        "{}",
        msg("outer@file")
    );
}

#[tokio::test]
async fn from_fn_short_circuits_and_wraps() {
    let deny = from_fn(|req: Request, next| {
        if req.uri().path() == "/blocked" {
            return Box::pin(async {
                rampart::error::status_response(http::StatusCode::FORBIDDEN)
            });
        }
        next.run(req)
    });
    let chain =
        rampart::middleware::Chain::new([Arc::new(deny) as Arc<dyn Middleware>], Arc::new(Echo));
    let blocked = http::Request::builder()
        .uri("/blocked")
        .body(Body::empty())
        .unwrap();
    assert_eq!(chain.call(blocked).await.status(), 403);
    assert_eq!(chain.call(Request::new(Body::empty())).await.status(), 200);
}

/// An axum application protected by forwardAuth through the tower layer, on a real socket.
#[tokio::test]
async fn tower_layer_protects_an_axum_app() {
    let auth = AuthServer::start(|req| match req.header("authorization") {
        Some("Bearer good") => Reply::status(200).header("X-Auth-User", "ada"),
        _ => Reply::status(401)
            .header("WWW-Authenticate", "Bearer")
            .body("no"),
    })
    .await;
    let cfg: rampart::middleware::forward_auth::ForwardAuthConfig = rampart_config::from_value(&json(&format!(
        r#"{{"address": "{}", "trustForwardHeader": false, "authResponseHeaders": ["X-Auth-User"]}}"#,
        auth.url("/verify")
    )))
    .unwrap();
    let fa = rampart::middleware::ForwardAuth::new(cfg).unwrap();
    let app = axum::Router::new()
        .route(
            "/hello",
            axum::routing::get(|headers: http::HeaderMap| async move {
                format!("hello {}", headers["x-auth-user"].to_str().unwrap())
            }),
        )
        .layer(rampart::tower::MiddlewareLayer::new(fa));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let get = |auth: &'static str| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET /hello HTTP/1.1\r\nHost: app.test\r\n{auth}X-Auth-User: mallory\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    };
    let ok = tokio::time::timeout(
        Duration::from_secs(20),
        get("Authorization: Bearer good\r\n"),
    )
    .await
    .unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.ends_with("hello ada"), "{ok}");
    let denied = tokio::time::timeout(Duration::from_secs(20), get(""))
        .await
        .unwrap();
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    assert!(
        denied
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{denied}"
    );
    assert_eq!(
        auth.last().unwrap().header("x-forwarded-uri"),
        Some("/hello")
    );
    server.abort();
}
