//! `basicAuth`: HTTP Basic authentication (RFC 7617) against htpasswd entries.
//!
//! As Traefik: a missing or wrong `Authorization` gets `401` with
//! `WWW-Authenticate: Basic realm="<realm>"` (default realm `traefik`) and the body
//! `401 Unauthorized\n`; on success the user name goes to the upstream in `headerField` (a value
//! the client sent under that name is replaced), and `removeHeader` strips `Authorization`.
//!
//! Timing: an unknown user still costs one hash check (against the first configured user's hash),
//! and hashes compare in constant time, so response times do not tell which users exist. bcrypt
//! checks run on the blocking pool, never on an async worker.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;

use super::auth_users;
use super::password_hash::PasswordHash;
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Body, Request, Response};

/// `basicAuth` options: `users` (`name:hash`), `usersFile`, `realm`, `removeHeader`,
/// `headerField`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicAuthConfig {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    users_file: String,
    #[serde(default)]
    realm: String,
    #[serde(default)]
    remove_header: bool,
    #[serde(default)]
    header_field: String,
}

/// The `basicAuth` middleware.
///
/// ```
/// use rampart::middleware::builtin::basic_auth::{BasicAuth, BasicAuthConfig};
/// // `htpasswd -nb test test`
/// let cfg: BasicAuthConfig = rampart_config::from_value(&serde_json::from_str(
///     r#"{"users": ["test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"], "headerField": "X-WebAuth-User"}"#,
/// ).unwrap()).unwrap();
/// let auth = BasicAuth::new(&cfg).unwrap();
/// assert_eq!(auth.realm(), "traefik");
/// ```
#[derive(Debug)]
pub struct BasicAuth {
    users: Arc<HashMap<String, PasswordHash>>,
    /// Checked when the user is unknown, so that it costs as much as a known one.
    decoy: PasswordHash,
    challenge: HeaderValue,
    realm: String,
    header_field: Option<HeaderName>,
    remove_header: bool,
}

impl BasicAuth {
    /// Builds the middleware: reads `usersFile`, parses every hash.
    pub fn new(cfg: &BasicAuthConfig) -> Result<Self, BuildError> {
        let mut pairs = Vec::new();
        for (source, entry) in auth_users::load(&cfg.users_file, &cfg.users)? {
            let parts = auth_users::split(&entry, 2, &source, "name:hashed-password")?;
            let hash = PasswordHash::parse(parts[1]).map_err(|e| {
                BuildError::invalid(&source, format_args!("user `{}`: {e}", parts[0]))
            })?;
            pairs.push((parts[0].to_owned(), hash));
        }
        let decoy = pairs[0].1.clone();
        let realm = realm(&cfg.realm)?;
        Ok(BasicAuth {
            users: Arc::new(auth_users::merge(pairs)),
            decoy,
            challenge: HeaderValue::try_from(format!("Basic realm=\"{realm}\""))
                .map_err(|_| BuildError::invalid("realm", "is not a valid header value"))?,
            realm,
            header_field: header_field(&cfg.header_field)?,
            remove_header: cfg.remove_header,
        })
    }

    /// The realm sent in challenges.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    async fn check(&self, user: &str, password: &[u8]) -> bool {
        let (hash, known) = match self.users.get(user) {
            Some(h) => (h.clone(), true),
            None => (self.decoy.clone(), false),
        };
        let ok = if hash.is_slow() {
            let password = password.to_vec();
            tokio::task::spawn_blocking(move || hash.verify(&password))
                .await
                .unwrap_or(false)
        } else {
            hash.verify(password)
        };
        ok && known
    }
}

/// The realm, checked: it is written inside a quoted string.
pub(crate) fn realm(configured: &str) -> Result<String, BuildError> {
    let realm = if configured.is_empty() {
        "traefik"
    } else {
        configured
    };
    if realm
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return Err(BuildError::invalid(
            "realm",
            "must not contain quotes, backslashes or control characters",
        ));
    }
    Ok(realm.to_owned())
}

pub(crate) fn header_field(name: &str) -> Result<Option<HeaderName>, BuildError> {
    if name.is_empty() {
        return Ok(None);
    }
    HeaderName::try_from(name).map(Some).map_err(|_| {
        BuildError::invalid("headerField", format_args!("`{name}` is not a header name"))
    })
}

/// Go's `Request.BasicAuth`: `Basic` (any case), base64, split at the first `:`.
fn credentials(req: &Request) -> Option<(String, Vec<u8>)> {
    let value = req.headers().get(http::header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = (value.get(..6)?, &value[6..]);
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = STANDARD.decode(rest).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(decoded[..colon].to_vec()).ok()?;
    Some((user, decoded[colon + 1..].to_vec()))
}

/// go-http-auth's `RequireAuth` answer.
pub(crate) fn unauthorized(challenge: HeaderValue) -> Response {
    let mut res = Response::new(Body::from("401 Unauthorized\n"));
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain"),
    );
    res.headers_mut()
        .insert(http::header::WWW_AUTHENTICATE, challenge);
    res
}

/// What happens to an authenticated request, shared with `digestAuth`.
pub(crate) fn pass_user(
    req: &mut Request,
    user: &str,
    header_field: Option<&HeaderName>,
    remove_header: bool,
) {
    if let Some(name) = header_field {
        // Whatever the client sent under this name is replaced: it must not pose as the user.
        req.headers_mut().remove(name);
        if let Ok(v) = HeaderValue::try_from(user) {
            req.headers_mut().insert(name.clone(), v);
        }
    }
    if remove_header {
        req.headers_mut().remove(http::header::AUTHORIZATION);
    }
}

impl Middleware for BasicAuth {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        Box::pin(async move {
            let user = match credentials(&req) {
                Some((user, password)) if self.check(&user, &password).await => user,
                _ => {
                    tracing::debug!("basicAuth: authentication failed");
                    return unauthorized(self.challenge.clone());
                }
            };
            pass_user(
                &mut req,
                &user,
                self.header_field.as_ref(),
                self.remove_header,
            );
            next.run(req).await
        })
    }
}

#[cfg(test)]
mod tests;
