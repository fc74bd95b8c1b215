//! What one certificate resolver asks for, in Traefik's vocabulary
//! (`certificatesResolvers.<name>.acme.*`). The binary maps its config onto these types; this
//! module knows nothing of config files.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use super::env::Env;
use super::error::AcmeError;

/// Let's Encrypt's production directory, Traefik's default `caServer`.
pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// One certificate resolver (`certificatesResolvers.<name>.acme`).
///
/// ```
/// use rampart_tls::acme::{AcmeResolverSpec, ChallengeSpec, KeyType};
///
/// let mut spec = AcmeResolverSpec::new("le", "/data/acme.json", ChallengeSpec::TlsAlpn);
/// spec.email = Some("admin@example.com".into());
/// spec.key_type = KeyType::Ec256;
/// assert_eq!(spec.ca_server, rampart_tls::acme::LETS_ENCRYPT_PRODUCTION);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct AcmeResolverSpec {
    /// The resolver's name: the top-level key in `acme.json` and in logs.
    pub name: String,
    /// `email`: the registration contact (`mailto:` is added).
    pub email: Option<String>,
    /// `storage`: the `acme.json` path (one file may hold several resolvers).
    pub storage: PathBuf,
    /// `caServer`: the ACME directory URL.
    pub ca_server: String,
    /// `caCertificates`: PEM files whose certificates are trusted for the ACME server's TLS.
    pub ca_certificates: Vec<PathBuf>,
    /// `caSystemCertPool`: also trust the system's roots when `caCertificates` is set.
    pub ca_system_cert_pool: bool,
    /// `caServerName`: the name checked in the ACME server's certificate instead of the URL's
    /// host.
    pub ca_server_name: Option<String>,
    /// `keyType`: the certificate key algorithm.
    pub key_type: KeyType,
    /// `eab`: External Account Binding.
    pub eab: Option<Eab>,
    /// `certificatesDuration`: how long the CA's certificates live; drives the renewal schedule.
    pub certificates_duration: Duration,
    /// `preferredChain`: the issuer common name of the chain's top certificate to prefer.
    pub preferred_chain: Option<String>,
    /// How the CA validates control of the names.
    pub challenge: ChallengeSpec,
    /// The environment the DNS provider and `LEGO_CA_CERTIFICATES` are read from, passed in
    /// explicitly (the process environment is never read or changed here).
    pub env: Env,
    /// Retry bounds for failed orders (not a Traefik key; lego retries inside one attempt).
    pub retry: RetrySpec,
}

impl fmt::Debug for AcmeResolverSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `env` and `eab` hold secrets: show only which keys are set.
        f.debug_struct("AcmeResolverSpec")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("storage", &self.storage)
            .field("ca_server", &self.ca_server)
            .field("key_type", &self.key_type)
            .field("eab", &self.eab.as_ref().map(|e| &e.kid))
            .field("certificates_duration", &self.certificates_duration)
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl AcmeResolverSpec {
    /// A resolver with Traefik's defaults: Let's Encrypt production, `RSA4096`, 2160 hours.
    pub fn new(
        name: impl Into<String>,
        storage: impl Into<PathBuf>,
        challenge: ChallengeSpec,
    ) -> Self {
        AcmeResolverSpec {
            name: name.into(),
            email: None,
            storage: storage.into(),
            ca_server: LETS_ENCRYPT_PRODUCTION.to_owned(),
            ca_certificates: Vec::new(),
            ca_system_cert_pool: false,
            ca_server_name: None,
            key_type: KeyType::default(),
            eab: None,
            certificates_duration: Duration::from_hours(2160),
            preferred_chain: None,
            challenge,
            env: Env::default(),
            retry: RetrySpec::default(),
        }
    }

    /// Checks what Traefik checks at start: a non-empty storage path and resolver name.
    pub fn validate(&self) -> Result<(), AcmeError> {
        if self.name.is_empty() {
            return Err(AcmeError::Spec("the resolver name is empty".into()));
        }
        if self.storage.as_os_str().is_empty() {
            // Traefik: "unable to initialize certificates resolver ..., all the storage must be defined".
            return Err(AcmeError::Spec(format!(
                "resolver {:?}: acme.storage is empty",
                self.name
            )));
        }
        if let ChallengeSpec::Dns(dns) = &self.challenge
            && dns.provider.is_empty()
        {
            return Err(AcmeError::Spec(format!(
                "resolver {:?}: dnsChallenge.provider is empty",
                self.name
            )));
        }
        Ok(())
    }
}

/// `keyType`: the algorithm of certificate keys (the account key is separate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeyType {
    /// ECDSA P-256.
    Ec256,
    /// ECDSA P-384.
    Ec384,
    /// RSA 2048 bits.
    Rsa2048,
    /// RSA 4096 bits (Traefik's default).
    #[default]
    Rsa4096,
    /// RSA 8192 bits.
    Rsa8192,
}

impl KeyType {
    /// Parses Traefik's spelling. Like Traefik (`GetKeyType`), an empty value means the default;
    /// unlike Traefik, an unknown value is an error rather than a silent fallback.
    ///
    /// ```
    /// use rampart_tls::acme::KeyType;
    /// assert_eq!(KeyType::parse("EC384").unwrap(), KeyType::Ec384);
    /// assert_eq!(KeyType::parse("").unwrap(), KeyType::Rsa4096);
    /// assert!(KeyType::parse("P256").is_err());
    /// ```
    pub fn parse(value: &str) -> Result<Self, AcmeError> {
        Ok(match value {
            "EC256" => KeyType::Ec256,
            "EC384" => KeyType::Ec384,
            "RSA2048" => KeyType::Rsa2048,
            "" | "RSA4096" => KeyType::Rsa4096,
            "RSA8192" => KeyType::Rsa8192,
            other => {
                return Err(AcmeError::Spec(format!(
                    "keyType {other:?} is not one of EC256, EC384, RSA2048, RSA4096, RSA8192"
                )));
            }
        })
    }

