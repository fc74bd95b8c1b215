//! Traefik's static (install) configuration: entry points, providers, API, logs, ACME.
//!
//! Three forms, one direction: the raw serde mirror (`raw.rs`, every key Traefik knows, nothing
//! applied) → this validated model (defaults from [`defaults`] applied, Traefik's implicit entry
//! points added, cross-references checked; no `Option` where a default exists) → whatever the
//! proxy builds from it. Keys rampart does not implement yet are reported as
//! [`ConfigWarning::Unsupported`] with their key path;
//! unknown keys (typos) are errors.
//!
//! Load it with [`StaticConfig::load`] (Traefik's sources and precedence, see
//! [`StaticLoader`](crate::StaticLoader)) or [`StaticConfig::from_document`].

mod acme;
mod address;
mod build;
pub mod defaults;
mod entry_point;
mod observability;
pub(crate) mod raw;
mod sections;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use acme::{Acme, DnsChallenge, Eab, HttpChallenge, KeyType, Propagation, TlsChallenge};
pub use address::{Address, Protocol};
pub use entry_point::{
    EncodedCharacters, EntryPoint, EntryPointHttp, EntryPointTls, EntryPointTransport,
    ForwardedHeaders, Http2, RedirectTarget, Redirection, UnderscoreHeaders,
};
pub use observability::{
    AccessLog, AccessLogFields, AccessLogFilters, AccessLogFormat, FIELD_NAMES, FieldMode,
    HeaderMode, Log, LogFormat, LogLevel,
};
pub(crate) use sections::build_forwarding_timeouts;
pub use sections::{
    Api, Core, FileProviderConfig, FileSource, Global, HostResolver, Ping, Providers,
    ServersTransport,
};

use crate::diag::{Diagnostics, Locate};
use crate::error::{ConfigErrors, ConfigWarning};
use crate::format::Document;
use crate::value::Value;

/// The validated static configuration.
///
/// ```
/// use rampart_config::{Document, Format, StaticConfig};
///
/// let doc = Document::parse(
///     "entryPoints:\n  web:\n    address: \":80\"\n    http:\n      redirections:\n        entryPoint:\n          to: websecure\n  websecure:\n    address: \":443\"\n",
///     Format::Yaml,
///     "traefik.yaml",
/// ).unwrap();
/// let (config, warnings) = StaticConfig::from_document(&doc).unwrap();
/// assert!(warnings.is_empty());
/// let web = &config.entry_points["web"];
/// let redirect = web.http.redirection.as_ref().unwrap();
/// assert_eq!((redirect.scheme.as_str(), redirect.permanent), ("https", true));
/// assert_eq!(web.transport.read_timeout.to_string(), "1m0s");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StaticConfig {
    /// `global`.
    pub global: Global,
    /// `entryPoints`, by name (with Traefik's implicit `http` and `traefik` ones added).
    pub entry_points: BTreeMap<String, EntryPoint>,
    /// `providers`.
    pub providers: Providers,
    /// `api`, when enabled.
    pub api: Option<Api>,
    /// `ping`, when enabled.
    pub ping: Option<Ping>,
    /// `log`.
    pub log: Log,
    /// `accessLog`, when enabled.
    pub access_log: Option<AccessLog>,
    /// `certificatesResolvers`, by name.
    pub certificates_resolvers: BTreeMap<String, CertificateResolver>,
    /// `serversTransport` (the `default@internal` transport).
    pub servers_transport: ServersTransport,
    /// `hostResolver`, when enabled.
    pub host_resolver: Option<HostResolver>,
    /// `core`.
    pub core: Core,
}

pub use acme::CertificateResolver;

impl StaticConfig {
    /// Validates a parsed static configuration file. Errors and warnings point into the file.
    pub fn from_document(
        doc: &Document,
    ) -> Result<(StaticConfig, Vec<ConfigWarning>), ConfigErrors> {
        Self::from_value(doc.value(), &|key| doc.origin(key))
    }

    /// Validates a tree from any source; `locate` says where a key path came from.
    pub(crate) fn from_value(
        value: &Value,
        locate: Locate<'_>,
    ) -> Result<(StaticConfig, Vec<ConfigWarning>), ConfigErrors> {
        let mut d = Diagnostics::new(locate);
        let config = build::build(value, &mut d);
        if d.has_errors() {
            Err(ConfigErrors(d.errors))
        } else {
            Ok((config, d.warnings))
        }
    }

    /// The entry points that routers without `entryPoints` attach to: those marked
    /// `asDefault`, or else every TCP entry point except `traefik` (Traefik's rule).
    pub fn default_entry_points(&self) -> Vec<&str> {
        let marked: Vec<&str> = self
            .entry_points
            .iter()
            .filter(|(_, ep)| ep.as_default)
            .map(|(name, _)| name.as_str())
            .collect();
        if !marked.is_empty() {
            return marked;
        }
        self.entry_points
            .iter()
            .filter(|(name, ep)| {
                name.as_str() != defaults::INTERNAL_ENTRY_POINT.0
                    && ep.address.protocol == Protocol::Tcp
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// Where the static configuration was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StaticSource {
    /// A configuration file (its absolute path).
    File(PathBuf),
    /// Command-line flags.
    Flags,
    /// `TRAEFIK_*` environment variables.
    Env,
    /// Nothing was given: Traefik's defaults.
    Defaults,
}

impl fmt::Display for StaticSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StaticSource::File(p) => write!(f, "file {}", p.display()),
            StaticSource::Flags => f.write_str("command-line flags"),
            StaticSource::Env => f.write_str("environment variables"),
            StaticSource::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// A loaded static configuration, where it came from, and what is worth telling the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedStatic {
    /// The configuration.
    pub config: StaticConfig,
    /// Its source.
    pub source: StaticSource,
    /// Warnings: not-yet-supported keys, deprecations, ignored flags or variables.
    pub warnings: Vec<ConfigWarning>,
}

impl LoadedStatic {
    /// The "not yet supported" reports among the warnings.
    pub fn unsupported(&self) -> impl Iterator<Item = &ConfigWarning> {
        self.warnings.iter().filter(|w| w.is_unsupported())
    }
}

#[cfg(test)]
mod tests;
