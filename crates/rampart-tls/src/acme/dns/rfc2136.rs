//! `rfc2136`: RFC 2136 dynamic updates signed with TSIG (RFC 8945), lego's variables.
//!
//! Unlike lego, which deletes the whole `RRset` before inserting and therefore solves the
//! challenges of one order one after the other (`RFC2136_SEQUENCE_INTERVAL`, 60 s by
//! default), this provider *adds* to the `RRset` and deletes only its own value, so a wildcard
//! and its apex are validated together. `RFC2136_SEQUENCE_INTERVAL` is read and checked but
//! has nothing to pace.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use hickory_net::client::{Client, ClientHandle};
use hickory_net::proto::op::ResponseCode;
use hickory_net::proto::rr::rdata::TXT;
use hickory_net::proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_net::proto::rr::{RData, Record, RecordSet, TSigner};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::udp::UdpClientStream;

use super::{BoxFuture, DnsProvider, Timing, TxtRecord, env_seconds, env_timing, query};
use crate::acme::error::AcmeError;
use crate::acme::spec::Env;

const NAME: &str = "rfc2136";

/// The `rfc2136` provider.
///
/// ```
/// use rampart_tls::acme::{Env, dns::Rfc2136};
/// let env = Env::default()
///     .with("RFC2136_NAMESERVER", "127.0.0.1:5353")
///     .with("RFC2136_TSIG_KEY", "acme-key")
///     .with("RFC2136_TSIG_SECRET", "c2VjcmV0")
///     .with("RFC2136_TSIG_ALGORITHM", "hmac-sha256.");
/// assert!(Rfc2136::from_env(&env).is_ok());
/// // lego's hmac-sha1 default cannot be signed with hickory: a clear error, not a silent change.
/// let sha1 = env.clone().with("RFC2136_TSIG_ALGORITHM", "hmac-sha1");
/// assert!(Rfc2136::from_env(&sha1).unwrap_err().to_string().contains("hmac-sha1"));
/// ```
#[derive(Clone)]
pub struct Rfc2136 {
    nameserver: SocketAddr,
    signer: Option<TSigner>,
    ttl: u32,
    timing: Timing,
    dns_timeout: Duration,
}

impl std::fmt::Debug for Rfc2136 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rfc2136")
            .field("nameserver", &self.nameserver)
            .field(
                "tsig_key",
                &self.signer.as_ref().map(|s| s.signer_name().to_string()),
            )
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Rfc2136 {
    /// Reads `RFC2136_NAMESERVER` (required; `host[:port]`), `RFC2136_TSIG_KEY`,
    /// `RFC2136_TSIG_SECRET`, `RFC2136_TSIG_ALGORITHM` (hmac-sha256, hmac-sha384,
    /// hmac-sha512), `RFC2136_TTL` (120), `RFC2136_PROPAGATION_TIMEOUT` (60),
    /// `RFC2136_POLLING_INTERVAL` (2), `RFC2136_SEQUENCE_INTERVAL` (60),
    /// `RFC2136_DNS_TIMEOUT` (10); each may be given as `<NAME>_FILE`.
    pub fn from_env(env: &Env) -> Result<Self, AcmeError> {
        let spec = |m: String| AcmeError::Spec(format!("{NAME}: {m}"));
        let ns = env
            .get("RFC2136_NAMESERVER")?
            .ok_or_else(|| spec("RFC2136_NAMESERVER is not set".into()))?;
        let nameserver =
            resolve_host_port(&ns).map_err(|e| spec(format!("RFC2136_NAMESERVER: {e}")))?;
        let key = env.get("RFC2136_TSIG_KEY")?;
        let secret = env.get("RFC2136_TSIG_SECRET")?;
        let signer = match (key, secret) {
            // lego: TSIG is off unless both the key name and the secret are set.
            (Some(key), Some(secret)) => {
                let alg_text = env
                    .get("RFC2136_TSIG_ALGORITHM")?
                    .unwrap_or_else(|| "hmac-sha1".into());
                let algorithm = tsig_algorithm(&alg_text).map_err(spec)?;
                let secret = base64::engine::general_purpose::STANDARD
                    .decode(secret.trim())
                    .map_err(|e| spec(format!("RFC2136_TSIG_SECRET is not base64: {e}")))?;
                let name = query::fqdn(&key.to_ascii_lowercase())
                    .map_err(|e| spec(format!("RFC2136_TSIG_KEY: {e}")))?;
                Some(
                    TSigner::new(secret, algorithm, name, 300)
                        .map_err(|e| spec(format!("TSIG: {e}")))?,
                )
            }
            _ => None,
        };
        let ttl = match env.get("RFC2136_TTL")? {
            None => 120,
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| spec(format!("RFC2136_TTL={v:?} is not a number")))?,
        };
        env_seconds(env, "RFC2136_SEQUENCE_INTERVAL", Duration::from_mins(1))?;
        Ok(Rfc2136 {
            nameserver,
            signer,
            ttl,
            timing: env_timing(env, "RFC2136_", Timing::default())?,
            dns_timeout: env_seconds(env, "RFC2136_DNS_TIMEOUT", Duration::from_secs(10))?,
        })
    }

    async fn change(&self, record: &TxtRecord, add: bool) -> Result<(), AcmeError> {
        let fail = |m: String| AcmeError::dns(NAME, m);
        let name = query::fqdn(&record.fqdn).map_err(fail)?;
        let zone = query::find_zone(self.nameserver, &name, self.dns_timeout)
            .await
            .map_err(fail)?;
        let rr = Record::from_rdata(
            name.clone(),
            self.ttl,
            RData::TXT(TXT::new(vec![record.value.clone()])),
        );
        let rrset = RecordSet::from(rr);

        let stream = UdpClientStream::builder(self.nameserver, TokioRuntimeProvider::new())
            .with_timeout(Some(self.dns_timeout))
            .with_signer(self.signer.clone())
            .build();
        let (mut client, bg) = Client::<TokioRuntimeProvider>::from_sender(stream);
        let bg = tokio::spawn(bg);
        let sent = if add {
            client.append(rrset, zone.clone(), false)
        } else {
            client.delete_by_rdata(rrset, zone.clone())
        };
        let result = tokio::time::timeout(self.dns_timeout + Duration::from_secs(1), sent).await;
        bg.abort();
        let verb = if add { "add" } else { "delete" };
        let rsp = match result {
            Err(_) => {
                return Err(fail(format!(
                    "{verb} {name} TXT at {}: no answer within {:?}",
                    self.nameserver, self.dns_timeout
                )));
            }
            Ok(Err(e)) => {
                let text = e.to_string();
                // hickory reports a server's unsigned BADSIG/BADKEY answer as a protocol error
                // about truncated HMACs; say what it means.
                let text = if self.signer.is_some()
                    && (text.contains("HMAC") || text.contains("TSIG") || text.contains("tsig"))
                {
                    format!(
                        "TSIG authentication failed (check RFC2136_TSIG_KEY/SECRET/ALGORITHM): {text}"
                    )
                } else {
                    text
                };
                return Err(fail(format!(
                    "{verb} {name} TXT at {}: {text}",
                    self.nameserver
                )));
            }
            Ok(Ok(rsp)) => rsp,
        };
        let code = rsp.metadata.response_code;
        if code != ResponseCode::NoError {
            return Err(fail(format!(
                "{verb} {name} TXT in zone {zone} at {}: server replied {code}",
                self.nameserver
            )));
        }
        tracing::debug!(provider = NAME, %name, %zone, verb, "acme: dns update accepted");
        Ok(())
    }
}

