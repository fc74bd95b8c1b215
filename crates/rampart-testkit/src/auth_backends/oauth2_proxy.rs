//! oauth2-proxy's `/oauth2/*` endpoints.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{cookie, lock, token};
use crate::auth_server::{Handler, Recorded, Reply, percent_encode};

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
