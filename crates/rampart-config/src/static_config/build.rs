//! The static tree into a [`StaticConfig`]: each section decoded on its own (so one bad section
//! does not hide the errors of the next), defaults applied, Traefik's effective configuration
//! derived (`SetEffectiveConfiguration`), and references between sections checked.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::address::Address;
use super::defaults as d;
use super::entry_point::{EntryPoint, RedirectTarget};
use super::raw::{self, TOP_LEVEL_KEYS};
use super::{StaticConfig, acme, entry_point, observability, sections};
use crate::de::from_value;
use crate::diag::Diagnostics;
use crate::types::RuleSyntax;
use crate::value::{Map, Value};

/// Whether a section is switched off (`api: false`, `--ping=false`).
fn is_off(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::String(s) => matches!(s.trim(), "false" | "False" | "FALSE" | "0" | "f" | "F"),
        _ => false,
    }
}

fn decode<T: DeserializeOwned>(key: &str, value: &Value, d: &mut Diagnostics<'_>) -> Option<T> {
    from_value(value).map_err(|e| d.decode(key, &e)).ok()
}

fn decode_section<T: DeserializeOwned>(
    key: &str,
    value: &Value,
    d: &mut Diagnostics<'_>,
) -> Option<T> {
    if is_off(value) {
        return None;
    }
    decode(key, value, d)
}

/// The entries of a map-valued section (`entryPoints`, `certificatesResolvers`).
fn entries<'v>(key: &str, value: &'v Value, d: &mut Diagnostics<'_>) -> Vec<(&'v str, &'v Value)> {
    match value {
        Value::Map(m) => m.iter().collect(),
        Value::Null => Vec::new(),
        other => {
            d.error(
                key,
                format!("expected a map of names, found {}", other.kind()),
            );
            Vec::new()
        }
    }
}

/// Builds the static configuration from `value`; problems go to `d`.
pub(super) fn build(value: &Value, d: &mut Diagnostics<'_>) -> StaticConfig {
    let empty = Map::new();
    let root = match value {
        Value::Map(m) => m,
        Value::Null => &empty,
        other => {
            d.error(
                "",
                format!("expected a map of settings, found {}", other.kind()),
            );
            &empty
        }
    };
    let mut config = StaticConfig::default();
    let mut seen: Vec<&str> = Vec::new();
    for (written, value) in root.iter() {
        let Some(&key) = TOP_LEVEL_KEYS
            .iter()
            .find(|k| k.eq_ignore_ascii_case(written))
        else {
            d.error(
                written,
                format!(
                    "unknown key `{written}` (expected one of {})",
                    TOP_LEVEL_KEYS.join(", ")
                ),
            );
            continue;
        };
        if seen.contains(&key) {
            d.error(
                written,
                format!("`{key}` is given twice (keys are case-insensitive)"),
            );
            continue;
        }
        seen.push(key);
        section(&mut config, key, value, d);
    }
    effective(&mut config);
    cross_check(&config, d);
    config
}

fn section(config: &mut StaticConfig, key: &str, value: &Value, d: &mut Diagnostics<'_>) {
    match key {
        "global" => {
            if let Some(raw) = decode::<raw::RawGlobal>(key, value, d) {
                config.global = sections::build_global(&raw);
            }
        }
        "serversTransport" => {
            if let Some(raw) = decode::<raw::RawServersTransport>(key, value, d) {
                config.servers_transport = sections::build_servers_transport(raw, d);
            }
        }
        "entryPoints" => {
            for (name, value) in entries(key, value, d) {
                let ep_key = format!("entryPoints.{name}");
                if let Err(reason) = check_name(name) {
                    d.error(&ep_key, reason);
                    continue;
                }
                if let Some(raw) = decode::<raw::RawEntryPoint>(&ep_key, value, d)
                    && let Some(ep) = entry_point::build(name, raw, d)
                {
                    config.entry_points.insert(name.to_owned(), ep);
                }
            }
        }
        "providers" => {
            if let Some(raw) = decode::<raw::RawProviders>(key, value, d) {
                config.providers = sections::build_providers(raw, d);
            }
        }
        "api" => config.api = decode_section(key, value, d).map(|raw| sections::build_api(raw, d)),
        "ping" => {
            config.ping = decode_section(key, value, d).map(|raw| sections::build_ping(raw, d));
        }
        "log" => {
            if let Some(raw) = decode_section(key, value, d) {
                config.log = observability::build_log(raw, d);
            }
        }
        "accessLog" => {
            config.access_log =
                decode_section(key, value, d).map(|raw| observability::build_access_log(raw, d));
        }
        "hostResolver" => {
            config.host_resolver =
                decode_section(key, value, d).map(|raw| sections::build_host_resolver(raw, d));
        }
        "certificatesResolvers" => {
            for (name, value) in entries(key, value, d) {
                let rkey = format!("certificatesResolvers.{name}");
                if let Err(reason) = check_name(name) {
                    d.error(&rkey, reason);
                    continue;
                }
                let Some(raw) = decode::<raw::RawResolver>(&rkey, value, d) else {
                    continue;
                };
                if raw.tailscale.is_some() {
                    d.unsupported(&format!("{rkey}.tailscale"));
                }
                match raw.acme {
                    Some(acme) => {
                        if let Some(acme) = acme::build(&format!("{rkey}.acme"), acme, d) {
                            config
                                .certificates_resolvers
                                .insert(name.to_owned(), super::CertificateResolver { acme });
                        }
                    }
                    None if raw.tailscale.is_none() => {
                        d.error(&rkey, "a resolver needs an `acme` section");
                    }
                    None => {}
                }
            }
        }
        "core" => {
            if let Some(raw) = decode::<raw::RawCore>(key, value, d) {
                match raw.default_rule_syntax.as_deref() {
                    None | Some("") => {}
                    Some(text) => match RuleSyntax::parse(text) {
                        Some(syntax) => {
                            if syntax == RuleSyntax::V2 {
                                d.deprecated(
                                    "core.defaultRuleSyntax",
                                    "v2 rules are deprecated; rewrite rules in v3 syntax",
                                );
                            }
                            config.core.default_rule_syntax = syntax;
                        }
                        None => d.error(
                            "core.defaultRuleSyntax",
                            format!("unsupported rule syntax `{text}` (expected v2 or v3)"),
                        ),
                    },
                }
            }
        }
        // Traefik's `--configFile` is part of its command configuration: accepted, not a setting.
        "configFile" => {}
        // tcpServersTransport, metrics, tracing, experimental, spiffe, ocsp.
        _ => d.unsupported(key),
    }
}

