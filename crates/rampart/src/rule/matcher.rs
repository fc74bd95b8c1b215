//! Compiled rules and their evaluation against a [`RequestView`].
//!
//! Matching allocates nothing except where Go's semantics force a decoded copy (a query
//! value with `%`/`+` escapes, a v2 query template). Operands of `&&`/`||` are evaluated
//! cheapest first: the result of a pure boolean expression does not depend on the order.

use std::borrow::Cow;

use http::HeaderName;
use regex::Regex;

use super::clientip::IpRule;
use super::host;
use crate::request::RequestView;
use crate::request::query;

/// A compiled rule.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Leaf(Leaf),
    Not(Box<Node>),
    All(Vec<Node>),
    Any(Vec<Node>),
}

/// One compiled matcher.
#[derive(Debug, Clone)]
pub(crate) enum Leaf {
    /// Always this answer (`Host(`*`)`, a `HostRegexp` that matches the empty host, a header
    /// name that no request can carry).
    Const(bool),
    /// v3 `Host`, lower-cased.
    Host(Box<str>),
    /// v2 `Host`/`HostHeader`: any of these, lower-cased.
    HostsV2(Box<[Box<str>]>),
    /// The regexp, and the literal suffix every host it matches ends with (for the index).
    HostRegexp(Regex, Option<Box<str>>),
    /// v2 `HostRegexp`: any of these gorilla templates, with their suffixes.
    HostTemplates(Box<[(Regex, Option<Box<str>>)]>),
    Path(Box<str>),
    PathPrefix(Box<str>),
    PathRegexp(Regex),
    /// v2 `Path`/`PathPrefix`: any of these gorilla templates.
    PathTemplates(Box<[Regex]>),
    /// Upper-cased method(s); any of them.
    Methods(Box<[Box<str>]>),
    Header(HeaderName, Box<str>),
    HeaderRegexp(HeaderName, Regex),
    /// v2 `Headers`: every pair.
    HeadersV2(Box<[(HeaderName, Box<str>)]>),
    /// v2 `HeadersRegexp`: every pair.
    HeadersRegexpV2(Box<[(HeaderName, Regex)]>),
    Query(Box<str>, Box<str>),
    QueryRegexp(Box<str>, Regex),
    /// v2 `Query`: every template, as `(key, regexp of "key=value")`.
    QueriesV2(Box<[(Box<str>, Regex)]>),
    ClientIp(Box<[IpRule]>),
}

impl Node {
    pub(crate) fn matches(&self, req: &RequestView<'_>) -> bool {
        match self {
            Node::Leaf(leaf) => leaf.matches(req),
            Node::Not(inner) => !inner.matches(req),
            Node::All(items) => items.iter().all(|n| n.matches(req)),
            Node::Any(items) => items.iter().any(|n| n.matches(req)),
        }
    }

    /// A rough evaluation cost, to order operands cheapest first.
    pub(crate) fn cost(&self) -> u32 {
        match self {
            Node::Leaf(leaf) => leaf.cost(),
            Node::Not(inner) => inner.cost(),
            Node::All(items) | Node::Any(items) => items.iter().map(Node::cost).sum::<u32>() + 1,
        }
    }
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    // Go's regexp reads an invalid UTF-8 byte as U+FFFD; so does a lossy conversion, which
    // borrows (no copy) when the bytes are valid.
    String::from_utf8_lossy(bytes)
}

impl Leaf {
    fn cost(&self) -> u32 {
        match self {
            Leaf::Const(_) => 0,
            Leaf::Host(_)
            | Leaf::Path(_)
            | Leaf::PathPrefix(_)
            | Leaf::Methods(_)
            | Leaf::ClientIp(_) => 1,
            Leaf::HostsV2(_) | Leaf::Header(..) | Leaf::HeadersV2(_) => 2,
            Leaf::Query(..) => 4,
            _ => 8,
        }
    }

    fn matches(&self, req: &RequestView<'_>) -> bool {
        match self {
            Leaf::Const(answer) => *answer,
            Leaf::Host(expr) => host::matches_v3(expr, req.host()),
            Leaf::HostsV2(hosts) => hosts.iter().any(|h| host::matches_v2(h, req.host())),
            // Traefik also tries the CNAME-flattened host, which is empty unless
            // `hostResolver.cnameFlattening` is on: a regexp matching "" was made `Const(true)`.
            Leaf::HostRegexp(re, _) => re.is_match(req.host()),
            Leaf::HostTemplates(res) => res.iter().any(|(re, _)| re.is_match(req.host())),
            Leaf::Path(p) => req.path() == p.as_bytes(),
            Leaf::PathPrefix(p) => req.path().starts_with(p.as_bytes()),
            Leaf::PathRegexp(re) => re.is_match(&text(req.path())),
            Leaf::PathTemplates(res) => {
                let path = text(req.path());
                res.iter().any(|re| re.is_match(&path))
            }
            Leaf::Methods(methods) => methods.iter().any(|m| **m == *req.method()),
            Leaf::Header(name, value) => header_values(req, name).any(|v| v == value.as_bytes()),
            Leaf::HeaderRegexp(name, re) => header_values(req, name).any(|v| re.is_match(&text(v))),
            Leaf::HeadersV2(pairs) => pairs
                .iter()
                .all(|(name, value)| header_values(req, name).any(|v| v == value.as_bytes())),
            Leaf::HeadersRegexpV2(pairs) => pairs
                .iter()
                .all(|(name, re)| header_values(req, name).any(|v| re.is_match(&text(v)))),
            Leaf::Query(key, value) => {
                query::values(req.query(), key).any(|v| *v == *value.as_bytes())
            }
            Leaf::QueryRegexp(key, re) => {
                query::values(req.query(), key).any(|v| re.is_match(&text(&v)))
            }
            Leaf::QueriesV2(templates) => templates.iter().all(|(key, re)| {
                // gorilla matches "key=" + the key's first value, or "" when absent.
                match query::values(req.query(), key).next() {
                    Some(v) => re.is_match(&format!("{key}={}", text(&v))),
                    None => re.is_match(""),
                }
            }),
            Leaf::ClientIp(rules) => req
                .peer()
                .is_some_and(|peer| rules.iter().any(|r| r.contains(peer))),
        }
    }
}

fn header_values<'a>(req: &RequestView<'a>, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
    req.headers()
        .into_iter()
        .flat_map(move |h| h.get_all(name).iter().map(http::HeaderValue::as_bytes))
}
