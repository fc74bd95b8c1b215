//! The redirecting middlewares: `redirectScheme` and `redirectRegex`
//! (Traefik `pkg/middlewares/redirect`).
//!
//! Both rebuild the URL the client asked for the way Traefik does ([`target`]), compute a new
//! one, and answer with a redirect when it differs ([`location`]); otherwise the request goes on
//! unchanged.

mod location;
pub mod regex;
pub mod scheme;
mod target;

pub use self::regex::{RedirectRegex, RedirectRegexConfig};
pub use self::scheme::{RedirectScheme, RedirectSchemeConfig};
