//! The README's quickstart configuration starts and answers, and the proxy stops cleanly.

mod common;

use common::{TestProxy, get};

#[tokio::test]
async fn quickstart_config_serves_whoami_and_ping() {
    let static_yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/quickstart/rampart.yaml"
    ))
    .unwrap()
    .replace("127.0.0.1:8080", "127.0.0.1:0")
    .replace("fixtures/quickstart/dynamic.yaml", "{dir}/dynamic.yaml");
    let dynamic = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/quickstart/dynamic.yaml"
    ))
    .unwrap();
    let proxy = TestProxy::start(&static_yaml, &[("dynamic.yaml", &dynamic)]).await;

    let (status, headers, body) = get(&format!("{}/hello?x=1", proxy.url("web")), &[]).await;
    assert_eq!(status, 200);
    assert!(body.contains("GET /hello?x=1 HTTP/1.1"), "{body}");
    assert!(body.contains("X-Forwarded-Proto: http"), "{body}");
    assert_eq!(headers["x-frame-options"], "DENY");

    let (status, _, body) = get(&format!("{}/ping", proxy.url("web")), &[]).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "OK"));

    // A reload that adds a router is applied.
    let before = proxy.generation();
    let with_teapot = dynamic.replacen(
        "\n  middlewares:",
        "\n    teapot:\n      rule: \"Path(`/teapot`)\"\n      priority: 100\n      service: noop@internal\n\n  middlewares:",
        1,
    );
    assert_ne!(with_teapot, dynamic);
    proxy.write("dynamic.yaml", &with_teapot);
    proxy.wait_reload(before).await;
    let (status, _, _) = get(&format!("{}/teapot", proxy.url("web")), &[]).await;
    assert_eq!(status, 418);
    proxy.stop().await;
}
