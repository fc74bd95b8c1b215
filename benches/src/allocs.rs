//! Counting allocations: a bench installs [`Counting`] as its global allocator and reads the
//! number of allocations a closure made with [`count`].
//!
//! The counting wrapper comes from `stats_alloc` (the workspace forbids `unsafe` code, and a
//! `GlobalAlloc` implementation needs it). Counts cover every thread of the process: a bench
//! that wants one component's share measures a baseline without it and subtracts.
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: &rampart_benches::allocs::Counting = &rampart_benches::allocs::INSTRUMENTED;
//! let n = rampart_benches::allocs::count(GLOBAL, || vec![1u8; 16]).allocations;
//! ```

use std::alloc::System;

pub use stats_alloc::{INSTRUMENTED_SYSTEM as INSTRUMENTED, StatsAlloc};

/// The counting allocator over the system allocator.
pub type Counting = StatsAlloc<System>;

/// What a measured closure allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counted {
    /// Calls to `alloc` (and `alloc_zeroed`).
    pub allocations: usize,
    /// Calls to `realloc`.
    pub reallocations: usize,
    /// Bytes asked for by `alloc` and growing `realloc`s.
    pub bytes: usize,
}

/// Runs `f` and tells how many allocations the whole process made meanwhile.
pub fn count<T>(allocator: &'static Counting, f: impl FnOnce() -> T) -> (T, Counted) {
    let region = stats_alloc::Region::new(allocator);
    let out = f();
    let stats = region.change();
    (
        out,
        Counted {
            allocations: stats.allocations,
            reallocations: stats.reallocations,
            bytes: stats.bytes_allocated,
        },
    )
}
