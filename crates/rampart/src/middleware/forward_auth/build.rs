//! From options to a [`ForwardAuth`]: every check happens here, once, with the key named.

use std::sync::Arc;
use std::time::Duration;

use http::Uri;
use http::header::{self, HeaderName};

use super::auth::{ForwardAuth, Inner};
use super::cache::Cache;
use super::client::Transport;
use super::config::{CacheConfig, ForwardAuthConfig};
use super::deny::LocationMode;
use super::names::NameSet;
use super::request::Trust;
use super::success::ResponseHeaders;
use crate::forwarded::MANAGED;
use crate::middleware::{BuildContext, BuildError, Endpoint, ReservedPath};

/// Traefik's fixed auth client timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// rampart's default cap on the auth answer body (Traefik: unlimited, with a warning).
const DEFAULT_MAX_RESPONSE_BODY: u64 = 1 << 20;

fn header_names(key: &str, names: &[String]) -> Result<Vec<HeaderName>, BuildError> {
    names
        .iter()
        .map(|n| {
            HeaderName::from_bytes(n.trim().as_bytes())
                .map_err(|_| BuildError::invalid(key, format_args!("`{n}` is not a header name")))
        })
        .collect()
}

/// `-1` (or any negative) is unlimited, as in Traefik.
fn limit(value: Option<i64>, default: Option<u64>) -> Option<u64> {
    match value {
        Some(v) => u64::try_from(v).ok(),
        None => default,
    }
}

impl ForwardAuth {
    /// Builds the middleware from its options; `authService` needs [`ForwardAuth::build`].
    pub fn new(config: ForwardAuthConfig) -> Result<Self, BuildError> {
        Self::assemble(config, "forwardAuth", None)
    }

    /// Builds the middleware in a configuration: `authService` resolves through `ctx`.
    pub fn build(config: ForwardAuthConfig, ctx: &dyn BuildContext) -> Result<Self, BuildError> {
        let service = match config.auth_service.as_deref() {
            Some(name) => Some(ctx.service(name)?),
            None => None,
        };
        Self::assemble(config, ctx.name(), service)
    }

    fn assemble(
        config: ForwardAuthConfig,
        name: &str,
        service: Option<Arc<dyn Endpoint>>,
    ) -> Result<Self, BuildError> {
        let address = match config.address.as_deref().map(str::trim) {
            Some(a) if !a.is_empty() => Some(parse_address(a)?),
            _ => None,
        };
        if config.auth_service.is_some() && service.is_none() {
            return Err(BuildError::invalid(
                "authService",
                "needs the configuration's services (build with a BuildContext)",
            ));
        }
        let (transport, auth_uri, location) = target(&config, service, address.as_ref())?;
        let origin = address
            .as_ref()
            .and_then(|a| Some(format!("{}://{}", a.scheme_str()?, a.authority()?)));
        let trust = trust(config.trust_forward_header, name);
        let mut request_allow = header_names("authRequestHeaders", &config.auth_request_headers)?;
        if trust == Trust::Keep && !request_allow.is_empty() {
            // Traefik appends every managed X-header to the allow-list in `true` mode.
            request_allow.extend(MANAGED.iter().cloned());
        }
        let regex = match config.auth_response_headers_regex.as_str() {
            "" => None,
            // A Go pattern, given Go's meaning by the rule compiler's translator.
            re => Some(crate::middleware::builtin::go_regex::compile(
                "authResponseHeadersRegex",
                re,
            )?),
        };
        let response_headers = ResponseHeaders::new(
            &header_names("authResponseHeaders", &config.auth_response_headers)?,
            regex,
        );
        let header_field = header_names(
            "headerField",
            config
                .header_field
                .as_slice()
                .iter()
                .filter(|h| !h.trim().is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .as_slice(),
        )?
        .pop();
        if config.forward_body && config.max_body_size.is_none() {
            tracing::warn!(
                middleware = name,
                "forwardAuth: forwardBody without maxBodySize buffers request bodies of any size"
            );
        }
        let reserved = reserved(&config, origin.as_deref())?;
        if config.cache.is_some() && config.forward_body {
            return Err(BuildError::invalid(
                "cache",
                "cannot be used with forwardBody: the decision may depend on the body, which is not in the cache key",
            ));
        }
        let cache = config
            .cache
            .as_ref()
            .map(|c| build_cache(c, &config.auth_request_headers, trust != Trust::Rebuild))
            .transpose()?;
        let request_cookies = (!config.auth_request_cookies.is_empty())
            .then(|| NameSet::new(&config.auth_request_cookies));

        Ok(ForwardAuth {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                transport,
                auth_uri,
                origin,
                location,
                trust,
                request_allow: (!request_allow.is_empty()).then_some(request_allow),
                request_cookies,
                response_headers,
                add_cookies: NameSet::new(&config.add_auth_cookies_to_response),
                forward_body: config.forward_body,
                max_body: limit(config.max_body_size, None),
                max_response_body: limit(
                    config.max_response_body_size,
                    Some(DEFAULT_MAX_RESPONSE_BODY),
                ),
                header_field,
                preserve_method: config.preserve_request_method,
                signin_url: config.auth_signin_url.filter(|u| !u.trim().is_empty()),
                timeout: config.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0),
                non_navigation_401: config.non_navigation_as401,
                reserved,
                cache,
            }),
        })
    }
}

