//! rampart: Traefik 3's routing, middleware and proxying as an embeddable library.
//!
//! A request flows one way through this crate, and the module tree follows it:
//!
//! ```text
//! request/ → rule/ → table/ → middleware/ → service/ → pipeline
//! ```
//!
//! * [`access_log`] — access-log lines in Traefik's formats, written at the pipeline's end.
//! * [`body`] — the one body type every stage speaks ([`Body`]).
//! * [`context`] — what the connection tells about a request ([`ConnInfo`]).
//! * [`entrypoint`] — the stage between the socket and routing: forwarded headers, `Connection`.
//! * [`error`] — the one mapping from request-path failures to statuses ([`error::RequestError`]).
//! * [`forwarded`] — the managed `X-Forwarded-*` names and the hop-by-hop list.
//! * [`request`] — the request as routing sees it: path normalisation, canonical host, query.
//! * [`rule`] — Traefik's rule language, parsed and compiled ([`rule::Rule`]).
//! * [`table`] — routers compiled into an indexed, priority-ordered [`table::RoutingTable`].
//! * [`middleware`] — the object-safe [`Middleware`](middleware::Middleware) trait, [`Next`](middleware::Next),
//!   [`Chain`](middleware::Chain), the registry that builds middlewares from their Traefik type
//!   name, and the built-ins ([`ForwardAuth`](middleware::ForwardAuth) first).
//! * [`tower`] — mount a chain (or forwardAuth alone) in any hyper or axum application.
//! * [`service`] — where requests end: load balancers, the upstream client, internal services.
//! * [`compile`] — a configuration snapshot compiled into a [`runtime::Runtime`]: per entrypoint,
//!   the routing tables whose routers carry their chains; [`runtime`] runs requests through it.
//!
//! The configuration side lives in `rampart-config`; this crate turns a validated configuration
//! into immutable runtime objects and runs requests through them.

pub mod access_log;
pub mod body;
pub mod compile;
pub mod context;
pub mod entrypoint;
pub mod error;
pub mod forwarded;
pub mod middleware;
pub mod request;
pub mod rule;
pub mod runtime;
pub mod service;
pub mod table;
pub mod tower;

pub use body::{Body, BoxError};
pub use context::ConnInfo;

/// The request type every stage of the pipeline takes.
pub type Request = http::Request<Body>;
/// The response type every stage of the pipeline returns.
pub type Response = http::Response<Body>;
