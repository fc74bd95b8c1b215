//! Entry points: where rampart listens, and what applies to every request arriving there.

use super::address::{Address, Protocol};
use super::defaults as d;
use super::raw::{RawEntryPoint, RawEntryPointHttp, RawEntryPointTransport, RawForwardedHeaders};
use crate::diag::Diagnostics;
use crate::duration::Duration;
use crate::types::{Domain, parse_ip_range};

/// One entry point (`entryPoints.<name>`).
#[derive(Debug, Clone, PartialEq)]
pub struct EntryPoint {
    /// Where to listen.
    pub address: Address,
    /// Routers without `entryPoints` attach to the entry points marked `asDefault` (or to all
    /// but `traefik` when none is).
    pub as_default: bool,
    /// HTTP behaviour.
    pub http: EntryPointHttp,
    /// HTTP/2 limits.
    pub http2: Http2,
    /// Which clients' `X-Forwarded-*` headers are trusted.
    pub forwarded_headers: ForwardedHeaders,
    /// Timeouts and connection life cycle.
    pub transport: EntryPointTransport,
}

/// `entryPoints.<name>.http`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryPointHttp {
    /// `redirections.entryPoint`.
    pub redirection: Option<Redirection>,
    /// Middlewares prepended to every router of this entry point, as written (a name without
    /// `@provider` is resolved in the router's provider, as Traefik does).
    pub middlewares: Vec<String>,
    /// When set, routers of this entry point are TLS routers with these defaults.
    pub tls: Option<EntryPointTls>,
    /// Which percent-encoded characters are allowed in request paths.
    pub encoded_characters: EncodedCharacters,
    /// `encodeQuerySemicolons`: re-encode `;` in queries instead of treating it as `&`.
    pub encode_query_semicolons: bool,
    /// `sanitizePath`: remove `/./`, `/../` and `//` from paths.
    pub sanitize_path: bool,
    /// `maxHeaderBytes`: the largest request header block accepted.
    pub max_header_bytes: u64,
    /// `underscoreHeadersStrategy`.
    pub underscore_headers: UnderscoreHeaders,
}

impl Default for EntryPointHttp {
    fn default() -> Self {
        EntryPointHttp {
            redirection: None,
            middlewares: Vec::new(),
            tls: None,
            encoded_characters: EncodedCharacters::default(),
            encode_query_semicolons: false,
            sanitize_path: d::SANITIZE_PATH,
            max_header_bytes: d::MAX_HEADER_BYTES,
            underscore_headers: UnderscoreHeaders::Keep,
        }
    }
}

/// `http.redirections.entryPoint`: every request is redirected to another entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirection {
    /// Where to.
    pub to: RedirectTarget,
    /// The scheme of the new URL (`https`).
    pub scheme: String,
    /// 301/308 when true, 302/307 otherwise.
    pub permanent: bool,
    /// Priority of the generated `<ep>-to-<to>@internal` router.
    pub priority: i64,
}

/// The target of an entry point redirection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectTarget {
    /// Another entry point, whose port is used.
    EntryPoint(String),
    /// A port (`to: ":8443"`).
    Port(u16),
}

/// `http.tls`: the TLS of every router of this entry point that has no `tls` section of its
/// own (taken whole, as Traefik's entrypoint model: a router with `tls: {certResolver: x}`
/// gets the `default` options, not these).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryPointTls {
    /// TLS options name, as written (`tls-opts@file`; without `@`, the router's provider).
    pub options: Option<String>,
    /// Certificate resolver for routers without their own.
    pub cert_resolver: Option<String>,
    /// Domains to obtain certificates for.
    pub domains: Vec<Domain>,
}

/// `http.encodedCharacters`: `false` rejects requests whose path holds that escape (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors Traefik's seven switches"
)]
pub struct EncodedCharacters {
    /// `%2F`.
    pub allow_encoded_slash: bool,
    /// `%5C`.
    pub allow_encoded_back_slash: bool,
    /// `%00`.
    pub allow_encoded_null_character: bool,
    /// `%3B`.
    pub allow_encoded_semicolon: bool,
    /// `%25`.
    pub allow_encoded_percent: bool,
    /// `%3F`.
    pub allow_encoded_question_mark: bool,
    /// `%23`.
    pub allow_encoded_hash: bool,
}

