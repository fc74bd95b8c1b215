//! `http.services.<name>`: exactly one of `loadBalancer`, `weighted`, `failover`, `mirroring`,
//! `highestRandomWeight`.

use super::load_balancer::{LoadBalancer, StickyCookie, load_balancer, sticky};
use super::names::{QualifiedName, service_ref};
use super::raw::{RawMirroring, RawService, RawWeightedService};
use crate::diag::Diagnostics;

/// A service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[expect(
    clippy::large_enum_variant,
    reason = "built once per reload and read in place; boxing would only add an indirection"
)]
pub enum Service {
    /// Servers, balanced.
    LoadBalancer(LoadBalancer),
    /// Other services, weighted round robin.
    Weighted(Weighted),
    /// A service, and another when it is down.
    Failover(Failover),
    /// A service whose traffic is copied to others (not yet supported by rampart).
    Mirroring(Mirroring),
    /// Other services, highest random weight (not yet supported by rampart).
    HighestRandomWeight(Weighted),
}

/// `weighted` (and `highestRandomWeight`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weighted {
    /// The services and their weights.
    pub services: Vec<WeightedService>,
    /// Sticky sessions.
    pub sticky: Option<StickyCookie>,
    /// Follow the children's health (`healthCheck: {}`).
    pub health_check: bool,
}

/// One member of a weighted service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedService {
    /// The service, qualified.
    pub name: QualifiedName,
    /// Its weight (default 1).
    pub weight: u32,
}

/// `failover`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failover {
    /// The main service.
    pub service: QualifiedName,
    /// Used while the main one is down.
    pub fallback: QualifiedName,
    /// Follow the children's health.
    pub health_check: bool,
    /// Fail over on these response statuses too.
    pub errors: Option<FailoverErrors>,
}

/// `failover.errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverErrors {
    /// The largest request body buffered for a retry (-1: no limit).
    pub max_request_body_bytes: i64,
    /// Status codes or ranges (`500-599`).
    pub status: Vec<String>,
}

/// `mirroring`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirroring {
    /// The main service.
    pub service: QualifiedName,
    /// Copy request bodies to mirrors.
    pub mirror_body: bool,
    /// The largest mirrored body (-1: no limit).
    pub max_body_size: i64,
    /// The mirrors and the share of traffic each gets.
    pub mirrors: Vec<(QualifiedName, u32)>,
    /// Follow the main service's health.
    pub health_check: bool,
}

/// Validates `http.services.<name>`; `name` is the service's qualified name.
pub(super) fn build(
    key: &str,
    name: &QualifiedName,
    raw: RawService,
    d: &mut Diagnostics<'_>,
) -> Option<Service> {
    let provider = name.provider();
    if raw.middlewares.is_some() {
        d.unsupported(&format!("{key}.middlewares"));
    }
    let kinds: Vec<&str> = [
        ("loadBalancer", raw.load_balancer.is_some()),
        ("weighted", raw.weighted.is_some()),
        ("failover", raw.failover.is_some()),
        ("mirroring", raw.mirroring.is_some()),
        ("highestRandomWeight", raw.highest_random_weight.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, present)| present.then_some(k))
    .collect();
    if kinds.len() != 1 {
        d.error(
            key,
            format!(
                "a service needs exactly one of loadBalancer, weighted, failover, mirroring, highestRandomWeight (found {})",
                if kinds.is_empty() { "none".to_owned() } else { kinds.join(", ") }
            ),
        );
        return None;
    }
    let before = d.errors.len();
    let service = if let Some(lb) = raw.load_balancer {
        Service::LoadBalancer(load_balancer(&format!("{key}.loadBalancer"), name, lb, d))
    } else if let Some(w) = raw.weighted {
        let k = format!("{key}.weighted");
        Service::Weighted(Weighted {
            services: weighted_services(&k, provider, w.services, d),
            sticky: sticky(&k, name, w.sticky, d),
            health_check: w.health_check.is_some(),
        })
    } else if let Some(f) = raw.failover {
        let k = format!("{key}.failover");
        let mut reference = |field: &str, value: Option<String>| {
            let value = value.unwrap_or_default();
            if value.trim().is_empty() {
                d.error(&format!("{k}.{field}"), "a service name is required");
                return None;
            }
            service_ref(&value, provider)
                .map_err(|e| d.error(&format!("{k}.{field}"), e))
                .ok()
        };
        let (service, fallback) = (
            reference("service", f.service),
            reference("fallback", f.fallback),
        );
        Service::Failover(Failover {
            service: service?,
            fallback: fallback?,
            health_check: f.health_check.is_some(),
            errors: f.errors.map(|e| FailoverErrors {
                max_request_body_bytes: e.max_request_body_bytes.unwrap_or(-1),
                status: e.status.unwrap_or_default(),
            }),
        })
    } else if let Some(m) = raw.mirroring {
        d.unsupported(&format!("{key}.mirroring"));
        Service::Mirroring(mirroring(&format!("{key}.mirroring"), provider, m, d)?)
    } else {
        let h = raw.highest_random_weight.unwrap_or_default();
        d.unsupported(&format!("{key}.highestRandomWeight"));
        Service::HighestRandomWeight(Weighted {
            services: weighted_services(
                &format!("{key}.highestRandomWeight"),
                provider,
                h.services,
                d,
            ),
            sticky: None,
            health_check: h.health_check.is_some(),
        })
    };
    (d.errors.len() == before).then_some(service)
}

fn mirroring(
    key: &str,
    provider: &str,
    raw: RawMirroring,
    d: &mut Diagnostics<'_>,
) -> Option<Mirroring> {
    let service = service_ref(raw.service.as_deref().unwrap_or_default(), provider)
        .map_err(|e| d.error(&format!("{key}.service"), e))
        .ok();
    let mut mirrors = Vec::new();
    for (i, mirror) in raw.mirrors.unwrap_or_default().into_iter().enumerate() {
        let percent = mirror.percent.unwrap_or(0);
        match (
            service_ref(mirror.name.as_deref().unwrap_or_default(), provider),
            u32::try_from(percent),
        ) {
            (Ok(name), Ok(share)) if share <= 100 => mirrors.push((name, share)),
            (Err(e), _) => d.error(&format!("{key}.mirrors[{i}].name"), e),
            _ => d.error(
                &format!("{key}.mirrors[{i}].percent"),
                format!("{percent} is not a percentage"),
            ),
        }
    }
    Some(Mirroring {
        service: service?,
        mirror_body: raw.mirror_body.unwrap_or(true),
        max_body_size: raw.max_body_size.unwrap_or(-1),
        mirrors,
        health_check: raw.health_check.is_some(),
    })
}

fn weighted_services(
    key: &str,
    provider: &str,
    raw: Option<Vec<RawWeightedService>>,
    d: &mut Diagnostics<'_>,
) -> Vec<WeightedService> {
    let mut out = Vec::new();
    for (i, s) in raw.unwrap_or_default().into_iter().enumerate() {
        let name = service_ref(s.name.as_deref().unwrap_or_default(), provider);
        let weight = u32::try_from(s.weight.unwrap_or(1));
        match (name, weight) {
            (Ok(name), Ok(weight)) => out.push(WeightedService { name, weight }),
            (Err(e), _) => d.error(&format!("{key}.services[{i}].name"), e),
            (_, Err(_)) => d.error(
                &format!("{key}.services[{i}].weight"),
                "a weight must not be negative",
            ),
        }
    }
    out
}
