//! Real loopback peers for the middleware tests of catalogue part A (headers, compress,
//! redirects, path rewrites, contentType): an upstream hyper server, a front server that runs a
//! middleware chain in front of it (plain or TLS, with `ConnInfo` attached as the binary does),
//! and a hyper-util client. Everything binds 127.0.0.1:0.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rampart::context::TlsInfo;
use rampart::middleware::{BoxFuture, BuildError, Endpoint, Middleware, Next, Registry};
use rampart::{Body, ConnInfo, Request, Response};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Every test awaits with this bound (the machine is shared and loaded).
pub const LIMIT: Duration = Duration::from_secs(30);

/// Awaits `f` within [`LIMIT`].
pub async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test step timed out")
}

/// A build context without other objects (the middlewares here refer to none).
struct NoRefs;

impl rampart::middleware::BuildContext for NoRefs {
    fn name(&self) -> &'static str {
        "test@file"
    }
    fn middleware(&self, name: &str) -> Result<Arc<dyn Middleware>, BuildError> {
        Err(BuildError::Reference {
            name: name.into(),
            reason: "not in this test".into(),
        })
    }
    fn service(&self, name: &str) -> Result<Arc<dyn Endpoint>, BuildError> {
        Err(BuildError::Reference {
            name: name.into(),
            reason: "not in this test".into(),
        })
    }
}

/// Builds a built-in middleware by Traefik type name from JSON options, through the registry.
pub fn build(type_name: &str, json: &str) -> Result<Arc<dyn Middleware>, BuildError> {
    let value: rampart_config::Value = serde_json::from_str(json).unwrap();
    Registry::with_builtins().build(type_name, &value, &NoRefs)
}

/// An in-process endpoint that answers with what it received: the URI as the body, and every
/// request header echoed back as `x-echo-<name>`.
#[derive(Debug)]
pub struct Echo;

impl Endpoint for Echo {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let mut res = Response::new(Body::from(req.uri().to_string()));
        for (name, value) in req.headers() {
            let echoed = http::HeaderName::try_from(format!("x-echo-{name}")).unwrap();
            res.headers_mut().append(echoed, value.clone());
        }
        Box::pin(async move { res })
    }
}

/// Runs `chain` then `endpoint` on `req`.
pub async fn run(chain: &[Arc<dyn Middleware>], endpoint: &dyn Endpoint, req: Request) -> Response {
    bounded(Next::new(chain, endpoint).run(req)).await
}

/// Collects a response body.
pub async fn body_bytes(res: Response) -> Bytes {
    bounded(res.into_body().collect()).await.unwrap().to_bytes()
}

/// A body fed by a channel: each `Bytes` sent is one data frame, as an upstream that flushes.
pub struct ChannelBody(pub mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

type Handler = Arc<dyn Fn(http::Request<Incoming>) -> BoxFuture<'static, Response> + Send + Sync>;

/// Starts an upstream HTTP/1.1 + HTTP/2 server answering with `handler`.
pub async fn upstream<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(http::Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let handler: Handler = Arc::new(move |req| Box::pin(handler(req)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let fut = handler(req);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

/// Forwards requests to an upstream with a pooled hyper-util client (the endpoint of the front).
#[derive(Clone)]
pub struct Forward {
    client: Client<HttpConnector, Body>,
    upstream: SocketAddr,
}

impl Forward {
    pub fn new(upstream: SocketAddr) -> Self {
        Forward {
            client: Client::builder(TokioExecutor::new()).build_http(),
            upstream,
        }
    }
}

impl Endpoint for Forward {
    fn call<'a>(&'a self, mut req: Request) -> BoxFuture<'a, Response> {
        let pq = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *req.uri_mut() = format!("http://{}{pq}", self.upstream).parse().unwrap();
        *req.version_mut() = http::Version::HTTP_11;
        Box::pin(async move {
            match self.client.request(req).await {
                Ok(res) => res.map(Body::from),
                Err(e) => {
                    let mut res = Response::new(Body::from(e.to_string()));
                    *res.status_mut() = http::StatusCode::BAD_GATEWAY;
                    res
                }
            }
        })
    }
}

/// Starts a front server that runs `chain` in front of `upstream`; with `tls`, it terminates
/// TLS and tells the chain so through `ConnInfo`.
pub async fn front(
    chain: Vec<Arc<dyn Middleware>>,
    upstream: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let chain: Arc<[Arc<dyn Middleware>]> = chain.into();
    let forward = Arc::new(Forward::new(upstream));
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                return;
            };
            let (chain, forward, tls) = (chain.clone(), forward.clone(), tls.clone());
            tokio::spawn(async move {
                let info = Arc::new(match tls {
                    Some(_) => ConnInfo::with_tls(peer, "websecure", TlsInfo::default()),
                    None => ConnInfo::plain(peer, "web"),
                });
                let svc = service_fn(move |req: http::Request<Incoming>| {
                    let (chain, forward, info) = (chain.clone(), forward.clone(), info.clone());
                    async move {
                        let mut req = req.map(Body::from);
                        req.extensions_mut().insert(info);
                        Ok::<_, Infallible>(Next::new(&chain, forward.as_ref()).run(req).await)
                    }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                match tls {
                    Some(cfg) => {
                        let Ok(stream) = tokio_rustls::TlsAcceptor::from(cfg).accept(stream).await
                        else {
                            return;
                        };
                        let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                    }
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
            });
        }
    });
    addr
}

/// A plain HTTP/1.1 client.
pub fn client() -> Client<HttpConnector, Body> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends `req` to `addr` over plain HTTP and collects the answer.
pub async fn send(
    addr: SocketAddr,
    mut req: http::Request<Body>,
) -> (http::response::Parts, Bytes) {
    let pq = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *req.uri_mut() = format!("http://{addr}{pq}").parse().unwrap();
    let res = bounded(client().request(req)).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts, bounded(body.collect()).await.unwrap().to_bytes())
}

/// Sends `req` to `addr` over TLS (trusting `ca`, SNI `host`) and collects the answer.
pub async fn send_tls(
    addr: SocketAddr,
    ca: &rampart_testkit::TestCa,
    host: &str,
    mut req: http::Request<Body>,
) -> (http::response::Parts, Bytes) {
    let cfg = ca.client_config(&[]);
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*cfg).clone())
        .https_only()
        .enable_http1()
        .wrap_connector(ResolveTo { inner: http, addr });
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build(https);
    let pq = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *req.uri_mut() = format!("https://{host}{pq}").parse().unwrap();
    let res = bounded(client.request(req)).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts, bounded(body.collect()).await.unwrap().to_bytes())
}

/// Connects every URI to one address (so the TLS client can use a real server name).
#[derive(Clone)]
struct ResolveTo {
    inner: HttpConnector,
    addr: SocketAddr,
}

impl tower_service::Service<http::Uri> for ResolveTo {
    type Response = <HttpConnector as tower_service::Service<http::Uri>>::Response;
    type Error = <HttpConnector as tower_service::Service<http::Uri>>::Error;
    type Future = <HttpConnector as tower_service::Service<http::Uri>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, _uri: http::Uri) -> Self::Future {
        let uri: http::Uri = format!("http://{}", self.addr).parse().unwrap();
        self.inner.call(uri)
    }
}
