//! The sprig functions Traefik's templates use, with sprig's argument order (the value being
//! worked on comes last, so that it can be piped: `{{ "a-b" | replace "-" "_" }}`), plus
//! Traefik's own `normalize` and its `split` (Go's `strings.Split(s, sep)`).

use std::collections::BTreeMap;

use super::exec::MAX_OUTPUT;
use super::funcs::{Call, want, want_at_least};
use super::val::{Val, go_quote};

/// sprig's `empty`.
pub(super) fn empty(v: &Val) -> bool {
    !v.truthy()
}

/// sprig's `strval`: strings as they are, anything else as `%v` prints it.
pub(super) fn text(v: &Val) -> String {
    v.to_text()
}

pub(super) fn list_of(name: &str, v: &Val) -> Result<Vec<Val>, String> {
    match v {
        Val::List(l) => Ok(l.clone()),
        Val::Nil | Val::NoValue => Ok(Vec::new()),
        other => Err(format!(
            "{name}: cannot find the list in type {}",
            other.type_name()
        )),
    }
}

pub(super) fn dict_of<'a>(name: &str, v: &'a Val) -> Result<&'a BTreeMap<String, Val>, String> {
    match v {
        Val::Dict(d) => Ok(d),
        other => Err(format!(
            "{name}: expected a dict, got {}",
            other.type_name()
        )),
    }
}

pub(super) fn int(v: &Val) -> i64 {
    v.to_int()
}

/// A count that must fit a `usize` (negative counts are zero, as in Go's `strings.Repeat` guard).
fn count(v: &Val) -> usize {
    usize::try_from(int(v).max(0)).unwrap_or(usize::MAX)
}

fn string_fn(name: &str, args: &[Val], f: impl Fn(&str) -> String) -> Result<Val, String> {
    want(name, args, 1)?;
    Ok(Val::Str(f(&text(&args[0]))))
}

