//! The security headers and the allowed-hosts check (Traefik `pkg/middlewares/headers/secure.go`
//! with `unrolled/secure` v1.0.9, which Traefik v3 uses).

use base64::Engine as _;
use http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY, CONTENT_TYPE, HOST,
    REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    X_XSS_PROTECTION,
};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::config::HeadersConfig;
use crate::middleware::BuildError;
use crate::{Body, ConnInfo, Request, Response};

const PUBLIC_KEY_PINS: HeaderName = HeaderName::from_static("public-key-pins");
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// A CSP value, with the places where `$NONCE` was.
#[derive(Debug)]
struct Csp {
    parts: Vec<String>,
}

impl Csp {
    fn new(policy: &str) -> Option<Self> {
        (!policy.is_empty()).then(|| Csp {
            parts: policy.split("$NONCE").map(str::to_owned).collect(),
        })
    }

    fn has_nonce(&self) -> bool {
        self.parts.len() > 1
    }

    fn render(&self, nonce: &str) -> String {
        self.parts.join(&format!("'nonce-{nonce}'"))
    }
}

/// The compiled security options.
#[derive(Debug)]
pub(super) struct Secure {
    allowed_hosts: Vec<String>,
    hosts_proxy_headers: Vec<HeaderName>,
    ssl_proxy_headers: Vec<(HeaderName, String)>,
    /// `max-age=…[; includeSubDomains][; preload]`, when STS is on (and not in development).
    sts: Option<HeaderValue>,
    force_sts: bool,
    public_key: Option<HeaderValue>,
    /// Headers sent on every response, in unrolled/secure's order.
    always: Vec<(HeaderName, HeaderValue)>,
    csp: Option<Csp>,
    csp_report_only: Option<Csp>,
}

fn value(key: &str, v: &str) -> Result<Option<HeaderValue>, BuildError> {
    if v.is_empty() {
        return Ok(None);
    }
    HeaderValue::from_str(v)
        .map(Some)
        .map_err(|_| BuildError::invalid(key, "not a valid header value"))
}

fn name(key: &str, n: &str) -> Result<HeaderName, BuildError> {
    HeaderName::try_from(n)
        .map_err(|_| BuildError::invalid(key, format_args!("`{n}` is not a valid header name")))
}

impl Secure {
    pub(super) fn new(cfg: &HeadersConfig) -> Result<Self, BuildError> {
        let dev = cfg.is_development;
        let sts_seconds = cfg.sts_seconds.unwrap_or(0);
        if sts_seconds < 0 {
            return Err(BuildError::invalid("stsSeconds", "must be 0 or more"));
        }
        let sts = (sts_seconds != 0 && !dev).then(|| {
            let mut v = format!("max-age={sts_seconds}");
            if cfg.sts_include_subdomains {
                v.push_str("; includeSubDomains");
            }
            if cfg.sts_preload {
                v.push_str("; preload");
            }
            HeaderValue::try_from(v).expect("digits and ASCII")
        });
        let mut always = Vec::new();
        let frame = if cfg.custom_frame_options_value.is_empty() && cfg.frame_deny {
            "DENY"
        } else {
            cfg.custom_frame_options_value.as_str()
        };
        let xss = if cfg.custom_browser_xss_value.is_empty() && cfg.browser_xss_filter {
            "1; mode=block"
        } else {
            cfg.custom_browser_xss_value.as_str()
        };
        let nosniff = if cfg.content_type_nosniff {
            "nosniff"
        } else {
            ""
        };
        for (header, key, v) in [
            (X_FRAME_OPTIONS, "customFrameOptionsValue", frame),
            (X_CONTENT_TYPE_OPTIONS, "contentTypeNosniff", nosniff),
            (X_XSS_PROTECTION, "customBrowserXSSValue", xss),
            (
                REFERRER_POLICY,
                "referrerPolicy",
                cfg.referrer_policy.as_str(),
            ),
            (
                PERMISSIONS_POLICY,
                "permissionsPolicy",
                cfg.permissions_policy.as_str(),
            ),
        ] {
            if let Some(v) = value(key, v)? {
                always.push((header, v));
            }
        }
        // Validate the CSP values with a sample nonce (the nonce itself is base64).
        let csp = Csp::new(&cfg.content_security_policy);
        let csp_report_only = Csp::new(&cfg.content_security_policy_report_only);
        for (key, c) in [
            ("contentSecurityPolicy", &csp),
            ("contentSecurityPolicyReportOnly", &csp_report_only),
        ] {
            if let Some(c) = c {
                value(key, &c.render("AAAA"))?;
            }
        }
        Ok(Secure {
            allowed_hosts: if dev {
                Vec::new()
            } else {
                cfg.allowed_hosts.clone()
            },
            hosts_proxy_headers: cfg
                .hosts_proxy_headers
                .iter()
                .enumerate()
                .map(|(i, h)| name(&format!("hostsProxyHeaders[{i}]"), h))
                .collect::<Result<_, _>>()?,
            ssl_proxy_headers: cfg
                .ssl_proxy_headers
                .iter()
                .map(|(h, v)| {
                    Ok((
                        name(&format!("sslProxyHeaders.{h}"), h)?,
                        v.clone().unwrap_or_default(),
                    ))
                })
                .collect::<Result<_, BuildError>>()?,
            sts,
            force_sts: cfg.force_sts_header,
            public_key: if dev {
                None
            } else {
                value("publicKey", &cfg.public_key)?
            },
            always,
            csp,
            csp_report_only,
        })
    }

