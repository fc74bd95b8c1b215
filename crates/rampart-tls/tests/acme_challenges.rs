//! HTTP-01 and TLS-ALPN-01 end to end: pebble validates against small servers built here from
//! the two shared challenge maps, exactly as the proxy and the TLS resolver will serve them.

use rampart_testkit::acme_rig as rig;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use rampart_tls::acme::{
    ACME_TLS_ALPN, AcmeManager, AcmeResolverSpec, AcmeStorage, CertFacts, CertificateSink,
    ChallengeMaps, ChallengeSpec, DomainRequest, Http01Tokens, KeyType, RetrySpec, TlsAlpnCerts,
};
use rig::{DnsBackend, Rig, RigOptions};
use tokio::sync::mpsc;

struct Sink(mpsc::UnboundedSender<(DomainRequest, String)>);

impl CertificateSink for Sink {
    fn store(&self, _resolver: &str, domain: &DomainRequest, chain_pem: &str, _key_pem: &str) {
        let _ = self.0.send((domain.clone(), chain_pem.to_owned()));
    }
}

fn spec(rig: &Rig, challenge: ChallengeSpec) -> AcmeResolverSpec {
    let mut spec = AcmeResolverSpec::new("le", rig.dir.path().join("acme.json"), challenge);
    spec.ca_server.clone_from(&rig.directory);
    spec.ca_certificates = vec![rig.wfe_ca.clone()];
    spec.key_type = KeyType::Ec384;
    spec.retry = RetrySpec::new(Duration::from_millis(200), Duration::from_secs(2));
    spec
}

async fn obtain(rig: &Rig, spec: AcmeResolverSpec, maps: ChallengeMaps, name: &str) -> String {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let storage = AcmeStorage::open(&spec.storage).unwrap();
    let manager = AcmeManager::new(spec, storage, Arc::new(Sink(tx)), maps).unwrap();
    assert!(
        manager
            .set_domains(vec![DomainRequest::new(name, Vec::<String>::new())])
            .is_empty()
    );
    let task = manager.spawn();
    let got = tokio::time::timeout(Duration::from_mins(2), rx.recv()).await;
    task.abort();
    match got {
        Ok(Some((d, chain))) => {
            assert_eq!(d.main, name);
            chain
        }
        _ => panic!(
            "no certificate within 120 s; pebble log:\n{}",
            rig.log("pebble")
        ),
    }
}

/// Serves `/.well-known/acme-challenge/<token>` from the token map on 127.0.0.1:`port`.
async fn http01_server(port: u16, tokens: Http01Tokens) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let tokens = tokens.clone();
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let body = tokens.response_for_path(req.uri().path());
                        async move {
                            let rsp = match body {
                                Some(b) => http::Response::builder()
                                    .header("content-type", "application/octet-stream")
                                    .body(Full::new(Bytes::from(b))),
                                None => http::Response::builder()
                                    .status(404)
                                    .body(Full::new(Bytes::new())),
                            };
                            Ok::<_, http::Error>(rsp.unwrap())
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
}

/// Answers `acme-tls/1` handshakes with the challenge certificate from the map.
#[derive(Debug)]
struct AlpnResolver(TlsAlpnCerts);

impl rustls::server::ResolvesServerCert for AlpnResolver {
    fn resolve(
        &self,
        hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let acme = hello
            .alpn()
            .is_some_and(|mut a| a.any(|p| p == ACME_TLS_ALPN));
        if !acme {
            return None;
        }
        rampart_tls::ChallengeCerts::challenge_cert(&self.0, hello.server_name()?)
    }
}

async fn tls_alpn_server(port: u16, certs: TlsAlpnCerts) {
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_cert_resolver(Arc::new(AlpnResolver(certs)));
    cfg.alpn_protocols = vec![ACME_TLS_ALPN.to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            // RFC 8737 §3: the handshake is the whole exchange.
            tokio::spawn(async move { drop(acceptor.accept(tcp).await) });
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http01_is_answered_from_the_token_map() {
    let http_port = rig::free_port();
    let rig = Rig::start(RigOptions {
        dns: DnsBackend::ChallTestSrv,
        http01_port: http_port,
        ..RigOptions::default()
    })
    .await;
    let maps = ChallengeMaps::default();
    http01_server(http_port, maps.http01.clone()).await;
    let chain = obtain(
        &rig,
        spec(
            &rig,
            ChallengeSpec::Http {
                entry_point: "web".into(),
            },
        ),
        maps.clone(),
        "web.example.test",
    )
    .await;
    assert_eq!(
        CertFacts::from_pem(chain.as_bytes()).unwrap().names,
        vec!["web.example.test"]
    );
    assert!(maps.http01.is_empty(), "tokens are removed after the order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_alpn01_is_answered_from_the_certificate_map() {
    let tls_port = rig::free_port();
    let rig = Rig::start(RigOptions {
        dns: DnsBackend::ChallTestSrv,
        tlsalpn01_port: tls_port,
        ..RigOptions::default()
    })
    .await;
    let maps = ChallengeMaps::default();
    tls_alpn_server(tls_port, maps.tls_alpn.clone()).await;
    let chain = obtain(
        &rig,
        spec(&rig, ChallengeSpec::TlsAlpn),
        maps.clone(),
        "alpn.example.test",
    )
    .await;
    assert_eq!(
        CertFacts::from_pem(chain.as_bytes()).unwrap().names,
        vec!["alpn.example.test"]
    );
    assert!(
        maps.tls_alpn.is_empty(),
        "challenge certificates are removed after the order"
    );
}

#[tokio::test]
async fn a_wildcard_without_dns_challenge_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let s = AcmeResolverSpec::new("le", dir.path().join("acme.json"), ChallengeSpec::TlsAlpn);
    let (tx, _rx) = mpsc::unbounded_channel();
    let storage = AcmeStorage::open(&s.storage).unwrap();
    let manager =
        AcmeManager::new(s, storage, Arc::new(Sink(tx)), ChallengeMaps::default()).unwrap();
    let errors = manager.set_domains(vec![
        DomainRequest::new("example.test", ["*.example.test"]),
        DomainRequest::new("ok.example.test", Vec::<String>::new()),
        DomainRequest::new("bad..name", Vec::<String>::new()),
    ]);
    assert_eq!(errors.len(), 2);
    let text = errors[0].to_string();
    assert!(
        text.contains("*.example.test") && text.contains("dnsChallenge"),
        "{text}"
    );
    assert!(errors[1].to_string().contains("bad..name"));
}
