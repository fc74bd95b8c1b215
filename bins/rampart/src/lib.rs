//! The rampart proxy: CLI, entrypoints, listeners, reload loop. [`run`] is exposed so tests can
//! start the whole proxy in-process.

pub mod acme;
pub mod check;
pub mod cli;
pub mod explain;
pub mod live;
pub mod logging;
pub mod proxy;
pub mod server;
pub mod tls;

pub use proxy::{Options, Running, StartError, run, start};
