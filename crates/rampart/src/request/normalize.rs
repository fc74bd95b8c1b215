//! The one call the entrypoint makes per request: a 400, or the request as routing sees it
//! and as it is forwarded.

use std::borrow::Cow;
use std::net::IpAddr;

use http::{Request, StatusCode};

use super::host;
use super::path::{self, PathError};
use super::view::RequestView;
use crate::ConnInfo;
use crate::error::{ErrorSource, RequestError};

/// Traefik's entrypoint `http` options that shape the request path and query.
///
/// ```
/// use rampart::request::PathOptions;
/// let opts = PathOptions::default();
/// assert!(opts.sanitize_path && !opts.encode_query_semicolons);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PathOptions {
    /// `http.sanitizePath` (default true): resolve `.`/`..` and merge `//` before routing.
    pub sanitize_path: bool,
    /// `http.encodedCharacters`: which encoded characters a path may carry.
    pub encoded_characters: EncodedCharacters,
    /// `http.encodeQuerySemicolons`: `;` in the query becomes `%3B` (part of a value)
    /// instead of a `&` separator (Go's `AllowQuerySemicolons`, the default).
    pub encode_query_semicolons: bool,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions {
            sanitize_path: true,
            encoded_characters: EncodedCharacters::default(),
            encode_query_semicolons: false,
        }
    }
}

/// Traefik's `encodedCharacters` options: `true` allows the encoded character in a path, as
/// Traefik does by default since 3.6.7. Setting them `false` protects backends that decode
/// reserved characters (`%2F` as `/`) from split-view attacks.
///
/// ```
/// use rampart::request::EncodedCharacters;
/// let strict = EncodedCharacters::deny_all();
/// assert!(strict.check("/a%2Fb").is_err());
/// assert!(EncodedCharacters::default().check("/a%2Fb").is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors Traefik's seven independent options"
)]
pub struct EncodedCharacters {
    /// `%2F` (`/`).
    pub allow_encoded_slash: bool,
    /// `%5C` (`\`).
    pub allow_encoded_back_slash: bool,
    /// `%00`.
    pub allow_encoded_null_character: bool,
    /// `%3B` (`;`).
    pub allow_encoded_semicolon: bool,
    /// `%25` (`%`).
    pub allow_encoded_percent: bool,
    /// `%3F` (`?`).
    pub allow_encoded_question_mark: bool,
    /// `%23` (`#`).
    pub allow_encoded_hash: bool,
}

impl Default for EncodedCharacters {
    fn default() -> Self {
        EncodedCharacters {
            allow_encoded_slash: true,
            allow_encoded_back_slash: true,
            allow_encoded_null_character: true,
            allow_encoded_semicolon: true,
            allow_encoded_percent: true,
            allow_encoded_question_mark: true,
            allow_encoded_hash: true,
        }
    }
}

impl EncodedCharacters {
    /// Every encoded character of the list refused.
    pub fn deny_all() -> Self {
        EncodedCharacters {
            allow_encoded_slash: false,
            allow_encoded_back_slash: false,
            allow_encoded_null_character: false,
            allow_encoded_semicolon: false,
            allow_encoded_percent: false,
            allow_encoded_question_mark: false,
            allow_encoded_hash: false,
        }
    }

    /// Checks an escaped path; `Err` names the first refused escape (Traefik's
    /// `denyEncodedPathCharacters`, usable per router too).
    pub fn check(&self, escaped_path: &str) -> Result<(), String> {
        let denied: [(bool, u8); 7] = [
            (self.allow_encoded_slash, b'/'),
            (self.allow_encoded_back_slash, b'\\'),
            (self.allow_encoded_null_character, 0),
            (self.allow_encoded_semicolon, b';'),
            (self.allow_encoded_percent, b'%'),
            (self.allow_encoded_question_mark, b'?'),
            (self.allow_encoded_hash, b'#'),
        ];
        if denied.iter().all(|(allowed, _)| *allowed) {
            return Ok(());
        }
        let b = escaped_path.as_bytes();
        for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'%') {
            let byte = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = byte else {
                return Err("invalid percent-encoding in the path".into());
            };
            if denied.iter().any(|(allowed, c)| !allowed && *c == byte) {
                return Err(format!(
                    "encoded character %{byte:02X} is not allowed in the path"
                ));
            }
        }
        Ok(())
    }
}

/// A request after the entrypoint's checks: the canonical host and routing path that rules
/// see, and the path and query to forward. Borrowed from the request; nothing is allocated
/// when the request needed no change.
///
/// ```
/// use rampart::request::{PathOptions, normalize};
///
/// let req = http::Request::builder()
///     .uri("/public/%2e%2e/admin?a=1;b=2")
///     .header("host", "App.Example.com:8443")
///     .body(())
///     .unwrap();
/// let n = normalize(&req, &PathOptions::default()).unwrap();
/// assert_eq!(n.host(), "app.example.com");
/// assert_eq!(n.path(), "/admin");
/// assert_eq!(n.query(), Some("a=1&b=2"));
/// assert!(n.uri_changed());
/// let view = n.view(&req);
/// assert_eq!(view.path(), b"/admin");
///
/// let bad = http::Request::builder().uri("/%zz").header("host", "a").body(()).unwrap();
/// assert_eq!(normalize(&bad, &PathOptions::default()).unwrap_err().status, 400);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized<'a> {
    authority: &'a str,
    host: Cow<'a, str>,
    path: Cow<'a, str>,
    routing_path: Cow<'a, [u8]>,
    query: Option<Cow<'a, str>>,
    changed: bool,
}

