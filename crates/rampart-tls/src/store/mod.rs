//! The certificate store: every certificate rampart can serve, indexed by name.
//!
//! Readers (handshakes) load one immutable [`Snapshot`](snapshot::Snapshot) through arc-swap and
//! never wait; writers (a configuration reload, ACME storing a certificate) build a new
//! snapshot under a mutex and swap it in whole. A connection keeps the certificate it was
//! handshaken with, so swapping certificates never drops a connection.

mod snapshot;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use rustls::sign::CertifiedKey;

use crate::info::{CertInfo, CertOrigin};
use crate::names::normalize;
use crate::spec::{CertificateSpec, DEFAULT_NAME, StoreSpec};
use crate::{FileOrPem, LoadedCert, Report, TlsError};
pub(crate) use snapshot::Snapshot;
use snapshot::{DefaultChoice, Entry};

/// All certificates — configured files and ACME's — and the default certificate.
///
/// Selection (see [`lookup`](CertStore::lookup)): the exact name first, then a one-label
/// wildcard. When several certificates claim a name, one valid now wins over an expired one,
/// then the later expiry, then a configured file over ACME.
///
/// ```
/// use rampart_testkit::TestCa;
/// use rampart_tls::{CertStore, CertificateSpec, FileOrPem};
///
/// let ca = TestCa::new("doc");
/// let wild = ca.server_cert(&["*.example.test"]);
/// let store = CertStore::new();
/// let report = store.load_files(
///     &[CertificateSpec::new(
///         FileOrPem::Pem(wild.cert_pem.clone()),
///         FileOrPem::Pem(wild.key_pem.clone()),
///     )],
///     &Default::default(),
/// );
/// assert!(report.is_ok());
/// assert!(store.lookup("app.example.test").is_some());
/// assert!(store.lookup("a.b.example.test").is_none()); // one label only
///
/// let acme = ca.server_cert(&["app.example.test"]);
/// store
///     .upsert_acme_pem("le", "app.example.test", acme.cert_pem.as_bytes(), acme.key_pem.as_bytes())
///     .unwrap();
/// let served = store.lookup("app.example.test").unwrap();
/// assert_eq!(served.cert[0], acme.cert_der); // exact beats wildcard
/// ```
#[derive(Debug)]
pub struct CertStore {
    live: ArcSwap<Snapshot>,
    state: Mutex<State>,
}

/// A configuration's file certificates and default-certificate choice, loaded and checked by
/// [`CertStore::prepare_files`], to be served by [`CertStore::set_files`].
#[derive(Debug, Clone, Default)]
pub struct FileCerts {
    files: Vec<Arc<Entry>>,
    default: DefaultChoice,
    /// The certificates read from files, by (certFile, keyFile): what a later reload keeps
    /// when those files have become unreadable or broken.
    sources: HashMap<SourceKey, Arc<Entry>>,
}

/// Where a file certificate was read from. Inline PEM has no "last good" version: its text is
/// the configuration itself, so only specs naming at least one file get a key.
type SourceKey = (FileOrPem, FileOrPem);

fn source_key(cert_file: &FileOrPem, key_file: &FileOrPem) -> Option<SourceKey> {
    let file = |f: &FileOrPem| matches!(f, FileOrPem::File(_));
    (file(cert_file) || file(key_file)).then(|| (cert_file.clone(), key_file.clone()))
}

impl FileCerts {
    /// How many certificates (not counting the default).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// What the snapshots are built from.
#[derive(Debug, Default)]
struct State {
    files: Vec<Arc<Entry>>,
    acme: BTreeMap<(Arc<str>, Arc<str>), Arc<Entry>>,
    default: DefaultChoice,
    sources: HashMap<SourceKey, Arc<Entry>>,
}

impl State {
    fn snapshot(&self) -> Snapshot {
        let entries = self
            .files
            .iter()
            .chain(self.acme.values())
            .cloned()
            .collect();
        Snapshot::build(entries, &self.default, SystemTime::now())
    }
}

impl Default for CertStore {
    fn default() -> Self {
        Self::new()
    }
}

impl CertStore {
    /// An empty store serving the generated default certificate.
    pub fn new() -> Self {
        let state = State::default();
        CertStore {
            live: ArcSwap::from_pointee(state.snapshot()),
            state: Mutex::new(state),
        }
    }

    /// Replaces the file-configured certificates and the default-certificate choice with those
    /// of a (re)loaded configuration: `tls.certificates` and `tls.stores`. ACME certificates
    /// stay. [`prepare_files`](Self::prepare_files) then [`set_files`](Self::set_files).
    pub fn load_files(
        &self,
        certificates: &[CertificateSpec],
        stores: &BTreeMap<String, StoreSpec>,
    ) -> Report {
        let (files, report) = self.prepare_files(certificates, stores);
        self.set_files(files);
        report
    }

