//! TLS termination against real rustls clients over 127.0.0.1: certificate selection, TLS
//! options, mutual TLS, TLS-ALPN-01, swaps under load and handshake deadlines.

mod challenge;
mod deadline;
mod mtls;
mod options;
mod rig;
mod selection;
mod swap;
