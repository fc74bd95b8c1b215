//! Traefik's `acme.json`: one file, every resolver keyed by name, written the way Traefik's
//! `LocalStore` writes it (`json.MarshalIndent`, two-space indent, Go field names) so a user
//! can move between Traefik and rampart with the same file.
//!
//! Reading follows `LocalStore.get`: a missing or empty file is an empty store; certificates
//! with an empty `certificate` or `key` are dropped and the file rewritten; the old
//! `Account.KeyType` is accepted and not written back. Opening follows `CheckFile`: a file with
//! any group/other permission bit is refused. Writes go to a temporary file in the same
//! directory, created `0600`, synced, then renamed over the old one, so a crash leaves either
//! the old or the new file, never half of one.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::error::AcmeError;
use super::spec::DomainRequest;

/// One resolver's entry (Traefik's `StoredData`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct ResolverData {
    /// The ACME account, `null` before the first registration.
    #[serde(rename = "Account", default)]
    pub account: Option<StoredAccount>,
    /// The certificates obtained by this resolver.
    #[serde(rename = "Certificates", default, deserialize_with = "null_as_empty")]
    pub certificates: Vec<StoredCertificate>,
}

/// Traefik's `Account`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct StoredAccount {
    /// `Email`.
    #[serde(rename = "Email", default)]
    pub email: String,
    /// `Registration` (lego's `registration.Resource`).
    #[serde(rename = "Registration", default)]
    pub registration: Option<Registration>,
    /// `PrivateKey`: the account key's DER. Traefik writes PKCS#1 RSA; rampart writes PKCS#8
    /// P-256 (the only account key instant-acme signs with).
    #[serde(rename = "PrivateKey", default, with = "b64_opt")]
    pub private_key: Option<Vec<u8>>,
    /// `KeyType` from Traefik before lego v5: read and dropped.
    #[serde(rename = "KeyType", default, skip_serializing)]
    pub key_type: Option<serde_json::Value>,
}

/// lego's `registration.Resource`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct Registration {
    /// The account object as the CA returned it (kept as-is).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub body: serde_json::Value,
    /// The account URL (the JWS `kid`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uri: String,
}

/// Traefik's `CertAndStore`: a certificate, its key, the names it was ordered for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct StoredCertificate {
    /// `domain`: the request it answers.
    #[serde(default)]
    pub domain: StoredDomain,
    /// `certificate`: the PEM bundle (leaf first, then the chain).
    #[serde(default, with = "b64_bytes")]
    pub certificate: Vec<u8>,
    /// `key`: the PEM private key.
    #[serde(default, with = "b64_bytes")]
    pub key: Vec<u8>,
    /// `Store`: the TLS store name, always `default` for ACME.
    #[serde(rename = "Store", default)]
    pub store: String,
}

impl StoredCertificate {
    /// A certificate for `domain` in the `default` store.
    pub fn new(domain: &DomainRequest, chain_pem: &str, key_pem: &str) -> Self {
        StoredCertificate {
            domain: StoredDomain {
                main: domain.main.clone(),
                sans: domain.sans.clone(),
            },
            certificate: chain_pem.as_bytes().to_vec(),
            key: key_pem.as_bytes().to_vec(),
            store: "default".to_owned(),
        }
    }

    /// The request this certificate answers.
    pub fn request(&self) -> DomainRequest {
        DomainRequest::new(self.domain.main.clone(), self.domain.sans.clone())
    }
}

/// Traefik's `types.Domain`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredDomain {
    /// `main`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub main: String,
    /// `sans`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub sans: Vec<String>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Go encodes `[]byte` as standard base64 and `nil` as `null`.
mod b64_bytes {
    use super::{Deserialize, Engine, STANDARD};

    pub(super) fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(Vec::new()),
            Some(s) => STANDARD.decode(s.trim()).map_err(serde::de::Error::custom),
        }
    }
}

mod b64_opt {
    use super::{Deserialize, Engine, STANDARD};

