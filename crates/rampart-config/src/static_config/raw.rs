//! The raw serde mirror of Traefik's static configuration (`pkg/config/static`): every key
//! Traefik accepts, nothing applied. Keys rampart does not implement yet are kept as
//! [`Value`]s (`present`) so that they can be reported, never silently dropped.

#![expect(
    clippy::struct_field_names,
    reason = "field names mirror Traefik's keys (`readTimeout`, `allowEncodedSlash`, …)"
)]

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::duration::Duration;
use crate::raw::{present, section};
use crate::types::{Domain, FileOrContent};
use crate::value::Value;

/// The top-level keys, with Traefik's spelling. Traefik's environment loader only looks at
/// `TRAEFIK_<KEY>…` variables whose key is one of these (paerser's `FindPrefixedEnvVars`).
pub(crate) const TOP_LEVEL_KEYS: &[&str] = &[
    "global",
    "serversTransport",
    "tcpServersTransport",
    "entryPoints",
    "providers",
    "api",
    "metrics",
    "ping",
    "log",
    "accessLog",
    "tracing",
    "hostResolver",
    "certificatesResolvers",
    "experimental",
    "core",
    "spiffe",
    "ocsp",
    // Traefik's command configuration embeds the static one next to this flag.
    "configFile",
];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawGlobal {
    pub(crate) check_new_version: Option<bool>,
    pub(crate) send_anonymous_usage: Option<bool>,
    pub(crate) not_append_x_forwarded_for: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawServersTransport {
    pub(crate) insecure_skip_verify: Option<bool>,
    #[serde(rename = "rootCAs")]
    pub(crate) root_cas: Option<Vec<FileOrContent>>,
    pub(crate) max_idle_conns_per_host: Option<i64>,
    pub(crate) forwarding_timeouts: Option<RawForwardingTimeouts>,
    #[serde(deserialize_with = "present")]
    pub(crate) spiffe: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawForwardingTimeouts {
    pub(crate) dial_timeout: Option<Duration>,
    pub(crate) response_header_timeout: Option<Duration>,
    pub(crate) idle_conn_timeout: Option<Duration>,
    pub(crate) read_idle_timeout: Option<Duration>,
    pub(crate) ping_timeout: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawEntryPoint {
    pub(crate) address: Option<String>,
    pub(crate) as_default: Option<bool>,
    pub(crate) transport: Option<RawEntryPointTransport>,
    pub(crate) forwarded_headers: Option<RawForwardedHeaders>,
    pub(crate) http: Option<RawEntryPointHttp>,
    pub(crate) http2: Option<RawHttp2>,
    // Not yet supported.
    #[serde(rename = "allowACMEByPass", deserialize_with = "present")]
    pub(crate) allow_acme_by_pass: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) reuse_port: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) proxy_protocol: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) http3: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) udp: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) observability: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawEntryPointTransport {
    pub(crate) life_cycle: Option<RawLifeCycle>,
    pub(crate) responding_timeouts: Option<RawRespondingTimeouts>,
    pub(crate) keep_alive_max_time: Option<Duration>,
    pub(crate) keep_alive_max_requests: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawLifeCycle {
    pub(crate) request_accept_grace_timeout: Option<Duration>,
    #[serde(rename = "graceTimeOut")]
    pub(crate) grace_time_out: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawRespondingTimeouts {
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawForwardedHeaders {
    pub(crate) insecure: Option<bool>,
    #[serde(rename = "trustedIPs")]
    pub(crate) trusted_ips: Option<Vec<String>>,
    pub(crate) connection: Option<Vec<String>>,
    pub(crate) not_append_x_forwarded_for: Option<bool>,
    pub(crate) add_x_forwarded_scheme_headers: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawEntryPointHttp {
    pub(crate) redirections: Option<RawRedirections>,
    pub(crate) middlewares: Option<Vec<String>>,
    #[serde(deserialize_with = "section")]
    pub(crate) tls: Option<RawEntryPointTls>,
    pub(crate) encoded_characters: Option<RawEncodedCharacters>,
    pub(crate) encode_query_semicolons: Option<bool>,
    pub(crate) sanitize_path: Option<bool>,
    pub(crate) max_header_bytes: Option<i64>,
    pub(crate) underscore_headers_strategy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawRedirections {
    pub(crate) entry_point: Option<RawRedirectEntryPoint>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawRedirectEntryPoint {
    pub(crate) to: Option<String>,
    pub(crate) scheme: Option<String>,
    pub(crate) permanent: Option<bool>,
    pub(crate) priority: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawEntryPointTls {
    pub(crate) options: Option<String>,
    pub(crate) cert_resolver: Option<String>,
    pub(crate) domains: Option<Vec<Domain>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawEncodedCharacters {
    pub(crate) allow_encoded_slash: Option<bool>,
    pub(crate) allow_encoded_back_slash: Option<bool>,
    pub(crate) allow_encoded_null_character: Option<bool>,
    pub(crate) allow_encoded_semicolon: Option<bool>,
    pub(crate) allow_encoded_percent: Option<bool>,
    pub(crate) allow_encoded_question_mark: Option<bool>,
    pub(crate) allow_encoded_hash: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawHttp2 {
    pub(crate) max_concurrent_streams: Option<i64>,
    pub(crate) max_decoder_header_table_size: Option<i64>,
    pub(crate) max_encoder_header_table_size: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawProviders {
    pub(crate) providers_throttle_duration: Option<Duration>,
    pub(crate) precedence: Option<Vec<String>>,
    #[serde(deserialize_with = "section")]
    pub(crate) file: Option<RawFileProvider>,
    // Not yet supported.
    #[serde(deserialize_with = "present")]
    pub(crate) docker: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) swarm: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) kubernetes_ingress: Option<Value>,
    #[serde(rename = "kubernetesIngressNGINX", deserialize_with = "present")]
    pub(crate) kubernetes_ingress_nginx: Option<Value>,
    #[serde(rename = "kubernetesCRD", deserialize_with = "present")]
    pub(crate) kubernetes_crd: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) kubernetes_gateway: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) knative: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) rest: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) consul_catalog: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) nomad: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) ecs: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) consul: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) etcd: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) zoo_keeper: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) redis: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) http: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) plugin: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawFileProvider {
    pub(crate) directory: Option<String>,
    pub(crate) watch: Option<bool>,
    pub(crate) filename: Option<String>,
    pub(crate) debug_log_generated_template: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawApi {
    pub(crate) base_path: Option<String>,
    pub(crate) insecure: Option<bool>,
    pub(crate) dashboard: Option<bool>,
    pub(crate) debug: Option<bool>,
    pub(crate) disable_dashboard_ad: Option<bool>,
    pub(crate) dashboard_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawPing {
    pub(crate) entry_point: Option<String>,
    pub(crate) manual_routing: Option<bool>,
    pub(crate) terminating_status_code: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawLog {
    pub(crate) level: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) no_color: Option<bool>,
    pub(crate) file_path: Option<String>,
    pub(crate) max_size: Option<i64>,
    pub(crate) max_age: Option<i64>,
    pub(crate) max_backups: Option<i64>,
    pub(crate) compress: Option<bool>,
    #[serde(deserialize_with = "present")]
    pub(crate) otlp: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawAccessLog {
    pub(crate) file_path: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) filters: Option<RawAccessLogFilters>,
    pub(crate) fields: Option<RawAccessLogFields>,
    pub(crate) buffering_size: Option<i64>,
    pub(crate) add_internals: Option<bool>,
    #[serde(deserialize_with = "present")]
    pub(crate) dual_output: Option<Value>,
    #[serde(deserialize_with = "present")]
    pub(crate) otlp: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawAccessLogFilters {
    pub(crate) status_codes: Option<Vec<String>>,
    pub(crate) retry_attempts: Option<bool>,
    pub(crate) min_duration: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawAccessLogFields {
    pub(crate) default_mode: Option<String>,
    pub(crate) names: Option<BTreeMap<String, String>>,
    pub(crate) headers: Option<RawFieldHeaders>,
    pub(crate) query_parameters: Option<RawQueryParameters>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawFieldHeaders {
    pub(crate) default_mode: Option<String>,
    pub(crate) names: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawQueryParameters {
    pub(crate) default_mode: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawHostResolver {
    pub(crate) cname_flattening: Option<bool>,
    pub(crate) resolv_config: Option<String>,
    pub(crate) resolv_depth: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawCore {
    pub(crate) default_rule_syntax: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawResolver {
    #[serde(deserialize_with = "section")]
    pub(crate) acme: Option<RawAcme>,
    #[serde(deserialize_with = "present")]
    pub(crate) tailscale: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawAcme {
    pub(crate) email: Option<String>,
    pub(crate) ca_server: Option<String>,
    pub(crate) preferred_chain: Option<String>,
    pub(crate) profile: Option<String>,
    pub(crate) email_addresses: Option<Vec<String>>,
    pub(crate) disable_common_name: Option<bool>,
    pub(crate) storage: Option<String>,
    pub(crate) key_type: Option<String>,
    pub(crate) eab: Option<RawEab>,
    pub(crate) certificates_duration: Option<i64>,
    pub(crate) client_timeout: Option<Duration>,
    pub(crate) client_response_header_timeout: Option<Duration>,
    pub(crate) certificate_timeout: Option<Duration>,
    pub(crate) ca_certificates: Option<Vec<String>>,
    pub(crate) ca_system_cert_pool: Option<bool>,
    pub(crate) ca_server_name: Option<String>,
    #[serde(rename = "dnsChallenge", deserialize_with = "section")]
    pub(crate) dns_challenge: Option<RawDnsChallenge>,
    #[serde(rename = "httpChallenge", deserialize_with = "section")]
    pub(crate) http_challenge: Option<RawHttpChallenge>,
    #[serde(rename = "tlsChallenge", deserialize_with = "section")]
    pub(crate) tls_challenge: Option<RawTlsChallenge>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawEab {
    pub(crate) kid: Option<String>,
    pub(crate) hmac_encoded: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawDnsChallenge {
    pub(crate) provider: Option<String>,
    pub(crate) resolvers: Option<Vec<String>>,
    #[serde(deserialize_with = "section")]
    pub(crate) propagation: Option<RawPropagation>,
    pub(crate) delay_before_check: Option<Duration>,
    pub(crate) disable_propagation_check: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawPropagation {
    pub(crate) disable_checks: Option<bool>,
    #[serde(rename = "disableANSChecks")]
    pub(crate) disable_ans_checks: Option<bool>,
    #[serde(rename = "requireAllRNS")]
    pub(crate) require_all_rns: Option<bool>,
    pub(crate) delay_before_checks: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawHttpChallenge {
    pub(crate) entry_point: Option<String>,
    pub(crate) delay: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct RawTlsChallenge {
    pub(crate) delay: Option<Duration>,
}