impl Default for EncodedCharacters {
    fn default() -> Self {
        let allow = d::ALLOW_ENCODED_CHARACTERS;
        EncodedCharacters {
            allow_encoded_slash: allow,
            allow_encoded_back_slash: allow,
            allow_encoded_null_character: allow,
            allow_encoded_semicolon: allow,
            allow_encoded_percent: allow,
            allow_encoded_question_mark: allow,
            allow_encoded_hash: allow,
        }
    }
}

/// What to do with request headers whose names contain `_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnderscoreHeaders {
    /// Forward them.
    #[default]
    Keep,
    /// Remove them before routing.
    Delete,
    /// Answer 400.
    Reject,
}

/// `http2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http2 {
    /// Streams a client may open at once.
    pub max_concurrent_streams: u32,
    /// HPACK table size when decoding.
    pub max_decoder_header_table_size: u32,
    /// HPACK table size when encoding.
    pub max_encoder_header_table_size: u32,
}

impl Default for Http2 {
    fn default() -> Self {
        Http2 {
            max_concurrent_streams: d::HTTP2_MAX_CONCURRENT_STREAMS,
            max_decoder_header_table_size: d::HTTP2_HEADER_TABLE_SIZE,
            max_encoder_header_table_size: d::HTTP2_HEADER_TABLE_SIZE,
        }
    }
}

/// `forwardedHeaders`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForwardedHeaders {
    /// Peers whose `X-Forwarded-*` headers are kept.
    pub trusted_ips: Vec<ipnet::IpNet>,
    /// Trust every peer.
    pub insecure: bool,
    /// Headers named in `Connection` that survive until the backend hop.
    pub connection: Vec<String>,
    /// Do not append the peer address to `X-Forwarded-For`.
    pub not_append_x_forwarded_for: bool,
    /// Also send `X-Forwarded-Scheme` and `X-Scheme`.
    pub add_x_forwarded_scheme_headers: bool,
}

/// `transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryPointTransport {
    /// `respondingTimeouts.readTimeout`: the whole request, body included (zero: none).
    pub read_timeout: Duration,
    /// `respondingTimeouts.writeTimeout` (zero: none).
    pub write_timeout: Duration,
    /// `respondingTimeouts.idleTimeout`: idle keep-alive connections (zero: none).
    pub idle_timeout: Duration,
    /// `lifeCycle.requestAcceptGraceTimeout`: keep accepting this long after a stop signal.
    pub request_accept_grace_timeout: Duration,
    /// `lifeCycle.graceTimeOut`: how long in-flight requests may finish after that.
    pub grace_timeout: Duration,
    /// `keepAliveMaxRequests` (zero: unlimited).
    pub keep_alive_max_requests: u64,
    /// `keepAliveMaxTime` (zero: unlimited).
    pub keep_alive_max_time: Duration,
}

impl Default for EntryPointTransport {
    fn default() -> Self {
        EntryPointTransport {
            read_timeout: d::READ_TIMEOUT,
            write_timeout: d::WRITE_TIMEOUT,
            idle_timeout: d::IDLE_TIMEOUT,
            request_accept_grace_timeout: d::REQUEST_ACCEPT_GRACE_TIMEOUT,
            grace_timeout: d::GRACE_TIMEOUT,
            keep_alive_max_requests: 0,
            keep_alive_max_time: Duration::ZERO,
        }
    }
}

impl EntryPoint {
    /// An entry point on `address` with Traefik's defaults for everything else.
    pub fn new(address: Address) -> Self {
        EntryPoint {
            address,
            as_default: false,
            http: EntryPointHttp::default(),
            http2: Http2::default(),
            forwarded_headers: ForwardedHeaders::default(),
            transport: EntryPointTransport::default(),
        }
    }
}

