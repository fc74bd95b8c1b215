//! The middleware model: request in, [`Next`] to go on, response out.
//!
//! * [`Middleware`] — the object-safe trait every middleware implements (built-ins and the ones
//!   library users write).
//! * [`Endpoint`] — the end of a chain: a service (load balancer, `api@internal`, …).
//! * [`Next`] — the rest of the chain; call [`Next::run`] to go on, or return a response to stop.
//! * [`Registry`] — builds a middleware from its Traefik type name (`forwardAuth`, `headers`, …)
//!   and a typed serde config: the contract of Traefik plugins (`CreateConfig` + `New`).

pub mod builtin;
mod handler;
mod next;
mod registry;

pub use handler::{BoxFuture, Endpoint, Middleware};
pub use next::Next;
pub use registry::{BuildContext, BuildError, Registry};