    /// Traefik's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Ec256 => "EC256",
            KeyType::Ec384 => "EC384",
            KeyType::Rsa2048 => "RSA2048",
            KeyType::Rsa4096 => "RSA4096",
            KeyType::Rsa8192 => "RSA8192",
        }
    }
}

/// `eab`: External Account Binding (RFC 8555 §7.3.4).
#[derive(Clone)]
#[non_exhaustive]
pub struct Eab {
    /// `kid`: the key identifier the CA gave.
    pub kid: String,
    /// `hmacEncoded`: the MAC key, base64url without padding.
    pub hmac_encoded: String,
}

impl Eab {
    /// An EAB from the CA-provided key id and base64url MAC key.
    pub fn new(kid: impl Into<String>, hmac_encoded: impl Into<String>) -> Self {
        Eab {
            kid: kid.into(),
            hmac_encoded: hmac_encoded.into(),
        }
    }
}

impl fmt::Debug for Eab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Eab")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Which challenge the resolver answers (`dnsChallenge`, `httpChallenge`, `tlsChallenge`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChallengeSpec {
    /// DNS-01 through a provider; the only one that can validate wildcards.
    Dns(DnsChallengeSpec),
    /// HTTP-01: the proxy serves `/.well-known/acme-challenge/<token>` on `entry_point`.
    Http {
        /// `httpChallenge.entryPoint`.
        entry_point: String,
    },
    /// TLS-ALPN-01: the TLS resolver answers `acme-tls/1` handshakes.
    TlsAlpn,
}

impl ChallengeSpec {
    /// Traefik's key for it, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            ChallengeSpec::Dns(_) => "dnsChallenge",
            ChallengeSpec::Http { .. } => "httpChallenge",
            ChallengeSpec::TlsAlpn => "tlsChallenge",
        }
    }
}

/// `dnsChallenge.*`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DnsChallengeSpec {
    /// `provider`: a lego provider name (`rfc2136`, `cloudflare`, `exec`, `httpreq`).
    pub provider: String,
    /// `resolvers`: `host:port` servers to check propagation against instead of the zone's
    /// authoritative servers.
    pub resolvers: Vec<String>,
    /// `propagation.delayBeforeChecks` (or the older `delayBeforeCheck`): wait this long after
    /// publishing before the first check.
    pub delay_before_checks: Duration,
    /// `propagation.disableChecks` (or the older `disablePropagationCheck`): do not check,
    /// only wait `delay_before_checks`.
    pub disable_checks: bool,
}

impl DnsChallengeSpec {
    /// A DNS challenge through `provider`, checks on, no delay.
    pub fn new(provider: impl Into<String>) -> Self {
        DnsChallengeSpec {
            provider: provider.into(),
            ..DnsChallengeSpec::default()
        }
    }
}

/// A certificate request: `tls.domains[]` entry or the `Host` names of one router.
///
/// ```
/// use rampart_tls::acme::DomainRequest;
/// let d = DomainRequest::new("example.test", ["*.example.test", "EXAMPLE.test"]);
/// assert_eq!(d.names(), vec!["example.test", "*.example.test"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct DomainRequest {
    /// `main`: the first name (the certificate's common name).
    pub main: String,
    /// `sans`: the other names.
    pub sans: Vec<String>,
}

impl DomainRequest {
    /// A request for `main` and `sans`.
    pub fn new<I, S>(main: impl Into<String>, sans: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        DomainRequest {
            main: main.into(),
            sans: sans.into_iter().map(Into::into).collect(),
        }
    }

    /// Every name, lower-cased, trailing dot removed, first occurrence kept (Traefik dedupes the
    /// same way before ordering).
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(1 + self.sans.len());
        for n in std::iter::once(&self.main).chain(&self.sans) {
            let n = n.trim().trim_end_matches('.').to_ascii_lowercase();
            if !n.is_empty() && !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

/// Bounds for retrying failed orders: exponential backoff from `initial` doubling up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetrySpec {
    /// Wait after the first failure.
    pub initial: Duration,
    /// The longest wait between attempts.
    pub max: Duration,
}

impl RetrySpec {
    /// Backoff from `initial` to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        RetrySpec {
            initial,
            max: max.max(initial),
        }
    }

    /// The wait after `failures` consecutive failures (1 = the first).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rampart_tls::acme::RetrySpec;
    /// let r = RetrySpec::new(Duration::from_secs(1), Duration::from_secs(5));
    /// assert_eq!(r.delay(1), Duration::from_secs(1));
    /// assert_eq!(r.delay(3), Duration::from_secs(4));
    /// assert_eq!(r.delay(30), Duration::from_secs(5));
    /// ```
    pub fn delay(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(31);
        self.initial.saturating_mul(1u32 << shift).min(self.max)
    }
}

impl Default for RetrySpec {
    /// One minute, doubling, at most six hours: enough to ride out a CA outage without
    /// hammering it (Let's Encrypt limits failed validations to 5 per hour per name).
    fn default() -> Self {
        RetrySpec::new(Duration::from_mins(1), Duration::from_hours(6))
    }
}
