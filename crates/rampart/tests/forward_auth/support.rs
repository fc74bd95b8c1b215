//! Test rig: a real hyper server on 127.0.0.1:0 running a chain, a raw HTTP/1.1 client, and a
//! recording upstream.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rampart::middleware::forward_auth::{ForwardAuth, ForwardAuthConfig};
use rampart::middleware::{BoxFuture, Chain, Endpoint, Middleware};
use rampart::{Body, ConnInfo, Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Generous: the machine is shared.
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

/// What the upstream received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

type Answer = Arc<dyn Fn() -> Response + Send + Sync>;

/// The application behind forwardAuth: records every request and answers with `answer`.
///
/// Like any proxy hop (RFC 9110 §7.6.1) it drops the headers the request's `Connection`
/// header lists before recording, so an attack that hides behind `Connection` shows.
#[derive(Clone)]
pub(crate) struct Upstream {
    seen: Arc<Mutex<Vec<Seen>>>,
    answer: Answer,
}

impl Upstream {
    pub(crate) fn new() -> Self {
        Self::answering(|| Response::new(Body::from("traefik\n")))
    }

    pub(crate) fn answering(answer: impl Fn() -> Response + Send + Sync + 'static) -> Self {
        Upstream {
            seen: Arc::default(),
            answer: Arc::new(answer),
        }
    }

    pub(crate) fn calls(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub(crate) fn last(&self) -> Seen {
        self.calls().pop().expect("the upstream was called")
    }
}

impl Endpoint for Upstream {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let listed: Vec<String> = parts
                .headers
                .get_all("connection")
                .iter()
                .flat_map(|v| v.to_str().unwrap_or("").split(','))
                .map(|t| t.trim().to_ascii_lowercase())
                .collect();
            for name in listed {
                if let Ok(n) = http::HeaderName::from_bytes(name.as_bytes()) {
                    parts.headers.remove(n);
                }
            }
            let body = body
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .unwrap_or_default();
            self.seen.lock().unwrap().push(Seen {
                method: parts.method,
                uri: parts.uri,
                headers: parts.headers,
                body,
            });
            (self.answer)()
        })
    }
}

/// Decodes a config from JSON.
pub(crate) fn config(json: &str) -> ForwardAuthConfig {
    let v: rampart_config::Value = serde_json::from_str(json).expect("test config is JSON");
    rampart_config::from_value(&v).expect("test config decodes")
}

pub(crate) fn forward_auth(json: &str) -> Arc<dyn Middleware> {
    Arc::new(ForwardAuth::new(config(json)).expect("forwardAuth builds"))
}

pub(crate) fn chain(json: &str, upstream: &Upstream) -> Chain {
    Chain::new([forward_auth(json)], Arc::new(upstream.clone()))
}

/// A running proxy: hyper (HTTP/1.1 and HTTP/2) serving `chain` on 127.0.0.1:0.
pub(crate) struct Proxy {
    pub(crate) addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn serve(chain: Chain) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((stream, peer)) = listener.accept().await {
            let chain = chain.clone();
            let info = Arc::new(ConnInfo::plain(peer, "web"));
            conns.spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let chain = chain.clone();
                        let info = info.clone();
                        async move {
                            let mut req = req.map(Body::from);
                            req.extensions_mut().insert(info);
                            Ok::<_, Infallible>(chain.call(req).await)
                        }
                    });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Proxy { addr, task }
}

/// A response as read off the wire.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

impl Raw {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Sends `head` (request line and headers, CRLF-separated, without the final blank line; a
/// `Connection: close` is added) and `body`, and reads the whole answer.
pub(crate) async fn send(addr: SocketAddr, head: &str, body: &[u8]) -> Raw {
    tokio::time::timeout(DEADLINE, async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut req = head.replace('\n', "\r\n");
        if !body.is_empty() {
            let _ = write!(req, "\r\nContent-Length: {}", body.len());
        }
        req.push_str("\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        parse(&buf)
    })
    .await
    .expect("the proxy answered in time")
}

fn parse(buf: &[u8]) -> Raw {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut res = httparse::Response::new(&mut headers);
    let len = match res.parse(buf).expect("a valid HTTP response") {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => panic!("truncated response: {}", String::from_utf8_lossy(buf)),
    };
    let headers: Vec<(String, String)> = res
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let rest = &buf[len..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Raw {
        status: res.code.unwrap(),
        headers,
        body: body.into(),
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..pos]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[pos + 2..pos + 2 + size]);
        rest = &rest[pos + 4 + size..];
    }
}

/// Runs `req` through `chain` in-process, with a deadline.
pub(crate) async fn call(chain: &Chain, req: Request) -> (u16, HeaderMap, Bytes) {
    tokio::time::timeout(DEADLINE, async {
        let res = chain.call(req).await;
        let (parts, body) = res.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (parts.status.as_u16(), parts.headers, body)
    })
    .await
    .expect("the chain answered in time")
}

/// `GET {uri}` with `headers`, no connection info (like Go's `httptest.NewRequest` with an
/// empty `RemoteAddr`).
pub(crate) fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::empty()).unwrap()
}
