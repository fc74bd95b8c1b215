//! A TLS 1.3 handshake load generator for the side-by-side harness (`benches/peers/`).
//!
//! `handshake-load ADDR SECONDS CONCURRENCY` keeps CONCURRENCY connections in flight for SECONDS:
//! each one connects over TCP, completes a full TLS 1.3 handshake (no session resumption, X25519,
//! SNI `localhost`) and closes; then the next one starts. It prints
//! `N handshakes in S s (R/s), F failed`.
//!
//! Why not `openssl s_time` alone: it runs one connection at a time, and on this machine's
//! single load core its own work per handshake (key share, certificate parsing, the
//! `CertificateVerify` signature check) is larger than a proxy's, so its rate says how fast the
//! client is, not how many handshakes the proxy can serve. This client does the client side's
//! key exchange and record work but does not check the server's certificate or signature: that
//! is client work only, and the server's part of the handshake — key share, signature,
//! `Finished`, session tickets — is the same. Use it for load, never to connect to anything
//! whose identity matters.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Accepts any certificate and signature: the load client measures the server, not itself.
#[derive(Debug)]
struct NoCheck(Vec<SignatureScheme>);

impl ServerCertVerifier for NoCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

fn config() -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let schemes = provider
        .signature_verification_algorithms
        .supported_schemes();
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoCheck(schemes)))
        .with_no_client_auth();
    // Every connection a full handshake, as `openssl s_time -new`.
    config.resumption = Resumption::disabled();
    Ok(config)
}

/// One connection after another until `deadline`; counts the completed handshakes.
async fn worker(
    addr: SocketAddr,
    connector: TlsConnector,
    deadline: Instant,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    let name = ServerName::try_from("localhost").expect("a valid DNS name");
    // A connection still hanging this long after the deadline counts as failed: the run ends.
    let give_up = tokio::time::Instant::from_std(deadline + Duration::from_secs(5));
    while Instant::now() < deadline {
        let handshake = async {
            let tcp = TcpStream::connect(addr).await.ok()?;
            let _ = tcp.set_nodelay(true);
            connector.connect(name.clone(), tcp).await.ok()
        };
        let ok = matches!(
            tokio::time::timeout_at(give_up, handshake).await,
            Ok(Some(_))
        );
        let counter = if ok { &done } else { &failed };
        counter.fetch_add(1, Ordering::Relaxed);
        if !ok {
            // A refusing or overloaded server is not hammered in a tight loop.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [addr, secs, conc] => addr
            .parse::<SocketAddr>()
            .ok()
            .zip(secs.parse::<u64>().ok())
            .zip(conc.parse::<usize>().ok()),
        _ => None,
    };
    let Some(((addr, secs), concurrency)) = parsed.filter(|(_, c)| *c > 0) else {
        eprintln!("usage: handshake-load ADDR SECONDS CONCURRENCY (e.g. 127.0.0.1:8443 8 16)");
        return ExitCode::from(2);
    };
    let config = match config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("handshake-load: TLS configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("handshake-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let connector = TlsConnector::from(Arc::new(config));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    rt.block_on(async {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                tokio::spawn(worker(
                    addr,
                    connector.clone(),
                    deadline,
                    done.clone(),
                    failed.clone(),
                ))
            })
            .collect();
        for w in workers {
            let _ = w.await;
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    // Counts stay far below 2^52: the conversion is exact.
    let rate = u32::try_from(n).map_or(f64::INFINITY, f64::from) / elapsed;
    println!(
        "{n} handshakes in {elapsed:.2} s ({rate:.0}/s), {} failed",
        failed.load(Ordering::Relaxed)
    );
    ExitCode::SUCCESS
}
