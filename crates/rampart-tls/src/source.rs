//! Traefik's "FileOrContent": a certificate or key given as a file path or as inline PEM.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use crate::TlsError;

/// Certificates, keys and CA bundles are small (a public CA bundle is ~250 KB); a bound keeps a
/// mistaken path such as `/dev/zero` from eating memory.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A PEM input given either as a path or inline, as Traefik's `certFile`, `keyFile` and
/// `caFiles` accept.
///
/// ```
/// use rampart_tls::FileOrPem;
///
/// assert!(matches!(FileOrPem::from_traefik("/certs/a.pem"), FileOrPem::File(_)));
/// assert!(matches!(
///     FileOrPem::from_traefik("-----BEGIN CERTIFICATE-----\nMIIB…"),
///     FileOrPem::Pem(_)
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileOrPem {
    /// A file to read (when the configuration is loaded).
    File(PathBuf),
    /// PEM text given inline.
    Pem(String),
}

impl FileOrPem {
    /// Interprets a Traefik configuration value.
    ///
    /// Traefik reads the value as a path when a file of that name exists, and as content
    /// otherwise, so a mistyped path surfaces as "not a certificate". Here any value holding a
    /// PEM `-----BEGIN ` line is content and everything else is a path: every valid Traefik value
    /// means the same, and a missing file is reported as a missing file.
    pub fn from_traefik(value: &str) -> Self {
        if value.contains("-----BEGIN ") {
            FileOrPem::Pem(value.to_owned())
        } else {
            FileOrPem::File(PathBuf::from(value))
        }
    }

    /// The bytes: the file's content or the inline PEM. `what` names the input in errors.
    pub fn read(&self, what: &str) -> Result<Cow<'_, [u8]>, TlsError> {
        match self {
            FileOrPem::Pem(pem) => Ok(Cow::Borrowed(pem.as_bytes())),
            FileOrPem::File(path) => {
                read_bounded(path)
                    .map(Cow::Owned)
                    .map_err(|source| TlsError::Read {
                        what: what.to_owned(),
                        path: path.clone(),
                        source,
                    })
            }
        }
    }

    /// A short description for messages: the path, or `inline PEM`.
    pub fn describe(&self) -> String {
        match self {
            FileOrPem::File(path) => path.display().to_string(),
            FileOrPem::Pem(_) => "inline PEM".to_owned(),
        }
    }
}

fn read_bounded(path: &std::path::Path) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_FILE_BYTES} bytes; not a PEM certificate or key"),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_reported_as_missing_with_its_path() {
        let src = FileOrPem::from_traefik("/nonexistent/rampart/cert.pem");
        let err = src.read("tls.certificates[0].certFile").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "tls.certificates[0].certFile: cannot read /nonexistent/rampart/cert.pem:"
            ),
            "{msg}"
        );
    }

    #[test]
    fn inline_pem_is_returned_as_is() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let src = FileOrPem::from_traefik(pem);
        assert_eq!(src.describe(), "inline PEM");
        assert_eq!(&*src.read("x").unwrap(), pem.as_bytes());
    }

    #[test]
    fn a_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        std::fs::write(&path, b"hello").unwrap();
        let src = FileOrPem::from_traefik(path.to_str().unwrap());
        assert_eq!(&*src.read("x").unwrap(), b"hello");
    }

    #[test]
    fn an_endless_file_is_refused_not_read_forever() {
        let src = FileOrPem::File(PathBuf::from("/dev/zero"));
        let err = src.read("x").unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
    }
}
