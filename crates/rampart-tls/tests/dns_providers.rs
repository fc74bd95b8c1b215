//! DNS providers against real peers: `cloudflare` against a local server implementing
//! Cloudflare's documented API v4 endpoints and error shapes (the one fake: there is no
//! Cloudflare here) which publishes into pebble-challtestsrv so pebble validates a full
//! wildcard + apex order; `exec` against a real script; `httpreq` against a real HTTP server.

use rampart_testkit::acme_rig as rig;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rampart_tls::acme::dns::{self, TxtRecord};
use rampart_tls::acme::{
    AcmeManager, AcmeResolverSpec, AcmeStorage, CertFacts, CertificateSink, ChallengeMaps,
    ChallengeSpec, DnsChallengeSpec, DomainRequest, Env, KeyType, RetrySpec,
};
use rig::{DnsBackend, Rig, RigOptions};

/// A request as a server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path_and_query: String,
    headers: HashMap<String, String>,
    body: String,
}

type Handler = Arc<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

/// An HTTP/1.1 server on 127.0.0.1 that records every request and answers with `handler`.
async fn server(handler: Handler) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        let log = log.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(http_body_util::Collected::to_bytes)
                                .unwrap_or_default();
                            let seen = Seen {
                                method: parts.method.to_string(),
                                path_and_query: parts
                                    .uri
                                    .path_and_query()
                                    .map(ToString::to_string)
                                    .unwrap_or_default(),
                                headers: parts
                                    .headers
                                    .iter()
                                    .map(|(k, v)| {
                                        (
                                            k.as_str().to_owned(),
                                            v.to_str().unwrap_or_default().to_owned(),
                                        )
                                    })
                                    .collect(),
                                body: String::from_utf8_lossy(&body).into_owned(),
                            };
                            // The handler may block (it calls challtestsrv): keep it off the reactor.
                            let h = handler.clone();
                            let s = seen.clone();
                            let (status, text) =
                                tokio::task::spawn_blocking(move || h(&s)).await.unwrap();
                            log.lock().unwrap().push(seen);
                            Ok::<_, http::Error>(
                                http::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(text)))
                                    .unwrap(),
                            )
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    (url, seen)
}

// ---------------------------------------------------------------------------------------------
// Cloudflare

const GOOD_TOKEN: &str = "cf-test-token";

fn cf(success: bool, result: &serde_json::Value, errors: &serde_json::Value) -> String {
    serde_json::json!({"success": success, "errors": errors, "messages": [], "result": result})
        .to_string()
}

/// Cloudflare API v4 as documented: token or global-key auth, zones by name, TXT records.
/// Records are published into challtestsrv (`/set-txt`, `/clear-txt`) when `publish` is set.
fn cloudflare_api(publish: Option<String>) -> Handler {
    let records: Arc<Mutex<HashMap<String, (String, String)>>> = Arc::default();
    Arc::new(move |req: &Seen| {
        let bearer = req.headers.get("authorization").map(String::as_str)
            == Some(&format!("Bearer {GOOD_TOKEN}"));
        let key = req.headers.get("x-auth-email").map(String::as_str) == Some("admin@example.test")
            && req.headers.get("x-auth-key").map(String::as_str) == Some("cf-global-key");
        if !bearer && !key {
            return (
                403,
                cf(
                    false,
                    &serde_json::Value::Null,
                    &serde_json::json!([{"code": 10000, "message": "Authentication error"}]),
                ),
            );
        }
        let path = req
            .path_and_query
            .strip_prefix("/client/v4")
            .unwrap_or(&req.path_and_query);
        match (req.method.as_str(), path) {
            ("GET", p) if p.starts_with("/zones?name=") => {
                let name = &p["/zones?name=".len()..];
                let zones = if name == "example.test" {
                    serde_json::json!([{"id": "zone-1", "name": "example.test"}])
                } else {
                    serde_json::json!([])
                };
                (200, cf(true, &zones, &serde_json::json!([])))
            }
            ("POST", "/zones/zone-1/dns_records") => {
                let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
                assert_eq!(body["type"], "TXT");
                let name = body["name"].as_str().unwrap().to_owned();
                let content = body["content"].as_str().unwrap().to_owned();
                if let Some(api) = &publish {
                    challtestsrv(
                        api,
                        "set-txt",
                        &serde_json::json!({"host": format!("{name}."), "value": content}),
                    );
                }
                let mut recs = records.lock().unwrap();
                let id = format!("rec-{}", recs.len() + 1);
                recs.insert(id.clone(), (name.clone(), content.clone()));
                (
                    200,
                    cf(
                        true,
                        &serde_json::json!({"id": id, "type": "TXT", "name": name, "content": content}),
                        &serde_json::json!([]),
                    ),
                )
            }
            ("DELETE", p) if p.starts_with("/zones/zone-1/dns_records/") => {
                let id = &p["/zones/zone-1/dns_records/".len()..];
                match records.lock().unwrap().remove(id) {
                    Some((name, _)) => {
                        if let Some(api) = &publish {
                            challtestsrv(
                                api,
                                "clear-txt",
                                &serde_json::json!({"host": format!("{name}.")}),
                            );
                        }
                        (
                            200,
                            cf(true, &serde_json::json!({"id": id}), &serde_json::json!([])),
                        )
                    }
                    None => (
                        404,
                        cf(
                            false,
                            &serde_json::Value::Null,
                            &serde_json::json!([{"code": 81044, "message": "Record does not exist."}]),
                        ),
                    ),
                }
            }
            _ => (
                404,
                cf(
                    false,
                    &serde_json::Value::Null,
                    &serde_json::json!([{"code": 7003, "message": "Could not route, perhaps your object identifier is invalid?"}]),
                ),
            ),
        }
    })
}

