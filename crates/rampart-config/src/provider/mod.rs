//! Providers of dynamic configuration. For now the file provider (`providers.file`); a Docker
//! provider will publish [`Snapshot`]s the same way.

mod file;
mod stamp;
mod watch;

pub use file::{FileProvider, LoadReport, PROVIDER, Snapshot};
pub use watch::FileWatcher;
