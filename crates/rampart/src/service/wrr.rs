//! Smooth weighted round-robin by earliest deadline first (Traefik's `wrr.Balancer`).
//!
//! Each entry's deadline advances by `1 / weight` when it is picked; the entry with the
//! earliest deadline goes next. Entries that are down are skipped, but their deadlines still
//! advance, exactly as Traefik pops and re-pushes them.

use std::sync::Mutex;

#[derive(Debug)]
struct Entry {
    step: f64,
    deadline: f64,
}

/// The scheduler; indices refer to the caller's own list.
#[derive(Debug)]
pub(super) struct Wrr {
    entries: Mutex<Vec<Entry>>,
}

impl Wrr {
    /// Entries with these weights (a zero weight is never picked, as Traefik ignores it).
    pub(super) fn new(weights: impl IntoIterator<Item = u32>) -> Self {
        let entries = weights
            .into_iter()
            .map(|w| {
                let step = if w == 0 {
                    f64::INFINITY
                } else {
                    1.0 / f64::from(w)
                };
                Entry {
                    step,
                    deadline: step,
                }
            })
            .collect();
        Wrr {
            entries: Mutex::new(entries),
        }
    }

    /// The next entry that `up` accepts, or `None` when none does.
    pub(super) fn next(&self, up: impl Fn(usize) -> bool) -> Option<usize> {
        let mut entries = self.entries.lock().expect("wrr poisoned");
        let any = entries
            .iter()
            .enumerate()
            .any(|(i, e)| e.step.is_finite() && up(i));
        if !any {
            return None;
        }
        loop {
            let (i, _) = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.step.is_finite())
                .min_by(|(_, a), (_, b)| a.deadline.total_cmp(&b.deadline))?;
            let e = &mut entries[i];
            e.deadline += e.step;
            if up(i) {
                return Some(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_honoured_smoothly() {
        let wrr = Wrr::new([3, 1]);
        let picks: Vec<usize> = (0..8).map(|_| wrr.next(|_| true).unwrap()).collect();
        assert_eq!(picks.iter().filter(|&&i| i == 0).count(), 6);
        // Smooth: the light server is not starved for a long run.
        assert!(picks[..4].contains(&1), "{picks:?}");
    }

    #[test]
    fn down_entries_are_skipped_and_all_down_is_none() {
        let wrr = Wrr::new([1, 1, 1]);
        for _ in 0..6 {
            assert_ne!(wrr.next(|i| i != 1), Some(1));
        }
        assert_eq!(wrr.next(|_| false), None);
        let zero = Wrr::new([0, 0]);
        assert_eq!(zero.next(|_| true), None);
    }
}
