//! forwardAuth options: Traefik's `dynamic.ForwardAuth`, plus rampart's opt-in extensions.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The options of a `forwardAuth` middleware (keys are case-insensitive, as in Traefik).
///
/// The first block is Traefik 3's; the second is rampart's, every one off unless set
/// (`docs/forward-auth.md` describes them).
///
/// ```
/// use rampart::middleware::forward_auth::ForwardAuthConfig;
/// let v: rampart_config::Value = serde_json::from_str(r#"{
///     "address": "http://authentik_server:9000/outpost.goauthentik.io/auth/traefik",
///     "trustForwardHeader": true,
///     "authResponseHeaders": ["X-authentik-username", "X-authentik-groups"]
/// }"#).unwrap();
/// let cfg: ForwardAuthConfig = rampart_config::from_value(&v).unwrap();
/// assert_eq!(cfg.trust_forward_header, Some(true));
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors Traefik's options, one field each"
)]
pub struct ForwardAuthConfig {
    /// The auth endpoint URL, used verbatim (the client's path is not appended).
    pub address: Option<String>,
    /// Client TLS towards the auth server.
    pub tls: Option<ClientTlsConfig>,
    /// Tri-state: `true` keeps the (entrypoint-sanitised) `X-Forwarded-*`, `false` rebuilds
    /// them all, unset is Traefik's legacy mix (see `docs/forward-auth.md`).
    pub trust_forward_header: Option<bool>,
    /// Headers copied from a 2xx auth answer onto the request (client copies deleted first).
    #[serde(default)]
    pub auth_response_headers: Vec<String>,
    /// Same, for every header whose Go-canonical name matches this regular expression.
    #[serde(default)]
    pub auth_response_headers_regex: String,
    /// Allow-list of client headers sent to the auth server (empty: all).
    #[serde(default)]
    pub auth_request_headers: Vec<String>,
    /// Cookies of a 2xx auth answer added to the response (exact names; rampart also takes
    /// `*` globs).
    #[serde(default)]
    pub add_auth_cookies_to_response: Vec<String>,
    /// Send the request body to the auth server.
    #[serde(default)]
    pub forward_body: bool,
    /// Limit for `forwardBody`, bytes; `-1` (the default) is unlimited.
    pub max_body_size: Option<i64>,
    /// Limit on the auth answer's body, bytes; `-1` is unlimited. rampart's default is 1 MiB.
    pub max_response_body_size: Option<i64>,
    /// Auth answer header whose first value is the user name for the access log.
    pub header_field: Option<String>,
    /// Relay a non-2xx `Location` as sent instead of resolving it against `address`.
    #[serde(default)]
    pub preserve_location_header: bool,
    /// Use the client's method for the auth request (default `GET`).
    #[serde(default)]
    pub preserve_request_method: bool,
    /// On a 401 from the auth server, redirect (302) here instead.
    #[serde(rename = "authSigninURL")]
    pub auth_signin_url: Option<String>,

    /// rampart: total time for the auth exchange (Traefik's fixed 30 s is the default).
    pub timeout: Option<GoDuration>,
    /// rampart: send the auth request to this service (load balancing, health checks) instead
    /// of `address`'s host.
    pub auth_service: Option<String>,
    /// rampart: path and query of the auth request when `authService` is used without
    /// `address`.
    pub auth_path: Option<String>,
    /// rampart: only these cookies (exact names or globs) go to the auth server.
    #[serde(default)]
    pub auth_request_cookies: Vec<String>,
    /// rampart: answer 401 + `X-Auth-Location` instead of a redirect to requests that cannot
    /// follow one (XHR, fetch, websocket).
    #[serde(default)]
    pub non_navigation_as401: bool,
    /// rampart: path prefix served by the auth backend on every protected host
    /// (`/outpost.goauthentik.io/`, `/oauth2/`).
    pub reserved_path_prefix: Option<String>,
    /// rampart: cache positive decisions.
    pub cache: Option<CacheConfig>,
}

/// Client TLS options (Traefik's `ClientTLS`): each of `ca`, `cert`, `key` is a file path or
/// the PEM text itself.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ClientTlsConfig {
    /// CA certificates (PEM) that replace the system roots.
    pub ca: Option<String>,
    /// Client certificate chain (PEM), with `key`.
    pub cert: Option<String>,
    /// Client private key (PEM), with `cert`.
    pub key: Option<String>,
    /// Accept any server certificate.
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// Deprecated in Traefik and ignored, as there.
    pub ca_optional: Option<bool>,
}

/// The auth decision cache (rampart extension, off unless `cache` is set).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct CacheConfig {
    /// How long a positive answer is reused (default 5 s); never longer than the answer's
    /// `Cache-Control: max-age`.
    pub ttl: Option<GoDuration>,
    /// Most entries kept (default 10 000); the oldest go first.
    pub max_entries: Option<usize>,
    /// Request headers whose values are part of the key (default `Authorization`, `Cookie`).
    pub key_headers: Option<Vec<String>>,
    /// When set, only these cookies (names or globs) of the `Cookie` header are in the key.
    #[serde(default)]
    pub key_cookies: Vec<String>,
    /// How much of the request target is in the key (default `uri`).
    pub key_scope: Option<KeyScope>,
}

/// How much of the request target a cache key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum KeyScope {
    /// Host, method, path and query: safe for auth servers with per-path rules.
    #[default]
    Uri,
    /// Host, method and path.
    Path,
    /// Host and method only: for auth servers that decide per host (Authentik without
    /// `skip_path_regex`).
    Host,
}

/// A duration written as Go does (`30s`, `1m30s`, `250ms`) or as a number of seconds, as
/// Traefik's `ptypes.Duration` reads it.
///
/// ```
/// use rampart::middleware::forward_auth::GoDuration;
/// use std::time::Duration;
/// assert_eq!("1m30s".parse::<GoDuration>().unwrap().0, Duration::from_secs(90));
/// assert_eq!("250ms".parse::<GoDuration>().unwrap().0, Duration::from_millis(250));
/// assert_eq!("5".parse::<GoDuration>().unwrap().0, Duration::from_secs(5));
/// assert!("5 parsecs".parse::<GoDuration>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoDuration(pub Duration);

impl std::str::FromStr for GoDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(secs) = s.parse::<u64>() {
            return Ok(GoDuration(Duration::from_secs(secs)));
        }
        let bad = || format!("`{s}` is not a duration (write e.g. `30s`, `1m30s`, `250ms`)");
        if s.is_empty() || s.starts_with('-') {
            return Err(bad());
        }
        let mut total = 0f64;
        let mut rest = s.strip_prefix('+').unwrap_or(s);
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(bad)?;
            let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
            rest = &rest[num_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let scale = match &rest[..unit_len] {
                "ns" => 1e-9,
                "us" | "µs" | "μs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                _ => return Err(bad()),
            };
            total += value * scale;
            rest = &rest[unit_len..];
        }
        Duration::try_from_secs_f64(total)
            .map(GoDuration)
            .map_err(|_| bad())
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = GoDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as `30s`, or a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoDuration, E> {
                u64::try_from(v)
                    .map(|s| GoDuration(Duration::from_secs(s)))
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoDuration, E> {
                Ok(GoDuration(Duration::from_secs(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoDuration, E> {
                Duration::try_from_secs_f64(v)
                    .map(GoDuration)
                    .map_err(|_| E::custom(format_args!("`{v}` is not a duration")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoDuration, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}
