//! Graceful shutdown (reliability R5): in-flight requests finish within `graceTimeOut`, new
//! connections are refused, HTTP/2 clients get `GOAWAY`, what outlives the grace period is
//! cut, `ping` answers 503 while terminating — in process, and on a real `rampart` process
//! stopped by SIGTERM or SIGINT.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::TestProxy;
use e2e::{H1Conn, H2Conn, PATIENCE, request};
use rampart_testkit::{Upstream, reply};
use tokio::io::AsyncBufReadExt;

/// An upstream answering `/sleep/<ms>` after that many milliseconds.
async fn sleepy() -> Upstream {
    Upstream::start(|req| async move {
        let ms: u64 = req
            .uri()
            .path()
            .strip_prefix("/sleep/")
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        reply::text(200, format!("slept {ms}"))
    })
    .await
}

fn config(dir_or_placeholder: &str, grace: &str, accept_grace: &str, up: &str) -> (String, String) {
    let static_yaml = format!(
        r#"
entryPoints:
  web:
    address: "127.0.0.1:0"
    transport:
      lifeCycle:
        graceTimeOut: {grace}
        requestAcceptGraceTimeout: {accept_grace}
ping:
  entryPoint: web
log:
  level: INFO
  format: json
  noColor: true
providers:
  file:
    directory: "{dir_or_placeholder}/rules"
    watch: true
"#
    );
    let dynamic = format!(
        r#"
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "{up}"
"#
    );
    (static_yaml, dynamic)
}

