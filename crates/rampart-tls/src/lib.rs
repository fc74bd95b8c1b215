//! TLS for rampart: certificates in, rustls server configurations out.
//!
//! Termination (this part) and ACME (`acme`, instant-acme) live here; sockets stay in the
//! binary. A connection's path through termination:
//!
//! ```text
//! TlsAcceptor ─ ClientHello ─▶ HostOptions (SNI → options name) ─▶ OptionsSet (ServerConfig)
//!      │                                                              │
//!      └─ acme-tls/1 ─▶ ChallengeCerts                  Resolver (SNI → certificate) ─▶ CertStore
//! ```
//!
//! * [`FileOrPem`], [`LoadedCert`] — PEM certificates and keys in, checked.
//! * [`CertStore`] — every certificate (files, ACME, the default), swapped atomically;
//!   [`CertInfo`] lists them.
//! * [`Resolver`] — SNI → certificate for rustls; [`AlpnChallengeCerts`] for TLS-ALPN-01.
//! * [`options`] — TLS options → rustls `ServerConfig`s ([`options::OptionsSet`]).
//! * [`HostOptions`] — SNI → TLS options name (Traefik's per-router options).
//! * [`TlsAcceptor`] — the handshake, under a deadline; [`TlsConnInfo`] reports it.
//! * [`TlsSpec`] and friends — the plain inputs, in Traefik's vocabulary; [`Report`] — what
//!   building found.
//!
//! ```
//! use std::sync::Arc;
//! use rampart_testkit::TestCa;
//! use rampart_tls::{
//!     AcceptorConfig, AlpnChallengeCerts, CertStore, CertificateSpec, FileOrPem, HostOptions,
//!     TlsAcceptor, TlsSpec,
//! };
//!
//! let leaf = TestCa::new("doc").server_cert(&["app.example.test"]);
//! let mut spec = TlsSpec::default();
//! spec.certificates.push(CertificateSpec::new(
//!     FileOrPem::Pem(leaf.cert_pem.clone()),
//!     FileOrPem::Pem(leaf.key_pem.clone()),
//! ));
//! let store = Arc::new(CertStore::new()); // lives as long as the process: ACME fills it too
//! let challenges = Arc::new(AlpnChallengeCerts::new());
//! let (config, report) =
//!     AcceptorConfig::build(&spec, &HostOptions::builder(), &store, challenges.clone());
//! assert!(report.is_ok(), "{:?}", report.errors);
//! let acceptor = TlsAcceptor::new(config);
//! // On reload: build again and `acceptor.swap(new_config)`.
//! # let _ = acceptor;
//! ```

mod acceptor;
pub mod acme;
mod challenge;
mod default_cert;
mod error;
mod hosts;
mod info;
mod load;
mod names;
pub mod options;
mod provider;
mod report;
mod resolver;
mod source;
mod spec;
mod store;

pub use acceptor::{Accepted, AcceptorConfig, TlsAcceptor, TlsConnInfo};
pub use challenge::{ACME_TLS_ALPN, AlpnChallengeCerts, ChallengeCerts};
pub use default_cert::{GENERATED_DEFAULT_CN, generated_default};
pub use error::{AcceptError, TlsError};
pub use hosts::{HostOptions, HostOptionsBuilder};
pub use info::{CertInfo, CertOrigin};
pub use load::LoadedCert;
pub use options::{ClientAuthSpec, TlsOptionsSpec};
pub use report::{Report, Warning};
pub use resolver::Resolver;
pub use source::FileOrPem;
pub use spec::{CertificateSpec, DEFAULT_NAME, GeneratedCertSpec, StoreSpec, TlsSpec};
pub use store::{CertStore, FileCerts};
