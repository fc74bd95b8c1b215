//! The routing table: routers compiled once into an immutable, indexed table that answers
//! "which router serves this request?" without allocating.
//!
//! * [`RoutingTable::build`] compiles [`Router`]s; invalid ones are reported
//!   ([`RouterError`]: router name, rule span, reason) and left out, the others still work.
//! * [`RoutingTable::route`] returns the winning [`Route`], with the caller's payload.
//! * [`RoutingTable::explain`] lists every router, matched or not, and why the winner won.
//!
//! **Priority** (Traefik's rules): a router's priority is its configured `priority`, or when
//! that is 0 (or unset) the length of its rule in bytes as decoded from the configuration
//! file. Negative priorities are allowed. User routers may not exceed
//! [`MAX_USER_PRIORITY`] (`MaxInt64 - 1000`); routers named `…@internal` may. Higher wins.
//! Equal priorities go to the router whose provider comes first in `providers.precedence`
//! ([`DEFAULT_PROVIDER_PRECEDENCE`] by default; providers not in the list come last), and
//! then — where Traefik's unstable sort leaves the order undefined — to the router whose
//! name sorts first. `docs/routing.md` has the full story.
//!
//! One table serves one entrypoint: the caller filters routers by entrypoint (and TLS)
//! before building.

mod build;
mod explain;
mod index;
mod router;

pub(crate) use index::FxHasher;

use crate::request::RequestView;
use crate::rule::{RuleError, RuleWarning};

pub use build::Built;
pub use explain::{ExplainEntry, Explanation};
pub use router::{
    DEFAULT_PROVIDER_PRECEDENCE, MAX_USER_PRIORITY, PrioritySource, Route, Router, TableOptions,
};

/// An immutable, priority-ordered, host-indexed set of compiled routers.
///
/// ```
/// use rampart::request::RequestView;
/// use rampart::table::{Router, RoutingTable, TableOptions};
///
/// let built = RoutingTable::build(
///     [
///         Router::new("app@file", "Host(`app.example.com`)", "app"),
///         Router::new("api@file", "Host(`app.example.com`) && PathPrefix(`/api`)", "api"),
///         Router::new("broken@file", "Host(`a`, `b`)", "never"),
///     ],
///     &TableOptions::default(),
/// );
/// assert_eq!(built.errors.len(), 1);
/// assert_eq!(built.errors[0].router, "broken@file");
///
/// let table = built.table;
/// let hit = table.route(&RequestView::new("GET", "app.example.com", "/api/users")).unwrap();
/// assert_eq!((hit.name(), *hit.payload()), ("api@file", "api"));
/// assert!(table.route(&RequestView::new("GET", "other.example.com", "/")).is_none());
/// ```
#[derive(Debug)]
pub struct RoutingTable<T> {
    routes: Vec<Route<T>>,
    index: index::Index,
}

impl<T> RoutingTable<T> {
    /// Compiles routers into a table.
    pub fn build(routers: impl IntoIterator<Item = Router<T>>, options: &TableOptions) -> Built<T> {
        build::build(routers, options)
    }

    /// The router that serves `req`: the highest-priority router whose rule matches.
    pub fn route(&self, req: &RequestView<'_>) -> Option<&Route<T>> {
        let best = self.index.best(req.host(), req.path(), |rank| {
            self.routes[rank as usize].rule.matches(req)
        })?;
        self.routes.get(best as usize)
    }

    /// The routers, in priority order.
    pub fn routes(&self) -> &[Route<T>] {
        &self.routes
    }

    /// How many routers the table holds.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// How many routers have no anchor (exact host or path prefix) and are tried for every
    /// request.
    pub fn scanned_routers(&self) -> usize {
        self.index.scanned()
    }
}

/// A router left out of the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("router {router}: {kind}")]
#[non_exhaustive]
pub struct RouterError {
    /// The qualified router name.
    pub router: String,
    /// Why.
    pub kind: RouterErrorKind,
}

/// Why a router was left out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouterErrorKind {
    /// Its rule is invalid.
    #[error("invalid rule: {0}")]
    Rule(RuleError),
    /// Its priority is above what user routers may use.
    #[error("the router priority {priority} exceeds the max user-defined priority {max}")]
    PriorityTooHigh {
        /// The priority.
        priority: i64,
        /// The maximum.
        max: i64,
    },
}

/// A warning about a router's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterWarning {
    /// The qualified router name.
    pub router: String,
    /// The warning.
    pub warning: RuleWarning,
}

impl std::fmt::Display for RouterWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "router {}: {}", self.router, self.warning)
    }
}
