//! `X-Forwarded-*` at the entrypoint (Traefik's `forwardedheaders.XForwarded`).

use std::fmt;
use std::net::IpAddr;

use http::header::{HOST, HeaderMap, HeaderName, HeaderValue};

use super::connection;
use super::{EntrypointError, TrustedIps};
use crate::ConnInfo;
use crate::forwarded::remove_managed;
use crate::middleware::{BoxFuture, Middleware, Next};
use crate::{Request, Response};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_SERVER: HeaderName = HeaderName::from_static("x-forwarded-server");
const X_FORWARDED_SCHEME: HeaderName = HeaderName::from_static("x-forwarded-scheme");
const X_SCHEME: HeaderName = HeaderName::from_static("x-scheme");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

/// `entryPoints.<name>.forwardedHeaders`, in Traefik's vocabulary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardedHeadersSpec {
    /// `trustedIPs`: peers whose `X-Forwarded-*` headers are kept.
    pub trusted_ips: Vec<String>,
    /// `insecure`: trust every peer.
    pub insecure: bool,
    /// `connection`: header names a `Connection` header may not remove at the entrypoint (they
    /// stay listed, so the backend hop drops them).
    pub connection: Vec<String>,
    /// `notAppendXForwardedFor`: the proxy does not append the peer to `X-Forwarded-For`.
    pub not_append_x_forwarded_for: bool,
    /// `addXForwardedSchemeHeaders`: also set `X-Forwarded-Scheme` and `X-Scheme`.
    pub add_x_forwarded_scheme_headers: bool,
}

impl ForwardedHeadersSpec {
    /// The defaults: nobody trusted, nothing kept.
    pub fn new() -> Self {
        ForwardedHeadersSpec::default()
    }
}

/// A request-extension marker: `notAppendXForwardedFor` is on for this request's entrypoint, so
/// the proxy must not append the peer address to `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAppendXForwardedFor;

/// The compiled `forwardedHeaders` stage of one entrypoint.
///
/// Runs first on every request (see [`ForwardedHeaders::apply`]); also usable as the first
/// [`Middleware`] of a chain.
pub struct ForwardedHeaders {
    trusted: TrustedIps,
    insecure: bool,
    connection: Vec<HeaderName>,
    not_append_xff: bool,
    add_scheme_headers: bool,
    server: HeaderValue,
}

