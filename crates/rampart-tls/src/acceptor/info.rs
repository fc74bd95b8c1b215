//! What a finished handshake tells the layers above (the binary turns it into
//! `rampart::TlsInfo`).

use std::sync::Arc;

use rustls::ServerConnection;

use crate::options::names::{cipher_suite_name, version_name};

/// Facts about an accepted TLS connection, in Traefik's spelling.
///
/// The fields mirror `rampart::TlsInfo` one to one (this crate does not depend on `rampart`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsConnInfo {
    /// The SNI, lower-cased, without a trailing dot.
    pub server_name: Option<Arc<str>>,
    /// The negotiated ALPN protocol.
    pub alpn: Option<Arc<[u8]>>,
    /// The negotiated version: `1.2` or `1.3`.
    pub version: Option<&'static str>,
    /// The negotiated cipher suite, Go's name (`TLS_AES_128_GCM_SHA256`).
    pub cipher: Option<&'static str>,
    /// The TLS options the handshake used (`default`, `mtls@file`).
    pub options: Arc<str>,
    /// The client's certificate chain (DER, leaf first), when it sent one.
    pub client_certs: Option<Arc<[Vec<u8>]>>,
}

impl TlsConnInfo {
    pub(crate) fn of(
        conn: &ServerConnection,
        server_name: Option<Arc<str>>,
        options: Arc<str>,
    ) -> Self {
        TlsConnInfo {
            server_name,
            alpn: conn.alpn_protocol().map(Arc::from),
            version: conn.protocol_version().and_then(version_name),
            cipher: conn
                .negotiated_cipher_suite()
                .and_then(|s| cipher_suite_name(s.suite())),
            options,
            client_certs: conn
                .peer_certificates()
                .map(|chain| chain.iter().map(|c| c.to_vec()).collect()),
        }
    }
}
