//! DNS-01: providers that publish `_acme-challenge` TXT records, configured through lego's
//! environment variables, and the propagation check that waits until the record is visible
//! before the CA is told to look.
//!
//! | provider | how it publishes |
//! |---|---|
//! | [`rfc2136`](Rfc2136) | RFC 2136 dynamic update signed with TSIG |
//! | [`cloudflare`](Cloudflare) | Cloudflare API v4 |
//! | [`exec`](Exec) | runs `EXEC_PATH present\|cleanup …` (lego's protocol) |
//! | [`httpreq`](HttpReq) | `POST /present` and `/cleanup` to `HTTPREQ_ENDPOINT` (lego's protocol) |

mod cloudflare;
mod exec;
mod http;
mod httpreq;
mod propagation;
mod query;
mod rfc2136;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use cloudflare::Cloudflare;
pub use exec::Exec;
pub use httpreq::HttpReq;
pub use propagation::PropagationChecker;
pub use rfc2136::Rfc2136;

use super::error::AcmeError;
use super::spec::Env;

/// A boxed future, so that [`DnsProvider`] stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One DNS-01 record to publish or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TxtRecord {
    /// The name as ordered: `*.d` for a wildcard (lego's "targeted domain", what RAW modes
    /// pass on).
    pub domain: String,
    /// `_acme-challenge.<domain>.`, fully qualified with the trailing dot.
    pub fqdn: String,
    /// The TXT value: base64url(SHA-256(key authorization)) (RFC 8555 §8.4).
    pub value: String,
    /// The challenge token (lego's RAW modes pass it on).
    pub token: String,
    /// The key authorization (lego's RAW modes pass it on).
    pub key_auth: String,
}

impl TxtRecord {
    /// The record for `domain` with the given challenge values; the wildcard and its apex share
    /// one name (RFC 8555 §8.4: the `*.` is dropped).
    ///
    /// ```
    /// use rampart_tls::acme::dns::TxtRecord;
    /// let r = TxtRecord::new("*.example.test", "tok", "tok.thumb", "value");
    /// assert_eq!(r.fqdn, "_acme-challenge.example.test.");
    /// assert_eq!(r.domain, "*.example.test");
    /// ```
    pub fn new(domain: &str, token: &str, key_auth: &str, value: &str) -> Self {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let base = domain.strip_prefix("*.").unwrap_or(&domain);
        TxtRecord {
            fqdn: format!("_acme-challenge.{base}."),
            domain,
            value: value.to_owned(),
            token: token.to_owned(),
            key_auth: key_auth.to_owned(),
        }
    }
}

/// How long to wait for a record to become visible, and how often to look (lego's
/// `PROPAGATION_TIMEOUT` / `POLLING_INTERVAL` per provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timing {
    /// Give up after this long.
    pub propagation_timeout: Duration,
    /// Look again after this long.
    pub polling_interval: Duration,
}

impl Default for Timing {
    /// lego's defaults: 60 s, every 2 s.
    fn default() -> Self {
        Timing {
            propagation_timeout: Duration::from_mins(1),
            polling_interval: Duration::from_secs(2),
        }
    }
}

/// Publishes and removes DNS-01 TXT records. Implementations must add to the record set, not
/// replace it: a wildcard and its apex need two values on the same name at once.
pub trait DnsProvider: Send + Sync + std::fmt::Debug {
    /// lego's name for the provider.
    fn name(&self) -> &'static str;
    /// Publishes the record.
    fn present<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>>;
    /// Removes the record (only this value).
    fn cleanup<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>>;
    /// Propagation timing for this provider.
    fn timing(&self) -> Timing {
        Timing::default()
    }
}

/// Builds the provider lego calls `name` from `env`.
///
/// ```
/// use rampart_tls::acme::{dns, Env};
/// let env = Env::default().with("EXEC_PATH", "/usr/local/bin/dns-hook");
/// let p = dns::provider("exec", &env).unwrap();
/// assert_eq!(p.name(), "exec");
/// assert!(dns::provider("route53", &env).is_err());
/// ```
pub fn provider(name: &str, env: &Env) -> Result<Arc<dyn DnsProvider>, AcmeError> {
    Ok(match name {
        "rfc2136" => Arc::new(Rfc2136::from_env(env)?),
        "cloudflare" => Arc::new(Cloudflare::from_env(env)?),
        "exec" => Arc::new(Exec::from_env(env)?),
        "httpreq" => Arc::new(HttpReq::from_env(env)?),
        other => {
            return Err(AcmeError::Spec(format!(
                "dnsChallenge.provider {other:?} is not supported (supported: rfc2136, cloudflare, exec, httpreq)"
            )));
        }
    })
}

/// lego's `env.GetOrDefaultSecond`: a whole number of seconds.
pub(crate) fn env_seconds(env: &Env, name: &str, default: Duration) -> Result<Duration, AcmeError> {
    match env.get(name)? {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| AcmeError::Spec(format!("{name}={v:?} is not a whole number of seconds"))),
    }
}

/// The timing variables `<PREFIX>PROPAGATION_TIMEOUT` / `<PREFIX>POLLING_INTERVAL`.
pub(crate) fn env_timing(env: &Env, prefix: &str, default: Timing) -> Result<Timing, AcmeError> {
    Ok(Timing {
        propagation_timeout: env_seconds(
            env,
            &format!("{prefix}PROPAGATION_TIMEOUT"),
            default.propagation_timeout,
        )?,
        polling_interval: env_seconds(
            env,
            &format!("{prefix}POLLING_INTERVAL"),
            default.polling_interval,
        )?,
    })
}
