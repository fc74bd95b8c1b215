//! One [`TlsOptionsSpec`] → one rustls [`ServerConfig`], with what could not be honoured.

use std::sync::Arc;

use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache};
use rustls::{ServerConfig, SupportedCipherSuite};

use super::client_auth;
use super::names::{self, CIPHER_SUITE_NAMES, CURVE_NAMES, Support, VERSION_NAMES, Version};
use crate::{Report, Resolver, TlsError, TlsOptionsSpec, provider};

/// Traefik's default ALPN list: HTTP/2, HTTP/1.1, and TLS-ALPN-01.
pub const DEFAULT_ALPN: [&str; 3] = ["h2", "http/1.1", "acme-tls/1"];

/// TLS 1.2 sessions remembered for session-ID resumption (clients without tickets). rustls's
/// own default is 256; an edge proxy sees more clients.
const SESSION_CACHE_SIZE: usize = 4096;

/// Builds the configuration for the options named `name`. Warnings go to `report`; errors come
/// back all at once (every problem in the object, not just the first).
pub(crate) fn server_config(
    name: &str,
    spec: &TlsOptionsSpec,
    resolver: Resolver,
    report: &mut Report,
) -> Result<Arc<ServerConfig>, Vec<TlsError>> {
    let mut ctx = Ctx {
        name,
        report,
        errors: Vec::new(),
    };
    let mut versions = ctx.versions(spec);
    let suites = ctx.cipher_suites(spec, &mut versions);
    let kx_groups = ctx.curves(spec);
    let alpn = ctx.alpn(spec);
    let verifier = client_auth::verifier(name, &spec.client_auth, ctx.report)
        .map_err(|e| ctx.errors.push(e))
        .ok();
    if spec.prefer_server_cipher_suites.is_some() {
        ctx.warn("preferServerCipherSuites is deprecated and has no effect (as in Traefik)");
    }
    let (Some(verifier), true) = (verifier, ctx.errors.is_empty()) else {
        return Err(ctx.errors);
    };

    let provider = CryptoProvider {
        cipher_suites: suites,
        kx_groups,
        ..CryptoProvider::clone(provider::ring())
    };
    let versions: Vec<_> = versions.iter().map(|v| v.rustls()).collect();
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&versions)
        .map_err(|e| vec![ctx.error("", &e.to_string())])?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(resolver.with_sni_strict(spec.sni_strict)));
    config.alpn_protocols = alpn;
    if spec.disable_session_tickets {
        // Go's SessionTicketsDisabled turns resumption off entirely (Go keeps no server-side
        // session cache), so neither tickets nor session IDs resume here either.
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    } else {
        // One ticketer and cache per options object and per build: a ticket issued under
        // other options (say, without client authentication), or before a reload, cannot
        // resume here — rustls checks the SNI on resumption but not how the client was
        // authenticated.
        config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
        config.ticketer = rustls::crypto::ring::Ticketer::new()
            .map_err(|e| vec![ctx.error("disableSessionTickets", &e.to_string())])?;
    }
    Ok(Arc::new(config))
}

fn version_of(suite: &SupportedCipherSuite) -> Version {
    if suite.tls13().is_some() {
        Version::Tls13
    } else {
        Version::Tls12
    }
}

struct Ctx<'a> {
    name: &'a str,
    report: &'a mut Report,
    errors: Vec<TlsError>,
}

