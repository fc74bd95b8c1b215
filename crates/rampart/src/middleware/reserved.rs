//! Paths a middleware answers by itself ([`ReservedPath`]).

use std::fmt;
use std::sync::Arc;

/// A path prefix a middleware answers by itself, on every host it protects.
///
/// An auth backend serves its own endpoints on the application's hosts (Authentik's
/// `/outpost.goauthentik.io/`, oauth2-proxy's `/oauth2/`). With Traefik this needs a second
/// router per host whose priority must beat the application's (goauthentik/authentik#2180); a
/// middleware that declares the prefix makes that router unnecessary: requests under it go to
/// the auth backend, never to the application.
///
/// ```
/// use rampart::middleware::ReservedPath;
/// let r = ReservedPath::new("/oauth2/", "http://oauth2-proxy:4180");
/// assert!(r.matches("/oauth2/callback"));
/// assert!(!r.matches("/oauth2"));
/// assert_eq!(r.to_string(), "/oauth2/ -> http://oauth2-proxy:4180");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ReservedPath {
    /// The prefix, starting with `/` (matched as Traefik's `PathPrefix`: a plain string prefix).
    pub prefix: Arc<str>,
    /// Where the requests go, for `check` and `explain` output (an origin or `service NAME`).
    pub target: Arc<str>,
}

impl ReservedPath {
    /// A reserved `prefix` served by `target`.
    pub fn new(prefix: impl Into<Arc<str>>, target: impl Into<Arc<str>>) -> Self {
        ReservedPath {
            prefix: prefix.into(),
            target: target.into(),
        }
    }

    /// Whether `path` is under the prefix.
    pub fn matches(&self, path: &str) -> bool {
        path.starts_with(&*self.prefix)
    }
}

impl fmt::Display for ReservedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.prefix, self.target)
    }
}
