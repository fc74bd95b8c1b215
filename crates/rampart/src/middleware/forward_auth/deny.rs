//! A non-2xx auth answer: relayed to the client (forward.go's "remote error" branch), or turned
//! into a sign-in redirect (`authSigninURL`) or, for requests that cannot follow a redirect,
//! a 401 (`nonNavigationAs401`).

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::request::Parts;
use http::{Method, StatusCode};

use super::location;
use crate::error::{ErrorSource, RequestError};
use crate::forwarded::HOP_BY_HOP;
use crate::{Body, Response};

/// The header carrying the login URL on a `nonNavigationAs401` answer.
pub const AUTH_LOCATION: &str = "x-auth-location";

/// An auth answer, body read.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// How `Location` is relayed.
#[derive(Debug, Clone)]
pub(crate) enum LocationMode {
    /// Resolved against this base (the auth request URL), as Go's `Response.Location()`.
    Resolve(String),
    /// As sent (`preserveLocationHeader`, or `authService` without `address`).
    Preserve,
}

/// Traefik's relay of a non-2xx answer: status, every header but hop-by-hop ones, `Location`
/// resolved, body verbatim.
pub(crate) fn relay(
    answer: &Answer,
    location_mode: &LocationMode,
) -> Result<Response, RequestError> {
    let location = relayed_location(answer, location_mode)?;
    let mut res = Response::new(Body::from(answer.body.clone()));
    *res.status_mut() = answer.status;
    let headers = res.headers_mut();
    headers.reserve(answer.headers.len());
    for (name, value) in &answer.headers {
        if !HOP_BY_HOP.contains(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Some(loc) = location {
        headers.insert(header::LOCATION, loc);
    }
    Ok(res)
}

/// The `Location` to send, if the answer had one; an unparsable one is a 500 (Traefik).
fn relayed_location(
    answer: &Answer,
    mode: &LocationMode,
) -> Result<Option<HeaderValue>, RequestError> {
    let Some(raw) = answer.headers.get(header::LOCATION) else {
        return Ok(None);
    };
    let bad = |reason: String| {
        RequestError::new(ErrorSource::Auth, StatusCode::INTERNAL_SERVER_ERROR, reason)
    };
    let raw_str = raw
        .to_str()
        .map_err(|_| bad("auth Location is not ASCII".to_owned()))?;
    match mode {
        LocationMode::Preserve => {
            location::validate(raw_str).map_err(|e| bad(e.to_string()))?;
            Ok(Some(raw.clone()))
        }
        LocationMode::Resolve(base) => {
            let resolved = location::resolve(base, raw_str).map_err(|e| bad(e.to_string()))?;
            HeaderValue::from_str(&resolved)
                .map(Some)
                .map_err(|e| bad(e.to_string()))
        }
    }
}

/// `authSigninURL`: Go's `http.Redirect(rw, req, url, 302)`.
pub(crate) fn signin_redirect(url: &str, parts: &Parts) -> Response {
    // A relative target is made absolute against the request path, as Go does.
    let target = if url.contains("://") || url.starts_with('/') {
        url.to_owned()
    } else {
        let path = parts.uri.path();
        let dir = &path[..=path.rfind('/').unwrap_or(0)];
        format!("{dir}{url}")
    };
    let body = if parts.method == Method::GET {
        Body::from(format!(
            "<a href=\"{}\">Found</a>.\n\n",
            html_escape(&target)
        ))
    } else {
        Body::empty()
    };
    let mut res = Response::new(body);
    *res.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(&target) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    if parts.method == Method::GET || parts.method == Method::HEAD {
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    res
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether the client cannot follow a login redirect: a fetch/XHR, a websocket, an API call
/// (`Sec-Fetch-Mode` other than `navigate`, `X-Requested-With: XMLHttpRequest`, an `Accept`
/// asking for JSON and not HTML, or a websocket handshake).
pub(crate) fn is_non_navigation(parts: &Parts, websocket: bool) -> bool {
    let h = &parts.headers;
    if websocket {
        return true;
    }
    if let Some(mode) = h.get("sec-fetch-mode") {
        return !mode.as_bytes().eq_ignore_ascii_case(b"navigate");
    }
    if h.get_all("x-requested-with")
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"xmlhttprequest"))
    {
        return true;
    }
    let accept: Vec<String> = h
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .collect();
    let json = accept.iter().any(|a| a.contains("json"));
    let html = accept.iter().any(|a| a.contains("text/html"));
    json && !html
}

/// `nonNavigationAs401`: the redirect becomes `401` with the (resolved) login URL in
/// `X-Auth-Location`. `Set-Cookie` is not relayed: a background request must not replace the
/// login session a page navigation started (goauthentik/authentik#10057).
pub(crate) fn non_navigation_401(
    answer: &Answer,
    location_mode: &LocationMode,
) -> Result<Option<Response>, RequestError> {
    if !answer.status.is_redirection() {
        return Ok(None);
    }
    let Some(location) = relayed_location(answer, location_mode)? else {
        return Ok(None);
    };
    let mut res = Response::new(Body::from("Unauthorized\n"));
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    let h = res.headers_mut();
    h.insert(header::HeaderName::from_static(AUTH_LOCATION), location);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(Some(res))
}