/// Validates `entryPoints.<name>` and applies the defaults.
pub(super) fn build(name: &str, raw: RawEntryPoint, d: &mut Diagnostics<'_>) -> Option<EntryPoint> {
    let key = format!("entryPoints.{name}");
    for (field, present) in [
        ("allowACMEByPass", raw.allow_acme_by_pass.is_some()),
        ("reusePort", raw.reuse_port.is_some()),
        ("proxyProtocol", raw.proxy_protocol.is_some()),
        ("http3", raw.http3.is_some()),
        ("udp", raw.udp.is_some()),
        ("observability", raw.observability.is_some()),
    ] {
        if present {
            d.unsupported(&format!("{key}.{field}"));
        }
    }
    let Some(address) = raw.address else {
        d.error(&key, "`address` is required (e.g. `:443`)");
        return None;
    };
    let address = match address.parse::<Address>() {
        Ok(a) => a,
        Err(e) => {
            d.error(&format!("{key}.address"), e);
            return None;
        }
    };
    if address.protocol == Protocol::Udp {
        d.unsupported(&format!("{key}.address"));
    }
    let mut ep = EntryPoint::new(address);
    ep.as_default = raw.as_default.unwrap_or(false);
    if let Some(http) = raw.http {
        ep.http = build_http(&format!("{key}.http"), http, d);
    }
    if let Some(h2) = raw.http2 {
        let table = |v: Option<i64>, field: &str, d: &mut Diagnostics<'_>| match v {
            None | Some(0) => d::HTTP2_HEADER_TABLE_SIZE,
            Some(v) => u32::try_from(v).unwrap_or_else(|_| {
                d.error(
                    &format!("{key}.http2.{field}"),
                    format!("{v} is out of range"),
                );
                d::HTTP2_HEADER_TABLE_SIZE
            }),
        };
        ep.http2 = Http2 {
            max_concurrent_streams: match h2.max_concurrent_streams {
                // Go's http2 server reads 0 as its default.
                None | Some(0) => d::HTTP2_MAX_CONCURRENT_STREAMS,
                Some(v) => u32::try_from(v).unwrap_or_else(|_| {
                    d.error(
                        &format!("{key}.http2.maxConcurrentStreams"),
                        format!("{v} is out of range"),
                    );
                    d::HTTP2_MAX_CONCURRENT_STREAMS
                }),
            },
            max_decoder_header_table_size: table(
                h2.max_decoder_header_table_size,
                "maxDecoderHeaderTableSize",
                d,
            ),
            max_encoder_header_table_size: table(
                h2.max_encoder_header_table_size,
                "maxEncoderHeaderTableSize",
                d,
            ),
        };
    }
    if let Some(fh) = raw.forwarded_headers {
        ep.forwarded_headers = build_forwarded(&format!("{key}.forwardedHeaders"), fh, d);
    }
    if let Some(t) = raw.transport {
        ep.transport = build_transport(t);
    }
    Some(ep)
}

