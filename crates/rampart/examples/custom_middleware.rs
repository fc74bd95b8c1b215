//! Writing a middleware, registering it by type name, building it from configuration, and
//! running a request through it: the Traefik plugin contract, in Rust.
//!
//! ```sh
//! cargo run -p rampart --example custom_middleware
//! ```

use std::sync::Arc;

use rampart::middleware::{
    BoxFuture, BuildContext, BuildError, Builder, Endpoint, Middleware, Next, Registry,
};
use rampart::{Body, Request, Response};
use serde::Deserialize;

/// Its options (`CreateConfig`): keys are case-insensitive, unknown keys are refused.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MaintenanceConfig {
    /// Requests under these prefixes get a 503.
    prefixes: Vec<String>,
    /// The `Retry-After` value, seconds.
    #[serde(default = "default_retry")]
    retry_after: u32,
}

fn default_retry() -> u32 {
    120
}

/// The middleware (`New`): answers 503 under the prefixes, passes everything else on.
#[derive(Debug)]
struct Maintenance {
    prefixes: Vec<String>,
    retry_after: http::HeaderValue,
}

impl Middleware for Maintenance {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        if self
            .prefixes
            .iter()
            .any(|p| req.uri().path().starts_with(p.as_str()))
        {
            let mut res = Response::new(Body::from("down for maintenance\n"));
            *res.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
            res.headers_mut()
                .insert(http::header::RETRY_AFTER, self.retry_after.clone());
            return Box::pin(async move { res });
        }
        next.run(req)
    }
}

/// The service at the end of the chain.
#[derive(Debug)]
struct Hello;

impl Endpoint for Hello {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let path = req.uri().path().to_owned();
        Box::pin(async move { Response::new(Body::from(format!("hello from {path}\n"))) })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::with_builtins();
    registry.register(
        "maintenance",
        |cfg: MaintenanceConfig, _ctx: &dyn BuildContext| {
            if cfg.prefixes.iter().any(|p| !p.starts_with('/')) {
                return Err(BuildError::invalid(
                    "prefixes",
                    "every prefix starts with `/`",
                ));
            }
            Ok(Arc::new(Maintenance {
                prefixes: cfg.prefixes,
                retry_after: cfg.retry_after.into(),
            }) as Arc<dyn Middleware>)
        },
    );

    // What a dynamic configuration file says, as the format-neutral tree (YAML, TOML, labels
    // and flags all decode to it): a middleware of our type, used through a `chain`.
    let config: rampart_config::Value = serde_json::from_str(
        r#"{
            "down-admin": {"maintenance": {"Prefixes": ["/admin"], "retryAfter": "300"}},
            "my-chain": {"chain": {"middlewares": ["down-admin"]}}
        }"#,
    )?;
    let mut builder = Builder::new(&registry);
    for (name, definition) in config
        .as_map()
        .into_iter()
        .flat_map(rampart_config::Map::iter)
    {
        builder.define_value(&format!("{name}@file"), definition)?;
    }
    let chain = builder.chain("app@file", ["my-chain"], Arc::new(Hello))?;

    for path in ["/", "/admin/users"] {
        let req = http::Request::get(path).body(Body::empty())?;
        let res = chain.call(req).await;
        let retry = res.headers().get(http::header::RETRY_AFTER).cloned();
        let body = String::from_utf8_lossy(res.body().as_bytes().unwrap_or_default()).into_owned();
        println!(
            "{path}: {} {} retry-after={retry:?}",
            res.status(),
            body.trim()
        );
    }
    Ok(())
}