    /// Reads and checks a configuration's certificates without serving them yet, so that a
    /// reload can be built completely before anything changes.
    ///
    /// A certificate that cannot be loaded is reported and left out — unless the same files
    /// loaded before: then the certificate loaded from them last keeps serving (a renewal tool
    /// caught halfway through rewriting the pair, a file deleted by mistake: serving goes on
    /// with the last good pair, and the error says so). A `defaultCertificate` that cannot be
    /// loaded likewise keeps its last good version, else the generated default serves.
    pub fn prepare_files(
        &self,
        certificates: &[CertificateSpec],
        stores: &BTreeMap<String, StoreSpec>,
    ) -> (FileCerts, Report) {
        let previous = self.lock().sources.clone();
        let mut report = Report::default();
        let now = SystemTime::now();
        let mut files = Vec::new();
        let mut sources = HashMap::new();
        let mut seen = HashSet::new();
        for (i, spec) in certificates.iter().enumerate() {
            let what = format!("tls.certificates[{i}]");
            if !spec.stores.is_empty() && !spec.stores.iter().any(|s| s == DEFAULT_NAME) {
                report.warn(
                    &what,
                    format!(
                        "stores {:?} do not include \"default\", the only store Traefik serves \
                         from; certificate not served",
                        spec.stores
                    ),
                );
                continue;
            }
            let key = source_key(&spec.cert_file, &spec.key_file);
            let entry = match LoadedCert::from_sources(&spec.cert_file, &spec.key_file, &what) {
                Ok(cert) => {
                    check_usable(&cert, &what, now, &mut report);
                    Entry::new(cert, CertOrigin::File)
                }
                Err(e) => {
                    report.errors.push(e);
                    match key.as_ref().and_then(|k| previous.get(k)) {
                        Some(last_good) => {
                            report.warn(&what, kept_message(&spec.cert_file, &spec.key_file));
                            last_good.clone()
                        }
                        None => continue,
                    }
                }
            };
            if let Some(key) = key {
                sources.insert(key, entry.clone());
            }
            // Traefik skips a certificate already in the store, too.
            if seen.insert(entry.cert.sha256().to_owned()) {
                files.push(entry);
            }
        }
        let default = default_choice(stores, now, &previous, &mut sources, &mut report);
        (
            FileCerts {
                files,
                default,
                sources,
            },
            report,
        )
    }

    /// Serves prepared file certificates (and their default choice) in place of the current
    /// ones, atomically.
    pub fn set_files(&self, files: FileCerts) {
        let mut state = self.lock();
        state.files = files.files;
        state.default = files.default;
        state.sources = files.sources;
        self.publish(&state);
    }

