//! Provider namespaces: every dynamic object is `name@provider`.
//!
//! Traefik's rules (`pkg/server/provider/provider.go`, `GetQualifiedName`): an object defined
//! by a provider is stored as `name@provider`; a reference without `@` is resolved in the
//! provider of the object that makes it (`auth` in a file router is `auth@file`); a reference
//! with `@` is taken as written (`auth@docker` from a file router). Names are split on `@`, so a
//! name may not contain one. `@internal` objects are rampart's own (`api@internal`, …).

use std::borrow::Borrow;
use std::fmt;

/// A fully qualified object name: `name@provider`.
///
/// ```
/// use rampart_config::dynamic_config::QualifiedName;
///
/// let n = QualifiedName::resolve("auth", "file").unwrap();
/// assert_eq!((n.as_str(), n.name(), n.provider()), ("auth@file", "auth", "file"));
/// assert_eq!(QualifiedName::resolve("auth@docker", "file").unwrap().as_str(), "auth@docker");
/// assert!(QualifiedName::resolve("a@b@c", "file").is_err());
/// assert!(QualifiedName::resolve("", "file").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedName(String);

/// The provider name of rampart's own objects.
pub const INTERNAL: &str = "internal";

/// The `@internal` services a router may use.
pub const INTERNAL_SERVICES: &[&str] = &[
    "api",
    "dashboard",
    "ping",
    "noop",
    "whoami",
    "prometheus",
    "rest",
    "acme-http",
];

/// The `@internal` servers transport every load balancer uses unless told otherwise.
pub const DEFAULT_SERVERS_TRANSPORT: &str = "default@internal";

impl QualifiedName {
    /// `name@provider`; `name` must be a valid object name.
    pub fn new(name: &str, provider: &str) -> Result<Self, String> {
        check_name(name)?;
        check_name(provider)?;
        Ok(QualifiedName(format!("{name}@{provider}")))
    }

    /// Resolves a reference made from an object of `provider`.
    pub fn resolve(reference: &str, provider: &str) -> Result<Self, String> {
        let reference = reference.trim();
        match reference.split_once('@') {
            None => QualifiedName::new(reference, provider),
            Some((name, prov)) => {
                if prov.contains('@') {
                    return Err(format!("`{reference}`: a name may hold only one `@`"));
                }
                if name.is_empty() || prov.is_empty() {
                    return Err(format!("`{reference}`: expected `name@provider`"));
                }
                QualifiedName::new(name, prov)
            }
        }
    }

    /// The whole `name@provider`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`.
    pub fn name(&self) -> &str {
        self.0.split_once('@').map_or(&self.0, |(n, _)| n)
    }

    /// The part after `@`.
    pub fn provider(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, p)| p)
    }

    /// Whether this is one of rampart's own objects.
    pub fn is_internal(&self) -> bool {
        self.provider() == INTERNAL
    }
}

/// A name (or provider) must be non-empty and free of `@` (Traefik splits names on it).
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a name must not be empty".to_owned());
    }
    if name.contains('@') {
        return Err(format!(
            "`{name}`: `@` is not allowed in names (it separates the provider)"
        ));
    }
    Ok(())
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for QualifiedName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for QualifiedName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A service reference: qualified, and when `@internal`, one rampart provides.
pub(crate) fn service_ref(reference: &str, provider: &str) -> Result<QualifiedName, String> {
    let name = QualifiedName::resolve(reference, provider)?;
    if name.is_internal() && !INTERNAL_SERVICES.contains(&name.name()) {
        return Err(format!(
            "`{name}` is not an internal service (internal services: {})",
            INTERNAL_SERVICES
                .iter()
                .map(|s| format!("{s}@internal"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(name)
}

/// A TLS options reference: `default` stays unqualified (the one global set), others are
/// qualified like any reference.
pub(crate) fn tls_options_ref(reference: &str, provider: &str) -> Result<String, String> {
    let reference = reference.trim();
    if reference == "default" {
        return Ok(reference.to_owned());
    }
    QualifiedName::resolve(reference, provider).map(|n| n.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_in_the_referencing_provider() {
        let cases = [
            ("auth", "file", "auth@file"),
            ("auth@file", "docker", "auth@file"),
            ("api@internal", "file", "api@internal"),
            ("  spaced  ", "file", "spaced@file"),
        ];
        for (reference, provider, want) in cases {
            assert_eq!(
                QualifiedName::resolve(reference, provider)
                    .unwrap()
                    .as_str(),
                want
            );
        }
        for bad in ["@file", "auth@", "a@b@c", ""] {
            assert!(QualifiedName::resolve(bad, "file").is_err(), "{bad}");
        }
    }

    #[test]
    fn internal_services_are_known() {
        for s in [
            "api@internal",
            "dashboard@internal",
            "ping@internal",
            "noop@internal",
            "whoami@internal",
        ] {
            assert!(service_ref(s, "file").is_ok(), "{s}");
        }
        let err = service_ref("nope@internal", "file").unwrap_err();
        assert!(err.contains("not an internal service"), "{err}");
    }

    #[test]
    fn default_tls_options_stay_global() {
        assert_eq!(tls_options_ref("default", "file").unwrap(), "default");
        assert_eq!(tls_options_ref("modern", "file").unwrap(), "modern@file");
        assert_eq!(
            tls_options_ref("tls-opts@file", "docker").unwrap(),
            "tls-opts@file"
        );
    }
}
