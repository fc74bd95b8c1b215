//! The path pipeline against Traefik's own cases (`server_entrypoint_tcp_test.go`
//! `TestSanitizePath`, `TestPathOperations`, `TestNormalizePath`; `mux_test.go`
//! `TestRoutingPath`) and the attack catalogue (§C).

use super::*;

fn run(path: &str) -> (String, String) {
    let p = process(path, true).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    (
        p.escaped.into_owned(),
        String::from_utf8(p.routing.into_owned()).unwrap(),
    )
}

#[test]
fn sanitize_path_cases() {
    for (input, want) in [
        ("/b", "/b"),
        ("/b/", "/b/"),
        ("/../../b/", "/b/"),
        ("/../../b", "/b"),
        ("/a/b/..", "/a"),
        ("/a/b/../", "/a/"),
        ("/a/../../b", "/b"),
        ("/..///b///", "/b/"),
        ("/a/../b", "/b"),
        ("/a/./b", "/a/b"),
        ("/a//b", "/a/b"),
        ("/a/../c/../b", "/b"),
        ("/a/../../../c/../b", "/b"),
        ("/a/../c/../../b", "/b"),
        ("/a/..//c/.././b", "/b"),
    ] {
        assert_eq!(run(input).0, want, "{input}");
    }
}

#[test]
fn path_operations_cases() {
    for (input, escaped) in [
        ("/a/../b/%41%42%43//%2f/", "/b/ABC/%2F/"),
        ("/../../b/", "/b/"),
        ("/a/../../b/../c/", "/c/"),
        ("/a/../b/./c/../d/", "/b/d/"),
        ("/a/b/../", "/a/"),
        ("/a/%2E%2E/%2E%2E/b/", "/b/"),
        ("/a/%252E%252E/%252E%252E/b/", "/a/%252E%252E/%252E%252E/b/"),
        ("/foo%20bar", "/foo%20bar"),
        ("/foo%2Fbar", "/foo%2Fbar"),
        ("/foo%20%2Fbar", "/foo%20%2Fbar"),
        ("/a/..%2Fb/", "/a/..%2Fb/"),
    ] {
        assert_eq!(run(input).0, escaped, "{input}");
    }
}

#[test]
fn routing_path_cases() {
    assert_eq!(run("/foo%20bar").1, "/foo bar");
    assert_eq!(run("/foo%2Fbar").1, "/foo%2Fbar");
    assert_eq!(run("/foo%20bar%2Fbaz%23qux").1, "/foo bar%2Fbaz%23qux");
    assert_eq!(run("/%41%42%43").1, "/ABC");
    assert_eq!(run("/a%2Bb").1, "/a%2Bb");
    assert_eq!(run("/%7Bpath:css%7D").1, "/{path:css}");
    assert_eq!(run("/{path:css}").1, "/{path:css}");
    // A path Go must re-encode: the encoded slash is decoded on the way (Go's quirk).
    assert_eq!(run("/a%2Fb{").1, "/a/b{");
    assert_eq!(run("/a!{").1, "/a%21{");
}

#[test]
fn normalize_path_case() {
    let unreserved: String = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        .bytes()
        .fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "%{b:02X}");
            s
        });
    let reserved = "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25";
    let input = format!("/{unreserved}{reserved}%0a");
    let p = process(&input, false).unwrap();
    assert_eq!(
        p.escaped,
        format!("/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~{reserved}%0A")
    );
}

#[test]
fn malformed_and_fragment() {
    assert_eq!(process("/%", true), Err(PathError::InvalidEscape));
    assert_eq!(process("/%f", true), Err(PathError::InvalidEscape));
    assert_eq!(process("/%zz", true), Err(PathError::InvalidEscape));
    assert!(process("/%20", true).is_ok());
    assert_eq!(process("/#", true), Err(PathError::Fragment));
    assert_eq!(process("/admin#x", true), Err(PathError::Fragment));
}

#[test]
fn attack_catalogue_paths() {
    // C1/C2: dot segments, raw or encoded, are resolved before routing.
    assert_eq!(run("/public/../admin/secret").1, "/admin/secret");
    assert_eq!(run("/public/%2e%2e/admin/secret").1, "/admin/secret");
    assert_eq!(run("/public/.%2e/admin/secret").1, "/admin/secret");
    // Double encoding stays literal.
    assert_eq!(
        run("/public/%252e%252e/admin/secret").1,
        "/public/%252e%252e/admin/secret"
    );
    // C6: duplicate slashes merge.
    assert_eq!(run("//admin/secret").1, "/admin/secret");
    // C12: encoded unreserved letters are decoded.
    assert_eq!(run("/%61dmin").1, "/admin");
    // `..;` is not a dot segment.
    assert_eq!(run("/public/..;/admin").1, "/public/..;/admin");
}

#[test]
fn nothing_to_do_borrows() {
    let p = process("/plain/path", true).unwrap();
    assert!(matches!(p.escaped, Cow::Borrowed(_)));
    assert!(matches!(p.routing, Cow::Borrowed(_)));
    assert_eq!(process("*", true).unwrap().escaped, "*");
    assert_eq!(process("", true).unwrap().escaped, "");
}
