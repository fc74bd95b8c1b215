//! Services and servers transports, from the configuration model to runtime endpoints.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rampart_config::dynamic_config::{
    self as dc, HealthCheck, LoadBalancer as LbModel, SameSite, Service as ServiceModel,
    StickyCookie, Strategy,
};
use rampart_config::{FileOrContent, ForwardingTimeouts, StaticConfig};

use super::CompileInput;
use crate::middleware::Endpoint;
use crate::runtime::{ProblemKind, Report};
use crate::service::internal::{Noop, Ping, Whoami};
use crate::service::{
    CertificateSpec, Failover, HealthCheckHandle, HealthCheckSpec, LoadBalancer, LoadBalancerSpec,
    ServerSpec, ServiceStatus, StickyCookieSpec, Transport, TransportSpec, Weighted, WeightedChild,
};

/// A built service: its endpoint and, when it reports one, its up/down status.
#[derive(Clone)]
pub(super) struct Built {
    pub(super) endpoint: Arc<dyn Endpoint>,
    pub(super) status: Option<Arc<ServiceStatus>>,
}

/// Builds services on demand (each once), transports likewise; collects health checks.
pub(super) struct Services<'a> {
    input: &'a CompileInput<'a>,
    built: RefCell<HashMap<String, Result<Built, String>>>,
    building: RefCell<Vec<String>>,
    transports: RefCell<HashMap<String, Result<Arc<Transport>, String>>>,
    pub(super) health_checks: RefCell<Vec<HealthCheckHandle>>,
    pub(super) report: RefCell<Report>,
}

impl<'a> Services<'a> {
    pub(super) fn new(input: &'a CompileInput<'a>) -> Self {
        Services {
            input,
            built: RefCell::default(),
            building: RefCell::default(),
            transports: RefCell::default(),
            health_checks: RefCell::default(),
            report: RefCell::default(),
        }
    }

    /// The service `name` (qualified), built once; the error is recorded on the service.
    pub(super) fn get(&self, name: &str) -> Result<Built, String> {
        if let Some(done) = self.built.borrow().get(name) {
            return done.clone();
        }
        if self.building.borrow().iter().any(|n| n == name) {
            let mut path = self.building.borrow().clone();
            path.push(name.to_owned());
            return Err(format!("service cycle: {}", path.join(" -> ")));
        }
        self.building.borrow_mut().push(name.to_owned());
        let result = self.build(name);
        self.building.borrow_mut().pop();
        if let Err(e) = &result {
            self.report
                .borrow_mut()
                .error(ProblemKind::Service, name, e);
        }
        self.built
            .borrow_mut()
            .insert(name.to_owned(), result.clone());
        result
    }

    fn build(&self, name: &str) -> Result<Built, String> {
        if let Some((short, "internal")) = name.rsplit_once('@') {
            return self.internal(short, name);
        }
        let model = self
            .input
            .dynamic
            .http
            .services
            .get(name)
            .ok_or_else(|| "service does not exist".to_owned())?;
        match model {
            ServiceModel::LoadBalancer(lb) => self.load_balancer(name, lb),
            ServiceModel::Weighted(w) => self.weighted(name, w),
            ServiceModel::Failover(f) => self.failover(f),
            ServiceModel::Mirroring(_) => Err("`mirroring` services are not supported yet".into()),
            ServiceModel::HighestRandomWeight(_) => {
                Err("`highestRandomWeight` services are not supported yet".into())
            }
            _ => Err("this kind of service is not supported yet".into()),
        }
    }

    fn internal(&self, short: &str, name: &str) -> Result<Built, String> {
        let endpoint: Arc<dyn Endpoint> =
            match short {
                "whoami" => Arc::new(Whoami::new()),
                "noop" => Arc::new(Noop),
                "ping" => {
                    let mut ping = Ping::new(self.input.internal.shutting_down.clone());
                    if let Some(code) =
                        self.input.static_config.ping.as_ref().and_then(|p| {
                            http::StatusCode::from_u16(p.terminating_status_code).ok()
                        })
                    {
                        ping = ping.terminating_status(code);
                    }
                    Arc::new(ping)
                }
                _ => match self.input.internal.extra.get(name) {
                    Some(endpoint) => endpoint.clone(),
                    None => return Err(format!("`{name}` is not supported yet")),
                },
            };
        Ok(Built {
            endpoint,
            status: None,
        })
    }

