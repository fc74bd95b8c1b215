//! Load balancing, sticky cookies, health checks and failover against real upstreams.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{client_h1, get, send, serve};
use http_body_util::Full;
use rampart::middleware::Endpoint;
use rampart::service::{
    Failover, HealthCheckSpec, LoadBalancer, LoadBalancerSpec, ServerSpec, StickyCookieSpec,
    Transport, TransportSpec, Weighted, WeightedChild,
};
use rampart_testkit::{Upstream, misbehave, reply};

fn transport() -> Arc<Transport> {
    Arc::new(Transport::new(&TransportSpec::default()).unwrap())
}

async fn count_bodies(url: &str, n: usize) -> HashMap<String, usize> {
    let client = client_h1();
    let mut seen = HashMap::new();
    for _ in 0..n {
        let (status, _, body) = get(&client, url).await;
        assert_eq!(status, 200);
        *seen
            .entry(String::from_utf8_lossy(&body).into_owned())
            .or_default() += 1;
    }
    seen
}

#[tokio::test]
async fn wrr_follows_weights() {
    let (a, b) = (Upstream::named("a").await, Upstream::named("b").await);
    let spec = LoadBalancerSpec::new(
        vec![
            ServerSpec::new(a.url()).weight(3),
            ServerSpec::new(b.url()).weight(1),
        ],
        transport(),
    );
    let front = serve(Arc::new(LoadBalancer::new("app@file", spec).unwrap())).await;
    let seen = count_bodies(&front.url("/"), 40).await;
    assert_eq!(seen["a"], 30, "{seen:?}");
    assert_eq!(seen["b"], 10, "{seen:?}");
}

#[tokio::test]
async fn all_servers_down_is_503_no_available_server() {
    let a = Upstream::named("a").await;
    let lb = Arc::new(
        LoadBalancer::new(
            "app@file",
            LoadBalancerSpec::new(vec![ServerSpec::new(a.url())], transport()),
        )
        .unwrap(),
    );
    lb.set_server_status(&a.url(), false);
    assert!(!lb.status().is_up());
    let front = serve(lb).await;
    let (status, _, body) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(status, 503);
    assert_eq!(body, "no available server\n");
}

#[tokio::test]
async fn sticky_cookie_pins_a_server() {
    let (a, b) = (Upstream::named("a").await, Upstream::named("b").await);
    let mut spec = LoadBalancerSpec::new(
        vec![ServerSpec::new(a.url()), ServerSpec::new(b.url())],
        transport(),
    );
    spec.sticky = Some(StickyCookieSpec {
        name: Some("pin".into()),
        http_only: true,
        ..StickyCookieSpec::default()
    });
    let front = serve(Arc::new(LoadBalancer::new("app@file", spec).unwrap())).await;
    let client = client_h1();
    let (_, headers, first) = get(&client, &front.url("/")).await;
    let set = headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.starts_with("pin="), "{set}");
    assert!(
        !set.contains("127.0.0.1"),
        "the cookie leaks the address: {set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    for _ in 0..6 {
        let req = http::Request::get(front.url("/"))
            .header("cookie", &cookie)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (_, _, body) = send(&client, req).await;
        assert_eq!(body, first, "the cookie did not pin");
    }
    // Without the cookie, round-robin goes on.
    let seen = count_bodies(&front.url("/"), 4).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
}