/// Waits until `up` has received `n` requests.
async fn received(up: &Upstream, n: usize) {
    tokio::time::timeout(PATIENCE, async {
        while up.request_count() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the requests reached the upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_finishes_requests_in_flight_refuses_new_ones_and_cuts_the_rest_after_grace() {
    let up = sleepy().await;
    let (static_yaml, dynamic) = config("{dir}", "2s", "0s", &up.url());
    let proxy = TestProxy::start(&static_yaml, &[("rules/app.yaml", &dynamic)]).await;
    let web = proxy.addr("web");

    let mut quick = H1Conn::open(web).await;
    let mut stuck = H1Conn::open(web).await;
    let mut h2 = H2Conn::open(web).await;
    let mut h2_next = h2.clone();
    let quick = tokio::spawn(async move {
        quick
            .send(request("GET", "/sleep/700", &[("host", "app.test")]))
            .await
    });
    let stuck = tokio::spawn(async move {
        stuck
            .send(request("GET", "/sleep/20000", &[("host", "app.test")]))
            .await
    });
    let stream = tokio::spawn(async move {
        h2.send(request("GET", "http://app.test/sleep/700", &[]))
            .await
    });
    received(&up, 3).await;

    let started = Instant::now();
    let stopping = tokio::spawn(proxy.stop());

    // The listener closes at once: new connections are refused.
    tokio::time::timeout(PATIENCE, async {
        while tokio::net::TcpStream::connect(web).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the listener closed");

    // In-flight requests that fit in the grace period finish normally.
    let res = quick.await.unwrap().expect("the quick request finished");
    assert_eq!((res.status, res.body.as_str()), (200, "slept 700"));
    let res = stream.await.unwrap().expect("the HTTP/2 stream finished");
    assert_eq!((res.status, res.body.as_str()), (200, "slept 700"));
    // The HTTP/2 connection got GOAWAY: no new stream on it.
    let refused = h2_next
        .send(request("GET", "http://app.test/sleep/0", &[]))
        .await;
    assert!(refused.is_err(), "a new stream after GOAWAY: {refused:?}");

    // The one that outlives graceTimeOut is cut when the grace period ends.
    let cut = stuck.await.unwrap();
    assert!(cut.is_err(), "{cut:?}");
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("stop returns")
        .unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900),
        "stopped after {took:?}, before graceTimeOut"
    );
    assert!(took < Duration::from_secs(15), "stopped after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_answers_503_while_terminating_and_requests_are_still_accepted_meanwhile() {
    let up = sleepy().await;
    let (static_yaml, dynamic) = config("{dir}", "5s", "1500ms", &up.url());
    let proxy = TestProxy::start(&static_yaml, &[("rules/app.yaml", &dynamic)]).await;
    let web = proxy.addr("web");
    let mut conn = H1Conn::open(web).await;
    let res = conn
        .send(request("GET", "/ping", &[("host", "app.test")]))
        .await
        .unwrap();
    assert_eq!((res.status, res.body.as_str()), (200, "OK"));

    let stopping = tokio::spawn(proxy.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // During requestAcceptGraceTimeout: ping says 503 so load balancers move away; the
    // listener still accepts and requests are served.
    let res = e2e::get_host(web, "app.test", "/ping", &[]).await;
    assert_eq!(res.status, 503);
    let res = conn
        .send(request("GET", "/sleep/0", &[("host", "app.test")]))
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    tokio::time::timeout(PATIENCE, stopping)
        .await
        .expect("stop returns")
        .unwrap();
}

/// A `rampart` process on the config in `dir`, with its entrypoint address read from its log.
struct Process {
    child: tokio::process::Child,
    web: std::net::SocketAddr,
}

impl Process {
    async fn start(dir: &std::path::Path) -> Process {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .arg(format!(
                "--configFile={}",
                dir.join("rampart.yaml").display()
            ))
            .env_clear()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn rampart");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        let web = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await.expect("read the log") {
                let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                let fields = &json["fields"];
                if fields["message"] == "listening" && fields["entrypoint"] == "web" {
                    return fields["address"]
                        .as_str()
                        .expect("address")
                        .parse()
                        .expect("socket address");
                }
            }
            panic!("rampart exited before listening");
        })
        .await
        .expect("rampart listens in time");
        // Keep draining the log so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Process { child, web }
    }

    fn signal(&self, signal: rustix::process::Signal) {
        let pid = self.child.id().expect("running");
        let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("pid")).expect("pid");
        rustix::process::kill_process(pid, signal).expect("signal sent");
    }

    async fn exit_code(mut self) -> Option<i32> {
        tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("rampart exits in time")
            .expect("wait")
            .code()
    }
}

fn write_config(dir: &std::path::Path, grace: &str, up: &str) {
    let (static_yaml, dynamic) = config(&dir.display().to_string(), grace, "0s", up);
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rampart.yaml"), static_yaml).unwrap();
    std::fs::write(dir.join("rules/app.yaml"), dynamic).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_the_request_in_flight_and_exits_zero() {
    let up = sleepy().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "10s", &up.url());
    let rampart = Process::start(dir.path()).await;
    let web = rampart.web;

    let mut conn = H1Conn::open(web).await;
    let res = conn
        .send(request("GET", "/sleep/0", &[("host", "app.test")]))
        .await
        .expect("serving");
    assert_eq!(res.status, 200);

    let in_flight = tokio::spawn(async move {
        conn.send(request("GET", "/sleep/1000", &[("host", "app.test")]))
            .await
    });
    received(&up, 2).await;
    rampart.signal(rustix::process::Signal::TERM);
    let res = in_flight.await.unwrap().expect("drained, not cut");
    assert_eq!((res.status, res.body.as_str()), (200, "slept 1000"));
    assert_eq!(rampart.exit_code().await, Some(0));
    assert!(
        tokio::net::TcpStream::connect(web).await.is_err(),
        "nothing listens any more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_an_idle_proxy_at_once_with_exit_zero() {
    // Found end to end: a silent connection kept the stop waiting for the whole grace period.
    let up = sleepy().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "10s", &up.url());
    let rampart = Process::start(dir.path()).await;
    // An idle keep-alive connection must not hold the stop for the grace period.
    let mut conn = H1Conn::open(rampart.web).await;
    let res = conn
        .send(request("GET", "/sleep/0", &[("host", "app.test")]))
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    // Nor may a connection that never sent a byte (no request, no TLS handshake yet).
    let _silent = tokio::net::TcpStream::connect(rampart.web).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    rampart.signal(rustix::process::Signal::INT);
    assert_eq!(rampart.exit_code().await, Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an idle connection held the stop for {:?}",
        started.elapsed()
    );
}
