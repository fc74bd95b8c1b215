//! Where Traefik looks for its static configuration file when `--configFile` is not given
//! (`pkg/cli/loader_file.go`): `/etc/traefik/traefik`, `$XDG_CONFIG_HOME/traefik`,
//! `$HOME/.config/traefik`, `./traefik`, each with `.toml`, `.yaml`, `.yml`, in that order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const BASES: &[&str] = &[
    "/etc/traefik/traefik",
    "$XDG_CONFIG_HOME/traefik",
    "$HOME/.config/traefik",
    "./traefik",
];
const EXTENSIONS: &[&str] = &["toml", "yaml", "yml"];

/// Traefik's search list, with `$VAR`s expanded from `env` (an unset variable expands to
/// nothing, as Go's `os.ExpandEnv` does).
pub(crate) fn traefik_search_paths(env: &BTreeMap<String, String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for base in BASES {
        let expanded = match base.strip_prefix('$') {
            Some(rest) => {
                let (var, tail) = rest.split_once('/').unwrap_or((rest, ""));
                format!("{}/{tail}", env.get(var).map_or("", String::as_str))
            }
            None => (*base).to_owned(),
        };
        for ext in EXTENSIONS {
            out.push(PathBuf::from(format!("{expanded}.{ext}")));
        }
    }
    out
}

/// The first of `paths` that exists.
pub(crate) fn first_existing(paths: &[PathBuf]) -> std::io::Result<Option<PathBuf>> {
    for path in paths {
        match std::fs::metadata(path) {
            Ok(_) => return Ok(Some(absolute(path))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_order_matches_traefik() {
        let env = BTreeMap::from([("HOME".to_owned(), "/home/u".to_owned())]);
        let paths = traefik_search_paths(&env);
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(shown[0], "/etc/traefik/traefik.toml");
        assert_eq!(shown[2], "/etc/traefik/traefik.yml");
        // XDG_CONFIG_HOME unset: Go's ExpandEnv leaves `/traefik.toml`.
        assert_eq!(shown[3], "/traefik.toml");
        assert_eq!(shown[6], "/home/u/.config/traefik.toml");
        assert_eq!(shown[11], "./traefik.yml");
        assert_eq!(paths.len(), 12);
    }

    #[test]
    fn finds_the_first_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.toml");
        std::fs::write(&b, "").unwrap();
        assert_eq!(
            first_existing(&[a.clone(), b.clone()]).unwrap(),
            Some(b.clone())
        );
        std::fs::write(&a, "").unwrap();
        assert_eq!(first_existing(&[a.clone(), b]).unwrap(), Some(a));
        assert_eq!(
            first_existing(&[dir.path().join("none.yml")]).unwrap(),
            None
        );
    }
}
