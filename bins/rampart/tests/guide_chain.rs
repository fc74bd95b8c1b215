//! The guide's middleware files through the binary (`fixtures/chain/`): `chain-no-auth` (rate
//! limit 100/s burst 50, secure headers, compress) with the response headers exactly as the
//! guide configures them, compressed bodies that decompress to the original, 429 past the
//! burst, one bucket per router; `buffering` with the guide's `retryExpression`; the https
//! `redirectScheme`; and broken middleware definitions reported (file, key) while the rest
//! serves.

mod common;
#[path = "common/e2e_auth.rs"]
mod e2e_auth;

use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use common::TestProxy;
use e2e_auth::{Client, UNTRUSTED, fixture, rampart_cli, request, start, static_config};
use rampart_testkit::{TestCa, Upstream, reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const RULES: [&str; 7] = [
    "chain-no-auth.yaml",
    "middlewares-rate-limit.yaml",
    "middlewares-secure-headers.yaml",
    "middlewares-compress.yaml",
    "middlewares-buffering.yaml",
    "middlewares-https-redirectscheme.yaml",
    "tls-opts.yaml",
];

/// A page of HTML, 64 KiB: worth compressing.
fn page() -> Bytes {
    let line = b"<tr><td>rampart</td><td>a line of an HTML table, compressible</td></tr>\n";
    Bytes::from(
        line.iter()
            .copied()
            .cycle()
            .take(64 * 1024)
            .collect::<Vec<u8>>(),
    )
}

/// An application that drops the first connection without answering (a crashed worker), then
/// answers `200` with the length of the body it got; counts connections.
struct Flaky {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<usize>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Flaky {
    async fn start() -> Flaky {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (counter, seen) = (connections.clone(), bodies.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let nth = counter.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Some((head, mut body)) = read_head(&mut tcp).await else {
                        return;
                    };
                    if nth == 0 {
                        return; // dropped: the proxy sees a connection closed before an answer
                    }
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    let mut buf = [0u8; 16 * 1024];
                    while body.len() < len {
                        match tcp.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => body.extend_from_slice(&buf[..read]),
                        }
                    }
                    seen.lock().unwrap().push(body.len());
                    let text = format!("got {}", body.len());
                    let res = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    );
                    let _ = tcp.write_all(res.as_bytes()).await;
                });
            }
        });
        Flaky {
            addr,
            connections,
            bodies,
            task,
        }
    }
}

impl Drop for Flaky {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads a request head; returns it and whatever body bytes came with it.
async fn read_head(tcp: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tcp.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            return Some((head, data[end + 4..].to_vec()));
        }
    }
}

struct Guide {
    proxy: TestProxy,
    ca: TestCa,
    app: Upstream,
    flaky: Flaky,
}

impl Guide {
    async fn start(extra: &[(&str, String)]) -> Guide {
        let body = page();
        let app = Upstream::start(move |_| {
            let body = body.clone();
            async move {
                let mut res = reply::text(200, body);
                let h = res.headers_mut();
                h.insert("content-type", "text/html; charset=utf-8".parse().unwrap());
                h.insert("server", "whoami/1.10".parse().unwrap());
                res
            }
        })
        .await;
        let flaky = Flaky::start().await;
        let ca = TestCa::new("guide chain CA");
        let subst = |t: &str| {
            t.replace("app:80", &app.addr().to_string())
                .replace("flaky:80", &flaky.addr.to_string())
        };
        let mut files: Vec<(String, String)> = RULES
            .iter()
            .map(|f| (format!("rules/{f}"), fixture(&format!("chain/rules/{f}"))))
            .collect();
        files.push((
            "rules/apps.yaml".into(),
            subst(&fixture("chain/rules/apps.yaml")),
        ));
        files.push(("rules/tls.yaml".into(), e2e_auth::tls_rules(&ca)));
        for (p, c) in extra {
            files.push(((*p).to_owned(), subst(c)));
        }
        let proxy = start(
            &static_config("chain/rampart.yaml", "fixtures/chain/rules"),
            &files,
        )
        .await;
        Guide {
            proxy,
            ca,
            app,
            flaky,
        }
    }

    fn browser(&self) -> Client {
        Client::tls(self.proxy.addr("websecure"), &self.ca, UNTRUSTED)
    }
}