#[tokio::test]
async fn health_check_takes_a_server_out_and_back_in() {
    let health = Arc::new(AtomicU16::new(200));
    let h = health.clone();
    let sick = Upstream::start(move |req| {
        let h = h.clone();
        async move {
            if req.uri().path() == "/health" {
                reply::status(h.load(Ordering::SeqCst))
            } else {
                reply::text(200, "sick")
            }
        }
    })
    .await;
    let fine = Upstream::named("fine").await;
    let mut spec = LoadBalancerSpec::new(
        vec![ServerSpec::new(sick.url()), ServerSpec::new(fine.url())],
        transport(),
    );
    spec.health_check = Some(
        HealthCheckSpec::new("/health")
            .interval(Duration::from_millis(50))
            .timeout(Duration::from_secs(2)),
    );
    let lb = Arc::new(LoadBalancer::new("app@file", spec).unwrap());
    let handle = lb
        .start_health_check()
        .expect("a health check is configured");
    let front = serve(lb.clone()).await;

    health.store(500, Ordering::SeqCst);
    wait_for(|| !lb.server_statuses()[0].1).await;
    let seen = count_bodies(&front.url("/"), 6).await;
    assert_eq!(seen.get("fine"), Some(&6), "{seen:?}");
    assert!(lb.status().is_up());

    health.store(200, Ordering::SeqCst);
    wait_for(|| lb.server_statuses()[0].1).await;
    let seen = count_bodies(&front.url("/"), 6).await;
    assert_eq!(seen.get("sick"), Some(&3), "{seen:?}");

    // Stopping the checks freezes the status.
    handle.stop();
    health.store(500, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(lb.server_statuses()[0].1);
}

#[tokio::test]
async fn health_check_of_a_refused_server_marks_it_down_and_bad_specs_are_refused() {
    let closed = misbehave::closed_port().await;
    let mut spec = LoadBalancerSpec::new(
        vec![ServerSpec::new(format!("http://{closed}"))],
        transport(),
    );
    spec.health_check = Some(HealthCheckSpec::new("/health").interval(Duration::from_millis(30)));
    let lb = LoadBalancer::new("app@file", spec.clone()).unwrap();
    let _handle = lb.start_health_check();
    wait_for(|| !lb.status().is_up()).await;

    let mut bad = HealthCheckSpec::new("http://elsewhere/health");
    spec.health_check = Some(bad.clone());
    let err = LoadBalancer::new("app@file", spec.clone()).unwrap_err();
    assert!(err.to_string().contains("path"), "{err}");
    bad = HealthCheckSpec::new("/h");
    bad.mode = "tcp".into();
    spec.health_check = Some(bad);
    let err = LoadBalancer::new("app@file", spec).unwrap_err();
    assert!(err.to_string().contains("mode"), "{err}");
}

#[tokio::test]
async fn health_check_options_reach_the_server() {
    let up = Upstream::ok().await;
    let mut check = HealthCheckSpec::new("/status?deep=1").interval(Duration::from_millis(30));
    check.method = "HEAD".into();
    check.hostname = Some("health.internal".into());
    check.headers = vec![("X-Check".into(), "yes".into())];
    let mut spec = LoadBalancerSpec::new(vec![ServerSpec::new(up.url())], transport());
    spec.health_check = Some(check);
    let lb = LoadBalancer::new("app@file", spec).unwrap();
    let _handle = lb.start_health_check();
    wait_for(|| up.request_count() > 0).await;
    let r = up.requests()[0].clone();
    assert_eq!(r.method, "HEAD");
    assert_eq!(r.path_and_query(), "/status?deep=1");
    assert_eq!(r.header("host"), "health.internal");
    assert_eq!(r.header("x-check"), "yes");
}

#[tokio::test]
async fn weighted_service_balances_children_and_skips_down_ones() {
    let (a, b) = (Upstream::named("a").await, Upstream::named("b").await);
    let lb_a = Arc::new(
        LoadBalancer::new(
            "a@file",
            LoadBalancerSpec::new(vec![ServerSpec::new(a.url())], transport()),
        )
        .unwrap(),
    );
    let lb_b = Arc::new(
        LoadBalancer::new(
            "b@file",
            LoadBalancerSpec::new(vec![ServerSpec::new(b.url())], transport()),
        )
        .unwrap(),
    );
    let children = vec![
        WeightedChild {
            name: "a@file".into(),
            weight: 1,
            service: lb_a.clone() as Arc<dyn Endpoint>,
            status: Some(lb_a.status()),
        },
        WeightedChild {
            name: "b@file".into(),
            weight: 2,
            service: lb_b.clone() as Arc<dyn Endpoint>,
            status: Some(lb_b.status()),
        },
    ];
    let weighted = Arc::new(Weighted::new("canary@file", children, None, true).unwrap());
    let front = serve(weighted.clone()).await;
    let seen = count_bodies(&front.url("/"), 30).await;
    assert_eq!((seen["a"], seen["b"]), (10, 20), "{seen:?}");

    lb_b.set_server_status(&b.url(), false);
    let seen = count_bodies(&front.url("/"), 5).await;
    assert_eq!(seen.get("a"), Some(&5), "{seen:?}");
    lb_a.set_server_status(&a.url(), false);
    assert!(!weighted.status().is_up(), "down when every child is");
    let (status, _, _) = get(&client_h1(), &front.url("/")).await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn failover_switches_to_fallback_and_back() {
    let (main, spare) = (
        Upstream::named("main").await,
        Upstream::named("spare").await,
    );
    let lb_main = Arc::new(
        LoadBalancer::new(
            "main@file",
            LoadBalancerSpec::new(vec![ServerSpec::new(main.url())], transport()),
        )
        .unwrap(),
    );
    let lb_spare = Arc::new(
        LoadBalancer::new(
            "spare@file",
            LoadBalancerSpec::new(vec![ServerSpec::new(spare.url())], transport()),
        )
        .unwrap(),
    );
    let failover = Arc::new(Failover::new(
        lb_main.clone(),
        Some(&lb_main.status()),
        lb_spare.clone(),
        Some(&lb_spare.status()),
        true,
    ));
    let front = serve(failover.clone()).await;
    let client = client_h1();
    assert_eq!(get(&client, &front.url("/")).await.2, "main");
    lb_main.set_server_status(&main.url(), false);
    assert_eq!(get(&client, &front.url("/")).await.2, "spare");
    assert!(failover.status().is_up());
    lb_spare.set_server_status(&spare.url(), false);
    assert!(!failover.status().is_up());
    assert_eq!(get(&client, &front.url("/")).await.0, 503);
    lb_main.set_server_status(&main.url(), true);
    assert_eq!(get(&client, &front.url("/")).await.2, "main");
    assert!(failover.status().is_up());
}

async fn wait_for(cond: impl Fn() -> bool) {
    tokio::time::timeout(common::DEADLINE, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("condition reached within the deadline");
}

#[tokio::test]
async fn grpc_health_check_follows_the_serving_status() {
    // A gRPC health server: HealthCheckResponse{status} in one message, grpc-status trailer.
    let serving = Arc::new(AtomicU16::new(1));
    let s = serving.clone();
    let up = Upstream::start_with(rampart_testkit::Options::new().http2_only(), move |req| {
        let s = s.clone();
        async move {
            assert_eq!(req.uri().path(), "/grpc.health.v1.Health/Check");
            assert_eq!(req.headers()["content-type"], "application/grpc");
            let status = u8::try_from(s.load(Ordering::SeqCst)).unwrap();
            let (tx, body) = reply::Channel::new();
            tokio::spawn(async move {
                let msg = Bytes::from(vec![0, 0, 0, 0, 2, 0x08, status]);
                let _ = tx.send(Ok(http_body::Frame::data(msg))).await;
                let mut t = http::HeaderMap::new();
                t.insert("grpc-status", "0".parse().unwrap());
                let _ = tx.send(Ok(http_body::Frame::trailers(t))).await;
            });
            let mut res = http::Response::new(reply::boxed(body));
            res.headers_mut()
                .insert("content-type", "application/grpc".parse().unwrap());
            res
        }
    })
    .await;
    let mut check = HealthCheckSpec::new("/").interval(Duration::from_millis(40));
    check.mode = "grpc".into();
    let mut spec = LoadBalancerSpec::new(vec![ServerSpec::new(up.url())], transport());
    spec.health_check = Some(check);
    let lb = LoadBalancer::new("grpc@file", spec).unwrap();
    let _handle = lb.start_health_check();
    wait_for(|| up.request_count() > 0).await;
    assert!(lb.status().is_up());
    serving.store(2, Ordering::SeqCst); // NOT_SERVING
    wait_for(|| !lb.status().is_up()).await;
    serving.store(1, Ordering::SeqCst);
    wait_for(|| lb.status().is_up()).await;
}
