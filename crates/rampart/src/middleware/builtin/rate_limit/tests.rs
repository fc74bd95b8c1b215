use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::middleware::builtin::test_support_b::{Echo, config, get_from, run, text};

fn limiter(json: &str) -> RateLimit {
    RateLimit::new(&config(json)).unwrap()
}

/// Traefik's `TestNewRateLimiter` cases.
#[test]
fn traefik_max_delay_and_options() {
    assert_eq!(
        limiter(r#"{"average": 200, "burst": 10}"#).max_delay(),
        Duration::from_micros(2500)
    );
    assert_eq!(
        limiter(r#"{"average": 2, "period": "10s", "burst": 10}"#).max_delay(),
        Duration::from_millis(500)
    );
    assert!(
        limiter(r#"{"average": 0, "burst": 10}"#).limit.is_none(),
        "average 0 is no limit"
    );
    let err = RateLimit::new(&config(
        r#"{"average": 200, "sourceCriterion": {"ipStrategy": {}, "requestHeaderName": "Foo"}}"#,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("mutually exclusive"), "{err}");
    let err = RateLimit::new(&config(
        r#"{"average": 1, "redis": {"endpoints": ["localhost:6379"]}}"#,
    ))
    .unwrap_err();
    assert!(
        matches!(err, BuildError::Invalid { ref key, .. } if key == "redis"),
        "{err}"
    );
    let err = RateLimit::new(&config(r#"{"average": -1}"#)).unwrap_err();
    assert!(
        matches!(err, BuildError::Invalid { ref key, .. } if key == "average"),
        "{err}"
    );
    let err = rampart_config::from_value::<RateLimitConfig>(
        &serde_json::from_str(r#"{"period": "-1s"}"#).unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.path(), "period");
    assert!(
        rampart_config::from_value::<RateLimitConfig>(
            &serde_json::from_str(r#"{"averag": 1}"#).unwrap()
        )
        .is_err(),
        "typos are refused"
    );
}

/// Counts what gets through in `secs` of (paused) time at `load` requests per second, after an
/// initial burst of `initial` back-to-back requests.
async fn admitted(json: &str, load: u64, secs: u64, initial: usize) -> usize {
    let mw: Arc<dyn Middleware> = Arc::new(limiter(json));
    let echo = Echo::default();
    for _ in 0..initial {
        run(&mw, &echo, get_from("/", "127.0.0.1:1234")).await;
    }
    // As Traefik's test: a ticker at `load` per second (missed ticks skipped, since a held-back
    // request delays the loop), until the duration is over.
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / load));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() <= end {
        run(&mw, &echo, get_from("/", "127.0.0.1:1234")).await;
        ticker.tick().await;
    }
    echo.calls()
}

/// Traefik's `TestInMemoryRateLimit` table: admitted = rate × duration + burst (±2%), with
/// time paused so that the machine's load cannot make it flaky.
#[tokio::test(start_paused = true)]
async fn traefik_in_memory_rate_table() {
    let cases: &[(&str, u64, u64, usize, f64, f64)] = &[
        // json, load/s, seconds, initial burst, rate/s, burst
        (r#"{"average": 100, "burst": 1}"#, 400, 2, 0, 100.0, 1.0),
        (r#"{"average": 100, "burst": 100}"#, 200, 2, 0, 100.0, 100.0),
        (
            r#"{"average": 100, "burst": 100}"#,
            200,
            2,
            50,
            100.0,
            100.0,
        ),
        (
            r#"{"average": 100, "burst": 100}"#,
            200,
            2,
            150,
            100.0,
            100.0,
        ),
        (
            r#"{"average": 100, "burst": 200}"#,
            200,
            2,
            300,
            100.0,
            200.0,
        ),
        (r#"{"average": 5, "period": "10s"}"#, 100, 2, 0, 0.5, 1.0),
        (r#"{"average": 5, "period": "10s"}"#, 100, 60, 0, 0.5, 1.0),
        (
            r#"{"average": 1, "period": "1m"}"#,
            100,
            60,
            0,
            1.0 / 60.0,
            1.0,
        ),
        (
            r#"{"average": 50, "period": "500ms"}"#,
            300,
            2,
            0,
            100.0,
            1.0,
        ),
    ];
    for &(json, load, secs, initial, rate, burst) in cases {
        let got = admitted(json, load, secs, initial).await;
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "small test numbers"
        )]
        let want = (rate * secs as f64 + burst) as usize;
        let (min, max) = (want * 95 / 100, want * 102 / 100 + 1);
        assert!(
            (min..=max).contains(&got),
            "{json}: {got} admitted, wanted {want}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn refusal_has_retry_after_and_x_retry_in() {
    let mw: Arc<dyn Middleware> = Arc::new(limiter(r#"{"average": 1, "period": "3s"}"#));
    let echo = Echo::default();
    assert_eq!(
        run(&mw, &echo, get_from("/", "10.0.0.1:1")).await.status(),
        200
    );
    let res = run(&mw, &echo, get_from("/", "10.0.0.1:2")).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "3");
    assert_eq!(res.headers()["x-retry-in"], "3s");
    assert_eq!(text(res).await, "Too Many Requests");
    // Another source has its own bucket.
    assert_eq!(
        run(&mw, &echo, get_from("/", "10.0.0.2:1")).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let res = run(&mw, &echo, get_from("/", "10.0.0.1:3")).await;
    assert_eq!(res.headers()["retry-after"], "2", "1.5s rounds up");
    assert_eq!(res.headers()["x-retry-in"], "1.5s");
}

#[tokio::test(start_paused = true)]
async fn short_delays_hold_the_request_back() {
    // 10 per second, burst 1: maxDelay 50ms.
    let mw: Arc<dyn Middleware> = Arc::new(limiter(r#"{"average": 10}"#));
    let echo = Echo::default();
    assert_eq!(
        run(&mw, &echo, get_from("/", "10.0.0.1:1")).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    let start = Instant::now();
    assert_eq!(
        run(&mw, &echo, get_from("/", "10.0.0.1:1")).await.status(),
        200
    );
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(40),
        "waited for its token"
    );
}

#[tokio::test(start_paused = true)]
async fn header_criterion_groups_by_header() {
    let mw: Arc<dyn Middleware> = Arc::new(limiter(
        r#"{"average": 1, "period": "1m", "sourceCriterion": {"requestHeaderName": "X-Api-Key"}}"#,
    ));
    let echo = Echo::default();
    let with_key = |k: &str| {
        let mut r = get_from("/", "10.0.0.1:1");
        r.headers_mut().insert("x-api-key", k.parse().unwrap());
        r
    };
    assert_eq!(run(&mw, &echo, with_key("a")).await.status(), 200);
    assert_eq!(run(&mw, &echo, with_key("a")).await.status(), 429);
    assert_eq!(run(&mw, &echo, with_key("b")).await.status(), 200);
}

#[tokio::test]
async fn many_sources_stay_bounded() {
    let rl = Arc::new(limiter(
        r#"{"average": 1, "burst": 1, "sourceCriterion": {"ipStrategy": {"depth": 1}}}"#,
    ));
    let mw: Arc<dyn Middleware> = rl.clone();
    let echo = Echo::default();
    for i in 0..100_000u32 {
        let mut req = get_from("/", "127.0.0.1:1");
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
        req.headers_mut()
            .insert("x-forwarded-for", ip.to_string().parse().unwrap());
        run(&mw, &echo, req).await;
    }
    assert_eq!(echo.calls(), 100_000, "every new source has a full bucket");
    let sources = rl.sources();
    assert!(sources <= 65_536, "{sources} buckets kept");
}
