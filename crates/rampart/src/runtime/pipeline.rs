//! The request path through one entrypoint: underscore-header policy → forwarded headers →
//! path normalisation → routing → the winning router's chain.

use http::{HeaderValue, StatusCode, Uri};

use super::{EntrypointRuntime, RouteTarget, UnderscoreHeaders};
use crate::error::{ErrorSource, RequestError};
use crate::request::normalize;
use crate::table::{Explanation, Route};
use crate::{Body, ConnInfo, Request, Response};

/// The outcome of [`EntrypointRuntime::explain`].
#[derive(Debug)]
pub struct ExplainedRequest {
    /// Whether the request would be routed among the TLS routers.
    pub tls: bool,
    /// The routers that matched and the winner.
    pub explanation: Explanation,
}

impl EntrypointRuntime {
    /// Answers one request. Its `Arc<ConnInfo>` (peer, TLS) should be in the extensions; without
    /// one, the request is treated as plain HTTP from an unknown peer.
    pub async fn handle(&self, mut req: Request) -> Response {
        if let Err(e) = self.underscore_headers(&mut req) {
            return e.into_response();
        }
        // Traefik rewrites X-Forwarded-* before routing, so `Header()` rules see the
        // sanitised values, never a spoofed one.
        self.forwarded.apply(&mut req);
        let route = match self.route(&mut req) {
            Ok(Some(route)) => route,
            Ok(None) => return not_found(),
            Err(e) => return e.into_response(),
        };
        let target = route.payload();
        if let Err(e) = sni_check(target, &req) {
            let mut res = e.into_response();
            res.extensions_mut().insert(target.router.clone());
            return res;
        }
        req.extensions_mut().insert(target.router.clone());
        let mut res = target.chain.call(req).await;
        res.extensions_mut().insert(target.router.clone());
        res
    }

    /// Finds the router for `req` and rewrites its URI to the normalised path and query.
    fn route(&self, req: &mut Request) -> Result<Option<&Route<RouteTarget>>, RequestError> {
        let tls = ConnInfo::of(req).is_some_and(ConnInfo::is_tls);
        let table = if tls { &self.tls } else { &self.plain };
        let (route, rewrite) = {
            let n = normalize(req, &self.path)?;
            let route = table.route(&n.view(req));
            (route, n.uri_changed().then(|| n.path_and_query()))
        };
        if let Some(path_and_query) = rewrite {
            set_path_and_query(req, &path_and_query)?;
        }
        Ok(route)
    }

    /// Which routers match `req` on this entrypoint, and which one wins (the request is
    /// normalised as it would be when served, forwarded headers included).
    pub fn explain(&self, mut req: Request) -> Result<ExplainedRequest, RequestError> {
        self.underscore_headers(&mut req)?;
        self.forwarded.apply(&mut req);
        let tls = ConnInfo::of(&req).is_some_and(ConnInfo::is_tls);
        let table = if tls { &self.tls } else { &self.plain };
        let n = normalize(&req, &self.path)?;
        Ok(ExplainedRequest {
            tls,
            explanation: table.explain(&n.view(&req)),
        })
    }

    fn underscore_headers(&self, req: &mut Request) -> Result<(), RequestError> {
        if self.underscore == UnderscoreHeaders::Keep
            || !req.headers().keys().any(|k| k.as_str().contains('_'))
        {
            return Ok(());
        }
        if self.underscore == UnderscoreHeaders::Reject {
            return Err(RequestError::new(
                ErrorSource::Downstream,
                StatusCode::BAD_REQUEST,
                "header name with `_` refused by underscoreHeadersStrategy",
            ));
        }
        let names: Vec<_> = req
            .headers()
            .keys()
            .filter(|k| k.as_str().contains('_'))
            .cloned()
            .collect();
        for name in names {
            req.headers_mut().remove(name);
        }
        Ok(())
    }
}

/// Traefik's `snicheck`: a TLS router answers only requests whose connection was handshaken
/// with the TLS options the router asks for. Otherwise the client negotiated, through the SNI
/// of another host, options weaker than this router's (say, without the client certificate it
/// requires): 421 Misdirected Request (RFC 9110 §15.5.20), which tells the client to retry on a
/// new connection with the right SNI.
fn sni_check(target: &RouteTarget, req: &Request) -> Result<(), RequestError> {
    let Some(wanted) = target.tls_options.as_deref() else {
        return Ok(());
    };
    let Some(tls) = ConnInfo::of(req).and_then(|c| c.tls.as_ref()) else {
        return Ok(());
    };
    if tls.options.as_deref() == Some(wanted) {
        return Ok(());
    }
    tracing::debug!(
        sni = tls.server_name.as_deref(),
        host = ?req.headers().get(http::header::HOST),
        used = tls.options.as_deref(),
        wanted,
        "TLS options of the connection differ from the router's: 421"
    );
    Err(RequestError::new(
        ErrorSource::Downstream,
        StatusCode::MISDIRECTED_REQUEST,
        "the connection's TLS options differ from the router's",
    ))
}

fn set_path_and_query(req: &mut Request, path_and_query: &str) -> Result<(), RequestError> {
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().map_err(|_| {
        RequestError::new(
            ErrorSource::Downstream,
            StatusCode::BAD_REQUEST,
            "unusable request path",
        )
    })?);
    *req.uri_mut() = Uri::from_parts(parts).map_err(|_| {
        RequestError::new(
            ErrorSource::Downstream,
            StatusCode::BAD_REQUEST,
            "unusable request URI",
        )
    })?;
    Ok(())
}

/// Traefik's answer when no router matches: Go's `http.NotFound`.
pub(crate) fn not_found() -> Response {
    let mut res = Response::new(Body::from("404 page not found\n"));
    *res.status_mut() = StatusCode::NOT_FOUND;
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}
