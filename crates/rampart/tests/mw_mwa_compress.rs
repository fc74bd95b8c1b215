//! The `compress` middleware: Traefik's test cases, streaming through a real loopback hop, and
//! round trips through real decoders (flate2, brotli, libzstd).

#[path = "common/mw_mwa.rs"]
mod mw_mwa;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use mw_mwa::{ChannelBody, body_bytes, bounded, build, client, front, run, upstream};
use rampart::middleware::{BoxFuture, Endpoint, Middleware};
use rampart::{Body, Request, Response};

/// Answers with `body`, status and headers as given.
struct App {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl App {
    fn new(body: impl Into<Bytes>) -> Self {
        App {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    fn header(mut self, n: &'static str, v: &str) -> Self {
        self.headers.push((n, v.to_owned()));
        self
    }
}

impl Endpoint for App {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        let mut res = Response::new(Body::from(self.body.clone()));
        *res.status_mut() = http::StatusCode::from_u16(self.status).unwrap();
        for (n, v) in &self.headers {
            res.headers_mut().append(*n, v.parse().unwrap());
        }
        Box::pin(async move { res })
    }
}

fn text(n: usize) -> Bytes {
    let line = b"rampart compresses this line of text; ";
    Bytes::from(line.iter().copied().cycle().take(n).collect::<Vec<u8>>())
}

fn req(method: &str, headers: &[(&str, &str)]) -> Request {
    let mut b = http::Request::builder().method(method).uri("/");
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(Body::empty()).unwrap()
}

fn decode(encoding: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => {
            flate2::read::GzDecoder::new(data)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(data, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::stream::decode_all(data).unwrap(),
        other => panic!("unexpected encoding {other}"),
    }
    out
}

async fn through(options: &str, app: App, r: Request) -> (http::response::Parts, Bytes) {
    let mw: Arc<dyn Middleware> = build("compress", options).unwrap();
    let res = run(std::slice::from_ref(&mw), &app, r).await;
    let (parts, body) = res.into_parts();
    (parts, body_bytes(Response::new(body)).await)
}

#[tokio::test]
async fn negotiated_encodings_round_trip() {
    let body = text(20_000);
    for (ae, want) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, br, zstd", "gzip"),
        ("zstd;q=0.9, br;q=0.8, gzip;q=0.6", "zstd"),
        ("gzip;q=0.8, br;q=1.0, zstd;q=0.7", "br"),
    ] {
        let app = App::new(body.clone())
            .header("content-length", &body.len().to_string())
            .header("accept-ranges", "bytes");
        let (parts, got) = through("{}", app, req("GET", &[("accept-encoding", ae)])).await;
        assert_eq!(parts.headers["content-encoding"], want, "{ae}");
        assert_eq!(parts.headers["vary"], "Accept-Encoding");
        assert!(parts.headers.get("content-length").is_none());
        assert!(parts.headers.get("accept-ranges").is_none());
        assert!(got.len() < body.len() / 4, "{ae}: {} bytes", got.len());
        assert_eq!(decode(want, &got), body, "{ae}");
    }
}

#[tokio::test]
async fn a_response_with_both_type_and_length_is_compressed() {
    // Regression: with `Content-Type` and `Content-Length` both known nothing is read before
    // deciding, and the empty head was taken for an empty body — so the common case (a static
    // file, the guide's whoami) was never compressed. Found through the binary
    // (bins/rampart/tests/guide_chain.rs).
    let body = text(20_000);
    let app = App::new(body.clone())
        .header("content-type", "text/html; charset=utf-8")
        .header("content-length", &body.len().to_string());
    let (parts, got) = through("{}", app, req("GET", &[("accept-encoding", "gzip")])).await;
    assert_eq!(parts.headers["content-encoding"], "gzip");
    assert!(parts.headers.get("content-length").is_none());
    assert_eq!(decode("gzip", &got), body);

    // An empty body announced as such is still left alone.
    let app = App::new(Bytes::new()).header("content-type", "text/html");
    let (parts, got) = through("{}", app, req("GET", &[("accept-encoding", "gzip")])).await;
    assert!(parts.headers.get("content-encoding").is_none());
    assert!(got.is_empty());
}

#[tokio::test]
async fn encodings_option_sets_priority_and_default() {
    let opts = r#"{"encodings": ["zstd", "br"], "defaultEncoding": "br"}"#;
    let (parts, _) = through(
        opts,
        App::new(text(4096)),
        req("GET", &[("accept-encoding", "gzip, br, zstd")]),
    )
    .await;
    assert_eq!(parts.headers["content-encoding"], "zstd");
    let (parts, got) = through(opts, App::new(text(4096)), req("GET", &[])).await;
    assert_eq!(parts.headers["content-encoding"], "br");
    assert_eq!(decode("br", &got), text(4096));
    let (parts, _) = through(
        opts,
        App::new(text(4096)),
        req("GET", &[("accept-encoding", "gzip")]),
    )
    .await;
    assert!(parts.headers.get("content-encoding").is_none());
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of cases")]
async fn responses_left_alone() {
    let big = text(4096);
    let ae = ("accept-encoding", "gzip");
    // (options, app, request, expect Vary)
    let cases: Vec<(&str, App, Request, bool)> = vec![
        ("{}", App::new(big.clone()), req("GET", &[]), false),
        (
            "{}",
            App::new(big.clone()),
            req("GET", &[("accept-encoding", "")]),
            false,
        ),
        (
            "{}",
            App::new(big.clone()),
            req("GET", &[("accept-encoding", "identity")]),
            false,
        ),
        (
            "{}",
            App::new(big.clone()),
            req("GET", &[("accept-encoding", "notreal")]),
            false,
        ),
        ("{}", App::new(big.clone()), req("HEAD", &[ae]), false),
        (
            "{}",
            App::new(big.clone()),
            req("GET", &[ae, ("content-type", "application/grpc")]),
            false,
        ),
        (
            r#"{"excludedContentTypes": ["text/event-stream"]}"#,
            App::new(big.clone()),
            req("GET", &[ae, ("content-type", "text/event-stream")]),
            false,
        ),
        (
            r#"{"excludedContentTypes": ["text/event-stream"]}"#,
            App::new(big.clone()).header("content-type", "text/event-stream"),
            req("GET", &[ae]),
            true,
        ),
        (
            r#"{"includedContentTypes": ["text/plain"]}"#,
            App::new(big.clone()).header("content-type", "text/html"),
            req("GET", &[ae]),
            true,
        ),
        (
            r#"{"excludedContentTypes": ["text/plain; charset=utf-8"]}"#,
            App::new(big.clone()).header("content-type", "text/plain; charset=utf-8"),
            req("GET", &[ae]),
            true,
        ),
        (
            "{}",
            App::new(big.clone()).header("content-type", "application/grpc+proto; x"),
            req("GET", &[ae]),
            true,
        ),
        (
            "{}",
            App::new(big.clone()).header("content-encoding", "gzip"),
            req("GET", &[ae]),
            true,
        ),
        (
            "{}",
            App::new(big.clone()).header("content-range", "bytes 0-4095/9000"),
            req("GET", &[ae]),
            true,
        ),
        ("{}", App::new(text(1023)), req("GET", &[ae]), true),
        (
            "{}",
            App::new(big.clone()).header("content-length", "1000"),
            req("GET", &[ae]),
            true,
        ),
        (
            r#"{"minResponseBodyBytes": 5000}"#,
            App::new(big.clone()),
            req("GET", &[ae]),
            true,
        ),
        (
            "{}",
            App {
                status: 304,
                headers: vec![],
                body: Bytes::new(),
            },
            req("GET", &[ae]),
            true,
        ),
        (
            "{}",
            App {
                status: 204,
                headers: vec![],
                body: Bytes::new(),
            },
            req("GET", &[ae]),
            true,
        ),
        // Sniffed as a PNG, excluded by type.
        (
            r#"{"excludedContentTypes": ["image/png"]}"#,
            App::new([&b"\x89PNG\x0D\x0A\x1A\x0A"[..], &big[..]].concat()),
            req("GET", &[ae]),
            true,
        ),
    ];
    for (i, (opts, app, r, vary)) in cases.into_iter().enumerate() {
        let expected = app.body.clone();
        let (parts, got) = through(opts, app, r).await;
        let untouched = parts
            .headers
            .get("content-encoding")
            .is_none_or(app_encoded);
        assert!(untouched, "case {i}");
        assert_eq!(got, expected, "case {i}");
        assert_eq!(parts.headers.get("vary").is_some(), vary, "case {i}");
    }
}

#[tokio::test]
async fn sniffed_type_decides_when_content_type_is_missing() {
    let html = Bytes::from(format!("<html><body>{}</body></html>", "x".repeat(3000)));
    let opts = r#"{"includedContentTypes": ["text/html"]}"#;
    let (parts, got) = through(
        opts,
        App::new(html.clone()),
        req("GET", &[("accept-encoding", "gzip")]),
    )
    .await;
    assert_eq!(parts.headers["content-encoding"], "gzip");
    assert!(parts.headers.get("content-type").is_none());
    assert_eq!(decode("gzip", &got), html);
}

#[tokio::test]
async fn invalid_options_name_the_key() {
    for (json, key) in [
        (
            r#"{"excludedContentTypes": ["a/b"], "includedContentTypes": ["c/d"]}"#,
            "includedContentTypes",
        ),
        (
            r#"{"excludedContentTypes": ["nope"]}"#,
            "excludedContentTypes[0]",
        ),
        (r#"{"encodings": []}"#, "encodings"),
        (r#"{"encodings": ["gzip", "deflate"]}"#, "encodings[1]"),
        (
            r#"{"encodings": ["gzip"], "defaultEncoding": "br"}"#,
            "defaultEncoding",
        ),
        (r#"{"minResponseBodyBytes": -1}"#, "minResponseBodyBytes"),
    ] {
        let err = build("compress", json).err().unwrap();
        assert!(err.to_string().contains(key), "{json}: {err}");
    }
    // The guide's `compress: {}` (and a bare `compress:` / label `compress=true`).
    build("compress", "{}").unwrap();
    build("compress", "null").unwrap();
    build("compress", "\"true\"").unwrap();
}

/// A streaming response (server-sent events) is compressed event by event: each reaches the
/// client, decodable, before the upstream sends the next.
#[tokio::test]
async fn streaming_response_is_flushed_as_the_upstream_flushes() {
    let (feed_tx, feed_rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let feed_rx = Arc::new(tokio::sync::Mutex::new(Some(feed_rx)));
    let up = upstream(move |_req: http::Request<hyper::body::Incoming>| {
        let feed_rx = feed_rx.clone();
        async move {
            let rx = feed_rx.lock().await.take().unwrap();
            let mut res = Response::new(Body::new(ChannelBody(rx)));
            res.headers_mut()
                .insert("content-type", "text/event-stream".parse().unwrap());
            res
        }
    })
    .await;
    let addr = front(vec![build("compress", "{}").unwrap()], up, None).await;
    let r = http::Request::builder()
        .uri(format!("http://{addr}/events"))
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let sender = tokio::spawn(async move { bounded(client().request(r)).await.unwrap() });
    feed_tx
        .send(Bytes::from_static(b"data: one\n\n"))
        .await
        .unwrap();
    let res = sender.await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let mut body = res.into_body();
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    for (event, next) in [
        ("data: one\n\n", Some("data: two\n\n")),
        ("data: one\n\ndata: two\n\n", None),
    ] {
        while decoder.get_ref().as_slice() != event.as_bytes() {
            let frame = bounded(body.frame())
                .await
                .expect("stream ended early")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                decoder.write_all(&data).unwrap();
                decoder.flush().unwrap();
            }
        }
        match next {
            Some(n) => feed_tx.send(Bytes::from(n)).await.unwrap(),
            None => break,
        }
    }
    drop(feed_tx);
    let rest = bounded(body.collect()).await.unwrap().to_bytes();
    decoder.write_all(&rest).unwrap();
    assert_eq!(decoder.finish().unwrap(), b"data: one\n\ndata: two\n\n");
}

/// A large body streams through a real hop in many frames and comes back intact in every
/// encoding (the middleware never needs the whole body).
#[tokio::test]
async fn large_chunked_body_over_a_real_hop() {
    let chunk = text(64 * 1024);
    let up = upstream(move |_req: http::Request<hyper::body::Incoming>| {
        let chunk = chunk.clone();
        async move {
            let (tx, rx) = tokio::sync::mpsc::channel(2);
            tokio::spawn(async move {
                for _ in 0..32 {
                    if tx.send(chunk.clone()).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
            Response::new(Body::new(ChannelBody(rx)))
        }
    })
    .await;
    let addr = front(vec![build("compress", "{}").unwrap()], up, None).await;
    for enc in ["gzip", "br", "zstd"] {
        let r = http::Request::builder()
            .uri(format!("http://{addr}/big"))
            .header("accept-encoding", enc)
            .body(Body::empty())
            .unwrap();
        let res = bounded(client().request(r)).await.unwrap();
        assert_eq!(res.headers()["content-encoding"], enc);
        let got = bounded(res.into_body().collect()).await.unwrap().to_bytes();
        let decoded = decode(enc, &got);
        assert_eq!(decoded.len(), 32 * 64 * 1024, "{enc}");
        assert_eq!(&decoded[..64 * 1024], &text(64 * 1024)[..]);
    }
}

/// The one case above whose upstream already sent `Content-Encoding: gzip`.
fn app_encoded(v: &http::HeaderValue) -> bool {
    v == "gzip"
}
