//! SNI → certificate, for rustls ([`ResolvesServerCert`]).

use std::fmt;
use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::challenge::{ACME_TLS_ALPN, ChallengeCerts};
use crate::store::CertStore;

/// Picks the certificate for a handshake.
///
/// 1. A `ClientHello` offering ALPN `acme-tls/1` is an ACME server validating a domain: it gets
///    that domain's TLS-ALPN-01 challenge certificate or nothing (RFC 8737 §3; Traefik does
///    the same).
/// 2. Otherwise the store's certificate for the SNI: exact name, then one-label wildcard.
/// 3. Otherwise the default certificate, unless `sniStrict` is on: then the handshake fails
///    (no SNI, or an SNI no certificate serves).
///
/// ```
/// use std::sync::Arc;
/// use rampart_tls::{AlpnChallengeCerts, CertStore, Resolver};
///
/// let store = Arc::new(CertStore::new());
/// let lax = Resolver::new(store.clone(), Arc::new(AlpnChallengeCerts::new()));
/// assert!(lax.resolve_server_name(Some("unknown.example.test")).is_some()); // the default
///
/// let strict = lax.clone().with_sni_strict(true);
/// assert!(strict.resolve_server_name(Some("unknown.example.test")).is_none());
/// assert!(strict.resolve_server_name(None).is_none());
/// ```
#[derive(Clone)]
pub struct Resolver {
    store: Arc<CertStore>,
    challenges: Arc<dyn ChallengeCerts>,
    sni_strict: bool,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("sni_strict", &self.sni_strict)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver over `store` that answers TLS-ALPN-01 from `challenges`.
    pub fn new(store: Arc<CertStore>, challenges: Arc<dyn ChallengeCerts>) -> Self {
        Resolver {
            store,
            challenges,
            sni_strict: false,
        }
    }

    /// Refuses handshakes that only the default certificate would serve.
    #[must_use]
    pub fn with_sni_strict(mut self, sni_strict: bool) -> Self {
        self.sni_strict = sni_strict;
        self
    }

    /// Steps 2 and 3 above: the certificate for `server_name`, or the default, or `None` under
    /// `sniStrict`.
    pub fn resolve_server_name(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        let snapshot = self.store.snapshot();
        if let Some(entry) = server_name.and_then(|name| snapshot.lookup(name)) {
            return Some(entry.cert.certified_key().clone());
        }
        if self.sni_strict {
            tracing::debug!(
                sni = server_name,
                "sniStrict: no certificate for this server name, refusing the handshake"
            );
            return None;
        }
        tracing::trace!(sni = server_name, "serving the default certificate");
        Some(snapshot.default_entry().cert.certified_key().clone())
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if offers_acme_tls(&hello) {
            return challenge_cert(self.challenges.as_ref(), hello.server_name());
        }
        self.resolve_server_name(hello.server_name())
    }
}

/// Whether the `ClientHello` offers `acme-tls/1` (an ACME validation, RFC 8737 §3).
pub(crate) fn offers_acme_tls(hello: &ClientHello<'_>) -> bool {
    hello
        .alpn()
        .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN))
}

fn challenge_cert(
    challenges: &dyn ChallengeCerts,
    server_name: Option<&str>,
) -> Option<Arc<CertifiedKey>> {
    let cert =
        server_name.and_then(|name| challenges.challenge_cert(&crate::names::normalize(name)));
    if cert.is_none() {
        tracing::debug!(
            sni = server_name,
            "TLS-ALPN-01: no challenge certificate for this name"
        );
    }
    cert
}

/// Serves only TLS-ALPN-01 challenge certificates (the acceptor's configuration for
/// `acme-tls/1` handshakes).
#[derive(Debug)]
pub(crate) struct ChallengeResolver(pub(crate) Arc<dyn ChallengeCerts>);

impl ResolvesServerCert for ChallengeResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        challenge_cert(self.0.as_ref(), hello.server_name())
    }
}

/// Serves one certificate, or none (the acceptor's per-connection answers: the certificate for
/// the local IP address when there is no SNI, or a refusal).
#[derive(Debug)]
pub(crate) struct FixedResolver(pub(crate) Option<Arc<CertifiedKey>>);

impl ResolvesServerCert for FixedResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.clone()
    }
}
