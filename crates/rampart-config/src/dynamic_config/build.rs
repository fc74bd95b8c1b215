//! One dynamic document (one file) into a [`DynamicConfig`]: every object decoded and validated
//! on its own, names qualified with the provider, every problem collected.

use serde::de::DeserializeOwned;

use super::names::{QualifiedName, check_name};
use super::{DynamicConfig, ObjectKind, middleware, router, service, tls, transport};
use crate::de::from_value;
use crate::diag::Diagnostics;
use crate::value::{Map, Value};

fn decode<T: DeserializeOwned>(key: &str, value: &Value, d: &mut Diagnostics<'_>) -> Option<T> {
    from_value(value).map_err(|e| d.decode(key, &e)).ok()
}

/// The map under `key`, or nothing (with an error when it is something else).
fn map_of<'v>(key: &str, value: &'v Value, d: &mut Diagnostics<'_>) -> Option<&'v Map> {
    match value {
        Value::Map(m) => Some(m),
        Value::Null => None,
        other => {
            d.error(key, format!("expected a map, found {}", other.kind()));
            None
        }
    }
}

/// Finds each written key among `known` (case-insensitively, as Traefik matches keys).
fn sections<'v>(
    prefix: &str,
    map: &'v Map,
    known: &[&'static str],
    d: &mut Diagnostics<'_>,
) -> Vec<(&'static str, String, &'v Value)> {
    let mut out: Vec<(&'static str, String, &'v Value)> = Vec::new();
    for (written, value) in map.iter() {
        let key = crate::diag::join(prefix, written);
        match known.iter().find(|k| k.eq_ignore_ascii_case(written)) {
            Some(&canonical) if out.iter().any(|(c, _, _)| *c == canonical) => {
                d.error(
                    &key,
                    format!("`{canonical}` is given twice (keys are case-insensitive)"),
                );
            }
            Some(&canonical) => out.push((canonical, key, value)),
            None => d.error(
                &key,
                format!(
                    "unknown key `{written}` (expected one of {})",
                    known.join(", ")
                ),
            ),
        }
    }
    out
}

/// Builds the objects of one document of `provider`.
pub(super) fn build(value: &Value, provider: &str, d: &mut Diagnostics<'_>) -> DynamicConfig {
    let mut config = DynamicConfig::default();
    let Some(root) = map_of("", value, d) else {
        return config;
    };
    for (section, key, value) in sections("", root, &["http", "tcp", "udp", "tls"], d) {
        match section {
            "http" => http(&key, value, provider, &mut config, d),
            "tls" => tls_section(&key, value, provider, &mut config, d),
            _ => d.unsupported(&key),
        }
    }
    config
}

/// Each `(name, value)` of a map of named objects, with the name checked.
fn named<'v>(
    key: &str,
    value: &'v Value,
    d: &mut Diagnostics<'_>,
) -> Vec<(String, &'v str, &'v Value)> {
    let Some(map) = map_of(key, value, d) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, v) in map.iter() {
        let object_key = format!("{key}.{name}");
        match check_name(name) {
            Ok(()) => out.push((object_key, name, v)),
            Err(e) => d.error(&object_key, e),
        }
    }
    out
}

fn http(
    key: &str,
    value: &Value,
    provider: &str,
    config: &mut DynamicConfig,
    d: &mut Diagnostics<'_>,
) {
    let Some(map) = map_of(key, value, d) else {
        return;
    };
    let known = [
        "routers",
        "services",
        "middlewares",
        "serversTransports",
        "models",
    ];
    for (section, key, value) in sections(key, map, &known, d) {
        for (object_key, name, v) in named(&key, value, d) {
            let Ok(qualified) = QualifiedName::new(name, provider) else {
                continue;
            };
            let origin = d.origin(&object_key);
            let kind = match section {
                "routers" => {
                    let Some(r) = decode(&object_key, v, d)
                        .and_then(|raw| router::build(&object_key, provider, raw, d))
                    else {
                        continue;
                    };
                    config.http.routers.insert(qualified.clone(), r);
                    ObjectKind::Router
                }
                "services" => {
                    let Some(s) = decode(&object_key, v, d)
                        .and_then(|raw| service::build(&object_key, &qualified, raw, d))
                    else {
                        continue;
                    };
                    config.http.services.insert(qualified.clone(), s);
                    ObjectKind::Service
                }
                "middlewares" => {
                    let Some(m) = middleware::build(&object_key, v, d) else {
                        continue;
                    };
                    config.http.middlewares.insert(qualified.clone(), m);
                    ObjectKind::Middleware
                }
                "serversTransports" => {
                    let Some(t) = decode(&object_key, v, d)
                        .and_then(|raw| transport::build(&object_key, raw, d))
                    else {
                        continue;
                    };
                    config.http.servers_transports.insert(qualified.clone(), t);
                    ObjectKind::ServersTransport
                }
                _ => {
                    d.unsupported(&object_key);
                    continue;
                }
            };
            config.origins.insert((kind, qualified.to_string()), origin);
        }
    }
}

fn tls_section(
    key: &str,
    value: &Value,
    provider: &str,
    config: &mut DynamicConfig,
    d: &mut Diagnostics<'_>,
) {
    let Some(map) = map_of(key, value, d) else {
        return;
    };
    for (section, key, value) in sections(key, map, &["certificates", "options", "stores"], d) {
        match section {
            "certificates" => {
                let items = match value {
                    Value::List(items) => items.as_slice(),
                    Value::Null => &[],
                    other => {
                        d.error(
                            &key,
                            format!("expected a list of certificates, found {}", other.kind()),
                        );
                        &[]
                    }
                };
                for (i, item) in items.iter().enumerate() {
                    let item_key = format!("{key}[{i}]");
                    if let Some(cert) = decode(&item_key, item, d)
                        .and_then(|raw| tls::build_certificate(&item_key, raw, d))
                    {
                        let origin = d.origin(&item_key);
                        config.origins.insert(
                            (
                                ObjectKind::TlsCertificate,
                                super::diff::certificate_id(&cert),
                            ),
                            origin,
                        );
                        config.tls.certificates.push(cert);
                    }
                }
            }
            "options" | "stores" => {
                for (object_key, name, v) in named(&key, value, d) {
                    // The option set and the store called `default` are global, not qualified.
                    let qualified = if name == "default" {
                        name.to_owned()
                    } else {
                        match QualifiedName::new(name, provider) {
                            Ok(q) => q.to_string(),
                            Err(_) => continue,
                        }
                    };
                    let origin = d.origin(&object_key);
                    if section == "options" {
                        let Some(o) = decode(&object_key, v, d)
                            .and_then(|raw| tls::build_options(&object_key, raw, d))
                        else {
                            continue;
                        };
                        config.tls.options.insert(qualified.clone(), o);
                        config
                            .origins
                            .insert((ObjectKind::TlsOptions, qualified), origin);
                    } else {
                        let Some(s) = decode(&object_key, v, d)
                            .and_then(|raw| tls::build_store(&object_key, raw, d))
                        else {
                            continue;
                        };
                        config.tls.stores.insert(qualified.clone(), s);
                        config
                            .origins
                            .insert((ObjectKind::TlsStore, qualified), origin);
                    }
                }
            }
            _ => {}
        }
    }
}
