//! Forwarding one request to one server (Traefik's `buildSingleHostProxy` around Go's
//! `httputil.ReverseProxy`).

use std::fmt;
use std::sync::Arc;

use http::header::{HOST, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{StatusCode, Uri};
use hyper::upgrade::OnUpgrade;

use super::body::{DoneSignal, Signalled};
use super::pool::Dial;
use super::transport::Protocol;
use super::{ServiceError, Transport, error, hop, upgrade};
use crate::entrypoint::NotAppendXForwardedFor;
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, Endpoint};
use crate::{Body, ConnInfo, Request, Response};

const X_FORWARDED_FOR: http::HeaderName = http::HeaderName::from_static("x-forwarded-for");

/// The server a request goes to: a `servers[].url` of a load balancer, parsed once.
///
/// ```
/// use rampart::service::Target;
/// let t = Target::parse("h2c://10.0.0.5:50051", false).unwrap();
/// assert_eq!(t.authority(), "10.0.0.5:50051");
/// assert!(Target::parse("ftp://10.0.0.5", false).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Target {
    url: Arc<str>,
    authority: Authority,
    dial: Dial,
    /// The URL's path without a trailing `/`, when `preservePath` prepends it.
    base_path: Option<Arc<str>>,
    protocol: Protocol,
}

impl Target {
    /// Parses a server URL (`http://`, `https://`, or `h2c://` for HTTP/2 with prior knowledge).
    pub fn parse(url: &str, preserve_path: bool) -> Result<Self, ServiceError> {
        let bad = |reason: &str| ServiceError::ServerUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        let (scheme, protocol) = match uri.scheme_str() {
            Some("http") => (Scheme::HTTP, Protocol::Auto),
            Some("https") => (Scheme::HTTPS, Protocol::Auto),
            Some("h2c") => (Scheme::HTTP, Protocol::H2c),
            Some(other) => return Err(bad(&format!("unsupported scheme `{other}`"))),
            None => return Err(bad("missing scheme (http://, https:// or h2c://)")),
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| bad("missing host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user info is not allowed in a server URL"));
        }
        let path = uri.path().trim_end_matches('/');
        let base_path = (preserve_path && !path.is_empty()).then(|| Arc::from(path));
        Ok(Target {
            url: Arc::from(url),
            dial: Dial::new(scheme, authority.clone()),
            authority,
            base_path,
            protocol,
        })
    }

    /// The URL as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `host:port` of the server.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The upstream request target (origin-form) for `pq` (path and query as received).
    fn uri_for(&self, pq: Option<&PathAndQuery>) -> Result<Uri, http::Error> {
        if let Some(pq) = pq
            && self.base_path.is_none()
            && !pq.query().is_some_and(|q| q.contains(';'))
        {
            // The usual case: the request's own target, shared (no copy, no parse).
            return Ok(Uri::from(pq.clone()));
        }
        let pq = pq.map_or("/", PathAndQuery::as_str);
        // Go's ReverseProxy turns `;` in the query into `&` (Traefik keeps it, for middlewares
        // that add semicolons); only allocate when there is one.
        let pq: std::borrow::Cow<'_, str> = match pq.split_once('?') {
            Some((p, q)) if q.contains(';') => format!("{p}?{}", q.replace(';', "&")).into(),
            _ => pq.into(),
        };
        let pq = match &self.base_path {
            // JoinURLPath: exactly one `/` between the two.
            Some(base) => {
                let sep = if pq.starts_with('/') { "" } else { "/" };
                std::borrow::Cow::Owned(format!("{base}{sep}{pq}"))
            }
            None => pq,
        };
        Uri::builder().path_and_query(pq.as_ref()).build()
    }
}

