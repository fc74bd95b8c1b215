//! Ready-made auth backends for [`AuthServer`](crate::auth_server::AuthServer), speaking the
//! wire protocols of Authentik's proxy outpost, Authelia and oauth2-proxy closely enough to
//! test a forwardAuth proxy against (statuses, headers, cookies, redirects).
//!
//! ```
//! use rampart_testkit::auth_backends::Authentik;
//! use rampart_testkit::auth_server::AuthServer;
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let outpost = Authentik::new();
//! let server = AuthServer::with_handler(outpost.handler()).await;
//! let address = server.url("/outpost.goauthentik.io/auth/traefik");
//! let cookie = outpost.session_for("akadmin"); // a logged-in session, `name=value`
//! assert!(cookie.starts_with(outpost.cookie_name()));
//! # });
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::auth_server::{Handler, Recorded, Reply, percent_encode};

fn token(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}{n:08x}{salt:08x}")
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(req: &'a Recorded, name: &str) -> Option<&'a str> {
    req.header_all("cookie")
        .into_iter()
        .flat_map(|c| c.split(';'))
        .map(str::trim)
        .find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then_some(v)
        })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct AkSession {
    state: String,
    redirect: String,
    user: Option<String>,
}

#[derive(Debug, Default)]
struct AkState {
    sessions: HashMap<String, AkSession>,
    codes: HashMap<String, (String, String)>,
}

/// Authentik's embedded proxy outpost in `forward_single` mode (see the outpost protocol: a
/// 302 to the authorize URL with a session `Set-Cookie` on the first visit, the callback
/// recognised by its query signature, 200 with `X-Authentik-*` once logged in).
#[derive(Debug, Clone)]
pub struct Authentik {
    cookie: String,
    auth_host: String,
    state: Arc<Mutex<AkState>>,
}

impl Default for Authentik {
    fn default() -> Self {
        Self::new()
    }
}