    fn load_balancer(&self, name: &str, lb: &LbModel) -> Result<Built, String> {
        if lb.strategy != Strategy::Wrr {
            self.report.borrow_mut().warning(
                ProblemKind::Service,
                name,
                format!("strategy {:?} is not supported yet; using wrr", lb.strategy),
            );
        }
        if lb.passive_health_check.is_some() {
            self.report.borrow_mut().warning(
                ProblemKind::Service,
                name,
                "`passiveHealthCheck` is not supported yet; ignored",
            );
        }
        let transport = self.transport(lb.servers_transport.as_str())?;
        let mut spec = LoadBalancerSpec::new(
            lb.servers
                .iter()
                .map(|s| {
                    let mut server = ServerSpec::new(s.url.clone()).weight(s.weight);
                    server.preserve_path = s.preserve_path;
                    server
                })
                .collect(),
            transport,
        );
        spec.pass_host_header = lb.pass_host_header;
        spec.health_check = lb.health_check.as_ref().map(health_check);
        spec.sticky = lb.sticky.as_ref().map(sticky);
        let balancer = Arc::new(LoadBalancer::new(name, spec).map_err(|e| e.to_string())?);
        if self.input.start_health_checks
            && let Some(handle) = balancer.start_health_check()
        {
            self.health_checks.borrow_mut().push(handle);
        }
        let status = balancer.has_health_check().then(|| balancer.status());
        Ok(Built {
            endpoint: balancer,
            status,
        })
    }

    fn weighted(&self, name: &str, w: &dc::Weighted) -> Result<Built, String> {
        let mut children = Vec::with_capacity(w.services.len());
        for child in &w.services {
            let built = self
                .get(child.name.as_str())
                .map_err(|e| format!("`{}`: {e}", child.name))?;
            children.push(WeightedChild {
                name: child.name.as_str().to_owned(),
                weight: child.weight,
                service: built.endpoint,
                status: built.status,
            });
        }
        let sticky = w.sticky.as_ref().map(sticky);
        let weighted = Weighted::new(name, children, sticky.as_ref(), w.health_check)
            .map_err(|e| e.to_string())?;
        let status = w.health_check.then(|| weighted.status());
        Ok(Built {
            endpoint: Arc::new(weighted),
            status,
        })
    }

    fn failover(&self, f: &dc::Failover) -> Result<Built, String> {
        if f.errors.is_some() {
            return Err("failover on error statuses (`errors`) is not supported yet".to_owned());
        }
        let main = self
            .get(f.service.as_str())
            .map_err(|e| format!("`{}`: {e}", f.service))?;
        let fallback = self
            .get(f.fallback.as_str())
            .map_err(|e| format!("`{}`: {e}", f.fallback))?;
        let failover = Failover::new(
            main.endpoint,
            main.status.as_ref(),
            fallback.endpoint,
            fallback.status.as_ref(),
            f.health_check,
        );
        let status = f.health_check.then(|| failover.status());
        Ok(Built {
            endpoint: Arc::new(failover),
            status,
        })
    }

    /// The servers transport `name` (qualified; `default@internal` is the static one), once.
    fn transport(&self, name: &str) -> Result<Arc<Transport>, String> {
        if let Some(done) = self.transports.borrow().get(name) {
            return done.clone();
        }
        let spec = if name == dc::names::DEFAULT_SERVERS_TRANSPORT {
            Ok(default_transport(self.input.static_config))
        } else {
            match self.input.dynamic.http.servers_transports.get(name) {
                Some(model) => Ok(self.transport_spec(name, model)),
                None => Err(format!("servers transport `{name}` does not exist")),
            }
        };
        let result = spec.and_then(|spec| {
            Transport::new(&spec)
                .map(Arc::new)
                .map_err(|e| format!("servers transport `{name}`: {e}"))
        });
        if let Err(e) = &result {
            self.report
                .borrow_mut()
                .error(ProblemKind::ServersTransport, name, e);
        }
        self.transports
            .borrow_mut()
            .insert(name.to_owned(), result.clone());
        result
    }

