//! `circuitBreaker` options, Traefik's defaults, and their validation.

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;

use super::super::expression::{BreakerFunction, Program};
use super::super::go_duration::GoDuration;
use super::state::Timing;
use crate::middleware::BuildError;

/// Traefik's `CircuitBreaker.SetDefaults` (oxy's defaults too).
const DEFAULT_CHECK_PERIOD: Duration = Duration::from_millis(100);
const DEFAULT_FALLBACK: Duration = Duration::from_secs(10);
const DEFAULT_RECOVERY: Duration = Duration::from_secs(10);
const DEFAULT_RESPONSE_CODE: StatusCode = StatusCode::SERVICE_UNAVAILABLE;

/// `circuitBreaker` options: `expression` (required in practice: an empty one is an error, as
/// Traefik's parser refuses it), `checkPeriod` (100ms), `fallbackDuration` (10s),
/// `recoveryDuration` (10s), `responseCode` (503). A duration of 0 means the default, as in
/// Traefik (which only passes durations above 0 on to oxy).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    #[serde(default)]
    expression: String,
    #[serde(default)]
    check_period: Option<GoDuration>,
    #[serde(default)]
    fallback_duration: Option<GoDuration>,
    #[serde(default)]
    recovery_duration: Option<GoDuration>,
    #[serde(default)]
    response_code: Option<i64>,
}

/// The validated options.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) condition: Program,
    pub(super) expression: String,
    pub(super) timing: Timing,
    pub(super) response_code: StatusCode,
}

impl Settings {
    pub(super) fn new(cfg: &CircuitBreakerConfig) -> Result<Self, BuildError> {
        let condition = Program::compile(&cfg.expression, BreakerFunction::SIGNATURES)
            .and_then(|p| p.check_calls(BreakerFunction::check_call).map(|()| p))
            .map_err(|e| BuildError::invalid("expression", e))?;
        let nanos = |d: Option<GoDuration>, default: Duration| {
            let d = d.map(|d| d.0).filter(|d| !d.is_zero()).unwrap_or(default);
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
        };
        let response_code = match cfg.response_code {
            None => DEFAULT_RESPONSE_CODE,
            Some(code) => u16::try_from(code)
                .ok()
                .filter(|c| (200..=999).contains(c))
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| {
                    BuildError::invalid(
                        "responseCode",
                        format_args!("must be a final HTTP status (200 to 999), got {code}"),
                    )
                })?,
        };
        Ok(Settings {
            condition,
            expression: cfg.expression.trim().to_owned(),
            timing: Timing {
                check_period: nanos(cfg.check_period, DEFAULT_CHECK_PERIOD),
                fallback: nanos(cfg.fallback_duration, DEFAULT_FALLBACK),
                recovery: nanos(cfg.recovery_duration, DEFAULT_RECOVERY),
            },
            response_code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::builtin::test_support_b::config;

    fn settings(json: &str) -> Result<Settings, BuildError> {
        Settings::new(&config::<CircuitBreakerConfig>(json))
    }

    fn invalid(json: &str) -> (String, String) {
        match settings(json) {
            Err(BuildError::Invalid { key, reason }) => (key, reason),
            other => panic!("{json}: expected an invalid option, got {other:?}"),
        }
    }

    #[test]
    fn traefik_defaults() {
        let s = settings(r#"{"expression": "NetworkErrorRatio() > 0.5"}"#).unwrap();
        assert_eq!(s.timing.check_period, 100_000_000);
        assert_eq!(s.timing.fallback, 10_000_000_000);
        assert_eq!(s.timing.recovery, 10_000_000_000);
        assert_eq!(s.response_code, 503);
        // Zero durations mean the defaults; numbers are seconds; strings are Go durations.
        let s = settings(
            r#"{"expression": "NetworkErrorRatio() > 0.5", "checkPeriod": "0s",
                "fallbackDuration": 3, "recoveryDuration": "1m30s", "responseCode": "429"}"#,
        )
        .unwrap();
        assert_eq!(s.timing.check_period, 100_000_000);
        assert_eq!(s.timing.fallback, 3_000_000_000);
        assert_eq!(s.timing.recovery, 90_000_000_000);
        assert_eq!(s.response_code, 429);
    }

    #[test]
    fn refuses_what_cannot_work() {
        let cases = [
            (r"{}", "expression", "empty expression"),
            (r#"{"expression": "  "}"#, "expression", "empty expression"),
            (
                r#"{"expression": "NetworkErrorRatio() >"}"#,
                "expression",
                "ends too early",
            ),
            (
                r#"{"expression": "IsNetworkError()"}"#,
                "expression",
                "unknown function `IsNetworkError`",
            ),
            (
                r#"{"expression": "ResponseCodeRatio(500, 600) > 0.5"}"#,
                "expression",
                "takes 4 argument",
            ),
            (
                r#"{"expression": "NetworkErrorRatio() > \"0.5\""}"#,
                "expression",
                "cannot compare",
            ),
            (
                r#"{"expression": "RequestThreshold() > 5 && ResponseCodeRatio(600, 500, 0, 600) > 0.5"}"#,
                "expression",
                "at 26: `ResponseCodeRatio`: the status range [from, to) = [600, 500) is empty",
            ),
            (
                r#"{"expression": "ResponseCodeRatio(500, 600, 600, 600) > 0.5"}"#,
                "expression",
                "[dividedByFrom, dividedByTo) = [600, 600) is empty",
            ),
            (
                r#"{"expression": "ResponseCodeRatio(-1, 600, 0, 600) > 0.5"}"#,
                "expression",
                "at 18: unexpected `-`",
            ),
            (
                r#"{"expression": "LatencyAtQuantileMS(100.5) > 100"}"#,
                "expression",
                "between 0.0 and 100.0, got 100.5",
            ),
            (
                r#"{"expression": "NetworkErrorRatio() > 0.5", "responseCode": 0}"#,
                "responseCode",
                "got 0",
            ),
            (
                r#"{"expression": "NetworkErrorRatio() > 0.5", "responseCode": 101}"#,
                "responseCode",
                "200 to 999",
            ),
            (
                r#"{"expression": "NetworkErrorRatio() > 0.5", "responseCode": 1000}"#,
                "responseCode",
                "got 1000",
            ),
            (
                r#"{"expression": "NetworkErrorRatio() > 0.5", "responseCode": -503}"#,
                "responseCode",
                "got -503",
            ),
        ];
        for (json, key, want) in cases {
            let (k, reason) = invalid(json);
            assert_eq!(k, key, "{json}");
            assert!(reason.contains(want), "{json}: {reason}");
        }
    }

    #[test]
    fn refuses_bad_durations_and_unknown_keys() {
        for json in [
            r#"{"expression": "NetworkErrorRatio() > 0.5", "checkPeriod": "-1s"}"#,
            r#"{"expression": "NetworkErrorRatio() > 0.5", "fallbackDuration": "ten"}"#,
            r#"{"expression": "NetworkErrorRatio() > 0.5", "fallback": "10s"}"#,
        ] {
            let value = serde_json::from_str(json).unwrap();
            let err = rampart_config::from_value::<CircuitBreakerConfig>(&value).unwrap_err();
            assert!(!err.to_string().is_empty(), "{json}");
        }
    }
}
