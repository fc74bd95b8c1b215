//! The environment lego's providers are configured from, handed in explicitly (never read from
//! or written to the process environment here), with docker-secrets `_FILE` support.

use std::collections::BTreeMap;
use std::fmt;

use super::error::AcmeError;

/// Environment variables handed in by the caller (lego's provider variables,
/// `LEGO_CA_CERTIFICATES`). Every `NAME` may instead be given as `NAME_FILE`, a path whose
/// contents (trailing newline trimmed) are the value — the docker-secrets convention.
///
/// ```
/// use rampart_tls::acme::Env;
/// let env = Env::from_iter([("CF_DNS_API_TOKEN", "abc")]);
/// assert_eq!(env.get("CF_DNS_API_TOKEN").unwrap().as_deref(), Some("abc"));
/// assert_eq!(env.get("CF_API_KEY").unwrap(), None);
/// ```
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values are credentials: list names only.
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Env {
            vars: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl Env {
    /// The value of `name`, else the contents of the file named by `name_FILE`, else `None`.
    /// An empty value counts as unset, as lego's `env.Get` does. A `_FILE` that cannot be read
    /// is an error naming the variable and the path.
    pub fn get(&self, name: &str) -> Result<Option<String>, AcmeError> {
        if let Some(v) = self.vars.get(name).filter(|v| !v.is_empty()) {
            return Ok(Some(v.clone()));
        }
        let file_var = format!("{name}_FILE");
        let Some(path) = self.vars.get(&file_var).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| AcmeError::Spec(format!("{file_var}: cannot read {path:?}: {e}")))?;
        // lego trims surrounding whitespace of file contents (env.GetOrFile uses strings.TrimSpace).
        let text = text.trim().to_owned();
        Ok((!text.is_empty()).then_some(text))
    }

    /// The first of `names` that is set (lego's aliases, e.g. `CF_DNS_API_TOKEN` /
    /// `CLOUDFLARE_DNS_API_TOKEN`).
    pub fn get_any(&self, names: &[&str]) -> Result<Option<String>, AcmeError> {
        for n in names {
            if let Some(v) = self.get(n)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// Sets `name` (builder style, for tests and embedders).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }
}
