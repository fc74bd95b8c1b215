//! An axum application protected by rampart's forwardAuth, through the tower layer.
//!
//! It starts two servers on 127.0.0.1: a toy auth server (200 + `X-Auth-User` for
//! `Authorization: Bearer letmein`, else 401), and the application, whose every route asks the
//! auth server first. It then makes two requests, prints what they got, and exits; with
//! `--serve` it keeps running so you can try it with curl.
//!
//! ```sh
//! cargo run -p rampart --example axum_forward_auth
//! cargo run -p rampart --example axum_forward_auth -- --serve
//! ```

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rampart::middleware::ForwardAuth;
use rampart::middleware::forward_auth::ForwardAuthConfig;
use rampart::tower::MiddlewareLayer;

/// The auth server: what Authentik, Authelia or oauth2-proxy would be.
async fn verify(headers: HeaderMap) -> (StatusCode, HeaderMap) {
    let mut out = HeaderMap::new();
    if headers
        .get("authorization")
        .is_some_and(|v| v == "Bearer letmein")
    {
        out.insert("x-auth-user", "ada".parse().expect("static header value"));
        (StatusCode::OK, out)
    } else {
        out.insert(
            "www-authenticate",
            "Bearer".parse().expect("static header value"),
        );
        (StatusCode::UNAUTHORIZED, out)
    }
}

/// The application: it trusts `X-Auth-User`, because forwardAuth set it.
async fn hello(headers: HeaderMap) -> String {
    let user = headers
        .get("x-auth-user")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("nobody");
    format!("hello, {user}\n")
}

async fn fetch(
    url: &str,
    token: Option<&str>,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let client =
        Client::builder(TokioExecutor::new()).build_http::<http_body_util::Empty<bytes::Bytes>>();
    let mut req = http::Request::get(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    // A client cannot forge the identity: forwardAuth deletes this before asking.
    req = req.header("x-auth-user", "mallory");
    let res = client
        .request(req.body(http_body_util::Empty::new())?)
        .await?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serve_forever = std::env::args().any(|a| a == "--serve");

    let auth_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let auth_addr = auth_listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(auth_listener, Router::new().route("/verify", get(verify))).await
    });

    // The middleware, from the same options a Traefik dynamic file would give it.
    let options: rampart_config::Value = serde_json::from_str(&format!(
        r#"{{
            "address": "http://{auth_addr}/verify",
            "trustForwardHeader": false,
            "authResponseHeaders": ["X-Auth-User"]
        }}"#
    ))?;
    let config: ForwardAuthConfig = rampart_config::from_value(&options)?;
    let app = Router::new()
        .route("/", get(hello))
        .layer(MiddlewareLayer::new(ForwardAuth::new(config)?));

    let app_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let app_addr = app_listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(app_listener, app).await });
    println!("app on http://{app_addr}/ (auth server on {auth_addr})");

    for token in [None, Some("letmein")] {
        let (status, body) = fetch(&format!("http://{app_addr}/"), token).await?;
        println!("token {token:?}: {status} {}", body.trim());
    }

    if serve_forever {
        println!("try: curl -H 'Authorization: Bearer letmein' http://{app_addr}/");
        server.await??;
    }
    Ok(())
}