#[expect(clippy::too_many_lines, reason = "one flat dispatch table reads best")]
pub(super) fn call(c: &mut Call<'_>, name: &str, args: Vec<Val>) -> Result<Val, String> {
    match name {
        // strings
        "upper" => string_fn(name, &args, str::to_uppercase),
        "lower" => string_fn(name, &args, str::to_lowercase),
        "title" => string_fn(name, &args, |s| map_words(s, true)),
        "untitle" => string_fn(name, &args, |s| map_words(s, false)),
        "trim" => string_fn(name, &args, |s| s.trim().to_owned()),
        "nospace" => string_fn(name, &args, |s| {
            s.chars().filter(|c| !c.is_whitespace()).collect()
        }),
        "normalize" => string_fn(name, &args, normalize),
        "trimAll" => {
            want(name, &args, 2)?;
            let cut = text(&args[0]);
            Ok(Val::Str(
                text(&args[1]).trim_matches(|c| cut.contains(c)).to_owned(),
            ))
        }
        "trimPrefix" | "trimSuffix" => {
            want(name, &args, 2)?;
            let (affix, s) = (text(&args[0]), text(&args[1]));
            let out = if name == "trimPrefix" {
                s.strip_prefix(affix.as_str()).unwrap_or(&s)
            } else {
                s.strip_suffix(affix.as_str()).unwrap_or(&s)
            };
            Ok(Val::Str(out.to_owned()))
        }
        "contains" | "hasPrefix" | "hasSuffix" => {
            want(name, &args, 2)?;
            let (needle, s) = (text(&args[0]), text(&args[1]));
            Ok(Val::Bool(match name {
                "contains" => s.contains(&needle),
                "hasPrefix" => s.starts_with(&needle),
                _ => s.ends_with(&needle),
            }))
        }
        "replace" => {
            want(name, &args, 3)?;
            Ok(Val::Str(
                text(&args[2]).replace(&text(&args[0]), &text(&args[1])),
            ))
        }
        "repeat" => {
            want(name, &args, 2)?;
            let s = text(&args[1]);
            let n = count(&args[0]);
            if s.len().saturating_mul(n) > MAX_OUTPUT {
                return Err("result is too large".to_owned());
            }
            Ok(Val::Str(s.repeat(n)))
        }
        "trunc" => {
            want(name, &args, 2)?;
            let s = text(&args[1]);
            let n = int(&args[0]);
            let chars: Vec<char> = s.chars().collect();
            let len = i64::try_from(chars.len()).unwrap_or(i64::MAX);
            let out: String = if n < 0 {
                chars[usize::try_from((len + n).max(0)).unwrap_or(0)..]
                    .iter()
                    .collect()
            } else {
                chars[..usize::try_from(n.min(len)).unwrap_or(0)]
                    .iter()
                    .collect()
            };
            Ok(Val::Str(out))
        }
        "substr" => {
            want(name, &args, 3)?;
            let s = text(&args[2]);
            let (start, end) = (int(&args[0]), int(&args[1]));
            let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
            // sprig: a negative start is 0; a negative or too large end is the length.
            let start = usize::try_from(start.clamp(0, len)).unwrap_or(0);
            let end = usize::try_from(if end < 0 || end > len { len } else { end }).unwrap_or(0);
            Ok(Val::Str(
                s.get(start..end.max(start)).unwrap_or_default().to_owned(),
            ))
        }
        "quote" | "squote" => {
            let quoted: Vec<String> = args
                .iter()
                .filter(|a| !matches!(a, Val::Nil | Val::NoValue))
                .map(|a| {
                    if name == "quote" {
                        go_quote(&text(a))
                    } else {
                        format!("'{}'", text(a))
                    }
                })
                .collect();
            Ok(Val::Str(quoted.join(" ")))
        }
        "cat" => Ok(Val::Str(
            args.iter()
                .filter(|a| !matches!(a, Val::Nil | Val::NoValue))
                .map(text)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        "indent" | "nindent" => {
            want(name, &args, 2)?;
            let pad = " ".repeat(count(&args[0]).min(1024));
            let indented = format!("{pad}{}", text(&args[1]).replace('\n', &format!("\n{pad}")));
            Ok(Val::Str(if name == "nindent" {
                format!("\n{indented}")
            } else {
                indented
            }))
        }
        "splitList" => {
            want(name, &args, 2)?;
            let (sep, s) = (text(&args[0]), text(&args[1]));
            Ok(Val::List(
                go_split(&s, &sep).into_iter().map(Val::Str).collect(),
            ))
        }
        "split" => {
            // Traefik replaces sprig's `split` with Go's strings.Split(s, sep).
            want(name, &args, 2)?;
            let (s, sep) = (text(&args[0]), text(&args[1]));
            Ok(Val::List(
                go_split(&s, &sep).into_iter().map(Val::Str).collect(),
            ))
        }
        "join" => {
            want(name, &args, 2)?;
            let items: Vec<String> = match &args[1] {
                Val::List(l) => l
                    .iter()
                    .filter(|v| !matches!(v, Val::Nil | Val::NoValue))
                    .map(text)
                    .collect(),
                other => vec![text(other)],
            };
            Ok(Val::Str(items.join(&text(&args[0]))))
        }
        "toString" => string_fn(name, &args, str::to_owned),
        "toStrings" => {
            want(name, &args, 1)?;
            Ok(Val::List(
                list_of(name, &args[0])?
                    .iter()
                    .map(|v| Val::Str(text(v)))
                    .collect(),
            ))
        }
        // defaults and flow
        "default" => {
            want_at_least(name, &args, 1)?;
            Ok(match args.get(1) {
                Some(given) if !empty(given) => given.clone(),
                _ => args[0].clone(),
            })
        }
        "empty" => {
            want(name, &args, 1)?;
            Ok(Val::Bool(empty(&args[0])))
        }
        "coalesce" => Ok(args.into_iter().find(|a| !empty(a)).unwrap_or(Val::Nil)),
        "ternary" => {
            want(name, &args, 3)?;
            Ok(if args[2].truthy() {
                args[0].clone()
            } else {
                args[1].clone()
            })
        }
        "fail" => {
            want(name, &args, 1)?;
            Err(text(&args[0]))
        }
        _ => super::sprig_data::call(c, name, args),
    }
}

/// Go's `strings.Split`: an empty separator splits into characters; an empty string gives `[""]`.
fn go_split(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return s.chars().map(String::from).collect();
    }
    s.split(sep).map(str::to_owned).collect()
}

/// sprig's `title`/`untitle`: the first letter of each space-separated word.
fn map_words(s: &str, upper: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start && !c.is_whitespace() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            out.push(c);
        }
        at_start = c.is_whitespace();
    }
    out
}

/// Traefik's `provider.Normalize`: runs of characters other than letters and digits become `-`.
fn normalize(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}
