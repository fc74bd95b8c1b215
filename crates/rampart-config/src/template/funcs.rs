//! Go's built-in template functions, and the table of every function name.
//!
//! Traefik's file provider gives templates Go's built-ins, sprig's `TxtFuncMap`, `normalize`,
//! and `split` replaced by Go's `strings.Split(s, sep)`. The sprig part lives in
//! [`sprig`](super::sprig); functions that read the clock or randomness are left out on purpose
//! (a configuration must render the same way each time).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::printf::sprintf;
use super::sprig;
use super::val::Val;

/// What a function may reach besides its arguments.
pub(crate) struct Call<'a> {
    /// The environment `env` and `expandenv` read (given explicitly, never the process's).
    pub(crate) env: &'a BTreeMap<String, String>,
}

/// Every function a template may call.
const NAMES: &[&str] = &[
    // Go built-ins
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "html",
    "js",
    "urlquery",
    // sprig: strings
    "upper",
    "lower",
    "title",
    "untitle",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "trunc",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "replace",
    "repeat",
    "substr",
    "nospace",
    "quote",
    "squote",
    "cat",
    "indent",
    "nindent",
    "splitList",
    "split",
    "join",
    "toString",
    "toStrings",
    // sprig: defaults and flow
    "default",
    "empty",
    "coalesce",
    "ternary",
    "fail",
    // sprig: lists
    "list",
    "first",
    "last",
    "rest",
    "initial",
    "append",
    "push",
    "prepend",
    "has",
    "uniq",
    "without",
    "compact",
    "reverse",
    "concat",
    "until",
    "untilStep",
    // sprig: dicts
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "keys",
    "values",
    "pick",
    "omit",
    // sprig: numbers
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "floor",
    "ceil",
    "round",
    "atoi",
    "int",
    "int64",
    "float64",
    // sprig: encoding and environment
    "b64enc",
    "b64dec",
    "env",
    "expandenv",
    // Traefik
    "normalize",
];

/// Whether `name` is a known function (checked when the template is parsed, as Go does).
pub(super) fn exists(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Checks an exact argument count.
pub(super) fn want(name: &str, args: &[Val], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ))
    }
}

/// Checks a minimum argument count.
pub(super) fn want_at_least(name: &str, args: &[Val], n: usize) -> Result<(), String> {
    if args.len() >= n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        ))
    }
}

/// Calls `name` (which [`exists`]) with evaluated arguments.
pub(super) fn call(c: &mut Call<'_>, name: &str, args: Vec<Val>) -> Result<Val, String> {
    match name {
        "not" => {
            want(name, &args, 1)?;
            Ok(Val::Bool(!args[0].truthy()))
        }
        "len" => {
            want(name, &args, 1)?;
            let n = match &args[0] {
                Val::Str(s) => s.len(),
                Val::List(l) => l.len(),
                Val::Dict(d) => d.len(),
                other => return Err(format!("len of type {}", other.type_name())),
            };
            Ok(Val::Int(i64::try_from(n).unwrap_or(i64::MAX)))
        }
        "index" => index(args),
        "slice" => slice(&args),
        "print" => Ok(Val::Str(sprint(&args))),
        "println" => {
            let mut out = args.iter().map(Val::to_text).collect::<Vec<_>>().join(" ");
            out.push('\n');
            Ok(Val::Str(out))
        }
        "printf" => {
            want_at_least(name, &args, 1)?;
            let format = args[0].to_text();
            Ok(Val::Str(sprintf(&format, &args[1..])))
        }
        "eq" => {
            want_at_least(name, &args, 2)?;
            for other in &args[1..] {
                if compare(&args[0], other)? == Some(std::cmp::Ordering::Equal) {
                    return Ok(Val::Bool(true));
                }
            }
            Ok(Val::Bool(false))
        }
        "ne" | "lt" | "le" | "gt" | "ge" => {
            use std::cmp::Ordering::{Equal, Greater, Less};
            want(name, &args, 2)?;
            let ord = compare(&args[0], &args[1])?;
            if name != "ne" && matches!(args[0], Val::Bool(_) | Val::Nil | Val::NoValue) {
                return Err(format!(
                    "invalid type for comparison: {}",
                    args[0].type_name()
                ));
            }
            Ok(Val::Bool(match name {
                "ne" => ord != Some(Equal),
                "lt" => ord == Some(Less),
                "le" => matches!(ord, Some(Less | Equal)),
                "gt" => ord == Some(Greater),
                _ => matches!(ord, Some(Greater | Equal)),
            }))
        }
        "html" => Ok(Val::Str(html_escape(&escape_arg(&args)))),
        "js" => Ok(Val::Str(js_escape(&escape_arg(&args)))),
        "urlquery" => Ok(Val::Str(query_escape(&escape_arg(&args)))),
        _ => sprig::call(c, name, args),
    }
}

