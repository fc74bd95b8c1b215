//! `loadBalancer` services: weighted round-robin over servers, sticky cookies, health.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::{StatusCode, Uri};

use super::health::{self, Checked, HealthCheck, HealthCheckHandle};
use super::spec::LoadBalancerSpec;
use super::sticky::Sticky;
use super::wrr::Wrr;
use super::{Forwarder, ServiceError, ServiceStatus, Target, Transport};
use crate::error::status_response;
use crate::middleware::{BoxFuture, Endpoint};
use crate::{Body, Request, Response};

struct Server {
    forwarder: Forwarder,
    uri: Uri,
    up: AtomicBool,
    /// Zero: never picked, not even by a sticky cookie (Traefik does not add such servers).
    weight: u32,
}

struct Shared {
    name: Arc<str>,
    servers: Vec<Server>,
    status: Arc<ServiceStatus>,
}

impl Shared {
    fn any_up(&self) -> bool {
        self.servers.iter().any(|s| s.up.load(Ordering::Acquire))
    }
}

impl Checked for Shared {
    fn server_uri(&self, index: usize) -> &Uri {
        &self.servers[index].uri
    }
    fn len(&self) -> usize {
        self.servers.len()
    }
    fn set_up(&self, index: usize, up: bool) {
        let was = self.servers[index].up.swap(up, Ordering::AcqRel);
        if was != up {
            tracing::info!(
                service = %self.name,
                server = self.servers[index].forwarder.target().url(),
                up,
                "server status changed"
            );
        }
        self.status.set(self.any_up());
    }
    fn is_up(&self, index: usize) -> bool {
        self.servers[index].up.load(Ordering::Acquire)
    }
    fn service_name(&self) -> &str {
        &self.name
    }
}

/// A `loadBalancer` service: an [`Endpoint`] spreading requests over its servers.
///
/// ```
/// use std::sync::Arc;
/// use rampart::service::{LoadBalancer, LoadBalancerSpec, ServerSpec, Transport, TransportSpec};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let transport = Arc::new(Transport::new(&TransportSpec::default()).unwrap());
/// let spec = LoadBalancerSpec::new(vec![ServerSpec::new("http://127.0.0.1:8080")], transport);
/// let lb = LoadBalancer::new("app@file", spec).unwrap();
/// assert_eq!(lb.server_statuses(), vec![("http://127.0.0.1:8080".to_owned(), true)]);
/// # });
/// ```
pub struct LoadBalancer {
    shared: Arc<Shared>,
    wrr: Wrr,
    sticky: Option<Sticky>,
    health: Option<HealthCheck>,
    transport: Arc<Transport>,
}

impl fmt::Debug for LoadBalancer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadBalancer")
            .field("name", &self.shared.name)
            .field("servers", &self.server_statuses())
            .field("sticky", &self.sticky.as_ref().map(Sticky::name))
            .finish_non_exhaustive()
    }
}

impl LoadBalancer {
    /// Builds the service called `name` (used for the sticky cookie name and logs).
    pub fn new(name: &str, spec: LoadBalancerSpec) -> Result<Self, ServiceError> {
        if spec.servers.is_empty() {
            return Err(ServiceError::NoServers);
        }
        let mut servers = Vec::with_capacity(spec.servers.len());
        for s in &spec.servers {
            let target = Target::parse(&s.url, s.preserve_path)?;
            let uri: Uri = s.url.parse().map_err(|e| ServiceError::ServerUrl {
                url: s.url.clone(),
                reason: format!("{e}"),
            })?;
            servers.push(Server {
                forwarder: Forwarder::new(target, spec.pass_host_header, spec.transport.clone()),
                uri,
                up: AtomicBool::new(true),
                weight: s.weight,
            });
        }
        let names: Vec<&str> = spec.servers.iter().map(|s| s.url.as_str()).collect();
        let sticky = spec.sticky.as_ref().map(|c| Sticky::new(c, name, &names));
        let health = spec
            .health_check
            .as_ref()
            .map(HealthCheck::new)
            .transpose()?;
        Ok(LoadBalancer {
            wrr: Wrr::new(spec.servers.iter().map(|s| s.weight)),
            shared: Arc::new(Shared {
                name: Arc::from(name),
                servers,
                status: Arc::new(ServiceStatus::new()),
            }),
            sticky,
            health,
            transport: spec.transport,
        })
    }

    /// Starts the active health checks, if the service has a `healthCheck`.
    ///
    /// Must be called inside a Tokio runtime; the checks run until the handle is dropped.
    pub fn start_health_check(&self) -> Option<HealthCheckHandle> {
        let check = self.health.clone()?;
        Some(health::launch(check, &self.transport, &self.shared))
    }

    /// Whether the service has a `healthCheck` (then its status is meaningful to parents).
    pub fn has_health_check(&self) -> bool {
        self.health.is_some()
    }

    /// The service's status: up while one of its servers is.
    pub fn status(&self) -> Arc<ServiceStatus> {
        self.shared.status.clone()
    }

    /// Marks the server with URL `url` up or down (health checks do this; so may an API).
    pub fn set_server_status(&self, url: &str, up: bool) {
        if let Some(i) = self
            .shared
            .servers
            .iter()
            .position(|s| s.forwarder.target().url() == url)
        {
            self.shared.set_up(i, up);
        }
    }

    /// Every server URL with whether it is up (for the API and logs).
    pub fn server_statuses(&self) -> Vec<(String, bool)> {
        self.shared
            .servers
            .iter()
            .map(|s| {
                (
                    s.forwarder.target().url().to_owned(),
                    s.up.load(Ordering::Acquire),
                )
            })
            .collect()
    }

    async fn serve(&self, req: Request) -> Response {
        let servers = &self.shared.servers;
        let pinned = self.sticky.as_ref().and_then(|sticky| {
            sticky
                .pinned(&req)
                .filter(|&(i, _)| servers[i].weight > 0 && servers[i].up.load(Ordering::Acquire))
        });
        // One call site for the forwarding future, so this future holds one copy of it.
        let (i, write_cookie) = match pinned {
            Some((i, rewrite)) => (i, rewrite),
            None => match self.wrr.next(|i| servers[i].up.load(Ordering::Acquire)) {
                Some(i) => (i, self.sticky.is_some()),
                None => return no_available_server(),
            },
        };
        let mut res = servers[i].forwarder.forward(req).await;
        if write_cookie && let Some(sticky) = &self.sticky {
            sticky.write(&mut res, i);
        }
        res
    }
}

impl Endpoint for LoadBalancer {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        Box::pin(self.serve(req))
    }
}

/// Traefik's answer when every server is down: `503` with body `no available server`.
pub(super) fn no_available_server() -> Response {
    let mut res = status_response(StatusCode::SERVICE_UNAVAILABLE);
    *res.body_mut() = Body::from("no available server\n");
    res
}
