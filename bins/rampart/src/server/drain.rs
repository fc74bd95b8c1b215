//! Graceful stop: every connection holds a [`ConnToken`]; stopping first asks each one to
//! finish (HTTP/1: after the response in flight; HTTP/2: `GOAWAY`, open streams finish), waits
//! up to `graceTimeOut` for all of them to end, then cuts the rest (Traefik's `Shutdown`, then
//! `Close` after the grace period).

use tokio::sync::watch;

use super::Shutdown;

/// The stop signals and the live-connection count shared by listeners and connections.
#[derive(Debug)]
pub struct Drain {
    graceful: Shutdown,
    cut: Shutdown,
    live: watch::Sender<()>,
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
        }
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        self.live.receiver_count()
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
