//! Configuration snapshot → [`Runtime`]: the one place that sees both the configuration model
//! (`rampart-config`) and the runtime types.
//!
//! Errors are attached to the object they belong to and never stop the rest: a router whose
//! rule, middleware or service is broken is left out (fail closed: never mounted without its
//! middlewares), the others serve. Everything found goes into a [`Report`].
//!
//! Order of a router's middlewares (as Traefik): the entrypoint's `http.middlewares`, then the
//! router's `middlewares`, then, in place, the members of any `chain` among them. Each router
//! gets its own middleware instances (two routers naming the same `rateLimit` get two buckets).

mod internal;
mod routers;
mod services;
mod tls;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rampart_config::{DynamicConfig, StaticConfig};

use crate::middleware::{Endpoint, Registry};
use crate::runtime::{Report, Runtime};

/// What compiling reads.
#[derive(Debug, Clone, Copy)]
pub struct CompileInput<'a> {
    /// The static configuration (entrypoints, defaults).
    pub static_config: &'a StaticConfig,
    /// The dynamic configuration snapshot.
    pub dynamic: &'a DynamicConfig,
    /// Middleware constructors by type name.
    pub registry: &'a Registry,
    /// Services only the host process can provide.
    pub internal: &'a InternalServices,
    /// Start the services' health-check tasks (false for `rampart check`).
    pub start_health_checks: bool,
}

/// Internal services provided by the process that runs the proxy.
#[derive(Clone, Default)]
pub struct InternalServices {
    /// Set while shutting down: `ping@internal` answers its terminating status.
    pub shutting_down: Arc<AtomicBool>,
    /// More `name@internal` endpoints (`acme-http@internal`, …), by qualified name.
    pub extra: HashMap<String, Arc<dyn Endpoint>>,
}

impl std::fmt::Debug for InternalServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalServices")
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A TLS router on one entrypoint, as the TLS and ACME setup needs to know it: its own `tls`
/// section, or else its entrypoint's `http.tls` (whole, as Traefik's entrypoint model), with
/// the options resolved (see the `tls` module: conflicts fall back to `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRouter {
    /// The router's qualified name.
    pub router: String,
    /// The entrypoint it serves TLS on (one: a router on two entrypoints is listed twice, as
    /// its TLS may differ between them).
    pub entrypoints: Vec<String>,
    /// The `Host` names its rule mentions (Traefik's `ParseDomains`), lower-case.
    pub rule_domains: Vec<String>,
    /// Its resolved TLS options name (`default`, `tls-opts@file`): what handshakes for its
    /// hosts use, and what its requests must have been handshaken with (else 421).
    pub options: String,
    /// Its certificate resolver, if any.
    pub cert_resolver: Option<String>,
    /// Its explicit `tls.domains` (main first, then SANs, per entry).
    pub domains: Vec<Vec<String>>,
}

/// The result of compiling.
#[derive(Debug)]
pub struct Compiled {
    /// The runtime to serve with.
    pub runtime: Runtime,
    /// Every problem, and every router.
    pub report: Report,
    /// The TLS routers (for TLS options per SNI and ACME domains).
    pub tls_routers: Vec<TlsRouter>,
}

/// Compiles a configuration snapshot.
pub fn compile(input: &CompileInput<'_>) -> Compiled {
    let services = services::Services::new(input);
    let mut out = routers::Routers::new(input, &services).compile();
    let services_report = services.report.into_inner();
    out.report.problems.splice(0..0, services_report.problems);
    out.runtime.health_checks = services.health_checks.into_inner();
    out
}

#[cfg(test)]
mod tests;
