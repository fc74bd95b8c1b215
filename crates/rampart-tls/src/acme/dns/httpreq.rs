//! `httpreq`: lego's protocol for a small HTTP service. `POST <endpoint>/present` and
//! `/cleanup` with JSON `{"fqdn": "_acme-challenge.d.", "value": "…"}`, or with
//! `HTTPREQ_MODE=RAW` `{"domain": "d", "token": "…", "keyAuth": "…"}`; basic auth when both
//! `HTTPREQ_USERNAME` and `HTTPREQ_PASSWORD` are set. Any status ≥ 400 is a failure.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{Method, Request, Uri, header};
use http_body_util::Full;

use super::http::HttpClient;
use super::{BoxFuture, DnsProvider, Timing, TxtRecord, env_seconds, env_timing};
use crate::acme::error::AcmeError;
use crate::acme::spec::Env;

const NAME: &str = "httpreq";

/// The `httpreq` provider.
///
/// ```
/// use rampart_tls::acme::{Env, dns::HttpReq};
/// let env = Env::default().with("HTTPREQ_ENDPOINT", "http://127.0.0.1:8080/dns");
/// assert!(HttpReq::from_env(&env).is_ok());
/// assert!(HttpReq::from_env(&Env::default()).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct HttpReq {
    endpoint: String,
    raw: bool,
    basic_auth: Option<String>,
    timing: Timing,
    client: HttpClient,
}

impl HttpReq {
    /// Reads `HTTPREQ_ENDPOINT` (required), `HTTPREQ_MODE`, `HTTPREQ_USERNAME`,
    /// `HTTPREQ_PASSWORD`, `HTTPREQ_PROPAGATION_TIMEOUT`, `HTTPREQ_POLLING_INTERVAL`,
    /// `HTTPREQ_HTTP_TIMEOUT` (30 s).
    pub fn from_env(env: &Env) -> Result<Self, AcmeError> {
        let spec = |m: String| AcmeError::Spec(format!("{NAME}: {m}"));
        let endpoint = env
            .get("HTTPREQ_ENDPOINT")?
            .ok_or_else(|| spec("HTTPREQ_ENDPOINT is not set".into()))?;
        let uri: Uri = endpoint
            .parse()
            .map_err(|e| spec(format!("HTTPREQ_ENDPOINT {endpoint:?}: {e}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(spec(format!(
                "HTTPREQ_ENDPOINT {endpoint:?} is not an http(s) URL"
            )));
        }
        let raw = match env.get("HTTPREQ_MODE")?.as_deref() {
            None => false,
            Some("RAW") => true,
            Some(other) => return Err(spec(format!("HTTPREQ_MODE={other:?}: only RAW is known"))),
        };
        let basic_auth = match (env.get("HTTPREQ_USERNAME")?, env.get("HTTPREQ_PASSWORD")?) {
            (Some(u), Some(p)) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )),
            _ => None,
        };
        let http_timeout = env_seconds(env, "HTTPREQ_HTTP_TIMEOUT", Duration::from_secs(30))?;
        Ok(HttpReq {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            raw,
            basic_auth,
            timing: env_timing(env, "HTTPREQ_", Timing::default())?,
            client: HttpClient::new(http_timeout),
        })
    }

    async fn post(&self, action: &str, record: &TxtRecord) -> Result<(), AcmeError> {
        let body = if self.raw {
            serde_json::json!({"domain": record.domain, "token": record.token, "keyAuth": record.key_auth})
        } else {
            serde_json::json!({"fqdn": record.fqdn, "value": record.value})
        };
        let url = format!("{}/{action}", self.endpoint);
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(&url)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(auth) = &self.basic_auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        let req = req
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| AcmeError::dns(NAME, format!("{url}: {e}")))?;
        let (status, body) = self
            .client
            .send(req)
            .await
            .map_err(|e| AcmeError::dns(NAME, e))?;
        if status.as_u16() >= 400 {
            return Err(AcmeError::dns(
                NAME,
                format!(
                    "POST {url}: {status}: {}",
                    String::from_utf8_lossy(&body).trim()
                ),
            ));
        }
        Ok(())
    }
}

impl DnsProvider for HttpReq {
    fn name(&self) -> &'static str {
        NAME
    }

    fn present<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.post("present", record))
    }

    fn cleanup<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.post("cleanup", record))
    }

    fn timing(&self) -> Timing {
        self.timing
    }
}
