//! Services: where a request ends — load balancers over upstream servers, and internal ones.
//!
//! * [`Transport`] — a `serversTransport`: pooled HTTP/1.1 + HTTP/2 clients, TLS by rustls.
//! * [`Forwarder`] — sends one request to one server ([`Target`]): forwarded headers,
//!   hop-by-hop headers, streaming bodies and trailers, upgrades, Traefik's error statuses.
//!
//! * [`LoadBalancer`] — `loadBalancer`: smooth weighted round-robin over servers, sticky
//!   cookies, active health checks ([`HealthCheckHandle`]).
//! * [`Weighted`] — `weighted`: the same over child services.
//! * [`Failover`] — `failover`: the main service while it is up, else the fallback.
//! * [`hop`] — hop-by-hop headers at the backend hop.
//! * [`ServiceStatus`] — up/down, propagated from children to parents.
//! * [`internal`] — `whoami@internal`, `noop@internal`, `ping@internal`.
//!
//! Every service is a [`middleware::Endpoint`](crate::middleware::Endpoint).

mod body;
mod error;
mod failover;
mod forward;
mod grpc_health;
mod health;
pub mod hop;
pub mod internal;
mod load_balancer;
mod pool;
mod spec;
mod status;
mod sticky;
mod tls;
mod transport;
mod upgrade;
mod weighted;
mod wrr;

pub use error::CLIENT_CLOSED_REQUEST;
pub use failover::Failover;
pub use forward::{Forwarder, Target};
pub use health::HealthCheckHandle;
pub use load_balancer::LoadBalancer;
pub(crate) use pool::{Dial, Pool};
pub use spec::{
    CertificateSpec, HealthCheckSpec, LoadBalancerSpec, ServerSpec, StickyCookieSpec, TransportSpec,
};
pub use status::ServiceStatus;
pub use transport::Transport;
pub(crate) use transport::{Connector, pool as pool_for};
pub use weighted::{Weighted, WeightedChild};

/// Why a service or transport could not be built from its description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A server URL is unusable.
    #[error("server URL `{url}`: {reason}")]
    ServerUrl {
        /// The URL as configured.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `serversTransport` option is unusable (unreadable file, bad PEM, …).
    #[error("serversTransport `{key}`: {reason}")]
    Transport {
        /// The option, e.g. `rootCAs`.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `healthCheck` option is unusable.
    #[error("healthCheck `{key}`: {reason}")]
    HealthCheck {
        /// The option, e.g. `path`.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A service has nothing to send requests to.
    #[error("service has no servers")]
    NoServers,
}
