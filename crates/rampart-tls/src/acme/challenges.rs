//! The two small maps through which ACME and the proxy meet while a challenge is open.
//!
//! ACME writes; the proxy reads. [`Http01Tokens`] answers
//! `GET /.well-known/acme-challenge/<token>` (RFC 8555 §8.3) on the `httpChallenge` entry
//! point; [`TlsAlpnCerts`] gives the TLS resolver the self-signed `acmeIdentifier` certificate
//! to present when a handshake offers ALPN `acme-tls/1` (RFC 8737 §3). Both are cheap to clone
//! (shared state) and lock-free to read.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

/// The path prefix HTTP-01 challenges are served under (RFC 8555 §8.3).
pub const HTTP01_PATH_PREFIX: &str = "/.well-known/acme-challenge/";

/// The ALPN protocol id of TLS-ALPN-01 (RFC 8737 §6.2).
pub use crate::ACME_TLS_ALPN;

/// Open HTTP-01 challenges: token → key authorization.
///
/// ```
/// use rampart_tls::acme::Http01Tokens;
/// let tokens = Http01Tokens::default();
/// tokens.insert("tok", "tok.thumb");
/// assert_eq!(tokens.response_for_path("/.well-known/acme-challenge/tok").as_deref(), Some("tok.thumb"));
/// assert_eq!(tokens.get("other"), None);
/// tokens.remove("tok");
/// assert!(tokens.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Http01Tokens {
    inner: Arc<ArcSwap<HashMap<String, String>>>,
}

impl Http01Tokens {
    /// The key authorization to answer for `token`.
    pub fn get(&self, token: &str) -> Option<String> {
        self.inner.load().get(token).cloned()
    }

    /// The body to serve for a request path, if it is an open challenge's path. The proxy
    /// answers it `200` with `Content-Type: application/octet-stream` (what the CA expects) and
    /// falls through to routing otherwise, as Traefik's `acme-http@internal` router does.
    pub fn response_for_path(&self, path: &str) -> Option<String> {
        self.get(path.strip_prefix(HTTP01_PATH_PREFIX)?)
    }

    /// Opens a challenge.
    pub fn insert(&self, token: &str, key_authorization: &str) {
        self.inner.rcu(|m| {
            let mut m = HashMap::clone(m);
            m.insert(token.to_owned(), key_authorization.to_owned());
            m
        });
    }

    /// Closes a challenge.
    pub fn remove(&self, token: &str) {
        self.inner.rcu(|m| {
            let mut m = HashMap::clone(m);
            m.remove(token);
            m
        });
    }

    /// True when no challenge is open.
    pub fn is_empty(&self) -> bool {
        self.inner.load().is_empty()
    }
}

/// Open TLS-ALPN-01 challenges: server name → the challenge certificate. This is the
/// termination side's map ([`crate::AlpnChallengeCerts`]): the TLS resolver consults it for
/// handshakes offering `acme-tls/1`, so ACME and termination share one type.
pub type TlsAlpnCerts = crate::AlpnChallengeCerts;

/// Both maps, handed to the ACME manager and to the proxy.
#[derive(Debug, Clone, Default)]
pub struct ChallengeMaps {
    /// HTTP-01 tokens.
    pub http01: Http01Tokens,
    /// TLS-ALPN-01 certificates.
    pub tls_alpn: TlsAlpnCerts,
}
