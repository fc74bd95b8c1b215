//! `passTLSClientCert`: passes the client certificate of an mTLS connection to the upstream.
//!
//! * `pem: true` sets `X-Forwarded-Tls-Client-Cert` to each certificate of the chain as base64
//!   DER (PEM without its armour and line breaks), comma-separated;
//! * `info.*` sets `X-Forwarded-Tls-Client-Cert-Info` to the query-escaped
//!   `Subject="…";Issuer="…";SerialNumber="…";NB="…";NA="…";SAN="…"` of each certificate
//!   (comma-separated), each part only when chosen and not empty, distinguished-name parts in
//!   Traefik's order `DC, C, ST, L, O, OU, SN, CN`.
//!
//! Without a client certificate nothing is set (a client cannot set these headers itself: the
//! entrypoint removes them, they are in [`crate::forwarded::MANAGED`]).

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use serde::Deserialize;
use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate, X509Name};

use crate::middleware::{BoxFuture, Middleware, Next};
use crate::{ConnInfo, Request, Response};

/// `passTLSClientCert` options: `pem`, `info`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PassTlsClientCertConfig {
    #[serde(default)]
    pem: bool,
    #[serde(default)]
    info: Option<InfoConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one boolean per Traefik option"
)]
struct InfoConfig {
    #[serde(default)]
    not_after: bool,
    #[serde(default)]
    not_before: bool,
    #[serde(default)]
    sans: bool,
    #[serde(default)]
    serial_number: bool,
    #[serde(default)]
    subject: Option<DnConfig>,
    #[serde(default)]
    issuer: Option<IssuerDnConfig>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one boolean per Traefik option"
)]
struct DnConfig {
    #[serde(default)]
    country: bool,
    #[serde(default)]
    province: bool,
    #[serde(default)]
    locality: bool,
    #[serde(default)]
    organization: bool,
    #[serde(default)]
    organizational_unit: bool,
    #[serde(default)]
    common_name: bool,
    #[serde(default)]
    serial_number: bool,
    #[serde(default)]
    domain_component: bool,
}

/// The issuer has no `organizationalUnit` option in Traefik.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one boolean per Traefik option"
)]
struct IssuerDnConfig {
    #[serde(default)]
    country: bool,
    #[serde(default)]
    province: bool,
    #[serde(default)]
    locality: bool,
    #[serde(default)]
    organization: bool,
    #[serde(default)]
    common_name: bool,
    #[serde(default)]
    serial_number: bool,
    #[serde(default)]
    domain_component: bool,
}

impl From<IssuerDnConfig> for DnConfig {
    fn from(c: IssuerDnConfig) -> Self {
        DnConfig {
            country: c.country,
            province: c.province,
            locality: c.locality,
            organization: c.organization,
            organizational_unit: false,
            common_name: c.common_name,
            serial_number: c.serial_number,
            domain_component: c.domain_component,
        }
    }
}

/// The `passTLSClientCert` middleware.
///
/// ```
/// use rampart::middleware::builtin::pass_tls_client_cert::{PassTlsClientCert, PassTlsClientCertConfig};
/// let cfg: PassTlsClientCertConfig = rampart_config::from_value(&serde_json::from_str(
///     r#"{"pem": true, "info": {"notAfter": true, "subject": {"commonName": true}}}"#,
/// ).unwrap()).unwrap();
/// let _mw = PassTlsClientCert::new(&cfg);
/// ```
#[derive(Debug)]
pub struct PassTlsClientCert {
    pem: bool,
    info: Option<Info>,
}

#[derive(Debug)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one boolean per Traefik option"
)]
struct Info {
    not_after: bool,
    not_before: bool,
    sans: bool,
    serial_number: bool,
    subject: Option<DnConfig>,
    issuer: Option<DnConfig>,
}

const CERT: &str = "x-forwarded-tls-client-cert";
const CERT_INFO: &str = "x-forwarded-tls-client-cert-info";

impl PassTlsClientCert {
    /// Builds the middleware (every combination of options is valid).
    pub fn new(cfg: &PassTlsClientCertConfig) -> Self {
        PassTlsClientCert {
            pem: cfg.pem,
            info: cfg.info.as_ref().map(|i| Info {
                not_after: i.not_after,
                not_before: i.not_before,
                sans: i.sans,
                serial_number: i.serial_number,
                subject: i.subject,
                issuer: i.issuer.map(DnConfig::from),
            }),
        }
    }

