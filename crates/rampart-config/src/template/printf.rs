//! A subset of Go's `fmt.Sprintf` for the `printf` template function: the verbs `%v %s %q %d
//! %x %X %o %b %c %f %F %e %g %t %%`, the flags `- + 0 space`, width and precision, and Go's
//! `%!verb(type=value)` / `%!v(MISSING)` / `%!(EXTRA …)` markers for mismatches.

use std::fmt::Write as _;

use super::val::{Val, format_float_g, go_quote};

#[expect(
    clippy::struct_excessive_bools,
    reason = "one bool per printf flag, as Go's fmt"
)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

pub(super) fn sprintf(format: &str, args: &[Val]) -> String {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec {
            minus: false,
            plus: false,
            zero: false,
            space: false,
            width: None,
            precision: None,
        };
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => {}
                _ => break,
            }
            chars.next();
        }
        spec.width = digits(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(digits(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next_arg += 1;
        let body = format_one(verb, arg, &spec);
        pad(
            &mut out,
            &body,
            &spec,
            matches!(arg, Val::Int(_) | Val::Float(_)),
        );
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args[next_arg..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}={}", a.type_name(), a.to_text());
        }
        out.push(')');
    }
    out
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        // Capped: widths beyond this are nonsense and must not allocate gigabytes.
        n = Some((n.unwrap_or(0) * 10 + d as usize).min(4096));
    }
    n
}

fn bad(verb: char, arg: &Val) -> String {
    match arg {
        Val::Nil | Val::NoValue => format!("%!{verb}(<nil>)"),
        a => format!("%!{verb}({}={})", a.type_name(), a.to_text()),
    }
}

fn signed(n: i64, body: String, spec: &Spec) -> String {
    if n >= 0 && spec.plus {
        format!("+{body}")
    } else if n >= 0 && spec.space {
        format!(" {body}")
    } else {
        body
    }
}

fn format_one(verb: char, arg: &Val, spec: &Spec) -> String {
    match (verb, arg) {
        ('v' | 'g', Val::Float(f)) => {
            let s = format_float_g(*f);
            if spec.plus && *f >= 0.0 {
                format!("+{s}")
            } else {
                s
            }
        }
        ('s', Val::Str(s)) => match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        },
        ('d' | 'v', Val::Int(i)) => signed(*i, i.to_string(), spec),
        ('v', a) | ('s', a @ (Val::List(_) | Val::Dict(_))) => a.to_text(),
        ('q', Val::Str(s)) => go_quote(s),
        ('q', Val::Int(i)) => match u32::try_from(*i).ok().and_then(char::from_u32) {
            Some('\'') => "'\\''".to_owned(),
            Some(c) => format!("'{c}'"),
            None => bad(verb, arg),
        },
        ('x', Val::Int(i)) => hex(*i, false),
        ('X', Val::Int(i)) => hex(*i, true),
        ('x', Val::Str(s)) => s.bytes().fold(String::new(), |mut o, b| {
            let _ = write!(o, "{b:02x}");
            o
        }),
        ('X', Val::Str(s)) => s.bytes().fold(String::new(), |mut o, b| {
            let _ = write!(o, "{b:02X}");
            o
        }),
        ('o', Val::Int(i)) => format!("{}{:o}", if *i < 0 { "-" } else { "" }, i.unsigned_abs()),
        ('b', Val::Int(i)) => format!("{}{:b}", if *i < 0 { "-" } else { "" }, i.unsigned_abs()),
        ('c', Val::Int(i)) => u32::try_from(*i)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{fffd}')
            .to_string(),
        ('f' | 'F', Val::Float(f)) => {
            let s = format!("{:.*}", spec.precision.unwrap_or(6), f);
            if spec.plus && *f >= 0.0 {
                format!("+{s}")
            } else {
                s
            }
        }
        ('e', Val::Float(f)) => go_exp(*f, spec.precision.unwrap_or(6)),
        ('t', Val::Bool(b)) => b.to_string(),
        _ => bad(verb, arg),
    }
}

fn hex(i: i64, upper: bool) -> String {
    let sign = if i < 0 { "-" } else { "" };
    if upper {
        format!("{sign}{:X}", i.unsigned_abs())
    } else {
        format!("{sign}{:x}", i.unsigned_abs())
    }
}

/// `%e`: Rust writes `1.5e3`, Go writes `1.500000e+03`.
fn go_exp(f: f64, precision: usize) -> String {
    let s = format!("{f:.precision$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn pad(out: &mut String, body: &str, spec: &Spec, numeric: bool) {
    let len = body.chars().count();
    let width = spec.width.unwrap_or(0);
    if len >= width {
        out.push_str(body);
        return;
    }
    let fill = width - len;
    if spec.minus {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        let (sign, digits) = match body.strip_prefix(['-', '+']) {
            Some(rest) => (&body[..1], rest),
            None => ("", body),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(format: &str, args: &[Val]) -> String {
        sprintf(format, args)
    }

    #[test]
    fn verbs_format_like_go() {
        assert_eq!(f("%s-%d", &[Val::Str("a".into()), Val::Int(-7)]), "a--7");
        assert_eq!(
            f(
                "%5d|%-5d|%05d",
                &[Val::Int(42), Val::Int(42), Val::Int(-42)]
            ),
            "   42|42   |-0042"
        );
        assert_eq!(f("%q", &[Val::Str("a\"b".into())]), "\"a\\\"b\"");
        assert_eq!(
            f("%x %X", &[Val::Int(255), Val::Str("hi".into())]),
            "ff 6869"
        );
        assert_eq!(
            f(
                "%.2f %v %e",
                &[Val::Float(1.23456), Val::Float(2.5), Val::Float(1500.0)]
            ),
            "1.23 2.5 1.500000e+03"
        );
        assert_eq!(
            f("%t %v", &[Val::Bool(true), Val::List(vec![Val::Int(1)])]),
            "true [1]"
        );
        assert_eq!(
            f(
                "%.3s|%8s",
                &[Val::Str("abcdef".into()), Val::Str("r".into())]
            ),
            "abc|       r"
        );
        assert_eq!(f("100%%", &[]), "100%");
        assert_eq!(f("%+d %c", &[Val::Int(5), Val::Int(65)]), "+5 A");
    }

    #[test]
    fn mismatches_are_marked_like_go() {
        assert_eq!(f("%d", &[Val::Str("x".into())]), "%!d(string=x)");
        assert_eq!(f("%s", &[Val::Int(5)]), "%!s(int=5)");
        assert_eq!(f("%d %d", &[Val::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(
            f("%d", &[Val::Int(1), Val::Str("x".into())]),
            "1%!(EXTRA string=x)"
        );
        assert_eq!(f("%", &[]), "%!(NOVERB)");
    }
}
