//! Authentik's embedded proxy outpost (`forward_single` mode).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{cookie, lock, token};
use crate::auth_server::{Handler, Recorded, Reply, percent_encode};

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
