//! rampart's test kit: programmable upstream and auth servers on 127.0.0.1, certificates made
//! with rcgen, and helpers shared by every crate's tests. Not published.

pub mod auth_backends;
pub mod auth_server;
pub mod certs;

pub use auth_server::{AuthServer, Recorded, Reply};
pub use certs::{TestCa, TestCert};
