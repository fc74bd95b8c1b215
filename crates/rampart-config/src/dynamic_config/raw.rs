//! The raw serde mirror of one dynamic object (`pkg/config/dynamic`, `pkg/tls`): a router, a
//! service, a servers transport, TLS options, stores and certificates. Each object is decoded on
//! its own so that every broken object of a file is reported.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::duration::Duration;
use crate::raw::{present, section};
use crate::static_config::raw::RawForwardingTimeouts;
use crate::types::{Domain, FileOrContent};
use crate::value::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawRouter {
    pub(crate) entry_points: Option<Vec<String>>,
    pub(crate) middlewares: Option<Vec<String>>,
    pub(crate) service: Option<String>,
    pub(crate) rule: Option<String>,
    pub(crate) rule_syntax: Option<String>,
    pub(crate) priority: Option<i64>,
    #[serde(deserialize_with = "section")]
    pub(crate) tls: Option<RawRouterTls>,
    pub(crate) observability: Option<RawRouterObservability>,
    #[serde(deserialize_with = "present")]
    pub(crate) parent_refs: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawRouterTls {
    pub(crate) options: Option<String>,
    pub(crate) cert_resolver: Option<String>,
    pub(crate) domains: Option<Vec<Domain>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawRouterObservability {
    pub(crate) access_logs: Option<bool>,
    pub(crate) metrics: Option<bool>,
    pub(crate) tracing: Option<bool>,
    pub(crate) trace_verbosity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawService {
    pub(crate) load_balancer: Option<RawLoadBalancer>,
    pub(crate) weighted: Option<RawWeighted>,
    pub(crate) failover: Option<RawFailover>,
    pub(crate) mirroring: Option<RawMirroring>,
    pub(crate) highest_random_weight: Option<RawHighestRandomWeight>,
    #[serde(deserialize_with = "present")]
    pub(crate) middlewares: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawLoadBalancer {
    pub(crate) sticky: Option<RawSticky>,
    pub(crate) servers: Option<Vec<RawServer>>,
    pub(crate) strategy: Option<String>,
    pub(crate) health_check: Option<RawHealthCheck>,
    pub(crate) passive_health_check: Option<RawPassiveHealthCheck>,
    pub(crate) pass_host_header: Option<bool>,
    pub(crate) response_forwarding: Option<RawResponseForwarding>,
    pub(crate) servers_transport: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawServer {
    pub(crate) url: Option<String>,
    pub(crate) weight: Option<i64>,
    pub(crate) preserve_path: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawHealthCheck {
    pub(crate) scheme: Option<String>,
    pub(crate) mode: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) method: Option<String>,
    pub(crate) status: Option<i64>,
    pub(crate) port: Option<i64>,
    pub(crate) interval: Option<Duration>,
    pub(crate) unhealthy_interval: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) hostname: Option<String>,
    pub(crate) follow_redirects: Option<bool>,
    pub(crate) headers: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawPassiveHealthCheck {
    pub(crate) failure_window: Option<Duration>,
    pub(crate) max_failed_attempts: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawResponseForwarding {
    pub(crate) flush_interval: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawSticky {
    #[serde(deserialize_with = "section")]
    pub(crate) cookie: Option<RawCookie>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawCookie {
    pub(crate) name: Option<String>,
    pub(crate) secure: Option<bool>,
    pub(crate) http_only: Option<bool>,
    pub(crate) same_site: Option<String>,
    pub(crate) max_age: Option<i64>,
    pub(crate) path: Option<String>,
    pub(crate) domain: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawWeighted {
    pub(crate) services: Option<Vec<RawWeightedService>>,
    pub(crate) sticky: Option<RawSticky>,
    #[serde(deserialize_with = "section")]
    pub(crate) health_check: Option<RawEmpty>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawWeightedService {
    pub(crate) name: Option<String>,
    pub(crate) weight: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawHighestRandomWeight {
    pub(crate) services: Option<Vec<RawWeightedService>>,
    #[serde(deserialize_with = "section")]
    pub(crate) health_check: Option<RawEmpty>,
}

/// A section with no options (`healthCheck: {}` on weighted, failover and mirroring services).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEmpty {}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawFailover {
    pub(crate) service: Option<String>,
    pub(crate) fallback: Option<String>,
    #[serde(deserialize_with = "section")]
    pub(crate) health_check: Option<RawEmpty>,
    pub(crate) errors: Option<RawFailoverErrors>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawFailoverErrors {
    pub(crate) max_request_body_bytes: Option<i64>,
    pub(crate) status: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawMirroring {
    pub(crate) service: Option<String>,
    pub(crate) mirror_body: Option<bool>,
    pub(crate) max_body_size: Option<i64>,
    pub(crate) mirrors: Option<Vec<RawMirror>>,
    #[serde(deserialize_with = "section")]
    pub(crate) health_check: Option<RawEmpty>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawMirror {
    pub(crate) name: Option<String>,
    pub(crate) percent: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawServersTransport {
    pub(crate) server_name: Option<String>,
    pub(crate) insecure_skip_verify: Option<bool>,
    #[serde(rename = "rootCAs")]
    pub(crate) root_cas: Option<Vec<FileOrContent>>,
    pub(crate) certificates: Option<Vec<RawCertificatePair>>,
    pub(crate) cipher_suites: Option<Vec<String>>,
    pub(crate) min_version: Option<String>,
    pub(crate) max_version: Option<String>,
    pub(crate) max_idle_conns_per_host: Option<i64>,
    pub(crate) forwarding_timeouts: Option<RawForwardingTimeouts>,
    #[serde(rename = "disableHTTP2")]
    pub(crate) disable_http2: Option<bool>,
    #[serde(rename = "peerCertURI")]
    pub(crate) peer_cert_uri: Option<String>,
    #[serde(rename = "peerCertSANs", deserialize_with = "present")]
    pub(crate) peer_cert_sans: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) spiffe: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawCertificatePair {
    pub(crate) cert_file: Option<FileOrContent>,
    pub(crate) key_file: Option<FileOrContent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawTlsCertificate {
    pub(crate) cert_file: Option<FileOrContent>,
    pub(crate) key_file: Option<FileOrContent>,
    pub(crate) stores: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawTlsOptions {
    pub(crate) min_version: Option<String>,
    pub(crate) max_version: Option<String>,
    pub(crate) cipher_suites: Option<Vec<String>>,
    pub(crate) curve_preferences: Option<Vec<String>>,
    pub(crate) client_auth: Option<RawClientAuth>,
    pub(crate) sni_strict: Option<bool>,
    #[serde(rename = "alpnProtocols")]
    pub(crate) alpn_protocols: Option<Vec<String>>,
    pub(crate) disable_session_tickets: Option<bool>,
    pub(crate) prefer_server_cipher_suites: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawClientAuth {
    pub(crate) ca_files: Option<Vec<FileOrContent>>,
    pub(crate) client_auth_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawTlsStore {
    pub(crate) default_certificate: Option<RawCertificatePair>,
    pub(crate) default_generated_cert: Option<RawGeneratedCert>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawGeneratedCert {
    pub(crate) resolver: Option<String>,
    pub(crate) domain: Option<Domain>,
}
