//! A 2xx auth answer: the identity headers it carries replace whatever the client sent.

use http::HeaderMap;
use http::header::{CONNECTION, HeaderName, HeaderValue};
use regex::Regex;

use super::name_table::NameTable;
use super::names::{canonical_into, connection_tokens, fold, intern, is_folded, remove_aliases};

/// Whether `name` (lower-case, one of ours) is what `other` folds to (`X_Authentik.User` folds
/// to `x-authentik-user`), compared byte by byte without building the folded string.
fn folded_eq(name: &str, other: &str) -> bool {
    name.len() == other.len()
        && name.bytes().zip(other.bytes()).all(|(n, o)| {
            let o = if o.is_ascii_alphanumeric() {
                o.to_ascii_lowercase()
            } else {
                b'-'
            };
            n == o
        })
}

/// The most names the one-pass path tracks (one bit each); more take the per-name path.
const MAX_TRACKED: usize = 64;

/// The headers a 2xx auth answer may set on the request (`authResponseHeaders`,
/// `authResponseHeadersRegex`), compiled once.
///
/// The step runs on every forwarded request, so it avoids what costs there: `HeaderMap`
/// hashes every byte of a custom name (FNV) on each lookup, so instead of one lookup in the
/// answer and one in the request per configured name, it makes one pass over the client's
/// names and one over the answer's, matching them through a [`NameTable`] (no hashing), and
/// hashes only to insert what it copies. Names are interned: copying one is a pointer copy.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseHeaders {
    names: Vec<HeaderName>,
    table: NameTable,
    regex: Option<Regex>,
}

impl ResponseHeaders {
    pub(crate) fn new(names: &[HeaderName], regex: Option<Regex>) -> Self {
        let mut texts: Vec<&'static str> = Vec::with_capacity(names.len());
        for n in names {
            let text = intern(n.as_str());
            if !texts.contains(&text) {
                texts.push(text);
            }
        }
        ResponseHeaders {
            names: texts.iter().map(|t| HeaderName::from_static(t)).collect(),
            table: NameTable::new(&texts),
            regex,
        }
    }

    /// Whether `folded` (a folded name) is one of ours, or matches the regex.
    fn claims(&self, folded: &str, canon: &mut String) -> bool {
        if self.names.iter().any(|n| n.as_str() == folded) {
            return true;
        }
        self.regex.as_ref().is_some_and(|re| {
            canonical_into(folded, canon);
            re.is_match(canon)
        })
    }

    /// Deletes every client copy (and alias) of the headers this answer may set, then copies
    /// the auth answer's values (forward.go: `req.Header.Del` before the copy, so a client value
    /// never survives even when the auth server does not send the header — Caddy CVE-2026-30851).
    ///
    /// Stricter than Traefik: a client header that *folds* onto one of the names
    /// (`X_Authentik_Username`, `X.authentik.username`) is deleted too, as is one whose folded
    /// form matches the regex.
    pub(crate) fn apply(&self, request: &mut HeaderMap, auth: &HeaderMap) {
        if self.names.is_empty() && self.regex.is_none() {
            return;
        }
        let mut canon = String::new();
        self.drop_aliases(request, &mut canon);
        if self.names.len() <= MAX_TRACKED {
            let copied = self.copy_names(request, auth);
            self.remove_unanswered(request, copied);
        } else {
            self.copy_names_one_by_one(request, auth);
        }
        if let Some(re) = &self.regex {
            // Traefik matches the Go-canonical key (`X-Authentik-Username`): `^x-authentik-`
            // never matches there, nor here; `(?i)` does.
            let doomed: Vec<HeaderName> = request
                .keys()
                .filter(|k| {
                    canonical_into(k.as_str(), &mut canon);
                    re.is_match(&canon)
                })
                .cloned()
                .collect();
            for name in doomed {
                request.remove(name);
            }
            for (name, value) in auth {
                canonical_into(name.as_str(), &mut canon);
                if re.is_match(&canon) {
                    request.append(name.clone(), value.clone());
                }
            }
        }
        self.protect_from_connection(request, &mut canon);
    }

