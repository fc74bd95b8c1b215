//! Certificates and configurations swapped while handshakes run.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rampart_testkit::TestCa;
use rampart_tls::TlsSpec;
use tokio::io::AsyncWriteExt;

use crate::rig::{Client, Server, config_for, connect, exchange, read_line, setup, spec_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_swapped_under_load_fail_no_handshake() {
    const CLIENTS: usize = 8;
    const ROUNDS: usize = 25;
    let ca = TestCa::new("swap ca");
    let versions: Vec<_> = (0..3)
        .map(|_| ca.server_cert(&["swap.example.test"]))
        .collect();
    let s = setup(&spec_with(&[&versions[0]], &[]), &[]);
    let server = Server::start(s.acceptor.clone()).await;
    let addr = server.addr;

    // Swapper: alternates the file certificate (reload), an ACME certificate for the same name,
    // and whole acceptor configurations, as fast as it can, until the clients are done.
    let done = Arc::new(AtomicBool::new(false));
    let swapper = {
        let done = done.clone();
        let store = s.store.clone();
        let challenges = s.challenges.clone();
        let acceptor = s.acceptor.clone();
        let versions = versions.clone();
        tokio::spawn(async move {
            let mut swaps = 0usize;
            while !done.load(Ordering::Relaxed) {
                let v = &versions[swaps % versions.len()];
                let spec: TlsSpec = spec_with(&[v], &[]);
                match swaps % 3 {
                    0 => {
                        store.load_files(&spec.certificates, &spec.stores);
                    }
                    1 => {
                        store.remove_acme("le", "swap.example.test");
                        let w = &versions[(swaps + 1) % versions.len()];
                        store
                            .upsert_acme_pem(
                                "le",
                                "swap.example.test",
                                w.cert_pem.as_bytes(),
                                w.key_pem.as_bytes(),
                            )
                            .unwrap();
                    }
                    _ => {
                        let (config, report) = config_for(&spec, &[], &store, &challenges);
                        assert!(report.is_ok());
                        acceptor.swap(config);
                    }
                }
                swaps += 1;
                tokio::task::yield_now().await;
            }
            swaps
        })
    };

    let config = Client::trusting(&ca).config();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let config = config.clone();
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..ROUNDS {
                // A fresh config each time would also do; this one resumes some sessions, so
                // use full handshakes: no session cache shared between rounds.
                let fresh = Arc::new(rustls::ClientConfig::clone(&config));
                let got = exchange(addr, fresh, Some("swap.example.test")).await;
                seen.push(got.map(|s| s.leaf));
            }
            seen
        }));
    }
    let mut failures = Vec::new();
    let mut leaves = HashSet::new();
    for c in clients {
        for r in c.await.unwrap() {
            match r {
                Ok(leaf) => {
                    leaves.insert(leaf);
                }
                Err(e) => failures.push(e),
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let swaps = swapper.await.unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} handshakes failed: {:?}",
        failures.len(),
        CLIENTS * ROUNDS,
        &failures[..failures.len().min(3)]
    );
    assert!(
        swaps > 10,
        "the store was swapped during the load ({swaps} swaps)"
    );
    assert!(
        leaves.len() > 1,
        "clients saw the certificates change ({} distinct)",
        leaves.len()
    );
}

#[tokio::test]
async fn established_connections_survive_certificate_and_configuration_swaps() {
    let ca = TestCa::new("swap ca");
    let before = ca.server_cert(&["live.example.test"]);
    let after = ca.server_cert(&["live.example.test"]);
    let s = setup(&spec_with(&[&before], &[]), &[]);
    let server = Server::start(s.acceptor.clone()).await;

    let mut live = connect(
        server.addr,
        Client::trusting(&ca).config(),
        Some("live.example.test"),
    )
    .await
    .unwrap();
    read_line(&mut live).await.unwrap();

    let spec = spec_with(&[&after], &[]);
    s.store.load_files(&spec.certificates, &spec.stores);
    let (config, _) = config_for(&spec, &[], &s.store, &s.challenges);
    s.acceptor.swap(config);

    // New handshakes see the new certificate…
    let seen = exchange(
        server.addr,
        Client::trusting(&ca).config(),
        Some("live.example.test"),
    )
    .await
    .unwrap();
    assert_eq!(seen.leaf, after.cert_der.to_vec());
    // …and the old connection carries on.
    live.write_all(b"still here\n").await.unwrap();
    live.flush().await.unwrap();
    assert_eq!(read_line(&mut live).await.unwrap(), "still here");
    assert_eq!(
        live.get_ref().1.peer_certificates().unwrap()[0],
        before.cert_der
    );
}

#[tokio::test]
async fn a_built_configuration_changes_nothing_until_it_is_swapped_in() {
    let ca = TestCa::new("swap ca");
    let old = ca.server_cert(&["build.example.test"]);
    let new = ca.server_cert(&["build.example.test"]);
    let s = setup(&spec_with(&[&old], &[]), &[]);
    let server = Server::start(s.acceptor.clone()).await;
    let client = Client::trusting(&ca);

    // Built (say, for a reload that another part of the configuration then rejects)…
    let (config, report) = config_for(&spec_with(&[&new], &[]), &[], &s.store, &s.challenges);
    assert!(report.is_ok());
    let seen = exchange(server.addr, client.config(), Some("build.example.test"))
        .await
        .unwrap();
    assert_eq!(
        seen.leaf,
        old.cert_der.to_vec(),
        "building alone serves nothing new"
    );

    // …and swapped in.
    s.acceptor.swap(config);
    let seen = exchange(server.addr, client.config(), Some("build.example.test"))
        .await
        .unwrap();
    assert_eq!(seen.leaf, new.cert_der.to_vec());
}
