//! From upstream client failures to Traefik's statuses (`httputil.ComputeStatusCode`).

use std::error::Error as StdError;
use std::io;

use http::StatusCode;

use crate::error::{ErrorSource, RequestBodyError, RequestBodyTimeout, RequestError};

/// The non-standard status Traefik (and nginx) log for a client that went away.
pub const CLIENT_CLOSED_REQUEST: u16 = 499;

/// Maps a failed upstream exchange to what the client gets.
///
/// * the client's request body timed out ([`RequestBodyTimeout`]) — `408 Request Timeout`;
/// * the client's request body was malformed or cut ([`RequestBodyError`]) — `400`;
/// * a timeout anywhere in the chain (dial, TLS handshake) — `504 Gateway Timeout`;
/// * refused, reset, DNS failure, TLS failure, a connection closed before the response —
///   `502 Bad Gateway` (Go's `net.Error` / `io.EOF` cases).
pub(super) fn classify(err: &(dyn StdError + 'static)) -> RequestError {
    let reason = chain(err);
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        // `io::Error::source` skips its own payload: look inside it too.
        let io_payload = e
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
            .and_then(|p| p.downcast_ref::<RequestBodyTimeout>())
            .is_some();
        if e.is::<RequestBodyTimeout>() || io_payload {
            return RequestError::new(ErrorSource::Downstream, StatusCode::REQUEST_TIMEOUT, reason);
        }
        if e.is::<RequestBodyError>() {
            return RequestError::new(ErrorSource::Downstream, StatusCode::BAD_REQUEST, reason);
        }
        if let Some(io) = e.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::TimedOut
        {
            return RequestError::new(ErrorSource::Upstream, StatusCode::GATEWAY_TIMEOUT, reason);
        }
        cur = e.source();
    }
    RequestError::new(ErrorSource::Upstream, StatusCode::BAD_GATEWAY, reason)
}

/// `responseHeaderTimeout` ran out.
pub(super) fn response_header_timeout() -> RequestError {
    RequestError::new(
        ErrorSource::Upstream,
        StatusCode::GATEWAY_TIMEOUT,
        "timeout awaiting response headers",
    )
}

/// Every message of an error chain, joined (hyper's messages are short and nested).
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let msg = e.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(io::Error);
    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error (Connect)")
        }
    }
    impl StdError for Wrap {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn timeouts_are_504_everything_else_502() {
        let t = Wrap(io::Error::new(io::ErrorKind::TimedOut, "connect timeout"));
        let e = classify(&t);
        assert_eq!(e.status, 504);
        assert!(e.reason.contains("connect timeout"), "{}", e.reason);
        let r = Wrap(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(classify(&r).status, 502);
        // The client's body timing out is the client's fault, whatever wraps it.
        let slow = Wrap(io::Error::other(RequestBodyTimeout));
        let e = classify(&slow);
        assert_eq!(
            (e.status.as_u16(), e.source),
            (408, ErrorSource::Downstream)
        );
        let e = classify(&RequestBodyTimeout);
        assert_eq!(e.status, 408);
        // So is a malformed body: 400, never a 502 that a circuit breaker would count.
        let e = classify(&RequestBodyError::new("invalid chunk size line"));
        assert_eq!(
            (e.status.as_u16(), e.source),
            (400, ErrorSource::Downstream)
        );
        assert_eq!(response_header_timeout().status, 504);
    }
}
