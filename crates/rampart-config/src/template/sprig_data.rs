//! sprig's list, dict, number, encoding and environment functions (the value worked on comes
//! last, as in [`sprig`](super::sprig)).

use std::collections::BTreeMap;

use base64::Engine as _;

use super::funcs::{Call, want, want_at_least};
use super::sprig::{dict_of, empty, int, list_of, text};
use super::val::Val;

/// Longest list `until`/`untilStep` may build.
const MAX_LIST: i64 = 100_000;

pub(super) fn call(c: &mut Call<'_>, name: &str, args: Vec<Val>) -> Result<Val, String> {
    match name {
        "list" => Ok(Val::List(args)),
        "first" | "last" | "rest" | "initial" => {
            want(name, &args, 1)?;
            let l = list_of(name, &args[0])?;
            Ok(match name {
                "first" => l.first().cloned().unwrap_or(Val::Nil),
                "last" => l.last().cloned().unwrap_or(Val::Nil),
                "rest" => Val::List(l.get(1..).unwrap_or_default().to_vec()),
                _ => Val::List(l[..l.len().saturating_sub(1)].to_vec()),
            })
        }
        "append" | "push" | "prepend" => {
            want(name, &args, 2)?;
            let mut l = list_of(name, &args[0])?;
            if name == "prepend" {
                l.insert(0, args[1].clone());
            } else {
                l.push(args[1].clone());
            }
            Ok(Val::List(l))
        }
        "has" => {
            want(name, &args, 2)?;
            Ok(Val::Bool(list_of(name, &args[1])?.contains(&args[0])))
        }
        "uniq" | "compact" | "reverse" => {
            want(name, &args, 1)?;
            let l = list_of(name, &args[0])?;
            Ok(Val::List(match name {
                "uniq" => l
                    .iter()
                    .enumerate()
                    .filter(|(i, v)| !l[..*i].contains(v))
                    .map(|(_, v)| v.clone())
                    .collect(),
                "compact" => l.into_iter().filter(|v| !empty(v)).collect(),
                _ => l.into_iter().rev().collect(),
            }))
        }
        "without" => {
            want_at_least(name, &args, 1)?;
            let l = list_of(name, &args[0])?;
            Ok(Val::List(
                l.into_iter().filter(|v| !args[1..].contains(v)).collect(),
            ))
        }
        "concat" => {
            let mut out = Vec::new();
            for a in &args {
                out.extend(list_of(name, a)?);
            }
            Ok(Val::List(out))
        }
        "until" => {
            want(name, &args, 1)?;
            range_list(0, int(&args[0]), 1)
        }
        "untilStep" => {
            want(name, &args, 3)?;
            range_list(int(&args[0]), int(&args[1]), int(&args[2]))
        }
        _ => dicts(c, name, &args),
    }
}