    /// The `X-Forwarded-Tls-Client-Cert-Info` value (before query-escaping) for `chain`.
    fn info_text(info: &Info, chain: &[Vec<u8>]) -> String {
        let mut certs = Vec::new();
        for der in chain {
            let Ok((_, cert)) = X509Certificate::from_der(der) else {
                certs.push(String::new());
                continue;
            };
            let mut fields = Vec::new();
            if let Some(opts) = &info.subject {
                let dn = dn_text(*opts, cert.subject());
                if !dn.is_empty() {
                    fields.push(format!("Subject=\"{dn}\""));
                }
            }
            if let Some(opts) = &info.issuer {
                let dn = dn_text(*opts, cert.issuer());
                if !dn.is_empty() {
                    fields.push(format!("Issuer=\"{dn}\""));
                }
            }
            if info.serial_number {
                fields.push(format!("SerialNumber=\"{}\"", cert.tbs_certificate.serial));
            }
            if info.not_before {
                fields.push(format!("NB=\"{}\"", cert.validity().not_before.timestamp()));
            }
            if info.not_after {
                fields.push(format!("NA=\"{}\"", cert.validity().not_after.timestamp()));
            }
            if info.sans {
                let sans = sans(&cert);
                if !sans.is_empty() {
                    fields.push(format!("SAN=\"{}\"", sans.join(",")));
                }
            }
            certs.push(fields.join(";"));
        }
        certs.join(",")
    }
}

/// Go's `pkix.Name` view of `name`, written as Traefik does.
fn dn_text(opts: DnConfig, name: &X509Name<'_>) -> String {
    let mut by_oid: Vec<(String, String)> = Vec::new();
    for attr in name.iter_attributes() {
        if let Ok(value) = attr.as_str() {
            by_oid.push((attr.attr_type().to_id_string(), value.to_owned()));
        }
    }
    let all = |oid: &'static str| {
        by_oid
            .iter()
            .filter(move |(o, _)| o == oid)
            .map(|(_, v)| v.as_str())
    };
    // Go keeps the last CN and serialNumber, and every value of the list attributes.
    let last = |oid: &'static str| all(oid).next_back();
    let mut out = String::new();
    let mut put = |prefix: &str, value: &str| {
        if !value.is_empty() {
            let _ = write!(out, "{prefix}={value},");
        }
    };
    let parts: [(bool, &str, &str, bool); 8] = [
        (
            opts.domain_component,
            "DC",
            "0.9.2342.19200300.100.1.25",
            true,
        ),
        (opts.country, "C", "2.5.4.6", true),
        (opts.province, "ST", "2.5.4.8", true),
        (opts.locality, "L", "2.5.4.7", true),
        (opts.organization, "O", "2.5.4.10", true),
        (opts.organizational_unit, "OU", "2.5.4.11", true),
        (opts.serial_number, "SN", "2.5.4.5", false),
        (opts.common_name, "CN", "2.5.4.3", false),
    ];
    for (wanted, prefix, oid, list) in parts {
        if !wanted {
            continue;
        }
        if list {
            for v in all(oid) {
                put(prefix, v);
            }
        } else if let Some(v) = last(oid) {
            put(prefix, v);
        }
    }
    out.trim_end_matches(',').to_owned()
}

/// DNS names, then e-mail addresses, then IPs, then URIs (Go's `x509.Certificate` fields).
fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    let names = &ext.value.general_names;
    let mut out = Vec::new();
    out.extend(names.iter().filter_map(|n| {
        if let GeneralName::DNSName(s) = n {
            Some((*s).to_owned())
        } else {
            None
        }
    }));
    out.extend(names.iter().filter_map(|n| {
        if let GeneralName::RFC822Name(s) = n {
            Some((*s).to_owned())
        } else {
            None
        }
    }));
    out.extend(names.iter().filter_map(|n| {
        match n {
            GeneralName::IPAddress(b) => match b.len() {
                4 => <[u8; 4]>::try_from(*b)
                    .ok()
                    .map(|a| std::net::Ipv4Addr::from(a).to_string()),
                16 => <[u8; 16]>::try_from(*b)
                    .ok()
                    .map(|a| std::net::Ipv6Addr::from(a).to_string()),
                _ => None,
            },
            _ => None,
        }
    }));
    out.extend(names.iter().filter_map(|n| {
        if let GeneralName::URI(s) = n {
            Some((*s).to_owned())
        } else {
            None
        }
    }));
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

impl Middleware for PassTlsClientCert {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let chain = ConnInfo::of(&req)
            .and_then(|c| c.tls.as_ref())
            .and_then(|t| t.client_certs.clone())
            .filter(|c| !c.is_empty());
        if let Some(chain) = chain {
            if self.pem {
                let value = chain
                    .iter()
                    .map(|der| STANDARD.encode(der))
                    .collect::<Vec<_>>()
                    .join(",");
                if let Ok(v) = HeaderValue::try_from(value) {
                    req.headers_mut().insert(CERT, v);
                }
            }
            if let Some(info) = &self.info {
                let value = query_escape(&Self::info_text(info, &chain));
                if let Ok(v) = HeaderValue::try_from(value) {
                    req.headers_mut().insert(CERT_INFO, v);
                }
            }
        } else if self.pem || self.info.is_some() {
            tracing::debug!("passTLSClientCert: no client certificate on this connection");
        }
        next.run(req)
    }
}

/// The registered constructor (never fails: every option combination is valid).
pub(crate) fn build(cfg: &PassTlsClientCertConfig) -> std::sync::Arc<dyn Middleware> {
    std::sync::Arc::new(PassTlsClientCert::new(cfg))
}

#[cfg(test)]
mod tests;
