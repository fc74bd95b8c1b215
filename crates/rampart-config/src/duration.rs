//! Traefik's duration type: Go duration strings or bare integers meaning seconds.
//!
//! Traefik (paerser's `types.Duration`) first tries the text as an integer number of seconds,
//! then as a Go duration (`time.ParseDuration`: `300ms`, `1m30s`, `-1.5h`, `2h45m`). Go
//! durations are signed 64-bit nanoseconds; some options give negative values a meaning (a
//! negative `flushInterval` flushes after every write), so this type is signed too.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A signed duration with nanosecond resolution, parsed the way Traefik parses durations.
///
/// ```
/// use rampart_config::Duration;
///
/// assert_eq!("1m30s".parse::<Duration>().unwrap(), Duration::from_secs(90));
/// assert_eq!("60".parse::<Duration>().unwrap(), Duration::from_secs(60));
/// assert_eq!("100ms".parse::<Duration>().unwrap().to_std(), Some(std::time::Duration::from_millis(100)));
/// assert!("-1s".parse::<Duration>().unwrap().is_negative());
/// assert_eq!(Duration::from_millis(1500).to_string(), "1.5s");
/// assert!("10 seconds".parse::<Duration>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i64);

/// Why a duration could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not an integer and not a Go duration.
    #[error(
        "invalid duration `{0}` (expected seconds, or a Go duration such as `10s`, `1m30s`, `100ms`)"
    )]
    Invalid(String),
    /// A unit Go does not know.
    #[error("unknown unit `{unit}` in duration `{input}` (units: ns, us, ms, s, m, h)")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// The value does not fit in 64-bit nanoseconds (about 292 years).
    #[error("duration `{0}` is out of range")]
    Overflow(String),
}

