//! Active health checks (Traefik's `healthcheck.ServiceHealthChecker`, HTTP mode).
//!
//! One background task per server: it waits `interval` (or `unhealthyInterval` while the server
//! is down), sends the check, and takes the server out of (or back into) its load balancer.
//! The [`HealthCheckHandle`] stops every task; the binary drops old handles on reload.

use std::sync::Arc;
use std::time::Duration;

use http::header::{HOST, LOCATION};
use http::{HeaderName, HeaderValue, Method, Uri};
use tokio::task::JoinSet;

use super::ServiceError;
use super::pool::{Dial, Pool};
use super::spec::HealthCheckSpec;
use super::transport::{Protocol, Transport};
use crate::Body;

/// Redirects followed by one check (Go's `http.Client` default).
const MAX_REDIRECTS: usize = 10;

/// A compiled `healthCheck`.
#[derive(Debug, Clone)]
pub(super) struct HealthCheck {
    /// `mode: grpc`.
    grpc: bool,
    path: String,
    scheme: Option<String>,
    host_header: Option<HeaderValue>,
    port: Option<u16>,
    interval: Duration,
    unhealthy_interval: Duration,
    timeout: Duration,
    headers: Vec<(HeaderName, HeaderValue)>,
    follow_redirects: bool,
    method: Method,
    status: Option<u16>,
}

