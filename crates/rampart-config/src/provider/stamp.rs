//! What the files a configuration names hold, so that a reload notices them change.
//!
//! The model keeps certificate, key and CA *paths* (so messages can name them), while Traefik's
//! file provider reads their contents into the configuration: a renewed certificate written
//! over the same path changes Traefik's configuration and is applied, and must be here too.
//! The watcher compares these stamps as well as the configuration.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use crate::DynamicConfig;
use crate::dynamic_config::CertificatePair;
use crate::types::FileOrContent;

/// Each referenced file with a hash of its bytes (`None`: unreadable), in configuration order.
pub(super) type FileStamps = Vec<(PathBuf, Option<u64>)>;

/// The stamps of every PEM file `config` names: `tls.certificates`, the stores' default
/// certificates, the options' client CAs, the servers transports' CAs and certificates.
pub(super) fn file_stamps(config: &DynamicConfig) -> FileStamps {
    fn pair<'a>(p: &'a CertificatePair, out: &mut Vec<&'a FileOrContent>) {
        out.push(&p.cert_file);
        out.push(&p.key_file);
    }
    let tls = &config.tls;
    let mut files: Vec<&FileOrContent> = Vec::new();
    for c in &tls.certificates {
        pair(&c.pair, &mut files);
    }
    for p in tls
        .stores
        .values()
        .filter_map(|s| s.default_certificate.as_ref())
    {
        pair(p, &mut files);
    }
    for o in tls.options.values() {
        files.extend(&o.client_auth.ca_files);
    }
    for t in config.http.servers_transports.values() {
        files.extend(&t.root_cas);
        for p in &t.certificates {
            pair(p, &mut files);
        }
    }
    files
        .into_iter()
        .filter_map(|f| match f {
            FileOrContent::File(path) => Some((path.clone(), hash_of(path))),
            FileOrContent::Content(_) => None,
        })
        .collect()
}

fn hash_of(path: &std::path::Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    Some(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::FileProvider;
    use crate::static_config::FileSource;

    #[test]
    fn a_certificate_rewritten_in_place_changes_the_stamps() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("a.crt");
        std::fs::write(&cert, "one").unwrap();
        let rules = dir.path().join("tls.yaml");
        std::fs::write(
            &rules,
            format!(
                "tls:\n  certificates:\n    - certFile: {0}\n      keyFile: {0}\n",
                cert.display()
            ),
        )
        .unwrap();
        let snapshot =
            FileProvider::load_once(FileSource::File(rules), std::collections::BTreeMap::new());
        let before = file_stamps(&snapshot.config);
        assert_eq!(before.len(), 2);
        assert!(before[0].1.is_some());
        std::fs::write(&cert, "two").unwrap();
        assert_ne!(file_stamps(&snapshot.config), before);
        std::fs::remove_file(&cert).unwrap();
        assert_eq!(file_stamps(&snapshot.config)[0].1, None);
    }
}