/// A blocking POST to challtestsrv's management API.
fn challtestsrv(api: &str, action: &str, body: &serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, _) = rt.block_on(rig::http_request(
        None,
        "POST",
        &format!("{api}/{action}"),
        Some(body.to_string()),
    ));
    assert_eq!(status, 200, "challtestsrv {action}");
}

struct Sink(tokio::sync::mpsc::UnboundedSender<String>);

impl CertificateSink for Sink {
    fn store(&self, _: &str, _: &DomainRequest, chain_pem: &str, _: &str) {
        let _ = self.0.send(chain_pem.to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudflare_wildcard_and_apex_through_pebble() {
    let rig = Rig::start(RigOptions {
        dns: DnsBackend::ChallTestSrv,
        ..RigOptions::default()
    })
    .await;
    let (url, seen) = server(cloudflare_api(rig.challtestsrv_api.clone())).await;

    let token_file = rig.dir.path().join("cf-token");
    std::fs::write(&token_file, GOOD_TOKEN).unwrap();
    let mut dns = DnsChallengeSpec::new("cloudflare");
    dns.resolvers = vec![rig.dns.to_string()];
    let mut spec = AcmeResolverSpec::new(
        "cf",
        rig.dir.path().join("acme.json"),
        ChallengeSpec::Dns(dns),
    );
    spec.ca_server.clone_from(&rig.directory);
    spec.ca_certificates = vec![rig.wfe_ca.clone()];
    spec.key_type = KeyType::Ec256;
    spec.retry = RetrySpec::new(Duration::from_millis(200), Duration::from_secs(2));
    spec.env = Env::default()
        .with(
            "CLOUDFLARE_DNS_API_TOKEN_FILE",
            token_file.to_string_lossy(),
        )
        .with("CLOUDFLARE_BASE_URL", format!("{url}/client/v4"))
        .with("CLOUDFLARE_POLLING_INTERVAL", "1");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let manager = AcmeManager::new(
        spec,
        AcmeStorage::open(rig.dir.path().join("acme.json")).unwrap(),
        Arc::new(Sink(tx)),
        ChallengeMaps::default(),
    )
    .unwrap();
    manager.set_domains(vec![DomainRequest::new("example.test", ["*.example.test"])]);
    let task = manager.spawn();
    let Ok(Some(chain)) = tokio::time::timeout(Duration::from_mins(2), rx.recv()).await else {
        panic!(
            "no certificate; pebble log:\n{}\ncloudflare saw: {:#?}",
            rig.log("pebble"),
            seen.lock().unwrap()
        );
    };
    task.abort();
    assert_eq!(
        CertFacts::from_pem(chain.as_bytes()).unwrap().names,
        vec!["example.test", "*.example.test"]
    );

    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().all(
        |s| s.headers.get("authorization").map(String::as_str) == Some("Bearer cf-test-token")
    ));
    let posts: Vec<&Seen> = seen.iter().filter(|s| s.method == "POST").collect();
    assert_eq!(
        posts.len(),
        2,
        "one TXT value for the apex, one for the wildcard"
    );
    for p in &posts {
        let body: serde_json::Value = serde_json::from_str(&p.body).unwrap();
        assert_eq!(body["name"], "_acme-challenge.example.test");
        assert_eq!(body["ttl"], 120);
    }
    // The zone is found by asking for each parent name: first the challenge name's parent.
    assert!(
        seen.iter()
            .any(|s| s.path_and_query == "/client/v4/zones?name=example.test")
    );
    assert_eq!(
        seen.iter().filter(|s| s.method == "DELETE").count(),
        2,
        "both records are removed after the order"
    );
}

fn record() -> TxtRecord {
    TxtRecord::new("app.example.test", "tok", "tok.thumb", "txt-value")
}

#[tokio::test]
async fn cloudflare_bad_token_reports_the_api_error() {
    let (url, _) = server(cloudflare_api(None)).await;
    let env = Env::default()
        .with("CF_DNS_API_TOKEN", "wrong")
        .with("CLOUDFLARE_BASE_URL", format!("{url}/client/v4"));
    let p = dns::provider("cloudflare", &env).unwrap();
    let e = p.present(&record()).await.unwrap_err().to_string();
    assert!(
        e.contains("403") && e.contains("10000 Authentication error"),
        "{e}"
    );
}

#[tokio::test]
async fn cloudflare_global_key_and_unknown_zone() {
    let (url, seen) = server(cloudflare_api(None)).await;
    let env = Env::default()
        .with("CF_API_EMAIL", "admin@example.test")
        .with("CF_API_KEY", "cf-global-key")
        .with("CLOUDFLARE_BASE_URL", format!("{url}/client/v4"));
    let p = dns::provider("cloudflare", &env).unwrap();
    // Known zone: create, then delete by the id Cloudflare returned.
    p.present(&record()).await.unwrap();
    p.cleanup(&record()).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.last().unwrap().path_and_query,
        "/client/v4/zones/zone-1/dns_records/rec-1"
    );
    assert!(
        seen.iter()
            .all(|s| s.headers.contains_key("x-auth-key")
                && !s.headers.contains_key("authorization"))
    );
    // A name in no zone: Cloudflare answers an empty result for every parent.
    let other = TxtRecord::new("www.elsewhere.test", "t", "t.k", "v");
    let e = p.present(&other).await.unwrap_err().to_string();
    assert!(
        e.contains("no Cloudflare zone holds _acme-challenge.www.elsewhere.test"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// exec

fn script(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("hook.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn exec_calls_the_program_with_legos_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls");
    let hook = script(dir.path(), &format!("echo \"$@\" >> {}", log.display()));
    let p = dns::provider(
        "exec",
        &Env::default().with("EXEC_PATH", hook.to_string_lossy()),
    )
    .unwrap();
    let r = TxtRecord::new("*.example.test", "tok", "tok.thumb", "txt-value");
    p.present(&r).await.unwrap();
    p.cleanup(&r).await.unwrap();
    let raw = dns::provider(
        "exec",
        &Env::default()
            .with("EXEC_PATH", hook.to_string_lossy())
            .with("EXEC_MODE", "RAW"),
    )
    .unwrap();
    raw.present(&r).await.unwrap();
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls,
        "present _acme-challenge.example.test. txt-value\ncleanup _acme-challenge.example.test. txt-value\npresent -- *.example.test tok tok.thumb\n"
    );
}

#[tokio::test]
async fn exec_failure_is_reported_with_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let hook = script(dir.path(), "echo cannot reach dns >&2\nexit 3");
    let p = dns::provider(
        "exec",
        &Env::default().with("EXEC_PATH", hook.to_string_lossy()),
    )
    .unwrap();
    let e = p.present(&record()).await.unwrap_err().to_string();
    assert!(e.contains("exit status: 3"), "{e}");
    let missing = dns::provider(
        "exec",
        &Env::default().with("EXEC_PATH", "/nonexistent/hook"),
    )
    .unwrap();
    let e = missing.present(&record()).await.unwrap_err().to_string();
    assert!(e.contains("cannot start"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// httpreq

#[tokio::test]
async fn httpreq_posts_present_and_cleanup_with_basic_auth() {
    let (url, seen) = server(Arc::new(|_: &Seen| (200, String::new()))).await;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret\n").unwrap();
    let env = Env::default()
        .with("HTTPREQ_ENDPOINT", format!("{url}/acme"))
        .with("HTTPREQ_USERNAME", "user")
        .with("HTTPREQ_PASSWORD_FILE", pw.to_string_lossy());
    let p = dns::provider("httpreq", &env).unwrap();
    p.present(&record()).await.unwrap();
    p.cleanup(&record()).await.unwrap();
    let raw = dns::provider("httpreq", &env.clone().with("HTTPREQ_MODE", "RAW")).unwrap();
    raw.present(&record()).await.unwrap();

    let seen = seen.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(|s| s.path_and_query.as_str()).collect();
    assert_eq!(paths, ["/acme/present", "/acme/cleanup", "/acme/present"]);
    // "user:s3cret", the password read from the _FILE with its newline trimmed.
    assert!(
        seen.iter()
            .all(|s| s.headers["authorization"] == "Basic dXNlcjpzM2NyZXQ=")
    );
    assert!(
        seen.iter()
            .all(|s| s.headers["content-type"] == "application/json")
    );
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"fqdn": "_acme-challenge.app.example.test.", "value": "txt-value"})
    );
    let body: serde_json::Value = serde_json::from_str(&seen[2].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"domain": "app.example.test", "token": "tok", "keyAuth": "tok.thumb"})
    );
}

#[tokio::test]
async fn httpreq_error_status_is_reported_with_the_body() {
    let (url, _) = server(Arc::new(|_: &Seen| (500, "zone locked".into()))).await;
    let p = dns::provider("httpreq", &Env::default().with("HTTPREQ_ENDPOINT", url)).unwrap();
    let e = p.present(&record()).await.unwrap_err().to_string();
    assert!(e.contains("500") && e.contains("zone locked"), "{e}");
}
