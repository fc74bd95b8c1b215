//! What one connection is doing, as its timeouts see it (Go's `net/http` connection states,
//! which Traefik's `respondingTimeouts` are defined by).
//!
//! * **Head** — waiting for, or reading, a request head: bounded by `readTimeout` from the first
//!   byte (from the accept for a connection's first request, as Traefik sets the deadline
//!   before it peeks at the first byte).
//! * **Busy** — a request is being answered: HTTP/1 bounds writing the response by
//!   `writeTimeout` from the moment its head was read (Go's `SetWriteDeadline` after
//!   `readRequest`).
//! * **Idle** — a keep-alive connection between requests (HTTP/1), or an HTTP/2 connection with
//!   no open stream: closed after `idleTimeout` (Go's `IdleTimeout`; for HTTP/2 a `GOAWAY`).
//!
//! An idle HTTP/1 connection is also due to be **parked** after `park_after`: hyper's state and
//! buffers are dropped and the bare socket waits for the next request (`drive.rs`). Only when
//! hyper is known to hold nothing: the last write went out whole and the last read found no
//! more bytes.
//!
//! The request body has its own deadline, `readTimeout` from the head's first byte (Go's
//! `wholeReqDeadline`), carried by the body itself (see `bodies.rs`), so that a handler still
//! working after the body was read is never cut by it.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::Version;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::settings::Timeouts;

/// The phase a connection is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for or reading a request head, since the first byte (or the accept).
    Head { since: Instant },
    /// Answering `in_flight` requests; HTTP/1 must finish writing by `write_deadline`.
    Busy { write_deadline: Option<Instant> },
    /// Nothing in flight since `since`.
    Idle { since: Instant },
}

#[derive(Debug)]
struct Inner {
    phase: Phase,
    in_flight: usize,
    h2: bool,
    /// The connection should end gracefully (an HTTP/2 keep-alive limit was reached).
    close: bool,
    /// The deadline the driver's timer is set for. A change only wakes the driver when it
    /// makes the next deadline earlier than this one (or there is none): a deadline that moved
    /// later is found when the timer fires, so a keep-alive connection's requests cost the
    /// driver no wake-up at all.
    armed: Option<Instant>,
    /// Idle time after which an HTTP/1 connection is parked; `None` while parked, or for a
    /// connection that cannot be (HTTP/2, or not yet known).
    park_after: Option<Duration>,
    /// Not parked before this (hyper held bytes when it was due).
    park_retry: Option<Instant>,
}

/// `ConnState::io` bit: the last write did not go out whole (hyper still holds bytes).
const WRITE_BLOCKED: u8 = 1;
/// `ConnState::io` bit: the last read found no bytes (nothing is buffered below hyper).
const READ_DRAINED: u8 = 2;

/// What the connection driver must do next, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    /// Nothing is bounded now: wait for a change.
    Nothing,
    /// Close at once, without waiting for anything (a deadline passed mid-request).
    Cut(Instant),
    /// Ask the connection to finish gracefully (idle, or a keep-alive limit).
    Finish(Instant),
    /// Park the idle HTTP/1 connection: take its socket back from hyper.
    Park(Instant),
}

impl Due {
    /// When it is due, if ever.
    fn at(self) -> Option<Instant> {
        match self {
            Due::Nothing => None,
            Due::Cut(at) | Due::Finish(at) | Due::Park(at) => Some(at),
        }
    }
}

/// The shared state of one connection: the connection driver reads it, the I/O wrapper and
/// the request guards update it.
#[derive(Debug)]
pub(super) struct ConnState {
    inner: Mutex<Inner>,
    /// Fast path for the I/O wrapper: true while an HTTP/1 connection is idle, so that the
    /// first byte of the next request moves it to `Head`.
    idle_h1: AtomicBool,
    /// What the I/O wrapper saw last (`WRITE_BLOCKED`, `READ_DRAINED`).
    io: AtomicU8,
    /// The driver is taking the socket back from hyper: its shutdown must not close it.
    parking: AtomicBool,
    changed: Notify,
    requests: AtomicU64,
    started: Instant,
    timeouts: Timeouts,
}

