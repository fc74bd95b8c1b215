//! Slow and stalled handshakes (attack case G2) are cut at the handshake deadline.

use std::time::Duration;

use rampart_testkit::TestCa;
use rampart_tls::AcceptError;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout};

use crate::rig::{Client, PATIENCE, Server, setup, spec_with};

const DEADLINE: Duration = Duration::from_millis(300);

async fn server() -> Server {
    let cert = TestCa::new("deadline ca").server_cert(&["slow.example.test"]);
    let s = setup(&spec_with(&[&cert], &[]), &[]);
    Server::start(s.acceptor.with_handshake_timeout(DEADLINE)).await
}

/// The bytes of a real `ClientHello` record.
fn client_hello() -> Vec<u8> {
    let config = Client::any_server().config();
    let name = ServerName::try_from("slow.example.test").unwrap();
    let mut conn = rustls::ClientConnection::new(config, name).unwrap();
    let mut out = Vec::new();
    conn.write_tls(&mut out).unwrap();
    out
}

/// Waits for the server to close the connection; how long it took.
async fn closed_after(tcp: &mut TcpStream, started: Instant) -> Duration {
    let mut buf = [0u8; 64];
    loop {
        match timeout(PATIENCE, tcp.read(&mut buf))
            .await
            .expect("closed in time")
        {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

fn assert_timed_out(outcome: Result<rampart_tls::TlsConnInfo, AcceptError>) {
    match outcome {
        Err(AcceptError::Timeout(d)) => assert_eq!(d, DEADLINE),
        other => panic!("expected a handshake timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_connection_is_closed_at_the_deadline() {
    let mut server = server().await;
    let started = Instant::now();
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let took = closed_after(&mut tcp, started).await;
    assert!(took >= DEADLINE, "closed before the deadline: {took:?}");
    assert_timed_out(server.outcome().await);
}

#[tokio::test]
async fn half_a_client_hello_is_closed_at_the_deadline() {
    let mut server = server().await;
    let hello = client_hello();
    let started = Instant::now();
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(&hello[..hello.len() / 2]).await.unwrap();
    let took = closed_after(&mut tcp, started).await;
    assert!(took >= DEADLINE, "{took:?}");
    assert_timed_out(server.outcome().await);
}

#[tokio::test]
async fn a_drip_fed_client_hello_is_closed_at_the_deadline_though_bytes_keep_coming() {
    let mut server = server().await;
    let hello = client_hello();
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    // One byte every 50 ms would take many seconds; the deadline covers the whole handshake,
    // not the gap between bytes.
    let mut sent = 0;
    for byte in &hello {
        if tcp.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        sleep(Duration::from_millis(50)).await;
        if sent * 50 > 20_000 {
            break;
        }
    }
    assert!(
        sent < hello.len(),
        "the server let the whole drip-fed hello in"
    );
    assert_timed_out(server.outcome().await);
}