fn dicts(c: &mut Call<'_>, name: &str, args: &[Val]) -> Result<Val, String> {
    match name {
        "dict" => {
            let mut d = BTreeMap::new();
            for pair in args.chunks(2) {
                d.insert(
                    text(&pair[0]),
                    pair.get(1).cloned().unwrap_or(Val::Str(String::new())),
                );
            }
            Ok(Val::Dict(d))
        }
        "get" => {
            want(name, args, 2)?;
            Ok(dict_of(name, &args[0])?
                .get(&text(&args[1]))
                .cloned()
                .unwrap_or(Val::Str(String::new())))
        }
        "hasKey" => {
            want(name, args, 2)?;
            Ok(Val::Bool(
                dict_of(name, &args[0])?.contains_key(&text(&args[1])),
            ))
        }
        "set" | "unset" => {
            want(name, args, if name == "set" { 3 } else { 2 })?;
            let mut d = dict_of(name, &args[0])?.clone();
            if name == "set" {
                d.insert(text(&args[1]), args[2].clone());
            } else {
                d.remove(&text(&args[1]));
            }
            Ok(Val::Dict(d))
        }
        "keys" => {
            let mut keys = Vec::new();
            for a in args {
                keys.extend(dict_of(name, a)?.keys().map(|k| Val::Str(k.clone())));
            }
            Ok(Val::List(keys))
        }
        "values" => {
            want(name, args, 1)?;
            Ok(Val::List(
                dict_of(name, &args[0])?.values().cloned().collect(),
            ))
        }
        "pick" | "omit" => {
            want_at_least(name, args, 1)?;
            let wanted: Vec<String> = args[1..].iter().map(text).collect();
            let d = dict_of(name, &args[0])?;
            Ok(Val::Dict(
                d.iter()
                    .filter(|(k, _)| wanted.contains(k) == (name == "pick"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
        }
        _ => numbers_and_more(c, name, args),
    }
}

fn numbers_and_more(c: &mut Call<'_>, name: &str, args: &[Val]) -> Result<Val, String> {
    let checked = |v: Option<i64>| v.map(Val::Int).ok_or_else(|| "integer overflow".to_owned());
    match name {
        "add" => checked(
            args.iter()
                .try_fold(0_i64, |acc, a| acc.checked_add(int(a))),
        ),
        "mul" => checked(
            args.iter()
                .try_fold(1_i64, |acc, a| acc.checked_mul(int(a))),
        ),
        "add1" => {
            want(name, args, 1)?;
            checked(int(&args[0]).checked_add(1))
        }
        "sub" | "div" | "mod" => {
            want(name, args, 2)?;
            let (a, b) = (int(&args[0]), int(&args[1]));
            if name != "sub" && b == 0 {
                return Err("integer divide by zero".to_owned());
            }
            checked(match name {
                "sub" => a.checked_sub(b),
                "div" => a.checked_div(b),
                _ => a.checked_rem(b),
            })
        }
        "max" | "min" => {
            want_at_least(name, args, 1)?;
            let values = args.iter().map(int);
            Ok(Val::Int(
                if name == "max" {
                    values.max()
                } else {
                    values.min()
                }
                .unwrap_or(0),
            ))
        }
        "floor" | "ceil" | "round" => {
            want_at_least(name, args, 1)?;
            let f = args[0].to_float();
            Ok(Val::Float(match name {
                "floor" => f.floor(),
                "ceil" => f.ceil(),
                _ => {
                    let places = args.get(1).map_or(0, int).clamp(0, 15);
                    let scale = 10_f64.powi(i32::try_from(places).unwrap_or(0));
                    (f * scale).round() / scale
                }
            }))
        }
        "atoi" => {
            want(name, args, 1)?;
            Ok(Val::Int(text(&args[0]).trim().parse().unwrap_or(0)))
        }
        "int" | "int64" => {
            want(name, args, 1)?;
            Ok(Val::Int(int(&args[0])))
        }
        "float64" => {
            want(name, args, 1)?;
            Ok(Val::Float(args[0].to_float()))
        }
        "b64enc" => {
            want(name, args, 1)?;
            Ok(Val::Str(
                base64::engine::general_purpose::STANDARD.encode(text(&args[0])),
            ))
        }
        "b64dec" => {
            want(name, args, 1)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text(&args[0]).trim())
                .map_err(|e| format!("not base64: {e}"))?;
            String::from_utf8(bytes)
                .map(Val::Str)
                .map_err(|_| "decoded base64 is not UTF-8 text".to_owned())
        }
        "env" => {
            want(name, args, 1)?;
            Ok(Val::Str(
                c.env.get(&text(&args[0])).cloned().unwrap_or_default(),
            ))
        }
        "expandenv" => {
            want(name, args, 1)?;
            Ok(Val::Str(expand_env(&text(&args[0]), c.env)))
        }
        _ => Err(format!("function {name:?} not defined")),
    }
}

fn range_list(start: i64, stop: i64, step: i64) -> Result<Val, String> {
    if step == 0 {
        return Ok(Val::List(Vec::new()));
    }
    // In i128: `stop - start` and `-step` overflow i64 at the extremes.
    let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let span = if step > 0 { stop - start } else { start - stop };
    let len = (span.max(0) + step.abs() - 1) / step.abs();
    if len > i128::from(MAX_LIST) {
        return Err(format!("list of {len} items is too long"));
    }
    let out = (0..len)
        .map(|k| Val::Int(i64::try_from(start + k * step).unwrap_or_default()))
        .collect();
    Ok(Val::List(out))
}

/// Go's `os.ExpandEnv` over the given environment: `$NAME` and `${NAME}`.
fn expand_env(s: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (name, after) = if let Some(inner) = rest.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], &inner[end + 1..]),
                None => ("", rest),
            }
        } else {
            let len = rest
                .char_indices()
                .find(|&(_, c)| !(c == '_' || c.is_ascii_alphanumeric()))
                .map_or(rest.len(), |(i, _)| i);
            (&rest[..len], &rest[len..])
        };
        if name.is_empty() && std::ptr::eq(after, rest) {
            out.push('$');
        } else {
            out.push_str(env.get(name).map_or("", String::as_str));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}
