//! A shutdown signal shared by listeners and connections.

use std::sync::Arc;

use tokio::sync::watch;

/// A cloneable shutdown signal: [`Shutdown::trigger`] once, every clone sees it.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
    rx: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A signal that has not fired.
    pub fn new() -> Self {
        let (tx, rx) = watch::channel(false);
        Shutdown {
            tx: Arc::new(tx),
            rx,
        }
    }

    /// Fires the signal (idempotent).
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Whether the signal fired.
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Completes when the signal fires.
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        // An error means every sender is gone: treat it as fired.
        let _ = rx.wait_for(|fired| *fired).await;
    }
}
