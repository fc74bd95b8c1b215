//! ACME certificates (RFC 8555) the way Traefik's `certificatesResolvers.<name>.acme` obtains
//! them: DNS-01 (wildcards) through lego-compatible providers, HTTP-01 and TLS-ALPN-01 through
//! two small maps the proxy serves from, Traefik's `acme.json` storage, and Traefik's renewal
//! schedule.
//!
//! The parts, in the order a certificate travels:
//! - [`spec`](AcmeResolverSpec): what a resolver asks for ([`DomainRequest`]s in, settings).
//! - [`AcmeManager`]: the resolver's task; orders what is missing or due, retries with backoff.
//! - [`dns`]: DNS providers and the propagation check; [`challenges`](ChallengeMaps): the
//!   HTTP-01 tokens and TLS-ALPN-01 certificates the proxy serves while a challenge is open.
//! - [`AcmeStorage`]: `acme.json`, read and written in Traefik's exact shape.
//! - [`CertificateSink`]: where certificates go (the TLS store).
#![doc = include_str!("../../docs/acme.md")]

mod certs;
mod challenges;
mod client;
pub mod dns;
mod env;
mod error;
mod manager;
mod order;
mod renewal;
mod spec;
mod storage;

pub use certs::{CertFacts, effective_key_type};
pub use challenges::{
    ACME_TLS_ALPN, ChallengeMaps, HTTP01_PATH_PREFIX, Http01Tokens, TlsAlpnCerts,
};
pub use error::AcmeError;
pub use manager::{AcmeManager, CertificateInfo, CertificateSink, serve_stored};
pub use renewal::RenewalSchedule;
pub use spec::{
    AcmeResolverSpec, ChallengeSpec, DnsChallengeSpec, DomainRequest, Eab, Env, KeyType,
    LETS_ENCRYPT_PRODUCTION, RetrySpec,
};
pub use storage::{
    AcmeStorage, Registration, ResolverData, StoredAccount, StoredCertificate, StoredDomain,
};
