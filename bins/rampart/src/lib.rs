//! The rampart proxy: CLI, entrypoints, listeners, reload loop. [`run`] is exposed so tests can
//! start the whole proxy in-process.

pub mod cli;
pub mod logging;
pub mod server;
