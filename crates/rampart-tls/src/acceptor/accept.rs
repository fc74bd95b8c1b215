//! The per-connection handshake: read the `ClientHello`, choose the configuration, finish.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::server::TlsStream;

use super::config::{AcceptorConfig, Choice};
use super::info::TlsConnInfo;
use crate::AcceptError;
use crate::names::normalize;

/// Terminates TLS on accepted connections, choosing the TLS options per SNI (Traefik's
/// per-router options) and the certificate per SNI, under one deadline for the whole handshake.
///
/// The configuration is swapped whole on reload ([`swap`](Self::swap)); each connection reads
/// it once, when its `ClientHello` arrives, and established connections are never touched.
/// Clones share the configuration.
///
/// ```no_run
/// # async fn serve(config: rampart_tls::AcceptorConfig) -> std::io::Result<()> {
/// use rampart_tls::TlsAcceptor;
///
/// let acceptor = TlsAcceptor::new(config);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
/// loop {
///     let (tcp, _peer) = listener.accept().await?;
///     let local = tcp.local_addr().ok().map(|a| a.ip());
///     let acceptor = acceptor.clone();
///     tokio::spawn(async move {
///         match acceptor.accept(tcp, local).await {
///             Ok(accepted) => { /* hand accepted.stream to hyper; accepted.info to ConnInfo */ }
///             Err(e) if e.is_failure() => tracing::debug!("{e}"),
///             Err(_) => {} // an ACME TLS-ALPN-01 validation, answered
///         }
///     });
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TlsAcceptor {
    config: Arc<ArcSwap<AcceptorConfig>>,
    handshake_timeout: Duration,
}

/// A TLS connection ready for HTTP, and what its handshake established.
#[derive(Debug)]
#[non_exhaustive]
pub struct Accepted<IO> {
    /// The decrypted stream.
    pub stream: TlsStream<IO>,
    /// SNI, ALPN, version, cipher, options, client certificates.
    pub info: TlsConnInfo,
}

impl TlsAcceptor {
    /// The handshake deadline unless [`with_handshake_timeout`](Self::with_handshake_timeout)
    /// says otherwise: generous for a slow mobile link (a handshake is two round trips), short
    /// enough that stalled connections (attack case G2) do not pile up.
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

    /// An acceptor serving `config` (and, if it was [built](AcceptorConfig::build), its file
    /// certificates).
    pub fn new(mut config: AcceptorConfig) -> Self {
        config.publish_files();
        TlsAcceptor {
            config: Arc::new(ArcSwap::from_pointee(config)),
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// Sets the deadline for the whole handshake, from the first byte awaited to the last.
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Replaces the configuration (and, if it was [built](AcceptorConfig::build), the file
    /// certificates) for the handshakes that start from now on.
    pub fn swap(&self, mut config: AcceptorConfig) {
        config.publish_files();
        self.config.store(Arc::new(config));
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<AcceptorConfig> {
        self.config.load_full()
    }

    /// Runs the server side of a handshake on `io`. `local_ip` is the address the connection
    /// was accepted on: without SNI, a certificate naming that IP is served (as in Traefik).
    pub async fn accept<IO>(
        &self,
        io: IO,
        local_ip: Option<IpAddr>,
    ) -> Result<Accepted<IO>, AcceptError>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let deadline = Instant::now() + self.handshake_timeout;
        let timeout = || AcceptError::Timeout(self.handshake_timeout);
        // rustls reassembles a ClientHello split across records, so SNI and ALPN are read from
        // the whole message (Traefik's own peek got fragmented hellos wrong: CVE-2026-32305).
        let start = timeout_at(
            deadline,
            LazyConfigAcceptor::new(rustls::server::Acceptor::default(), io),
        )
        .await
        .map_err(|_| timeout())?
        .map_err(|source| AcceptError::Handshake {
            server_name: None,
            options: None,
            source,
        })?;

        let config = self.config.load_full();
        let (server_name, choice) = {
            let hello = start.client_hello();
            let server_name: Option<Arc<str>> = hello
                .server_name()
                .map(|n| Arc::from(normalize(n).as_ref()));
            let choice = config.choose(&hello, server_name.as_deref(), local_ip);
            (server_name, choice)
        };
        let failed = |options: Option<&str>| {
            let server_name = server_name.as_deref().map(str::to_owned);
            let options = options.map(str::to_owned);
            move |source| AcceptError::Handshake {
                server_name,
                options,
                source,
            }
        };

        match choice {
            Choice::Serve { options, config } => {
                let stream = timeout_at(deadline, start.into_stream(config))
                    .await
                    .map_err(|_| timeout())?
                    .map_err(failed(Some(&options)))?;
                let info = TlsConnInfo::of(stream.get_ref().1, server_name, options);
                Ok(Accepted { stream, info })
            }
            Choice::Challenge(config) => {
                let mut stream = timeout_at(deadline, start.into_stream(config))
                    .await
                    .map_err(|_| timeout())?
                    .map_err(failed(None))?;
                // RFC 8737 §3: the validation ends with the handshake; close it cleanly.
                let _ = timeout_at(deadline, stream.shutdown()).await;
                Err(AcceptError::AcmeChallengeAnswered {
                    server_name: server_name.as_deref().map(str::to_owned),
                })
            }
            Choice::Refuse { options, config } => {
                tracing::debug!(
                    sni = server_name.as_deref(),
                    options = &*options,
                    "TLS options unusable, refusing the handshake"
                );
                // The handshake fails inside rustls, which sends the client an alert.
                let _ = timeout_at(deadline, start.into_stream(config)).await;
                Err(AcceptError::Refused {
                    server_name: server_name.as_deref().map(str::to_owned),
                    options: options.to_string(),
                })
            }
        }
    }
}
