//! Configuration errors and warnings: where (file, line, column, key path) and why.
//!
//! Every problem found while loading configuration is collected rather than returned at the
//! first one, so that `rampart check` can show them all at once. An error makes the piece it
//! belongs to unusable (the static configuration, or one dynamic file); a warning does not.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a piece of configuration came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Source {
    /// A configuration file (static file, or one file of the file provider).
    File(PathBuf),
    /// Command-line flags (`--entrypoints.web.address=:80`).
    Flags,
    /// `TRAEFIK_*` environment variables.
    Env,
    /// Built in (defaults, or values derived from other settings).
    Builtin,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Flags => f.write_str("command-line flags"),
            Source::Env => f.write_str("environment variables"),
            Source::Builtin => f.write_str("built-in configuration"),
        }
    }
}

/// A source and, when known, the line and column (1-based) in it.
///
/// ```
/// use rampart_config::{Origin, Source};
///
/// let at = Origin::file("rules/app.yaml").at(12, 7);
/// assert_eq!(at.to_string(), "rules/app.yaml:12:7");
/// assert_eq!(Origin::new(Source::Flags).to_string(), "command-line flags");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The source.
    pub source: Source,
    /// The line (1-based), when known.
    pub line: Option<u32>,
    /// The column (1-based, in characters), when known.
    pub column: Option<u32>,
}

impl Origin {
    /// An origin without a position.
    pub const fn new(source: Source) -> Self {
        Origin {
            source,
            line: None,
            column: None,
        }
    }

    /// The file `path`, without a position.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Origin::new(Source::File(path.into()))
    }

    /// The same source at `line`:`column`.
    #[must_use]
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// The file this origin names, if it is one.
    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A problem that makes a piece of configuration unusable.
///
/// Displayed as `origin: key: reason`, one line, fit for `rampart check`:
///
/// ```
/// use rampart_config::{ConfigError, Origin};
///
/// let err = ConfigError::invalid(
///     Origin::file("rules/app.yaml").at(4, 7),
///     "http.routers.app.servce",
///     "unknown field `servce`",
/// );
/// assert_eq!(
///     err.to_string(),
///     "rules/app.yaml:4:7: `http.routers.app.servce`: unknown field `servce`"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read (missing, unreadable, not UTF-8).
    #[error("{origin}: cannot read: {reason}")]
    Read {
        /// The file.
        origin: Origin,
        /// Why.
        reason: String,
    },
    /// A file is not valid YAML or TOML.
    #[error("{origin}: syntax error: {reason}")]
    Syntax {
        /// The file, with the position of the error when the parser knows it.
        origin: Origin,
        /// The parser's message.
        reason: String,
    },
    /// A file's Go template could not be parsed or executed.
    #[error("{origin}: template: {reason}")]
    Template {
        /// The file, with the position in the template.
        origin: Origin,
        /// Why.
        reason: String,
    },
    /// A flag or environment variable is malformed.
    #[error("{origin}: `{item}`: {reason}")]
    Argument {
        /// Flags or environment.
        origin: Origin,
        /// The flag or variable as given.
        item: String,
        /// Why.
        reason: String,
    },
    /// A key has a value that cannot be used (unknown key, wrong type, failed validation).
    #[error("{origin}: {}{reason}", key_prefix(key))]
    Invalid {
        /// Where the key is.
        origin: Origin,
        /// The dotted key path (`entryPoints.web.address`); empty for the whole document.
        key: String,
        /// Why.
        reason: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("`{key}`: ")
    }
}

impl ConfigError {
    /// A [`ConfigError::Invalid`].
    pub fn invalid(origin: Origin, key: impl Into<String>, reason: impl fmt::Display) -> Self {
        ConfigError::Invalid {
            origin,
            key: key.into(),
            reason: reason.to_string(),
        }
    }

    /// Where the problem is.
    pub fn origin(&self) -> &Origin {
        match self {
            ConfigError::Read { origin, .. }
            | ConfigError::Syntax { origin, .. }
            | ConfigError::Template { origin, .. }
            | ConfigError::Argument { origin, .. }
            | ConfigError::Invalid { origin, .. } => origin,
        }
    }

    /// The dotted key path, when the problem belongs to a key.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } if !key.is_empty() => Some(key),
            _ => None,
        }
    }

    /// The reason, without origin or key.
    pub fn reason(&self) -> &str {
        match self {
            ConfigError::Read { reason, .. }
            | ConfigError::Syntax { reason, .. }
            | ConfigError::Template { reason, .. }
            | ConfigError::Argument { reason, .. }
            | ConfigError::Invalid { reason, .. } => reason,
        }
    }
}

/// Every error found while loading one piece of configuration.
///
/// Displayed one error per line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The errors.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Something worth telling the operator that does not stop the configuration from loading.
///
/// ```
/// use rampart_config::{ConfigWarning, Origin};
///
/// let w = ConfigWarning::Unsupported {
///     origin: Origin::file("traefik.yaml").at(91, 3),
///     key: "providers.docker".into(),
/// };
/// assert_eq!(
///     w.to_string(),
///     "traefik.yaml:91:3: `providers.docker`: not yet supported by rampart; ignored"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// A valid Traefik key that rampart does not implement yet; it has no effect.
    #[error("{origin}: `{key}`: not yet supported by rampart; ignored")]
    Unsupported {
        /// Where the key is.
        origin: Origin,
        /// The dotted key path.
        key: String,
    },
    /// A deprecated key or value; it still works.
    #[error("{origin}: `{key}`: deprecated: {advice}")]
    Deprecated {
        /// Where the key is.
        origin: Origin,
        /// The dotted key path.
        key: String,
        /// What to use instead.
        advice: String,
    },
    /// A dynamic object defined again in a later file; the first definition wins (Traefik's
    /// rule for one provider's files).
    #[error("{origin}: {kind} `{name}` is already defined in {first}; this definition is ignored")]
    Duplicate {
        /// Where the ignored definition is.
        origin: Origin,
        /// `router`, `service`, `middleware`, …
        kind: &'static str,
        /// The name as written.
        name: String,
        /// Where the definition in use is.
        first: Origin,
    },
    /// Input that was read but deliberately not used, with the reason.
    #[error("{origin}: {what}: {reason}")]
    Ignored {
        /// Where it is.
        origin: Origin,
        /// What was ignored (a flag, a variable, a file).
        what: String,
        /// Why.
        reason: String,
    },
    /// A file that cannot be used any more keeps serving its last good content.
    #[error("{origin}: keeping the last good content of this file: {reason}")]
    KeptLastGood {
        /// The file.
        origin: Origin,
        /// Why the new content is not used.
        reason: String,
    },
}

impl ConfigWarning {
    /// Where the warning points.
    pub fn origin(&self) -> &Origin {
        match self {
            ConfigWarning::Unsupported { origin, .. }
            | ConfigWarning::Deprecated { origin, .. }
            | ConfigWarning::Duplicate { origin, .. }
            | ConfigWarning::Ignored { origin, .. }
            | ConfigWarning::KeptLastGood { origin, .. } => origin,
        }
    }

    /// Whether this is a "not yet supported" report.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, ConfigWarning::Unsupported { .. })
    }
}
