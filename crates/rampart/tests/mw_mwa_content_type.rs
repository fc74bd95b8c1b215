//! The `contentType` middleware: sniffing a missing type, in process and over a real hop.

#[path = "common/mw_mwa.rs"]
mod mw_mwa;

use mw_mwa::{body_bytes, build, front, run, send, upstream};
use rampart::middleware::{BoxFuture, Endpoint};
use rampart::{Body, Request, Response};

struct App(&'static [u8], Option<&'static str>);

impl Endpoint for App {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        let mut res = Response::new(Body::from(self.0));
        if let Some(ct) = self.1 {
            res.headers_mut()
                .insert("content-type", ct.parse().unwrap());
        }
        Box::pin(async move { res })
    }
}

#[tokio::test]
async fn missing_type_is_sniffed_like_go() {
    let cases: &[(&[u8], Option<&str>, Option<&str>)] = &[
        (
            b"<!DOCTYPE html><html></html>",
            None,
            Some("text/html; charset=utf-8"),
        ),
        (
            b"  <?xml version=\"1.0\"?><a/>",
            None,
            Some("text/xml; charset=utf-8"),
        ),
        (b"{\"a\": 1}", None, Some("text/plain; charset=utf-8")),
        (b"%PDF-1.7", None, Some("application/pdf")),
        (b"GIF89a..", None, Some("image/gif")),
        (b"\xFF\xD8\xFF\xE0", None, Some("image/jpeg")),
        (b"\x00\x01\x02", None, Some("application/octet-stream")),
        (b"", None, None),
        (
            b"<html>",
            Some("application/json"),
            Some("application/json"),
        ),
    ];
    let mw = build("contentType", "{}").unwrap();
    for &(body, ct, want) in cases {
        let res = run(
            std::slice::from_ref(&mw),
            &App(body, ct),
            Request::new(Body::empty()),
        )
        .await;
        assert_eq!(
            res.headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            want,
            "{body:?}"
        );
        assert_eq!(body_bytes(res).await, body);
    }
    // `autoDetect: false` (deprecated) turns it off, as in Traefik.
    let off = build("contentType", r#"{"autoDetect": false}"#).unwrap();
    let res = run(
        std::slice::from_ref(&off),
        &App(b"<html>", None),
        Request::new(Body::empty()),
    )
    .await;
    assert!(res.headers().get("content-type").is_none());
    assert!(build("contentType", r#"{"autodetect": "yes", "x": 1}"#).is_err());
}

#[tokio::test]
async fn sniffed_over_a_real_hop() {
    let up = upstream(|_req: http::Request<hyper::body::Incoming>| async {
        Response::new(Body::from(&b"\x89PNG\r\n\x1a\nrest of the image"[..]))
    })
    .await;
    let addr = front(vec![build("contentType", "{}").unwrap()], up, None).await;
    let (parts, body) = send(addr, http::Request::new(Body::empty())).await;
    assert_eq!(parts.headers["content-type"], "image/png");
    assert_eq!(&body[..], b"\x89PNG\r\n\x1a\nrest of the image");
}