    /// Adds or replaces the certificate an ACME resolver obtained for the order whose main
    /// domain is `main` (the hook ACME calls after an order or a renewal).
    pub fn upsert_acme_pem(
        &self,
        resolver: &str,
        main: &str,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<CertInfo, TlsError> {
        let cert = LoadedCert::from_pem(chain_pem, key_pem, &format!("ACME {resolver}/{main}"))?;
        Ok(self.upsert_acme(resolver, main, cert))
    }

    /// [`upsert_acme_pem`](Self::upsert_acme_pem) for an already loaded certificate.
    pub fn upsert_acme(&self, resolver: &str, main: &str, cert: LoadedCert) -> CertInfo {
        let resolver: Arc<str> = Arc::from(resolver);
        let main: Arc<str> = Arc::from(normalize(main).as_ref());
        let entry = Entry::new(
            cert,
            CertOrigin::Acme {
                resolver: resolver.clone(),
                main: main.clone(),
            },
        );
        let mut state = self.lock();
        state.acme.insert((resolver, main), entry.clone());
        self.publish(&state);
        // It may have become the default (`defaultGeneratedCert`).
        entry.info(Arc::ptr_eq(self.live.load().default_entry(), &entry))
    }

    /// Removes an ACME certificate; whether it was there.
    pub fn remove_acme(&self, resolver: &str, main: &str) -> bool {
        let key = (Arc::from(resolver), Arc::from(normalize(main).as_ref()));
        let mut state = self.lock();
        let removed = state.acme.remove(&key).is_some();
        if removed {
            self.publish(&state);
        }
        removed
    }

    /// The certificate for `server_name` (case-insensitive, trailing dot ignored): exact name,
    /// then one-label wildcard. `None` when nothing matches; the default is
    /// [`default_cert`](Self::default_cert).
    pub fn lookup(&self, server_name: &str) -> Option<Arc<CertifiedKey>> {
        self.live
            .load()
            .lookup(server_name)
            .map(|e| e.cert.certified_key().clone())
    }

    /// The default certificate.
    pub fn default_cert(&self) -> Arc<CertifiedKey> {
        self.live
            .load()
            .default_entry()
            .cert
            .certified_key()
            .clone()
    }

    /// Every certificate: names, origin, validity, fingerprint, and which is the default.
    pub fn certificates(&self) -> Vec<CertInfo> {
        self.live.load().infos()
    }

    /// The current snapshot, for a handshake to read once.
    pub(crate) fn snapshot(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.live.load()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A writer that panicked mid-update left `state` as it was before: every update
        // replaces fields whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self, state: &State) {
        let snapshot = state.snapshot();
        tracing::debug!(
            files = state.files.len(),
            acme = state.acme.len(),
            default = snapshot.default_entry().cert.subject(),
            "certificate store swapped"
        );
        self.live.store(Arc::new(snapshot));
    }
}

fn check_usable(cert: &LoadedCert, what: &str, now: SystemTime, report: &mut Report) {
    if !cert.is_valid_at(now) {
        let when = if cert.not_after() < now {
            "has expired"
        } else {
            "is not valid yet"
        };
        report.warn(
            what,
            format!(
                "certificate for {:?} {when} (valid {} to {}); served anyway, as Traefik does",
                cert.names(),
                httpdate(cert.not_before()),
                httpdate(cert.not_after())
            ),
        );
    }
    if cert.names().is_empty() {
        report.warn(
            what,
            "certificate has no DNS or IP name (no SAN, no CN); no SNI can select it",
        );
    }
}

fn kept_message(cert_file: &FileOrPem, key_file: &FileOrPem) -> String {
    format!(
        "the certificate loaded before from {} and {} keeps serving until these files load again",
        cert_file.describe(),
        key_file.describe()
    )
}

fn default_choice(
    stores: &BTreeMap<String, StoreSpec>,
    now: SystemTime,
    previous: &HashMap<SourceKey, Arc<Entry>>,
    sources: &mut HashMap<SourceKey, Arc<Entry>>,
    report: &mut Report,
) -> DefaultChoice {
    for name in stores.keys().filter(|n| *n != DEFAULT_NAME) {
        report.warn(
            format!("tls.stores.{name}"),
            "only the store named \"default\" is served (as in Traefik); ignored",
        );
    }
    let Some(store) = stores.get(DEFAULT_NAME) else {
        return DefaultChoice::Generated;
    };
    if let Some(spec) = &store.default_certificate {
        if store.default_generated_cert.is_some() {
            report.warn(
                "tls.stores.default.defaultGeneratedCert",
                "ignored: defaultCertificate is set and takes precedence (as in Traefik)",
            );
        }
        let what = "tls.stores.default.defaultCertificate";
        let key = source_key(&spec.cert_file, &spec.key_file);
        let entry = match LoadedCert::from_sources(&spec.cert_file, &spec.key_file, what) {
            Ok(cert) => {
                check_usable(&cert, what, now, report);
                Entry::new(cert, CertOrigin::File)
            }
            Err(e) => {
                report.errors.push(e);
                let Some(last_good) = key.as_ref().and_then(|k| previous.get(k)) else {
                    report.warn(what, "the generated default certificate serves instead");
                    return DefaultChoice::Generated;
                };
                report.warn(what, kept_message(&spec.cert_file, &spec.key_file));
                last_good.clone()
            }
        };
        if let Some(key) = key {
            sources.insert(key, entry.clone());
        }
        return DefaultChoice::Configured(entry);
    }
    if let Some(generated) = &store.default_generated_cert {
        let domains: Vec<String> = std::iter::once(&generated.main)
            .chain(&generated.sans)
            .map(|d| normalize(d.trim()).into_owned())
            .filter(|d| !d.is_empty())
            .collect();
        if generated.resolver.is_empty() || domains.is_empty() {
            report.warn(
                "tls.stores.default.defaultGeneratedCert",
                "needs both resolver and domain.main; the generated default certificate serves",
            );
            return DefaultChoice::Generated;
        }
        return DefaultChoice::Covering(domains);
    }
    DefaultChoice::Generated
}

/// A readable UTC timestamp for messages (RFC 3339, seconds).
fn httpdate(t: SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{secs}s after the epoch"))
}

#[cfg(test)]
mod tests;