fn invalid(key: &str, reason: impl Into<String>) -> ServiceError {
    ServiceError::HealthCheck {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

impl HealthCheck {
    pub(super) fn new(spec: &HealthCheckSpec) -> Result<Self, ServiceError> {
        let grpc = match spec.mode.to_ascii_lowercase().as_str() {
            "" | "http" => false,
            "grpc" => true,
            _ => {
                return Err(invalid(
                    "mode",
                    format!("`{}` is not `http` or `grpc`", spec.mode),
                ));
            }
        };
        if spec.path.contains("://") || spec.path.starts_with("//") {
            return Err(invalid(
                "path",
                format!("must be a relative URL, got `{}`", spec.path),
            ));
        }
        if let Some(s) = &spec.scheme
            && !matches!(s.as_str(), "http" | "https" | "h2c")
        {
            return Err(invalid(
                "scheme",
                format!("`{s}` is not http, https or h2c"),
            ));
        }
        let method = Method::from_bytes(spec.method.as_bytes())
            .map_err(|_| invalid("method", format!("`{}` is not a method", spec.method)))?;
        let headers = spec
            .headers
            .iter()
            .map(|(k, v)| {
                let name = HeaderName::from_bytes(k.as_bytes())
                    .map_err(|_| invalid("headers", format!("`{k}` is not a header name")))?;
                let value = HeaderValue::from_str(v)
                    .map_err(|_| invalid("headers", format!("`{k}` has an invalid value")))?;
                Ok((name, value))
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        let host_header = match spec.hostname.as_deref().filter(|h| !h.is_empty()) {
            Some(h) => Some(
                HeaderValue::from_str(h)
                    .map_err(|_| invalid("hostname", format!("`{h}` is not a host")))?,
            ),
            None => None,
        };
        // Traefik: a non-positive interval or timeout falls back to the default.
        let or = |d: Duration, default: u64| {
            if d.is_zero() {
                Duration::from_secs(default)
            } else {
                d
            }
        };
        let interval = or(spec.interval, 30);
        Ok(HealthCheck {
            grpc,
            path: spec.path.clone(),
            scheme: spec.scheme.clone(),
            host_header,
            port: spec.port,
            interval,
            unhealthy_interval: spec.unhealthy_interval.map_or(interval, |d| or(d, 30)),
            timeout: or(spec.timeout, 5),
            headers,
            follow_redirects: spec.follow_redirects,
            method,
            status: spec.status,
        })
    }

    /// The check URI for a server URL.
    fn uri(&self, server: &Uri) -> Result<(Uri, Protocol), String> {
        let scheme = self
            .scheme
            .as_deref()
            .or(server.scheme_str())
            .unwrap_or("http");
        let (scheme, protocol) = match scheme {
            "h2c" => ("http", Protocol::H2c),
            // gRPC is HTTP/2 only: plain schemes mean h2c, as Traefik's insecure gRPC dial.
            "http" if self.grpc => ("http", Protocol::H2c),
            other => (other, Protocol::Auto),
        };
        let host = server.host().ok_or("server URL has no host")?;
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let authority = match self.port.or(server.port_u16()) {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        let path = if self.grpc {
            super::grpc_health::PATH.to_owned()
        } else if self.path.starts_with('/') {
            self.path.clone()
        } else {
            // A relative path resolves against the server URL's directory (url.Parse rules).
            let base = server.path();
            let dir = &base[..=base.rfind('/').unwrap_or(0)];
            let dir = if dir.is_empty() { "/" } else { dir };
            format!("{dir}{}", self.path)
        };
        let uri = format!("{scheme}://{authority}{path}")
            .parse()
            .map_err(|e| format!("{e}"))?;
        Ok((uri, protocol))
    }

    /// Runs one check of `server`; `Err` says why it is unhealthy.
    pub(super) async fn check(&self, transport: &Transport, server: &Uri) -> Result<(), String> {
        let (mut uri, protocol) = self.uri(server)?;
        let pool = transport.pool(protocol);
        if self.grpc {
            let dial = dial_of(&uri)?;
            let fut =
                super::grpc_health::check(pool, &dial, self.host_header.as_ref(), &self.headers);
            return tokio::time::timeout(self.timeout, fut)
                .await
                .map_err(|_| format!("timed out after {:?}", self.timeout))?;
        }
        let fut = async {
            for _ in 0..=MAX_REDIRECTS {
                let status = self.once(pool, &uri).await?;
                match status {
                    Ok(code) => return self.judge(code),
                    Err((code, location)) => {
                        if !self.follow_redirects {
                            return self.judge(code);
                        }
                        uri = resolve(&uri, &location)?;
                    }
                }
            }
            Err(format!("stopped after {MAX_REDIRECTS} redirects"))
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| format!("timed out after {:?}", self.timeout))?
    }

    /// One request: `Ok(status)`, or `Err((status, location))` for a redirect.
    async fn once(&self, pool: &Pool, uri: &Uri) -> Result<Result<u16, (u16, String)>, String> {
        let mut req = http::Request::new(Body::empty());
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = uri
            .path_and_query()
            .map_or_else(|| Uri::from_static("/"), |pq| Uri::from(pq.clone()));
        for (k, v) in &self.headers {
            req.headers_mut().insert(k.clone(), v.clone());
        }
        if let Some(h) = &self.host_header {
            req.headers_mut().insert(HOST, h.clone());
        }
        let dial = dial_of(uri)?;
        let res = pool
            .send(&dial, req)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let code = res.status().as_u16();
        let location = res
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        // Read the body to the end so the connection can go back to the pool.
        let _ = http_body_util::BodyExt::collect(res.into_body()).await;
        Ok(match (res_is_redirect(code), location) {
            (true, Some(loc)) => Err((code, loc)),
            _ => Ok(code),
        })
    }

    fn judge(&self, code: u16) -> Result<(), String> {
        match self.status {
            Some(want) if want != code => Err(format!("received status {code}, expected {want}")),
            None if !(200..400).contains(&code) => Err(format!("received error status {code}")),
            _ => Ok(()),
        }
    }
}

fn dial_of(uri: &Uri) -> Result<Dial, String> {
    match (uri.scheme(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok(Dial::new(scheme.clone(), authority.clone())),
        _ => Err(format!("`{uri}` has no scheme or host")),
    }
}

fn res_is_redirect(code: u16) -> bool {
    matches!(code, 301 | 302 | 303 | 307 | 308)
}

fn resolve(base: &Uri, location: &str) -> Result<Uri, String> {
    if location.contains("://") {
        return location.parse().map_err(|e| format!("bad Location: {e}"));
    }
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    let path = if location.starts_with('/') {
        location.to_owned()
    } else {
        let p = base.path();
        format!("{}{location}", &p[..=p.rfind('/').unwrap_or(0)])
    };
    format!("{scheme}://{authority}{path}")
        .parse()
        .map_err(|e| format!("bad Location: {e}"))
}

/// Stops a service's health-check tasks when dropped (or on [`HealthCheckHandle::stop`]).
#[derive(Debug)]
pub struct HealthCheckHandle {
    tasks: JoinSet<()>,
}

impl HealthCheckHandle {
    /// Stops every check now.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

impl Drop for HealthCheckHandle {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// What a checker needs to know about one server.
pub(super) trait Checked: Send + Sync + 'static {
    /// The server URL.
    fn server_uri(&self, index: usize) -> &Uri;
    /// How many servers.
    fn len(&self) -> usize;
    /// Marks a server up or down.
    fn set_up(&self, index: usize, up: bool);
    /// Whether a server is up.
    fn is_up(&self, index: usize) -> bool;
    /// A name for logs.
    fn service_name(&self) -> &str;
}

/// Starts one task per server of `target`.
pub(super) fn launch<T: Checked>(
    check: HealthCheck,
    transport: &Arc<Transport>,
    target: &Arc<T>,
) -> HealthCheckHandle {
    let mut tasks = JoinSet::new();
    let check = Arc::new(check);
    for index in 0..target.len() {
        let (check, transport, target) = (check.clone(), transport.clone(), target.clone());
        tasks.spawn(async move {
            loop {
                let wait = if target.is_up(index) {
                    check.interval
                } else {
                    check.unhealthy_interval
                };
                tokio::time::sleep(wait).await;
                let uri = target.server_uri(index);
                let result = check.check(&transport, uri).await;
                if let Err(reason) = &result {
                    tracing::warn!(service = target.service_name(), server = %uri, %reason, "health check failed");
                }
                target.set_up(index, result.is_ok());
            }
        });
    }
    HealthCheckHandle { tasks }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(spec: &HealthCheckSpec) -> HealthCheck {
        HealthCheck::new(spec).unwrap()
    }

    #[test]
    fn check_uri_follows_traefik_url_rules() {
        let server: Uri = "http://10.0.0.1:8080/app/index".parse().unwrap();
        let (uri, p) = check(&HealthCheckSpec::new("/health"))
            .uri(&server)
            .unwrap();
        assert_eq!(
            (uri.to_string().as_str(), p),
            ("http://10.0.0.1:8080/health", Protocol::Auto)
        );
        let (uri, _) = check(&HealthCheckSpec::new("ping?x=1"))
            .uri(&server)
            .unwrap();
        assert_eq!(uri, "http://10.0.0.1:8080/app/ping?x=1");
        let mut spec = HealthCheckSpec::new("/h");
        spec.scheme = Some("h2c".into());
        spec.port = Some(9000);
        let (uri, p) = check(&spec).uri(&server).unwrap();
        assert_eq!(
            (uri.to_string().as_str(), p),
            ("http://10.0.0.1:9000/h", Protocol::H2c)
        );
        let v6: Uri = "https://[::1]:8443".parse().unwrap();
        let (uri, _) = check(&HealthCheckSpec::new("/h")).uri(&v6).unwrap();
        assert_eq!(uri, "https://[::1]:8443/h");
    }

    #[test]
    fn status_rules_and_redirect_resolution() {
        let c = check(&HealthCheckSpec::new("/"));
        assert!(c.judge(200).is_ok() && c.judge(302).is_ok());
        assert!(c.judge(404).is_err() && c.judge(503).is_err() && c.judge(101).is_err());
        let mut spec = HealthCheckSpec::new("/");
        spec.status = Some(204);
        let c = check(&spec);
        assert!(c.judge(204).is_ok() && c.judge(200).is_err());
        let base: Uri = "http://h:1/a/b".parse().unwrap();
        assert_eq!(resolve(&base, "/x").unwrap(), "http://h:1/x");
        assert_eq!(resolve(&base, "c").unwrap(), "http://h:1/a/c");
        assert_eq!(resolve(&base, "https://o/p").unwrap(), "https://o/p");
    }

    #[test]
    fn bad_options_name_the_key() {
        for (spec, key) in [
            (
                {
                    let mut s = HealthCheckSpec::new("/");
                    s.method = "GE T".into();
                    s
                },
                "method",
            ),
            (
                {
                    let mut s = HealthCheckSpec::new("/");
                    s.scheme = Some("ftp".into());
                    s
                },
                "scheme",
            ),
            (
                {
                    let mut s = HealthCheckSpec::new("/");
                    s.headers = vec![("bad name".into(), "v".into())];
                    s
                },
                "headers",
            ),
        ] {
            let err = HealthCheck::new(&spec).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }
}
