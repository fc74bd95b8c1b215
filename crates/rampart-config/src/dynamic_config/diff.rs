//! What changed between two dynamic configurations, for the reload log line (sozu's
//! `ConfigState::diff`): objects added, removed, and changed, per kind.

use std::collections::BTreeMap;
use std::fmt;

use super::DynamicConfig;
use super::tls::TlsCertificate;
use crate::types::FileOrContent;

/// Names added, removed and changed in one kind of object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// In the new configuration only.
    pub added: Vec<String>,
    /// In the old configuration only.
    pub removed: Vec<String>,
    /// In both, different.
    pub changed: Vec<String>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    fn between<K: fmt::Display + Ord, V: PartialEq>(
        old: &BTreeMap<K, V>,
        new: &BTreeMap<K, V>,
    ) -> Self {
        let mut changes = Changes::default();
        for (name, value) in new {
            match old.get(name) {
                None => changes.added.push(name.to_string()),
                Some(previous) if previous != value => changes.changed.push(name.to_string()),
                Some(_) => {}
            }
        }
        changes.removed = old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .map(ToString::to_string)
            .collect();
        changes
    }
}

/// The difference between two [`DynamicConfig`]s.
///
/// Displayed compactly: `routers +a@file ~b@file -c@file; middlewares +auth@file`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigDiff {
    /// `http.routers`.
    pub routers: Changes,
    /// `http.services`.
    pub services: Changes,
    /// `http.middlewares`.
    pub middlewares: Changes,
    /// `http.serversTransports`.
    pub servers_transports: Changes,
    /// `tls.options`.
    pub tls_options: Changes,
    /// `tls.stores`.
    pub tls_stores: Changes,
    /// `tls.certificates`, named by their certificate file (or a digest of inline PEM).
    pub tls_certificates: Changes,
}

impl ConfigDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.parts().iter().all(|(_, c)| c.is_empty())
    }

    fn parts(&self) -> [(&'static str, &Changes); 7] {
        [
            ("routers", &self.routers),
            ("services", &self.services),
            ("middlewares", &self.middlewares),
            ("serversTransports", &self.servers_transports),
            ("tls options", &self.tls_options),
            ("tls stores", &self.tls_stores),
            ("tls certificates", &self.tls_certificates),
        ]
    }
}

impl fmt::Display for ConfigDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no changes");
        }
        let mut first = true;
        for (kind, changes) in self.parts() {
            if changes.is_empty() {
                continue;
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            f.write_str(kind)?;
            for (sign, names) in [
                ('+', &changes.added),
                ('~', &changes.changed),
                ('-', &changes.removed),
            ] {
                for name in names {
                    write!(f, " {sign}{name}")?;
                }
            }
        }
        Ok(())
    }
}

/// A name for a certificate: its file, or a digest of inline PEM (never the PEM itself).
pub(crate) fn certificate_id(cert: &TlsCertificate) -> String {
    match &cert.pair.cert_file {
        FileOrContent::File(path) => path.display().to_string(),
        FileOrContent::Content(pem) => {
            let digest = ring::digest::digest(&ring::digest::SHA256, pem.as_bytes());
            format!("inline:{}", crate::types::hex(&digest.as_ref()[..6]))
        }
    }
}

impl DynamicConfig {
    /// What changed from `old` to `new`.
    pub fn diff(old: &DynamicConfig, new: &DynamicConfig) -> ConfigDiff {
        let certs = |c: &DynamicConfig| -> BTreeMap<String, TlsCertificate> {
            c.tls
                .certificates
                .iter()
                .map(|cert| (certificate_id(cert), cert.clone()))
                .collect()
        };
        ConfigDiff {
            routers: Changes::between(&old.http.routers, &new.http.routers),
            services: Changes::between(&old.http.services, &new.http.services),
            middlewares: Changes::between(&old.http.middlewares, &new.http.middlewares),
            servers_transports: Changes::between(
                &old.http.servers_transports,
                &new.http.servers_transports,
            ),
            tls_options: Changes::between(&old.tls.options, &new.tls.options),
            tls_stores: Changes::between(&old.tls.stores, &new.tls.stores),
            tls_certificates: Changes::between(&certs(old), &certs(new)),
        }
    }
}