const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Duration {
    /// No time.
    pub const ZERO: Duration = Duration(0);

    /// `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Duration(nanos)
    }

    /// `millis` milliseconds (saturating).
    pub const fn from_millis(millis: i64) -> Self {
        Duration(millis.saturating_mul(1_000_000))
    }

    /// `secs` seconds (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs.saturating_mul(NANOS_PER_SEC))
    }

    /// The value in nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whether this is zero (Traefik's "no timeout" for most options).
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether this is negative.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The duration as a `std::time::Duration`, or `None` when negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.0)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// Parses Traefik's duration syntax (see the type docs).
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        if let Ok(secs) = text.parse::<i64>() {
            return secs
                .checked_mul(NANOS_PER_SEC)
                .map(Duration)
                .ok_or_else(|| DurationError::Overflow(text.to_owned()));
        }
        parse_go(text)
    }
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`.
fn parse_go(input: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(input.to_owned());
    let overflow = || DurationError::Overflow(input.to_owned());
    let mut s = input;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    // Accumulate in u64 nanoseconds as Go does, so that -1<<63 is representable.
    let mut total: u64 = 0;
    while !s.is_empty() {
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, rest) = s.split_at(int_len);
        s = rest;
        let mut frac_part = "";
        if let Some(rest) = s.strip_prefix('.') {
            let frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &rest[..frac_len];
            s = &rest[frac_len..];
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(invalid());
            }
        } else if int_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if unit_len == 0 {
            return Err(invalid());
        }
        let (unit, rest) = s.split_at(unit_len);
        s = rest;
        let unit_nanos: u64 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(DurationError::UnknownUnit {
                    unit: unit.to_owned(),
                    input: input.to_owned(),
                });
            }
        };
        let whole: u64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| overflow())?
        };
        let mut value = whole.checked_mul(unit_nanos).ok_or_else(overflow)?;
        // The fraction: as Go does, keep digits while they can still matter.
        let mut frac: u64 = 0;
        let mut scale: u64 = 1;
        for d in frac_part.bytes() {
            if scale > u64::MAX / 100 || frac > u64::MAX / 100 {
                break;
            }
            frac = frac * 10 + u64::from(d - b'0');
            scale *= 10;
        }
        if frac > 0 {
            // frac/scale of a unit, computed without floating point.
            let extra = u128::from(frac) * u128::from(unit_nanos) / u128::from(scale);
            value = value
                .checked_add(u64::try_from(extra).map_err(|_| overflow())?)
                .ok_or_else(overflow)?;
        }
        total = total.checked_add(value).ok_or_else(overflow)?;
        if total > 1 << 63 {
            return Err(overflow());
        }
    }
    if negative {
        // -(1<<63) is i64::MIN; anything smaller than that was rejected above.
        Ok(Duration(0_i64.wrapping_sub_unsigned(total)))
    } else {
        i64::try_from(total).map(Duration).map_err(|_| overflow())
    }
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl From<std::time::Duration> for Duration {
    /// Saturates at the largest Go duration.
    fn from(d: std::time::Duration) -> Self {
        Duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

/// Formats as Go's `Duration.String` does (`1h2m3.5s`, `1.5ms`, `0s`), so values read back.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.0 < 0;
        let mut u = self.0.unsigned_abs();
        if negative {
            f.write_str("-")?;
        }
        if u < 1_000_000_000 {
            // Below a second: the largest unit that keeps an integer part.
            let (unit, per) = match u {
                0 => return f.write_str("0s"),
                1..1_000 => return write!(f, "{u}ns"),
                1_000..1_000_000 => ("\u{b5}s", 1_000),
                _ => ("ms", 1_000_000),
            };
            write_fraction(f, u / per, u % per, per)?;
            return f.write_str(unit);
        }
        let hours = u / 3_600_000_000_000;
        u %= 3_600_000_000_000;
        let minutes = u / 60_000_000_000;
        u %= 60_000_000_000;
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if hours > 0 || minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        write_fraction(f, u / 1_000_000_000, u % 1_000_000_000, 1_000_000_000)?;
        f.write_str("s")
    }
}

/// Writes `whole.frac` with `frac` out of `per`, trailing zeros dropped.
fn write_fraction(f: &mut fmt::Formatter<'_>, whole: u64, frac: u64, per: u64) -> fmt::Result {
    write!(f, "{whole}")?;
    if frac == 0 {
        return Ok(());
    }
    let width = per.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    write!(f, ".{}", digits.trim_end_matches('0'))
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration (seconds, or a Go duration such as `10s`)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        v.checked_mul(NANOS_PER_SEC)
            .map(Duration)
            .ok_or_else(|| E::custom(DurationError::Overflow(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        let v = i64::try_from(v).map_err(|_| E::custom(DurationError::Overflow(v.to_string())))?;
        self.visit_i64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        // A YAML number such as `60.0`: Go reads its text, which only parses if integral.
        #[expect(
            clippy::cast_possible_truncation,
            reason = "checked integral and in range"
        )]
        if v.fract() == 0.0 && v.abs() < 9.0e9 {
            return self.visit_i64(v as i64);
        }
        Err(E::custom(DurationError::Invalid(v.to_string())))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        Duration::parse(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Duration, DurationError> {
        Duration::parse(s)
    }

    #[test]
    fn bare_integers_are_seconds() {
        assert_eq!(p("0").unwrap(), Duration::ZERO);
        assert_eq!(p("60").unwrap(), Duration::from_secs(60));
        assert_eq!(p("-1").unwrap(), Duration::from_secs(-1));
    }

    #[test]
    fn go_durations_parse_like_time_parse_duration() {
        let cases: &[(&str, i64)] = &[
            ("10s", 10 * NANOS_PER_SEC),
            ("1m30s", 90 * NANOS_PER_SEC),
            ("100ms", 100_000_000),
            ("1.5h", 5_400 * NANOS_PER_SEC),
            ("2h45m", 9_900 * NANOS_PER_SEC),
            ("300us", 300_000),
            ("300\u{b5}s", 300_000),
            ("300\u{3bc}s", 300_000),
            ("1ns", 1),
            (".5s", 500_000_000),
            ("5.s", 5 * NANOS_PER_SEC),
            ("-1.5s", -1_500_000_000),
            ("+3s", 3 * NANOS_PER_SEC),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
            ("0.000000001s", 1),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
        ];
        for (text, nanos) in cases {
            assert_eq!(p(text).unwrap().as_nanos(), *nanos, "{text}");
        }
    }

    #[test]
    fn malformed_durations_are_rejected_with_the_input() {
        for bad in [
            "", "-", "s", "1", "1x", "1.s.", ".s", "1 s", "1S", "ten", "1m 30s",
        ] {
            if bad == "1" {
                continue; // an integer: seconds
            }
            let err = p(bad).unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{bad}`")),
                "{bad}: {err}"
            );
        }
        assert!(matches!(p("1x"), Err(DurationError::UnknownUnit { .. })));
        assert!(matches!(
            p("9223372036854775808ns"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(p("99999999999h"), Err(DurationError::Overflow(_))));
        assert!(matches!(
            p("99999999999999999999"),
            Err(DurationError::Invalid(_) | DurationError::Overflow(_))
        ));
    }

    #[test]
    fn display_matches_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1\u{b5}s"),
            (2_200_000, "2.2ms"),
            (1_500_000_000, "1.5s"),
            (90 * NANOS_PER_SEC, "1m30s"),
            (3_600 * NANOS_PER_SEC, "1h0m0s"),
            (-5 * NANOS_PER_SEC, "-5s"),
            (3_661_001_000_000, "1h1m1.001s"),
        ];
        for (nanos, text) in cases {
            let d = Duration::from_nanos(*nanos);
            assert_eq!(d.to_string(), *text);
            assert_eq!(p(text).unwrap(), d, "round trip {text}");
        }
    }

    #[test]
    fn deserializes_from_numbers_and_strings() {
        use crate::{Value, from_value};
        assert_eq!(
            from_value::<Duration>(&Value::Int(30)).unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(
            from_value::<Duration>(&Value::String("250ms".into())).unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            from_value::<Duration>(&Value::Float(2.0)).unwrap(),
            Duration::from_secs(2)
        );
        let err = from_value::<Duration>(&Value::Float(1.5)).unwrap_err();
        assert!(err.to_string().contains("1.5"), "{err}");
        assert_eq!(Duration::from_secs(-1).to_std(), None);
    }
}
