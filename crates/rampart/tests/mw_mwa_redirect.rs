//! `redirectScheme` and `redirectRegex`: Traefik's test tables and a real loopback hop.

#[path = "common/mw_mwa.rs"]
mod mw_mwa;

use std::sync::Arc;

use mw_mwa::{Echo, body_bytes, build, front, run, send, upstream};
use rampart::context::TlsInfo;
use rampart::{Body, ConnInfo, Request, Response};

fn request(method: &str, url: &str, headers: &[(&str, &str)], tls: bool) -> Request {
    let mut b = http::Request::builder().method(method).uri(url);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    let mut req = b.body(Body::empty()).unwrap();
    let peer = "127.0.0.1:4000".parse().unwrap();
    let info = if tls {
        ConnInfo::with_tls(peer, "websecure", TlsInfo::default())
    } else {
        ConnInfo::plain(peer, "web")
    };
    req.extensions_mut().insert(Arc::new(info));
    req
}

async fn outcome(json_type: (&str, &str), req: Request) -> (u16, Option<String>, Response) {
    let mw = build(json_type.0, json_type.1).unwrap();
    let res = run(std::slice::from_ref(&mw), &Echo, req).await;
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), location, res)
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of Traefik cases")]
async fn redirect_scheme_traefik_table() {
    // (options, method, absolute URL, headers, TLS, status, Location)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
        bool,
        u16,
        Option<&'static str>,
    );
    let https = r#"{"scheme": "https"}"#;
    let cases: &[Case] = &[
        (
            https,
            "GET",
            "http://foo/",
            &[],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            https,
            "GET",
            "http://foo/",
            &[("x-forwarded-proto", "http")],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            https,
            "GET",
            "http://foo/",
            &[("x-forwarded-proto", "https")],
            false,
            200,
            None,
        ),
        (
            https,
            "GET",
            "http://foo/",
            &[("x-forwarded-proto", "bar")],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            https,
            "GET",
            "http://foo/",
            &[("x-forwarded-proto", "ws")],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            https,
            "GET",
            "http://foo/",
            &[("x-forwarded-proto", "wss")],
            false,
            200,
            None,
        ),
        (
            https,
            "GET",
            "http://foo:8080/",
            &[],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            r#"{"scheme": "https", "port": "8443"}"#,
            "GET",
            "http://foo/",
            &[],
            false,
            302,
            Some("https://foo:8443/"),
        ),
        (
            r#"{"scheme": "https", "port": "8443"}"#,
            "GET",
            "http://foo:8000/",
            &[],
            false,
            302,
            Some("https://foo:8443/"),
        ),
        (
            r#"{"scheme": "https", "port": "8443"}"#,
            "GET",
            "https://foo:8000/",
            &[],
            false,
            302,
            Some("https://foo:8443/"),
        ),
        (
            https,
            "GET",
            "https://foo:8000/",
            &[],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            https,
            "GET",
            "https://foo:8000/theother",
            &[],
            false,
            302,
            Some("https://foo/theother"),
        ),
        (
            r#"{"scheme": "https", "port": "8443", "permanent": true}"#,
            "GET",
            "http://foo/",
            &[],
            false,
            301,
            Some("https://foo:8443/"),
        ),
        (
            r#"{"scheme": "http", "port": "80"}"#,
            "GET",
            "http://foo:80/",
            &[],
            false,
            200,
            None,
        ),
        (
            r#"{"scheme": "https", "port": 443}"#,
            "GET",
            "https://foo:443/",
            &[],
            false,
            200,
            None,
        ),
        (
            r#"{"scheme": "wss", "port": "9443"}"#,
            "GET",
            "http://foo/",
            &[],
            false,
            302,
            Some("wss://foo:9443/"),
        ),
        (
            r#"{"scheme": "wss"}"#,
            "GET",
            "http://foo:5678/",
            &[],
            false,
            302,
            Some("wss://foo/"),
        ),
        (
            https,
            "GET",
            "http://foo:443/",
            &[],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            r#"{"scheme": "http", "port": "8181"}"#,
            "GET",
            "http://foo:8080/",
            &[],
            false,
            302,
            Some("http://foo:8181/"),
        ),
        (
            https,
            "GET",
            "https://foo:80/",
            &[],
            false,
            302,
            Some("https://foo/"),
        ),
        (
            https,
            "GET",
            "http://[::1]/",
            &[],
            false,
            302,
            Some("https://[::1]/"),
        ),
        (
            https,
            "GET",
            "http://[::1]:8080/",
            &[],
            false,
            302,
            Some("https://[::1]/"),
        ),
        (
            https,
            "POST",
            "http://foo/",
            &[],
            false,
            307,
            Some("https://foo/"),
        ),
        (
            r#"{"scheme": "https", "permanent": true}"#,
            "POST",
            "http://foo/",
            &[],
            false,
            308,
            Some("https://foo/"),
        ),
        (
            r#"{"scheme": "https", "permanent": true}"#,
            "HEAD",
            "http://foo/",
            &[],
            false,
            308,
            Some("https://foo/"),
        ),
        // Origin-form with a Host header, over TLS: already there.
        (
            https,
            "GET",
            "/x?y=1",
            &[("host", "foo.com")],
            true,
            200,
            None,
        ),
        (
            https,
            "GET",
            "/x?y=1",
            &[("host", "foo.com:80")],
            false,
            302,
            Some("https://foo.com/x?y=1"),
        ),
    ];
    for &(json, method, url, headers, tls, status, location) in cases {
        let (got, loc, res) =
            outcome(("redirectScheme", json), request(method, url, headers, tls)).await;
        assert_eq!(
            (got, loc.as_deref()),
            (status, location),
            "{json} {method} {url} {headers:?}"
        );
        if status != 200 {
            let text = http::StatusCode::from_u16(status)
                .unwrap()
                .canonical_reason()
                .unwrap();
            assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
            assert_eq!(body_bytes(res).await, text);
        }
    }
}

