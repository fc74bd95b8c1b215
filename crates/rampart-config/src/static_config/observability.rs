//! `log` (rampart's own log) and `accessLog`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::defaults as d;
use super::raw::{RawAccessLog, RawAccessLogFields, RawLog};
use crate::diag::Diagnostics;
use crate::duration::Duration;

/// `log`. Present with defaults even when the section is absent (Traefik logs at ERROR then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// Minimum level.
    pub level: LogLevel,
    /// Line format.
    pub format: LogFormat,
    /// No colours in the `common` format.
    pub no_color: bool,
    /// Log file; standard error when `None` (rampart's choice: stdout carries no logs).
    pub file_path: Option<PathBuf>,
    /// Rotate after this many megabytes (only with `file_path`).
    pub max_size_mb: u64,
    /// Rotated files kept (0: all).
    pub max_backups: u64,
    /// Days rotated files are kept (0: no limit).
    pub max_age_days: u64,
    /// Gzip rotated files.
    pub compress: bool,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: LogLevel::Error,
            format: LogFormat::Common,
            no_color: false,
            file_path: None,
            max_size_mb: d::LOG_MAX_SIZE_MB,
            max_backups: 0,
            max_age_days: 0,
            compress: false,
        }
    }
}

/// `log.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// TRACE.
    Trace,
    /// DEBUG.
    Debug,
    /// INFO.
    Info,
    /// WARN.
    Warn,
    /// ERROR (the default).
    Error,
    /// FATAL.
    Fatal,
    /// PANIC.
    Panic,
}

/// `log.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Human-readable lines (`common`).
    Common,
    /// One JSON object per line.
    Json,
}

/// `accessLog`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    /// Output file; standard output when `None`.
    pub file_path: Option<PathBuf>,
    /// Line format.
    pub format: AccessLogFormat,
    /// Lines buffered before writing (0: write each line).
    pub buffering_size: u64,
    /// Also log requests to internal services (`ping@internal`, …).
    pub add_internals: bool,
    /// Which requests are logged.
    pub filters: AccessLogFilters,
    /// Which fields and headers are written.
    pub fields: AccessLogFields,
}

/// `accessLog.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessLogFormat {
    /// Traefik's extended Common Log Format.
    Common,
    /// The plain Common Log Format (`genericCLF`).
    GenericClf,
    /// JSON.
    Json,
}

/// `accessLog.filters`: a request is logged if any configured filter keeps it; with none
/// configured every request is logged (Traefik's `keepAccessLog`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessLogFilters {
    /// Keep responses whose status is in one of these inclusive ranges.
    pub status_codes: Vec<(u16, u16)>,
    /// Keep requests that were retried.
    pub retry_attempts: bool,
    /// Keep requests that took longer than this (zero: filter off).
    pub min_duration: Duration,
}

impl AccessLogFilters {
    /// Whether no filter is configured (every request is logged).
    pub fn is_empty(&self) -> bool {
        self.status_codes.is_empty() && !self.retry_attempts && self.min_duration.is_zero()
    }
}

/// `accessLog.fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogFields {
    /// Fields not named in `names`.
    pub default_mode: FieldMode,
    /// Per field (`StartUTC`, `ClientHost`, …).
    pub names: BTreeMap<String, FieldMode>,
    /// Headers not named in `header_names` (Traefik drops them by default).
    pub headers_default_mode: HeaderMode,
    /// Per header.
    pub header_names: BTreeMap<String, HeaderMode>,
    /// Query parameters in the logged path.
    pub query_parameters: FieldMode,
}

impl Default for AccessLogFields {
    fn default() -> Self {
        AccessLogFields {
            default_mode: FieldMode::Keep,
            names: BTreeMap::new(),
            headers_default_mode: HeaderMode::Drop,
            header_names: BTreeMap::new(),
            query_parameters: FieldMode::Keep,
        }
    }
}

