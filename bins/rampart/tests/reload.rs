//! Reloading while clients keep sending requests (reliability R1–R4): the rules file is
//! rewritten, broken and fixed under load; nothing fails, every answer comes from one
//! configuration generation, a router whose auth middleware breaks is never served without it.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::TestProxy;
use e2e::{H1Conn, H2Conn, request};
use rampart_testkit::auth_server::Reply;
use rampart_testkit::{AuthServer, Upstream};
use tokio::sync::Mutex;

/// A plain entrypoint; provider changes applied after 50 ms of quiet (Traefik's default 2 s
/// would make a reload test slow, not different).
const STATIC: &str = r#"
entryPoints:
  web:
    address: "127.0.0.1:0"
providers:
  providersThrottleDuration: 50ms
  file:
    directory: "{dir}/rules"
    watch: true
"#;

/// Generation `n`: `app.test` goes to upstream `n % 2`, and a headers middleware of the same
/// generation names that upstream and the generation; `priv.test` is behind forwardAuth.
fn generation(n: usize, auth: &str, ups: &[String; 2], priv_middleware: &str) -> String {
    let i = n % 2;
    format!(
        r#"# generation {n}
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      middlewares:
        - gen
      service: svc-{i}
    priv:
      rule: "Host(`priv.test`)"
      middlewares:
        - {priv_middleware}
      service: svc-0
  middlewares:
    gen:
      headers:
        customResponseHeaders:
          X-Gen: "{n}"
          X-Upstream: "up{i}"
    auth:
      forwardAuth:
        address: "{auth}"
        authResponseHeaders:
          - X-Auth-User
    auth-bad-regex:
      forwardAuth:
        address: "{auth}"
        authResponseHeadersRegex: "^X-(Auth"
  services:
    svc-0:
      loadBalancer:
        servers:
          - url: "{up0}"
    svc-1:
      loadBalancer:
        servers:
          - url: "{up1}"
"#,
        up0 = ups[0],
        up1 = ups[1],
    )
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    failures: Mutex<Vec<String>>,
    gens: Mutex<std::collections::BTreeSet<u64>>,
    priv_answers: Mutex<std::collections::BTreeMap<u16, usize>>,
}

impl Tally {
    async fn judge(&self, host: &str, res: Result<e2e::Answer, String>) {
        let res = match res {
            Ok(res) => res,
            Err(e) => {
                self.failures.lock().await.push(format!("{host}: {e}"));
                return;
            }
        };
        if host == "priv.test" {
            // Fail closed: denied by the auth server, or not mounted; never served.
            *self
                .priv_answers
                .lock()
                .await
                .entry(res.status)
                .or_default() += 1;
            if res.status != 401 && res.status != 404 {
                self.failures
                    .lock()
                    .await
                    .push(format!("priv.test answered {}: {}", res.status, res.body));
            }
            return;
        }
        if res.status != 200 || res.header("x-upstream") != res.body {
            self.failures.lock().await.push(format!(
                "app.test: {} x-upstream={:?} body={:?} x-gen={:?}",
                res.status,
                res.header("x-upstream"),
                res.body,
                res.header("x-gen")
            ));
            return;
        }
        if let Ok(g) = res.header("x-gen").parse() {
            self.gens.lock().await.insert(g);
        }
        self.ok.fetch_add(1, Ordering::Relaxed);
    }
}

fn host_for(i: usize) -> &'static str {
    if i % 5 == 4 { "priv.test" } else { "app.test" }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r1_r2_reload_under_load_fails_nothing_and_never_serves_priv_without_auth() {
    let auth = AuthServer::start(|_| Reply::status(401).body("login first")).await;
    let ups = [Upstream::named("up0").await, Upstream::named("up1").await];
    let urls = [ups[0].url(), ups[1].url()];
    let auth_url = auth.url("/verify");
    let version = |n: usize, m: &str| generation(n, &auth_url, &urls, m);
    let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", &version(0, "auth"))]).await;
    let web = proxy.addr("web");

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let mut clients = spawn_clients(web, &stop, &tally).await;
    let last_good = rewrite_break_and_fix(&proxy, &version).await;
    // A last good generation, then let the clients see it.
    let before = proxy.generation();
    proxy.write("rules/app.yaml", &version(last_good + 1, "auth"));
    proxy.wait_reload(before).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    while let Some(done) = clients.join_next().await {
        done.expect("client task");
    }

    let failures = tally.failures.lock().await;
    let gens = tally.gens.lock().await;
    let priv_answers = tally.priv_answers.lock().await;
    let ok = tally.ok.load(Ordering::Relaxed);
    eprintln!(
        "reload under load: {ok} app answers, priv answers {priv_answers:?}, {} generations seen",
        gens.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures: {:#?}",
        failures.len(),
        &failures[..failures.len().min(20)]
    );
    assert!(
        ok > 200,
        "only {ok} answers: the load was too light to mean anything"
    );
    assert!(
        gens.len() >= 10,
        "the clients saw only generations {gens:?}: reloads did not happen under load"
    );
    assert_eq!(
        gens.last().copied(),
        Some((last_good + 1) as u64),
        "{gens:?}"
    );
    assert!(
        priv_answers.get(&401).copied().unwrap_or(0) > 0,
        "{priv_answers:?}"
    );
    assert_eq!(
        ups[0].request_count() + ups[1].request_count(),
        ok,
        "priv never reached an upstream"
    );
    proxy.stop().await;
}

/// Keep-alive HTTP/1.1 clients (four connections) and HTTP/2 clients (two connections, three
/// concurrent streams each), sending until `stop`.
async fn spawn_clients(
    web: std::net::SocketAddr,
    stop: &Arc<AtomicBool>,
    tally: &Arc<Tally>,
) -> tokio::task::JoinSet<()> {
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..4 {
        let (stop, tally) = (stop.clone(), tally.clone());
        clients.spawn(async move {
            let mut conn = H1Conn::open(web).await;
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let host = host_for(i);
                let res = conn.send(request("GET", "/", &[("host", host)])).await;
                tally.judge(host, res).await;
                i += 1;
            }
        });
    }
    for _ in 0..2 {
        let conn = H2Conn::open(web).await;
        for s in 0..3 {
            let (stop, tally, mut conn) = (stop.clone(), tally.clone(), conn.clone());
            clients.spawn(async move {
                let mut i = s;
                while !stop.load(Ordering::Relaxed) {
                    let host = host_for(i);
                    let uri = format!("http://{host}/");
                    let res = conn.send(request("GET", &uri, &[])).await;
                    tally.judge(host, res).await;
                    i += 1;
                }
            });
        }
    }
    clients
}

