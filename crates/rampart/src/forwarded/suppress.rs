//! [`SuppressForwardedFor`]: a request marker that keeps the proxy from adding
//! `X-Forwarded-For`.

/// A request extension telling the proxy not to send `X-Forwarded-For` at all.
///
/// Traefik's `headers` middleware turns `customRequestHeaders: {X-Forwarded-For: ""}` into a
/// `nil` header value, which Go's reverse proxy reads as "do not append the client address"
/// (golang/go@ecdbffd): the upstream then gets no `X-Forwarded-For`. rampart's `headers`
/// middleware removes the header and inserts this marker; the proxy honours it.
///
/// ```
/// use rampart::forwarded::SuppressForwardedFor;
/// let mut req = http::Request::new(rampart::Body::empty());
/// req.extensions_mut().insert(SuppressForwardedFor);
/// assert!(req.extensions().get::<SuppressForwardedFor>().is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SuppressForwardedFor;
