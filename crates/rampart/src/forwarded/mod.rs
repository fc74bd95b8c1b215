//! Forwarded headers: the `X-Forwarded-*` set rampart manages, and hop-by-hop headers.
//!
//! Shared by the entrypoint stage (which sanitises what clients send), the proxy (which sets
//! what upstreams get) and forwardAuth (which sets what the auth server gets).

mod names;
mod suppress;

pub(crate) use names::write_ip;
pub use names::{HOP_BY_HOP, MANAGED, ip_value, is_managed, remove_managed};
pub use suppress::SuppressForwardedFor;