#[tokio::test]
async fn redirect_scheme_validates_options() {
    for (json, key) in [
        ("{}", "`scheme`"),
        (r#"{"scheme": "ht tp"}"#, "`scheme`"),
        (r#"{"scheme": "https", "port": "abc"}"#, "`port`"),
        (r#"{"scheme": "https", "port": "70000"}"#, "`port`"),
        (r#"{"scheme": "https", "prot": "1"}"#, "prot"),
    ] {
        let err = build("redirectScheme", json).err().unwrap();
        assert!(err.to_string().contains(key), "{json}: {err}");
    }
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of Traefik cases")]
async fn redirect_regex_traefik_table() {
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        bool,
        u16,
        Option<&'static str>,
    );
    let cases: &[Case] = &[
        (
            r#"{"regex": "^(?:http?:\\/\\/)(foo)(\\.com)(:\\d+)(.*)$", "replacement": "https://${1}bar$2:443$4"}"#,
            "GET",
            "http://foo.com:80/",
            false,
            302,
            Some("https://foobar.com:443/"),
        ),
        (
            r#"{"regex": "^(?:http?:\\/\\/)(foo)(\\.com)(:\\d+)(.*)$", "replacement": "https://${1}bar$2:443$4"}"#,
            "GET",
            "http://bar.com:80/",
            false,
            200,
            None,
        ),
        (
            r#"{"regex": "^(.*)$", "replacement": "http://192.168.0.%31/"}"#,
            "GET",
            "http://foo.com:80/",
            false,
            502,
            None,
        ),
        (
            r#"{"regex": "^http://", "replacement": "https://$1", "permanent": true}"#,
            "GET",
            "http://foo/",
            false,
            301,
            Some("https://foo/"),
        ),
        (
            r#"{"regex": "https://foo", "replacement": "http://foo", "permanent": true}"#,
            "GET",
            "https://foo/",
            true,
            301,
            Some("http://foo/"),
        ),
        (
            r#"{"regex": "http://foo:80", "replacement": "https://foo:443"}"#,
            "GET",
            "http://foo:80/",
            false,
            302,
            Some("https://foo:443/"),
        ),
        (
            r#"{"regex": "https://foo:443", "replacement": "http://foo:80"}"#,
            "GET",
            "https://foo:443/",
            true,
            302,
            Some("http://foo:80/"),
        ),
        (
            r#"{"regex": "http://foo:80", "replacement": "http://foo:88"}"#,
            "GET",
            "http://foo:80/",
            false,
            302,
            Some("http://foo:88/"),
        ),
        (
            r#"{"regex": "^http://", "replacement": "https://$1"}"#,
            "POST",
            "http://foo/",
            false,
            307,
            Some("https://foo/"),
        ),
        (
            r#"{"regex": "(https?)://[^/:]+(:[0-9]+)?/(.*)", "replacement": "$1://example.com$2/$3", "permanent": true}"#,
            "GET",
            "http://www.example.com/path",
            false,
            301,
            Some("http://example.com/path"),
        ),
        (
            r#"{"regex": "(https?)://[^/:]+(:[0-9]+)?/(.*)", "replacement": "$1://example.com$2/$3", "permanent": true}"#,
            "GET",
            "http://www.example.com:8080/path",
            false,
            301,
            Some("http://example.com:8080/path"),
        ),
        // Same URL after replacement: no redirect.
        (
            r#"{"regex": "^(.*)$", "replacement": "$1"}"#,
            "GET",
            "http://foo/",
            false,
            200,
            None,
        ),
        // Scheme comes from TLS only, not X-Forwarded-Proto (Traefik's rawURL).
        (
            r#"{"regex": "^https://(.*)", "replacement": "http://$1"}"#,
            "GET",
            "http://foo/",
            false,
            200,
            None,
        ),
    ];
    for &(json, method, url, tls, status, location) in cases {
        let mut req = request(method, url, &[], tls);
        req.headers_mut()
            .insert("x-forwarded-proto", "https".parse().unwrap());
        let (got, loc, _) = outcome(("redirectRegex", json), req).await;
        assert_eq!((got, loc.as_deref()), (status, location), "{json} {url}");
    }
    let err = build("redirectRegex", r#"{"regex": "^(.*", "replacement": "$1"}"#)
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("`regex`:"), "{err}");
}

#[tokio::test]
async fn guide_https_redirect_over_a_real_hop() {
    let up = upstream(|_req: http::Request<hyper::body::Incoming>| async {
        Response::new(Body::from("app"))
    })
    .await;
    let guide = build(
        "redirectScheme",
        r#"{"scheme": "https", "permanent": true}"#,
    )
    .unwrap();
    let addr = front(vec![guide], up, None).await;
    let get = http::Request::builder()
        .uri("/dashboard/?tab=1")
        .header("host", "traefik.example.com")
        .body(Body::empty())
        .unwrap();
    let (parts, body) = send(addr, get).await;
    assert_eq!(parts.status, 301);
    assert_eq!(
        parts.headers["location"],
        "https://traefik.example.com/dashboard/?tab=1"
    );
    assert_eq!(body, "Moved Permanently");
    // Behind a TLS-terminating proxy that says so, the request goes through.
    let forwarded = http::Request::builder()
        .uri("/")
        .header("host", "traefik.example.com")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let (parts, body) = send(addr, forwarded).await;
    assert_eq!((parts.status.as_u16(), &body[..]), (200, &b"app"[..]));
}
