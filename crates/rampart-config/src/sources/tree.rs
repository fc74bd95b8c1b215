//! Dotted keys (`entrypoints.web.address`, `domains[0].main`) into a [`Value`] tree, the way
//! paerser turns flags and environment variables into nodes: segments are matched
//! case-insensitively (the first spelling is kept) and `name[0]` indexes a list.

use crate::value::{Map, Value};

/// A key split into segments: `a.b[0].c` is `a`, `b`, `0`, `c`.
pub(super) fn segments(key: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in key.split('.') {
        if part.is_empty() {
            return Err("empty segment in key".to_owned());
        }
        if part.starts_with('[') {
            return Err(format!("`{part}`: a `[` index must follow a name"));
        }
        match part.find('[') {
            Some(open) if part.ends_with(']') => {
                let index = &part[open + 1..part.len() - 1];
                if index.parse::<usize>().is_err() {
                    return Err(format!("`{part}`: the index must be a number"));
                }
                out.push(part[..open].to_owned());
                out.push(index.to_owned());
            }
            Some(_) => return Err(format!("`{part}`: unclosed `[`")),
            None => out.push(part.to_owned()),
        }
    }
    Ok(out)
}

fn is_false(v: &Value) -> bool {
    matches!(v, Value::String(s) if matches!(s.trim(), "false" | "False" | "FALSE" | "0" | "f" | "F"))
}

/// Puts `value` at `path` in `root`.
///
/// A section given both as a switch and with options (`--api=true --api.dashboard=false`) keeps
/// the options; switching it off and giving options at once is a conflict.
pub(super) fn insert(root: &mut Map, path: &[String], value: Value) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(());
    };
    if rest.is_empty() {
        return match root.get_ci_mut(first) {
            None => {
                root.insert(first.clone(), value);
                Ok(())
            }
            Some(Value::Map(_)) if is_false(&value) => Err(format!(
                "`{first}` is switched off and given options at once"
            )),
            // `--api=true` after `--api.dashboard=…`: the options already switch it on.
            Some(Value::Map(_)) => Ok(()),
            Some(slot) => {
                *slot = value;
                Ok(())
            }
        };
    }
    if root.get_ci(first).is_none() {
        root.insert(first.clone(), Value::Map(Map::new()));
    }
    let slot = root.get_ci_mut(first).expect("inserted above");
    if !matches!(slot, Value::Map(_)) {
        if is_false(slot) {
            return Err(format!(
                "`{first}` is switched off and given options at once"
            ));
        }
        *slot = Value::Map(Map::new());
    }
    let Value::Map(child) = slot else {
        unreachable!("made a map above")
    };
    insert(child, rest, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(pairs: &[(&str, &str)]) -> Result<Value, String> {
        let mut root = Map::new();
        for (k, v) in pairs {
            insert(&mut root, &segments(k)?, Value::String((*v).to_owned()))?;
        }
        Ok(Value::Map(root))
    }

    #[test]
    fn keys_merge_case_insensitively_keeping_the_first_spelling() {
        let v = tree(&[
            ("entryPoints.web.address", ":80"),
            ("entrypoints.WEB.asDefault", "true"),
        ])
        .unwrap();
        let eps = v.as_map().unwrap();
        assert_eq!(eps.iter().next().unwrap().0, "entryPoints");
        let web = v.get("entrypoints").unwrap().get("web").unwrap();
        assert_eq!(web.get("address"), Some(&Value::String(":80".into())));
        assert_eq!(web.get("asdefault"), Some(&Value::String("true".into())));
    }

    #[test]
    fn indexes_become_numbered_keys() {
        assert_eq!(
            segments("a.domains[0].main").unwrap(),
            ["a", "domains", "0", "main"]
        );
        for bad in ["a..b", "[0].a", "a[x]", "a[0"] {
            assert!(segments(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn switches_and_options_combine() {
        let v = tree(&[("api", "true"), ("api.dashboard", "false")]).unwrap();
        assert_eq!(
            v.get("api").unwrap().get("dashboard"),
            Some(&Value::String("false".into()))
        );
        let v = tree(&[("api.dashboard", "false"), ("api", "true")]).unwrap();
        assert!(v.get("api").unwrap().as_map().is_some());
        assert!(tree(&[("api", "false"), ("api.dashboard", "true")]).is_err());
        assert!(tree(&[("api.dashboard", "true"), ("api", "false")]).is_err());
    }
}