impl Authentik {
    /// An outpost with no session yet; its login host is `https://authentik.example.test`.
    pub fn new() -> Self {
        Authentik {
            cookie: "authentik_proxy_3d9a1c07".to_owned(),
            auth_host: "https://authentik.example.test".to_owned(),
            state: Arc::default(),
        }
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &str {
        &self.cookie
    }

    /// A logged-in session for `user`, as the `name=value` a browser would send.
    pub fn session_for(&self, user: &str) -> String {
        let sid = token("s");
        lock(&self.state).sessions.insert(
            sid.clone(),
            AkSession {
                user: Some(user.to_owned()),
                ..AkSession::default()
            },
        );
        format!("{}={sid}", self.cookie)
    }

    /// Plays the identity provider: `authorize` is the `Location` of the outpost's 302; the
    /// user logs in as `user`; returns the callback URL the browser is sent to next.
    pub fn login(&self, authorize: &str, user: &str) -> Option<String> {
        let state = Recorded::query_param(authorize, "state")?;
        let redirect_uri = Recorded::query_param(authorize, "redirect_uri")?;
        let mut st = lock(&self.state);
        let sid = st
            .sessions
            .iter()
            .find(|(_, s)| s.state == state)
            .map(|(k, _)| k.clone())?;
        let code = token("c");
        st.codes.insert(code.clone(), (sid, user.to_owned()));
        Some(format!(
            "{redirect_uri}&code={code}&state={}",
            percent_encode(&state)
        ))
    }

    /// The handler to give [`AuthServer::with_handler`](crate::auth_server::AuthServer::with_handler).
    pub fn handler(&self) -> Handler {
        let me = self.clone();
        Arc::new(move |req| me.answer(req))
    }

    fn set_cookie(&self, sid: &str, secure: bool, max_age: u32) -> String {
        format!(
            "{}={sid}; Path=/; Max-Age={max_age}; HttpOnly;{} SameSite=Lax",
            self.cookie,
            if secure { " Secure;" } else { "" }
        )
    }

    fn answer(&self, req: &Recorded) -> Reply {
        let path = req.path();
        if path == "/outpost.goauthentik.io/ping" {
            return Reply::status(204);
        }
        if path == "/outpost.goauthentik.io/sign_out" {
            if let Some(sid) = cookie(req, &self.cookie) {
                lock(&self.state).sessions.remove(sid);
            }
            return Reply::redirect(
                302,
                &format!("{}/application/o/end-session/", self.auth_host),
            )
            .header(
                "Set-Cookie",
                &format!("{}=; Path=/; Max-Age=0", self.cookie),
            );
        }
        let (proto, host, uri) = if path.starts_with("/outpost.goauthentik.io/auth/") {
            match (
                req.header("x-forwarded-proto"),
                req.header("x-forwarded-host"),
                req.header("x-forwarded-uri"),
            ) {
                (Some(p), Some(h), Some(u)) if !p.is_empty() && !h.is_empty() => (p, h, u),
                _ => return Reply::go_error(500, "configuration error"),
            }
        } else if path.starts_with("/outpost.goauthentik.io/callback") {
            // Reached directly (an outpost route on the application host).
            let host = req
                .header("x-forwarded-host")
                .or_else(|| req.header("host"))
                .unwrap_or("");
            (
                req.header("x-forwarded-proto").unwrap_or("http"),
                host,
                req.target.as_str(),
            )
        } else {
            return Reply::go_error(404, "404 page not found");
        };
        let secure = proto == "https";
        let fwd = format!("{proto}://{host}{uri}");
        let callback_path = uri.starts_with("/outpost.goauthentik.io/callback");
        if callback_path
            || Recorded::query_param(uri, "X-authentik-auth-callback").as_deref() == Some("true")
        {
            return self.callback(req, uri, secure);
        }
        let sid = cookie(req, &self.cookie);
        if let Some(user) = sid.and_then(|s| {
            lock(&self.state)
                .sessions
                .get(s)
                .and_then(|s| s.user.clone())
        }) {
            return self.identity(&user);
        }
        let sid = token("s");
        let state = token("st");
        lock(&self.state).sessions.insert(
            sid.clone(),
            AkSession {
                state: state.clone(),
                redirect: fwd,
                user: None,
            },
        );
        let callback = format!(
            "{proto}://{host}/outpost.goauthentik.io/callback?X-authentik-auth-callback=true"
        );
        let location = format!(
            "{}/application/o/authorize/?client_id=rampart-test&redirect_uri={}&response_type=code&scope=openid+email+profile+ak_proxy&state={}",
            self.auth_host,
            percent_encode(&callback),
            percent_encode(&state)
        );
        Reply::redirect(302, &location).header("Set-Cookie", &self.set_cookie(&sid, secure, 86_401))
    }

    fn callback(&self, req: &Recorded, uri: &str, secure: bool) -> Reply {
        let code = Recorded::query_param(uri, "code").unwrap_or_default();
        let mut st = lock(&self.state);
        let Some((sid, user)) = st.codes.remove(&code) else {
            return Reply::status(400);
        };
        if cookie(req, &self.cookie) != Some(sid.as_str()) {
            // Authentik: "mismatched session ID" — the 302's Set-Cookie never arrived.
            return Reply::status(400);
        }
        let Some(session) = st.sessions.get_mut(&sid) else {
            return Reply::status(400);
        };
        session.user = Some(user);
        let redirect = session.redirect.clone();
        Reply::redirect(302, &redirect).header("Set-Cookie", &self.set_cookie(&sid, secure, 86_400))
    }

    fn identity(&self, user: &str) -> Reply {
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", "x".repeat(900));
        Reply::status(200)
            .header("X-Authentik-Username", user)
            .header("X-Authentik-Groups", "authentik Admins|users")
            .header("X-Authentik-Entitlements", "")
            .header("X-Authentik-Email", &format!("{user}@example.test"))
            .header("X-Authentik-Name", "Test User")
            .header("X-Authentik-Uid", "b1946ac92492d2347c6235b4d2611184")
            .header("X-Authentik-Jwt", &jwt)
            .header(
                "X-Authentik-Meta-Jwks",
                &format!("{}/application/o/app/jwks/", self.auth_host),
            )
            .header("X-Authentik-Meta-Outpost", "authentik Embedded Outpost")
            .header("X-Authentik-Meta-Provider", "app-provider")
            .header("X-Authentik-Meta-App", "app")
            .header(
                "X-Authentik-Meta-Version",
                "goauthentik.io/outpost/2025.8.3",
            )
    }
}

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

/// A user and their groups.
type OAuthSession = (String, Vec<String>);

/// oauth2-proxy's `/oauth2/auth` (202 with `X-Auth-Request-*`, 401 without a session, 403 for
/// `?allowed_groups=` the user lacks) and its `/oauth2/start`, `/oauth2/callback`,
/// `/oauth2/sign_out` endpoints.
#[derive(Debug, Clone, Default)]
pub struct OAuth2Proxy {
    sessions: Arc<Mutex<HashMap<String, OAuthSession>>>,
}

impl OAuth2Proxy {
    /// No sessions.
    pub fn new() -> Self {
        Self::default()
    }

