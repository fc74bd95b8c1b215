//! `certificatesResolvers.<name>.acme`: how certificates are obtained from an ACME server.

use std::path::PathBuf;

use super::defaults as d;
use super::raw::{RawAcme, RawDnsChallenge};
use crate::diag::Diagnostics;
use crate::duration::Duration;

/// A certificate resolver. Only ACME is supported (Traefik's `tailscale` is reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateResolver {
    /// The ACME settings.
    pub acme: Acme,
}

/// `acme`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acme {
    /// Registration e-mail.
    pub email: String,
    /// Directory URL (v01 Let's Encrypt URLs are rewritten to v02, as Traefik does).
    pub ca_server: String,
    /// `preferredChain`: issuer common name of the chain to prefer; empty for the default.
    pub preferred_chain: String,
    /// `profile`: ACME profile to request; empty for the default.
    pub profile: String,
    /// `emailAddresses` to put in the CSR.
    pub email_addresses: Vec<String>,
    /// `disableCommonName` in the CSR.
    pub disable_common_name: bool,
    /// Where certificates and the account are stored (`acme.json`, mode 0600).
    pub storage: PathBuf,
    /// The certificate key type.
    pub key_type: KeyType,
    /// External account binding.
    pub eab: Option<Eab>,
    /// Expected certificate lifetime in hours (drives the renewal schedule).
    pub certificates_duration_hours: i64,
    /// Timeout of one HTTP exchange with the ACME server.
    pub client_timeout: Duration,
    /// Timeout for the ACME server's response headers.
    pub client_response_header_timeout: Duration,
    /// Timeout for the certificate at finalization.
    pub certificate_timeout: Duration,
    /// PEM files of CAs that sign a private ACME server's certificate.
    pub ca_certificates: Vec<PathBuf>,
    /// Also trust the system roots when `ca_certificates` is set.
    pub ca_system_cert_pool: bool,
    /// Server name to verify the ACME server's certificate against.
    pub ca_server_name: String,
    /// DNS-01.
    pub dns_challenge: Option<DnsChallenge>,
    /// HTTP-01.
    pub http_challenge: Option<HttpChallenge>,
    /// TLS-ALPN-01.
    pub tls_challenge: Option<TlsChallenge>,
}

/// The certificate key type (`keyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyType {
    /// ECDSA P-256.
    Ec256,
    /// ECDSA P-384.
    Ec384,
    /// RSA 2048.
    Rsa2048,
    /// RSA 4096 (Traefik's default).
    #[default]
    Rsa4096,
    /// RSA 8192.
    Rsa8192,
}

impl KeyType {
    fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_uppercase().as_str() {
            "EC256" => KeyType::Ec256,
            "EC384" => KeyType::Ec384,
            "RSA2048" => KeyType::Rsa2048,
            "RSA4096" => KeyType::Rsa4096,
            "RSA8192" => KeyType::Rsa8192,
            _ => return None,
        })
    }
}

/// External account binding (`eab`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eab {
    /// Key identifier.
    pub kid: String,
    /// Base64url HMAC key.
    pub hmac_encoded: String,
}

/// `dnsChallenge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsChallenge {
    /// The lego provider name (`cloudflare`, `rfc2136`, …); credentials come from env vars.
    pub provider: String,
    /// `host:port` resolvers for propagation checks.
    pub resolvers: Vec<String>,
    /// Propagation checks.
    pub propagation: Propagation,
}

/// `dnsChallenge.propagation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Propagation {
    /// Skip the TXT record checks.
    pub disable_checks: bool,
    /// Skip the checks against authoritative name servers.
    pub disable_ans_checks: bool,
    /// Require every recursive name server to see the record.
    pub require_all_rns: bool,
    /// Wait this long before checking.
    pub delay_before_checks: Duration,
}

/// `httpChallenge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpChallenge {
    /// The entry point (on port 80) that answers the challenge.
    pub entry_point: String,
    /// Delay between creating the challenge and asking for validation.
    pub delay: Duration,
}

/// `tlsChallenge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsChallenge {
    /// Delay between creating the challenge and asking for validation.
    pub delay: Duration,
}

/// Traefik's `getSafeACMECAServer`: ACME v1 Let's Encrypt URLs become their v2 equivalents.
fn safe_ca_server(url: &str, key: &str, d: &mut Diagnostics<'_>) -> String {
    let rewritten = if url.starts_with("https://acme-v01.api.letsencrypt.org") {
        Some(url.replacen("v01", "v02", 1))
    } else if url.starts_with("https://acme-staging.api.letsencrypt.org") {
        Some(url.replacen(
            "https://acme-staging.api.letsencrypt.org",
            "https://acme-staging-v02.api.letsencrypt.org",
            1,
        ))
    } else {
        None
    };
    match rewritten {
        Some(v2) => {
            d.deprecated(key, format!("`{url}` is an ACME v1 endpoint; using `{v2}`"));
            v2
        }
        None => url.to_owned(),
    }
}

