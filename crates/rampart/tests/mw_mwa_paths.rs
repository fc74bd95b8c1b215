//! Path-rewriting middlewares (stripPrefix, stripPrefixRegex, addPrefix, replacePath,
//! replacePathRegex): Traefik's test tables, the attack cases of `attack_cases` C7, and a real
//! loopback hop.

#[path = "common/mw_mwa.rs"]
mod mw_mwa;

use std::sync::Arc;

use mw_mwa::{Echo, body_bytes, build, front, run, send, upstream};
use rampart::middleware::Middleware;
use rampart::{Body, Request, Response};

fn get(uri: &str) -> Request {
    http::Request::builder()
        .uri(uri)
        .body(Body::empty())
        .unwrap()
}

async fn through(mw: &Arc<dyn Middleware>, uri: &str) -> (u16, String, Response) {
    let res = run(std::slice::from_ref(mw), &Echo, get(uri)).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = String::from_utf8(body_bytes(res).await.to_vec()).unwrap();
    let mut res = Response::new(Body::empty());
    *res.headers_mut() = headers;
    (status, body, res)
}

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn strip_prefix_traefik_table() {
    // (prefixes, request path, status, forwarded URI, X-Forwarded-Prefix)
    let cases: &[(&str, &str, u16, &str, Option<&str>)] = &[
        ("[]", "/noprefixes", 200, "/noprefixes", None),
        (r#"["/"]"#, "/", 200, "/", Some("/")),
        (r#"["/stat"]"#, "/stat", 200, "/", Some("/stat")),
        (r#"["/stat/"]"#, "/stat/", 200, "/", Some("/stat/")),
        (r#"["/stat/"]"#, "/stat/us", 200, "/us", Some("/stat/")),
        (r#"["/stat/"]"#, "/status", 200, "/status", None),
        (r#"["/stat"]"#, "/stat/", 200, "/", Some("/stat")),
        (
            r#"["/stat", "/stat/us"]"#,
            "/stat/us",
            200,
            "/us",
            Some("/stat"),
        ),
        (
            r#"["/mismatch", "/stat"]"#,
            "/stat",
            200,
            "/",
            Some("/stat"),
        ),
        (r#"["/stat"]"#, "/status", 200, "/us", Some("/stat")),
        (r#"["/stat"]"#, "/stat/a%2Fb", 200, "/a%2Fb", Some("/stat")),
        (r#"["/api/"]"#, "/ap%69/a%2Fb", 200, "/a%2Fb", Some("/api/")),
        (r#"["/api"]"#, "/api./foo", 400, "", None),
        (r#"["/api"]"#, "/api../foo", 400, "", None),
        (
            r#"[" /trimmed "]"#,
            "/trimmed/x?q=1",
            200,
            "/x?q=1",
            Some("/trimmed"),
        ),
    ];
    for &(prefixes, path, status, uri, prefix) in cases {
        let mw = build("stripPrefix", &format!(r#"{{"prefixes": {prefixes}}}"#)).unwrap();
        let (got, body, res) = through(&mw, path).await;
        assert_eq!(got, status, "{prefixes} {path}");
        if status == 200 {
            assert_eq!(body, uri, "{prefixes} {path}");
            assert_eq!(
                header(&res, "x-echo-x-forwarded-prefix"),
                prefix,
                "{prefixes} {path}"
            );
        }
    }
}

#[tokio::test]
async fn strip_prefix_force_slash_is_accepted_and_deprecated() {
    let mw = build(
        "StripPrefix",
        r#"{"prefixes": "/api", "forceSlash": "true"}"#,
    )
    .unwrap();
    assert_eq!(through(&mw, "/api").await.1, "/");
    assert_eq!(through(&mw, "/api../foo").await.0, 400);
}

#[tokio::test]
async fn strip_prefix_regex_traefik_table() {
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        ("/a/api/", "/a/test", "/a/test", None),
        ("/a/api/", "/a/test/", "/a/test/", None),
        ("/a/api/", "/a/api/", "/", Some("/a/api/")),
        ("/a/api/", "/a/api/test", "/test", Some("/a/api/")),
        ("/a/api/", "/a/api/test/", "/test/", Some("/a/api/")),
        ("/b/([a-z0-9]+)/", "/b/api/", "/", Some("/b/api/")),
        ("/b/([a-z0-9]+)/", "/b/api", "/b/api", None),
        ("/b/([a-z0-9]+)/", "/b/api/test1", "/test1", Some("/b/api/")),
        (
            "/b/([a-z0-9]+)/",
            "/b/api2/test2",
            "/test2",
            Some("/b/api2/"),
        ),
        (
            "/c/[a-z0-9]+/[0-9]+/",
            "/c/api/123/",
            "/",
            Some("/c/api/123/"),
        ),
        ("/c/[a-z0-9]+/[0-9]+/", "/c/api/123", "/c/api/123", None),
        (
            "/c/[a-z0-9]+/[0-9]+/",
            "/c/api/123/test3",
            "/test3",
            Some("/c/api/123/"),
        ),
        (
            "/c/[a-z0-9]+/[0-9]+/",
            "/c/api/abc/test4",
            "/c/api/abc/test4",
            None,
        ),
        ("/t /test", "/t /test", "/t /test", None),
        ("/a/", "/a/b%2Fc", "/b%2Fc", Some("/a/")),
        ("/a", "/ab", "/b", Some("/a")),
        ("/x/{id:[0-9]+}", "/x/{id:1}/y", "/y", Some("/x/{id:1}")),
    ];
    for &(re, path, uri, prefix) in cases {
        let Ok(parsed) = path.parse::<http::Uri>() else {
            continue;
        };
        let mw = build(
            "stripPrefixRegex",
            &serde_json::json!({ "regex": [re] }).to_string(),
        )
        .unwrap();
        let (status, body, res) = through(&mw, &parsed.to_string()).await;
        assert_eq!(status, 200, "{re} {path}");
        assert_eq!(body, uri, "{re} {path}");
        assert_eq!(
            header(&res, "x-echo-x-forwarded-prefix"),
            prefix,
            "{re} {path}"
        );
    }
}

#[tokio::test]
async fn strip_prefix_regex_rejects_invalid_regex_naming_it() {
    let err = build("stripPrefixRegex", r#"{"regex": ["/ok", "a(b"]}"#)
        .err()
        .unwrap();
    assert!(err.to_string().contains("regex[1]"), "{err}");
}

#[tokio::test]
async fn strip_prefix_regex_never_sends_a_decoded_crlf_as_header() {
    let mw = build("stripPrefixRegex", r#"{"regex": ["^/[^/]+"]}"#).unwrap();
    let (status, _, _) = through(&mw, "/a%0D%0AX-Injected:%201/b").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn add_prefix_traefik_table() {
    let cases: &[(&str, &str, &str)] = &[
        ("/foo", "/bar", "/foo/bar"),
        ("/foo", "/bar?x=1", "/foo/bar?x=1"),
        ("/foo", "/b%2Fr", "/foo/b%2Fr"),
        ("foo", "/bar", "/foo/bar"),
        ("/a b", "/c", "/a%20b/c"),
    ];
    for &(prefix, path, uri) in cases {
        let mw = build(
            "addPrefix",
            &serde_json::json!({ "prefix": prefix }).to_string(),
        )
        .unwrap();
        assert_eq!(through(&mw, path).await.1, uri, "{prefix} {path}");
    }
    let err = build("addPrefix", "{}").err().unwrap();
    assert_eq!(err.to_string(), "`prefix`: cannot be empty");
}

#[tokio::test]
async fn replace_path_keeps_original_in_x_replaced_path() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("/foo", "/bar?q=1", "/foo?q=1", "/bar"),
        ("/foo%2Fbar", "/x", "/foo%2Fbar", "/x"),
        ("/foo bar", "/x%2Fy", "/foo%20bar", "/x%2Fy"),
        ("", "/x", "/", "/x"),
    ];
    for &(path, req_path, uri, replaced) in cases {
        let mw = build(
            "replacePath",
            &serde_json::json!({ "path": path }).to_string(),
        )
        .unwrap();
        let (status, body, res) = through(&mw, req_path).await;
        assert_eq!(status, 200);
        assert_eq!(body, uri, "{path}");
        assert_eq!(header(&res, "x-echo-x-replaced-path"), Some(replaced));
    }
    let err = build("replacePath", r#"{"path": "/a%zz"}"#).err().unwrap();
    assert!(err.to_string().starts_with("`path`:"), "{err}");
}

#[tokio::test]
async fn replace_path_regex_traefik_table() {
    // (regex, replacement, request path, forwarded URI, X-Replaced-Path)
    let cases: &[(&str, &str, &str, &str, Option<&str>)] = &[
        (
            "^/whoami/(.*)",
            "/who-am-i/$1",
            "/whoami/and/whoami",
            "/who-am-i/and/whoami",
            Some("/whoami/and/whoami"),
        ),
        (
            "/whoami",
            "/who-am-i",
            "/whoami/and/whoami",
            "/who-am-i/and/who-am-i",
            Some("/whoami/and/whoami"),
        ),
        (
            "/whoami",
            "",
            "/whoami/and/whoami",
            "/and",
            Some("/whoami/and/whoami"),
        ),
        (
            "/whoami",
            " ",
            "/whoami/and/whoami",
            "/and",
            Some("/whoami/and/whoami"),
        ),
        (
            "/no-match",
            "/whoami",
            "/whoami/and/whoami",
            "/whoami/and/whoami",
            None,
        ),
        (
            "^(?i)/downloads/([^/]+)/([^/]+)$",
            "/downloads/$1-$2",
            "/downloads/src/source.go",
            "/downloads/src-source.go",
            Some("/downloads/src/source.go"),
        ),
        (
            "/aaa/bbb",
            "/foo%2Fbar",
            "/aaa/bbb",
            "/foo%2Fbar",
            Some("/aaa/bbb"),
        ),
        (
            "/aaa%2Fbbb",
            "/foo/bar",
            "/aaa%2Fbbb",
            "/foo/bar",
            Some("/aaa%2Fbbb"),
        ),
        ("/aaa/bbb", "/foo/bar", "/aaa%2Fbbb", "/aaa%2Fbbb", None),
        (
            "^/(?P<first>\\w+)/(\\w+)$",
            "/${first}-$2x-${2}",
            "/a/b",
            "/a--b",
            Some("/a/b"),
        ),
    ];
    for &(re, repl, path, uri, replaced) in cases {
        let mw = build(
            "replacePathRegex",
            &serde_json::json!({ "regex": re, "replacement": repl }).to_string(),
        )
        .unwrap();
        let (status, body, res) = through(&mw, path).await;
        assert_eq!(status, 200, "{re}");
        assert_eq!(body, uri, "{re}");
        assert_eq!(header(&res, "x-echo-x-replaced-path"), replaced, "{re}");
    }
    let err = build(
        "replacePathRegex",
        r#"{"regex": "^(?err)/x", "replacement": "/"}"#,
    )
    .err()
    .unwrap();
    assert!(err.to_string().starts_with("`regex`:"), "{err}");
}

/// `attack_cases` C7: a path rewritten after routing must not turn into another route's path.
#[tokio::test]
async fn rewrites_that_would_reopen_dot_segments_are_rejected() {
    let strip = build("stripPrefix", r#"{"prefixes": ["/api"]}"#).unwrap();
    for path in [
        "/api../admin",
        "/api/../admin",
        "/api/%2e%2e/admin",
        "/api%2F..%2Fadmin",
        "/api//admin",
    ] {
        assert_eq!(through(&strip, path).await.0, 400, "stripPrefix {path}");
    }
    let strip_re = build("stripPrefixRegex", r#"{"regex": ["/api"]}"#).unwrap();
    for path in ["/api../admin", "/api/%2E%2E/admin"] {
        assert_eq!(
            through(&strip_re, path).await.0,
            400,
            "stripPrefixRegex {path}"
        );
    }
    let replace = build(
        "replacePathRegex",
        r#"{"regex": "^/api/(.*)", "replacement": "/$1"}"#,
    )
    .unwrap();
    for path in ["/api/..%2fadmin", "/api/%2e%2e/admin", "/api//admin"] {
        assert_eq!(
            through(&replace, path).await.0,
            400,
            "replacePathRegex {path}"
        );
    }
    // A legitimate rewrite still works.
    assert_eq!(through(&replace, "/api/users/1").await.1, "/users/1");
}

#[tokio::test]
async fn chain_over_a_real_loopback_hop() {
    let up = upstream(|req: http::Request<hyper::body::Incoming>| async move {
        let seen = format!(
            "{} prefix={:?} replaced={:?}",
            req.uri(),
            req.headers().get("x-forwarded-prefix"),
            req.headers().get("x-replaced-path"),
        );
        Response::new(Body::from(seen))
    })
    .await;
    let chain = vec![
        build("stripPrefix", r#"{"prefixes": ["/api"]}"#).unwrap(),
        build("addPrefix", r#"{"prefix": "/v2"}"#).unwrap(),
        build(
            "replacePathRegex",
            r#"{"regex": "^/v2/users/(\\d+)$", "replacement": "/v2/user?id=$1"}"#,
        )
        .unwrap(),
    ];
    let addr = front(chain, up, None).await;
    let (parts, body) = send(addr, get("/api/users/42?x=1")).await;
    assert_eq!(parts.status, 200);
    assert_eq!(
        body,
        "/v2/user%3Fid=42?x=1 prefix=Some(\"/api\") replaced=Some(\"/v2/users/42\")"
    );
    let (parts, _) = send(addr, get("/api../admin")).await;
    assert_eq!(parts.status, 400);
}