/// Forwards requests to one server: an [`Endpoint`].
///
/// ```
/// use std::sync::Arc;
/// use rampart::service::{Forwarder, Target, Transport, TransportSpec};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let transport = Arc::new(Transport::new(&TransportSpec::default()).unwrap());
/// let target = Target::parse("http://127.0.0.1:8080", false).unwrap();
/// let forwarder = Forwarder::new(target, true, transport);
/// assert_eq!(forwarder.target().url(), "http://127.0.0.1:8080");
/// # });
/// ```
#[derive(Clone)]
pub struct Forwarder {
    target: Target,
    pass_host_header: bool,
    transport: Arc<Transport>,
}

impl fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarder")
            .field("url", &self.target.url())
            .field("pass_host_header", &self.pass_host_header)
            .finish_non_exhaustive()
    }
}

impl Forwarder {
    /// A forwarder to `target` over `transport`.
    pub fn new(target: Target, pass_host_header: bool, transport: Arc<Transport>) -> Self {
        Forwarder {
            target,
            pass_host_header,
            transport,
        }
    }

    /// The server this forwarder talks to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Forwards `req` and returns the upstream's response, or the error status.
    pub async fn forward(&self, req: Request) -> Response {
        let guard = ClientGone::new(&self.target);
        let res = match self.exchange(req).await {
            Ok(res) => res,
            Err(err) => err.into_response(),
        };
        guard.done();
        res
    }

    async fn exchange(&self, mut req: Request) -> Result<Response, RequestError> {
        let peer = ConnInfo::of(&req).map(ConnInfo::peer_ip_value);
        let append_xff = req.extensions().get::<NotAppendXForwardedFor>().is_none();
        let downstream_upgrade: Option<OnUpgrade> = req.extensions_mut().remove::<OnUpgrade>();

        let upgrade_proto = hop::strip_request(req.headers_mut());
        if let (true, Some(ip)) = (append_xff, peer) {
            append_x_forwarded_for(req.headers_mut(), ip);
        }

        let original_authority = req.uri().authority().cloned();
        let uri = self
            .target
            .uri_for(req.uri().path_and_query())
            .map_err(|e| {
                RequestError::new(
                    ErrorSource::Internal,
                    StatusCode::BAD_GATEWAY,
                    e.to_string(),
                )
            })?;
        *req.uri_mut() = uri;
        if self.pass_host_header {
            // An HTTP/2 client sends `:authority`, not `Host`: carry it as the Host.
            if !req.headers().contains_key(HOST)
                && let Some(auth) = original_authority
                && let Ok(v) = HeaderValue::from_str(auth.as_str())
            {
                req.headers_mut().insert(HOST, v);
            }
        } else {
            // Go: `outreq.Host = target.Host`, the URL's authority as written.
            let host = HeaderValue::from_str(self.target.authority.as_str())
                .expect("an authority is a valid header value");
            req.headers_mut().insert(HOST, host);
        }

        let protocol = if upgrade_proto.is_some() {
            Protocol::Http1
        } else {
            self.target.protocol
        };
        let (req, done) = self.signal_body_end(req);
        let pool = self.transport.pool(protocol);
        // Pinned once and borrowed by whichever wait applies: this future holds one copy of it.
        let fut = std::pin::pin!(pool.send(&self.target.dial, req));
        let mut res = match (self.transport.response_header_timeout(), done) {
            (Some(limit), Some(done)) => {
                tokio::select! {
                    r = fut => r,
                    () = async { done.wait().await; tokio::time::sleep(limit).await } => {
                        return Err(error::response_header_timeout());
                    }
                }
            }
            (Some(limit), None) => tokio::time::timeout(limit, fut)
                .await
                .map_err(|_| error::response_header_timeout())?,
            (None, _) => fut.await,
        }
        .map_err(|e| error::classify(&*e))?;

        if res.status() == StatusCode::SWITCHING_PROTOCOLS {
            return upgrade::relay(upgrade_proto.as_ref(), downstream_upgrade, &mut res)
                .map(|()| res.map(|_| Body::empty()));
        }
        hop::strip_response(res.headers_mut());
        Ok(res.map(Body::from))
    }