/// Validates one resolver's `acme` section and applies the defaults.
pub(super) fn build(key: &str, raw: RawAcme, d: &mut Diagnostics<'_>) -> Option<Acme> {
    let errors_before = d.errors.len();
    let storage = raw.storage.unwrap_or_else(|| d::ACME_STORAGE.to_owned());
    if storage.trim().is_empty() {
        d.error(
            &format!("{key}.storage"),
            "a storage file for the certificates is required",
        );
    }
    let key_type = match raw.key_type.as_deref() {
        None | Some("") => KeyType::default(),
        Some(text) => KeyType::parse(text).unwrap_or_else(|| {
            d.error(
                &format!("{key}.keyType"),
                format!("`{text}` is not one of EC256, EC384, RSA2048, RSA4096, RSA8192"),
            );
            KeyType::default()
        }),
    };
    let ca_server = match raw.ca_server.as_deref() {
        None | Some("") => d::ACME_CA_SERVER.to_owned(),
        Some(url) => safe_ca_server(url, &format!("{key}.caServer"), d),
    };
    let dns_challenge = raw
        .dns_challenge
        .map(|dns| build_dns(&format!("{key}.dnsChallenge"), dns, d));
    let http_challenge = raw.http_challenge.map(|http| {
        let entry_point = http.entry_point.unwrap_or_default();
        if entry_point.is_empty() {
            d.error(
                &format!("{key}.httpChallenge.entryPoint"),
                "the entry point that answers HTTP-01 challenges is required",
            );
        }
        HttpChallenge {
            entry_point,
            delay: http.delay.unwrap_or_default(),
        }
    });
    let tls_challenge = raw.tls_challenge.map(|tls| TlsChallenge {
        delay: tls.delay.unwrap_or_default(),
    });
    if dns_challenge.is_none() && http_challenge.is_none() && tls_challenge.is_none() {
        d.error(
            key,
            "no challenge: configure one of `dnsChallenge`, `httpChallenge` or `tlsChallenge`",
        );
    }
    let eab = raw.eab.map(|eab| Eab {
        kid: eab.kid.unwrap_or_default(),
        hmac_encoded: eab.hmac_encoded.unwrap_or_default(),
    });
    if let Some(eab) = &eab
        && (eab.kid.is_empty() || eab.hmac_encoded.is_empty())
    {
        d.error(
            &format!("{key}.eab"),
            "external account binding needs both `kid` and `hmacEncoded`",
        );
    }
    let acme = Acme {
        email: raw.email.unwrap_or_default(),
        ca_server,
        preferred_chain: raw.preferred_chain.unwrap_or_default(),
        profile: raw.profile.unwrap_or_default(),
        email_addresses: raw.email_addresses.unwrap_or_default(),
        disable_common_name: raw.disable_common_name.unwrap_or(false),
        storage: PathBuf::from(storage),
        key_type,
        eab,
        certificates_duration_hours: raw
            .certificates_duration
            .filter(|&h| h != 0)
            .unwrap_or(d::ACME_CERTIFICATES_DURATION_HOURS),
        client_timeout: raw.client_timeout.unwrap_or(d::ACME_CLIENT_TIMEOUT),
        client_response_header_timeout: raw
            .client_response_header_timeout
            .unwrap_or(d::ACME_CLIENT_RESPONSE_HEADER_TIMEOUT),
        certificate_timeout: raw
            .certificate_timeout
            .unwrap_or(d::ACME_CERTIFICATE_TIMEOUT),
        ca_certificates: raw
            .ca_certificates
            .unwrap_or_default()
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        ca_system_cert_pool: raw.ca_system_cert_pool.unwrap_or(false),
        ca_server_name: raw.ca_server_name.unwrap_or_default(),
        dns_challenge,
        http_challenge,
        tls_challenge,
    };
    (d.errors.len() == errors_before).then_some(acme)
}

fn build_dns(key: &str, raw: RawDnsChallenge, d: &mut Diagnostics<'_>) -> DnsChallenge {
    let provider = raw.provider.unwrap_or_default();
    if provider.is_empty() {
        d.error(
            &format!("{key}.provider"),
            "the DNS provider is required (e.g. `cloudflare`)",
        );
    }
    let mut propagation = raw
        .propagation
        .map_or_else(Propagation::default, |p| Propagation {
            disable_checks: p.disable_checks.unwrap_or(false),
            disable_ans_checks: p.disable_ans_checks.unwrap_or(false),
            require_all_rns: p.require_all_rns.unwrap_or(false),
            delay_before_checks: p.delay_before_checks.unwrap_or_default(),
        });
    // Traefik's SetEffectiveConfiguration maps the deprecated keys onto `propagation`.
    if raw.disable_propagation_check == Some(true) {
        d.deprecated(
            &format!("{key}.disablePropagationCheck"),
            "use `propagation.disableChecks` instead",
        );
        propagation.disable_checks = true;
    }
    if let Some(delay) = raw
        .delay_before_check
        .filter(|delay| *delay > Duration::ZERO)
    {
        d.deprecated(
            &format!("{key}.delayBeforeCheck"),
            "use `propagation.delayBeforeChecks` instead",
        );
        propagation.delay_before_checks = delay;
    }
    match provider.as_str() {
        "googledomains" | "cloudxns" | "brandit" => {
            d.deprecated(
                &format!("{key}.provider"),
                format!("the `{provider}` DNS provider is deprecated"),
            );
        }
        "dnspod" => d.deprecated(
            &format!("{key}.provider"),
            "use the `tencentcloud` provider instead",
        ),
        "azure" => d.deprecated(
            &format!("{key}.provider"),
            "use the `azuredns` provider instead",
        ),
        _ => {}
    }
    DnsChallenge {
        provider,
        resolvers: raw.resolvers.unwrap_or_default(),
        propagation,
    }
}