    /// A session for `user` in `groups`: the `_oauth2_proxy=…` cookie pair.
    pub fn session_for(&self, user: &str, groups: &[&str]) -> String {
        let t = token("o");
        lock(&self.sessions).insert(
            t.clone(),
            (
                user.to_owned(),
                groups.iter().map(|g| (*g).to_owned()).collect(),
            ),
        );
        format!("_oauth2_proxy={t}")
    }

    /// The handler.
    pub fn handler(&self) -> Handler {
        let me = self.clone();
        Arc::new(move |req| me.answer(req))
    }

    fn answer(&self, req: &Recorded) -> Reply {
        match req.path() {
            "/oauth2/auth" => {
                let Some((user, groups)) =
                    cookie(req, "_oauth2_proxy").and_then(|t| lock(&self.sessions).get(t).cloned())
                else {
                    return Reply::status(401).body("Unauthorized");
                };
                if let Some(allowed) = Recorded::query_param(&req.target, "allowed_groups")
                    && !allowed.split(',').any(|g| groups.iter().any(|u| u == g))
                {
                    return Reply::status(403).body("Forbidden");
                }
                Reply::status(202)
                    .header("X-Auth-Request-User", &user)
                    .header("X-Auth-Request-Email", &format!("{user}@example.test"))
                    .header("X-Auth-Request-Groups", &groups.join(","))
                    .header("GAP-Auth", &format!("{user}@example.test"))
            }
            "/oauth2/start" => {
                let rd = Recorded::query_param(&req.target, "rd").unwrap_or_else(|| "/".to_owned());
                Reply::redirect(
                    302,
                    &format!(
                        "https://idp.example.test/authorize?client_id=rampart&state={}",
                        percent_encode(&rd)
                    ),
                )
                .header(
                    "Set-Cookie",
                    &format!("_oauth2_proxy_csrf={}; Path=/; HttpOnly", token("x")),
                )
            }
            "/oauth2/callback" => {
                let rd =
                    Recorded::query_param(&req.target, "state").unwrap_or_else(|| "/".to_owned());
                let t = token("o");
                lock(&self.sessions).insert(t.clone(), ("callback-user".to_owned(), Vec::new()));
                Reply::redirect(302, &rd)
                    .header(
                        "Set-Cookie",
                        &format!("_oauth2_proxy={t}; Path=/; HttpOnly; Secure"),
                    )
                    .header("Set-Cookie", "_oauth2_proxy_csrf=; Path=/; Max-Age=0")
            }
            "/oauth2/sign_out" => {
                Reply::redirect(302, "/").header("Set-Cookie", "_oauth2_proxy=; Path=/; Max-Age=0")
            }
            _ => Reply::status(404),
        }
    }
}
