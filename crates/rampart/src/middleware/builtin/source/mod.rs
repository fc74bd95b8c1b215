//! Where a request comes from, as Traefik's `sourceCriterion` and `ipStrategy` decide.
//!
//! Shared by `rateLimit` and `inFlightReq` (which group requests by source) and `ipAllowList`
//! (which checks the client IP against ranges).
//!
//! * [`IpRanges`] — a list of IPs and CIDR ranges (Traefik's `ip.Checker`).
//! * [`IpStrategyConfig`] / [`IpStrategy`] — which address is the client's: the peer, the
//!   `depth`-th `X-Forwarded-For` entry from the right, or the first one not in `excludedIPs`.
//! * [`SourceCriterionConfig`] / [`SourceCriterion`] — an IP strategy, a request header, or the
//!   request host.

mod criterion;
mod ranges;
mod strategy;

pub(crate) use criterion::host_of;
pub use criterion::{SourceCriterion, SourceCriterionConfig};
pub use ranges::IpRanges;
pub use strategy::{ClientIp, IpStrategy, IpStrategyConfig};
