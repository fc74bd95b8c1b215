//! rampart's test kit: programmable upstream and auth servers on 127.0.0.1, certificates made
//! with rcgen, and helpers shared by every crate's tests. Not published.

pub mod certs;

pub use certs::{TestCa, TestCert};