impl fmt::Debug for ForwardedHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForwardedHeaders")
            .field("trusted", &self.trusted)
            .field("insecure", &self.insecure)
            .field("connection", &self.connection)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl ForwardedHeaders {
    /// Builds the stage; `X-Forwarded-Server` is this machine's hostname (computed once).
    pub fn new(spec: &ForwardedHeadersSpec) -> Result<Self, EntrypointError> {
        let connection = spec
            .connection
            .iter()
            .map(|n| {
                HeaderName::from_bytes(n.trim().as_bytes())
                    .map_err(|_| EntrypointError::HeaderName(n.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ForwardedHeaders {
            trusted: TrustedIps::parse(&spec.trusted_ips)?,
            insecure: spec.insecure,
            connection,
            not_append_xff: spec.not_append_x_forwarded_for,
            add_scheme_headers: spec.add_x_forwarded_scheme_headers,
            server: hostname_value(),
        })
    }

    /// Replaces the `X-Forwarded-Server` value (Traefik's tests set it; so may embedders).
    #[must_use]
    pub fn with_server_name(mut self, name: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(name) {
            self.server = v;
        }
        self
    }

    /// Whether `peer` may set the managed headers.
    pub fn is_trusted(&self, peer: Option<IpAddr>) -> bool {
        self.insecure || peer.is_some_and(|ip| self.trusted.contains(ip))
    }

    /// Rewrites a request's forwarded headers in place.
    ///
    /// The peer and the scheme come from the request's [`ConnInfo`]; without one the peer is
    /// unknown (never trusted unless `insecure`) and the connection is taken as plain HTTP.
    pub fn apply<B>(&self, req: &mut http::Request<B>) {
        let conn = ConnInfo::of(req);
        let peer = conn.map(|c| c.peer.ip().to_canonical());
        let real_ip = conn.map(ConnInfo::peer_ip_value);
        let tls = conn.is_some_and(ConnInfo::is_tls);
        let host = request_host(req);
        let headers = req.headers_mut();

        let sanitised = !self.is_trusted(peer);
        if sanitised {
            remove_managed(headers);
        }
        self.rewrite(headers, real_ip, tls, host, sanitised);
        connection::apply(headers, &self.connection);

        if self.not_append_xff {
            req.extensions_mut().insert(NotAppendXForwardedFor);
        }
    }

    /// `real_ip`: the peer's address as a value. `sanitised`: the managed headers were just
    /// removed, so none of them can be present (their lookups are skipped).
    fn rewrite(
        &self,
        headers: &mut HeaderMap,
        real_ip: Option<HeaderValue>,
        tls: bool,
        host: Option<HeaderValue>,
        sanitised: bool,
    ) {
        let absent = |headers: &HeaderMap, name: &HeaderName| sanitised || is_absent(headers, name);
        if let Some(ip) = real_ip
            && absent(headers, &X_REAL_IP)
        {
            headers.insert(X_REAL_IP, ip);
        }

        let mut proto_secure = tls;
        if absent(headers, &X_FORWARDED_PROTO) {
            let ws = connection::is_websocket_upgrade(headers);
            let proto = match (ws, tls) {
                (true, true) => "wss",
                (true, false) => "ws",
                (false, true) => "https",
                (false, false) => "http",
            };
            headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(proto));
        } else {
            proto_secure = headers
                .get(&X_FORWARDED_PROTO)
                .is_some_and(|p| p == "https" || p == "wss");
        }

        if absent(headers, &X_FORWARDED_PORT) {
            let port = host.as_ref().and_then(host_port).map_or_else(
                || HeaderValue::from_static(if proto_secure || tls { "443" } else { "80" }),
                |p| match p {
                    "80" => HeaderValue::from_static("80"),
                    "443" => HeaderValue::from_static("443"),
                    p => HeaderValue::from_str(p).expect("digits are a valid value"),
                },
            );
            headers.insert(X_FORWARDED_PORT, port);
        }

        if self.add_scheme_headers
            && let Some(proto) = headers.get(&X_FORWARDED_PROTO).cloned()
        {
            headers.insert(X_FORWARDED_SCHEME, proto.clone());
            headers.insert(X_SCHEME, proto);
        }

        if let Some(host) = host
            && !host.is_empty()
            && absent(headers, &X_FORWARDED_HOST)
        {
            headers.insert(X_FORWARDED_HOST, host);
        }

        // RFC 7230 §3.2.2: several X-Forwarded-For lines are one list, in order.
        if !sanitised
            && let http::header::Entry::Occupied(mut entry) = headers.entry(X_FORWARDED_FOR)
            && entry.iter().nth(1).is_some()
        {
            let joined = entry
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(v) = HeaderValue::from_str(&joined) {
                entry.insert(v);
            }
        }

        headers.insert(X_FORWARDED_SERVER, self.server.clone());
    }
}

impl Middleware for ForwardedHeaders {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        self.apply(&mut req);
        next.run(req)
    }
}

/// Go's `Header.Get(k) == ""`: missing, or its first value empty.
fn is_absent(headers: &HeaderMap, name: &HeaderName) -> bool {
    headers.get(name).is_none_or(HeaderValue::is_empty)
}

/// The request's host as Go's `req.Host`: the authority of an absolute-form URI (HTTP/2
/// `:authority`, RFC 9112 §3.2.2) wins over the `Host` header.
pub(crate) fn request_host<B>(req: &http::Request<B>) -> Option<HeaderValue> {
    if let Some(auth) = req.uri().authority() {
        return HeaderValue::from_str(auth.as_str()).ok();
    }
    req.headers().get(HOST).cloned()
}

/// The port of a `host[:port]` value, as Go's `net.SplitHostPort` finds it.
fn host_port(host: &HeaderValue) -> Option<&str> {
    let s = host.to_str().ok()?;
    let port = if let Some(rest) = s.strip_prefix('[') {
        rest.split_once("]:")?.1
    } else {
        let (h, p) = s.rsplit_once(':')?;
        if h.contains(':') {
            return None; // a bare IPv6 literal has no port
        }
        p
    };
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())).then_some(port)
}

/// This machine's hostname as a header value, `localhost` when it has none (as Traefik).
fn hostname_value() -> HeaderValue {
    let name = gethostname::gethostname();
    name.to_str()
        .and_then(|n| HeaderValue::from_str(n).ok())
        .unwrap_or_else(|| HeaderValue::from_static("localhost"))
}
