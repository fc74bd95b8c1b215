//! One immutable view of the store: name indexes and the default, swapped whole.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use crate::info::{CertInfo, CertOrigin};
use crate::names::{normalize, wildcard_key, wildcard_parent};
use crate::{LoadedCert, generated_default};

/// A certificate and where it came from.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) cert: LoadedCert,
    pub(crate) origin: CertOrigin,
}

impl Entry {
    pub(crate) fn new(cert: LoadedCert, origin: CertOrigin) -> Arc<Self> {
        Arc::new(Entry { cert, origin })
    }

    pub(crate) fn info(&self, is_default: bool) -> CertInfo {
        CertInfo {
            names: self.cert.names().to_vec(),
            origin: self.origin.clone(),
            subject: self.cert.subject().to_owned(),
            issuer: self.cert.issuer().to_owned(),
            not_before: self.cert.not_before(),
            not_after: self.cert.not_after(),
            sha256: self.cert.sha256().to_owned(),
            is_default,
        }
    }

    /// Which of two certificates claiming a name serves it: one valid now beats an expired or
    /// not-yet-valid one, then the later expiry (a renewal wins over the certificate it renews),
    /// then a configured file over ACME (the operator named it explicitly). Equal ranks keep the
    /// first one listed, so the choice is deterministic.
    fn rank(&self, now: SystemTime) -> (bool, SystemTime, u8) {
        let origin = match self.origin {
            CertOrigin::File => 2,
            CertOrigin::Acme { .. } => 1,
            CertOrigin::Generated => 0,
        };
        (self.cert.is_valid_at(now), self.cert.not_after(), origin)
    }
}

/// What the default certificate is, before the certificates are known.
#[derive(Debug, Clone, Default)]
pub(crate) enum DefaultChoice {
    /// The generated `TRAEFIK DEFAULT CERT`.
    #[default]
    Generated,
    /// `tls.stores.default.defaultCertificate`.
    Configured(Arc<Entry>),
    /// `defaultGeneratedCert`: the certificate covering all these (normalized) domains, once
    /// one is in the store; the generated one until then.
    Covering(Vec<String>),
}

/// The indexes one handshake reads.
#[derive(Debug)]
pub(crate) struct Snapshot {
    exact: HashMap<Box<str>, Arc<Entry>>,
    wildcard: HashMap<Box<str>, Arc<Entry>>,
    default: Arc<Entry>,
    all: Vec<Arc<Entry>>,
}

impl Snapshot {
    /// Indexes `entries` (in priority order for ties) and picks the default.
    pub(crate) fn build(
        entries: Vec<Arc<Entry>>,
        default: &DefaultChoice,
        now: SystemTime,
    ) -> Self {
        let mut exact: HashMap<Box<str>, Arc<Entry>> = HashMap::new();
        let mut wildcard: HashMap<Box<str>, Arc<Entry>> = HashMap::new();
        let mut index = |name: &str, entry: &Arc<Entry>| {
            let (map, key) = match wildcard_key(name) {
                Some(parent) => (&mut wildcard, parent),
                None => (&mut exact, name),
            };
            match map.get_mut(key) {
                Some(held) if held.rank(now) >= entry.rank(now) => {}
                Some(held) => *held = entry.clone(),
                None => {
                    map.insert(key.into(), entry.clone());
                }
            }
        };
        let default = match default {
            DefaultChoice::Generated => None,
            // Listed in `tls.certificates` too: one entry, not two.
            DefaultChoice::Configured(entry) => Some(
                entries
                    .iter()
                    .find(|e| e.cert.sha256() == entry.cert.sha256())
                    .unwrap_or(entry)
                    .clone(),
            ),
            DefaultChoice::Covering(domains) => entries
                .iter()
                .filter(|e| domains.iter().all(|d| e.cert.names().contains(d)))
                .max_by_key(|e| e.rank(now))
                .cloned(),
        };
        for entry in entries.iter().chain(default.iter()) {
            for name in entry.cert.names() {
                index(name, entry);
            }
        }
        let default = default
            .unwrap_or_else(|| Entry::new(generated_default().clone(), CertOrigin::Generated));
        let mut all = entries;
        if !all.iter().any(|e| Arc::ptr_eq(e, &default)) {
            all.push(default.clone());
        }
        Snapshot {
            exact,
            wildcard,
            default,
            all,
        }
    }

    /// The certificate for `server_name`: exact name first, then a one-label wildcard.
    pub(crate) fn lookup(&self, server_name: &str) -> Option<&Arc<Entry>> {
        let name = normalize(server_name);
        if let Some(entry) = self.exact.get(name.as_ref()) {
            return Some(entry);
        }
        wildcard_parent(&name).and_then(|parent| self.wildcard.get(parent))
    }

    pub(crate) fn default_entry(&self) -> &Arc<Entry> {
        &self.default
    }

    pub(crate) fn infos(&self) -> Vec<CertInfo> {
        self.all
            .iter()
            .map(|e| e.info(Arc::ptr_eq(e, &self.default)))
            .collect()
    }
}