    /// The allowed-hosts check, then the headers this request's response gets; `None` when the
    /// host is not allowed (answer with [`bad_host`]).
    pub(super) fn process(&self, req: &Request) -> Option<HeaderMap> {
        if !self.allowed_hosts.is_empty() {
            let host = self.host(req);
            if !self
                .allowed_hosts
                .iter()
                .any(|a| a.eq_ignore_ascii_case(host))
            {
                tracing::debug!(host, "headers: host not in allowedHosts");
                return None;
            }
        }
        let ssl = self.is_ssl(req);
        let mut h = HeaderMap::new();
        if let Some(sts) = &self.sts
            && (ssl || self.force_sts)
        {
            h.insert(STRICT_TRANSPORT_SECURITY, sts.clone());
        }
        for (name, v) in &self.always {
            h.insert(name.clone(), v.clone());
        }
        if let Some(pk) = &self.public_key
            && ssl
        {
            h.insert(PUBLIC_KEY_PINS, pk.clone());
        }
        let wants_nonce = [&self.csp, &self.csp_report_only]
            .into_iter()
            .flatten()
            .any(Csp::has_nonce);
        let nonce = if wants_nonce {
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(rand::random::<[u8; 16]>())
        } else {
            String::new()
        };
        for (name, csp) in [
            (CONTENT_SECURITY_POLICY, &self.csp),
            (CONTENT_SECURITY_POLICY_REPORT_ONLY, &self.csp_report_only),
        ] {
            if let Some(c) = csp
                && let Ok(v) = HeaderValue::try_from(c.render(&nonce))
            {
                h.insert(name, v);
            }
        }
        Some(h)
    }

    /// The host the allowed-hosts check sees: the first non-empty `hostsProxyHeaders` value,
    /// else the request's host.
    fn host<'a>(&self, req: &'a Request) -> &'a str {
        for name in &self.hosts_proxy_headers {
            if let Some(v) = req
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
            {
                return v;
            }
        }
        if let Some(a) = req.uri().authority() {
            return a.as_str();
        }
        req.headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Whether the request came over HTTPS: a TLS connection, or a trusted `sslProxyHeaders`
    /// match. (A request's own URI scheme is not trusted: an HTTP/2 client picks `:scheme`.)
    fn is_ssl(&self, req: &Request) -> bool {
        ConnInfo::of(req).is_some_and(ConnInfo::is_tls)
            || self.ssl_proxy_headers.iter().any(|(name, want)| {
                let got = req
                    .headers()
                    .get(name)
                    .map_or(Some(""), |v| v.to_str().ok());
                got == Some(want.as_str())
            })
    }
}

/// unrolled/secure's bad-host answer (Go's `http.Error(w, "Bad Host", 500)`).
pub(super) fn bad_host() -> Response {
    let mut res = Response::new(Body::from("Bad Host\n"));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res.headers_mut()
        .insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}
