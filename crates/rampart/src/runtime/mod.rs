//! The compiled, immutable runtime: what a request runs through.
//!
//! A [`Runtime`] is built whole by [`compile`](crate::compile::compile) from a configuration
//! snapshot and swapped whole on reload (arc-swap in the binary): a request loads it once and
//! finishes on it, so it never sees half of two configurations.
//!
//! Per entrypoint, an [`EntrypointRuntime`] holds the entrypoint stage (forwarded headers, path
//! options) and two routing tables: the routers for plain-HTTP connections and the routers for
//! TLS connections (Traefik's "TLS routers").

mod pipeline;
mod report;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub use pipeline::ExplainedRequest;
pub use report::{Problem, ProblemKind, Report, RouterSummary, Severity};

use crate::entrypoint::ForwardedHeaders;
use crate::middleware::Chain;
use crate::request::PathOptions;
use crate::service::HealthCheckHandle;
use crate::table::RoutingTable;

/// What a matched router runs: its compiled middleware chain ending in its service.
#[derive(Clone)]
pub struct RouteTarget {
    /// The router's qualified name (`app@file`).
    pub router: RouterName,
    /// The chain (entrypoint middlewares, router middlewares, then the service).
    pub chain: Chain,
    /// For a TLS router: the TLS options its connections must have been handshaken with.
    /// A request whose connection used other options (its SNI named another host than its
    /// `Host`, "domain fronting") gets 421 Misdirected Request, as Traefik's `snicheck`.
    pub tls_options: Option<Arc<str>>,
}

impl RouteTarget {
    /// The target of router `router` (qualified name), running `chain`, with no TLS options
    /// demanded.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rampart::middleware::Chain;
    /// use rampart::runtime::RouteTarget;
    /// use rampart::service::internal::Noop;
    ///
    /// let target = RouteTarget::new("app@file", Chain::new(Vec::new(), Arc::new(Noop)))
    ///     .with_tls_options(Some(Arc::from("tls-opts@file")));
    /// assert_eq!(target.router.as_str(), "app@file");
    /// assert_eq!(target.tls_options.as_deref(), Some("tls-opts@file"));
    /// ```
    pub fn new(router: &str, chain: Chain) -> Self {
        RouteTarget {
            router: RouterName::new(router),
            chain,
            tls_options: None,
        }
    }

    /// Demands that TLS connections used the options named `options` (see
    /// [`tls_options`](Self::tls_options)).
    #[must_use]
    pub fn with_tls_options(mut self, options: Option<Arc<str>>) -> Self {
        self.tls_options = options;
        self
    }
}

impl fmt::Debug for RouteTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteTarget")
            .field("router", &self.router.as_str())
            .field("middlewares", &self.chain.middlewares().len())
            .field("tls_options", &self.tls_options)
            .finish_non_exhaustive()
    }
}

/// The name of the router that answered a request: in the request's extensions while its
/// chain runs, and in the response's afterwards (for access logs and metrics, Traefik's
/// `RouterName` field). Cloning it does not allocate.
///
/// ```
/// use rampart::runtime::RouterName;
/// let mut res = http::Response::new(rampart::Body::empty());
/// res.extensions_mut().insert(RouterName::new("app@file"));
/// assert_eq!(RouterName::of(res.extensions()).map(RouterName::as_str), Some("app@file"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouterName(Arc<str>);

impl RouterName {
    /// A router name (qualified).
    pub fn new(name: &str) -> Self {
        RouterName(Arc::from(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The router name recorded in a request's or response's extensions.
    pub fn of(extensions: &http::Extensions) -> Option<&RouterName> {
        extensions.get::<RouterName>()
    }
}

impl fmt::Display for RouterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to do with request headers whose names contain `_` (`http.underscoreHeadersStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnderscoreHeaders {
    /// Pass them on (Traefik's default).
    #[default]
    Keep,
    /// Remove them.
    Delete,
    /// Answer 400.
    Reject,
}

/// One entrypoint's compiled routing.
#[derive(Debug)]
pub struct EntrypointRuntime {
    pub(crate) name: Arc<str>,
    pub(crate) forwarded: ForwardedHeaders,
    pub(crate) path: PathOptions,
    pub(crate) underscore: UnderscoreHeaders,
    pub(crate) plain: RoutingTable<RouteTarget>,
    pub(crate) tls: RoutingTable<RouteTarget>,
}

impl EntrypointRuntime {
    /// The entrypoint's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The routers for plain-HTTP connections, in priority order.
    pub fn plain_routes(&self) -> &RoutingTable<RouteTarget> {
        &self.plain
    }

    /// The routers for TLS connections, in priority order.
    pub fn tls_routes(&self) -> &RoutingTable<RouteTarget> {
        &self.tls
    }

    /// Whether any router of this entrypoint serves TLS connections.
    pub fn has_tls_routes(&self) -> bool {
        !self.tls.is_empty()
    }
}

/// Everything compiled from one configuration snapshot.
#[derive(Debug, Default)]
pub struct Runtime {
    pub(crate) entrypoints: HashMap<Arc<str>, Arc<EntrypointRuntime>>,
    /// Health-check tasks of this runtime's services; dropping the runtime stops them.
    pub(crate) health_checks: Vec<HealthCheckHandle>,
}

impl Runtime {
    /// The runtime of entrypoint `name`.
    pub fn entrypoint(&self, name: &str) -> Option<&Arc<EntrypointRuntime>> {
        self.entrypoints.get(name)
    }

    /// The entrypoints, in no particular order.
    pub fn entrypoints(&self) -> impl Iterator<Item = &Arc<EntrypointRuntime>> {
        self.entrypoints.values()
    }

    /// How many health-check tasks this runtime runs.
    pub fn health_checks(&self) -> usize {
        self.health_checks.len()
    }
}
