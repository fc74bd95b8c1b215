//! Plain descriptions of services and transports, in Traefik's vocabulary.
//!
//! The binary's config compiler fills these from the validated model (defaults already applied
//! by `Default`); this module knows nothing about the config crate's types.

use std::sync::Arc;
use std::time::Duration;

use super::Transport;

/// `http.serversTransports.<name>` (and the static `serversTransport` for `default@internal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportSpec {
    /// `serverName`: the name sent in SNI and checked in the upstream certificate.
    pub server_name: Option<String>,
    /// `insecureSkipVerify`: accept any upstream certificate.
    pub insecure_skip_verify: bool,
    /// `rootCAs`: PEM content or paths of PEM files; empty means the system roots.
    pub root_cas: Vec<String>,
    /// `certificates`: client certificates for mTLS to upstreams (the first one is presented).
    pub certificates: Vec<CertificateSpec>,
    /// `maxIdleConnsPerHost` (200). Zero means Go's default of 2; negative keeps none idle.
    pub max_idle_conns_per_host: i64,
    /// `disableHTTP2`: never negotiate HTTP/2 with upstreams.
    pub disable_http2: bool,
    /// `forwardingTimeouts.dialTimeout` (30s; zero means none).
    pub dial_timeout: Duration,
    /// `forwardingTimeouts.responseHeaderTimeout` (zero: wait for ever, as Traefik).
    pub response_header_timeout: Duration,
    /// `forwardingTimeouts.idleConnTimeout` (90s): how long a pooled connection may idle.
    pub idle_conn_timeout: Duration,
}

impl Default for TransportSpec {
    fn default() -> Self {
        TransportSpec {
            server_name: None,
            insecure_skip_verify: false,
            root_cas: Vec::new(),
            certificates: Vec::new(),
            max_idle_conns_per_host: 200,
            disable_http2: false,
            dial_timeout: Duration::from_secs(30),
            response_header_timeout: Duration::ZERO,
            idle_conn_timeout: Duration::from_secs(90),
        }
    }
}

/// A certificate and its key, each PEM content or a path to a PEM file (Traefik's
/// `FileOrContent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSpec {
    /// `certFile`.
    pub cert: String,
    /// `keyFile`.
    pub key: String,
}

impl CertificateSpec {
    /// A certificate from `cert` and `key` (PEM content or paths).
    pub fn new(cert: impl Into<String>, key: impl Into<String>) -> Self {
        CertificateSpec {
            cert: cert.into(),
            key: key.into(),
        }
    }
}

/// One `servers` entry of a `loadBalancer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// `url`: `http://`, `https://` or `h2c://` (HTTP/2 with prior knowledge).
    pub url: String,
    /// `weight` (1); a server with weight 0 gets no traffic, as in Traefik.
    pub weight: u32,
    /// `preservePath`: prefix the request path with the URL's path.
    pub preserve_path: bool,
}

impl ServerSpec {
    /// A server at `url` with weight 1.
    pub fn new(url: impl Into<String>) -> Self {
        ServerSpec {
            url: url.into(),
            weight: 1,
            preserve_path: false,
        }
    }

    /// Sets the weight.
    #[must_use]
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Sets `preservePath`.
    #[must_use]
    pub fn preserve_path(mut self, preserve: bool) -> Self {
        self.preserve_path = preserve;
        self
    }
}

/// `loadBalancer.healthCheck`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheckSpec {
    /// `path` (relative, with an optional query): what to request.
    pub path: String,
    /// `scheme`: replaces the server URL's scheme.
    pub scheme: Option<String>,
    /// `mode`: `http`, or `grpc` (the gRPC Health Checking Protocol v1; `path` is unused).
    pub mode: String,
    /// `hostname`: the `Host` to send.
    pub hostname: Option<String>,
    /// `port`: replaces the server URL's port.
    pub port: Option<u16>,
    /// `interval` (30s) between checks of healthy servers.
    pub interval: Duration,
    /// `unhealthyInterval` (defaults to `interval`) between checks of unhealthy servers.
    pub unhealthy_interval: Option<Duration>,
    /// `timeout` (5s) of one check.
    pub timeout: Duration,
    /// `headers` to send.
    pub headers: Vec<(String, String)>,
    /// `followRedirects` (true).
    pub follow_redirects: bool,
    /// `method` (GET).
    pub method: String,
    /// `status`: the status that means healthy; `None` accepts 2xx and 3xx (Traefik: `< 400`).
    pub status: Option<u16>,
}

impl HealthCheckSpec {
    /// A check of `path` with Traefik's defaults.
    pub fn new(path: impl Into<String>) -> Self {
        HealthCheckSpec {
            path: path.into(),
            scheme: None,
            mode: "http".to_owned(),
            hostname: None,
            port: None,
            interval: Duration::from_secs(30),
            unhealthy_interval: None,
            timeout: Duration::from_secs(5),
            headers: Vec::new(),
            follow_redirects: true,
            method: "GET".to_owned(),
            status: None,
        }
    }

    /// Sets `interval` (and so `unhealthyInterval` unless that is set).
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// `sticky.cookie`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StickyCookieSpec {
    /// `name`; empty or `None` derives one from the service name (Traefik's `cookie.GetName`).
    pub name: Option<String>,
    /// `secure`.
    pub secure: bool,
    /// `httpOnly`.
    pub http_only: bool,
    /// `sameSite`: `none`, `lax` or `strict` (anything else: not set).
    pub same_site: Option<String>,
    /// `maxAge` in seconds (0: not set; negative: delete now, as Go's `MaxAge<0`).
    pub max_age: i64,
    /// `path` (`/`).
    pub path: Option<String>,
    /// `domain`.
    pub domain: Option<String>,
}

/// `http.services.<name>.loadBalancer`.
#[derive(Debug, Clone)]
pub struct LoadBalancerSpec {
    /// `servers`.
    pub servers: Vec<ServerSpec>,
    /// `passHostHeader` (true): send the client's `Host`, else the server's.
    pub pass_host_header: bool,
    /// `healthCheck`.
    pub health_check: Option<HealthCheckSpec>,
    /// `sticky.cookie`.
    pub sticky: Option<StickyCookieSpec>,
    /// The `serversTransport` (shared by every service that names it).
    pub transport: Arc<Transport>,
}

impl LoadBalancerSpec {
    /// A load balancer over `servers` with Traefik's defaults, using `transport`.
    pub fn new(servers: Vec<ServerSpec>, transport: Arc<Transport>) -> Self {
        LoadBalancerSpec {
            servers,
            pass_host_header: true,
            health_check: None,
            sticky: None,
            transport,
        }
    }
}
