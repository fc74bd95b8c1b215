//! Shared helpers for rampart's criterion benches (see `benches/*.rs` and `BENCHMARKS.md`).
