//! `TRAEFIK_*` environment variables into a [`Value`] tree, with paerser's `env` rules.
//!
//! A variable counts when its name starts with `TRAEFIK_` followed by a top-level key in upper
//! case (`TRAEFIK_ENTRYPOINTS_…`, `TRAEFIK_LOG_…`; paerser's `FindPrefixedEnvVars`), so other
//! variables that happen to start with `TRAEFIK_` are left alone. The name is then lower-cased
//! and **every** `_` becomes a key separator: `TRAEFIK_ENTRYPOINTS_WEB_ADDRESS` is
//! `entrypoints.web.address`. A name that itself contains `_` (an entry point `web_secure`) can
//! therefore not be set through the environment: it splits into two keys and fails as an
//! unknown key, exactly as in Traefik. List indexes are written `…_DOMAINS[0]_MAIN` or
//! `…_DOMAINS_0_MAIN`.

use super::tree;
use crate::error::{ConfigError, Origin, Source};
use crate::static_config::raw::TOP_LEVEL_KEYS;
use crate::value::{Map, Value};

/// The prefix of every variable Traefik reads.
pub const PREFIX: &str = "TRAEFIK_";

/// The `TRAEFIK_*` variables Traefik would read, sorted by name (paerser sorts the keys).
pub(crate) fn relevant(env: &[(String, String)]) -> Vec<(String, String)> {
    let prefixes: Vec<String> = TOP_LEVEL_KEYS
        .iter()
        .map(|k| format!("{PREFIX}{}", k.to_ascii_uppercase()))
        .collect();
    let mut vars: Vec<(String, String)> = env
        .iter()
        .filter(|(name, _)| prefixes.iter().any(|p| name.starts_with(p.as_str())))
        .cloned()
        .collect();
    vars.sort();
    vars
}

/// Builds the tree from the relevant variables.
pub(crate) fn parse(vars: &[(String, String)]) -> Result<Map, Vec<ConfigError>> {
    let mut root = Map::new();
    let mut errors = Vec::new();
    for (name, value) in vars {
        let key = name[PREFIX.len()..].to_ascii_lowercase().replace('_', ".");
        let result = tree::segments(&key)
            .and_then(|path| tree::insert(&mut root, &path, Value::String(value.clone())));
        if let Err(reason) = result {
            errors.push(ConfigError::Argument {
                origin: Origin::new(Source::Env),
                item: name.clone(),
                reason,
            });
        }
    }
    if errors.is_empty() {
        Ok(root)
    } else {
        Err(errors)
    }
}

/// The variable that sets `key_path` (`entryPoints.web.address` → `TRAEFIK_ENTRYPOINTS_WEB_ADDRESS`).
pub(crate) fn variable_name(key_path: &str) -> String {
    let mut name = String::from(PREFIX);
    name.push_str(&key_path.replace('.', "_").to_ascii_uppercase());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_variables_naming_a_top_level_key_count() {
        let vars = relevant(&env(&[
            ("TRAEFIK_ENTRYPOINTS_WEB_ADDRESS", ":80"),
            ("TRAEFIK_VERSION", "3"),
            ("traefik_log_level", "DEBUG"),
            ("TRAEFIK_API", "true"),
            ("HOME", "/root"),
        ]));
        let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["TRAEFIK_API", "TRAEFIK_ENTRYPOINTS_WEB_ADDRESS"]);
    }

    #[test]
    fn underscores_separate_keys() {
        let tree = Value::Map(
            parse(&env(&[
                ("TRAEFIK_ENTRYPOINTS_WEB_ADDRESS", ":80"),
                (
                    "TRAEFIK_ENTRYPOINTS_WEBSECURE_HTTP_TLS_DOMAINS[0]_MAIN",
                    "example.test",
                ),
                (
                    "TRAEFIK_ENTRYPOINTS_WEBSECURE_HTTP_TLS_DOMAINS_1_MAIN",
                    "other.test",
                ),
                ("TRAEFIK_ENTRYPOINTS_WEB_SECURE_ADDRESS", ":8443"),
            ]))
            .unwrap(),
        );
        let eps = tree.get("entrypoints").unwrap();
        assert_eq!(
            eps.get("web").unwrap().get("address"),
            Some(&Value::String(":80".into()))
        );
        // `web_secure` is not an entry point: its `_` split the name.
        assert!(eps.get("web").unwrap().get("secure").is_some());
        let domains = eps
            .get("websecure")
            .unwrap()
            .get("http")
            .unwrap()
            .get("tls")
            .unwrap()
            .get("domains")
            .unwrap();
        assert!(domains.get("0").is_some() && domains.get("1").is_some());
        assert_eq!(
            variable_name("entryPoints.web.address"),
            "TRAEFIK_ENTRYPOINTS_WEB_ADDRESS"
        );
    }
}
