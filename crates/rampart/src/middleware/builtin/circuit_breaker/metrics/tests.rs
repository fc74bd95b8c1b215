//! oxy's `memmetrics` tests (counter, histogram, round-trip metrics), on explicit times.

use std::sync::Arc;

use super::*;

const MS: u64 = 1_000_000;

fn outcome(status: u16, latency_micros: u64) -> Outcome {
    Outcome {
        status,
        network_error: matches!(status, 502 | 504),
        latency_micros,
    }
}

fn record_n(m: &Metrics, now: u64, status: u16, n: usize) {
    for _ in 0..n {
        m.record(now, outcome(status, 0));
    }
}

/// oxy `TestRollingCounter_cleanup`: ten 1-second slots; a slot leaves the window once ten
/// seconds have passed since its own.
#[test]
fn counter_window_slides_by_the_second() {
    let m = Metrics::new(Geometry::TRAEFIK, false, false);
    record_n(&m, 0, 200, 1);
    for i in 1..10u64 {
        record_n(&m, i * SECOND, 200, usize::try_from(i + 1).unwrap());
    }
    assert_eq!(m.total(9 * SECOND), 55);
    // At 18 s only the slot of second 9 (10 requests) is still in the window.
    assert_eq!(m.total(18 * SECOND), 10);
    assert_eq!(m.total(19 * SECOND), 0);
}

/// oxy `TestRollingCounter_Clone_expired`: three slots, one count each second, read a second
/// after the last.
#[test]
fn counter_forgets_the_oldest_slot() {
    let geometry = Geometry {
        counter_slots: 3,
        ..Geometry::TRAEFIK
    };
    let m = Metrics::new(geometry, false, false);
    for s in 0..3 {
        record_n(&m, s * SECOND, 200, 1);
    }
    assert_eq!(m.total(3 * SECOND), 2);
    // A slot is cleared when its time comes round, not before: reading does not clear.
    assert_eq!(m.total(2 * SECOND + 999 * MS), 3);
}

/// oxy `TestNewRTMetrics_defaults`.
#[test]
fn round_trip_metrics_and_reset() {
    let m = Metrics::new(Geometry::TRAEFIK, true, true);
    m.record(0, outcome(200, 1_000_000));
    m.record(0, outcome(502, 2_000_000));
    m.record(0, outcome(200, 1_000_000));
    m.record(0, outcome(200, 1_000_000));
    assert_eq!(m.total(0), 4);
    assert!((m.network_error_ratio(0) - 0.25).abs() < f64::EPSILON);
    assert!((m.response_code_ratio(0, (500, 503), (200, 300)) - 1.0 / 3.0).abs() < f64::EPSILON);
    assert_eq!(m.latency_at_quantile(0, 100.0) / 1_000_000, 2);

    m.reset();
    assert_eq!(m.total(0), 0);
    assert!(m.network_error_ratio(0).abs() < f64::EPSILON);
    assert!(m.response_code_ratio(0, (500, 503), (200, 300)).abs() < f64::EPSILON);
    assert_eq!(m.latency_at_quantile(0, 100.0), 0);
}

#[test]
fn response_code_ratio_ranges() {
    let m = Metrics::new(Geometry::TRAEFIK, true, false);
    record_n(&m, 0, 200, 5);
    record_n(&m, 0, 500, 6);
    record_n(&m, 0, 404, 1);
    record_n(&m, 0, 999, 1);
    let r = |a, b| m.response_code_ratio(0, a, b);
    assert!((r((500, 600), (0, 600)) - 6.0 / 12.0).abs() < 1e-9);
    assert!(
        (r((500, 501), (200, 201)) - 6.0 / 5.0).abs() < 1e-9,
        "may exceed 1"
    );
    assert!((r((400, 500), (0, 10_000)) - 1.0 / 13.0).abs() < 1e-9);
    assert!(
        r((500, 600), (300, 400)).abs() < f64::EPSILON,
        "no divisor: 0"
    );
    assert!((r((999, 1000), (0, 1000)) - 1.0 / 13.0).abs() < 1e-9);
}

/// Without status counters (the expression reads none), `ResponseCodeRatio` cannot be asked; the
/// ratio functions still answer 0 rather than panic.
#[test]
fn untracked_parts_answer_zero() {
    let m = Metrics::new(Geometry::TRAEFIK, false, false);
    record_n(&m, 0, 500, 3);
    assert_eq!(m.total(0), 3);
    assert!(m.response_code_ratio(0, (500, 600), (0, 600)).abs() < f64::EPSILON);
    assert_eq!(m.latency_at_quantile(0, 50.0), 0);
    assert!(!m.wants_latency());
}

/// oxy `TestHDRHistogram_rotation`: two 1-second histograms; a value evaporates once its slot
/// comes round again.
#[test]
fn latency_window_rotates() {
    let geometry = Geometry {
        latency_slots: 2,
        latency_width: SECOND,
        ..Geometry::TRAEFIK
    };
    let m = Metrics::new(geometry, false, true);
    m.record(0, outcome(200, 5));
    assert_eq!(m.latency_at_quantile(0, 100.0), 5);
    m.record(SECOND, outcome(200, 2));
    m.record(SECOND, outcome(200, 1));
    assert_eq!(m.latency_at_quantile(SECOND, 100.0), 5);
    m.record(2 * SECOND, outcome(200, 1));
    assert_eq!(m.latency_at_quantile(2 * SECOND, 100.0), 2);
}

/// oxy rotates its histograms only when a request is recorded, so after an idle minute the
/// latencies of the last busy minute still decide; here they leave the window with time.
#[test]
fn latencies_expire_when_idle() {
    let m = Metrics::new(Geometry::TRAEFIK, false, true);
    m.record(0, outcome(200, 900_000));
    assert_eq!(m.latency_at_quantile(59 * SECOND, 50.0) / 1000, 901);
    assert_eq!(m.latency_at_quantile(60 * SECOND, 50.0), 0);
}

/// oxy `TestRTMetrics_concurrentRecords`: records from many threads are all counted.
#[test]
fn concurrent_records_are_all_counted() {
    let m = Arc::new(Metrics::new(Geometry::TRAEFIK, true, true));
    let threads: Vec<_> = (0..8u16)
        .map(|t| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    m.record(5 * SECOND, outcome(100 + (t * 100 + i) % 900, 10));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(m.total(5 * SECOND), 8000);
    assert!((m.response_code_ratio(5 * SECOND, (0, 1000), (100, 1000)) - 1.0).abs() < 1e-9);
    assert_eq!(m.latency_at_quantile(5 * SECOND, 100.0), 10);
}
