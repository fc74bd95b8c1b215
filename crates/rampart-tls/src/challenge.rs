//! TLS-ALPN-01 (RFC 8737): challenge certificates that ACME puts up and the resolver serves.
//!
//! When a `ClientHello` offers the ALPN protocol `acme-tls/1`, it comes from an ACME server
//! validating a domain, and the answer must be that domain's challenge certificate, never a
//! regular one (RFC 8737 §3). ACME fills a [`ChallengeCerts`] source; the resolver and the
//! acceptor only read it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::sign::CertifiedKey;

use crate::names::normalize;

/// The ALPN protocol ID of TLS-ALPN-01 (RFC 8737 §6.2).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Where the resolver looks up TLS-ALPN-01 challenge certificates.
///
/// [`AlpnChallengeCerts`] is the ready-made map; an ACME implementation with its own map only
/// needs this one method to plug in.
pub trait ChallengeCerts: Send + Sync + fmt::Debug {
    /// The challenge certificate for `server_name` (lower-case, no trailing dot), if a
    /// validation for it is pending.
    fn challenge_cert(&self, server_name: &str) -> Option<Arc<CertifiedKey>>;
}

/// A shared, swappable map from domain to TLS-ALPN-01 challenge certificate.
///
/// Clones share the map. Writers replace it whole (arc-swap), so handshakes never wait on them.
///
/// ```
/// use rampart_tls::{AlpnChallengeCerts, ChallengeCerts, LoadedCert};
/// use rampart_testkit::TestCa;
///
/// let challenges = AlpnChallengeCerts::new();
/// let leaf = TestCa::new("doc").server_cert(&["example.test"]);
/// let cert = LoadedCert::from_pem(leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes(), "doc").unwrap();
/// challenges.insert("Example.TEST", cert.certified_key());
/// assert!(challenges.challenge_cert("example.test").is_some());
/// assert!(challenges.remove("example.test"));
/// assert!(challenges.is_empty());
/// ```
#[derive(Clone, Default)]
pub struct AlpnChallengeCerts {
    map: Arc<ArcSwap<HashMap<String, Arc<CertifiedKey>>>>,
}

impl fmt::Debug for AlpnChallengeCerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map = self.map.load();
        let mut domains: Vec<&String> = map.keys().collect();
        domains.sort();
        f.debug_struct("AlpnChallengeCerts")
            .field("domains", &domains)
            .finish()
    }
}

impl AlpnChallengeCerts {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts up (or replaces) the challenge certificate for `domain`.
    pub fn insert(&self, domain: &str, cert: &Arc<CertifiedKey>) {
        let domain = normalize(domain).into_owned();
        self.map.rcu(|map| {
            let mut map = HashMap::clone(map);
            map.insert(domain.clone(), cert.clone());
            map
        });
    }

    /// Takes down the challenge certificate for `domain`; whether there was one.
    pub fn remove(&self, domain: &str) -> bool {
        let domain = normalize(domain);
        let mut removed = false;
        self.map.rcu(|map| {
            let mut map = HashMap::clone(map);
            removed = map.remove(domain.as_ref()).is_some();
            map
        });
        removed
    }

    /// How many challenges are up.
    pub fn len(&self) -> usize {
        self.map.load().len()
    }

    /// Whether no challenge is up.
    pub fn is_empty(&self) -> bool {
        self.map.load().is_empty()
    }
}

impl ChallengeCerts for AlpnChallengeCerts {
    fn challenge_cert(&self, server_name: &str) -> Option<Arc<CertifiedKey>> {
        self.map
            .load()
            .get(normalize(server_name).as_ref())
            .cloned()
    }
}
