//! Graceful stop: every connection holds a [`ConnToken`]; stopping first asks each one to
//! finish (HTTP/1: after the response in flight; HTTP/2: `GOAWAY`, open streams finish), waits
//! up to `graceTimeOut` for all of them to end, then cuts the rest (Traefik's `Shutdown`, then
//! `Close` after the grace period).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

use super::Shutdown;

/// The stop signals and the live-connection count shared by listeners and connections.
#[derive(Debug)]
pub struct Drain {
    graceful: Shutdown,
    cut: Shutdown,
    live: watch::Sender<()>,
    parked: Arc<AtomicUsize>,
}

impl Default for Drain {
    fn default() -> Self {
        Self::new()
    }
}

impl Drain {
    /// Nothing stopping, no connection.
    pub fn new() -> Self {
        Drain {
            graceful: Shutdown::new(),
            cut: Shutdown::new(),
            live: watch::Sender::new(()),
            parked: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The graceful signal: listeners stop accepting, connections finish what they do.
    pub fn graceful(&self) -> &Shutdown {
        &self.graceful
    }

    /// A token for a new connection, held until it ends.
    pub fn token(&self) -> ConnToken {
        ConnToken {
            _live: self.live.subscribe(),
            graceful: self.graceful.clone(),
            cut: self.cut.clone(),
            parked: self.parked.clone(),
        }
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        self.live.receiver_count()
    }

    /// How many of them are parked: idle HTTP/1.1 keep-alive connections waiting on their
    /// bare socket, without hyper's state (`drive.rs`).
    pub fn parked(&self) -> usize {
        self.parked.load(Ordering::Relaxed)
    }

    /// Asks every connection to finish.
    pub fn start(&self) {
        self.graceful.trigger();
    }

    /// Completes when every connection has ended.
    pub async fn drained(&self) {
        self.live.closed().await;
    }

    /// Closes every connection still open, at once.
    pub fn cut(&self) {
        self.cut.trigger();
    }
}

/// What a connection holds: it counts as live while the token exists, and it listens to the
/// stop signals through it.
#[derive(Debug)]
pub struct ConnToken {
    _live: watch::Receiver<()>,
    pub(super) graceful: Shutdown,
    pub(super) cut: Shutdown,
    parked: Arc<AtomicUsize>,
}

impl ConnToken {
    /// Counts the connection as parked until the guard is dropped.
    pub(super) fn parked(&self) -> ParkedGuard<'_> {
        self.parked.fetch_add(1, Ordering::Relaxed);
        ParkedGuard(&self.parked)
    }
}

/// A connection counted as parked.
pub(super) struct ParkedGuard<'a>(&'a AtomicUsize);

impl Drop for ParkedGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn drained_waits_for_every_token() {
        let drain = Drain::new();
        let a = drain.token();
        let b = drain.token();
        assert_eq!(drain.connections(), 2);
        drain.start();
        assert!(a.graceful.is_triggered());
        drop(a);
        let pending = tokio::time::timeout(Duration::from_millis(50), drain.drained()).await;
        assert!(pending.is_err(), "one connection is still open");
        drop(b);
        tokio::time::timeout(Duration::from_secs(5), drain.drained())
            .await
            .expect("drained once every token is gone");
    }
}