fn build_http(key: &str, raw: RawEntryPointHttp, d: &mut Diagnostics<'_>) -> EntryPointHttp {
    let mut http = EntryPointHttp::default();
    if let Some(redirect) = raw.redirections.and_then(|r| r.entry_point) {
        let rkey = format!("{key}.redirections.entryPoint");
        match redirect.to.as_deref().map(str::trim) {
            None | Some("") => d.error(
                &rkey,
                "`to` is required: the entry point (or `:port`) to redirect to",
            ),
            Some(to) => {
                let target = if let Some(port) = to.strip_prefix(':') {
                    if let Ok(p) = port.parse() {
                        Some(RedirectTarget::Port(p))
                    } else {
                        d.error(&format!("{rkey}.to"), format!("`{to}` is not a valid port"));
                        None
                    }
                } else {
                    Some(RedirectTarget::EntryPoint(to.to_owned()))
                };
                if let Some(to) = target {
                    http.redirection = Some(Redirection {
                        to,
                        scheme: redirect
                            .scheme
                            .unwrap_or_else(|| d::REDIRECT_SCHEME.to_owned()),
                        permanent: redirect.permanent.unwrap_or(d::REDIRECT_PERMANENT),
                        priority: redirect.priority.unwrap_or(d::REDIRECT_PRIORITY),
                    });
                }
            }
        }
    }
    http.middlewares = raw.middlewares.unwrap_or_default();
    if let Some(tls) = raw.tls {
        let domains = tls.domains.unwrap_or_default();
        for (i, domain) in domains.iter().enumerate() {
            if domain.main.trim().is_empty() {
                d.error(
                    &format!("{key}.tls.domains[{i}].main"),
                    "a domain needs a `main` name",
                );
            }
        }
        http.tls = Some(EntryPointTls {
            options: tls.options.filter(|o| !o.is_empty()),
            cert_resolver: tls.cert_resolver.filter(|r| !r.is_empty()),
            domains,
        });
    }
    if let Some(ec) = raw.encoded_characters {
        let allow = |v: Option<bool>| v.unwrap_or(d::ALLOW_ENCODED_CHARACTERS);
        http.encoded_characters = EncodedCharacters {
            allow_encoded_slash: allow(ec.allow_encoded_slash),
            allow_encoded_back_slash: allow(ec.allow_encoded_back_slash),
            allow_encoded_null_character: allow(ec.allow_encoded_null_character),
            allow_encoded_semicolon: allow(ec.allow_encoded_semicolon),
            allow_encoded_percent: allow(ec.allow_encoded_percent),
            allow_encoded_question_mark: allow(ec.allow_encoded_question_mark),
            allow_encoded_hash: allow(ec.allow_encoded_hash),
        };
    }
    http.encode_query_semicolons = raw.encode_query_semicolons.unwrap_or(false);
    http.sanitize_path = raw.sanitize_path.unwrap_or(d::SANITIZE_PATH);
    // Go's http.Server reads zero or less as its default.
    http.max_header_bytes = raw
        .max_header_bytes
        .and_then(|v| u64::try_from(v).ok())
        .filter(|&v| v > 0)
        .unwrap_or(d::MAX_HEADER_BYTES);
    if let Some(strategy) = raw.underscore_headers_strategy {
        http.underscore_headers = match strategy.to_ascii_lowercase().as_str() {
            "" | "keep" => UnderscoreHeaders::Keep,
            "delete" => UnderscoreHeaders::Delete,
            "reject" => UnderscoreHeaders::Reject,
            _ => {
                d.error(
                    &format!("{key}.underscoreHeadersStrategy"),
                    format!("`{strategy}` is not one of keep, delete, reject"),
                );
                UnderscoreHeaders::Keep
            }
        };
    }
    http
}

fn build_forwarded(
    key: &str,
    raw: RawForwardedHeaders,
    d: &mut Diagnostics<'_>,
) -> ForwardedHeaders {
    let mut trusted_ips = Vec::new();
    for (i, ip) in raw.trusted_ips.unwrap_or_default().iter().enumerate() {
        match parse_ip_range(ip) {
            Ok(net) => trusted_ips.push(net),
            Err(e) => d.error(&format!("{key}.trustedIPs[{i}]"), e),
        }
    }
    ForwardedHeaders {
        trusted_ips,
        insecure: raw.insecure.unwrap_or(false),
        connection: raw.connection.unwrap_or_default(),
        not_append_x_forwarded_for: raw.not_append_x_forwarded_for.unwrap_or(false),
        add_x_forwarded_scheme_headers: raw.add_x_forwarded_scheme_headers.unwrap_or(false),
    }
}

fn build_transport(raw: RawEntryPointTransport) -> EntryPointTransport {
    let mut t = EntryPointTransport::default();
    if let Some(rt) = raw.responding_timeouts {
        t.read_timeout = rt.read_timeout.unwrap_or(d::READ_TIMEOUT);
        t.write_timeout = rt.write_timeout.unwrap_or(d::WRITE_TIMEOUT);
        t.idle_timeout = rt.idle_timeout.unwrap_or(d::IDLE_TIMEOUT);
    }
    if let Some(lc) = raw.life_cycle {
        t.request_accept_grace_timeout = lc
            .request_accept_grace_timeout
            .unwrap_or(d::REQUEST_ACCEPT_GRACE_TIMEOUT);
        t.grace_timeout = lc.grace_time_out.unwrap_or(d::GRACE_TIMEOUT);
    }
    t.keep_alive_max_requests = raw
        .keep_alive_max_requests
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(0);
    t.keep_alive_max_time = raw.keep_alive_max_time.unwrap_or(Duration::ZERO);
    t
}