/// Writes 30 generations, one every 250 ms, breaking the file in every way now and then;
/// returns the last good generation written.
async fn rewrite_break_and_fix(
    proxy: &TestProxy,
    version: &impl Fn(usize, &str) -> String,
) -> usize {
    let path = proxy.path().join("rules/app.yaml");
    let mut last_good = 0;
    for n in 1..=30 {
        match n % 6 {
            // (a) invalid YAML.
            1 => proxy.write("rules/app.yaml", "http:\n  routers: [\n  - oops"),
            // (e) emptied.
            3 => proxy.write("rules/app.yaml", ""),
            // (f) half-written in place: cut mid-line, a pause, then the rest.
            4 => {
                let full = version(n, "auth");
                let half = full.len() / 2;
                std::fs::write(&path, &full[..half]).unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                std::fs::write(&path, &full).unwrap();
                last_good = n;
            }
            // (b) priv names a middleware that does not exist; (c) priv's middleware has an
            // invalid regex: priv is left out (404), app keeps being served.
            5 => {
                let m = if n % 12 == 5 {
                    "missing"
                } else {
                    "auth-bad-regex"
                };
                proxy.write("rules/app.yaml", &version(n, m));
                last_good = n;
            }
            _ => {
                proxy.write("rules/app.yaml", &version(n, "auth"));
                last_good = n;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    last_good
}

#[tokio::test]
async fn r3_a_broken_first_file_is_reported_then_applied_once_fixed() {
    let up = Upstream::named("up").await;
    let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", "http:\n  routers: [oops\n")]).await;
    let web = proxy.addr("web");
    let mut conn = H1Conn::open(web).await;
    let res = conn
        .send(request("GET", "/", &[("host", "app.test")]))
        .await
        .unwrap();
    assert_eq!(res.status, 404, "nothing loaded yet");

    let before = proxy.generation();
    proxy.write(
        "rules/app.yaml",
        &format!(
            "http:\n  routers:\n    app:\n      rule: \"Host(`app.test`)\"\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: \"{}\"\n",
            up.url()
        ),
    );
    proxy.wait_reload(before).await;
    let res = conn
        .send(request("GET", "/", &[("host", "app.test")]))
        .await
        .unwrap();
    assert_eq!((res.status, res.body.as_str()), (200, "up"));
    proxy.stop().await;
}

#[tokio::test]
async fn r4_auth_added_or_removed_on_reload_applies_to_the_next_request_of_open_connections() {
    let auth = AuthServer::start(|_| Reply::status(401).body("login first")).await;
    let up = Upstream::named("up").await;
    let config = |with_auth: bool| {
        format!(
            r#"
http:
  routers:
    app:
      rule: "Host(`app.test`)"
      middlewares: [{}]
      service: app
  middlewares:
    auth:
      forwardAuth:
        address: "{}"
  services:
    app:
      loadBalancer:
        servers:
          - url: "{}"
"#,
            if with_auth { "auth" } else { "" },
            auth.url("/verify"),
            up.url()
        )
    };
    let proxy = TestProxy::start(STATIC, &[("rules/app.yaml", &config(false))]).await;
    let web = proxy.addr("web");
    let mut h1 = H1Conn::open(web).await;
    let mut h2 = H2Conn::open(web).await;
    let statuses = async |h1: &mut H1Conn, h2: &mut H2Conn| {
        let a = h1
            .send(request("GET", "/", &[("host", "app.test")]))
            .await
            .expect("h1 answer");
        let b = h2
            .send(request("GET", "http://app.test/", &[]))
            .await
            .expect("h2 answer");
        (a.status, b.status)
    };
    assert_eq!(statuses(&mut h1, &mut h2).await, (200, 200));

    let before = proxy.generation();
    proxy.write("rules/app.yaml", &config(true));
    proxy.wait_reload(before).await;
    assert_eq!(
        statuses(&mut h1, &mut h2).await,
        (401, 401),
        "the same connections are now behind auth"
    );
    assert_eq!(auth.count(), 2);

    let before = proxy.generation();
    proxy.write("rules/app.yaml", &config(false));
    proxy.wait_reload(before).await;
    assert_eq!(statuses(&mut h1, &mut h2).await, (200, 200));
    assert!(
        !h1.is_closed() && !h2.is_closed(),
        "reloads never close connections"
    );
    proxy.stop().await;
}
