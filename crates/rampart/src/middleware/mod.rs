//! The middleware model: request in, [`Next`] to go on, response out.
//!
//! * [`Middleware`] — the object-safe trait every middleware implements (built-ins and the ones
//!   library users write); [`from_fn`] makes one from a closure.
//! * [`Endpoint`] — the end of a chain: a service (load balancer, `api@internal`, …).
//! * [`Next`] — the rest of the chain; call [`Next::run`] to go on, or return a response to stop.
//! * [`Chain`] — a router's middlewares and service, compiled once and shared by every request.
//! * [`Registry`] — builds a middleware from its Traefik type name (`forwardAuth`, `headers`, …)
//!   and a typed serde config: the contract of Traefik plugins (`CreateConfig` + `New`).
//! * [`Builder`] — builds the named middlewares of a configuration once each, resolving
//!   `chain` members and `@provider` names, and reports cycles.
//! * [`ForwardAuth`] — Traefik's `forwardAuth`: ask the auth backend first.
//!
//! # Order
//!
//! A request meets, outermost first: the entrypoint's `http.middlewares`, then the router's
//! `middlewares` in the order listed; a `chain` middleware runs its members where it stands.
//! This is Traefik's order (`router.go` prepends the entrypoint middlewares). So a
//! `stripPrefix` listed before `forwardAuth` changes the `X-Forwarded-Uri` the auth server sees,
//! and headers `forwardAuth` copies from the auth response are seen by every middleware after
//! it. The full request path, phase by phase:
//!
//! ```text
//!  accept ─ TLS (SNI → certificate) ─ HTTP/1.1 or HTTP/2
//!     │
//!  entrypoint: path normalisation, X-Forwarded-* (trustedIPs), Connection header
//!     │
//!  router match (rule, priority) ──────────────────────────── no match → 404
//!     │
//!  Chain: entrypoint middlewares → router middlewares (chain members inline)
//!     │      each: handle(req, next) ── answer here (redirect, 401, auth deny) ─┐
//!     │                               └─ next.run(req) ─┐                       │
//!  service (Endpoint): load balancer → upstream ◀───────┘                       │
//!     │                                                                         │
//!  response ◀── back through the same middlewares, innermost first ◀────────────┘
//!     │
//!  access log, metrics
//! ```
//!
//! `docs/middleware.md` has the long form of this chapter.

mod build;
pub mod builtin;
mod chain;
pub mod forward_auth;
mod from_fn;
mod handler;
mod next;
mod registry;
mod reserved;

pub use build::{Builder, Definition, qualify};
pub use chain::Chain;
pub use forward_auth::ForwardAuth;
pub use from_fn::{FromFn, from_fn};
pub use handler::{BoxFuture, Endpoint, Middleware};
pub use next::Next;
pub use registry::{BuildContext, BuildError, Registry};
pub use reserved::ReservedPath;