impl DnsProvider for Rfc2136 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn present<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.change(record, true))
    }

    fn cleanup<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.change(record, false))
    }

    fn timing(&self) -> Timing {
        self.timing
    }
}

/// lego accepts the miekg/dns names (`hmac-sha256.`); the trailing dot is optional.
fn tsig_algorithm(text: &str) -> Result<TsigAlgorithm, String> {
    match text
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .as_str()
    {
        "hmac-sha256" => Ok(TsigAlgorithm::HmacSha256),
        "hmac-sha384" => Ok(TsigAlgorithm::HmacSha384),
        "hmac-sha512" => Ok(TsigAlgorithm::HmacSha512),
        other @ ("hmac-sha1" | "hmac-sha224" | "hmac-md5.sig-alg.reg.int" | "hmac-md5") => {
            Err(format!(
                "RFC2136_TSIG_ALGORITHM {other} (lego's default is hmac-sha1) is not supported here; \
             hickory signs only hmac-sha256, hmac-sha384 and hmac-sha512: make a key with one of them \
             and set RFC2136_TSIG_ALGORITHM"
            ))
        }
        other => Err(format!("unknown RFC2136_TSIG_ALGORITHM {other:?}")),
    }
}

/// `host`, `host:port`, `[v6]:port`; a host name is resolved once here.
fn resolve_host_port(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = query::server_addr(s) {
        return Ok(a);
    }
    let with_port = if s
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        s.to_owned()
    } else {
        format!("{s}:53")
    };
    std::net::ToSocketAddrs::to_socket_addrs(&with_port)
        .map_err(|e| format!("{s:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{s:?} resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_with_and_without_trailing_dot() {
        assert_eq!(
            tsig_algorithm("hmac-sha256.").unwrap(),
            TsigAlgorithm::HmacSha256
        );
        assert_eq!(
            tsig_algorithm("HMAC-SHA512").unwrap(),
            TsigAlgorithm::HmacSha512
        );
        assert!(
            tsig_algorithm("hmac-md5.sig-alg.reg.int.")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(tsig_algorithm("rot13").unwrap_err().contains("unknown"));
    }

    #[test]
    fn nameserver_forms() {
        assert_eq!(resolve_host_port("127.0.0.1").unwrap().port(), 53);
        assert_eq!(resolve_host_port("127.0.0.1:5300").unwrap().port(), 5300);
        assert_eq!(resolve_host_port("[::1]:5300").unwrap().port(), 5300);
        assert_eq!(resolve_host_port("localhost:5300").unwrap().port(), 5300);
    }

    #[test]
    fn missing_nameserver_and_bad_secret_are_named() {
        let e = Rfc2136::from_env(&Env::default()).unwrap_err().to_string();
        assert!(e.contains("RFC2136_NAMESERVER"), "{e}");
        let env = Env::default()
            .with("RFC2136_NAMESERVER", "127.0.0.1")
            .with("RFC2136_TSIG_KEY", "k")
            .with("RFC2136_TSIG_SECRET", "%%%")
            .with("RFC2136_TSIG_ALGORITHM", "hmac-sha256");
        let e = Rfc2136::from_env(&env).unwrap_err().to_string();
        assert!(e.contains("RFC2136_TSIG_SECRET"), "{e}");
        let e = Rfc2136::from_env(
            &Env::default()
                .with("RFC2136_NAMESERVER", "127.0.0.1")
                .with("RFC2136_TTL", "x"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("RFC2136_TTL"), "{e}");
    }
}
