//! Authelia's forward-auth endpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{cookie, lock, token};
use crate::auth_server::{Handler, Recorded, Reply, percent_encode};

/// Authelia's `/api/authz/forward-auth` (4.38+): 200 + `Remote-*`, 302/303 to the portal for
/// browsers, 401 for XHR and non-HTML clients, 403 for denied resources, 400 for an `http`
/// target or a missing `X-Forwarded-Method`.
#[derive(Debug, Clone, Default)]
pub struct Authelia {
    sessions: Arc<Mutex<HashMap<String, String>>>,
    users: Arc<Mutex<HashMap<String, String>>>,
    denied: Arc<Mutex<Vec<String>>>,
}

impl Authelia {
    /// No sessions, no users, nothing denied.
    pub fn new() -> Self {
        Self::default()
    }

    /// A session for `user`: the `authelia_session=…` cookie pair.
    pub fn session_for(&self, user: &str) -> String {
        let t = token("a");
        lock(&self.sessions).insert(t.clone(), user.to_owned());
        format!("authelia_session={t}")
    }

    /// A user for `Authorization: Basic`.
    pub fn user(&self, name: &str, password: &str) {
        lock(&self.users).insert(name.to_owned(), password.to_owned());
    }

    /// Paths under `prefix` are denied (403) to everyone.
    pub fn deny(&self, prefix: &str) {
        lock(&self.denied).push(prefix.to_owned());
    }

    /// The handler.
    pub fn handler(&self) -> Handler {
        let me = self.clone();
        Arc::new(move |req| me.answer(req))
    }

    fn answer(&self, req: &Recorded) -> Reply {
        if req.path() != "/api/authz/forward-auth" {
            return Reply::status(404);
        }
        let method = req.header("x-forwarded-method").unwrap_or("");
        let proto = req.header("x-forwarded-proto").unwrap_or("");
        let host = req.header("x-forwarded-host").unwrap_or("");
        let uri = req.header("x-forwarded-uri").unwrap_or("/");
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) || host.is_empty() {
            return Reply::status(400);
        }
        if proto != "https" && proto != "wss" {
            return Reply::status(400).body(format!("Target URL has an insecure scheme '{proto}'"));
        }
        let user = if let Some(basic) = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Basic "))
        {
            let ok = decode_basic(basic)
                .and_then(|(u, p)| (lock(&self.users).get(&u) == Some(&p)).then_some(u));
            match ok {
                Some(u) => Some(u),
                None => {
                    return Reply::status(401)
                        .header("WWW-Authenticate", "Basic realm=\"Authorization Required\"");
                }
            }
        } else {
            cookie(req, "authelia_session").and_then(|t| lock(&self.sessions).get(t).cloned())
        };
        let target = format!("{proto}://{host}{uri}");
        if lock(&self.denied)
            .iter()
            .any(|d| uri.starts_with(d.as_str()))
            && user.is_some()
        {
            return Reply::status(403);
        }
        if let Some(user) = user {
            return Reply::status(200)
                .header("Remote-User", &user)
                .header("Remote-Groups", "admins,dev")
                .header("Remote-Name", "Test User")
                .header("Remote-Email", &format!("{user}@example.test"));
        }
        let xhr = req
            .header("x-requested-with")
            .is_some_and(|x| x.eq_ignore_ascii_case("xmlhttprequest"));
        let html = req
            .header_all("accept")
            .iter()
            .any(|a| a.contains("text/html"));
        if xhr || !html {
            return Reply::status(401);
        }
        let location = format!(
            "https://auth.example.test/?rd={}&rm={method}",
            percent_encode(&target)
        );
        let status = if matches!(method, "GET" | "HEAD" | "OPTIONS") {
            302
        } else {
            303
        };
        Reply::redirect(status, &location)
    }
}

fn decode_basic(b64: &str) -> Option<(String, String)> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in b64.trim().bytes().filter(|&c| c != b'=') {
        let v = u32::try_from(ALPHABET.iter().position(|&a| a == c)?).ok()?;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).ok()?);
        }
    }
    let s = String::from_utf8(out).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}
