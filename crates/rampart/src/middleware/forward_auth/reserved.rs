//! Reserved paths (`reservedPathPrefix`): requests under the auth backend's own prefix
//! (`/outpost.goauthentik.io/`, `/oauth2/`) are proxied to the auth backend, not to the
//! application: its callback, sign-out and start endpoints work on every protected host
//! without a second router (goauthentik/authentik#2180, #9939).

use http::StatusCode;
use http::header::{self, HeaderValue};

use super::auth::ForwardAuth;
use super::client::ExchangeError;
use super::request::{copied_headers, set_forwarded};
use crate::error::{ErrorSource, RequestError};
use crate::forwarded::HOP_BY_HOP;
use crate::{Request, Response};

/// Proxies `req` to the auth backend and relays its answer (every header but hop-by-hop ones,
/// `Set-Cookie` included; `Location` untouched, as any reverse proxy).
pub(crate) async fn proxy(auth: &ForwardAuth, req: Request) -> Response {
    let inner = &*auth.inner;
    let (parts, body) = req.into_parts();
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = match &inner.origin {
        Some(origin) if matches!(inner.transport, super::client::Transport::Http { .. }) => {
            format!("{origin}{pq}")
        }
        _ => pq.to_owned(),
    };
    let Ok(uri) = uri.parse::<http::Uri>() else {
        return RequestError::new(
            ErrorSource::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            "reserved path: bad target URI",
        )
        .into_response();
    };
    let mut headers = copied_headers(&parts);
    // The client's Host goes along (Traefik's passHostHeader default): the auth backend
    // finds its application by host.
    if let Some(host) = parts.headers.get(header::HOST) {
        headers.insert(header::HOST, host.clone());
    }
    // Identity headers are the auth backend's to set, never the client's.
    inner
        .response_headers
        .apply(&mut headers, &http::HeaderMap::new());
    set_forwarded(&mut headers, &parts, inner.trust);
    if let Some(len) = parts.headers.get(header::CONTENT_LENGTH) {
        headers.insert(header::CONTENT_LENGTH, len.clone());
    }
    let mut out = http::Request::new(body);
    *out.method_mut() = parts.method.clone();
    *out.uri_mut() = uri;
    *out.headers_mut() = headers;

    let res = match tokio::time::timeout(inner.timeout, inner.transport.send(out)).await {
        Ok(Ok(res)) => res,
        Ok(Err(ExchangeError::Transport(e) | ExchangeError::Body(e))) => {
            return RequestError::new(ErrorSource::Auth, StatusCode::BAD_GATEWAY, e)
                .into_response();
        }
        Ok(Err(e @ ExchangeError::TooLarge(_))) => {
            return RequestError::new(ErrorSource::Auth, StatusCode::BAD_GATEWAY, e.to_string())
                .into_response();
        }
        Err(_) => {
            return RequestError::new(
                ErrorSource::Auth,
                StatusCode::GATEWAY_TIMEOUT,
                "auth backend did not answer a reserved path in time",
            )
            .into_response();
        }
    };
    let (mut parts, body) = res.into_parts();
    for name in &HOP_BY_HOP {
        parts.headers.remove(name);
    }
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    Response::from_parts(parts, body)
}
