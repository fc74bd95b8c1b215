//! Which TLS options a handshake uses, from its SNI: Traefik's per-router selection.
//!
//! Traefik applies the options of the routers whose `Host` rules name the SNI; routers on the
//! same host asking for different options conflict, and then the default options apply (with
//! an error on the routers); no SNI, or an SNI no router names, gets the default options. The
//! same lookup must back the router's SNI ≠ Host check (421, attack case D6), so it is public.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::names::{normalize, wildcard_key, wildcard_parent};
use crate::{DEFAULT_NAME, Warning};

/// Host → TLS options name, exact names first, then one-label wildcards (`*.example.com`, as
/// `HostSNI` allows), then `default`. Case-insensitive; trailing dots ignored.
///
/// ```
/// use rampart_tls::HostOptions;
///
/// let mut b = HostOptions::builder();
/// b.add("admin.example.test", "mtls@file");
/// b.add("*.internal.example.test", "mtls@file");
/// b.add("shared.example.test", "a@file");
/// b.add("shared.example.test", "b@file");
/// let (hosts, warnings) = b.build();
/// assert_eq!(&*hosts.options_for(Some("ADMIN.example.test.")), "mtls@file");
/// assert_eq!(&*hosts.options_for(Some("db.internal.example.test")), "mtls@file");
/// assert_eq!(&*hosts.options_for(Some("shared.example.test")), "default"); // conflict
/// assert_eq!(&*hosts.options_for(None), "default");
/// assert_eq!(warnings.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct HostOptions {
    exact: HashMap<Box<str>, Arc<str>>,
    wildcard: HashMap<Box<str>, Arc<str>>,
    default: Arc<str>,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            default: Arc::from(DEFAULT_NAME),
        }
    }
}

impl HostOptions {
    /// Collects (host, options) pairs, one per TLS router host.
    pub fn builder() -> HostOptionsBuilder {
        HostOptionsBuilder::default()
    }

    /// The options name for a handshake with this SNI.
    pub fn options_for(&self, server_name: Option<&str>) -> Arc<str> {
        let Some(name) = server_name else {
            return self.default.clone();
        };
        let name = normalize(name);
        self.exact
            .get(name.as_ref())
            .or_else(|| wildcard_parent(&name).and_then(|p| self.wildcard.get(p)))
            .unwrap_or(&self.default)
            .clone()
    }

    /// Every (host, options) pair, sorted, for `rampart check` and the API.
    pub fn entries(&self) -> Vec<(String, Arc<str>)> {
        let mut out: Vec<(String, Arc<str>)> = self
            .exact
            .iter()
            .map(|(h, o)| (h.to_string(), o.clone()))
            .chain(
                self.wildcard
                    .iter()
                    .map(|(h, o)| (format!("*.{h}"), o.clone())),
            )
            .collect();
        out.sort();
        out
    }
}

/// Builder for [`HostOptions`].
#[derive(Debug, Default, Clone)]
pub struct HostOptionsBuilder {
    hosts: BTreeMap<String, BTreeSet<String>>,
}

impl HostOptionsBuilder {
    /// Records that a TLS router for `host` uses the options named `options` (`default`, or
    /// an empty name, for routers without `tls.options`).
    pub fn add(&mut self, host: &str, options: &str) -> &mut Self {
        let options = match options.trim() {
            "" => DEFAULT_NAME,
            name => name,
        };
        self.hosts
            .entry(normalize(host.trim()).into_owned())
            .or_default()
            .insert(options.to_owned());
        self
    }

    /// The map, and a warning per conflicting host.
    pub fn build(&self) -> (HostOptions, Vec<Warning>) {
        let mut warnings = Vec::new();
        let mut interned: HashMap<&str, Arc<str>> = HashMap::new();
        let mut out = HostOptions::default();
        interned.insert(DEFAULT_NAME, out.default.clone());
        for (host, options) in &self.hosts {
            let chosen: &str = if options.len() == 1 {
                options.first().map_or(DEFAULT_NAME, String::as_str)
            } else {
                warnings.push(Warning::new(
                    format!("host {host:?}"),
                    format!(
                        "routers ask for different TLS options {options:?}; the default options \
                         are used for this host (as in Traefik)"
                    ),
                ));
                DEFAULT_NAME
            };
            let chosen = interned
                .entry(chosen)
                .or_insert_with(|| Arc::from(chosen))
                .clone();
            match wildcard_key(host) {
                Some(parent) => out.wildcard.insert(parent.into(), chosen),
                None => out.exact.insert(host.as_str().into(), chosen),
            };
        }
        (out, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(pairs: &[(&str, &str)]) -> (HostOptions, Vec<Warning>) {
        let mut b = HostOptions::builder();
        for (h, o) in pairs {
            b.add(h, o);
        }
        b.build()
    }

    #[test]
    fn exact_then_one_label_wildcard_then_default() {
        let (hosts, warnings) = build(&[
            ("*.example.test", "wild@file"),
            ("a.example.test", "exact@file"),
        ]);
        assert!(warnings.is_empty());
        assert_eq!(&*hosts.options_for(Some("a.example.test")), "exact@file");
        assert_eq!(&*hosts.options_for(Some("b.example.test")), "wild@file");
        assert_eq!(&*hosts.options_for(Some("x.b.example.test")), "default");
        assert_eq!(&*hosts.options_for(Some("example.test")), "default");
    }

    #[test]
    fn hosts_are_normalized_when_added_and_when_looked_up() {
        let (hosts, _) = build(&[("Admin.Example.TEST.", "mtls@file")]);
        for sni in [
            "admin.example.test",
            "ADMIN.EXAMPLE.TEST",
            "admin.example.test.",
        ] {
            assert_eq!(&*hosts.options_for(Some(sni)), "mtls@file", "{sni}");
        }
        assert_eq!(
            hosts.entries(),
            [("admin.example.test".to_owned(), Arc::from("mtls@file"))]
        );
    }

    #[test]
    fn the_same_options_twice_is_not_a_conflict_but_different_ones_are() {
        let (hosts, warnings) = build(&[
            ("a.example.test", "x@file"),
            ("a.example.test", "x@file"),
            ("b.example.test", "x@file"),
            ("b.example.test", "default"),
            ("c.example.test", ""),
        ]);
        assert_eq!(&*hosts.options_for(Some("c.example.test")), "default");
        assert_eq!(&*hosts.options_for(Some("a.example.test")), "x@file");
        assert_eq!(&*hosts.options_for(Some("b.example.test")), "default");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].subject, "host \"b.example.test\"");
    }
}
