//! TLS for rampart: certificates in, rustls server configurations out.
//!
//! Termination (certificate store, SNI resolver, TLS options) and ACME (instant-acme, DNS-01
//! providers, Traefik's `acme.json`) live here; sockets stay in the binary.

pub mod acme;
