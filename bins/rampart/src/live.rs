//! The live state: the runtime every listener serves from, and how a new configuration
//! snapshot replaces it (compile fully, then swap; TLS and ACME follow).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use rampart::compile::{self, CompileInput, InternalServices, TlsRouter};
use rampart::middleware::Registry;
use rampart::runtime::{EntrypointRuntime, Report, Runtime};
use rampart::{Request, Response};
use rampart_config::provider::Snapshot;
use rampart_config::{DynamicConfig, StaticConfig};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::acme::Acme;
use crate::server::Handler;
use crate::tls::Tls;

/// What every listener serves from.
pub struct Live {
    static_config: Arc<StaticConfig>,
    registry: Arc<Registry>,
    internal: InternalServices,
    entrypoints: HashMap<String, Arc<ArcSwap<EntrypointRuntime>>>,
    /// The whole current runtime (its health checks run while it is held).
    current: Mutex<Runtime>,
    tls: Tls,
    acme: Acme,
    generation: watch::Sender<u64>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("generation", &*self.generation.borrow())
            .finish_non_exhaustive()
    }
}

/// Compiles `dynamic` against the static configuration.
pub fn compile_snapshot(
    static_config: &StaticConfig,
    dynamic: &DynamicConfig,
    registry: &Registry,
    internal: &InternalServices,
    start_health_checks: bool,
) -> compile::Compiled {
    compile::compile(&CompileInput {
        static_config,
        dynamic,
        registry,
        internal,
        start_health_checks,
    })
}

impl Live {
    /// The first live state, from the first snapshot.
    pub fn new(
        static_config: Arc<StaticConfig>,
        registry: Arc<Registry>,
        env: &BTreeMap<String, String>,
        first: &Snapshot,
    ) -> Self {
        let mut internal = InternalServices::default();
        // TLS first (ACME fills its store), then ACME, whose HTTP-01 service the routers need.
        let (tls, tls_report) = Tls::new(
            static_config.entry_points.keys().map(String::as_str),
            &DynamicConfig::default(),
            &[],
        );
        log_tls_report(&tls_report);
        let (acme, _) = Acme::start(&static_config, env, &tls.store, &tls.challenges);
        internal
            .extra
            .insert("acme-http@internal".to_owned(), acme.http_endpoint());
        let compiled = compile_snapshot(&static_config, &first.config, &registry, &internal, true);
        let entrypoints = compiled
            .runtime
            .entrypoints()
            .map(|ep| (ep.name().to_owned(), Arc::new(ArcSwap::new(ep.clone()))))
            .collect();
        let live = Live {
            static_config,
            registry,
            internal,
            entrypoints,
            current: Mutex::new(Runtime::default()),
            tls,
            acme,
            generation: watch::channel(first.generation).0,
        };
        live.finish(first, compiled);
        live
    }

    /// Compiles a new snapshot and swaps it in. Objects that fail to compile are reported and
    /// left out (their routers 404); requests in flight finish on the runtime they started on.
    pub fn apply(&self, snapshot: &Snapshot) {
        let compiled = compile_snapshot(
            &self.static_config,
            &snapshot.config,
            &self.registry,
            &self.internal,
            true,
        );
        for ep in compiled.runtime.entrypoints() {
            if let Some(slot) = self.entrypoints.get(ep.name()) {
                slot.store(ep.clone());
            }
        }
        self.finish(snapshot, compiled);
    }

    fn finish(&self, snapshot: &Snapshot, compiled: compile::Compiled) {
        let compile::Compiled {
            runtime,
            report,
            tls_routers,
        } = compiled;
        log_snapshot(snapshot, &report);
        log_tls_report(&self.tls.reload(&snapshot.config, &tls_routers));
        self.acme.set_domains(&self.static_config, &tls_routers);
        // Replacing the runtime drops the previous one's health checks.
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = runtime;
        self.generation.send_replace(snapshot.generation);
    }

    /// The handler of entrypoint `name`.
    pub fn handler(&self, name: &str) -> Option<Arc<EntrypointHandler>> {
        let slot = self.entrypoints.get(name)?.clone();
        Some(Arc::new(EntrypointHandler(slot)))
    }

    /// The TLS state.
    pub fn tls(&self) -> &Tls {
        &self.tls
    }

    /// Flags `ping@internal` as terminating.
    pub fn set_shutting_down(&self) {
        self.internal
            .shutting_down
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// The generation of the snapshot being served (bumps on every applied reload).
    pub fn generation(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// The TLS routers of the snapshot being served… recomputed on demand (for tests and the
    /// API): cheap compared with a reload.
    pub fn tls_routers(&self, dynamic: &DynamicConfig) -> Vec<TlsRouter> {
        compile_snapshot(
            &self.static_config,
            dynamic,
            &self.registry,
            &self.internal,
            false,
        )
        .tls_routers
    }
}

/// Serves requests of one entrypoint from whatever runtime is current when they arrive.
#[derive(Debug)]
pub struct EntrypointHandler(Arc<ArcSwap<EntrypointRuntime>>);

impl Handler for EntrypointHandler {
    fn handle(&self, req: Request) -> impl Future<Output = Response> + Send + use<> {
        let ep = self.0.load_full();
        async move { ep.handle(req).await }
    }
}

fn log_snapshot(snapshot: &Snapshot, report: &Report) {
    for e in &snapshot.report.errors {
        error!("configuration: {e}");
    }
    for w in &snapshot.report.warnings {
        warn!("configuration: {w}");
    }
    for p in report.errors() {
        error!("{}", crate::check::describe(p, &snapshot.config));
    }
    for p in report.warnings() {
        warn!("{}", crate::check::describe(p, &snapshot.config));
    }
    let active = report
        .routers
        .iter()
        .filter(|r| r.active && !r.internal)
        .count();
    info!(
        generation = snapshot.generation,
        routers = active,
        changes = %snapshot.changes,
        "configuration applied"
    );
}

fn log_tls_report(report: &rampart_tls::Report) {
    for w in &report.warnings {
        warn!("tls: {w}");
    }
    for e in &report.errors {
        error!("tls: {e}");
    }
}
