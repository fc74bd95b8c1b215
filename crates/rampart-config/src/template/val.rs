//! Values inside a template: what Go's `interface{}` holds in Traefik's templates.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// A template value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// Go's `nil`.
    Nil,
    /// The invalid value a missing map key gives: prints `<no value>`, otherwise like nil.
    NoValue,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    /// sprig's `dict` is `map[string]interface{}`; Go prints maps in key order.
    Dict(BTreeMap<String, Val>),
}

impl Val {
    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Val::Nil | Val::NoValue => false,
            Val::Bool(b) => *b,
            Val::Int(i) => *i != 0,
            Val::Float(f) => *f != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::List(l) => !l.is_empty(),
            Val::Dict(d) => !d.is_empty(),
        }
    }

    /// Go's type name, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Val::Nil | Val::NoValue => "nil",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Float(_) => "float64",
            Val::Str(_) => "string",
            Val::List(_) => "[]interface {}",
            Val::Dict(_) => "map[string]interface {}",
        }
    }

    /// The text `fmt.Sprint` gives (`%v`).
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out);
        out
    }

    pub(crate) fn write_text(&self, out: &mut String) {
        match self {
            Val::Nil | Val::NoValue => out.push_str("<nil>"),
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Val::Float(f) => out.push_str(&format_float_g(*f)),
            Val::Str(s) => out.push_str(s),
            Val::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    item.write_text(out);
                }
                out.push(']');
            }
            Val::Dict(map) => {
                out.push_str("map[");
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_text(out);
                }
                out.push(']');
            }
        }
    }

    /// The value as an integer, the way sprig's `toInt64` converts (strings parsed, floats
    /// truncated, booleans 0/1, anything else 0).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "sprig truncates floats toward zero (Go's int64(f)); `as` saturates"
    )]
    pub(crate) fn to_int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            Val::Float(f) => *f as i64,
            Val::Bool(b) => i64::from(*b),
            Val::Str(s) => s
                .trim()
                .parse::<i64>()
                .ok()
                .or_else(|| s.trim().parse::<f64>().ok().map(|f| f as i64))
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// The value as a float (sprig's `toFloat64`).
    #[expect(clippy::cast_precision_loss, reason = "Go's float64(i)")]
    pub(crate) fn to_float(&self) -> f64 {
        match self {
            Val::Int(i) => *i as f64,
            Val::Float(f) => *f,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Str(s) => s.trim().parse().unwrap_or(0.0),
            _ => 0.0,
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which `%v` uses: the shortest digits that read
/// back, in exponent form when the exponent is below -4 or at least 6 (`1e+06`).
pub(crate) fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: `d.ddddde±x`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        out.push_str("0.");
        for _ in 0..-point {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = usize::try_from(point).unwrap_or(0);
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// Go's `strconv.Quote`: double quotes, with `\"`, `\\` and control characters escaped.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go_percent_v() {
        let cases: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (100.0, "100"),
            (1e6, "1e+06"),
            (123_456.0, "123456"),
            (1_234_567.0, "1.234567e+06"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.25, "-2.25"),
            (0.1, "0.1"),
        ];
        for (f, text) in cases {
            assert_eq!(format_float_g(*f), *text, "{f}");
        }
    }

    #[test]
    fn collections_print_like_go() {
        let list = Val::List(vec![Val::Int(1), Val::Str("a b".into()), Val::Nil]);
        assert_eq!(list.to_text(), "[1 a b <nil>]");
        let dict = Val::Dict(
            [
                ("b".to_owned(), Val::Int(2)),
                ("a".to_owned(), Val::Bool(true)),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(dict.to_text(), "map[a:true b:2]");
    }

    #[test]
    fn quote_escapes_like_strconv_quote() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\x01\"");
    }
}
