//! `whoami@internal`: Traefik's whoami, built in.

use std::fmt::Write as _;
use std::sync::Arc;

use http::StatusCode;
use http_body_util::{BodyExt, Limited};

use crate::error::status_response;
use crate::middleware::{BoxFuture, Endpoint};
use crate::{Body, ConnInfo, Request, Response};

/// The most of a request body whoami echoes.
const MAX_BODY: usize = 1 << 20;

/// Echoes the request in the text format of `traefik/whoami`: `Hostname`, one `IP` line per
/// interface address, `RemoteAddr`, then the request as HTTP/1.1 (request line, `Host`,
/// `User-Agent`, the other headers sorted by canonical name, CRLF line ends), then the body.
///
/// ```
/// use http_body_util::BodyExt;
/// use rampart::middleware::Endpoint;
/// use rampart::service::internal::Whoami;
/// use rampart::{Body, Request};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let req = http::Request::get("/").header("host", "app.test").body(Body::empty()).unwrap();
/// let res = Whoami::new().call(req).await;
/// let text = res.into_body().collect().await.unwrap().to_bytes();
/// assert!(String::from_utf8_lossy(&text).contains("GET / HTTP/1.1\r\nHost: app.test\r\n"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Whoami {
    hostname: Arc<str>,
    ips: Arc<[String]>,
}

impl Default for Whoami {
    fn default() -> Self {
        Whoami::new()
    }
}

impl Whoami {
    /// Reads the hostname and interface addresses once.
    pub fn new() -> Self {
        let hostname = gethostname::gethostname();
        let ips = if_addrs::get_if_addrs()
            .map(|addrs| addrs.into_iter().map(|a| a.ip().to_string()).collect())
            .unwrap_or_default();
        Whoami {
            hostname: Arc::from(hostname.to_str().unwrap_or("localhost")),
            ips,
        }
    }

    async fn serve(&self, req: Request) -> Response {
        let mut out = String::new();
        let _ = writeln!(out, "Hostname: {}", self.hostname);
        for ip in self.ips.iter() {
            let _ = writeln!(out, "IP: {ip}");
        }
        if let Some(info) = ConnInfo::of(&req) {
            let _ = writeln!(out, "RemoteAddr: {}", info.peer);
        }
        let (parts, body) = req.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let _ = write!(out, "{} {target} HTTP/1.1\r\n", parts.method);
        let host = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| {
                parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let _ = write!(out, "Host: {host}\r\n");
        if let Some(ua) = parts.headers.get(http::header::USER_AGENT) {
            let _ = write!(
                out,
                "User-Agent: {}\r\n",
                String::from_utf8_lossy(ua.as_bytes())
            );
        }
        let mut lines: Vec<(String, String)> = parts
            .headers
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "host" | "user-agent" | "content-length" | "transfer-encoding" | "trailer"
                )
            })
            .map(|(k, v)| {
                (
                    canonical(k.as_str()),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // A stable sort keeps several values of one header in their order, as Go does.
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, v) in lines {
            let _ = write!(out, "{k}: {v}\r\n");
        }
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return status_response(StatusCode::PAYLOAD_TOO_LARGE),
        };
        if !body.is_empty() {
            let _ = write!(out, "Content-Length: {}\r\n", body.len());
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&body);
        let mut res = Response::new(Body::from(bytes));
        res.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        res
    }
}

/// Go's `CanonicalMIMEHeaderKey`: upper-case the first letter and each one after `-`.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c };
            upper = c == '-';
            out
        })
        .collect()
}

impl Endpoint for Whoami {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        Box::pin(self.serve(req))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn echoes_like_traefik_whoami() {
        let w = Whoami::new();
        let mut req = http::Request::post("/x?y=1")
            .header("host", "app.test")
            .header("user-agent", "curl/8")
            .header("x-b", "2")
            .header("accept", "*/*")
            .body(Body::from("hi"))
            .unwrap();
        req.extensions_mut().insert(Arc::new(ConnInfo::plain(
            "10.0.0.9:4321".parse().unwrap(),
            "web",
        )));
        let res = w.call(req).await;
        let text = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap();
        assert!(text.starts_with("Hostname: "), "{text}");
        assert!(text.contains("\nRemoteAddr: 10.0.0.9:4321\n"), "{text}");
        let request = text.split_once("POST").unwrap().1;
        assert_eq!(
            request,
            " /x?y=1 HTTP/1.1\r\nHost: app.test\r\nUser-Agent: curl/8\r\nAccept: */*\r\nX-B: 2\r\nContent-Length: 2\r\n\r\nhi"
        );
    }
}
