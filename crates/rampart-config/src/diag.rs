//! Collects the errors and warnings of one load, each pointed at its source position.

use std::fmt;

use crate::de::DeError;
use crate::error::{ConfigError, ConfigWarning, Origin};

/// Finds where a key path is (a file position, or "flags"/"environment").
pub(crate) type Locate<'a> = &'a dyn Fn(&str) -> Origin;

/// The problems found so far.
pub(crate) struct Diagnostics<'a> {
    locate: Locate<'a>,
    pub(crate) errors: Vec<ConfigError>,
    pub(crate) warnings: Vec<ConfigWarning>,
}

/// Joins key path segments: `a` + `b` is `a.b`; `a` + `[0]` is `a[0]`.
pub(crate) fn join(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_owned()
    } else if rest.is_empty() {
        prefix.to_owned()
    } else if rest.starts_with('[') {
        format!("{prefix}{rest}")
    } else {
        format!("{prefix}.{rest}")
    }
}

impl<'a> Diagnostics<'a> {
    pub(crate) fn new(locate: Locate<'a>) -> Self {
        Diagnostics {
            locate,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub(crate) fn origin(&self, key: &str) -> Origin {
        (self.locate)(key)
    }

    pub(crate) fn error(&mut self, key: &str, reason: impl fmt::Display) {
        let origin = self.origin(key);
        self.errors.push(ConfigError::invalid(origin, key, reason));
    }

    /// A decoding error of the value at `prefix`.
    pub(crate) fn decode(&mut self, prefix: &str, e: &DeError) {
        let key = join(prefix, &e.path());
        self.error(&key, e.message());
    }

    pub(crate) fn unsupported(&mut self, key: &str) {
        let origin = self.origin(key);
        self.warnings.push(ConfigWarning::Unsupported {
            origin,
            key: key.to_owned(),
        });
    }

    pub(crate) fn deprecated(&mut self, key: &str, advice: impl Into<String>) {
        let origin = self.origin(key);
        self.warnings.push(ConfigWarning::Deprecated {
            origin,
            key: key.to_owned(),
            advice: advice.into(),
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}
