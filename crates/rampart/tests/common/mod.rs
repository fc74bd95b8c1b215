//! Test helpers: serve an `Endpoint` on 127.0.0.1 behind a tiny hyper server (the binary does
//! not exist yet), with the entrypoint stage in front and a `ConnInfo` on every request.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rampart::entrypoint::{ForwardedHeaders, ForwardedHeadersSpec};
use rampart::middleware::Endpoint;
use rampart::{Body, ConnInfo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Every test is bounded: a hang fails instead of blocking CI.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A front server: hyper (h1 + h2c, upgrades) → entrypoint stage → the endpoint.
pub struct Front {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Front {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `endpoint` with the default entrypoint stage (nobody trusted).
pub async fn serve(endpoint: Arc<dyn Endpoint>) -> Front {
    serve_with(endpoint, ForwardedHeadersSpec::default()).await
}

/// Serves `endpoint` with the entrypoint stage built from `spec`.
pub async fn serve_with(endpoint: Arc<dyn Endpoint>, spec: ForwardedHeadersSpec) -> Front {
    let stage = Arc::new(
        ForwardedHeaders::new(&spec)
            .unwrap()
            .with_server_name("rampart-test"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                continue;
            };
            let (endpoint, stage) = (endpoint.clone(), stage.clone());
            conns.spawn(async move {
                let info = Arc::new(ConnInfo::plain(peer, "web"));
                let svc = service_fn(move |req: http::Request<Incoming>| {
                    let (endpoint, stage, info) = (endpoint.clone(), stage.clone(), info.clone());
                    async move {
                        let mut req = req.map(Body::from);
                        req.extensions_mut().insert(info);
                        stage.apply(&mut req);
                        Ok::<_, std::convert::Infallible>(endpoint.call(req).await)
                    }
                });
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder.http1().timer(TokioTimer::new());
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(tcp), svc)
                    .await;
            });
            while conns.try_join_next().is_some() {}
        }
    });
    Front { addr, task }
}

pub type TestClient = Client<HttpConnector, Full<Bytes>>;

/// An HTTP/1.1 client.
pub fn client_h1() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// An HTTP/2 client with prior knowledge (h2c).
pub fn client_h2() -> TestClient {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

/// A GET through `client`; returns status, headers and the whole body.
pub async fn get(client: &TestClient, url: &str) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let req = http::Request::get(url)
        .body(Full::new(Bytes::new()))
        .unwrap();
    send(client, req).await
}

pub async fn send(
    client: &TestClient,
    req: http::Request<Full<Bytes>>,
) -> (http::StatusCode, http::HeaderMap, Bytes) {
    tokio::time::timeout(DEADLINE, async {
        let res = client.request(req).await.expect("response");
        let (parts, body) = res.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (parts.status, parts.headers, body)
    })
    .await
    .expect("within the deadline")
}

/// Writes raw bytes to `addr` and reads the answer until the server closes or `idle` passes
/// without a byte.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_millis(1500), tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
