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

/// The error a request body ends with when the client did not send it in time (the
/// entrypoint's `readTimeout`, enforced by the listener). Forwarding such a body answers
/// `408 Request Timeout` from the downstream side: the client was slow, not the upstream (Go
/// would report its `i/o timeout` as a 504, blaming the wrong side; nginx's
/// `client_body_timeout` also answers 408).
///
/// ```
/// use rampart::error::RequestBodyTimeout;
/// let err: rampart::BoxError = Box::new(RequestBodyTimeout);
/// assert!(err.downcast_ref::<RequestBodyTimeout>().is_some());
/// assert_eq!(err.to_string(), "request body not received within the entrypoint's readTimeout");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request body not received within the entrypoint's readTimeout")]
pub struct RequestBodyTimeout;

/// The error a request body ends with when the client sent it malformed (a bad chunk size, a
/// bare LF, a connection closed mid-body): the listener wraps the client's body errors in it,
/// and forwarding such a body answers `400 Bad Request` from the downstream side.
///
/// Answering 502 instead would blame the upstream, and a client could then trip a
/// `circuitBreaker` (which counts 502/504 as network errors) for every other user by sending
/// garbage.
///
/// ```
/// use rampart::error::RequestBodyError;
/// let err = RequestBodyError::new("invalid chunk size");
/// assert_eq!(err.to_string(), "reading the request body: invalid chunk size");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("reading the request body: {0}")]
pub struct RequestBodyError(#[source] pub crate::BoxError);

impl RequestBodyError {
    /// Wraps the client body's error.
    pub fn new(err: impl Into<crate::BoxError>) -> Self {
        RequestBodyError(err.into())
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
    ///
    /// The error itself rides along in the response extensions, so that middlewares further out
    /// (`retry`, `buffering`, `circuitBreaker`, access logs) can tell a failure rampart produced
    /// from an answer an upstream sent: see [`RequestError::of`].
    pub fn into_response(self) -> Response {
        tracing::debug!(source = %self.source, status = self.status.as_u16(), reason = %self.reason, "request failed");
        let mut res = status_response(self.status);
        res.extensions_mut().insert(self);
        res
    }

    /// The error a response was made from by [`RequestError::into_response`], if any.
    ///
    /// ```
    /// use rampart::error::{ErrorSource, RequestError};
    /// let res = RequestError::new(ErrorSource::Upstream, http::StatusCode::BAD_GATEWAY, "refused")
    ///     .into_response();
    /// assert_eq!(RequestError::of(&res).map(|e| e.source), Some(ErrorSource::Upstream));
    /// ```
    pub fn of<B>(res: &http::Response<B>) -> Option<&RequestError> {
        res.extensions().get::<RequestError>()
    }
}

/// How far a request got when the connection to the upstream failed.
///
/// The service layer marks the error responses it makes for network failures with this
/// extension ([`NetworkError::mark`]); `retry` replays a request only when it is
/// [`NetworkError::NotSent`] (Traefik retries only when no byte was written to the server), and
/// `circuitBreaker`/`buffering` count it as a network error whatever the status.
///
/// ```
/// use rampart::error::{ErrorSource, NetworkError, RequestError};
/// let mut res = RequestError::new(ErrorSource::Upstream, http::StatusCode::BAD_GATEWAY, "refused")
///     .into_response();
/// NetworkError::NotSent.mark(&mut res);
/// assert_eq!(NetworkError::of(&res), Some(NetworkError::NotSent));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetworkError {
    /// Nothing of the request reached the upstream (refused, DNS failure, TLS handshake failure,
    /// no healthy server): replaying it cannot do anything twice.
    NotSent,
    /// The request was (at least partly) written, then the connection failed or timed out.
    AfterSent,
}

impl NetworkError {
    /// Marks `res` as the answer to this network failure.
    pub fn mark<B>(self, res: &mut http::Response<B>) {
        res.extensions_mut().insert(self);
    }

    /// The network failure `res` answers, if it is marked.
    pub fn of<B>(res: &http::Response<B>) -> Option<NetworkError> {
        res.extensions().get::<NetworkError>().copied()
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
