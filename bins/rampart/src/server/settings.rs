//! Connection-level settings of an entrypoint: the hyper builder, Traefik's
//! `transport.respondingTimeouts`, `transport.keepAliveMax*`, `http.maxHeaderBytes` and
//! `http2.maxConcurrentStreams`.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;

/// Traefik's `transport.respondingTimeouts` (`None` = no limit, Traefik's `0`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// `readTimeout`: reading a whole request, head and body, from its first byte.
    pub read: Option<Duration>,
    /// `writeTimeout`: writing a response, from the moment its request head was read.
    pub write: Option<Duration>,
    /// `idleTimeout`: a keep-alive connection waiting for its next request.
    pub idle: Option<Duration>,
}

impl Timeouts {
    /// The idle limit in force: Go's `IdleTimeout`, or `ReadTimeout` when that is zero.
    pub fn idle(&self) -> Option<Duration> {
        self.idle.or(self.read)
    }
}

/// Traefik's `transport.keepAliveMaxRequests` / `keepAliveMaxTime`: past either, the response
/// carries `Connection: close` (HTTP/1) or the connection gets a `GOAWAY` (HTTP/2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepAliveLimits {
    /// Requests per connection (0: unlimited).
    pub max_requests: u64,
    /// Age of a connection (`None`: unlimited).
    pub max_time: Option<Duration>,
}

impl KeepAliveLimits {
    /// Whether any limit is set.
    pub fn is_set(&self) -> bool {
        self.max_requests > 0 || self.max_time.is_some()
    }
}

/// Connection-level settings of an entrypoint.
#[derive(Debug)]
pub struct ConnSettings {
    /// The hyper builder (HTTP/1.1 + HTTP/2, reading the HTTP/2 preface to choose),
    /// configured once: for a client that has sent only part of the preface so far.
    pub(super) builder: auto::Builder<TokioExecutor>,
    /// HTTP/1.1 alone, when ALPN or the first bytes already told: hyper's own builder, whose
    /// connection gives its socket back, so that an idle keep-alive connection can be parked
    /// without hyper's buffers (`drive.rs`).
    pub(super) http1: http1::Builder,
    /// The same, HTTP/2 only.
    pub(super) http2: auto::Builder<TokioExecutor>,
    /// Bound on the TLS handshake (slow or stalled clients).
    pub handshake_timeout: Duration,
    /// The responding timeouts.
    pub timeouts: Timeouts,
    /// The keep-alive limits.
    pub keep_alive: KeepAliveLimits,
    /// How long an HTTP/1.1 keep-alive connection stays idle before hyper's state and buffers
    /// are dropped and it waits on its bare socket (`None`: never). Not a Traefik knob.
    pub park_after: Option<Duration>,
}

/// Idle time after which an HTTP/1.1 keep-alive connection is parked: long enough that a
/// busy connection (and a page's burst of requests) does not pay for rebuilding hyper's
/// state, short enough that the thousands of connections browsers keep open between clicks
/// cost a socket each, not ~20 KiB. Shorter also keeps fewer connections holding buffers at
/// once while many arrive: 250 ms instead of one second held 10,000 new idle connections in
/// 72–73 instead of 75–86 MiB, and in 81–84 instead of 94–101 MiB after the harness's load
/// (BENCHMARKS.md, "Idle connections"). nginx frees them after every request.
pub(super) const PARK_AFTER: Duration = Duration::from_millis(250);

impl ConnSettings {
    /// Settings from Traefik's knobs. `max_header_bytes` bounds the HTTP/1 read buffer,
    /// `max_concurrent_streams` the HTTP/2 streams.
    pub fn new(
        timeouts: Timeouts,
        keep_alive: KeepAliveLimits,
        max_header_bytes: usize,
        max_concurrent_streams: u32,
    ) -> Self {
        let max_buf = max_header_bytes.max(8192);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            // rampart bounds reading a request head itself (`state`): hyper's timer would
            // start while the connection is idle, closing keep-alive connections at
            // `readTimeout` instead of `idleTimeout`.
            .header_read_timeout(None)
            .max_buf_size(max_buf)
            .keep_alive(true);
        // The same HTTP/1.1 settings as the auto builder's.
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .max_buf_size(max_buf)
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(max_concurrent_streams)
            // Pings find dead peers of long-lived HTTP/2 connections; idle ones are closed
            // by the idle timeout.
            .keep_alive_interval(timeouts.idle())
            .enable_connect_protocol();
        ConnSettings {
            http1,
            http2: builder.clone().http2_only(),
            builder,
            handshake_timeout: Duration::from_secs(10),
            timeouts,
            keep_alive,
            park_after: Some(PARK_AFTER),
        }
    }

    /// How long a new connection may stay silent before its first byte.
    pub fn first_byte_timeout(&self) -> Duration {
        self.timeouts.read.unwrap_or(Duration::from_mins(1))
    }
}

impl Default for ConnSettings {
    fn default() -> Self {
        // Traefik's defaults: readTimeout 60s, writeTimeout none, idleTimeout 180s,
        // maxHeaderBytes 1 MiB, 250 streams.
        ConnSettings::new(
            Timeouts {
                read: Some(Duration::from_mins(1)),
                write: None,
                idle: Some(Duration::from_mins(3)),
            },
            KeepAliveLimits::default(),
            1 << 20,
            250,
        )
    }
}
