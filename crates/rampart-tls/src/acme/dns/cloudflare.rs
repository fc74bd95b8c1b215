//! `cloudflare`: Cloudflare's API v4, with lego's variables.
//!
//! Credentials, as lego takes them: `CF_DNS_API_TOKEN` (records; also used for zones unless
//! `CF_ZONE_API_TOKEN` is set), or the global key `CF_API_EMAIL` + `CF_API_KEY`; each also under
//! lego's `CLOUDFLARE_*` alias (`CLOUDFLARE_DNS_API_TOKEN`, `CLOUDFLARE_ZONE_API_TOKEN`,
//! `CLOUDFLARE_EMAIL`, `CLOUDFLARE_API_KEY`) and as `<NAME>_FILE`. A token is sent as
//! `Authorization: Bearer`, the global key as `X-Auth-Email` + `X-Auth-Key`.
//!
//! Calls: `GET /zones?name=<zone>` for each parent of the record's name until one answers with
//! a zone (so no recursive DNS is needed to find it), `POST /zones/{id}/dns_records` to add,
//! `DELETE /zones/{id}/dns_records/{record}` to remove. Every answer is Cloudflare's envelope
//! `{success, errors: [{code, message}], messages, result}`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::Full;
use serde::Deserialize;

use super::http::HttpClient;
use super::{BoxFuture, DnsProvider, Timing, TxtRecord, env_seconds, env_timing};
use crate::acme::error::AcmeError;
use crate::acme::spec::Env;

const NAME: &str = "cloudflare";
const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

#[derive(Clone)]
enum Auth {
    Token(String),
    Key { email: String, key: String },
}

impl Auth {
    fn apply(&self, req: http::request::Builder) -> http::request::Builder {
        match self {
            Auth::Token(t) => req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Auth::Key { email, key } => req.header("X-Auth-Email", email).header("X-Auth-Key", key),
        }
    }
}

/// The `cloudflare` provider.
///
/// ```
/// use rampart_tls::acme::{Env, dns::Cloudflare};
/// assert!(Cloudflare::from_env(&Env::default().with("CF_DNS_API_TOKEN", "t")).is_ok());
/// assert!(Cloudflare::from_env(&Env::default().with("CLOUDFLARE_EMAIL", "a@b.c").with("CLOUDFLARE_API_KEY", "k")).is_ok());
/// let e = Cloudflare::from_env(&Env::default().with("CF_API_EMAIL", "a@b.c")).unwrap_err();
/// assert!(e.to_string().contains("CF_API_KEY"));
/// ```
pub struct Cloudflare {
    base_url: String,
    dns_auth: Auth,
    zone_auth: Auth,
    ttl: u32,
    timing: Timing,
    client: HttpClient,
    /// (fqdn, value) → (zone id, record id), for cleanup.
    records: Mutex<HashMap<(String, String), (String, String)>>,
}

impl std::fmt::Debug for Cloudflare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cloudflare")
            .field("base_url", &self.base_url)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<ApiMessage>,
    result: Option<T>,
}

