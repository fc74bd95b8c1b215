//! Sockets: listeners per entrypoint, connections, HTTP/1.1 and HTTP/2, graceful shutdown.
//!
//! Only this module owns sockets. It turns each accepted connection into requests carrying an
//! `Arc<ConnInfo>` and hands them to a [`Handler`]; everything about routing lives behind it.

mod conn;
mod listener;
mod shutdown;

pub use conn::{ConnSettings, Handler, TlsAccept};
pub use listener::{Listener, bind};
pub use shutdown::Shutdown;