#[tokio::test]
async fn chain_no_auth_sets_the_guides_headers_and_compresses() {
    let guide = Guide::start(&[]).await;
    let browser = guide.browser();
    let host = "app.domain.tld";

    let res = browser.get(host, "/page", &[]).await;
    assert_eq!(res.status, 200);
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains; preload",
        ),
        ("x-frame-options", "allow-from https:domain.tld"),
        ("x-content-type-options", "nosniff"),
        ("x-xss-protection", "1; mode=block"),
        ("referrer-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
        (
            "x-robots-tag",
            "none,noarchive,nosnippet,notranslate,noimageindex,",
        ),
    ] {
        assert_eq!(res.all(name), [value], "{name}");
    }
    assert!(
        !res.headers.contains_key("server"),
        "`server: \"\"` removes it"
    );
    assert!(
        !res.headers.contains_key("content-encoding"),
        "no Accept-Encoding: identity"
    );
    assert_eq!(res.body, page());

    // CORS preflight: answered by the headers middleware with the guide's methods and max age.
    let pre = browser
        .send(request(
            "OPTIONS",
            host,
            "/page",
            &[
                ("origin", "https://other.domain.tld"),
                ("access-control-request-method", "PUT"),
            ],
            Bytes::new(),
        ))
        .await;
    assert_eq!(pre.status, 200);
    assert_eq!(
        pre.header("access-control-allow-methods"),
        "GET,OPTIONS,PUT"
    );
    assert_eq!(pre.header("access-control-max-age"), "100");
    assert_eq!(
        guide.app.request_count(),
        1,
        "the preflight is not forwarded"
    );

    // Each encoding of the default list decompresses to the page.
    for encoding in ["gzip", "br", "zstd"] {
        let res = browser
            .get(host, "/page", &[("accept-encoding", encoding)])
            .await;
        assert_eq!(res.status, 200, "{encoding}");
        assert_eq!(
            res.header("content-encoding"),
            encoding,
            "{:?}",
            res.headers
        );
        assert_eq!(res.header("vary"), "Accept-Encoding");
        assert!(
            res.body.len() < page().len() / 4,
            "{encoding}: {}",
            res.body.len()
        );
        let plain = decode(encoding, &res.body);
        assert!(plain == page(), "{encoding} decodes to the original");
        assert_eq!(res.header("x-frame-options"), "allow-from https:domain.tld");
    }
    // The guide's order (`gzip, br, zstd`) breaks ties; q-values win over it.
    let res = browser
        .get(host, "/page", &[("accept-encoding", "zstd, br, gzip")])
        .await;
    assert_eq!(res.header("content-encoding"), "gzip");
    let res = browser
        .get(host, "/page", &[("accept-encoding", "gzip;q=0.5, br")])
        .await;
    assert_eq!(res.header("content-encoding"), "br");
    guide.proxy.stop().await;
}

fn decode(encoding: &str, body: &[u8]) -> Bytes {
    let mut out = Vec::new();
    match encoding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("gzip");
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("brotli");
        }
        "zstd" => out = zstd::decode_all(body).expect("zstd"),
        other => panic!("no decoder for {other}"),
    }
    Bytes::from(out)
}

#[tokio::test]
async fn rate_limit_answers_429_past_the_burst() {
    let guide = Guide::start(&[]).await;
    let browser = guide.browser();
    // Waves of 200 concurrent requests (HTTP/2 streams) until the bucket says no. Whatever the
    // machine's speed, no more can pass than the burst plus what refilled meanwhile.
    let start = Instant::now();
    let (mut ok, mut refused, mut refusal) = (0usize, 0usize, None);
    for _ in 0..10 {
        let (statuses, r) = guide
            .browser()
            .h2_burst(&guide.ca, "burst.domain.tld", "/", 200)
            .await;
        ok += statuses.iter().filter(|s| s.as_u16() == 200).count();
        refused += statuses.iter().filter(|s| s.as_u16() == 429).count();
        assert!(
            statuses.iter().all(|s| matches!(s.as_u16(), 200 | 429)),
            "{statuses:?}"
        );
        refusal = refusal.or(r);
        if refused > 0 {
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    assert!(refused > 0, "no 429 in {ok} requests over {elapsed:.2}s");
    let allowed = 50.0 + 100.0 * elapsed + 1.0;
    #[expect(clippy::cast_precision_loss, reason = "request counts are small")]
    let passed = ok as f64;
    assert!(
        passed <= allowed,
        "{ok} requests passed in {elapsed:.2}s: more than burst 50 + 100/s"
    );
    let refusal = refusal.expect("a 429's headers");
    assert!(refusal.contains_key("retry-after"), "{refusal:?}");
    assert!(refusal.contains_key("x-retry-in"), "{refusal:?}");

    // The other router using the same chain has its own bucket: a burst there still passes.
    let (statuses, _) = browser.h2_burst(&guide.ca, "app.domain.tld", "/", 40).await;
    assert!(
        statuses.iter().all(|s| s.as_u16() == 200),
        "app-rtr shares no bucket with burst-rtr: {statuses:?}"
    );
    guide.proxy.stop().await;
}

#[tokio::test]
async fn routers_sharing_a_rate_limit_get_separate_buckets() {
    // A limit that does not refill during the test (1 per minute, burst 3), shared by two
    // routers: each router gets its own 3 (Traefik builds middlewares per router).
    let strict = "http:\n  middlewares:\n    strict-limit:\n      rateLimit:\n        average: 1\n        period: 1m\n        burst: 3\n  routers:\n    left-rtr:\n      rule: \"Host(`left.domain.tld`)\"\n      middlewares: [strict-limit]\n      service: app-svc@file\n    right-rtr:\n      rule: \"Host(`right.domain.tld`)\"\n      middlewares: [strict-limit]\n      service: app-svc@file\n".to_owned();
    let guide = Guide::start(&[("rules/strict.yaml", strict)]).await;
    let browser = guide.browser();
    for host in ["left.domain.tld", "right.domain.tld"] {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(browser.get(host, "/", &[]).await.status.as_u16());
        }
        assert_eq!(statuses, [200, 200, 200, 429, 429], "{host}");
    }
    guide.proxy.stop().await;
}

#[tokio::test]
async fn buffering_retries_a_network_error_and_bounds_the_body() {
    let guide = Guide::start(&[]).await;
    let browser = guide.browser();
    let host = "upload.domain.tld";
    // The first connection is dropped before an answer: `IsNetworkError() && Attempts() <= 2`
    // retries, with the buffered body sent again.
    let body = Bytes::from(vec![b'u'; 300 * 1024]);
    let res = browser
        .send(request("POST", host, "/upload", &[], body.clone()))
        .await;
    assert_eq!(
        (res.status.as_u16(), res.text().as_str()),
        (200, "got 307200")
    );
    assert_eq!(guide.flaky.connections.load(Ordering::SeqCst), 2);
    assert_eq!(*guide.flaky.bodies.lock().unwrap(), [body.len()]);

    // Over maxRequestBodyBytes (10485760): 413, nothing sent.
    let before = guide.flaky.connections.load(Ordering::SeqCst);
    let big = Bytes::from(vec![b'x'; 10_485_761]);
    let res = browser
        .send(request("POST", host, "/upload", &[], big))
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(guide.flaky.connections.load(Ordering::SeqCst), before);
    guide.proxy.stop().await;
}

#[tokio::test]
async fn redirect_scheme_sends_plain_http_to_https_permanently() {
    let guide = Guide::start(&[]).await;
    let plain = Client::plain(guide.proxy.addr("web"), UNTRUSTED);
    let port = guide.proxy.addr("web").port();
    let host = format!("app.domain.tld:{port}");
    let res = plain.get(&host, "/page?x=1", &[]).await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), "https://app.domain.tld/page?x=1");
    let res = plain
        .send(request("POST", &host, "/form", &[], Bytes::from("a=1")))
        .await;
    assert_eq!(res.status, 308, "permanent, method kept");
    assert_eq!(guide.app.request_count(), 0);
    guide.proxy.stop().await;
}

