//! The upstream client of a servers transport: pooled keep-alive connections over HTTP/1.1
//! and HTTP/2, TLS by rustls.
//!
//! Like Traefik's `smartRoundTripper`, one transport holds three pools:
//! * `auto` — HTTP/1.1 on `http://`, ALPN (`h2`, `http/1.1`) on `https://`;
//! * `h1` — HTTP/1.1 only, for requests that upgrade the connection (websockets cannot ride
//!   HTTP/2) and for every request when `disableHTTP2` is set;
//! * `h2c` — HTTP/2 with prior knowledge, for `h2c://` servers.
//!
//! The pools ([`Pool`]) are rampart's own over hyper's connection API (see `pool.rs` for why);
//! the dialling is hyper-util's `HttpConnector` under hyper-rustls.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_rustls::{FixedServerNameResolver, HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::ServiceError;
use super::pool::Pool;
use super::spec::TransportSpec;
use super::tls;
use crate::BoxError;

/// Go's `TLSHandshakeTimeout` in `http.DefaultTransport`, which Traefik keeps.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which pool a request goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    /// ALPN decides (HTTP/1.1 on plain connections).
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 with prior knowledge on plain TCP.
    H2c,
}

/// A servers transport: the pooled clients every load balancer that names it shares.
///
/// ```
/// use rampart::service::{Transport, TransportSpec};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let transport = Transport::new(&TransportSpec::default()).unwrap();
/// assert!(transport.response_header_timeout().is_none());
/// # });
/// ```
pub struct Transport {
    auto: Pool,
    h1: Pool,
    h2c: Pool,
    response_header_timeout: Option<Duration>,
    spec: TransportSpec,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Builds the transport; fails on unreadable or invalid TLS material.
    ///
    /// Best built inside the Tokio runtime that will use it (each pool spawns a task there that
    /// closes idle connections after `idleConnTimeout`); requests must run in a runtime.
    pub fn new(spec: &TransportSpec) -> Result<Self, ServiceError> {
        let tls = tls::client_config(spec)?;
        let server_name = match &spec.server_name {
            Some(name) if !name.is_empty() => Some(
                ServerName::try_from(name.trim_matches(['[', ']']).to_owned()).map_err(|e| {
                    ServiceError::Transport {
                        key: "serverName".into(),
                        reason: format!("`{name}`: {e}"),
                    }
                })?,
            ),
            _ => None,
        };

        let auto_h2 = !spec.disable_http2;
        let auto = Connector::new(spec, tls.clone(), server_name.clone(), auto_h2);
        let h1 = Connector::new(spec, tls.clone(), server_name.clone(), false);
        let h2c = Connector::new(spec, tls, server_name, false);
        let (auto, h1, h2c) = (
            pool(spec, auto, false),
            pool(spec, h1, false),
            pool(spec, h2c, true),
        );
        Ok(Transport {
            auto,
            h1,
            h2c,
            response_header_timeout: (!spec.response_header_timeout.is_zero())
                .then_some(spec.response_header_timeout),
            spec: spec.clone(),
        })
    }

    /// The transport Traefik calls `default@internal`, with default settings.
    pub fn default_internal() -> Result<Self, ServiceError> {
        Transport::new(&TransportSpec::default())
    }

    /// `responseHeaderTimeout`, if set.
    pub fn response_header_timeout(&self) -> Option<Duration> {
        self.response_header_timeout
    }

    /// What this transport was built from.
    pub fn spec(&self) -> &TransportSpec {
        &self.spec
    }

    pub(super) fn pool(&self, protocol: Protocol) -> &Pool {
        match protocol {
            Protocol::Auto if self.spec.disable_http2 => &self.h1,
            Protocol::Auto => &self.auto,
            Protocol::Http1 => &self.h1,
            Protocol::H2c => &self.h2c,
        }
    }
}

pub(crate) fn pool(spec: &TransportSpec, connector: Connector, h2_only: bool) -> Pool {
    // Go: MaxIdleConnsPerHost 0 means DefaultMaxIdleConnsPerHost (2); negative keeps none.
    let max_idle = match spec.max_idle_conns_per_host {
        0 => 2,
        n => usize::try_from(n).unwrap_or(0),
    };
    let idle_timeout = (!spec.idle_conn_timeout.is_zero()).then_some(spec.idle_conn_timeout);
    Pool::new(connector, h2_only, max_idle, idle_timeout)
}

/// Dials upstreams: TCP (with `dialTimeout`, `TCP_NODELAY`), then TLS for `https://`.
#[derive(Clone)]
pub(crate) struct Connector {
    inner: HttpsConnector<HttpConnector>,
    timeout: Option<Duration>,
}

impl Connector {
    /// `h2`: offer `h2` in ALPN besides `http/1.1` (hyper-rustls writes the ALPN list).
    pub(crate) fn new(
        spec: &TransportSpec,
        tls: rustls::ClientConfig,
        server_name: Option<ServerName<'static>>,
        h2: bool,
    ) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        // Go's dialer keeps TCP keep-alive probes at 30s.
        http.set_keepalive(Some(Duration::from_secs(30)));
        let dial = (!spec.dial_timeout.is_zero()).then_some(spec.dial_timeout);
        http.set_connect_timeout(dial);
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let builder = match server_name {
            Some(name) => builder.with_server_name_resolver(FixedServerNameResolver::new(name)),
            None => builder,
        };
        let inner = if h2 {
            builder.enable_http1().enable_http2().wrap_connector(http)
        } else {
            builder.enable_http1().wrap_connector(http)
        };
        Connector {
            inner,
            timeout: dial.map(|d| d + TLS_HANDSHAKE_TIMEOUT),
        }
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = MaybeHttpsStream<TokioIo<TcpStream>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let fut = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            match timeout {
                // The TCP dial has its own timeout; this bounds dial + TLS handshake.
                Some(t) => tokio::time::timeout(t, fut).await.map_err(|_| {
                    Box::new(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "TLS handshake timeout",
                    )) as BoxError
                })?,
                None => fut.await,
            }
        })
    }
}