/// `fmt.Sprint`: a space between two operands when neither is a string.
fn sprint(args: &[Val]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Val::Str(_)) && !matches!(args[i - 1], Val::Str(_)) {
            out.push(' ');
        }
        a.write_text(&mut out);
    }
    out
}

/// The text html/js/urlquery escape: the single string argument, or `fmt.Sprint` of them all.
fn escape_arg(args: &[Val]) -> String {
    match args {
        [Val::Str(s)] => s.clone(),
        _ => sprint(args),
    }
}

/// Go's `eq`/`lt` rules: numbers with numbers, strings with strings, booleans for equality.
fn compare(a: &Val, b: &Val) -> Result<Option<std::cmp::Ordering>, String> {
    Ok(match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Int(_) | Val::Float(_), Val::Int(_) | Val::Float(_)) => {
            a.to_float().partial_cmp(&b.to_float())
        }
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Nil | Val::NoValue, Val::Nil | Val::NoValue) => Some(std::cmp::Ordering::Equal),
        (Val::List(_) | Val::Dict(_), _) | (_, Val::List(_) | Val::Dict(_)) => {
            return Err("non-comparable type".to_owned());
        }
        (Val::Nil | Val::NoValue, _) | (_, Val::Nil | Val::NoValue) => None,
        _ => {
            return Err(format!(
                "incompatible types for comparison: {} and {}",
                a.type_name(),
                b.type_name()
            ));
        }
    })
}

fn index(args: Vec<Val>) -> Result<Val, String> {
    want_at_least("index", &args, 1)?;
    let mut args = args.into_iter();
    let mut item = args.next().unwrap_or(Val::Nil);
    for key in args {
        item = match (item, key) {
            (Val::List(mut l), Val::Int(i)) => {
                let len = l.len();
                let i = usize::try_from(i)
                    .ok()
                    .filter(|&i| i < len)
                    .ok_or(format!("index out of range: {i}"))?;
                l.swap_remove(i)
            }
            (Val::Str(s), Val::Int(i)) => {
                let i = usize::try_from(i)
                    .ok()
                    .filter(|&i| i < s.len())
                    .ok_or(format!("index out of range: {i}"))?;
                Val::Int(i64::from(s.as_bytes()[i]))
            }
            (Val::Dict(mut d), Val::Str(k)) => d.remove(&k).unwrap_or(Val::Nil),
            (Val::Nil | Val::NoValue, _) => return Err("index of untyped nil".to_owned()),
            (item, key) => {
                return Err(format!(
                    "can't index item of type {} with {}",
                    item.type_name(),
                    key.type_name()
                ));
            }
        };
    }
    Ok(item)
}

fn slice(args: &[Val]) -> Result<Val, String> {
    want_at_least("slice", args, 1)?;
    let bounds: Vec<usize> = args[1..]
        .iter()
        .map(|v| match v {
            Val::Int(i) => usize::try_from(*i).map_err(|_| format!("index out of range: {i}")),
            other => Err(format!("cannot index slice with {}", other.type_name())),
        })
        .collect::<Result<_, _>>()?;
    let len = match &args[0] {
        Val::Str(s) => s.len(),
        Val::List(l) => l.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let (start, end) = match bounds.as_slice() {
        [] => (0, len),
        [i] => (*i, len),
        [i, j] | [i, j, _] => (*i, *j),
        _ => return Err(format!("too many slice indexes: {}", bounds.len())),
    };
    if start > end || end > len {
        return Err(format!("slice bounds out of range [{start}:{end}]"));
    }
    Ok(match &args[0] {
        Val::Str(s) => Val::Str(
            s.get(start..end)
                .ok_or("slice splits a character")?
                .to_owned(),
        ),
        Val::List(l) => Val::List(l[start..end].to_vec()),
        _ => Val::Nil,
    })
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(super) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}
