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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::auth_server::Recorded;

mod authelia;
mod authentik;
mod oauth2_proxy;

pub use authelia::Authelia;
pub use authentik::Authentik;
pub use oauth2_proxy::OAuth2Proxy;

pub(crate) fn token(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}{n:08x}{salt:08x}")
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(req: &'a Recorded, name: &str) -> Option<&'a str> {
    req.header_all("cookie")
        .into_iter()
        .flat_map(|c| c.split(';'))
        .map(str::trim)
        .find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then_some(v)
        })
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
