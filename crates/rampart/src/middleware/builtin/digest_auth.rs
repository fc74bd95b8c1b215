//! `digestAuth`: HTTP Digest authentication (RFC 2617 with `qop=auth`, MD5), as Traefik's
//! `go-http-auth` fork does it.
//!
//! * Users are `name:realm:HA1` (htdigest form); the middleware's `realm` (default `traefik`)
//!   selects which entries count.
//! * A challenge is `Digest realm="…", nonce="…", opaque="…", algorithm="MD5", qop="auth"`, with a
//!   fresh random nonce; the server remembers the last nonces it gave out (about 1 000, the oldest
//!   purged first) and the highest nonce count seen for each: a reused count is a replay (401), a
//!   lower one is out of order (401 with `stale="true"`, so that the browser retries without
//!   asking the user again).
//! * The `uri` parameter must be the request target exactly. Traefik also accepts a path prefix
//!   of it ("for some reason lost in history"); that would let a response computed for `/` answer
//!   for any path, so rampart does not.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderName, HeaderValue};
use md5::{Digest as _, Md5};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::auth_users;
use super::basic_auth::{header_field, pass_user, realm, unauthorized};
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Request, Response};

/// go-http-auth's `DefaultClientCacheSize` and `DefaultClientCacheTolerance`.
const NONCE_CACHE: usize = 1000;
const NONCE_TOLERANCE: usize = 100;

/// `digestAuth` options: `users` (`name:realm:hash`), `usersFile`, `realm`, `removeHeader`,
/// `headerField`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DigestAuthConfig {
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

/// The `digestAuth` middleware.
///
/// ```
/// use rampart::middleware::builtin::digest_auth::{DigestAuth, DigestAuthConfig};
/// // `htdigest -c users traefik test` with password `test`
/// let cfg: DigestAuthConfig = rampart_config::from_value(&serde_json::from_str(
///     r#"{"users": ["test:traefik:a2688e031edb4be6a3797f3882655c05"]}"#,
/// ).unwrap()).unwrap();
/// let auth = DigestAuth::new(&cfg).unwrap();
/// assert_eq!(auth.realm(), "traefik");
/// ```
#[derive(Debug)]
pub struct DigestAuth {
    /// HA1 (lower-case hex) by user, for this realm only.
    users: HashMap<String, String>,
    realm: String,
    opaque: String,
    header_field: Option<HeaderName>,
    remove_header: bool,
    nonces: Mutex<HashMap<String, Client>>,
}

#[derive(Debug, Clone, Copy)]
struct Client {
    nc: u64,
    last_seen: Instant,
}

enum Outcome {
    Ok(String),
    Denied,
    Stale,
}

