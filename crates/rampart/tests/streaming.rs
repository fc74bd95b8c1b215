//! Bodies are streamed, never buffered whole: 200 MiB each way with bounded memory, and the
//! first bytes reach the client while the upstream is still writing. (Its own test binary, so
//! the resident-memory samples see only this test.)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::serve;
use http_body::Body as _;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rampart::service::{Forwarder, Target, Transport, TransportSpec};
use rampart_testkit::reply::{self, Generated};
use rampart_testkit::{Options, Upstream};

const TOTAL: u64 = 200 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// Far below the 200 MiB that buffering would take.
const MAX_GROWTH_KIB: u64 = 64 * 1024;

fn forwarder(url: &str) -> Arc<Forwarder> {
    let transport = Arc::new(Transport::new(&TransportSpec::default()).unwrap());
    Arc::new(Forwarder::new(
        Target::parse(url, false).unwrap(),
        true,
        transport,
    ))
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_stream_both_ways_in_bounded_memory() {
    let up = Upstream::start_streaming(Options::new(), |req| async move {
        if req.method() == http::Method::POST {
            // Count the upload as it arrives; never hold it.
            let mut body = req.into_body();
            let mut n: u64 = 0;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.expect("upload frame").into_data() {
                    n += data.len() as u64;
                }
            }
            reply::text(200, n.to_string())
        } else {
            http::Response::new(reply::boxed(Generated::new(TOTAL, CHUNK)))
        }
    })
    .await;
    let front = serve(forwarder(&up.url())).await;
    let base = rss_kib();
    let mut peak = base;

    // Download.
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let res = client
        .get(front.url("/big").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.into_body();
    let mut got: u64 = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_mins(5);
    while let Some(frame) = tokio::time::timeout_at(deadline, body.frame())
        .await
        .unwrap()
    {
        let data = frame.unwrap().into_data().unwrap();
        if !data.is_empty() {
            assert_eq!(data[0], Generated::byte_at(got), "byte {got}");
        }
        got += data.len() as u64;
        if got % (16 * 1024 * 1024) < data.len() as u64 {
            peak = peak.max(rss_kib());
        }
    }
    assert_eq!(got, TOTAL);

    // Upload.
    let upload = Client::builder(TokioExecutor::new()).build_http::<Generated>();
    let req = http::Request::post(front.url("/up"))
        .body(Generated::new(TOTAL, CHUNK))
        .unwrap();
    let sampled = Arc::new(AtomicU64::new(0));
    let s = sampled.clone();
    let sampler = tokio::spawn(async move {
        loop {
            s.fetch_max(rss_kib(), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let res = tokio::time::timeout(Duration::from_mins(5), upload.request(req))
        .await
        .unwrap()
        .unwrap();
    let text = res.into_body().collect().await.unwrap().to_bytes();
    sampler.abort();
    assert_eq!(text, TOTAL.to_string());
    peak = peak.max(rss_kib()).max(sampled.load(Ordering::Relaxed));

    let growth = peak.saturating_sub(base);
    assert!(
        growth < MAX_GROWTH_KIB,
        "resident memory grew by {growth} KiB while streaming 2×200 MiB"
    );
}

#[tokio::test]
async fn first_bytes_arrive_before_the_upstream_finishes() {
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let release = Arc::new(std::sync::Mutex::new(Some(release_rx)));
    let up = Upstream::start(move |_| {
        let release = release.lock().unwrap().take();
        async move {
            let (tx, body) = reply::Channel::new();
            tokio::spawn(async move {
                tx.send(Ok(http_body::Frame::data(Bytes::from_static(b"first"))))
                    .await
                    .unwrap();
                if let Some(r) = release {
                    let _ = r.await;
                }
                tx.send(Ok(http_body::Frame::data(Bytes::from_static(b"last"))))
                    .await
                    .unwrap();
            });
            http::Response::new(reply::boxed(body))
        }
    })
    .await;
    let front = serve(forwarder(&up.url())).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let res = client.get(front.url("/").parse().unwrap()).await.unwrap();
    let mut body = res.into_body();
    let first = tokio::time::timeout(common::DEADLINE, body.frame())
        .await
        .expect("the first bytes came while the upstream was still writing")
        .unwrap()
        .unwrap();
    assert_eq!(first.into_data().unwrap(), "first");
    assert!(!body.is_end_stream());
    release_tx.send(()).unwrap();
    let rest = body.collect().await.unwrap().to_bytes();
    assert_eq!(rest, "last");
}
