//! The one mapping from request-path failures to what the client sees.
//!
//! Every failure on the request path is a [`RequestError`]: a status (Traefik's, for the same
//! situation), the side it came from (as Pingora tags its errors) and a reason for the log.

use std::fmt;

use http::StatusCode;

use crate::{Body, Response};

/// Where a request-path failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorSource {
    /// The client: a malformed request, a body too large, a client that went away.
    Downstream,
    /// The upstream server: refused, reset, timed out.
    Upstream,
    /// The auth backend of forwardAuth: unreachable, timed out, an unusable answer.
    Auth,
    /// rampart itself (a bug or a broken configuration object).
    Internal,
}

impl fmt::Display for ErrorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorSource::Downstream => "downstream",
            ErrorSource::Upstream => "upstream",
            ErrorSource::Auth => "auth",
            ErrorSource::Internal => "internal",
        })
    }
}

/// A failure on the request path, with the status the client gets.
///
/// ```
/// use rampart::error::{ErrorSource, RequestError};
/// let err = RequestError::new(ErrorSource::Upstream, http::StatusCode::BAD_GATEWAY, "connection refused");
/// let res = err.into_response();
/// assert_eq!(res.status(), 502);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// Where it came from.
    pub source: ErrorSource,
    /// What the client gets.
    pub status: StatusCode,
    /// Why, for the log (never sent to the client).
    pub reason: String,
}

impl RequestError {
    /// A new error.
    pub fn new(source: ErrorSource, status: StatusCode, reason: impl Into<String>) -> Self {
        RequestError {
            source,
            status,
            reason: reason.into(),
        }
    }

    /// The response the client gets: the status and its reason phrase as the body, as Traefik's
    /// `http.StatusText` answers. The reason stays in the log.
    pub fn into_response(self) -> Response {
        tracing::debug!(source = %self.source, status = self.status.as_u16(), reason = %self.reason, "request failed");
        status_response(self.status)
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} error ({}): {}",
            self.source, self.status, self.reason
        )
    }
}

impl std::error::Error for RequestError {}

/// A bare response with `status` and its reason phrase as a `text/plain` body.
pub fn status_response(status: StatusCode) -> Response {
    let text = status.canonical_reason().unwrap_or("");
    let mut res = Response::new(Body::from(text));
    *res.status_mut() = status;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}
