//! User lists of `basicAuth` and `digestAuth`: `users` inline and `usersFile`, as Traefik merges
//! them (file first, then `users`: an inline entry wins over a file entry for the same user).

use std::collections::HashMap;

use crate::middleware::BuildError;

/// Reads `users_file` (when set) and appends `users`; lines are trimmed, blank lines and `#`
/// comments skipped. Returns `(option, entry)` pairs so that errors can name where an entry came
/// from.
pub(crate) fn load(
    users_file: &str,
    users: &[String],
) -> Result<Vec<(String, String)>, BuildError> {
    let mut out = Vec::new();
    if !users_file.is_empty() {
        let text = std::fs::read_to_string(users_file).map_err(|e| {
            BuildError::invalid("usersFile", format_args!("cannot read `{users_file}`: {e}"))
        })?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                out.push((
                    format!("usersFile ({users_file}:{})", n + 1),
                    line.to_owned(),
                ));
            }
        }
    }
    for (i, user) in users.iter().enumerate() {
        out.push((format!("users[{i}]"), user.trim().to_owned()));
    }
    if out.is_empty() {
        return Err(BuildError::invalid(
            "users",
            "no users given (neither `users` nor `usersFile` lists one): nobody could log in",
        ));
    }
    Ok(out)
}

/// Splits `entry` on `:` into exactly `fields` parts, naming `source` and the expected `format`
/// otherwise. The secret part is never echoed in the error.
pub(crate) fn split<'e>(
    entry: &'e str,
    fields: usize,
    source: &str,
    format: &str,
) -> Result<Vec<&'e str>, BuildError> {
    let parts: Vec<&str> = entry.split(':').collect();
    if parts.len() != fields || parts.iter().take(fields - 1).any(|p| p.is_empty()) {
        let user = parts.first().copied().unwrap_or("");
        return Err(BuildError::invalid(
            source,
            format_args!("entry for `{user}` is not in the `{format}` form"),
        ));
    }
    Ok(parts)
}

/// Collects `(key, value)` pairs into a map; later pairs win (Traefik's merge rule).
pub(crate) fn merge<V>(pairs: impl IntoIterator<Item = (String, V)>) -> HashMap<String, V> {
    pairs.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_inline_with_comments_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        std::fs::write(&path, "# comment\n\n  a:1  \nb:2\n").unwrap();
        let got = load(path.to_str().unwrap(), &["b:3".to_owned()]).unwrap();
        let entries: Vec<&str> = got.iter().map(|(_, e)| e.as_str()).collect();
        assert_eq!(entries, ["a:1", "b:2", "b:3"]);
        assert!(
            got[0].0.contains(":3)"),
            "line numbers in sources: {}",
            got[0].0
        );
        let merged = merge(
            got.iter()
                .map(|(_, e)| (e[..1].to_owned(), e[2..].to_owned())),
        );
        assert_eq!(merged["b"], "3", "inline users win");
    }

    #[test]
    fn unreadable_file_and_empty_lists_are_errors() {
        let err = load("/nonexistent/rampart-users", &[]).unwrap_err();
        assert!(
            matches!(&err, BuildError::Invalid { key, reason } if key == "usersFile" && reason.contains("/nonexistent/rampart-users")),
            "{err}"
        );
        assert!(matches!(load("", &[]), Err(BuildError::Invalid { key, .. }) if key == "users"));
    }

    #[test]
    fn split_checks_the_field_count_without_leaking_secrets() {
        assert_eq!(
            split("u:r:h", 3, "users[0]", "user:realm:hash").unwrap(),
            ["u", "r", "h"]
        );
        let err = split("u:secret", 3, "users[0]", "user:realm:hash")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("users[0]") && err.contains("`u`") && !err.contains("secret"),
            "{err}"
        );
    }
}
