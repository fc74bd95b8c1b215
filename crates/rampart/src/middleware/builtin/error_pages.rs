//! `errors`: when the rest of the chain answers with one of the `status` codes, the client gets
//! the page the error `service` serves for `query` instead, with the original status (or the one
//! `statusRewrites` maps it to).
//!
//! As Traefik: the page is fetched with a `GET` to `query` (where `{status}` is the status sent,
//! `{originalStatus}` the one caught and `{url}` the query-escaped original URL) with the
//! original `Host`; the original request headers go along (all of them, or only those in
//! `errorRequestHeaders`, none when it is an empty list); the error service's headers and body are
//! kept, its status is replaced.

use std::sync::Arc;

use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::status_ranges::StatusRanges;
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, BuildContext, BuildError, Endpoint, Middleware, Next};
use crate::{Body, ConnInfo, Request, Response};

/// `errors` options.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorPagesConfig {
    #[serde(default)]
    status: Vec<String>,
    #[serde(default)]
    status_rewrites: Option<rampart_config::Value>,
    #[serde(default)]
    service: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    error_request_headers: Option<Vec<String>>,
}

/// The `errors` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::error_pages::{ErrorPages, ErrorPagesConfig};
/// use rampart::middleware::{BoxFuture, Endpoint};
/// use rampart::{Body, Request, Response};
///
/// struct Pages;
/// impl Endpoint for Pages {
///     fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
///         let page = format!("page for {}", req.uri());
///         Box::pin(async move { Response::new(Body::from(page)) })
///     }
/// }
/// let cfg: ErrorPagesConfig = rampart_config::from_value(&serde_json::from_str(
///     r#"{"status": ["500-599"], "service": "pages", "query": "/{status}.html"}"#,
/// ).unwrap()).unwrap();
/// let errors = ErrorPages::new(&cfg, Arc::new(Pages)).unwrap();
/// # let _ = errors;
/// ```
pub struct ErrorPages {
    status: StatusRanges,
    rewrites: Vec<(StatusRanges, StatusCode)>,
    service: Arc<dyn Endpoint>,
    query: String,
    headers: Option<Vec<http::HeaderName>>,
}

impl std::fmt::Debug for ErrorPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorPages")
            .field("status", &self.status)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl ErrorPages {
    /// Builds the middleware with its error `service` already resolved.
    pub fn new(cfg: &ErrorPagesConfig, service: Arc<dyn Endpoint>) -> Result<Self, BuildError> {
        if cfg.status.is_empty() {
            return Err(BuildError::invalid(
                "status",
                "no status given: no error page would ever be served",
            ));
        }
        let status = StatusRanges::parse(&cfg.status, "status")
            .map_err(|e| BuildError::invalid("status", e))?;
        let mut rewrites = Vec::new();
        if let Some(value) = &cfg.status_rewrites {
            let map = value.as_map().ok_or_else(|| {
                BuildError::invalid("statusRewrites", "must map statuses to a status")
            })?;
            for (from, to) in map.iter() {
                let key = format!("statusRewrites.{from}");
                let ranges =
                    StatusRanges::parse(&[from], &key).map_err(|e| BuildError::invalid(&key, e))?;
                let to = match to {
                    rampart_config::Value::Int(n) => u16::try_from(*n).ok(),
                    rampart_config::Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .and_then(|n| StatusCode::from_u16(n).ok())
                .filter(|s| (100..=599).contains(&s.as_u16()))
                .ok_or_else(|| BuildError::invalid(&key, "must be a status code (100-599)"))?;
                rewrites.push((ranges, to));
            }
        }
        let query = format!("/{}", cfg.query.trim_start_matches('/'));
        let headers = cfg
            .error_request_headers
            .as_ref()
            .map(|names| {
                names
                    .iter()
                    .map(|n| {
                        http::HeaderName::try_from(n.as_str()).map_err(|_| {
                            BuildError::invalid(
                                "errorRequestHeaders",
                                format_args!("`{n}` is not a header name"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(ErrorPages {
            status,
            rewrites,
            service,
            query,
            headers,
        })
    }

    fn page_request(
        &self,
        caught: StatusCode,
        sent: StatusCode,
        orig: &Original,
    ) -> Option<Request> {
        let url = format!("{}://{}{}", orig.scheme, orig.host, orig.target);
        let path = self
            .query
            .replace("{status}", sent.as_str())
            .replace("{originalStatus}", caught.as_str())
            .replace("{url}", &query_escape(&url));
        let mut req = http::Request::get(path).body(Body::empty()).ok()?;
        *req.headers_mut() = orig.headers.clone();
        if let Ok(host) = http::HeaderValue::try_from(orig.host.as_str()) {
            req.headers_mut().insert(http::header::HOST, host);
        }
        if let Some(info) = &orig.conn {
            req.extensions_mut().insert(info.clone());
        }
        Some(req)
    }
}

/// What the error page request needs from the original request.
struct Original {
    scheme: &'static str,
    host: String,
    target: String,
    headers: HeaderMap,
    conn: Option<Arc<ConnInfo>>,
}

impl Middleware for ErrorPages {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        let conn = req.extensions().get::<Arc<ConnInfo>>().cloned();
        let headers = match &self.headers {
            None => req.headers().clone(),
            Some(names) => {
                let mut h = HeaderMap::new();
                for name in names {
                    for v in req.headers().get_all(name) {
                        h.append(name.clone(), v.clone());
                    }
                }
                h
            }
        };
        let orig = Original {
            scheme: if conn.as_ref().is_some_and(|c| c.is_tls()) {
                "https"
            } else {
                "http"
            },
            host: String::from_utf8_lossy(super::source::host_of(&req)).into_owned(),
            target: req
                .uri()
                .path_and_query()
                .map_or("/", http::uri::PathAndQuery::as_str)
                .to_owned(),
            headers,
            conn,
        };
        Box::pin(async move {
            let res = next.run(req).await;
            let caught = res.status();
            if !self.status.contains(caught.as_u16()) {
                return res;
            }
            drop(res);
            let sent = self
                .rewrites
                .iter()
                .find(|(r, _)| r.contains(caught.as_u16()))
                .map_or(caught, |(_, to)| *to);
            let Some(page_req) = self.page_request(caught, sent, &orig) else {
                return RequestError::new(ErrorSource::Internal, sent, "error page: invalid query")
                    .into_response();
            };
            let mut page = self.service.call(page_req).await;
            *page.status_mut() = sent;
            page
        })
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                use std::fmt::Write as _;
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The constructor registered as `errors`: resolves `service` through the build context.
pub(crate) fn build(
    cfg: &ErrorPagesConfig,
    ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    if cfg.service.is_empty() {
        return Err(BuildError::invalid(
            "service",
            "no error page service given",
        ));
    }
    let service = ctx.service(&cfg.service)?;
    Ok(Arc::new(ErrorPages::new(cfg, service)?))
}

#[cfg(test)]
mod tests;
