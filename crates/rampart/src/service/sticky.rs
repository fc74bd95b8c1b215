//! Sticky sessions by cookie (Traefik's `loadbalancer.Sticky` and `cookie.GetName`).
//!
//! The cookie value names a server without revealing it: the first 16 hex digits of the SHA-256
//! of the server's name (its URL in a load balancer, the child service name in `weighted`).
//! Older Traefik cookies (the raw name, its FNV-64 hash, or the FNV of the FNV) still pin, and
//! are rewritten to the SHA-256 form.

use std::collections::HashMap;
use std::fmt::Write as _;

use cookie::{Cookie, SameSite};
use http::HeaderValue;
use http::header::{COOKIE, SET_COOKIE};

use super::spec::StickyCookieSpec;
use crate::{Request, Response};

/// A compiled `sticky.cookie`.
#[derive(Debug)]
pub(super) struct Sticky {
    name: String,
    /// Cookie value → index, for the current hash.
    current: HashMap<String, usize>,
    /// Legacy cookie values → index.
    legacy: HashMap<String, usize>,
    /// Index → the `Set-Cookie` header value, built once.
    set_cookie: Vec<HeaderValue>,
}

impl Sticky {
    /// Sticky cookies for `names` (servers or child services) of service `service`.
    pub(super) fn new(spec: &StickyCookieSpec, service: &str, names: &[&str]) -> Self {
        let name = cookie_name(spec.name.as_deref().unwrap_or(""), service);
        let mut current = HashMap::new();
        let mut legacy = HashMap::new();
        let mut set_cookie = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let hash = sha256_16(n);
            current.insert(hash.clone(), i);
            legacy.insert((*n).to_owned(), i);
            let fnv = fnv64_hex(n);
            legacy.insert(fnv64_hex(&fnv), i);
            legacy.insert(fnv, i);
            set_cookie.push(render(&name, &hash, spec));
        }
        Sticky {
            name,
            current,
            legacy,
            set_cookie,
        }
    }

    /// The cookie name in use.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The index the request's cookie pins, and whether the cookie must be rewritten (a legacy
    /// value).
    pub(super) fn pinned(&self, req: &Request) -> Option<(usize, bool)> {
        for header in req.headers().get_all(COOKIE) {
            let Ok(header) = header.to_str() else {
                continue;
            };
            for c in Cookie::split_parse(header).flatten() {
                if c.name() != self.name {
                    continue;
                }
                if let Some(&i) = self.current.get(c.value()) {
                    return Some((i, false));
                }
                if let Some(&i) = self.legacy.get(c.value()) {
                    return Some((i, true));
                }
            }
        }
        None
    }

    /// Adds the cookie pinning `index` to a response.
    pub(super) fn write(&self, res: &mut Response, index: usize) {
        if let Some(v) = self.set_cookie.get(index) {
            res.headers_mut().append(SET_COOKIE, v.clone());
        }
    }
}

fn render(name: &str, value: &str, spec: &StickyCookieSpec) -> HeaderValue {
    let mut c = Cookie::new(name.to_owned(), value.to_owned());
    c.set_path(spec.path.clone().unwrap_or_else(|| "/".to_owned()));
    if let Some(d) = spec.domain.as_deref().filter(|d| !d.is_empty()) {
        c.set_domain(d.to_owned());
    }
    c.set_http_only(spec.http_only.then_some(true));
    c.set_secure(spec.secure.then_some(true));
    match spec
        .same_site
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("none") => c.set_same_site(SameSite::None),
        Some("lax") => c.set_same_site(SameSite::Lax),
        Some("strict") => c.set_same_site(SameSite::Strict),
        _ => {}
    }
    // Go's http.Cookie: MaxAge > 0 is sent as is, MaxAge < 0 as `Max-Age=0` (delete now).
    if spec.max_age != 0 {
        c.set_max_age(cookie::time::Duration::seconds(spec.max_age.max(0)));
    }
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Traefik's `cookie.GetName`: the configured name with non-token characters replaced by `_`,
/// or `_` + the first 5 hex digits of SHA-1(`_TRAEFIK_BACKEND_` + service name).
pub(super) fn cookie_name(configured: &str, service: &str) -> String {
    if !configured.is_empty() {
        return configured
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "!#$%&'*+-.^`|~".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
    }
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("_TRAEFIK_BACKEND_{service}").as_bytes(),
    );
    let mut name = String::from("_");
    name.push_str(&hex(digest.as_ref())[..5]);
    name
}

fn sha256_16(input: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, input.as_bytes());
    hex(&digest.as_ref()[..8])
}

/// Go's `fnv.New64` (FNV-1, not FNV-1a), formatted as `strconv.FormatUint(h, 16)`.
fn fnv64_hex(input: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in input.bytes() {
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        h ^= u64::from(b);
    }
    format!("{h:x}")
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_traefik() {
        assert_eq!(cookie_name("my cookie;x", "svc"), "my_cookie_x");
        let derived = cookie_name("", "whoami@file");
        assert_eq!(derived.len(), 6);
        assert!(derived.starts_with('_'));
        assert_ne!(derived, cookie_name("", "other@file"));
    }

    #[test]
    fn value_is_a_hash_not_the_address_and_legacy_values_pin() {
        let spec = StickyCookieSpec {
            name: Some("lb".into()),
            http_only: true,
            same_site: Some("Strict".into()),
            max_age: 60,
            ..StickyCookieSpec::default()
        };
        let s = Sticky::new(&spec, "svc", &["http://10.0.0.1:80", "http://10.0.0.2:80"]);
        let mut res = Response::new(crate::Body::empty());
        s.write(&mut res, 1);
        let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(!set.contains("10.0.0.2"), "{set}");
        assert!(set.starts_with(&format!("lb={}", sha256_16("http://10.0.0.2:80"))));
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=60"] {
            assert!(set.contains(attr), "{set} lacks {attr}");
        }
        let value = set.split(';').next().unwrap().to_owned();
        let req = http::Request::builder()
            .header("cookie", format!("a=b; {value}"))
            .body(crate::Body::empty())
            .unwrap();
        assert_eq!(s.pinned(&req), Some((1, false)));
        let legacy = format!("lb={}", fnv64_hex("http://10.0.0.1:80"));
        let req = http::Request::builder()
            .header("cookie", legacy)
            .body(crate::Body::empty())
            .unwrap();
        assert_eq!(s.pinned(&req), Some((0, true)));
    }

    #[test]
    fn fnv_matches_go() {
        // Go: fnv.New64().Write([]byte("a")) → 0xaf63bd4c8601b7be.
        assert_eq!(fnv64_hex("a"), "af63bd4c8601b7be");
    }
}
