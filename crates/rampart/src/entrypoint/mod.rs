//! The entrypoint stage: what happens to a request between the socket and routing.
//!
//! Traefik runs `forwardedheaders.XForwarded` on every request an entrypoint accepts, before any
//! router sees it (`server_entrypoint_tcp.go`). rampart does the same here:
//!
//! * [`ForwardedHeaders`] — drops the managed `X-Forwarded-*` headers a client outside
//!   `forwardedHeaders.trustedIPs` sent, sets the ones that are missing (`X-Real-Ip`,
//!   `X-Forwarded-Proto`, `-Port`, `-Host`, `-Server`), then applies the `Connection` header
//!   (CVE-2024-45410: it can never remove a managed header).
//! * [`TrustedIps`] — the IP / CIDR list behind `trustedIPs`.
//!
//! ```
//! use std::sync::Arc;
//! use rampart::entrypoint::{ForwardedHeaders, ForwardedHeadersSpec};
//! use rampart::{Body, ConnInfo};
//!
//! let stage = ForwardedHeaders::new(&ForwardedHeadersSpec::default()).unwrap();
//! let mut req = http::Request::builder()
//!     .uri("/")
//!     .header("host", "app.test")
//!     .header("x-forwarded-host", "evil.test")
//!     .body(Body::empty())
//!     .unwrap();
//! req.extensions_mut().insert(Arc::new(ConnInfo::plain("203.0.113.7:4242".parse().unwrap(), "web")));
//! stage.apply(&mut req);
//! assert_eq!(req.headers()["x-forwarded-host"], "app.test");
//! assert_eq!(req.headers()["x-real-ip"], "203.0.113.7");
//! assert_eq!(req.headers()["x-forwarded-proto"], "http");
//! ```

mod connection;
mod forwarded;
mod trusted;

pub use connection::is_websocket_upgrade;
pub(crate) use connection::tokens as connection_tokens;
pub use forwarded::{ForwardedHeaders, ForwardedHeadersSpec, NotAppendXForwardedFor};
pub use trusted::TrustedIps;

/// Why an entrypoint stage could not be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntrypointError {
    /// A `trustedIPs` entry is neither an IP address nor a CIDR.
    #[error("`trustedIPs`: `{value}` is not an IP address or CIDR: {reason}")]
    TrustedIp {
        /// The entry as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `forwardedHeaders.connection` entry is not a valid header name.
    #[error("`connection`: `{0}` is not a valid header name")]
    HeaderName(String),
}

#[cfg(test)]
mod tests;
