//! The options of `headers`, as Traefik's `dynamic.Headers`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Options of `headers` (Traefik's `dynamic.Headers`; same keys, same defaults).
///
/// A header map value that is empty (or absent: `X-Robots-Tag:` in YAML) deletes the header.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors Traefik's option set one to one"
)]
pub struct HeadersConfig {
    /// Headers set on (or, with an empty value, removed from) the request.
    #[serde(default)]
    pub custom_request_headers: BTreeMap<String, Option<String>>,
    /// Headers set on (or, with an empty value, removed from) the response.
    #[serde(default)]
    pub custom_response_headers: BTreeMap<String, Option<String>>,

    /// CORS: `Access-Control-Allow-Credentials: true`.
    #[serde(default)]
    pub access_control_allow_credentials: bool,
    /// CORS: the preflight's `Access-Control-Allow-Headers`.
    #[serde(default)]
    pub access_control_allow_headers: Vec<String>,
    /// CORS: the preflight's `Access-Control-Allow-Methods`.
    #[serde(default)]
    pub access_control_allow_methods: Vec<String>,
    /// CORS: allowed origins (exact, or `*`).
    #[serde(default)]
    pub access_control_allow_origin_list: Vec<String>,
    /// CORS: allowed origins as Go regular expressions (unanchored).
    #[serde(default)]
    pub access_control_allow_origin_list_regex: Vec<String>,
    /// CORS: `Access-Control-Expose-Headers`.
    #[serde(default)]
    pub access_control_expose_headers: Vec<String>,
    /// CORS: the preflight's `Access-Control-Max-Age`, in seconds.
    #[serde(default)]
    pub access_control_max_age: Option<i64>,
    /// CORS: add `Origin` to `Vary`.
    #[serde(default)]
    pub add_vary_header: bool,

    /// Hosts allowed (case-insensitive); others get 500 "Bad Host". Empty allows all.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Request headers that may carry the host instead of `Host`, first non-empty wins.
    #[serde(default)]
    pub hosts_proxy_headers: Vec<String>,
    /// Request header values that mean "this request came over HTTPS" (e.g.
    /// `X-Forwarded-Proto: https`).
    #[serde(default)]
    pub ssl_proxy_headers: BTreeMap<String, Option<String>>,
    /// `Strict-Transport-Security: max-age=…`; 0 (or unset) sends none.
    #[serde(default)]
    pub sts_seconds: Option<i64>,
    /// Appends `; includeSubDomains` to STS.
    #[serde(default)]
    pub sts_include_subdomains: bool,
    /// Appends `; preload` to STS.
    #[serde(default)]
    pub sts_preload: bool,
    /// Sends STS over plain HTTP too.
    #[serde(default, rename = "forceSTSHeader")]
    pub force_sts_header: bool,
    /// `X-Frame-Options: DENY`.
    #[serde(default)]
    pub frame_deny: bool,
    /// `X-Frame-Options` value (wins over `frameDeny`).
    #[serde(default)]
    pub custom_frame_options_value: String,
    /// `X-Content-Type-Options: nosniff`.
    #[serde(default)]
    pub content_type_nosniff: bool,
    /// `X-XSS-Protection: 1; mode=block`.
    #[serde(default)]
    pub browser_xss_filter: bool,
    /// `X-XSS-Protection` value (wins over `browserXssFilter`).
    #[serde(default, rename = "customBrowserXSSValue")]
    pub custom_browser_xss_value: String,
    /// `Content-Security-Policy` (`$NONCE` becomes a per-response nonce).
    #[serde(default)]
    pub content_security_policy: String,
    /// `Content-Security-Policy-Report-Only` (`$NONCE` as above).
    #[serde(default)]
    pub content_security_policy_report_only: String,
    /// `Public-Key-Pins` (HPKP), sent over HTTPS only.
    #[serde(default)]
    pub public_key: String,
    /// `Referrer-Policy`.
    #[serde(default)]
    pub referrer_policy: String,
    /// `Permissions-Policy`.
    #[serde(default)]
    pub permissions_policy: String,
    /// Turns off `allowedHosts`, STS and HPKP (for development over plain HTTP).
    #[serde(default)]
    pub is_development: bool,

