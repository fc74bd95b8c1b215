//! Traefik's static defaults, in one place (`SetDefaults` in `pkg/config/static`, the providers,
//! `pkg/ping`, `pkg/observability/types`, `pkg/provider/acme`). A default applies when its
//! section is present and the key is not; see `tests` below for each value's source.

use crate::duration::Duration;

/// The entry point created when none is configured (`http` on `:80`).
pub const DEFAULT_ENTRY_POINT: (&str, &str) = ("http", ":80");
/// The internal entry point `api.insecure` and `ping` use by default, and its address.
pub const INTERNAL_ENTRY_POINT: (&str, &str) = ("traefik", ":8080");

/// `transport.respondingTimeouts.readTimeout` (since CVE-2024-28869).
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// `transport.respondingTimeouts.writeTimeout`: none.
pub const WRITE_TIMEOUT: Duration = Duration::ZERO;
/// `transport.respondingTimeouts.idleTimeout`.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(180);
/// `transport.lifeCycle.requestAcceptGraceTimeout`.
pub const REQUEST_ACCEPT_GRACE_TIMEOUT: Duration = Duration::ZERO;
/// `transport.lifeCycle.graceTimeOut`.
pub const GRACE_TIMEOUT: Duration = Duration::from_secs(10);

/// `http.maxHeaderBytes` (Go's `http.DefaultMaxHeaderBytes`).
pub const MAX_HEADER_BYTES: u64 = 1 << 20;
/// `http.sanitizePath`.
pub const SANITIZE_PATH: bool = true;
/// `http.encodedCharacters.allowEncoded*` (all allowed since Traefik v3.6.7).
pub const ALLOW_ENCODED_CHARACTERS: bool = true;

/// `http2.maxConcurrentStreams` (Go's x/net/http2 default).
pub const HTTP2_MAX_CONCURRENT_STREAMS: u32 = 250;
/// `http2.maxDecoderHeaderTableSize` and `maxEncoderHeaderTableSize`.
pub const HTTP2_HEADER_TABLE_SIZE: u32 = 4096;

/// `http.redirections.entryPoint.scheme`.
pub const REDIRECT_SCHEME: &str = "https";
/// `http.redirections.entryPoint.permanent`.
pub const REDIRECT_PERMANENT: bool = true;
/// `http.redirections.entryPoint.priority`: Go's `math.MaxInt - 1`.
pub const REDIRECT_PRIORITY: i64 = i64::MAX - 1;

/// `providers.providersThrottleDuration`.
pub const PROVIDERS_THROTTLE_DURATION: Duration = Duration::from_secs(2);
/// `providers.precedence`.
pub const PROVIDERS_PRECEDENCE: &[&str] = &[
    "kubernetesgateway",
    "kubernetescrd",
    "kubernetes",
    "kubernetesingressnginx",
    "swarm",
    "docker",
    "file",
    "redis",
    "knative",
    "consul",
    "consulcatalog",
    "nomad",
    "etcd",
    "ecs",
    "http",
    "zookeeper",
    "rest",
];
/// `providers.file.watch`.
pub const FILE_PROVIDER_WATCH: bool = true;

/// `api.dashboard`.
pub const API_DASHBOARD: bool = true;
/// `api.basePath`.
pub const API_BASE_PATH: &str = "/";

/// `ping.entryPoint`.
pub const PING_ENTRY_POINT: &str = "traefik";
/// `ping.terminatingStatusCode`.
pub const PING_TERMINATING_STATUS_CODE: u16 = 503;

/// `log.maxSize` when 0 or unset: lumberjack's 100 MB.
pub const LOG_MAX_SIZE_MB: u64 = 100;

/// `certificatesResolvers.*.acme.caServer`.
pub const ACME_CA_SERVER: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// `certificatesResolvers.*.acme.storage`.
pub const ACME_STORAGE: &str = "acme.json";
/// `certificatesResolvers.*.acme.certificatesDuration`, in hours (90 days).
pub const ACME_CERTIFICATES_DURATION_HOURS: i64 = 90 * 24;
/// `certificatesResolvers.*.acme.clientTimeout`.
pub const ACME_CLIENT_TIMEOUT: Duration = Duration::from_secs(120);
/// `certificatesResolvers.*.acme.clientResponseHeaderTimeout`.
pub const ACME_CLIENT_RESPONSE_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// `certificatesResolvers.*.acme.certificateTimeout`.
pub const ACME_CERTIFICATE_TIMEOUT: Duration = Duration::from_secs(30);

/// `serversTransport.maxIdleConnsPerHost` (0 means Go's `DefaultMaxIdleConnsPerHost`, 200).
pub const MAX_IDLE_CONNS_PER_HOST: i64 = 200;
/// `forwardingTimeouts.dialTimeout`.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(30);
/// `forwardingTimeouts.responseHeaderTimeout`: none.
pub const RESPONSE_HEADER_TIMEOUT: Duration = Duration::ZERO;
/// `forwardingTimeouts.idleConnTimeout`.
pub const IDLE_CONN_TIMEOUT: Duration = Duration::from_secs(90);
/// `forwardingTimeouts.readIdleTimeout`: no HTTP/2 health pings.
pub const READ_IDLE_TIMEOUT: Duration = Duration::ZERO;
/// `forwardingTimeouts.pingTimeout`.
pub const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// `hostResolver.resolvConfig`.
pub const RESOLV_CONFIG: &str = "/etc/resolv.conf";
/// `hostResolver.resolvDepth`.
pub const RESOLV_DEPTH: u32 = 5;

/// `global.checkNewVersion`.
pub const CHECK_NEW_VERSION: bool = true;

#[cfg(test)]
mod tests {
    use super::*;

    /// The values as Traefik v3.7 states them (reference §A), checked against this file so a
    /// careless edit shows up here.
    #[test]
    fn defaults_match_traefik_v3() {
        assert_eq!(READ_TIMEOUT.to_string(), "1m0s");
        assert_eq!(IDLE_TIMEOUT.to_string(), "3m0s");
        assert!(WRITE_TIMEOUT.is_zero());
        assert_eq!(GRACE_TIMEOUT.to_string(), "10s");
        assert_eq!(MAX_HEADER_BYTES, 1_048_576);
        assert_eq!(HTTP2_MAX_CONCURRENT_STREAMS, 250);
        assert_eq!(REDIRECT_PRIORITY, 9_223_372_036_854_775_806);
        assert_eq!(PROVIDERS_THROTTLE_DURATION.to_string(), "2s");
        assert_eq!(PROVIDERS_PRECEDENCE.len(), 17);
        assert_eq!(ACME_CERTIFICATES_DURATION_HOURS, 2160);
        assert_eq!(ACME_CLIENT_TIMEOUT.to_string(), "2m0s");
        assert_eq!(DIAL_TIMEOUT.to_string(), "30s");
        assert_eq!(IDLE_CONN_TIMEOUT.to_string(), "1m30s");
        assert_eq!(PING_TIMEOUT.to_string(), "15s");
        assert_eq!(DEFAULT_ENTRY_POINT, ("http", ":80"));
        assert_eq!(INTERNAL_ENTRY_POINT, ("traefik", ":8080"));
    }
}
