//! Shared helpers for rampart's criterion benches (see `benches/*.rs` and `BENCHMARKS.md`).
//!
//! * [`peers`] — the fast upstream and auth servers of the side-by-side harness
//!   (`benches/peers/`) and of the in-process end-to-end bench: as cheap as hyper allows, so
//!   what a bench measures is the proxy.
//! * [`allocs`] — allocation counting for benches that report allocations per request.

pub mod allocs;
pub mod peers;
