//! Traefik's `forwardAuth`, exactly, and rampart's opt-in extensions.
//!
//! Each request is first sent to an auth server; a 2xx answer lets it through with the
//! identity headers the answer carries, anything else is relayed to the client. The semantics
//! are Traefik 3's (`pkg/middlewares/auth/forward.go`); `docs/forward-auth.md` lists every
//! option, the extensions, and the few deliberate differences.
//!
//! * [`ForwardAuthConfig`] — the options (`address`, `trustForwardHeader`, …).
//! * [`ForwardAuth`] — the middleware.
//! * [`ClientUsername`] — the `headerField` user, in request and response extensions.

mod auth;
mod build;
mod cache;
mod client;
mod config;
mod cookies;
mod decision;
mod deny;
mod location;
mod name_table;
mod names;
mod request;
mod reserved;
mod success;

use std::sync::Arc;

pub use auth::{ClientUsername, ForwardAuth};
pub use config::{CacheConfig, ClientTlsConfig, ForwardAuthConfig, GoDuration, KeyScope};
pub use deny::AUTH_LOCATION;

use super::{BuildContext, Middleware, Registry};

/// Registers the `forwardAuth` type.
pub(super) fn register(registry: &mut Registry) {
    registry.register(
        "forwardAuth",
        |config: ForwardAuthConfig, ctx: &dyn BuildContext| {
            Ok(Arc::new(ForwardAuth::build(config, ctx)?) as Arc<dyn Middleware>)
        },
    );
}