impl Ctx<'_> {
    fn warn(&mut self, message: impl Into<String>) {
        self.report
            .warn(format!("TLS options {:?}", self.name), message);
    }

    fn error(&self, key: &str, reason: &str) -> TlsError {
        TlsError::Options {
            options: self.name.to_owned(),
            key: key.to_owned(),
            reason: reason.to_owned(),
        }
    }

    fn unknown(&mut self, key: String, value: &str, expected: &[&str]) {
        self.errors.push(TlsError::UnknownValue {
            options: self.name.to_owned(),
            key,
            value: value.to_owned(),
            expected: expected.join(", "),
        });
    }

    /// The versions between `minVersion` and `maxVersion`. Traefik ignores an unknown name
    /// silently; a typo there would quietly change what is accepted, so here it is an error.
    fn versions(&mut self, spec: &TlsOptionsSpec) -> Vec<Version> {
        let min = self.version("minVersion", spec.min_version.as_deref(), Version::Tls12);
        let max = self.version("maxVersion", spec.max_version.as_deref(), Version::Tls13);
        if min > max {
            let e = self.error(
                "minVersion",
                &format!("{min:?} is above maxVersion {max:?}: no version is left"),
            );
            self.errors.push(e);
        }
        [Version::Tls12, Version::Tls13]
            .into_iter()
            .filter(|v| (min..=max).contains(v))
            .collect()
    }

    fn version(&mut self, key: &str, value: Option<&str>, unset: Version) -> Version {
        match value.filter(|v| !v.is_empty()) {
            None => unset,
            Some(v) => match names::version(v) {
                Some(Support::Supported(version)) => version,
                Some(Support::Unsupported(why)) => {
                    self.warn(format!("{key}: {v}: {why}"));
                    Version::Tls12
                }
                None => {
                    self.unknown(key.to_owned(), v, &VERSION_NAMES);
                    unset
                }
            },
        }
    }

    /// `cipherSuites`. Go's list only governs TLS 1.2 (TLS 1.3 suites are not configurable in
    /// Go): so when it names no TLS 1.3 suite, all of them stay; when it names some, only
    /// those are offered, which is what such a list asks for.
    fn cipher_suites(
        &mut self,
        spec: &TlsOptionsSpec,
        versions: &mut Vec<Version>,
    ) -> Vec<SupportedCipherSuite> {
        let all = rustls::crypto::ring::ALL_CIPHER_SUITES;
        if spec.cipher_suites.is_empty() {
            return all
                .iter()
                .filter(|s| versions.contains(&version_of(s)))
                .copied()
                .collect();
        }
        let (mut tls12, mut tls13) = (Vec::new(), Vec::new());
        for (i, name) in spec.cipher_suites.iter().enumerate() {
            match names::cipher_suite(name) {
                None => self.unknown(format!("cipherSuites[{i}]"), name, &CIPHER_SUITE_NAMES),
                Some(Support::Unsupported(why)) => {
                    self.warn(format!("cipherSuites: {name} skipped: {why}"));
                }
                Some(Support::Supported(suite)) => {
                    let list = if suite.tls13().is_some() {
                        &mut tls13
                    } else {
                        &mut tls12
                    };
                    if !list.contains(&suite) {
                        list.push(suite);
                    }
                }
            }
        }
        if tls13.is_empty() {
            tls13 = all
                .iter()
                .filter(|s| s.tls13().is_some())
                .copied()
                .collect();
        }
        if tls12.is_empty() && versions.contains(&Version::Tls12) {
            if versions.contains(&Version::Tls13) {
                self.warn(
                    "cipherSuites: no listed suite is usable with TLS 1.2, so only TLS 1.3 is offered",
                );
                versions.retain(|v| *v == Version::Tls13);
            } else {
                let e = self.error(
                    "cipherSuites",
                    "no listed suite is usable with TLS 1.2, and maxVersion excludes TLS 1.3",
                );
                self.errors.push(e);
            }
        }
        tls13
            .into_iter()
            .chain(tls12)
            .filter(|s| versions.contains(&version_of(s)))
            .collect()
    }

    /// `curvePreferences`, in the order given; ring's defaults when empty or when nothing
    /// usable is left.
    fn curves(&mut self, spec: &TlsOptionsSpec) -> Vec<&'static dyn SupportedKxGroup> {
        let defaults = || rustls::crypto::ring::DEFAULT_KX_GROUPS.to_vec();
        if spec.curve_preferences.is_empty() {
            return defaults();
        }
        let mut groups: Vec<&'static dyn SupportedKxGroup> = Vec::new();
        for (i, name) in spec.curve_preferences.iter().enumerate() {
            match names::curve(name) {
                None => self.unknown(format!("curvePreferences[{i}]"), name, &CURVE_NAMES),
                Some(Support::Unsupported(why)) => {
                    self.warn(format!("curvePreferences: {name} skipped: {why}"));
                }
                Some(Support::Supported(group)) => {
                    if !groups.iter().any(|g| g.name() == group.name()) {
                        groups.push(group);
                    }
                }
            }
        }
        if groups.is_empty() {
            self.warn("curvePreferences: no listed curve is usable; the defaults (X25519, P-256, P-384) are used");
            return defaults();
        }
        groups
    }

    fn alpn(&mut self, spec: &TlsOptionsSpec) -> Vec<Vec<u8>> {
        if spec.alpn_protocols.is_empty() {
            return DEFAULT_ALPN.iter().map(|p| p.as_bytes().to_vec()).collect();
        }
        let mut out = Vec::new();
        for (i, p) in spec.alpn_protocols.iter().enumerate() {
            // RFC 7301 §3.1: a protocol name is 1 to 255 bytes.
            if p.is_empty() || p.len() > 255 {
                let e = self.error(
                    &format!("alpnProtocols[{i}]"),
                    "an ALPN protocol name is 1 to 255 bytes (RFC 7301 §3.1)",
                );
                self.errors.push(e);
            } else {
                out.push(p.as_bytes().to_vec());
            }
        }
        out
    }
}
