//! CORS: origin matching, the preflight answer, and the headers added to other responses
//! (Traefik `pkg/middlewares/headers/header.go`).

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, CONTENT_LENGTH, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::super::go_regex;
use super::config::HeadersConfig;
use crate::middleware::BuildError;
use crate::{Body, Request, Response};

/// The compiled CORS options.
#[derive(Debug)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one flag per Traefik CORS rule"
)]
pub(super) struct Cors {
    credentials: bool,
    allow_headers: Option<HeaderValue>,
    /// `*` with credentials: echo `Access-Control-Request-Headers` (a literal `*` is not
    /// allowed with credentials).
    echo_request_headers: bool,
    allow_methods: Option<HeaderValue>,
    echo_request_method: bool,
    origins: Vec<String>,
    origin_regexes: Vec<regex::Regex>,
    expose: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
    add_vary: bool,
}

fn joined(key: &str, items: &[String]) -> Result<Option<HeaderValue>, BuildError> {
    if items.is_empty() {
        return Ok(None);
    }
    HeaderValue::from_str(&items.join(","))
        .map(Some)
        .map_err(|_| BuildError::invalid(key, "not a valid header value"))
}

impl Cors {
    pub(super) fn new(cfg: &HeadersConfig) -> Result<Self, BuildError> {
        let credentials = cfg.access_control_allow_credentials;
        let star = |items: &[String]| items.iter().any(|i| i == "*");
        let origin_regexes = cfg
            .access_control_allow_origin_list_regex
            .iter()
            .enumerate()
            .map(|(i, r)| go_regex::compile(&format!("accessControlAllowOriginListRegex[{i}]"), r))
            .collect::<Result<_, _>>()?;
        let expose_star = star(&cfg.access_control_expose_headers) && credentials;
        Ok(Cors {
            credentials,
            allow_headers: joined(
                "accessControlAllowHeaders",
                &cfg.access_control_allow_headers,
            )?,
            echo_request_headers: star(&cfg.access_control_allow_headers) && credentials,
            allow_methods: joined(
                "accessControlAllowMethods",
                &cfg.access_control_allow_methods,
            )?,
            echo_request_method: star(&cfg.access_control_allow_methods) && credentials,
            origins: cfg.access_control_allow_origin_list.clone(),
            origin_regexes,
            expose: if expose_star {
                None
            } else {
                joined(
                    "accessControlExposeHeaders",
                    &cfg.access_control_expose_headers,
                )?
            },
            max_age: cfg.access_control_max_age.map(HeaderValue::from),
            add_vary: cfg.add_vary_header,
        })
    }

    /// Traefik's `matchOrigin`: the `Access-Control-Allow-Origin` value for `origin`.
    fn match_origin<'a>(&'a self, origin: &'a str) -> Option<&'a str> {
        for item in &self.origins {
            if item == origin {
                return Some(item);
            }
            if item == "*" {
                // A wildcard cannot be used with credentials: answer with the origin itself.
                return Some(if self.credentials { origin } else { "*" });
            }
        }
        self.origin_regexes
            .iter()
            .any(|r| r.is_match(origin))
            .then_some(origin)
    }

    /// The preflight answer when `req` is one (Traefik: `OPTIONS` with non-empty `Origin` and
    /// `Access-Control-Request-Method`), which never reaches the upstream.
    pub(super) fn preflight(&self, req: &Request) -> Option<Response> {
        let method = first(req.headers(), &ACCESS_CONTROL_REQUEST_METHOD)?;
        let origin = first(req.headers(), &ORIGIN)?;
        if req.method() != Method::OPTIONS || method.is_empty() || origin.is_empty() {
            return None;
        }
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::OK;
        let h = res.headers_mut();
        h.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        if self.credentials {
            h.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if self.echo_request_headers {
            if let Some(v) = req
                .headers()
                .get(ACCESS_CONTROL_REQUEST_HEADERS)
                .filter(|v| !v.is_empty())
            {
                h.insert(ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
            }
        } else if let Some(v) = &self.allow_headers {
            h.insert(ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
        }
        if self.echo_request_method {
            if let Some(v) = req.headers().get(ACCESS_CONTROL_REQUEST_METHOD) {
                h.insert(ACCESS_CONTROL_ALLOW_METHODS, v.clone());
            }
        } else if let Some(v) = &self.allow_methods {
            h.insert(ACCESS_CONTROL_ALLOW_METHODS, v.clone());
        }
        self.set_allow_origin(h, origin);
        if let Some(v) = &self.max_age {
            h.insert(ACCESS_CONTROL_MAX_AGE, v.clone());
        }
        if let Some(v) = &self.expose {
            h.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
        }
        Some(res)
    }

    fn set_allow_origin(&self, h: &mut HeaderMap, origin: &str) {
        if let Some(allowed) = self.match_origin(origin).filter(|a| !a.is_empty())
            && let Ok(v) = HeaderValue::from_str(allowed)
        {
            h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
    }

    /// The CORS headers of a response to a request whose `Origin` was `origin`.
    pub(super) fn apply_response(&self, h: &mut HeaderMap, origin: &str) {
        self.set_allow_origin(h, origin);
        if self.credentials {
            h.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(v) = &self.expose {
            h.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
        }
        if self.add_vary {
            // Traefik reads the first `Vary` value and replaces every value with it + `,Origin`.
            let vary = first(h, &VARY).unwrap_or("");
            if vary != "Origin" {
                let value = if vary.is_empty() {
                    "Origin".to_owned()
                } else {
                    format!("{vary},Origin")
                };
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(VARY, v);
                }
            }
        }
    }
}

/// The first value of `name` as text (Go's `Header.Get`), `""` when not text.
pub(super) fn first<'a>(h: &'a HeaderMap, name: &http::HeaderName) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap_or(""))
}
