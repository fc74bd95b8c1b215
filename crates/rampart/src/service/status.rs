//! Up/down status of a service, propagated to the services that contain it.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

type Hook = Arc<dyn Fn(bool) + Send + Sync>;

/// Whether a service can take requests, with hooks run when that changes.
///
/// A load balancer is up while one of its servers is; `weighted` and `failover` services
/// subscribe to their children (Traefik's `RegisterStatusUpdater`) and derive their own.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use rampart::service::ServiceStatus;
///
/// let status = ServiceStatus::new();
/// let seen = Arc::new(AtomicBool::new(true));
/// let s = seen.clone();
/// status.subscribe(move |up| s.store(up, Ordering::SeqCst));
/// status.set(false);
/// assert!(!status.is_up());
/// assert!(!seen.load(Ordering::SeqCst));
/// ```
pub struct ServiceStatus {
    up: AtomicBool,
    hooks: Mutex<Vec<Hook>>,
}

impl fmt::Debug for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceStatus")
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

impl Default for ServiceStatus {
    fn default() -> Self {
        ServiceStatus::new()
    }
}

impl ServiceStatus {
    /// A status that starts up (Traefik considers servers up until a check says otherwise).
    pub fn new() -> Self {
        ServiceStatus {
            up: AtomicBool::new(true),
            hooks: Mutex::new(Vec::new()),
        }
    }

    /// Whether the service is up.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Runs `hook` with the new value whenever the status changes.
    pub fn subscribe(&self, hook: impl Fn(bool) + Send + Sync + 'static) {
        self.hooks
            .lock()
            .expect("status hooks poisoned")
            .push(Arc::new(hook));
    }

    /// Sets the status; runs the hooks when it changed.
    pub fn set(&self, up: bool) {
        if self.up.swap(up, Ordering::AcqRel) == up {
            return;
        }
        // Clone the hooks out so a hook may subscribe or set other statuses without deadlock.
        let hooks: Vec<Hook> = self.hooks.lock().expect("status hooks poisoned").clone();
        for hook in hooks {
            hook(up);
        }
    }
}
