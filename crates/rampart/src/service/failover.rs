//! `failover` services: the main service while it is up, else the fallback.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::StatusCode;

use super::ServiceStatus;
use crate::error::status_response;
use crate::middleware::{BoxFuture, Endpoint};
use crate::{Request, Response};

/// A `failover` service (Traefik's `failover.Failover`, health-based).
///
/// The main service's status comes from its health check; while it is down, requests go to
/// the fallback, and when the fallback is down too (known only when `health_check` is set, as
/// in Traefik) the answer is `503`.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::Endpoint;
/// use rampart::service::internal::Noop;
/// use rampart::service::{Failover, ServiceStatus};
///
/// let main_status = Arc::new(ServiceStatus::new());
/// let failover = Failover::new(Arc::new(Noop), Some(&main_status), Arc::new(Noop), None, false);
/// main_status.set(false); // the main service's health check failed: requests go to the fallback
/// assert!(failover.status().is_up());
/// ```
pub struct Failover {
    main: Arc<dyn Endpoint>,
    fallback: Arc<dyn Endpoint>,
    main_up: Arc<AtomicBool>,
    fallback_up: Arc<AtomicBool>,
    status: Arc<ServiceStatus>,
}

impl fmt::Debug for Failover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failover")
            .field("main_up", &self.main_up.load(Ordering::Acquire))
            .field("fallback_up", &self.fallback_up.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

impl Failover {
    /// `main` (with its status, if it reports one) failing over to `fallback`. With
    /// `health_check`, the fallback's status is followed too and this service reports
    /// "down" when both are.
    pub fn new(
        main: Arc<dyn Endpoint>,
        main_status: Option<&Arc<ServiceStatus>>,
        fallback: Arc<dyn Endpoint>,
        fallback_status: Option<&Arc<ServiceStatus>>,
        health_check: bool,
    ) -> Self {
        let main_up = Arc::new(AtomicBool::new(true));
        let fallback_up = Arc::new(AtomicBool::new(true));
        let status = Arc::new(ServiceStatus::new());
        let watch = |child: &Arc<ServiceStatus>, flag: &Arc<AtomicBool>| {
            flag.store(child.is_up(), Ordering::Release);
            let (flag, main_up, fallback_up, status) = (
                flag.clone(),
                main_up.clone(),
                fallback_up.clone(),
                status.clone(),
            );
            child.subscribe(move |up| {
                flag.store(up, Ordering::Release);
                status.set(main_up.load(Ordering::Acquire) || fallback_up.load(Ordering::Acquire));
            });
        };
        if let Some(s) = main_status {
            watch(s, &main_up);
        }
        if health_check && let Some(s) = fallback_status {
            watch(s, &fallback_up);
        }
        status.set(main_up.load(Ordering::Acquire) || fallback_up.load(Ordering::Acquire));
        Failover {
            main,
            fallback,
            main_up,
            fallback_up,
            status,
        }
    }

    /// This service's status.
    pub fn status(&self) -> Arc<ServiceStatus> {
        self.status.clone()
    }
}

impl Endpoint for Failover {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        if self.main_up.load(Ordering::Acquire) {
            return self.main.call(req);
        }
        if self.fallback_up.load(Ordering::Acquire) {
            return self.fallback.call(req);
        }
        Box::pin(async { status_response(StatusCode::SERVICE_UNAVAILABLE) })
    }
}
