//! What building found: warnings (served anyway) and errors (that part is not served).

use std::fmt;

use crate::TlsError;

/// Something that works, but not as written: a cipher suite rustls cannot do, a curve ring does
/// not have, TLS 1.0 asked for, an expired certificate, ….
///
/// ```
/// use rampart_tls::Warning;
///
/// let w = Warning::new("TLS options \"tls-opts\"", "cipherSuites: TLS_FALLBACK_SCSV skipped");
/// assert_eq!(w.to_string(), "TLS options \"tls-opts\": cipherSuites: TLS_FALLBACK_SCSV skipped");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What the warning is about (`TLS options "tls-opts@file"`, `tls.certificates[2]`).
    pub subject: String,
    /// What is wrong and what rampart does instead.
    pub message: String,
}

impl Warning {
    /// A warning about `subject`.
    pub fn new(subject: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            subject: subject.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

/// Everything one build step found, for the log and for `rampart check`.
///
/// Errors do not stop a build: the faulty certificate or options object is left out (and
/// handshakes that would need it are refused), the rest is served.
#[derive(Debug, Default)]
pub struct Report {
    /// Served anyway.
    pub warnings: Vec<Warning>,
    /// Not served.
    pub errors: Vec<TlsError>,
}

impl Report {
    /// Whether nothing is in error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Appends everything `other` found.
    pub fn merge(&mut self, other: Report) {
        self.warnings.extend(other.warnings);
        self.errors.extend(other.errors);
    }

    pub(crate) fn warn(&mut self, subject: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning::new(subject, message));
    }
}