    /// [`apply`](Self::apply) with an answer the caller owns: its names and values move onto
    /// the request instead of being cloned (and their clones' reference counts, shared by every
    /// core, touched twice per header).
    pub(crate) fn apply_owned(&self, request: &mut HeaderMap, auth: HeaderMap) {
        if self.regex.is_some() || self.names.len() > MAX_TRACKED {
            self.apply(request, &auth);
            return;
        }
        if self.names.is_empty() {
            return;
        }
        let mut canon = String::new();
        self.drop_aliases(request, &mut canon);
        let mut copied = 0u64;
        let mut current: Option<usize> = None;
        for (name, value) in auth {
            // `into_iter` names an entry once, then gives its further values without a name.
            if let Some(name) = name {
                current = self.table.index_of(name.as_str());
                if let Some(i) = current {
                    if copied == 0 {
                        request.reserve(self.names.len());
                    }
                    copied |= 1 << i;
                    request.insert(name, value);
                }
            } else if let Some(i) = current {
                request.append(&self.names[i], value);
            }
        }
        self.remove_unanswered(request, copied);
        self.protect_from_connection(request, &mut canon);
    }

    /// Removes the client's headers whose names fold onto ours (or match the regex) but are
    /// not ours exactly. Folding keeps the length, so without a regex only names as long as
    /// one of ours need a look; the full pass runs only when such a name is not in folded form.
    fn drop_aliases(&self, request: &mut HeaderMap, canon: &mut String) {
        let scan_all = self.regex.is_some() || self.names.len() > MAX_TRACKED;
        let suspect = request.keys().any(|k| {
            let k = k.as_str();
            (scan_all || self.table.has_len(k.len())) && !is_folded(k)
        });
        if suspect {
            remove_aliases(request, |folded| self.claims(folded, canon));
        }
    }

    /// Copies the answer's values of our names (one pass over the answer, names matched
    /// without hashing); returns the bits of the names it copied. `insert` drops the client's
    /// values and sets the first auth value in one step; further values are appended.
    fn copy_names(&self, request: &mut HeaderMap, auth: &HeaderMap) -> u64 {
        let mut copied = 0u64;
        for (name, value) in auth {
            let Some(i) = self.table.index_of(name.as_str()) else {
                continue;
            };
            // Our own name: shared since the build, so cloning it is a pointer copy.
            let ours = &self.names[i];
            if copied & (1 << i) == 0 {
                if copied == 0 {
                    request.reserve(self.names.len());
                }
                copied |= 1 << i;
                request.insert(ours.clone(), value.clone());
            } else {
                request.append(ours.clone(), value.clone());
            }
        }
        copied
    }

    /// Client copies of the names the answer did not carry go (a client value never survives).
    fn remove_unanswered(&self, request: &mut HeaderMap, copied: u64) {
        for (i, name) in self.names.iter().enumerate() {
            if copied & (1 << i) == 0 {
                request.remove(name);
            }
        }
    }

    /// The per-name copy, for configurations with more names than the one-pass path tracks.
    fn copy_names_one_by_one(&self, request: &mut HeaderMap, auth: &HeaderMap) {
        request.reserve(self.names.len());
        for name in &self.names {
            let mut values = auth.get_all(name).iter();
            match values.next() {
                Some(first) => {
                    request.insert(name.clone(), first.clone());
                    for v in values {
                        request.append(name.clone(), v.clone());
                    }
                }
                None => {
                    request.remove(name);
                }
            }
        }
    }

    /// Whether a `Connection` token names one of our headers (compared folded, without
    /// allocating unless a regex must see the canonical form).
    fn claims_token(&self, token: &str, canon: &mut String) -> bool {
        self.names.iter().any(|n| folded_eq(n.as_str(), token))
            || (self.regex.is_some() && self.claims(&fold(token), canon))
    }

    /// A client `Connection: X-authentik-username` would make the next hop drop the header
    /// rampart just set (CVE-2021-32813, attack A5): such tokens leave the `Connection` header.
    fn protect_from_connection(&self, request: &mut HeaderMap, canon: &mut String) {
        // The common case (`Connection: keep-alive`) is decided without allocating.
        let named = request
            .get_all(CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| self.claims_token(t.trim(), canon));
        if !named {
            return;
        }
        let tokens = connection_tokens(request);
        let kept: Vec<&str> = tokens
            .iter()
            .map(String::as_str)
            .filter(|t| !self.claims_token(t, canon))
            .collect();
        request.remove(CONNECTION);
        if !kept.is_empty()
            && let Ok(v) = HeaderValue::from_str(&kept.join(", "))
        {
            request.insert(CONNECTION, v);
        }
    }
}

/// Whether any name of `headers` is an alias (not in folded form); used by tests.
#[cfg(test)]
pub(crate) fn has_alias(headers: &HeaderMap) -> bool {
    headers.keys().any(|k| !is_folded(k.as_str()))
}

#[cfg(test)]
mod tests;
