//! The smaller static sections: `global`, `providers`, `api`, `ping`, `serversTransport`,
//! `hostResolver`, `core`.

use std::path::PathBuf;

use super::defaults as d;
use super::raw::{
    RawApi, RawForwardingTimeouts, RawGlobal, RawHostResolver, RawPing, RawProviders,
    RawServersTransport,
};
use crate::diag::Diagnostics;
use crate::duration::Duration;
use crate::types::{FileOrContent, ForwardingTimeouts};

/// `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Global {
    /// `checkNewVersion` (rampart never phones home; kept for `check` output).
    pub check_new_version: bool,
    /// `sendAnonymousUsage` (rampart never sends any).
    pub send_anonymous_usage: bool,
    /// `notAppendXForwardedFor` for every entry point.
    pub not_append_x_forwarded_for: bool,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            check_new_version: d::CHECK_NEW_VERSION,
            send_anonymous_usage: false,
            not_append_x_forwarded_for: false,
        }
    }
}

/// `providers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Providers {
    /// `providersThrottleDuration`: the quiet time before a provider change is applied.
    pub throttle_duration: Duration,
    /// `precedence`: provider order for routers of equal priority (lower-cased).
    pub precedence: Vec<String>,
    /// `file`.
    pub file: Option<FileProviderConfig>,
}

impl Default for Providers {
    fn default() -> Self {
        Providers {
            throttle_duration: d::PROVIDERS_THROTTLE_DURATION,
            precedence: d::PROVIDERS_PRECEDENCE
                .iter()
                .map(|&s| s.to_owned())
                .collect(),
            file: None,
        }
    }
}

/// `providers.file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProviderConfig {
    /// One file, or a directory of them.
    pub source: FileSource,
    /// Reload on change.
    pub watch: bool,
    /// Log each file's rendered template at debug level.
    pub debug_log_generated_template: bool,
}

/// Where the file provider reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// `filename`.
    File(PathBuf),
    /// `directory` (recursive).
    Directory(PathBuf),
}

/// `api`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(clippy::struct_excessive_bools, reason = "mirrors Traefik's switches")]
pub struct Api {
    /// Serve the dashboard (`dashboard@internal`).
    pub dashboard: bool,
    /// Serve the API and dashboard on the `traefik` entry point without a router.
    pub insecure: bool,
    /// Serve `/debug/` endpoints.
    pub debug: bool,
    /// Path prefix of the API and dashboard.
    pub base_path: String,
    /// `disableDashboardAd`.
    pub disable_dashboard_ad: bool,
    /// `dashboardName`.
    pub dashboard_name: String,
}

/// `ping`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// Entry point of the automatic `/ping` router.
    pub entry_point: String,
    /// No automatic router: the user routes to `ping@internal`.
    pub manual_routing: bool,
    /// Status answered while shutting down.
    pub terminating_status_code: u16,
}

/// `serversTransport`: the defaults of the `default@internal` servers transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServersTransport {
    /// Do not verify upstream certificates.
    pub insecure_skip_verify: bool,
    /// Extra CAs for upstream certificates.
    pub root_cas: Vec<FileOrContent>,
    /// Idle connections kept per host (negative: no reuse).
    pub max_idle_conns_per_host: i64,
    /// Timeouts.
    pub forwarding_timeouts: ForwardingTimeouts,
}

impl Default for ServersTransport {
    fn default() -> Self {
        ServersTransport {
            insecure_skip_verify: false,
            root_cas: Vec::new(),
            max_idle_conns_per_host: d::MAX_IDLE_CONNS_PER_HOST,
            forwarding_timeouts: ForwardingTimeouts::default(),
        }
    }
}

/// `hostResolver`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostResolver {
    /// Follow CNAMEs when matching hosts.
    pub cname_flattening: bool,
    /// resolv.conf to read.
    pub resolv_config: PathBuf,
    /// Maximum CNAME depth.
    pub resolv_depth: u32,
}

/// `core`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Core {
    /// `defaultRuleSyntax` for routers without `ruleSyntax`.
    pub default_rule_syntax: crate::RuleSyntax,
}

pub(super) fn build_global(raw: &RawGlobal) -> Global {
    Global {
        check_new_version: raw.check_new_version.unwrap_or(d::CHECK_NEW_VERSION),
        send_anonymous_usage: raw.send_anonymous_usage.unwrap_or(false),
        not_append_x_forwarded_for: raw.not_append_x_forwarded_for.unwrap_or(false),
    }
}