/// Keep or drop a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldMode {
    /// Written.
    Keep,
    /// Left out.
    Drop,
}

/// Keep, drop or redact a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderMode {
    /// Written.
    Keep,
    /// Left out.
    Drop,
    /// Written as `REDACTED`.
    Redact,
}

/// The access log's field names (Traefik's `pkg/middlewares/accesslog/logdata.go`).
pub const FIELD_NAMES: &[&str] = &[
    "StartUTC",
    "StartLocal",
    "Duration",
    "RouterName",
    "ServiceName",
    "ServiceURL",
    "ServiceAddr",
    "ClientAddr",
    "ClientHost",
    "ClientPort",
    "ClientUsername",
    "RequestAddr",
    "RequestHost",
    "RequestPort",
    "RequestMethod",
    "RequestPath",
    "RequestProtocol",
    "RequestScheme",
    "RequestLine",
    "RequestContentSize",
    "OriginDuration",
    "OriginContentSize",
    "OriginStatus",
    "OriginStatusLine",
    "DownstreamStatus",
    "DownstreamStatusLine",
    "DownstreamContentSize",
    "RequestCount",
    "GzipRatio",
    "Overhead",
    "RetryAttempts",
    "TLSVersion",
    "TLSCipher",
    "TLSClientSubject",
    "TraceId",
    "SpanId",
];

fn non_negative(value: Option<i64>, key: &str, d: &mut Diagnostics<'_>) -> u64 {
    match value {
        None => 0,
        Some(v) => u64::try_from(v).unwrap_or_else(|_| {
            d.error(key, format!("{v} must not be negative"));
            0
        }),
    }
}

pub(super) fn build_log(raw: RawLog, d: &mut Diagnostics<'_>) -> Log {
    if raw.otlp.is_some() {
        d.unsupported("log.otlp");
    }
    let level = match raw.level.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("" | "ERROR") => LogLevel::Error,
        Some("TRACE") => LogLevel::Trace,
        Some("DEBUG") => LogLevel::Debug,
        Some("INFO") => LogLevel::Info,
        Some("WARN" | "WARNING") => LogLevel::Warn,
        Some("FATAL") => LogLevel::Fatal,
        Some("PANIC") => LogLevel::Panic,
        Some(other) => {
            d.error(
                "log.level",
                format!("`{other}` is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, PANIC"),
            );
            LogLevel::Error
        }
    };
    let format = match raw.format.as_deref() {
        None | Some("" | "common") => LogFormat::Common,
        Some("json") => LogFormat::Json,
        Some(other) => {
            d.error(
                "log.format",
                format!("`{other}` is not one of common, json"),
            );
            LogFormat::Common
        }
    };
    let max_size_mb = non_negative(raw.max_size, "log.maxSize", d);
    Log {
        level,
        format,
        no_color: raw.no_color.unwrap_or(false),
        file_path: raw.file_path.filter(|p| !p.is_empty()).map(PathBuf::from),
        max_size_mb: if max_size_mb == 0 {
            d::LOG_MAX_SIZE_MB
        } else {
            max_size_mb
        },
        max_backups: non_negative(raw.max_backups, "log.maxBackups", d),
        max_age_days: non_negative(raw.max_age, "log.maxAge", d),
        compress: raw.compress.unwrap_or(false),
    }
}