    #[expect(
        clippy::ref_option,
        reason = "serde's `with` passes the field by reference"
    )]
    pub(super) fn serialize<S: serde::Serializer>(
        v: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => STANDARD
                .decode(s.trim())
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// An open `acme.json`, shared by every resolver that names the same `storage` path.
///
/// ```
/// use rampart_tls::acme::{AcmeStorage, DomainRequest, StoredCertificate};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("acme.json");
/// let store = AcmeStorage::open(&path).unwrap();
/// let cert = StoredCertificate::new(&DomainRequest::new("a.test", Vec::<String>::new()), "PEM", "KEY");
/// store.update("le", |r| r.certificates.push(cert)).unwrap();
/// let again = AcmeStorage::open(&path).unwrap();
/// assert_eq!(again.resolver("le").certificates.len(), 1);
/// ```
#[derive(Debug)]
pub struct AcmeStorage {
    path: PathBuf,
    data: Mutex<BTreeMap<String, ResolverData>>,
}

impl AcmeStorage {
    /// Opens (or, when missing, prepares to create) the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Arc<Self>, AcmeError> {
        let path = path.as_ref().to_owned();
        let data = match fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(AcmeError::storage(&path, e)),
            Ok(meta) => {
                check_permissions(&path, &meta)?;
                let bytes = fs::read(&path).map_err(|e| AcmeError::storage(&path, e))?;
                parse(&path, &bytes)?
            }
        };
        let store = Arc::new(AcmeStorage {
            path,
            data: Mutex::new(data),
        });
        // Traefik's LocalStore.get drops certificates without content and saves the result.
        let dropped = {
            let mut data = store.lock();
            let mut dropped = 0;
            for (name, r) in data.iter_mut() {
                let before = r.certificates.len();
                r.certificates
                    .retain(|c| !c.certificate.is_empty() && !c.key.is_empty());
                let n = before - r.certificates.len();
                if n > 0 {
                    tracing::info!(resolver = %name, count = n, "acme: dropping empty certificates from storage");
                }
                dropped += n;
            }
            dropped
        };
        if dropped > 0 {
            store.save()?;
        }
        Ok(store)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A copy of one resolver's data (empty when the file has none).
    pub fn resolver(&self, name: &str) -> ResolverData {
        self.lock().get(name).cloned().unwrap_or_default()
    }

    /// Changes one resolver's data and writes the whole file atomically.
    pub fn update(&self, name: &str, f: impl FnOnce(&mut ResolverData)) -> Result<(), AcmeError> {
        let mut data = self.lock();
        f(data.entry(name.to_owned()).or_default());
        write_atomic(&self.path, &render(&data)?)
    }

    fn save(&self) -> Result<(), AcmeError> {
        let data = self.lock();
        write_atomic(&self.path, &render(&data)?)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, ResolverData>> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters more than losing the file; keep going with what is there.
        self.data
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, ResolverData>, AcmeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(BTreeMap::new());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| AcmeError::storage(path, format_args!("not valid acme.json: {e}")))
}

fn render(data: &BTreeMap<String, ResolverData>) -> Result<Vec<u8>, AcmeError> {
    // serde_json's pretty printer uses two spaces, as Go's MarshalIndent(v, "", "  ") here.
    serde_json::to_vec_pretty(data).map_err(|e| AcmeError::Storage {
        path: PathBuf::new(),
        reason: format!("cannot encode: {e}"),
    })
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &fs::Metadata) -> Result<(), AcmeError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AcmeError::StoragePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path, _: &fs::Metadata) -> Result<(), AcmeError> {
    Ok(())
}

/// Writes `bytes` to `path` through a `0600` temporary file in the same directory and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AcmeError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "acme.json".into(), |n| n.to_string_lossy());
    let tmp = dir.join(format!(
        ".{file_name}.tmp-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        // The rename is durable only once the directory entry is.
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        AcmeError::storage(path, format_args!("cannot write: {e}"))
    })
}