    fn transport_spec(&self, name: &str, model: &dc::ServersTransport) -> TransportSpec {
        let mut report = self.report.borrow_mut();
        for (set, key) in [
            (!model.cipher_suites.is_empty(), "cipherSuites"),
            (model.min_version.is_some(), "minVersion"),
            (model.max_version.is_some(), "maxVersion"),
            (!model.peer_cert_uri.is_empty(), "peerCertURI"),
        ] {
            if set {
                report.warning(
                    ProblemKind::ServersTransport,
                    name,
                    format!("`{key}` is not supported yet; ignored"),
                );
            }
        }
        let mut spec = TransportSpec {
            server_name: Some(model.server_name.clone()).filter(|s| !s.is_empty()),
            insecure_skip_verify: model.insecure_skip_verify,
            root_cas: model.root_cas.iter().map(file_or_content).collect(),
            certificates: model
                .certificates
                .iter()
                .map(|c| {
                    CertificateSpec::new(
                        file_or_content(&c.cert_file),
                        file_or_content(&c.key_file),
                    )
                })
                .collect(),
            max_idle_conns_per_host: model.max_idle_conns_per_host,
            ..TransportSpec::default()
        };
        timeouts(&mut spec, &model.forwarding_timeouts);
        spec
    }
}

fn default_transport(static_config: &StaticConfig) -> TransportSpec {
    let st = &static_config.servers_transport;
    let mut spec = TransportSpec {
        insecure_skip_verify: st.insecure_skip_verify,
        root_cas: st.root_cas.iter().map(file_or_content).collect(),
        max_idle_conns_per_host: st.max_idle_conns_per_host,
        ..TransportSpec::default()
    };
    timeouts(&mut spec, &st.forwarding_timeouts);
    spec
}

fn timeouts(spec: &mut TransportSpec, t: &ForwardingTimeouts) {
    spec.dial_timeout = t.dial_timeout.to_std().unwrap_or_default();
    spec.response_header_timeout = t.response_header_timeout.to_std().unwrap_or_default();
    spec.idle_conn_timeout = t.idle_conn_timeout.to_std().unwrap_or_default();
}

fn file_or_content(f: &FileOrContent) -> String {
    match f {
        FileOrContent::File(path) => path.display().to_string(),
        FileOrContent::Content(pem) => pem.clone(),
    }
}

fn duration(d: rampart_config::Duration) -> Duration {
    d.to_std().unwrap_or_default()
}

fn health_check(h: &HealthCheck) -> HealthCheckSpec {
    let mut spec = HealthCheckSpec::new(h.path.clone());
    spec.scheme = Some(h.scheme.clone()).filter(|s| !s.is_empty());
    if h.grpc { "grpc" } else { "http" }.clone_into(&mut spec.mode);
    spec.hostname = Some(h.hostname.clone()).filter(|s| !s.is_empty());
    spec.port = h.port;
    spec.interval = duration(h.interval);
    spec.unhealthy_interval = Some(duration(h.unhealthy_interval)).filter(|d| !d.is_zero());
    spec.timeout = duration(h.timeout);
    spec.headers = h
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    spec.follow_redirects = h.follow_redirects;
    spec.method.clone_from(&h.method);
    spec.status = h.status;
    spec
}

fn sticky(s: &StickyCookie) -> StickyCookieSpec {
    StickyCookieSpec {
        name: Some(s.name.clone()).filter(|n| !n.is_empty()),
        secure: s.secure,
        http_only: s.http_only,
        same_site: match s.same_site {
            SameSite::Unset => None,
            SameSite::None => Some("none".to_owned()),
            SameSite::Lax => Some("lax".to_owned()),
            SameSite::Strict => Some("strict".to_owned()),
        },
        max_age: s.max_age,
        path: Some(s.path.clone()).filter(|p| !p.is_empty()),
        domain: Some(s.domain.clone()).filter(|d| !d.is_empty()),
    }
}