pub(super) fn build_access_log(raw: RawAccessLog, d: &mut Diagnostics<'_>) -> AccessLog {
    for (field, present) in [
        ("dualOutput", raw.dual_output.is_some()),
        ("otlp", raw.otlp.is_some()),
    ] {
        if present {
            d.unsupported(&format!("accessLog.{field}"));
        }
    }
    let format = match raw.format.as_deref() {
        None | Some("" | "common") => AccessLogFormat::Common,
        Some("genericCLF") => AccessLogFormat::GenericClf,
        Some("json") => AccessLogFormat::Json,
        Some(other) => {
            d.error(
                "accessLog.format",
                format!("`{other}` is not one of common, genericCLF, json"),
            );
            AccessLogFormat::Common
        }
    };
    let mut filters = AccessLogFilters::default();
    if let Some(f) = raw.filters {
        for (i, range) in f.status_codes.unwrap_or_default().iter().enumerate() {
            match parse_status_range(range) {
                Some(r) => filters.status_codes.push(r),
                None => d.error(
                    &format!("accessLog.filters.statusCodes[{i}]"),
                    format!("`{range}` is not a status code or a range such as `400-499`"),
                ),
            }
        }
        filters.retry_attempts = f.retry_attempts.unwrap_or(false);
        filters.min_duration = f.min_duration.unwrap_or_default();
    }
    AccessLog {
        file_path: raw.file_path.filter(|p| !p.is_empty()).map(PathBuf::from),
        format,
        buffering_size: non_negative(raw.buffering_size, "accessLog.bufferingSize", d),
        add_internals: raw.add_internals.unwrap_or(false),
        filters,
        fields: raw
            .fields
            .map_or_else(AccessLogFields::default, |f| build_fields(f, d)),
    }
}

/// `"200"` or `"300-302"`.
fn parse_status_range(text: &str) -> Option<(u16, u16)> {
    let code = |s: &str| {
        s.trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=999).contains(c))
    };
    match text.split_once('-') {
        None => code(text).map(|c| (c, c)),
        Some((a, b)) => {
            let (a, b) = (code(a)?, code(b)?);
            (a <= b).then_some((a, b))
        }
    }
}

fn build_fields(raw: RawAccessLogFields, d: &mut Diagnostics<'_>) -> AccessLogFields {
    let field_mode = |text: &str, key: &str, d: &mut Diagnostics<'_>| match text {
        "keep" => Some(FieldMode::Keep),
        "drop" => Some(FieldMode::Drop),
        other => {
            d.error(key, format!("`{other}` is not one of keep, drop"));
            None
        }
    };
    let header_mode = |text: &str, key: &str, d: &mut Diagnostics<'_>| match text {
        "keep" => Some(HeaderMode::Keep),
        "drop" => Some(HeaderMode::Drop),
        "redact" => Some(HeaderMode::Redact),
        other => {
            d.error(key, format!("`{other}` is not one of keep, drop, redact"));
            None
        }
    };
    let mut fields = AccessLogFields::default();
    if let Some(mode) = raw.default_mode.filter(|m| !m.is_empty()) {
        fields.default_mode =
            field_mode(&mode, "accessLog.fields.defaultMode", d).unwrap_or(FieldMode::Keep);
    }
    for (name, mode) in raw.names.unwrap_or_default() {
        if let Some(m) = field_mode(&mode, &format!("accessLog.fields.names.{name}"), d) {
            // Environment variables arrive lower-cased; Traefik's field names are not.
            let canonical = FIELD_NAMES
                .iter()
                .find(|f| f.eq_ignore_ascii_case(&name))
                .map_or(name, |f| (*f).to_owned());
            fields.names.insert(canonical, m);
        }
    }
    if let Some(headers) = raw.headers {
        if let Some(mode) = headers.default_mode.filter(|m| !m.is_empty()) {
            fields.headers_default_mode =
                header_mode(&mode, "accessLog.fields.headers.defaultMode", d)
                    .unwrap_or(HeaderMode::Drop);
        }
        for (name, mode) in headers.names.unwrap_or_default() {
            if let Some(m) =
                header_mode(&mode, &format!("accessLog.fields.headers.names.{name}"), d)
            {
                fields.header_names.insert(name, m);
            }
        }
    }
    if let Some(mode) = raw
        .query_parameters
        .and_then(|q| q.default_mode)
        .filter(|m| !m.is_empty())
    {
        fields.query_parameters =
            field_mode(&mode, "accessLog.fields.queryParameters.defaultMode", d)
                .unwrap_or(FieldMode::Keep);
    }
    fields
}
