//! The request as the routing table sees it: borrowed, computed once, never allocated.

use std::net::IpAddr;

use http::HeaderMap;

/// What routing looks at in a request, borrowed from it.
///
/// The request stage ([`normalize`](super::normalize)) produces the canonical host and the
/// routing path once per request; a view borrows them, so matching allocates nothing.
///
/// ```
/// use rampart::request::RequestView;
///
/// let headers = http::HeaderMap::new();
/// let view = RequestView::new("GET", "app.example.com", "/admin")
///     .with_query("tab=1")
///     .with_headers(&headers)
///     .with_peer("192.0.2.7".parse().unwrap());
/// assert_eq!(view.host(), "app.example.com");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    method: &'a str,
    host: &'a str,
    path: &'a [u8],
    query: &'a str,
    headers: Option<&'a HeaderMap>,
    peer: Option<IpAddr>,
}

impl<'a> RequestView<'a> {
    /// A view of a request with this method, canonical host (lower-case, no port, no IPv6
    /// brackets — what Traefik's `GetCanonicalHost` gives) and routing path.
    pub fn new(method: &'a str, host: &'a str, path: &'a str) -> Self {
        RequestView {
            method,
            host,
            path: path.as_bytes(),
            query: "",
            headers: None,
            peer: None,
        }
    }

    /// Sets the routing path as bytes: decoding `%XX` can produce bytes that are not UTF-8.
    #[must_use]
    pub fn with_path_bytes(mut self, path: &'a [u8]) -> Self {
        self.path = path;
        self
    }

    /// Sets the raw query (after the entrypoint's `;` handling, without `?`).
    #[must_use]
    pub fn with_query(mut self, query: &'a str) -> Self {
        self.query = query;
        self
    }

    /// Sets the headers.
    #[must_use]
    pub fn with_headers(mut self, headers: &'a HeaderMap) -> Self {
        self.headers = Some(headers);
        self
    }

    /// Sets the TCP peer address (`ClientIP` matches it; never `X-Forwarded-For`).
    #[must_use]
    pub fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The method, as sent (`Method` compares case-sensitively, as Go does).
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The canonical host.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The routing path.
    pub fn path(&self) -> &'a [u8] {
        self.path
    }

    /// The raw query.
    pub fn query(&self) -> &'a str {
        self.query
    }

    /// The headers, if the view has them.
    pub fn headers(&self) -> Option<&'a HeaderMap> {
        self.headers
    }

    /// The TCP peer, when known.
    pub fn peer(&self) -> Option<IpAddr> {
        self.peer
    }
}
