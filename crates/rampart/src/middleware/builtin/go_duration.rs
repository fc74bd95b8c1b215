//! Durations as Traefik's configuration spells them (`paerser` `types.Duration`).
//!
//! A bare integer (or a string holding one) counts seconds; anything else is a Go duration
//! string (`100ms`, `1m30s`, `1.5h`). Go's `time.Duration.String` spelling is also here because
//! the `rateLimit` middleware sends it in `X-Retry-In`.

use std::fmt::{self, Write as _};
use std::time::Duration;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A non-negative duration decoded with Traefik's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct GoDuration(pub(crate) Duration);

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = GoDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration (`10s`, `100ms`, `1m30s`) or a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoDuration, E> {
                u64::try_from(v)
                    .map(|s| GoDuration(Duration::from_secs(s)))
                    .map_err(|_| E::custom(format_args!("negative duration `{v}`")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoDuration, E> {
                Ok(GoDuration(Duration::from_secs(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoDuration, E> {
                Duration::try_from_secs_f64(v)
                    .map(GoDuration)
                    .map_err(|_| E::custom(format_args!("invalid duration `{v}`")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoDuration, E> {
                parse(v).map(GoDuration).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses a Traefik duration: an integer number of seconds, or a Go duration string.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let bad = || format!("invalid duration `{text}` (expected e.g. `10s`, `100ms`, `1m30s`)");
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.starts_with('-') {
        // `-0s` is the only negative Go accepts that makes sense here; refuse them all.
        return Err(format!("negative duration `{text}`"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(num_len);
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let unit_ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(bad()),
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut frac_ns: u128 = 0;
        let mut scale = unit_ns;
        for digit in frac.bytes() {
            if !digit.is_ascii_digit() {
                return Err(bad());
            }
            scale /= 10;
            frac_ns += u128::from(digit - b'0') * scale;
        }
        total = int
            .checked_mul(unit_ns)
            .and_then(|v| v.checked_add(frac_ns))
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = tail;
    }
    // Go durations are int64 nanoseconds: larger values do not exist there either.
    let ns = u64::try_from(total)
        .ok()
        .filter(|&ns| i64::try_from(ns).is_ok())
        .ok_or_else(bad)?;
    Ok(Duration::from_nanos(ns))
}

/// Go's `time.Duration.String()`: `1.5s`, `500ms`, `2m0s`, `1h0m0s`, `0s`.
pub(crate) fn format(d: Duration) -> String {
    let ns = d.as_nanos();
    let mut out = String::new();
    if ns == 0 {
        return "0s".to_owned();
    }
    if ns < 1_000_000_000 {
        // Sub-second: the largest unit that keeps an integer part.
        let (unit, digits) = if ns < 1_000 {
            ("ns", 0)
        } else if ns < 1_000_000 {
            ("µs", 3)
        } else {
            ("ms", 6)
        };
        push_frac(&mut out, ns, digits);
        out.push_str(unit);
        return out;
    }
    let secs = ns / 1_000_000_000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if h > 0 || m > 0 {
        let _ = write!(out, "{m}m");
    }
    push_frac(&mut out, s * 1_000_000_000 + ns % 1_000_000_000, 9);
    out.push('s');
    out
}

/// Writes `v / 10^digits` with its fraction, trailing zeros (and a bare dot) removed.
fn push_frac(out: &mut String, v: u128, digits: u32) {
    let scale = 10u128.pow(digits);
    let (int, frac) = (v / scale, v % scale);
    let _ = write!(out, "{int}");
    if frac != 0 {
        let text = format!("{frac:0width$}", width = digits as usize);
        out.push('.');
        out.push_str(text.trim_end_matches('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_traefik_durations() {
        let cases: &[(&str, u64)] = &[
            ("10", 10_000_000_000),
            ("0", 0),
            ("10s", 10_000_000_000),
            ("100ms", 100_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("2µs", 2_000),
            (".5s", 500_000_000),
        ];
        for (text, ns) in cases {
            assert_eq!(parse(text), Ok(Duration::from_nanos(*ns)), "{text}");
        }
        for bad in ["", "s", "10x", "-1s", "1..2s", "abc", "1s2", "99999999999h"] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn formats_as_go_does() {
        let cases: &[(u64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_500_000, "2.5ms"),
            (500_000_000, "500ms"),
            (1_500_000_000, "1.5s"),
            (90_000_000_000, "1m30s"),
            (120_000_000_000, "2m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_723_004_000_000, "1h2m3.004s"),
            (999_999, "999.999µs"),
        ];
        for (ns, text) in cases {
            assert_eq!(format(Duration::from_nanos(*ns)), *text);
        }
    }

    #[test]
    fn decodes_from_config_values() {
        #[derive(serde::Deserialize)]
        struct Conf {
            x: GoDuration,
            y: GoDuration,
            z: GoDuration,
        }
        let v: rampart_config::Value =
            serde_json::from_str(r#"{"x": 3, "y": "250ms", "z": "4"}"#).unwrap();
        let c: Conf = rampart_config::from_value(&v).unwrap();
        assert_eq!(c.x.0, Duration::from_secs(3));
        assert_eq!(c.y.0, Duration::from_millis(250));
        assert_eq!(c.z.0, Duration::from_secs(4));
        let v: rampart_config::Value =
            serde_json::from_str(r#"{"x": -3, "y": 1, "z": 1}"#).unwrap();
        let err = rampart_config::from_value::<Conf>(&v).err().unwrap();
        assert!(err.to_string().contains("negative"), "{err}");
    }
}
