//! Every TLS options object of a configuration, built.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use rustls::ServerConfig;

use super::build::server_config;
use crate::{CertStore, ChallengeCerts, DEFAULT_NAME, Report, Resolver, TlsOptionsSpec};

/// The built TLS options, by name. Options that failed to build are kept as *unusable*, so
/// that handshakes needing them are refused instead of served with weaker options.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Arc;
/// use rampart_tls::options::OptionsSet;
/// use rampart_tls::{AlpnChallengeCerts, CertStore, TlsOptionsSpec};
///
/// let mut specs = BTreeMap::new();
/// specs.insert("mintls13@file".to_owned(), TlsOptionsSpec {
///     min_version: Some("VersionTLS13".into()),
///     ..Default::default()
/// });
/// specs.insert("typo@file".to_owned(), TlsOptionsSpec {
///     cipher_suites: vec!["TLS_AES_128_GCM_SHA512".into()],
///     ..Default::default()
/// });
/// let store = Arc::new(CertStore::new());
/// let (set, report) = OptionsSet::build(&specs, &store, Arc::new(AlpnChallengeCerts::new()));
/// assert!(set.get("default").is_some()); // built in
/// assert!(set.get("mintls13@file").is_some());
/// assert!(set.contains("typo@file") && set.get("typo@file").is_none()); // unusable
/// assert_eq!(report.errors.len(), 1);
/// ```
#[derive(Clone)]
pub struct OptionsSet {
    entries: HashMap<Arc<str>, Option<Arc<ServerConfig>>>,
}

impl fmt::Debug for OptionsSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<(&str, bool)> = self
            .entries
            .iter()
            .map(|(n, c)| (n.as_ref(), c.is_some()))
            .collect();
        names.sort_unstable();
        f.debug_struct("OptionsSet")
            .field("usable", &names)
            .finish()
    }
}

impl OptionsSet {
    /// Builds every options object of `specs`, plus Traefik's built-in `default` unless
    /// `specs` defines one. Certificates come from `store`, TLS-ALPN-01 answers from
    /// `challenges`.
    pub fn build(
        specs: &BTreeMap<String, TlsOptionsSpec>,
        store: &Arc<CertStore>,
        challenges: Arc<dyn ChallengeCerts>,
    ) -> (Self, Report) {
        let mut report = Report::default();
        let resolver = Resolver::new(store.clone(), challenges);
        let builtin = (!specs.contains_key(DEFAULT_NAME))
            .then(|| (DEFAULT_NAME.to_owned(), TlsOptionsSpec::traefik_default()));
        let mut entries = HashMap::new();
        for (name, spec) in specs.iter().chain(builtin.iter().map(|(n, s)| (n, s))) {
            let built = match server_config(name, spec, resolver.clone(), &mut report) {
                Ok(config) => Some(config),
                Err(errors) => {
                    report.errors.extend(errors);
                    None
                }
            };
            entries.insert(Arc::from(name.as_str()), built);
        }
        (OptionsSet { entries }, report)
    }

    /// The configuration of the options named `name`, if they exist and are usable.
    pub fn get(&self, name: &str) -> Option<&Arc<ServerConfig>> {
        self.entries.get(name).and_then(Option::as_ref)
    }

    /// Whether options named `name` exist (usable or not).
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.entries.keys().map(AsRef::as_ref).collect();
        names.sort_unstable();
        names
    }

    /// The canonical `Arc<str>` for a name (one allocation per options name, shared by every
    /// connection that reports it).
    pub(crate) fn name_arc(&self, name: &str) -> Option<Arc<str>> {
        self.entries.get_key_value(name).map(|(k, _)| k.clone())
    }
}