pub(super) fn build_providers(raw: RawProviders, d: &mut Diagnostics<'_>) -> Providers {
    for (name, present) in [
        ("docker", raw.docker.is_some()),
        ("swarm", raw.swarm.is_some()),
        ("kubernetesIngress", raw.kubernetes_ingress.is_some()),
        (
            "kubernetesIngressNGINX",
            raw.kubernetes_ingress_nginx.is_some(),
        ),
        ("kubernetesCRD", raw.kubernetes_crd.is_some()),
        ("kubernetesGateway", raw.kubernetes_gateway.is_some()),
        ("knative", raw.knative.is_some()),
        ("rest", raw.rest.is_some()),
        ("consulCatalog", raw.consul_catalog.is_some()),
        ("nomad", raw.nomad.is_some()),
        ("ecs", raw.ecs.is_some()),
        ("consul", raw.consul.is_some()),
        ("etcd", raw.etcd.is_some()),
        ("zooKeeper", raw.zoo_keeper.is_some()),
        ("redis", raw.redis.is_some()),
        ("http", raw.http.is_some()),
        ("plugin", raw.plugin.is_some()),
    ] {
        if present {
            d.unsupported(&format!("providers.{name}"));
        }
    }
    let mut providers = Providers::default();
    if let Some(t) = raw.providers_throttle_duration {
        providers.throttle_duration = t;
    }
    if let Some(precedence) = raw.precedence {
        providers.precedence = Vec::new();
        for (i, name) in precedence.iter().enumerate() {
            let lower = name.to_ascii_lowercase();
            if d::PROVIDERS_PRECEDENCE.contains(&lower.as_str()) {
                providers.precedence.push(lower);
            } else {
                d.error(
                    &format!("providers.precedence[{i}]"),
                    format!("`{name}` is not a provider name"),
                );
            }
        }
    }
    if let Some(file) = raw.file {
        let directory = file.directory.filter(|s| !s.is_empty());
        let filename = file.filename.filter(|s| !s.is_empty());
        let source = match (directory, filename) {
            (Some(dir), None) => Some(FileSource::Directory(PathBuf::from(dir))),
            (None, Some(file)) => Some(FileSource::File(PathBuf::from(file))),
            (Some(_), Some(_)) => {
                d.error(
                    "providers.file",
                    "`directory` and `filename` are mutually exclusive",
                );
                None
            }
            (None, None) => {
                d.error(
                    "providers.file",
                    "one of `directory` or `filename` is required",
                );
                None
            }
        };
        providers.file = source.map(|source| FileProviderConfig {
            source,
            watch: file.watch.unwrap_or(d::FILE_PROVIDER_WATCH),
            debug_log_generated_template: file.debug_log_generated_template.unwrap_or(false),
        });
    }
    providers
}

/// Traefik's `validBasePath`: `^/[a-zA-Z0-9/_.:~-]*$`.
fn valid_base_path(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.:~-".contains(&b))
}

pub(super) fn build_api(raw: RawApi, d: &mut Diagnostics<'_>) -> Api {
    let base_path = raw
        .base_path
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| d::API_BASE_PATH.to_owned());
    if !valid_base_path(&base_path) {
        d.error(
            "api.basePath",
            format!("`{base_path}` is not an absolute URL path"),
        );
    }
    Api {
        dashboard: raw.dashboard.unwrap_or(d::API_DASHBOARD),
        insecure: raw.insecure.unwrap_or(false),
        debug: raw.debug.unwrap_or(false),
        base_path,
        disable_dashboard_ad: raw.disable_dashboard_ad.unwrap_or(false),
        dashboard_name: raw.dashboard_name.unwrap_or_default(),
    }
}

pub(super) fn build_ping(raw: RawPing, d: &mut Diagnostics<'_>) -> Ping {
    let code = match raw.terminating_status_code {
        None | Some(0) => d::PING_TERMINATING_STATUS_CODE,
        Some(c) => u16::try_from(c)
            .ok()
            .filter(|c| (100..=999).contains(c))
            .unwrap_or_else(|| {
                d.error(
                    "ping.terminatingStatusCode",
                    format!("{c} is not an HTTP status code"),
                );
                d::PING_TERMINATING_STATUS_CODE
            }),
    };
    Ping {
        entry_point: raw
            .entry_point
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| d::PING_ENTRY_POINT.to_owned()),
        manual_routing: raw.manual_routing.unwrap_or(false),
        terminating_status_code: code,
    }
}

/// `forwardingTimeouts`, defaults applied (shared with dynamic servers transports).
pub(crate) fn build_forwarding_timeouts(raw: Option<RawForwardingTimeouts>) -> ForwardingTimeouts {
    let dflt = ForwardingTimeouts::default();
    let Some(raw) = raw else { return dflt };
    ForwardingTimeouts {
        dial_timeout: raw.dial_timeout.unwrap_or(dflt.dial_timeout),
        response_header_timeout: raw
            .response_header_timeout
            .unwrap_or(dflt.response_header_timeout),
        idle_conn_timeout: raw.idle_conn_timeout.unwrap_or(dflt.idle_conn_timeout),
        read_idle_timeout: raw.read_idle_timeout.unwrap_or(dflt.read_idle_timeout),
        ping_timeout: raw.ping_timeout.unwrap_or(dflt.ping_timeout),
    }
}

pub(super) fn build_servers_transport(
    raw: RawServersTransport,
    d: &mut Diagnostics<'_>,
) -> ServersTransport {
    if raw.spiffe.is_some() {
        d.unsupported("serversTransport.spiffe");
    }
    ServersTransport {
        insecure_skip_verify: raw.insecure_skip_verify.unwrap_or(false),
        root_cas: raw.root_cas.unwrap_or_default(),
        max_idle_conns_per_host: match raw.max_idle_conns_per_host {
            None | Some(0) => d::MAX_IDLE_CONNS_PER_HOST,
            Some(n) => n,
        },
        forwarding_timeouts: build_forwarding_timeouts(raw.forwarding_timeouts),
    }
}

pub(super) fn build_host_resolver(raw: RawHostResolver, d: &mut Diagnostics<'_>) -> HostResolver {
    HostResolver {
        cname_flattening: raw.cname_flattening.unwrap_or(false),
        resolv_config: PathBuf::from(
            raw.resolv_config
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| d::RESOLV_CONFIG.to_owned()),
        ),
        resolv_depth: match raw.resolv_depth {
            None | Some(0) => d::RESOLV_DEPTH,
            Some(n) => u32::try_from(n).unwrap_or_else(|_| {
                d.error("hostResolver.resolvDepth", format!("{n} is out of range"));
                d::RESOLV_DEPTH
            }),
        },
    }
}