    /// With `responseHeaderTimeout`, the clock starts once the request body is sent (Go's
    /// rule); a body that is still streaming is wrapped to say when it ends.
    fn signal_body_end(&self, req: Request) -> (Request, Option<DoneSignal>) {
        if self.transport.response_header_timeout().is_none() {
            return (req, None);
        }
        if http_body::Body::is_end_stream(req.body()) {
            return (req, None);
        }
        let (parts, body) = req.into_parts();
        let (body, done) = Signalled::new(body);
        (Request::from_parts(parts, Body::new(body)), Some(done))
    }
}

impl Endpoint for Forwarder {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        Box::pin(self.forward(req))
    }
}

/// `X-Forwarded-For` = the values so far (several lines folded into one) + the peer (its
/// address as a value: [`ConnInfo::peer_ip_value`]).
fn append_x_forwarded_for(headers: &mut http::HeaderMap, ip: HeaderValue) {
    let mut prior = headers.get_all(&X_FORWARDED_FOR).iter().peekable();
    if prior.peek().is_none() {
        // The usual case (the entrypoint dropped an untrusted client's list): no string work,
        // the connection's own value shared.
        headers.insert(X_FORWARDED_FOR, ip);
        return;
    }
    let mut value = Vec::with_capacity(64);
    for v in prior {
        if v.to_str().is_ok() {
            value.extend_from_slice(v.as_bytes());
            value.extend_from_slice(b", ");
        }
    }
    value.extend_from_slice(ip.as_bytes());
    if let Ok(v) = HeaderValue::from_bytes(&value) {
        headers.insert(X_FORWARDED_FOR, v);
    }
}

/// Logs Traefik's 499 when the client goes away before the response is ready (the future is
/// dropped; nothing can be sent).
struct ClientGone<'a> {
    target: &'a Target,
    armed: bool,
}

impl<'a> ClientGone<'a> {
    fn new(target: &'a Target) -> Self {
        ClientGone {
            target,
            armed: true,
        }
    }

    fn done(mut self) {
        self.armed = false;
    }
}

impl Drop for ClientGone<'_> {
    fn drop(&mut self) {
        if self.armed {
            tracing::debug!(
                status = error::CLIENT_CLOSED_REQUEST,
                server = self.target.url(),
                "client closed request"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls_are_checked() {
        assert!(Target::parse("http://127.0.0.1:8080", false).is_ok());
        assert!(Target::parse("h2c://127.0.0.1:8080", false).is_ok());
        for bad in ["127.0.0.1:8080", "ftp://x", "http://", "http://u:p@host/"] {
            let err = Target::parse(bad, false).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn path_is_prepended_only_with_preserve_path() {
        let t = Target::parse("http://h:1/api/", false).unwrap();
        let pq: PathAndQuery = "/x?a=1;b=2".parse().unwrap();
        assert_eq!(t.uri_for(Some(&pq)).unwrap(), "/x?a=1&b=2");
        let t = Target::parse("http://h:1/api/", true).unwrap();
        assert_eq!(t.uri_for(Some(&pq)).unwrap(), "/api/x?a=1&b=2");
        let t = Target::parse("h2c://h:1", true).unwrap();
        let pq: PathAndQuery = "/".parse().unwrap();
        assert_eq!(t.uri_for(Some(&pq)).unwrap(), "/");
    }

    #[test]
    fn xff_folds_lines_and_appends_the_peer() {
        let mut h = http::HeaderMap::new();
        h.append("x-forwarded-for", "a, b".parse().unwrap());
        h.append("x-forwarded-for", "c".parse().unwrap());
        append_x_forwarded_for(&mut h, HeaderValue::from_static("127.0.0.1"));
        assert_eq!(h.get_all("x-forwarded-for").iter().count(), 1);
        assert_eq!(h["x-forwarded-for"], "a, b, c, 127.0.0.1");
    }
}
