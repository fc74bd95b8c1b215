//! `ping@internal`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::StatusCode;

use crate::middleware::{BoxFuture, Endpoint};
use crate::{Body, Request, Response};

/// `ping@internal`: `200 OK` while running, `ping.terminatingStatusCode` (503) once the shared
/// shutdown flag is set, so load balancers in front stop sending traffic during the grace time.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use rampart::middleware::Endpoint;
/// use rampart::service::internal::Ping;
/// use rampart::{Body, Request};
///
/// let stopping = Arc::new(AtomicBool::new(false));
/// let ping = Ping::new(stopping.clone());
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(ping.call(Request::new(Body::empty())).await.status(), 200);
/// stopping.store(true, Ordering::SeqCst);
/// assert_eq!(ping.call(Request::new(Body::empty())).await.status(), 503);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Ping {
    shutting_down: Arc<AtomicBool>,
    terminating: StatusCode,
}

impl Ping {
    /// A ping answering 503 once `shutting_down` is set.
    pub fn new(shutting_down: Arc<AtomicBool>) -> Self {
        Ping {
            shutting_down,
            terminating: StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Sets `terminatingStatusCode`.
    #[must_use]
    pub fn terminating_status(mut self, status: StatusCode) -> Self {
        self.terminating = status;
        self
    }
}

impl Endpoint for Ping {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        let status = if self.shutting_down.load(Ordering::Acquire) {
            self.terminating
        } else {
            StatusCode::OK
        };
        Box::pin(async move {
            let mut res = Response::new(Body::from(status.canonical_reason().unwrap_or("")));
            if status == StatusCode::OK {
                *res.body_mut() = Body::from("OK");
            }
            *res.status_mut() = status;
            res.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            res
        })
    }
}