#[tokio::test]
async fn broken_middlewares_are_reported_and_the_rest_serves() {
    let broken = "http:\n  middlewares:\n    typo-type:\n      rateLimitt:\n        average: 100\n    typo-option:\n      rateLimit:\n        average: 100\n        brust: 50\n    bad-value:\n      rateLimit:\n        average: fast\n    bad-encoding:\n      compress:\n        encodings: [gzip, lzma]\n    chain-of-broken:\n      chain:\n        middlewares: [middlewares-rate-limit, typo-option]\n  routers:\n    type-rtr:\n      rule: \"Host(`type.domain.tld`)\"\n      middlewares: [typo-type]\n      service: app-svc@file\n    option-rtr:\n      rule: \"Host(`option.domain.tld`)\"\n      middlewares: [typo-option]\n      service: app-svc@file\n    value-rtr:\n      rule: \"Host(`value.domain.tld`)\"\n      middlewares: [bad-value]\n      service: app-svc@file\n    encoding-rtr:\n      rule: \"Host(`encoding.domain.tld`)\"\n      middlewares: [bad-encoding]\n      service: app-svc@file\n    chain-rtr:\n      rule: \"Host(`chain.domain.tld`)\"\n      middlewares: [chain-of-broken]\n      service: app-svc@file\n".to_owned();
    let guide = Guide::start(&[("rules/broken.yaml", broken)]).await;
    let browser = guide.browser();
    for host in ["type", "option", "value", "encoding", "chain"] {
        let res = browser.get(&format!("{host}.domain.tld"), "/", &[]).await;
        assert_eq!(res.status, 404, "{host}: not mounted");
    }
    assert_eq!(guide.app.request_count(), 0);
    let ok = browser.get("app.domain.tld", "/", &[]).await;
    assert_eq!(ok.status, 200, "the rest serves");

    let (ok, report, _) = rampart_cli(&guide.proxy, &["check"]);
    assert!(!ok, "check exits non-zero:\n{report}");
    let problems = report.split("Problems:").nth(1).expect("problems listed");
    for (object, needle) in [
        (
            "middleware `typo-type@file`",
            "unknown middleware type `rateLimitt`",
        ),
        ("middleware `typo-option@file`", "`brust`: unknown field"),
        ("middleware `bad-value@file`", "`average`"),
        ("middleware `bad-encoding@file`", "lzma"),
        ("middleware `chain-of-broken@file`", "typo-option@file"),
        ("router `type-rtr@file`", "typo-type@file"),
        ("router `chain-rtr@file`", "chain-of-broken@file"),
    ] {
        let line = problems
            .lines()
            .find(|l| l.contains(object))
            .unwrap_or_else(|| panic!("{object} reported:\n{report}"));
        assert!(line.contains("rules/broken.yaml:"), "file named: {line}");
        assert!(line.contains(needle), "{needle} in: {line}");
    }
    guide.proxy.stop().await;
}
