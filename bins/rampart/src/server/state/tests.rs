//! The connection states and their deadlines, step by step (paused time).

use std::time::Duration;

use super::*;

fn timeouts() -> Timeouts {
    Timeouts {
        read: Some(Duration::from_mins(1)),
        write: Some(Duration::from_secs(5)),
        idle: Some(Duration::from_mins(3)),
    }
}

#[tokio::test(start_paused = true)]
async fn http1_moves_head_busy_idle_head() {
    let t0 = Instant::now();
    let state = ConnState::new(t0, timeouts());
    assert_eq!(state.due(), Due::Cut(t0 + Duration::from_mins(1)));

    tokio::time::advance(Duration::from_secs(1)).await;
    let (guard, started, count) = state.request(Version::HTTP_11);
    assert_eq!((started, count), (t0, 1));
    assert_eq!(state.due(), Due::Cut(t0 + Duration::from_secs(6)));

    tokio::time::advance(Duration::from_secs(1)).await;
    drop(guard);
    let idle_since = Instant::now();
    assert_eq!(
        state.due(),
        Due::Finish(idle_since + Duration::from_mins(3))
    );

    tokio::time::advance(Duration::from_secs(10)).await;
    state.on_read();
    assert_eq!(
        state.due(),
        Due::Cut(Instant::now() + Duration::from_mins(1))
    );
    let (_guard, started, count) = state.request(Version::HTTP_11);
    assert_eq!(count, 2);
    assert_eq!(started, idle_since + Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn only_a_sooner_deadline_wakes_the_driver() {
    use futures_util::FutureExt as _;
    let woken = |state: &ConnState| state.changed().now_or_never().is_some();
    let t0 = Instant::now();
    let t = Timeouts {
        read: Some(Duration::from_mins(1)),
        write: None,
        idle: Some(Duration::from_mins(3)),
    };
    let state = ConnState::new(t0, t);
    assert_eq!(state.arm(false), Some(t0 + Duration::from_mins(1)));
    // A keep-alive request: busy (no write deadline), idle, the next head — every
    // deadline is later than the armed one, so nothing wakes the driver.
    drop(state.request(Version::HTTP_11).0);
    tokio::time::advance(Duration::from_secs(10)).await;
    state.on_read();
    assert!(!woken(&state));
    assert_eq!(state.arm(false), Some(t0 + Duration::from_mins(1)), "kept");
    // The timer fires early: what is due is found, and armed again.
    assert_eq!(state.fired(), Due::Cut(t0 + Duration::from_secs(70)));
    assert_eq!(state.arm(false), Some(t0 + Duration::from_secs(70)));
    // A sooner deadline wakes it: a write deadline, or a close.
    let with_write = ConnState::new(t0, timeouts());
    with_write.arm(false);
    let _busy = with_write.request(Version::HTTP_11);
    assert!(woken(&with_write));
    state.close_gracefully();
    assert!(woken(&state));
    assert_eq!(
        state.arm(true),
        Some(t0 + Duration::from_secs(70)),
        "finishing"
    );
}

#[tokio::test(start_paused = true)]
async fn http2_is_idle_only_without_streams() {
    let state = ConnState::new(Instant::now(), timeouts());
    let (a, _, _) = state.request(Version::HTTP_2);
    let (b, _, _) = state.request(Version::HTTP_2);
    assert_eq!(
        state.due(),
        Due::Nothing,
        "no connection write deadline on h2"
    );
    drop(a);
    assert_eq!(state.due(), Due::Nothing);
    drop(b);
    let since = Instant::now();
    assert_eq!(state.due(), Due::Finish(since + Duration::from_mins(3)));
    // Frames read on an idle h2 connection do not start a request head.
    state.on_read();
    assert_eq!(state.due(), Due::Finish(since + Duration::from_mins(3)));
    state.close_gracefully();
    assert_eq!(state.due(), Due::Finish(Instant::now()));
}

#[tokio::test(start_paused = true)]
async fn idle_falls_back_to_read_timeout_and_zero_means_none() {
    let t = Timeouts {
        read: Some(Duration::from_secs(7)),
        write: None,
        idle: None,
    };
    let state = ConnState::new(Instant::now(), t);
    drop(state.request(Version::HTTP_11).0);
    assert_eq!(
        state.due(),
        Due::Finish(Instant::now() + Duration::from_secs(7)),
        "Go: IdleTimeout 0 uses ReadTimeout"
    );
    let none = ConnState::new(Instant::now(), Timeouts::default());
    assert_eq!(none.due(), Due::Nothing);
}
