//! Traefik's command-line flags (`--entrypoints.web.address=:80`) into a [`Value`] tree.
//!
//! Follows paerser's `flag.Parse`: one or two dashes; `--name=value` or `--name value`; `--` ends
//! the flags; names are key paths matched case-insensitively. No list of keys is needed: the
//! tree is decoded by the same [`from_value`](crate::from_value) as a file, which reports unknown
//! keys. Two deliberate differences, because paerser knows each flag's type and rampart does not:
//!
//! * `--name` without `=` takes the next argument as its value unless that argument is a flag
//!   (or there is none), in which case the value is `true` (`--api --log.level=DEBUG`).
//!   Traefik reads `--api.dashboard false` as `true` followed by a stray argument; rampart
//!   reads `false`.
//! * A flag given several times collects its values into a list, so repeating a list flag
//!   appends (as in Traefik) and repeating a single-valued flag is an error naming the key
//!   (Traefik silently keeps the last).

use super::tree;
use crate::error::{ConfigError, Origin, Source};
use crate::value::{Map, Value};

/// The flags of one command line.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    /// The settings, rooted like a configuration file.
    pub(crate) tree: Map,
    /// `--configFile`, if given.
    pub(crate) config_file: Option<String>,
    /// The flags other than `--configFile`, as written (for "ignored" warnings).
    pub(crate) settings: Vec<String>,
}

fn arg_error(item: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Argument {
        origin: Origin::new(Source::Flags),
        item: item.to_owned(),
        reason: reason.into(),
    }
}

/// Parses `args` (without the program name or sub-command).
pub(crate) fn parse(args: &[String]) -> Result<Flags, Vec<ConfigError>> {
    let mut flags = Flags::default();
    let mut errors = Vec::new();
    // (key as written, values) in order of first appearance; case-insensitive keys.
    let mut values: Vec<(String, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            if let Some(extra) = args.get(i) {
                errors.push(arg_error(extra, "unexpected argument after `--`"));
            }
            break;
        }
        let name = match arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) {
            Some(name) if !arg.starts_with("---") => name,
            _ => {
                errors.push(arg_error(
                    arg,
                    "unexpected argument (flags look like `--entrypoints.web.address=:80`)",
                ));
                continue;
            }
        };
        if name.is_empty() || name.starts_with('=') {
            errors.push(arg_error(arg, "bad flag syntax"));
            continue;
        }
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n, v.to_owned()),
            None => match args.get(i) {
                Some(next) if !next.starts_with('-') => {
                    i += 1;
                    (name, next.clone())
                }
                _ => (name, "true".to_owned()),
            },
        };
        if name.eq_ignore_ascii_case("configFile")
            || name.eq_ignore_ascii_case("traefik.configFile")
        {
            flags.config_file = Some(value);
            continue;
        }
        flags.settings.push(arg.clone());
        match values
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some((_, v)) => v.push(value),
            None => values.push((name.to_owned(), vec![value])),
        }
    }
    for (name, mut given) in values {
        let path = match tree::segments(&name) {
            Ok(p) => p,
            Err(reason) => {
                errors.push(arg_error(&format!("--{name}"), reason));
                continue;
            }
        };
        let value = if given.len() == 1 {
            Value::String(given.remove(0))
        } else {
            // Repeated: a list, each value split at commas as Traefik joins them with commas.
            Value::List(
                given
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(|v| Value::String(v.trim().to_owned()))
                    .collect(),
            )
        };
        if let Err(reason) = tree::insert(&mut flags.tree, &path, value) {
            errors.push(arg_error(&format!("--{name}"), reason));
        }
    }
    if errors.is_empty() {
        Ok(flags)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    #[test]
    fn traefik_flag_forms() {
        let f = parse(&args(&[
            "--entrypoints.web.address=:80",
            "-log.level",
            "DEBUG",
            "--api",
            "--entrypoints.websecure.http.tls.domains[0].main=example.test",
            "--configFile=/etc/traefik/traefik.yaml",
            "--ping",
        ]))
        .unwrap();
        let t = Value::Map(f.tree);
        assert_eq!(
            t.get("entrypoints")
                .unwrap()
                .get("web")
                .unwrap()
                .get("address"),
            Some(&s(":80"))
        );
        assert_eq!(t.get("log").unwrap().get("level"), Some(&s("DEBUG")));
        assert_eq!(t.get("api"), Some(&s("true")));
        assert_eq!(t.get("ping"), Some(&s("true")));
        let domains = t
            .get("entrypoints")
            .unwrap()
            .get("websecure")
            .unwrap()
            .get("http")
            .unwrap();
        let main = domains
            .get("tls")
            .unwrap()
            .get("domains")
            .unwrap()
            .get("0")
            .unwrap()
            .get("main");
        assert_eq!(main, Some(&s("example.test")));
        assert_eq!(f.config_file.as_deref(), Some("/etc/traefik/traefik.yaml"));
        assert_eq!(f.settings.len(), 5);
    }

    #[test]
    fn repeated_flags_collect_a_list() {
        let f = parse(&args(&[
            "--entrypoints.web.forwardedheaders.trustedips=10.0.0.0/8,127.0.0.1",
            "--entryPoints.web.forwardedHeaders.trustedIPs=192.168.0.0/16",
        ]))
        .unwrap();
        let t = Value::Map(f.tree);
        let ips = t
            .get("entrypoints")
            .unwrap()
            .get("web")
            .unwrap()
            .get("forwardedheaders")
            .unwrap()
            .get("trustedips");
        assert_eq!(
            ips,
            Some(&Value::List(vec![
                s("10.0.0.0/8"),
                s("127.0.0.1"),
                s("192.168.0.0/16")
            ]))
        );
    }

    #[test]
    fn malformed_arguments_are_errors_naming_them() {
        let errs = parse(&args(&[
            "check",
            "--=x",
            "---a",
            "--a..b=1",
            "--api=false",
            "--api.debug",
        ]))
        .unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(errs.len(), 5, "{text:?}");
        assert!(text[0].contains("`check`"), "{text:?}");
        assert!(text.iter().any(|t| t.contains("switched off")), "{text:?}");
    }
}
