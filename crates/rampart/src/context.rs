//! What the connection tells about a request.
//!
//! The listener (the `rampart` binary, or an embedder) puts one [`ConnInfo`] per connection into
//! every request's extensions as an `Arc<ConnInfo>`; routing (`ClientIP`), forwarded headers and
//! forwardAuth read it from there. A request without one is treated as coming from an unknown
//! peer over plain HTTP.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use http::HeaderValue;

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
    /// The peer's IP as a header value, formatted on first use (see [`ConnInfo::peer_ip_value`]).
    peer_value: PeerValue,
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
            peer_value: PeerValue::default(),
        }
    }

    /// A TLS connection from `peer` on `entrypoint`.
    pub fn with_tls(peer: SocketAddr, entrypoint: &str, tls: TlsInfo) -> Self {
        ConnInfo {
            peer,
            local: None,
            entrypoint: Arc::from(entrypoint),
            tls: Some(tls),
            peer_value: PeerValue::default(),
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

    /// The peer's IP address as a header value (`X-Real-Ip`, `X-Forwarded-For`), an
    /// IPv4-mapped IPv6 address in its IPv4 form (as Go's `net.SplitHostPort` + `ParseIP`
    /// prints it).
    ///
    /// Formatted once per connection, then shared: every request of a keep-alive connection
    /// writes it into one or more headers, and a clone is a reference count, not a copy.
    ///
    /// ```
    /// use rampart::ConnInfo;
    /// let info = ConnInfo::plain("[::ffff:10.0.0.7]:5555".parse().unwrap(), "web");
    /// assert_eq!(info.peer_ip_value(), "10.0.0.7");
    /// assert_eq!(info.peer_ip_value(), "10.0.0.7"); // the second time from the cache
    /// ```
    pub fn peer_ip_value(&self) -> HeaderValue {
        let ip = self.peer.ip().to_canonical();
        // `peer` is a public field: a value cached before it was changed is not used.
        match self.peer_value.0.get() {
            Some((cached, value)) if *cached == ip => value.clone(),
            Some(_) => crate::forwarded::ip_value(ip),
            None => self
                .peer_value
                .0
                .get_or_init(|| (ip, crate::forwarded::ip_value(ip)))
                .1
                .clone(),
        }
    }
}

/// The cache behind [`ConnInfo::peer_ip_value`]: not part of what a `ConnInfo` says, so it
/// never makes two equal infos differ, and a clone starts empty.
#[derive(Default)]
struct PeerValue(OnceLock<(IpAddr, HeaderValue)>);

impl Clone for PeerValue {
    fn clone(&self) -> Self {
        PeerValue::default()
    }
}

impl PartialEq for PeerValue {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for PeerValue {}

impl fmt::Debug for PeerValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("..")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_value_follows_the_peer_and_never_changes_equality() {
        let mut info = ConnInfo::plain("10.0.0.1:1".parse().unwrap(), "web");
        let fresh = info.clone();
        assert_eq!(info.peer_ip_value(), "10.0.0.1");
        // Filled cache or not, the facts are what compares.
        assert_eq!(info, fresh);
        // A peer replaced after the value was cached (PROXY protocol, an embedder): the new one.
        info.peer = "[2001:db8::5]:2".parse().unwrap();
        assert_eq!(info.peer_ip_value(), "2001:db8::5");
        assert_eq!(info.clone().peer_ip_value(), "2001:db8::5");
    }
}