impl ConnState {
    /// A connection accepted at `started`: its first request head is bounded from there.
    pub(super) fn new(started: Instant, timeouts: Timeouts) -> Arc<Self> {
        Arc::new(ConnState {
            inner: Mutex::new(Inner {
                phase: Phase::Head { since: started },
                in_flight: 0,
                h2: false,
                close: false,
                armed: None,
                park_after: None,
                park_retry: None,
            }),
            idle_h1: AtomicBool::new(false),
            io: AtomicU8::new(0),
            parking: AtomicBool::new(false),
            changed: Notify::new(),
            requests: AtomicU64::new(0),
            started,
            timeouts,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Bytes arrived: an idle HTTP/1 connection starts reading a request head.
    pub(super) fn on_read(&self) {
        self.set_io(READ_DRAINED, false);
        if !self.idle_h1.load(Ordering::Acquire) {
            return;
        }
        let mut inner = self.lock();
        if let Phase::Idle { .. } = inner.phase
            && !inner.h2
        {
            inner.phase = Phase::Head {
                since: Instant::now(),
            };
            self.idle_h1.store(false, Ordering::Release);
            let wake = self.sooner(&inner);
            drop(inner);
            self.wake(wake);
        }
    }

    /// The I/O wrapper's last write went out whole (`true`) or not.
    pub(super) fn on_write(&self, whole: bool) {
        self.set_io(WRITE_BLOCKED, !whole);
    }

    /// The I/O wrapper's last read found nothing more to read (until `on_read`).
    pub(super) fn on_read_pending(&self) {
        self.set_io(READ_DRAINED, true);
    }

    fn set_io(&self, bit: u8, on: bool) {
        // One thread drives the connection: a plain load and a store only on change.
        let io = self.io.load(Ordering::Relaxed);
        let next = if on { io | bit } else { io & !bit };
        if next != io {
            self.io.store(next, Ordering::Relaxed);
        }
    }

    /// For the driver: idle HTTP/1 may be parked after `after` (`None`: not parkable, e.g.
    /// while parked).
    pub(super) fn set_park_after(&self, after: Option<Duration>) {
        let mut inner = self.lock();
        inner.park_after = after;
        inner.park_retry = None;
    }

    /// For the driver: it is (or is no longer) taking the socket back from hyper.
    pub(super) fn set_parking(&self, on: bool) {
        self.parking.store(on, Ordering::Release);
    }

    /// Whether the driver is taking the socket back: a shutdown of the stream is not a close.
    pub(super) fn parking(&self) -> bool {
        self.parking.load(Ordering::Acquire)
    }

    /// A request head was read: the connection is busy until the returned guard is dropped
    /// (when its response has been written, or abandoned). Also returns when the request
    /// started arriving, which bounds reading its body, and how many requests this connection
    /// has served (this one included).
    pub(super) fn request(self: &Arc<Self>, version: Version) -> (RequestGuard, Instant, u64) {
        let now = Instant::now();
        let count = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let mut inner = self.lock();
        let started = match inner.phase {
            Phase::Head { since } => since,
            _ => now,
        };
        if version == Version::HTTP_2 {
            inner.h2 = true;
        }
        inner.in_flight += 1;
        // HTTP/2 streams have no connection-level write deadline: one slow stream must not
        // cut the others (Go applies `WriteTimeout` per stream; see `bodies.rs`).
        let write_deadline = if inner.h2 {
            None
        } else {
            self.timeouts.write.map(|d| now + d)
        };
        inner.phase = Phase::Busy { write_deadline };
        self.idle_h1.store(false, Ordering::Release);
        let wake = self.sooner(&inner);
        drop(inner);
        self.wake(wake);
        (RequestGuard(self.clone()), started, count)
    }

    fn request_done(&self) {
        let mut inner = self.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
        if inner.in_flight == 0 {
            inner.phase = Phase::Idle {
                since: Instant::now(),
            };
            self.idle_h1.store(!inner.h2, Ordering::Release);
        }
        let wake = self.sooner(&inner);
        drop(inner);
        self.wake(wake);
    }

    /// Asks the driver to end the connection gracefully once its streams are done (an
    /// HTTP/2 connection past `keepAliveMaxRequests`/`keepAliveMaxTime`: Go sends `GOAWAY`
    /// when a handler sets `Connection: close`).
    pub(super) fn close_gracefully(&self) {
        let mut inner = self.lock();
        inner.close = true;
        let wake = self.sooner(&inner);
        drop(inner);
        self.wake(wake);
    }

    /// Whether the next deadline is now earlier than the one the driver's timer is set for.
    fn sooner(&self, inner: &Inner) -> bool {
        self.due_of(inner)
            .at()
            .is_some_and(|at| inner.armed.is_none_or(|armed| at < armed))
    }

    fn wake(&self, wake: bool) {
        if wake {
            self.changed.notify_one();
        }
    }

    /// For the driver: the deadline to set its timer for. The next deadline when it is
    /// earlier than the one already set (or none is set), else the one already set (a timer
    /// that fires early only makes the driver look again). `finishing`: the connection is
    /// already finishing, so a `Finish` deadline is no longer wanted.
    pub(super) fn arm(&self, finishing: bool) -> Option<Instant> {
        let mut inner = self.lock();
        let next = match self.due_of(&inner) {
            Due::Finish(_) if finishing => None,
            due => due.at(),
        };
        if let Some(at) = next
            && inner.armed.is_none_or(|armed| at < armed)
        {
            inner.armed = Some(at);
        }
        inner.armed
    }

    /// For the driver: its timer fired (it is now unset); what is due.
    pub(super) fn fired(&self) -> Due {
        let mut inner = self.lock();
        inner.armed = None;
        let due = self.due_of(&inner);
        if let (Due::Park(at), Some(after)) = (due, inner.park_after) {
            let now = Instant::now();
            // Parked only when hyper holds nothing: the last write went out whole and the
            // last read found no more bytes. Else look again later.
            if at <= now && self.io.load(Ordering::Relaxed) != READ_DRAINED {
                inner.park_retry = Some(now + after);
                return self.due_of(&inner);
            }
        }
        due
    }

    /// When the connection has lived longer than `limit`.
    pub(super) fn older_than(&self, limit: Duration) -> bool {
        self.started.elapsed() > limit
    }

    /// Completes when a change made the next deadline earlier than the armed one.
    pub(super) async fn changed(&self) {
        self.changed.notified().await;
    }

    /// What is due next.
    #[cfg(test)]
    pub(super) fn due(&self) -> Due {
        self.due_of(&self.lock())
    }

    fn due_of(&self, inner: &Inner) -> Due {
        if inner.close {
            return Due::Finish(Instant::now());
        }
        let t = &self.timeouts;
        match inner.phase {
            // An HTTP/2 connection reads frames all the time; its requests' bodies carry
            // their own deadlines.
            Phase::Head { .. } if inner.h2 => Due::Nothing,
            Phase::Head { since } => t.read.map_or(Due::Nothing, |d| Due::Cut(since + d)),
            Phase::Busy { write_deadline } => write_deadline.map_or(Due::Nothing, Due::Cut),
            Phase::Idle { since } => {
                let finish = t.idle().map(|d| since + d);
                let park = inner
                    .park_after
                    .filter(|_| !inner.h2)
                    .map(|d| inner.park_retry.map_or(since + d, |at| at.max(since + d)));
                match (park, finish) {
                    (Some(p), Some(f)) if p < f => Due::Park(p),
                    (Some(p), None) => Due::Park(p),
                    (_, Some(f)) => Due::Finish(f),
                    (None, None) => Due::Nothing,
                }
            }
        }
    }
}

/// Held while a request is being answered; dropping it marks the request done.
#[derive(Debug)]
pub(super) struct RequestGuard(Arc<ConnState>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.request_done();
    }
}

#[cfg(test)]
mod tests;
