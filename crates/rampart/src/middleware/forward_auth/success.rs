//! A 2xx auth answer: the identity headers it carries replace whatever the client sent.

use http::HeaderMap;
use http::header::{CONNECTION, HeaderName, HeaderValue};
use regex::Regex;

use super::names::{canonical_into, connection_tokens, fold, remove_aliases};

/// The headers a 2xx auth answer may set on the request (`authResponseHeaders`,
/// `authResponseHeadersRegex`), compiled once.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseHeaders {
    names: Vec<HeaderName>,
    regex: Option<Regex>,
}

impl ResponseHeaders {
    pub(crate) fn new(names: Vec<HeaderName>, regex: Option<Regex>) -> Self {
        ResponseHeaders { names, regex }
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
        remove_aliases(request, |folded| self.claims(folded, &mut canon));
        request.reserve(self.names.len());
        for name in &self.names {
            // `insert` drops every client value and sets the first auth value in one step.
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
        self.protect_from_connection(request);
    }

    /// A client `Connection: X-authentik-username` would make the next hop drop the header
    /// rampart just set (CVE-2021-32813, attack A5): such tokens leave the `Connection` header.
    fn protect_from_connection(&self, request: &mut HeaderMap) {
        if !request.contains_key(CONNECTION) {
            return;
        }
        let mut canon = String::new();
        let tokens = connection_tokens(request);
        let kept: Vec<&str> = tokens
            .iter()
            .map(String::as_str)
            .filter(|t| !self.claims(&fold(t), &mut canon))
            .collect();
        if kept.len() == tokens.len() {
            return;
        }
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
    headers.keys().any(|k| !super::names::is_folded(k.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn names(list: &[&str]) -> Vec<HeaderName> {
        list.iter()
            .map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap())
            .collect()
    }

    #[test]
    fn client_copies_and_aliases_are_deleted_even_when_auth_sends_nothing() {
        let rh = ResponseHeaders::new(names(&["X-authentik-username"]), None);
        let mut req = map(&[
            ("x-authentik-username", "akadmin"),
            ("x_authentik_username", "akadmin"),
            ("x.authentik.username", "akadmin"),
            ("x~authentik~username", "akadmin"),
            ("x-other", "kept"),
        ]);
        rh.apply(&mut req, &HeaderMap::new());
        assert_eq!(req.len(), 1, "{req:?}");
        assert!(!has_alias(&req));
        assert_eq!(req["x-other"], "kept");
    }

    #[test]
    fn auth_values_replace_client_values() {
        let rh = ResponseHeaders::new(names(&["X-Auth-User", "X-Auth-Group"]), None);
        let mut req = map(&[("x-auth-group", "admin_group"), ("x-auth-user", "mallory")]);
        let auth = map(&[
            ("x-auth-user", "user@example.com"),
            ("x-auth-group", "group1"),
            ("x-auth-group", "group2"),
            ("x-auth-secret", "secret"),
        ]);
        rh.apply(&mut req, &auth);
        assert_eq!(req["x-auth-user"], "user@example.com");
        let groups: Vec<_> = req.get_all("x-auth-group").iter().collect();
        assert_eq!(groups, ["group1", "group2"]);
        assert!(!req.contains_key("x-auth-secret"));
    }

    #[test]
    fn regex_matches_canonical_names() {
        let rh = ResponseHeaders::new(
            vec![],
            Some(crate::rule::goregex::compile("^Foo-").unwrap()),
        );
        let mut req = map(&[
            ("foo-bar", "client"),
            ("foo-baz", "client"),
            ("foo_qux", "x"),
        ]);
        let auth = map(&[("foo-bar", "auth-value"), ("bar-foo", "no")]);
        rh.apply(&mut req, &auth);
        assert_eq!(req.len(), 1, "{req:?}");
        assert_eq!(req["foo-bar"], "auth-value");

        // Traefik's gotcha: lower-case patterns never match a canonical key.
        let lower = ResponseHeaders::new(
            vec![],
            Some(crate::rule::goregex::compile("^foo-").unwrap()),
        );
        let mut req = map(&[("foo-bar", "client")]);
        lower.apply(&mut req, &auth);
        assert_eq!(req["foo-bar"], "client");
    }

    #[test]
    fn connection_cannot_name_an_injected_header() {
        let rh = ResponseHeaders::new(names(&["X-authentik-username"]), None);
        let mut req = map(&[(
            "connection",
            "keep-alive, X-authentik-username, X_Authentik_Username",
        )]);
        let auth = map(&[("x-authentik-username", "alice")]);
        rh.apply(&mut req, &auth);
        assert_eq!(req["connection"], "keep-alive");
        assert_eq!(req["x-authentik-username"], "alice");
    }
}
