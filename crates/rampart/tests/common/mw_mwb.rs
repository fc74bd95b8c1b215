//! Loopback rig for the middleware tests of catalogue part B: a real upstream (hyper, 127.0.0.1:0)
//! and a real front server running a middleware chain whose endpoint forwards to it with
//! hyper-util's client. Tests talk to the front with real clients (hyper-util, curl).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
use rampart::{Body, ConnInfo, Request, Response};
use tokio::net::TcpListener;

/// Starts an upstream answering `200` with `method path`, the request headers it got (one per
/// line, sorted) and the length of the body it read.
pub(crate) async fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let svc = service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                    let mut lines: Vec<String> = req
                        .headers()
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("?")))
                        .collect();
                    lines.sort();
                    let head = format!(
                        "{} {}\n{}\n",
                        req.method(),
                        req.uri().path(),
                        lines.join("\n")
                    );
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map_or(0, |b| b.to_bytes().len());
                    Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from(format!(
                        "{head}body-bytes: {body}\n"
                    )))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

/// A real upstream whose answer can be switched while it runs (to make it fail, then recover),
/// counting the requests it gets. It answers `status` with body `upstream <status>`.
pub(crate) struct Switchable {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    status: Arc<AtomicU16>,
    hits: Arc<AtomicUsize>,
}

impl Switchable {
    /// Starts it on 127.0.0.1:0, answering 200.
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream");
        let addr = listener.local_addr().expect("addr");
        let status = Arc::new(AtomicU16::new(200));
        let hits = Arc::new(AtomicUsize::new(0));
        let (s, h) = (status.clone(), hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (s, h) = (s.clone(), h.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |_req: http::Request<hyper::body::Incoming>| {
                        h.fetch_add(1, Ordering::SeqCst);
                        let code = s.load(Ordering::SeqCst);
                        async move {
                            let mut res = http::Response::new(Full::new(Bytes::from(format!(
                                "upstream {code}"
                            ))));
                            *res.status_mut() =
                                http::StatusCode::from_u16(code).expect("test status");
                            Ok::<_, Infallible>(res)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Switchable { addr, status, hits }
    }

    /// From now on, answers `status`.
    pub(crate) fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Requests it has received.
    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Forwards every request to `upstream` (a minimal stand-in for the service layer).
pub(crate) struct Forward {
    upstream: SocketAddr,
    client: Client<HttpConnector, Body>,
}

impl Forward {
    /// A forwarder to `upstream`.
    pub(crate) fn new(upstream: SocketAddr) -> Self {
        Forward {
            upstream,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

impl Endpoint for Forward {
    fn call<'a>(&'a self, mut req: Request) -> BoxFuture<'a, Response> {
        let path = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *req.uri_mut() = format!("http://{}{path}", self.upstream)
            .parse()
            .expect("uri");
        req.headers_mut().remove(http::header::HOST);
        Box::pin(async move {
            match self.client.request(req).await {
                Ok(res) => res.map(Body::from),
                Err(e) => rampart::error::RequestError::new(
                    rampart::error::ErrorSource::Upstream,
                    http::StatusCode::BAD_GATEWAY,
                    e.to_string(),
                )
                .into_response(),
            }
        })
    }
}

/// Serves `chain` then `endpoint` on 127.0.0.1:0, attaching a [`ConnInfo`] to every request.
pub(crate) async fn front(
    chain: Vec<Arc<dyn Middleware>>,
    endpoint: Arc<dyn Endpoint>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind front");
    let addr = listener.local_addr().expect("addr");
    let chain: Arc<[Arc<dyn Middleware>]> = chain.into();
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let (chain, endpoint) = (chain.clone(), endpoint.clone());
            let info = Arc::new(ConnInfo::plain(peer, "web"));
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (chain, endpoint, info) = (chain.clone(), endpoint.clone(), info.clone());
                    async move {
                        let mut req = req.map(Body::from);
                        req.extensions_mut().insert(info);
                        Ok::<_, Infallible>(Next::new(&chain, endpoint.as_ref()).run(req).await)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

/// Builds a middleware through the registry, as the configuration compiler will.
pub(crate) fn build(type_name: &str, json: &str) -> Arc<dyn Middleware> {
    struct NoRefs;
    impl rampart::middleware::BuildContext for NoRefs {
        fn name(&self) -> &'static str {
            "test@file"
        }
        fn middleware(
            &self,
            name: &str,
        ) -> Result<Arc<dyn Middleware>, rampart::middleware::BuildError> {
            Err(rampart::middleware::BuildError::Reference {
                name: name.to_owned(),
                reason: "none in this test".to_owned(),
            })
        }
        fn service(
            &self,
            name: &str,
        ) -> Result<Arc<dyn Endpoint>, rampart::middleware::BuildError> {
            Err(rampart::middleware::BuildError::Reference {
                name: name.to_owned(),
                reason: "none in this test".to_owned(),
            })
        }
    }
    let value: rampart_config::Value = serde_json::from_str(json).expect("json");
    rampart::middleware::Registry::with_builtins()
        .build(type_name, &value, &NoRefs)
        .expect("middleware builds")
}

/// Runs `curl` with `args`, failing with an install hint when it is missing.
pub(crate) fn curl(args: &[&str]) -> (u16, String) {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-S",
            "--max-time",
            "30",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
        ])
        .args(args)
        .output()
        .expect(
            "curl is needed by these tests: run scripts/install-deps.sh (apt-get install -y curl)",
        );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}
