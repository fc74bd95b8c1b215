//! What the connection tells about a request.
//!
//! The listener (the `rampart` binary, or an embedder) puts one [`ConnInfo`] per connection into
//! every request's extensions as an `Arc<ConnInfo>`; routing (`ClientIP`), forwarded headers and
//! forwardAuth read it from there. A request without one is treated as coming from an unknown
//! peer over plain HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

/// Facts about the connection a request arrived on.
///
/// ```
/// use std::sync::Arc;
/// use rampart::{Body, ConnInfo};
///
/// let info = Arc::new(ConnInfo::plain("127.0.0.1:5555".parse().unwrap(), "web"));
/// let mut req = http::Request::new(Body::empty());
/// req.extensions_mut().insert(info);
/// assert_eq!(ConnInfo::of(&req).unwrap().peer.port(), 5555);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnInfo {
    /// The TCP peer (after the PROXY protocol, when that is enabled).
    pub peer: SocketAddr,
    /// The local address the connection was accepted on, when known.
    pub local: Option<SocketAddr>,
    /// The entrypoint name (`web`, `websecure`, …).
    pub entrypoint: Arc<str>,
    /// TLS facts, when the connection is TLS.
    pub tls: Option<TlsInfo>,
}

/// Facts about a TLS connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The SNI server name the client sent, lower-cased.
    pub server_name: Option<Arc<str>>,
    /// The negotiated ALPN protocol.
    pub alpn: Option<Arc<[u8]>>,
    /// The negotiated protocol version, in Traefik's spelling (`1.3`).
    pub version: Option<&'static str>,
    /// The negotiated cipher suite, in Traefik's (Go's) spelling.
    pub cipher: Option<&'static str>,
    /// The TLS options name the handshake used (`default`, `tls-opts@file`, …).
    pub options: Option<Arc<str>>,
    /// The client certificate chain (DER), for mTLS.
    pub client_certs: Option<Arc<[Vec<u8>]>>,
}

impl ConnInfo {
    /// A plain-HTTP connection from `peer` on `entrypoint`.
    pub fn plain(peer: SocketAddr, entrypoint: &str) -> Self {
        ConnInfo {
            peer,
            local: None,
            entrypoint: Arc::from(entrypoint),
            tls: None,
        }
    }

    /// A TLS connection from `peer` on `entrypoint`.
    pub fn with_tls(peer: SocketAddr, entrypoint: &str, tls: TlsInfo) -> Self {
        ConnInfo {
            peer,
            local: None,
            entrypoint: Arc::from(entrypoint),
            tls: Some(tls),
        }
    }

    /// Sets the local address.
    #[must_use]
    pub fn local(mut self, local: SocketAddr) -> Self {
        self.local = Some(local);
        self
    }

    /// The connection info of a request, if the listener attached one.
    pub fn of<B>(req: &http::Request<B>) -> Option<&ConnInfo> {
        req.extensions().get::<Arc<ConnInfo>>().map(AsRef::as_ref)
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}