impl DigestAuth {
    /// Builds the middleware: reads `usersFile`, checks every entry.
    pub fn new(cfg: &DigestAuthConfig) -> Result<Self, BuildError> {
        let realm = realm(&cfg.realm)?;
        let mut pairs = Vec::new();
        for (source, entry) in auth_users::load(&cfg.users_file, &cfg.users)? {
            let parts = auth_users::split(&entry, 3, &source, "name:realm:encoded-password")?;
            let ha1 = parts[2].to_ascii_lowercase();
            if ha1.len() != 32 || !ha1.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BuildError::invalid(
                    &source,
                    format_args!(
                        "user `{}`: the password must be an htdigest MD5 hash (32 hex digits)",
                        parts[0]
                    ),
                ));
            }
            if parts[1] == realm {
                pairs.push((parts[0].to_owned(), ha1));
            }
        }
        Ok(DigestAuth {
            users: auth_users::merge(pairs),
            opaque: random_key(),
            realm,
            header_field: header_field(&cfg.header_field)?,
            remove_header: cfg.remove_header,
            nonces: Mutex::new(HashMap::new()),
        })
    }

    /// The realm sent in challenges.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    fn challenge(&self, stale: bool) -> Response {
        let nonce = random_key();
        {
            let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
            if nonces.len() > NONCE_CACHE + NONCE_TOLERANCE {
                purge_oldest(&mut nonces, NONCE_TOLERANCE * 2);
            }
            nonces.insert(
                nonce.clone(),
                Client {
                    nc: 0,
                    last_seen: Instant::now(),
                },
            );
        }
        let stale = if stale { r#"stale="true", "# } else { "" };
        let value = format!(
            r#"Digest realm="{}", nonce="{nonce}", opaque="{}", {stale}algorithm="MD5", qop="auth""#,
            self.realm, self.opaque
        );
        unauthorized(
            HeaderValue::try_from(value).unwrap_or_else(|_| HeaderValue::from_static("Digest")),
        )
    }

    fn check(&self, req: &Request) -> Outcome {
        let Some(params) = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_digest)
        else {
            return Outcome::Denied;
        };
        let get = |k: &str| params.get(k).map_or("", String::as_str);
        // Clients that omit `algorithm` mean MD5 (RFC 2617 §3.2.1).
        let algorithm = params.get("algorithm").map_or("MD5", String::as_str);
        if get("opaque") != self.opaque || algorithm != "MD5" || get("qop") != "auth" {
            return Outcome::Denied;
        }
        let target = req
            .uri()
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        if get("uri") != target {
            return Outcome::Denied;
        }
        let user = get("username");
        // An unknown user still costs the same hashing; its response can never match.
        let ha1 = self.users.get(user).map_or("", String::as_str);
        let ha2 = hex_md5(&format!("{}:{}", req.method(), get("uri")));
        let expected = hex_md5(
            &[
                ha1,
                get("nonce"),
                get("nc"),
                get("cnonce"),
                get("qop"),
                &ha2,
            ]
            .join(":"),
        );
        let matches: bool = expected.as_bytes().ct_eq(get("response").as_bytes()).into();
        if !matches || ha1.is_empty() {
            return Outcome::Denied;
        }
        let Ok(nc) = u64::from_str_radix(get("nc"), 16) else {
            return Outcome::Denied;
        };
        let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(client) = nonces.get_mut(get("nonce")) else {
            return Outcome::Denied;
        };
        if client.nc != 0 {
            if nc == client.nc {
                return Outcome::Denied; // a replay
            }
            if nc < client.nc {
                return Outcome::Stale; // pipelined requests arriving out of order
            }
        }
        client.nc = nc;
        client.last_seen = Instant::now();
        Outcome::Ok(user.to_owned())
    }
}

impl Middleware for DigestAuth {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        match self.check(&req) {
            Outcome::Ok(user) => {
                pass_user(
                    &mut req,
                    &user,
                    self.header_field.as_ref(),
                    self.remove_header,
                );
                next.run(req)
            }
            Outcome::Denied => {
                let res = self.challenge(false);
                Box::pin(async move { res })
            }
            Outcome::Stale => {
                let res = self.challenge(true);
                Box::pin(async move { res })
            }
        }
    }
}

fn purge_oldest(nonces: &mut HashMap<String, Client>, count: usize) {
    let mut by_age: Vec<(Instant, String)> = nonces
        .iter()
        .map(|(n, c)| (c.last_seen, n.clone()))
        .collect();
    by_age.sort_unstable();
    for (_, nonce) in by_age.into_iter().take(count) {
        nonces.remove(&nonce);
    }
}

/// go-http-auth's `RandomKey`: 12 random bytes, base64.
fn random_key() -> String {
    STANDARD.encode(rand::random::<[u8; 12]>())
}

pub(crate) fn hex_md5(data: &str) -> String {
    Md5::digest(data.as_bytes())
        .iter()
        .fold(String::with_capacity(32), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Parses `Digest k=v, k="v", …` (the scheme case-insensitively, RFC 7235 §2.1).
fn parse_digest(value: &str) -> Option<HashMap<String, String>> {
    let (scheme, rest) = value.trim_start().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut out = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_owned();
        if key.is_empty() {
            break;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut escaped = false;
            for c in chars.by_ref() {
                match (escaped, c) {
                    (true, _) => {
                        val.push(c);
                        escaped = false;
                    }
                    (false, '\\') => escaped = true,
                    (false, '"') => break,
                    (false, _) => val.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                val.push(c);
                chars.next();
            }
            val.truncate(val.trim_end().len());
            val.drain(..val.len() - val.trim_start().len());
        }
        out.insert(key, val);
    }
    Some(out)
}

#[cfg(test)]
mod tests;
