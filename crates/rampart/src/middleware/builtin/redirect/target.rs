//! The URL a client asked for, rebuilt as Traefik's redirect middlewares do.

use std::sync::LazyLock;

use http::Version;

use crate::{ConnInfo, Request};

/// Traefik's `uriRegexp`: splits an absolute-form request target.
static ABSOLUTE: LazyLock<regex::Regex> = LazyLock::new(|| {
    crate::rule::goregex::compile(
        r"^(https?)://(\[[0-9A-Za-z_:.]+\]|[0-9A-Za-z_._-]+)?(:[0-9]+)?(.*)$",
    )
    .expect("constant pattern")
});

/// The parts of a client's URL: `scheme://host{port}{uri}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub(super) scheme: &'static str,
    pub(super) host: String,
    /// Empty, or `:` and digits.
    pub(super) port: String,
    /// The request target after the authority (`/path?query`).
    pub(super) uri: String,
}

impl Target {
    pub(super) fn join(&self) -> String {
        format!("{}://{}{}{}", self.scheme, self.host, self.port, self.uri)
    }
}

/// Go's `req.Host`: the authority of an absolute-form (HTTP/1) or HTTP/2 request, else `Host`.
fn host(req: &Request) -> &str {
    if let Some(a) = req.uri().authority() {
        return a.as_str();
    }
    req.headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
}

/// Go's `req.RequestURI`: the request target as sent. HTTP/2 sends only `:path` there.
fn request_uri(req: &Request) -> String {
    let absolute_form = req.version() < Version::HTTP_2 && req.uri().scheme().is_some();
    if absolute_form {
        req.uri().to_string()
    } else {
        req.uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned())
    }
}

fn is_tls(req: &Request) -> bool {
    ConnInfo::of(req).is_some_and(ConnInfo::is_tls)
}

/// Traefik's `rawURL` (redirectRegex): `Host` kept whole, scheme from TLS only.
pub(super) fn raw_url(req: &Request) -> String {
    let mut t = Target {
        scheme: "http",
        host: host(req).to_owned(),
        port: String::new(),
        uri: request_uri(req),
    };
    apply_absolute_form(&mut t);
    if is_tls(req) {
        t.scheme = "https";
    }
    t.join()
}

/// Traefik's `clientRequestURL` (redirectScheme): port split off `Host`, scheme from TLS then
/// `X-Forwarded-Proto` (`ws`/`wss` read as `http`/`https`), default port dropped.
pub(super) fn client_url(req: &Request) -> Target {
    let (host, port) = split_host_port(host(req));
    let mut t = Target {
        scheme: "http",
        host: host.to_owned(),
        port: port.map(|p| format!(":{p}")).unwrap_or_default(),
        uri: request_uri(req),
    };
    apply_absolute_form(&mut t);
    if is_tls(req) {
        t.scheme = "https";
    }
    if let Some(proto) = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
    {
        if proto.eq_ignore_ascii_case("http") || proto.eq_ignore_ascii_case("ws") {
            t.scheme = "http";
        } else if proto.eq_ignore_ascii_case("https") || proto.eq_ignore_ascii_case("wss") {
            t.scheme = "https";
        } else {
            tracing::debug!(
                x_forwarded_proto = proto,
                "redirectScheme: invalid X-Forwarded-Proto"
            );
        }
    }
    if (t.scheme == "http" && t.port == ":80") || (t.scheme == "https" && t.port == ":443") {
        t.port.clear();
    }
    t
}

fn apply_absolute_form(t: &mut Target) {
    let Some(c) = ABSOLUTE.captures(&t.uri) else {
        return;
    };
    let scheme = if &c[1] == "https" { "https" } else { "http" };
    let host = c.get(2).map(|m| m.as_str().to_owned());
    let port = c.get(3).map(|m| m.as_str().to_owned());
    let uri = c[4].to_owned();
    t.scheme = scheme;
    if let Some(h) = host.filter(|h| !h.is_empty()) {
        t.host = h;
    }
    if let Some(p) = port {
        t.port = p;
    }
    t.uri = uri;
}

/// Splits `host:port`; a bracketed IPv6 literal keeps its brackets (Go's `SplitHostPort` drops
/// them, which makes Traefik build `http://::1:80/`).
fn split_host_port(hostport: &str) -> (&str, Option<&str>) {
    if let Some((h, p)) = hostport.rsplit_once(':') {
        let bracketed = h.starts_with('[') && h.ends_with(']');
        if bracketed || !h.contains(':') {
            return (h, Some(p));
        }
    }
    (hostport, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;

    fn req(uri: &str, host: Option<&str>) -> Request {
        let mut r = Request::new(Body::empty());
        *r.uri_mut() = uri.parse().unwrap();
        if let Some(h) = host {
            r.headers_mut().insert("host", h.parse().unwrap());
        }
        r
    }

    #[test]
    fn raw_url_keeps_host_whole() {
        assert_eq!(
            raw_url(&req("/a?b=1", Some("foo.com:8080"))),
            "http://foo.com:8080/a?b=1"
        );
        assert_eq!(
            raw_url(&req("http://bar.com:81/x", Some("foo.com"))),
            "http://bar.com:81/x"
        );
    }

    #[test]
    fn client_url_splits_and_drops_default_port() {
        let t = client_url(&req("/a", Some("foo.com:80")));
        assert_eq!(t.join(), "http://foo.com/a");
        let mut r = req("/a", Some("foo.com:443"));
        r.headers_mut()
            .insert("x-forwarded-proto", "WSS".parse().unwrap());
        assert_eq!(client_url(&r).join(), "https://foo.com/a");
        assert_eq!(
            client_url(&req("/", Some("[::1]:8080"))).join(),
            "http://[::1]:8080/"
        );
        assert_eq!(client_url(&req("/", Some("[::1]"))).join(), "http://[::1]/");
    }

    #[test]
    fn http2_targets_are_origin_form() {
        let mut r = req("https://foo.com/p?q", None);
        *r.version_mut() = Version::HTTP_2;
        // An HTTP/2 client's `:scheme` is not the connection's: plain HTTP without TLS info.
        assert_eq!(raw_url(&r), "http://foo.com/p?q");
    }
}
