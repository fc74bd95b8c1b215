//! Starting and stopping the whole proxy: static configuration → listeners, live state,
//! reload loop; SIGTERM/SIGINT → graceful drain.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rampart::middleware::Registry;
use rampart_config::provider::{FileProvider, FileWatcher, Snapshot};
use rampart_config::static_config::{EntryPoint, Protocol};
use rampart_config::{ConfigErrors, LoadedStatic, StaticConfig};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::live::Live;
use crate::logging::{self, LogSettings};
use crate::server::{self, ConnSettings, Drain, KeepAliveLimits, Listener, Timeouts, TlsAccept};
use crate::tls::Acceptor;

/// How to start the proxy.
pub struct Options {
    /// Traefik's static-configuration arguments (`--configFile=…`, `--entrypoints.…`).
    pub args: Vec<String>,
    /// The environment (`TRAEFIK_*`, DNS provider credentials, template `env`).
    pub env: BTreeMap<String, String>,
    /// Middleware constructors (built-ins plus the embedder's own).
    pub registry: Registry,
    /// Install the global log subscriber from the `log` section.
    pub install_logging: bool,
}

impl Options {
    /// Options for `args`, with the process environment and the built-in middlewares.
    pub fn from_args(args: Vec<String>) -> Self {
        Options {
            args,
            env: std::env::vars().collect(),
            registry: Registry::with_builtins(),
            install_logging: true,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The static configuration is invalid.
    #[error("{0}")]
    Config(ConfigErrors),
    /// The file provider could not start.
    #[error("file provider: {0}")]
    Provider(String),
    /// An entrypoint could not listen.
    #[error("entrypoint `{name}` ({address}): {source}")]
    Bind {
        /// The entrypoint.
        name: String,
        /// Its address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The log file could not be opened.
    #[error("log: {0}")]
    Log(std::io::Error),
}

/// A running proxy.
pub struct Running {
    addresses: BTreeMap<String, SocketAddr>,
    live: Arc<Live>,
    drain: Arc<Drain>,
    listeners: Vec<JoinHandle<()>>,
    reload: Option<JoinHandle<()>>,
    watcher: Option<FileWatcher>,
    grace: Duration,
    accept_grace: Duration,
    /// What the static configuration loaded from, and its warnings.
    pub loaded: LoadedStatic,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addresses", &self.addresses)
            .finish_non_exhaustive()
    }
}

/// Loads the static configuration, binds every entrypoint, compiles the dynamic configuration
/// and starts serving. Returns once everything listens.
pub async fn start(options: Options) -> Result<Running, StartError> {
    let loaded =
        StaticConfig::load(&options.args, options.env.clone()).map_err(StartError::Config)?;
    let config = Arc::new(loaded.config.clone());
    if options.install_logging {
        let log = &config.log;
        let level = format!("{:?}", log.level);
        let format = format!("{:?}", log.format);
        logging::init(&LogSettings {
            level: Some(&level),
            format: Some(&format),
            file_path: log.file_path.as_deref(),
            no_color: log.no_color,
        })
        .map_err(StartError::Log)?;
    }
    info!(source = %loaded.source, "static configuration loaded");
    for w in &loaded.warnings {
        warn!("static configuration: {w}");
    }

    // Every socket first: a port already taken fails the start before anything runs, an
    // entrypoint on port 0 gets its real port before anything (a redirection to it, `rampart
    // explain`) is compiled, and ACME (started with the live state) only orders once the
    // HTTP-01 and TLS-ALPN-01 entrypoints can answer the CA's validation.
    let mut config = (*config).clone();
    let mut bound: Vec<(Listener, Arc<ConnSettings>)> = Vec::new();
    for (name, ep) in &mut config.entry_points {
        if ep.address.protocol != Protocol::Tcp {
            warn!(entrypoint = %name, "UDP entrypoints are not supported yet; not listening");
            continue;
        }
        let address = address_of(ep);
        let listener = server::bind(name, &address)
            .await
            .map_err(|source| StartError::Bind {
                name: name.clone(),
                address: address.clone(),
                source,
            })?;
        info!(entrypoint = %name, address = %listener.local, "listening");
        ep.address.port = listener.local.port();
        bound.push((listener, Arc::new(settings_of(ep))));
    }
    let config = Arc::new(config);

    let (first, watcher) = dynamic_source(&config, &options.env)?;
    let registry = Arc::new(options.registry);
    let live = Arc::new(Live::new(config.clone(), registry, &options.env, &first));

    let drain = Arc::new(Drain::new());
    let mut addresses = BTreeMap::new();
    let mut listeners = Vec::new();
    for (listener, settings) in bound {
        addresses.insert(listener.name.to_string(), listener.local);
        let handler = live
            .handler(&listener.name)
            .expect("every entrypoint has a runtime");
        let tls: Arc<dyn TlsAccept> = Arc::new(Acceptor(
            live.tls()
                .acceptor(&listener.name)
                .expect("every entrypoint has a TLS acceptor"),
        ));
        listeners.push(tokio::spawn(listener.serve(
            handler,
            Some(tls),
            settings,
            drain.clone(),
        )));
    }

    let reload = watcher.as_ref().map(|w| {
        let mut rx = w.subscribe();
        let live = live.clone();
        tokio::spawn(async move {
            rx.borrow_and_update();
            while rx.changed().await.is_ok() {
                let snapshot = rx.borrow_and_update().clone();
                live.apply(&snapshot);
            }
        })
    });
    let grace = config
        .entry_points
        .values()
        .filter_map(|ep| ep.transport.grace_timeout.to_std())
        .max()
        .unwrap_or(Duration::from_secs(10));
    let accept_grace = config
        .entry_points
        .values()
        .filter_map(|ep| ep.transport.request_accept_grace_timeout.to_std())
        .max()
        .unwrap_or_default();
    Ok(Running {
        addresses,
        live,
        drain,
        listeners,
        reload,
        watcher,
        grace,
        accept_grace,
        loaded,
    })
}

/// The first dynamic snapshot, and the watcher publishing the next ones (`watch: true`).
fn dynamic_source(
    config: &StaticConfig,
    env: &BTreeMap<String, String>,
) -> Result<(Snapshot, Option<FileWatcher>), StartError> {
    let Some(file) = &config.providers.file else {
        let empty = Snapshot {
            generation: 1,
            config: rampart_config::DynamicConfig::default(),
            report: rampart_config::LoadReport::default(),
            changes: rampart_config::ConfigDiff::default(),
        };
        return Ok((empty, None));
    };
    if !file.watch {
        return Ok((
            FileProvider::load_once(file.source.clone(), env.clone()),
            None,
        ));
    }
    let throttle = config
        .providers
        .throttle_duration
        .to_std()
        .unwrap_or(Duration::from_secs(2));
    let watcher = FileProvider::new(file, env.clone())
        .watch(throttle)
        .map_err(|e| StartError::Provider(e.to_string()))?;
    let first = watcher.subscribe().borrow().clone();
    Ok((first, Some(watcher)))
}

fn address_of(ep: &EntryPoint) -> String {
    let host = &ep.address.host;
    if host.contains(':') {
        format!("[{host}]:{}", ep.address.port)
    } else {
        format!("{host}:{}", ep.address.port)
    }
}

fn settings_of(ep: &EntryPoint) -> ConnSettings {
    let t = &ep.transport;
    let limit = |d: rampart_config::Duration| d.to_std().filter(|d| !d.is_zero());
    ConnSettings::new(
        Timeouts {
            read: limit(t.read_timeout),
            write: limit(t.write_timeout),
            idle: limit(t.idle_timeout),
        },
        KeepAliveLimits {
            max_requests: t.keep_alive_max_requests,
            max_time: limit(t.keep_alive_max_time),
        },
        usize::try_from(ep.http.max_header_bytes).unwrap_or(usize::MAX),
        ep.http2.max_concurrent_streams,
    )
}

impl Running {
    /// Where entrypoint `name` listens.
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.addresses.get(name).copied()
    }

    /// Every entrypoint's address.
    pub fn addresses(&self) -> &BTreeMap<String, SocketAddr> {
        &self.addresses
    }

    /// The live state.
    pub fn live(&self) -> &Arc<Live> {
        &self.live
    }

    /// How many client connections are open (upgraded ones, such as websockets, are no longer
    /// counted: like Go's hijacked connections, they live on their own).
    pub fn connections(&self) -> usize {
        self.drain.connections()
    }

    /// Stops gracefully: `ping` answers its terminating status; listeners keep accepting for
    /// `requestAcceptGraceTimeout`, then close; connections are asked to finish (HTTP/1 after
    /// the response in flight, HTTP/2 with `GOAWAY`) and get up to `graceTimeOut`; whatever is
    /// still open then is cut.
    pub async fn stop(self) {
        let Running {
            live,
            drain,
            listeners,
            reload,
            watcher,
            grace,
            accept_grace,
            ..
        } = self;
        live.set_shutting_down();
        if !accept_grace.is_zero() {
            info!(
                ?accept_grace,
                "still accepting requests before closing the listeners"
            );
            tokio::time::sleep(accept_grace).await;
        }
        drain.start();
        for l in listeners {
            let _ = l.await;
        }
        if let Some(r) = reload {
            r.abort();
        }
        if let Some(w) = watcher {
            w.stop();
        }
        info!(
            connections = drain.connections(),
            ?grace,
            "listeners closed; waiting for requests in flight"
        );
        if tokio::time::timeout(grace, drain.drained()).await.is_err() {
            warn!(
                connections = drain.connections(),
                ?grace,
                "grace period over; closing the remaining connections"
            );
            drain.cut();
            // Cut connections end at their next poll; give them a moment to go.
            let _ = tokio::time::timeout(Duration::from_secs(5), drain.drained()).await;
        }
        info!("stopped");
    }
}

/// Runs the proxy until SIGTERM or SIGINT, then stops gracefully.
pub async fn run(options: Options) -> Result<(), StartError> {
    let running = start(options).await?;
    wait_for_signal().await;
    info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