#[derive(Deserialize)]
struct ApiMessage {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Zone {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct DnsRecord {
    id: String,
}

impl Cloudflare {
    /// Reads the credentials (see the module docs), `CLOUDFLARE_TTL` (120),
    /// `CLOUDFLARE_PROPAGATION_TIMEOUT` (120), `CLOUDFLARE_POLLING_INTERVAL` (2),
    /// `CLOUDFLARE_HTTP_TIMEOUT` (30) and `CLOUDFLARE_BASE_URL` (the API root; for tests and
    /// API gateways).
    pub fn from_env(env: &Env) -> Result<Self, AcmeError> {
        let spec = |m: String| AcmeError::Spec(format!("{NAME}: {m}"));
        let dns_token = env.get_any(&["CF_DNS_API_TOKEN", "CLOUDFLARE_DNS_API_TOKEN"])?;
        let zone_token = env.get_any(&["CF_ZONE_API_TOKEN", "CLOUDFLARE_ZONE_API_TOKEN"])?;
        let email = env.get_any(&["CF_API_EMAIL", "CLOUDFLARE_EMAIL"])?;
        let key = env.get_any(&["CF_API_KEY", "CLOUDFLARE_API_KEY"])?;
        let (dns_auth, zone_auth) = match (dns_token, zone_token, email, key) {
            (Some(dns), zone, _, _) => {
                let zone = Auth::Token(zone.unwrap_or_else(|| dns.clone()));
                (Auth::Token(dns), zone)
            }
            (None, _, Some(email), Some(key)) => {
                let a = Auth::Key { email, key };
                (a.clone(), a)
            }
            (None, _, Some(_), None) => {
                return Err(spec(
                    "CF_API_EMAIL is set but CF_API_KEY (or CLOUDFLARE_API_KEY) is not".into(),
                ));
            }
            (None, _, None, Some(_)) => {
                return Err(spec(
                    "CF_API_KEY is set but CF_API_EMAIL (or CLOUDFLARE_EMAIL) is not".into(),
                ));
            }
            (None, _, None, None) => {
                return Err(spec(
                    "set CF_DNS_API_TOKEN (optionally with CF_ZONE_API_TOKEN), or CF_API_EMAIL and CF_API_KEY".into(),
                ));
            }
        };
        let ttl = match env.get("CLOUDFLARE_TTL")? {
            None => 120,
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| spec(format!("CLOUDFLARE_TTL={v:?} is not a number")))?,
        };
        let base_url = env
            .get("CLOUDFLARE_BASE_URL")?
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(spec(format!(
                "CLOUDFLARE_BASE_URL {base_url:?} is not an http(s) URL"
            )));
        }
        let default_timing = Timing {
            propagation_timeout: Duration::from_mins(2),
            polling_interval: Duration::from_secs(2),
        };
        Ok(Cloudflare {
            base_url: base_url.trim_end_matches('/').to_owned(),
            dns_auth,
            zone_auth,
            ttl,
            timing: env_timing(env, "CLOUDFLARE_", default_timing)?,
            client: HttpClient::new(env_seconds(
                env,
                "CLOUDFLARE_HTTP_TIMEOUT",
                Duration::from_secs(30),
            )?),
            records: Mutex::new(HashMap::new()),
        })
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<serde_json::Value>,
    ) -> Result<Option<T>, AcmeError> {
        let url = format!("{}{path}", self.base_url);
        let mut req = auth.apply(Request::builder().method(method.clone()).uri(&url));
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(
                body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())),
            ))
            .map_err(|e| AcmeError::dns(NAME, format!("{url}: {e}")))?;
        let (status, bytes) = self
            .client
            .send(req)
            .await
            .map_err(|e| AcmeError::dns(NAME, e))?;
        let env: Envelope<T> = serde_json::from_slice(&bytes).map_err(|e| {
            AcmeError::dns(
                NAME,
                format!(
                    "{method} {path}: {status}: not a Cloudflare API answer ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            )
        })?;
        if !env.success || !status.is_success() {
            let errors: Vec<String> = env
                .errors
                .iter()
                .map(|e| format!("{} {}", e.code, e.message))
                .collect();
            return Err(AcmeError::dns(
                NAME,
                format!(
                    "{method} {path}: {status}: {}",
                    if errors.is_empty() {
                        "unsuccessful".to_owned()
                    } else {
                        errors.join("; ")
                    }
                ),
            ));
        }
        Ok(env.result)
    }

    /// The zone holding `fqdn`: the longest parent name Cloudflare knows.
    async fn zone_id(&self, fqdn: &str) -> Result<String, AcmeError> {
        let name = fqdn.trim_end_matches('.');
        let labels: Vec<&str> = name.split('.').collect();
        // Skip the `_acme-challenge` label itself; stop before the TLD.
        for i in 1..labels.len().saturating_sub(1) {
            let candidate = labels[i..].join(".");
            let zones: Vec<Zone> = self
                .call(
                    Method::GET,
                    &format!("/zones?name={candidate}"),
                    &self.zone_auth,
                    None,
                )
                .await?
                .unwrap_or_default();
            if let Some(z) = zones
                .into_iter()
                .find(|z| z.name.eq_ignore_ascii_case(&candidate))
            {
                return Ok(z.id);
            }
        }
        Err(AcmeError::dns(
            NAME,
            format!("no Cloudflare zone holds {name}"),
        ))
    }

    async fn add(&self, record: &TxtRecord) -> Result<(), AcmeError> {
        let zone = self.zone_id(&record.fqdn).await?;
        let body = serde_json::json!({
            "type": "TXT",
            "name": record.fqdn.trim_end_matches('.'),
            "content": record.value,
            "ttl": self.ttl,
        });
        let created: DnsRecord = self
            .call(
                Method::POST,
                &format!("/zones/{zone}/dns_records"),
                &self.dns_auth,
                Some(body),
            )
            .await?
            .ok_or_else(|| AcmeError::dns(NAME, "record created but no id returned"))?;
        tracing::debug!(provider = NAME, fqdn = %record.fqdn, record = %created.id, "acme: TXT record created");
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(
                (record.fqdn.clone(), record.value.clone()),
                (zone, created.id),
            );
        Ok(())
    }

    async fn remove(&self, record: &TxtRecord) -> Result<(), AcmeError> {
        let known = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(record.fqdn.clone(), record.value.clone()));
        let Some((zone, id)) = known else {
            return Err(AcmeError::dns(
                NAME,
                format!("unknown record for {} (never presented here)", record.fqdn),
            ));
        };
        self.call::<serde_json::Value>(
            Method::DELETE,
            &format!("/zones/{zone}/dns_records/{id}"),
            &self.dns_auth,
            None,
        )
        .await?;
        Ok(())
    }
}

impl DnsProvider for Cloudflare {
    fn name(&self) -> &'static str {
        NAME
    }

    fn present<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.add(record))
    }

    fn cleanup<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.remove(record))
    }

    fn timing(&self) -> Timing {
        self.timing
    }
}
