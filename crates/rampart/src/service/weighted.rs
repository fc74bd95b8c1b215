//! `weighted` services: weighted round-robin over child services (+ sticky cookie).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::load_balancer::no_available_server;
use super::spec::StickyCookieSpec;
use super::sticky::Sticky;
use super::wrr::Wrr;
use super::{ServiceError, ServiceStatus};
use crate::middleware::{BoxFuture, Endpoint};
use crate::{Request, Response};

/// One child of a `weighted` service.
#[derive(Clone)]
pub struct WeightedChild {
    /// The child service's name (what the sticky cookie hashes).
    pub name: String,
    /// `weight` (1); zero never gets traffic.
    pub weight: u32,
    /// The child service.
    pub service: Arc<dyn Endpoint>,
    /// The child's status, when it reports one (a load balancer with a health check, …).
    pub status: Option<Arc<ServiceStatus>>,
}

impl fmt::Debug for WeightedChild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeightedChild")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .finish_non_exhaustive()
    }
}

/// A `weighted` service.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::Endpoint;
/// use rampart::service::internal::Noop;
/// use rampart::service::{Weighted, WeightedChild};
///
/// let child = |name: &str, weight| WeightedChild {
///     name: name.to_owned(),
///     weight,
///     service: Arc::new(Noop) as Arc<dyn Endpoint>,
///     status: None,
/// };
/// let canary = Weighted::new("canary@file", vec![child("v1@file", 9), child("v2@file", 1)], None, false)
///     .unwrap();
/// assert!(canary.status().is_up());
/// ```
pub struct Weighted {
    children: Vec<WeightedChild>,
    up: Arc<[AtomicBool]>,
    wrr: Wrr,
    sticky: Option<Sticky>,
    status: Arc<ServiceStatus>,
}

impl fmt::Debug for Weighted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Weighted")
            .field("children", &self.children)
            .finish_non_exhaustive()
    }
}

impl Weighted {
    /// A `weighted` service called `name`. With `health_check` (Traefik's `healthCheck: {}` on
    /// the weighted service), children that report a status are skipped while down, and this
    /// service is down when all of them are.
    pub fn new(
        name: &str,
        children: Vec<WeightedChild>,
        sticky: Option<&StickyCookieSpec>,
        health_check: bool,
    ) -> Result<Self, ServiceError> {
        if children.is_empty() {
            return Err(ServiceError::NoServers);
        }
        let up: Arc<[AtomicBool]> = children.iter().map(|_| AtomicBool::new(true)).collect();
        let status = Arc::new(ServiceStatus::new());
        if health_check {
            for (i, child) in children.iter().enumerate() {
                let Some(child_status) = &child.status else {
                    continue;
                };
                up[i].store(child_status.is_up(), Ordering::Release);
                let (up, status) = (up.clone(), status.clone());
                child_status.subscribe(move |is_up| {
                    up[i].store(is_up, Ordering::Release);
                    status.set(up.iter().any(|u| u.load(Ordering::Acquire)));
                });
            }
            status.set(up.iter().any(|u| u.load(Ordering::Acquire)));
        }
        let names: Vec<&str> = children.iter().map(|c| c.name.as_str()).collect();
        Ok(Weighted {
            wrr: Wrr::new(children.iter().map(|c| c.weight)),
            sticky: sticky.map(|s| Sticky::new(s, name, &names)),
            children,
            up,
            status,
        })
    }

    /// This service's status.
    pub fn status(&self) -> Arc<ServiceStatus> {
        self.status.clone()
    }

    async fn serve(&self, req: Request) -> Response {
        if let Some(sticky) = &self.sticky
            && let Some((i, rewrite)) = sticky.pinned(&req)
            && self.children[i].weight > 0
            && self.up[i].load(Ordering::Acquire)
        {
            let mut res = self.children[i].service.call(req).await;
            if rewrite {
                sticky.write(&mut res, i);
            }
            return res;
        }
        let Some(i) = self.wrr.next(|i| self.up[i].load(Ordering::Acquire)) else {
            return no_available_server();
        };
        let mut res = self.children[i].service.call(req).await;
        if let Some(sticky) = &self.sticky {
            sticky.write(&mut res, i);
        }
        res
    }
}

impl Endpoint for Weighted {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        Box::pin(self.serve(req))
    }
}