/// Runs Traefik's entrypoint pipeline on a request: host checks, `#` denial, `%` escape
/// validation, path normalisation and sanitisation, encoded-character denial, routing path,
/// and the query's `;` handling. `Err` is a 400 to answer without routing.
pub fn normalize<'a, B>(
    req: &'a Request<B>,
    options: &PathOptions,
) -> Result<Normalized<'a>, RequestError> {
    let bad = |reason: String| {
        RequestError::new(ErrorSource::Downstream, StatusCode::BAD_REQUEST, reason)
    };
    let hosts = host::hosts(req).map_err(|e| bad(e.to_string()))?;
    let uri = req.uri();
    let raw_path = uri.path();
    let (escaped, routing) = normalize_path(raw_path, options)?;
    let query = uri.query().map(|q| {
        if !q.contains(';') {
            Cow::Borrowed(q)
        } else if options.encode_query_semicolons {
            Cow::Owned(q.replace(';', "%3B"))
        } else {
            Cow::Owned(q.replace(';', "&"))
        }
    });
    let changed = *escaped != *raw_path || matches!(query, Some(Cow::Owned(_)));
    Ok(Normalized {
        authority: hosts.authority,
        host: hosts.canonical,
        path: escaped,
        routing_path: routing,
        query,
        changed,
    })
}

/// The path half of [`normalize`]: runs Traefik's path pipeline on a raw request-target
/// path (before `?`) and gives `(escaped path to forward, routing path)`, or the 400.
///
/// Middlewares that rewrite the path (`stripPrefix`, `replacePathRegex`) can call it again
/// on their result, to refuse a rewrite that sanitises into something else (attack catalogue
/// C7).
///
/// ```
/// use rampart::request::{PathOptions, normalize_path};
///
/// let (escaped, routing) = normalize_path("/a/%2E%2E/b%2Fc%20d", &PathOptions::default()).unwrap();
/// assert_eq!(escaped, "/b%2Fc%20d");
/// assert_eq!(&*routing, b"/b%2Fc d");
/// assert!(normalize_path("/admin#frag", &PathOptions::default()).is_err());
/// ```
pub fn normalize_path<'p>(
    path: &'p str,
    options: &PathOptions,
) -> Result<(Cow<'p, str>, Cow<'p, [u8]>), RequestError> {
    let bad = |reason: String| {
        RequestError::new(ErrorSource::Downstream, StatusCode::BAD_REQUEST, reason)
    };
    let processed = path::process(path, options.sanitize_path).map_err(|e| {
        bad(match e {
            PathError::Fragment => "fragment (#) in the request path".to_string(),
            PathError::InvalidEscape => "invalid percent-encoding in the request path".to_string(),
        })
    })?;
    options
        .encoded_characters
        .check(&processed.escaped)
        .map_err(bad)?;
    Ok((processed.escaped, processed.routing))
}

impl<'a> Normalized<'a> {
    /// The canonical host: no port, no IPv6 brackets, lower-case.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The host as the client sent it, port included (`X-Forwarded-Host`).
    pub fn authority(&self) -> &'a str {
        self.authority
    }

    /// The escaped path to forward.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The routing path rules compare (reserved characters still escaped).
    pub fn routing_path(&self) -> &[u8] {
        &self.routing_path
    }

    /// The query to forward and match.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// Whether the path or query differ from the request's URI, so the forwarded URI must be
    /// rewritten (see [`path_and_query`](Self::path_and_query)).
    pub fn uri_changed(&self) -> bool {
        self.changed
    }

    /// The request-target to forward: path, then `?query` when there is one.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.to_string(),
        }
    }

    /// The view the routing table matches: this request's method, headers and peer (from its
    /// [`ConnInfo`]) with the canonical host and routing path.
    pub fn view<'r, B>(&'r self, req: &'r Request<B>) -> RequestView<'r> {
        let mut view = RequestView::new(req.method().as_str(), &self.host, "")
            .with_path_bytes(&self.routing_path)
            .with_query(self.query.as_deref().unwrap_or(""))
            .with_headers(req.headers());
        if let Some(peer) = ConnInfo::of(req).map(|c| c.peer.ip()) {
            view = view.with_peer(peer);
        }
        view
    }

    /// The peer address of a request, from its [`ConnInfo`].
    pub fn peer<B>(req: &Request<B>) -> Option<IpAddr> {
        ConnInfo::of(req).map(|c| c.peer.ip())
    }
}