    /// Removed in Traefik v3: accepted, warned about, no effect.
    #[serde(default)]
    pub feature_policy: Option<String>,
    /// Removed in Traefik v3 (use `redirectScheme`): accepted, warned about, no effect.
    #[serde(default)]
    pub ssl_redirect: Option<bool>,
    /// Removed in Traefik v3: accepted, warned about, no effect.
    #[serde(default)]
    pub ssl_temporary_redirect: Option<bool>,
    /// Removed in Traefik v3 (use `redirectRegex`): accepted, warned about, no effect.
    #[serde(default)]
    pub ssl_host: Option<String>,
    /// Removed in Traefik v3 (use `redirectRegex`): accepted, warned about, no effect.
    #[serde(default)]
    pub ssl_force_host: Option<bool>,
}

impl HeadersConfig {
    /// Traefik's `HasCustomHeadersDefined`.
    pub(super) fn has_custom(&self) -> bool {
        !self.custom_request_headers.is_empty() || !self.custom_response_headers.is_empty()
    }

    /// Traefik's `HasCorsHeadersDefined`.
    pub(super) fn has_cors(&self) -> bool {
        self.access_control_allow_credentials
            || !self.access_control_allow_headers.is_empty()
            || !self.access_control_allow_methods.is_empty()
            || !self.access_control_allow_origin_list.is_empty()
            || !self.access_control_allow_origin_list_regex.is_empty()
            || !self.access_control_expose_headers.is_empty()
            || self.access_control_max_age.is_some()
            || self.add_vary_header
    }

    /// Traefik's `HasSecureHeadersDefined` (the removed options still count).
    pub(super) fn has_secure(&self) -> bool {
        !self.allowed_hosts.is_empty()
            || !self.hosts_proxy_headers.is_empty()
            || self.ssl_redirect == Some(true)
            || self.ssl_temporary_redirect == Some(true)
            || self.ssl_force_host == Some(true)
            || self.ssl_host.as_deref().is_some_and(|h| !h.is_empty())
            || !self.ssl_proxy_headers.is_empty()
            || self.sts_seconds.is_some()
            || self.sts_include_subdomains
            || self.sts_preload
            || self.force_sts_header
            || self.frame_deny
            || !self.custom_frame_options_value.is_empty()
            || self.content_type_nosniff
            || self.browser_xss_filter
            || !self.custom_browser_xss_value.is_empty()
            || !self.content_security_policy.is_empty()
            || !self.content_security_policy_report_only.is_empty()
            || !self.public_key.is_empty()
            || !self.referrer_policy.is_empty()
            || self
                .feature_policy
                .as_deref()
                .is_some_and(|p| !p.is_empty())
            || !self.permissions_policy.is_empty()
            || self.is_development
    }

    /// Logs a warning for each option Traefik v3 removed, and returns their names.
    pub(super) fn warn_removed(&self) -> Vec<&'static str> {
        let removed = [
            ("featurePolicy", self.feature_policy.is_some()),
            ("sslRedirect", self.ssl_redirect.is_some()),
            (
                "sslTemporaryRedirect",
                self.ssl_temporary_redirect.is_some(),
            ),
            ("sslHost", self.ssl_host.is_some()),
            ("sslForceHost", self.ssl_force_host.is_some()),
        ];
        let names: Vec<&'static str> = removed
            .iter()
            .filter(|(_, set)| *set)
            .map(|(n, _)| *n)
            .collect();
        for name in &names {
            tracing::warn!(
                option = name,
                "headers: `{name}` was removed in Traefik v3 and has no effect (use redirectScheme, redirectRegex or permissionsPolicy)"
            );
        }
        names
    }
}