/// Entry point and resolver names end up in `name@internal` router names and key paths.
fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        Err("a name must not be empty".to_owned())
    } else if name.contains('@') {
        Err(format!(
            "`{name}`: `@` is not allowed in names (it separates the provider)"
        ))
    } else {
        Ok(())
    }
}

/// Traefik's `SetEffectiveConfiguration`: the implicit entry points.
fn effective(config: &mut StaticConfig) {
    if config.entry_points.is_empty() {
        let (name, address) = d::DEFAULT_ENTRY_POINT;
        config
            .entry_points
            .insert(name.to_owned(), EntryPoint::new(parse_builtin(address)));
    }
    let api_insecure = config.api.as_ref().is_some_and(|a| a.insecure);
    let ping_internal = config
        .ping
        .as_ref()
        .is_some_and(|p| !p.manual_routing && p.entry_point == d::INTERNAL_ENTRY_POINT.0);
    if api_insecure || ping_internal {
        let (name, address) = d::INTERNAL_ENTRY_POINT;
        config
            .entry_points
            .entry(name.to_owned())
            .or_insert_with(|| EntryPoint::new(parse_builtin(address)));
    }
}

fn parse_builtin(address: &str) -> Address {
    address.parse().unwrap_or(Address {
        host: String::new(),
        port: 0,
        protocol: super::Protocol::Tcp,
    })
}

/// References between sections: redirections, challenge and ping entry points, resolvers.
fn cross_check(config: &StaticConfig, d: &mut Diagnostics<'_>) {
    let eps: &BTreeMap<String, EntryPoint> = &config.entry_points;
    let known = || {
        eps.keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (name, ep) in eps {
        if let Some(r) = &ep.http.redirection
            && let RedirectTarget::EntryPoint(to) = &r.to
            && !eps.contains_key(to)
        {
            d.error(
                &format!("entryPoints.{name}.http.redirections.entryPoint.to"),
                format!("no entry point `{to}` (entry points: {})", known()),
            );
        }
        if let Some(resolver) = ep.http.tls.as_ref().and_then(|t| t.cert_resolver.as_ref())
            && !config.certificates_resolvers.contains_key(resolver)
        {
            d.error(
                &format!("entryPoints.{name}.http.tls.certResolver"),
                format!(
                    "no certificate resolver `{resolver}` is defined in `certificatesResolvers`"
                ),
            );
        }
    }
    for (name, resolver) in &config.certificates_resolvers {
        if let Some(http) = &resolver.acme.http_challenge
            && !http.entry_point.is_empty()
            && !eps.contains_key(&http.entry_point)
        {
            d.error(
                &format!("certificatesResolvers.{name}.acme.httpChallenge.entryPoint"),
                format!(
                    "no entry point `{}` (entry points: {})",
                    http.entry_point,
                    known()
                ),
            );
        }
    }
    if let Some(ping) = &config.ping
        && !ping.manual_routing
        && !eps.contains_key(&ping.entry_point)
    {
        d.error(
            "ping.entryPoint",
            format!(
                "no entry point `{}` (entry points: {})",
                ping.entry_point,
                known()
            ),
        );
    }
}
