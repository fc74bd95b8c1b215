//! Sockets: listeners per entrypoint, connections, HTTP/1.1 and HTTP/2, timeouts, graceful stop.
//!
//! Only this module owns sockets. It turns each accepted connection into requests carrying an
//! `Arc<ConnInfo>` and hands them to a [`Handler`]; everything about routing lives behind it.
//!
//! * `listener` — binding and the accept loop;
//! * `conn` — one connection: first-byte TLS detection, the handshake;
//! * `drive` — hyper serving it, with the timeouts and keep-alive limits enforced;
//! * `state`, `io`, `bodies` — what the timeouts watch (Go's connection states and deadlines);
//! * `settings` — Traefik's `transport` and `http2` knobs;
//! * `drain`, `shutdown` — graceful stop.

mod bodies;
mod conn;
mod drain;
mod drive;
mod io;
mod listener;
mod settings;
mod shutdown;
mod state;

pub use conn::{Handler, TlsAccept};
pub use drain::{ConnToken, Drain};
pub use listener::{Listener, bind};
pub use settings::{ConnSettings, KeepAliveLimits, Timeouts};
pub use shutdown::Shutdown;
