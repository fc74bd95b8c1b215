//! `customRequestHeaders` / `customResponseHeaders`: set, or delete with an empty value
//! (Traefik `pkg/middlewares/headers/header.go`).

use std::collections::BTreeMap;

use http::header::HOST;
use http::uri::{Authority, Uri};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::Request;
use crate::forwarded::SuppressForwardedFor;
use crate::middleware::BuildError;

/// One custom header: a value to set, or `None` to delete.
#[derive(Debug, Clone)]
pub(super) struct Custom {
    name: HeaderName,
    value: Option<HeaderValue>,
}

/// Validates a header map option (`key` names it in errors).
pub(super) fn compile(
    key: &str,
    map: &BTreeMap<String, Option<String>>,
) -> Result<Vec<Custom>, BuildError> {
    map.iter()
        .map(|(name, value)| {
            let header = HeaderName::try_from(name.as_str()).map_err(|_| {
                BuildError::invalid(format!("{key}.{name}"), "not a valid header name")
            })?;
            let value = match value.as_deref() {
                None | Some("") => None,
                Some(v) => Some(HeaderValue::from_str(v).map_err(|_| {
                    BuildError::invalid(format!("{key}.{name}"), "not a valid header value")
                })?),
            };
            Ok(Custom {
                name: header,
                value,
            })
        })
        .collect()
}

/// Applies `customRequestHeaders` to `req`.
///
/// `Host` sets the request's host (Go's `req.Host`: the `Host` header, and the authority when
/// the request carries one). An empty `X-Forwarded-For` also tells the proxy not to add one.
pub(super) fn apply_request(headers: &[Custom], req: &mut Request) {
    for h in headers {
        match &h.value {
            None if h.name == "x-forwarded-for" => {
                req.headers_mut().remove(&h.name);
                req.extensions_mut().insert(SuppressForwardedFor);
            }
            None => {
                req.headers_mut().remove(&h.name);
            }
            Some(v) if h.name == HOST => set_host(req, v),
            Some(v) => {
                req.headers_mut().insert(h.name.clone(), v.clone());
            }
        }
    }
}

fn set_host(req: &mut Request, value: &HeaderValue) {
    req.headers_mut().insert(HOST, value.clone());
    if req.uri().authority().is_some()
        && let Ok(authority) = Authority::try_from(value.as_bytes())
    {
        let mut parts = req.uri().clone().into_parts();
        parts.authority = Some(authority);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}

/// Applies `customResponseHeaders` to a response's headers.
pub(super) fn apply_response(headers: &[Custom], res: &mut HeaderMap) {
    for h in headers {
        match &h.value {
            None => {
                res.remove(&h.name);
            }
            Some(v) => {
                res.insert(h.name.clone(), v.clone());
            }
        }
    }
}