/// Where auth requests go, their URI, and how a `Location` is relayed.
fn target(
    config: &ForwardAuthConfig,
    service: Option<Arc<dyn Endpoint>>,
    address: Option<&Uri>,
) -> Result<(Transport, Uri, LocationMode), BuildError> {
    match (service, address) {
        (Some(endpoint), _) => {
            let path = match (&config.auth_path, address) {
                (Some(p), _) => p.clone(),
                (None, Some(a)) => a.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
                (None, None) => "/".to_owned(),
            };
            let uri: Uri = path
                .parse()
                .ok()
                .filter(|u: &Uri| u.scheme().is_none() && path.starts_with('/'))
                .ok_or_else(|| {
                    BuildError::invalid("authPath", format_args!("`{path}` is not a path"))
                })?;
            let location = match (address, config.preserve_location_header) {
                (Some(a), false) => LocationMode::Resolve(a.to_string()),
                _ => LocationMode::Preserve,
            };
            Ok((Transport::Service(endpoint), uri, location))
        }
        (None, Some(a)) => {
            let transport = Transport::http(config.tls.as_ref(), a)?;
            let location = if config.preserve_location_header {
                LocationMode::Preserve
            } else {
                LocationMode::Resolve(a.to_string())
            };
            Ok((transport, a.clone(), location))
        }
        (None, None) => Err(BuildError::invalid(
            "address",
            "forwardAuth needs `address` (or rampart's `authService`)",
        )),
    }
}

fn trust(value: Option<bool>, name: &str) -> Trust {
    match value {
        Some(true) => Trust::Keep,
        Some(false) => Trust::Rebuild,
        None => {
            tracing::warn!(
                middleware = name,
                "forwardAuth: trustForwardHeader is not set; the legacy behaviour rebuilds some \
                 X-Forwarded headers and passes others (X-Forwarded-Prefix) through. Set it to \
                 false to rebuild them all, or true to trust the entrypoint's."
            );
            Trust::Legacy
        }
    }
}

fn reserved(
    config: &ForwardAuthConfig,
    origin: Option<&str>,
) -> Result<Vec<ReservedPath>, BuildError> {
    let Some(p) = config
        .reserved_path_prefix
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return Ok(Vec::new());
    };
    if !p.starts_with('/') {
        return Err(BuildError::invalid(
            "reservedPathPrefix",
            format_args!("`{p}` must start with `/`"),
        ));
    }
    let target = match (&config.auth_service, origin) {
        (Some(s), _) => format!("service {s}"),
        (None, Some(o)) => o.to_owned(),
        (None, None) => String::new(),
    };
    Ok(vec![ReservedPath::new(p, target)])
}

/// `address` must be an absolute `http`/`https` URL (Traefik answers 500 to every request
/// when it is not; rampart refuses to build, naming the key).
fn parse_address(a: &str) -> Result<Uri, BuildError> {
    let bad = |why: &str| BuildError::invalid("address", format_args!("`{a}`: {why}"));
    let uri: Uri = a.parse().map_err(|e| bad(&format!("{e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(bad("must start with http:// or https://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    Ok(uri)
}

fn build_cache(
    c: &CacheConfig,
    sent: &[String],
    trusted_forwarded: bool,
) -> Result<Cache, BuildError> {
    let ttl = c.ttl.map_or(Duration::from_secs(5), |t| t.0);
    if ttl.is_zero() {
        return Err(BuildError::invalid("cache.ttl", "must be more than 0"));
    }
    // Default: every header the auth server may decide on — the credentials, and with an
    // `authRequestHeaders` allow-list, everything it lets through.
    let key_headers = if let Some(names) = &c.key_headers {
        header_names("cache.keyHeaders", names)?
    } else {
        let mut names = vec![
            header::AUTHORIZATION,
            header::COOKIE,
            header::PROXY_AUTHORIZATION,
        ];
        for n in header_names("authRequestHeaders", sent)? {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names
    };
    let key_cookies = (!c.key_cookies.is_empty()).then(|| NameSet::new(&c.key_cookies));
    if key_cookies.is_some() && !key_headers.contains(&header::COOKIE) {
        return Err(BuildError::invalid(
            "cache.keyCookies",
            "needs `Cookie` in cache.keyHeaders",
        ));
    }
    Ok(Cache::new(
        ttl,
        c.max_entries.unwrap_or(10_000),
        key_headers,
        key_cookies,
        c.key_scope.unwrap_or_default(),
        trusted_forwarded,
    ))
}
