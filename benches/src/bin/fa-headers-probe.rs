//! forwardAuth's header-propagation step, `N` times, for instruction counts that do not depend
//! on the machine's load: `valgrind --tool=callgrind target/release/fa-headers-probe N`.
//! Run it with two `N` and take the difference: the instructions of one step (clone of the
//! 15-header browser request included, as in the criterion bench). Modes (second argument):
//! `copy` (default: `copy_auth_response_headers`), `clone` (the request clone alone, its
//! baseline), `move` (a clone of the answer moved with `move_auth_response_headers`, what the
//! middleware does), `clone2` (both clones, the baseline of `move`).
//!
//! The inputs are the criterion bench's (`benches/forward_auth.rs`): a browser request with a
//! forged `X-authentik-username`, the guide's 11 `authResponseHeaders`, the Authentik answer.

use http::{HeaderMap, HeaderName, HeaderValue};
use rampart::middleware::forward_auth::{ForwardAuth, ForwardAuthConfig};

const HEADERS: &str = r#"["X-authentik-username", "X-authentik-groups", "X-authentik-email", "X-authentik-name", "X-authentik-uid", "X-authentik-jwt", "X-authentik-meta-jwks", "X-authentik-meta-outpost", "X-authentik-meta-provider", "X-authentik-meta-app", "X-authentik-meta-version"]"#;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mode = std::env::args().nth(2).unwrap_or_else(|| "copy".to_owned());
    let v: rampart_config::Value = serde_json::from_str(&format!(
        r#"{{"address": "http://127.0.0.1:9/outpost.goauthentik.io/auth/traefik", "trustForwardHeader": true, "authResponseHeaders": {HEADERS}}}"#
    ))
    .expect("JSON");
    let cfg: ForwardAuthConfig = rampart_config::from_value(&v).expect("config");
    let fa = ForwardAuth::new(cfg).expect("forwardAuth builds");
    let request = headers(&[
        ("host", "whoami.example.test"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ),
        (
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        ("accept-language", "en-GB,en;q=0.5"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("cookie", "authentik_proxy_3d9a1c07=s0000000100000000"),
        ("upgrade-insecure-requests", "1"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-site", "none"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "whoami.example.test"),
        ("x-forwarded-port", "443"),
        ("x-real-ip", "203.0.113.7"),
        ("x-authentik-username", "mallory"),
    ]);
    let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", "x".repeat(900));
    let answer = headers(&[
        ("x-authentik-username", "akadmin"),
        ("x-authentik-groups", "authentik Admins|users"),
        ("x-authentik-entitlements", ""),
        ("x-authentik-email", "akadmin@example.test"),
        ("x-authentik-name", "Test User"),
        ("x-authentik-uid", "b1946ac92492d2347c6235b4d2611184"),
        ("x-authentik-jwt", &jwt),
        (
            "x-authentik-meta-jwks",
            "https://authentik.example.test/application/o/app/jwks/",
        ),
        ("x-authentik-meta-outpost", "authentik Embedded Outpost"),
        ("x-authentik-meta-provider", "app-provider"),
        ("x-authentik-meta-app", "app"),
        (
            "x-authentik-meta-version",
            "goauthentik.io/outpost/2025.8.3",
        ),
        ("content-length", "0"),
    ]);
    let mut total = 0usize;
    for _ in 0..n {
        let mut req = request.clone();
        match mode.as_str() {
            "copy" => fa.copy_auth_response_headers(&mut req, &answer),
            "move" => fa.move_auth_response_headers(&mut req, answer.clone()),
            "clone2" => total += std::hint::black_box(answer.clone()).len(),
            "clone" => {}
            other => panic!("unknown mode {other}"),
        }
        total += std::hint::black_box(req).len();
    }
    println!("{n} steps, {total} headers in total");
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    h
}
