//! `circuitBreaker`: stops sending requests to a service that is failing, answers for it
//! meanwhile, and lets traffic back gradually (Traefik's middleware, built on oxy's `cbreaker`).
//!
//! ```yaml
//! http:
//!   middlewares:
//!     latency-check:
//!       circuitBreaker:
//!         expression: "LatencyAtQuantileMS(50.0) > 100"
//!     errors-check:
//!       circuitBreaker:
//!         expression: "ResponseCodeRatio(500, 600, 0, 600) > 0.30 || NetworkErrorRatio() > 0.10"
//!         fallbackDuration: 30s
//!         responseCode: 503
//! ```
//!
//! The expression (see [`expression`](super::expression)) reads rolling metrics of what the
//! rest of the chain answered — only what comes *after* the breaker in the chain counts:
//!
//! * `NetworkErrorRatio()` — network errors / requests, last 10 s. A network error is an answer
//!   with status 502 or 504 (Traefik's definition: what its proxy answers when the upstream is
//!   unreachable or times out — so an upstream's own 502/504 counts too), or an answer the
//!   service layer marked with [`NetworkError`](crate::error::NetworkError), whatever its status;
//! * `ResponseCodeRatio(from, to, dividedByFrom, dividedByTo)` — answers with a status in
//!   `[from, to)` / answers in `[dividedByFrom, dividedByTo)`, last 10 s; 0 when the divisor is;
//! * `LatencyAtQuantileMS(q)` — whole milliseconds under which `q`% of the requests of the last
//!   50–60 s were answered, measured until the response body has been sent (as oxy, whose
//!   handler returns after writing it); 0 without requests;
//! * `RequestThreshold()` — requests in the last 10 s.
//!
//! A client that goes away before the answer is recorded as `499`, as Traefik's proxy reports
//! it. The states and their timing are oxy's exactly: see the `state` module (Standby → Tripped
//! for `fallbackDuration`, answering `responseCode` with its reason phrase without calling the
//! service → Recovering for `recoveryDuration`, letting a linearly growing share through and
//! tripping again if the expression holds → Standby).
//!
//! State is per built middleware: Traefik builds one breaker per router that uses it, so the
//! routers' breakers open and close independently.
//!
//! * `config` — options, defaults, validation ([`CircuitBreakerConfig`]).
//! * `breaker` — the middleware ([`CircuitBreaker`]).
//! * `state` — the state machine ([`BreakerState`]).
//! * `metrics`, `histogram` — rolling counters and the latency histogram.

mod breaker;
mod config;
mod histogram;
mod metrics;
mod state;
#[cfg(test)]
mod tests;

pub use breaker::CircuitBreaker;
pub use config::CircuitBreakerConfig;
pub use state::BreakerState;
