//! The auth decision cache (rampart extension): positive answers reused for a short time, and
//! identical auth requests in flight coalesced into one.
//!
//! Safety rules, each a test:
//! * only 2xx answers are stored, and only without `Set-Cookie` and without
//!   `Cache-Control: no-store` / `no-cache`; `max-age` / `s-maxage` cap the TTL;
//! * the key holds the host, the method, the configured part of the target (`keyScope`,
//!   default the whole URI) and the credentials (`keyHeaders`, `keyCookies`), length-prefixed,
//!   compared whole (no hash collision can hand one user's identity to another);
//! * a coalesced request reuses a 2xx or a transport failure, never a denial: a denial may
//!   carry a login session (`Set-Cookie`) that belongs to one client only.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{FutureExt, Shared, WeakShared};
use http::header::{self, HeaderName};
use http::request::Parts;
use tokio::time::Instant;

use super::config::KeyScope;
use super::deny::Answer;
use super::names::NameSet;
use super::request::{is_websocket, request_host};
use crate::error::RequestError;
use crate::middleware::BoxFuture;

/// The result of one auth exchange, shared by the requests that waited for it.
pub(crate) type Outcome = Result<Answer, RequestError>;

/// An exchange in flight, pollable by every request that waits for it.
pub(crate) type Flight = Shared<BoxFuture<'static, Arc<Outcome>>>;
type WeakFlight = WeakShared<BoxFuture<'static, Arc<Outcome>>>;

struct Entry {
    answer: Arc<Answer>,
    expires: Instant,
    serial: u64,
}

#[derive(Default)]
struct Store {
    map: HashMap<Arc<[u8]>, Entry>,
    order: VecDeque<(Arc<[u8]>, u64)>,
    serial: u64,
}

/// The cache of one forwardAuth middleware.
pub(crate) struct Cache {
    ttl: Duration,
    max_entries: usize,
    key_headers: Vec<HeaderName>,
    key_cookies: Option<NameSet>,
    scope: KeyScope,
    trusted_forwarded: bool,
    store: Mutex<Store>,
    flights: Mutex<HashMap<Arc<[u8]>, WeakFlight>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

/// The `X-Forwarded-*` an auth server decides on, kept in the key when they are trusted.
const FORWARDED_IN_KEY: [HeaderName; 6] = [
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-uri"),
    HeaderName::from_static("x-forwarded-method"),
    HeaderName::from_static("x-forwarded-port"),
    HeaderName::from_static("x-forwarded-prefix"),
];

fn push_field(key: &mut Vec<u8>, bytes: &[u8]) {
    key.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
    key.extend_from_slice(bytes);
}

impl Cache {
    pub(crate) fn new(
        ttl: Duration,
        max_entries: usize,
        key_headers: Vec<HeaderName>,
        key_cookies: Option<NameSet>,
        scope: KeyScope,
        trusted_forwarded: bool,
    ) -> Self {
        Cache {
            ttl,
            max_entries: max_entries.max(1),
            key_headers,
            key_cookies,
            scope,
            trusted_forwarded,
            store: Mutex::new(Store::default()),
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// The key of a request (looked up as is; shared as an `Arc<[u8]>` only when stored).
    pub(crate) fn key(&self, parts: &Parts) -> Vec<u8> {
        let mut key = Vec::with_capacity(256);
        let host = request_host(parts).as_bytes();
        push_field(&mut key, host);
        let start = key.len() - host.len();
        key[start..].make_ascii_lowercase();
        push_field(&mut key, parts.method.as_str().as_bytes());
        // The scheme the auth server is told: TLS or not, websocket or not (Authelia refuses
        // `http` targets; a decision for https must not answer an http request).
        let tls = parts
            .extensions
            .get::<Arc<crate::ConnInfo>>()
            .is_some_and(|c| c.is_tls());
        push_field(&mut key, &[u8::from(tls), u8::from(is_websocket(parts))]);
        // With trusted X-Forwarded-* the auth server decides on those values, not on the
        // request line: they are part of the key.
        if self.trusted_forwarded {
            for name in &FORWARDED_IN_KEY {
                for v in parts.headers.get_all(name) {
                    push_field(&mut key, v.as_bytes());
                }
                push_field(&mut key, b"");
            }
        }
        match self.scope {
            KeyScope::Uri => {
                let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                push_field(&mut key, pq.as_bytes());
            }
            KeyScope::Path => push_field(&mut key, parts.uri.path().as_bytes()),
            KeyScope::Host => push_field(&mut key, b""),
        }
        for name in &self.key_headers {
            push_field(&mut key, name.as_str().as_bytes());
            if *name == header::COOKIE
                && let Some(only) = &self.key_cookies
            {
                for cookie in parts.headers.get_all(header::COOKIE) {
                    for pair in cookie.to_str().unwrap_or("").split(';') {
                        let pair = pair.trim();
                        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
                        if only.contains(name) {
                            push_field(&mut key, pair.as_bytes());
                        }
                    }
                }
                continue;
            }
            for v in parts.headers.get_all(name) {
                push_field(&mut key, v.as_bytes());
            }
        }
        key
    }

    /// A fresh positive answer for `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Arc<Answer>> {
        let store = self.store.lock().ok()?;
        let entry = store.map.get(key)?;
        (entry.expires > Instant::now()).then(|| entry.answer.clone())
    }

    /// Stores `answer` if it may be reused (see the module docs).
    pub(crate) fn put(&self, key: &Arc<[u8]>, answer: &Answer) {
        let Some(ttl) = self.ttl_for(answer) else {
            return;
        };
        let stored = Arc::new(Answer {
            status: answer.status,
            headers: answer.headers.clone(),
            body: bytes::Bytes::new(),
        });
        let Ok(mut store) = self.store.lock() else {
            return;
        };
        let now = Instant::now();
        while store.map.len() >= self.max_entries {
            // Expired entries first, then the oldest.
            store.map.retain(|_, e| e.expires > now);
            if store.map.len() < self.max_entries {
                break;
            }
            let Some((old, serial)) = store.order.pop_front() else {
                break;
            };
            if store.map.get(&old).is_some_and(|e| e.serial == serial) {
                store.map.remove(&old);
            }
        }
        store.serial += 1;
        let serial = store.serial;
        store.order.push_back((key.clone(), serial));
        if store.order.len() > self.max_entries * 2 {
            let live = &store.map;
            let order: VecDeque<_> = store
                .order
                .iter()
                .filter(|(k, s)| live.get(k).is_some_and(|e| e.serial == *s))
                .cloned()
                .collect();
            store.order = order;
        }
        store.map.insert(
            key.clone(),
            Entry {
                answer: stored,
                expires: now + ttl,
                serial,
            },
        );
    }

    /// How long `answer` may be reused, if at all.
    fn ttl_for(&self, answer: &Answer) -> Option<Duration> {
        if !answer.status.is_success() || answer.headers.contains_key(header::SET_COOKIE) {
            return None;
        }
        let mut ttl = self.ttl;
        let mut max_age = None;
        let mut s_maxage = None;
        for v in answer.headers.get_all(header::CACHE_CONTROL) {
            for directive in v.to_str().unwrap_or("no-store").split(',') {
                let directive = directive.trim().to_ascii_lowercase();
                let (name, value) = directive.split_once('=').unwrap_or((&directive, ""));
                let secs = || value.trim_matches('"').parse::<u64>().ok();
                match name.trim() {
                    // `no-cache` means "revalidate before each reuse": for a decision that is
                    // asking again, so it is not stored. `private` is fine: every entry is
                    // keyed by the client's own credentials.
                    "no-store" | "no-cache" => return None,
                    "max-age" => max_age = Some(secs().unwrap_or(0)),
                    "s-maxage" => s_maxage = Some(secs().unwrap_or(0)),
                    _ => {}
                }
            }
        }
        if let Some(secs) = s_maxage.or(max_age) {
            ttl = ttl.min(Duration::from_secs(secs));
        }
        (!ttl.is_zero()).then_some(ttl)
    }

    /// The flight for `key`: the one in progress, or a new one running `start`.
    pub(crate) fn flight(
        &self,
        key: &Arc<[u8]>,
        start: impl FnOnce() -> BoxFuture<'static, Arc<Outcome>>,
    ) -> (Flight, bool) {
        let mut flights = self
            .flights
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(flight) = flights.get(key).and_then(WeakShared::upgrade) {
            return (flight, false);
        }
        if flights.len() >= 1024 {
            flights.retain(|_, w| w.upgrade().is_some());
        }
        let flight = start().shared();
        if let Some(weak) = flight.downgrade() {
            flights.insert(key.clone(), weak);
        }
        (flight, true)
    }

    /// Ends the flight of `key` (called by the flight itself when it completes).
    pub(crate) fn land(&self, key: &[u8]) {
        if let Ok(mut flights) = self.flights.lock() {
            flights.remove(key);
        }
    }

    /// Entries stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.store.lock().map_or(0, |s| s.map.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, StatusCode};

    fn answer(status: u16, headers: &[(&str, &str)]) -> Answer {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: bytes::Bytes::new(),
        }
    }

    fn cache() -> Cache {
        Cache::new(
            Duration::from_secs(5),
            2,
            vec![header::AUTHORIZATION, header::COOKIE],
            None,
            KeyScope::Uri,
            true,
        )
    }

    #[test]
    fn only_reusable_answers_get_a_ttl() {
        let c = cache();
        assert_eq!(c.ttl_for(&answer(200, &[])), Some(Duration::from_secs(5)));
        assert_eq!(
            c.ttl_for(&answer(202, &[("cache-control", "max-age=2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            c.ttl_for(&answer(200, &[("cache-control", "private, max-age=60")])),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            c.ttl_for(&answer(200, &[("cache-control", "max-age=60, s-maxage=1")])),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            c.ttl_for(&answer(200, &[("cache-control", "max-age=0")])),
            None
        );
        assert_eq!(
            c.ttl_for(&answer(200, &[("cache-control", "no-store")])),
            None
        );
        assert_eq!(
            c.ttl_for(&answer(200, &[("cache-control", "No-Cache")])),
            None
        );
        assert_eq!(c.ttl_for(&answer(200, &[("set-cookie", "s=1")])), None);
        assert_eq!(c.ttl_for(&answer(302, &[])), None);
        assert_eq!(c.ttl_for(&answer(401, &[])), None);
    }

    fn parts(uri: &str, cookie: Option<&str>) -> Parts {
        let mut b = http::Request::builder().uri(uri).header("host", "app.test");
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn keys_separate_users_and_targets() {
        let c = cache();
        let a = c.key(&parts("/a", Some("s=1")));
        assert_eq!(a, c.key(&parts("/a", Some("s=1"))));
        assert_ne!(a, c.key(&parts("/a", Some("s=2"))));
        assert_ne!(a, c.key(&parts("/a", None)));
        assert_ne!(a, c.key(&parts("/b", Some("s=1"))));
        assert_ne!(a, c.key(&parts("/a?x", Some("s=1"))));
        let mut spoofed = parts("/a", Some("s=1"));
        spoofed
            .headers
            .insert("x-forwarded-uri", HeaderValue::from_static("/public"));
        assert_ne!(a, c.key(&spoofed), "trusted X-Forwarded-Uri is in the key");
        let mut tls = parts("/a", Some("s=1"));
        let info = crate::ConnInfo::with_tls(
            "127.0.0.1:1".parse().unwrap(),
            "websecure",
            crate::context::TlsInfo::default(),
        );
        tls.extensions.insert(Arc::new(info));
        assert_ne!(a, c.key(&tls), "https and http are decided apart");

        let only = Cache::new(
            Duration::from_secs(5),
            2,
            vec![header::COOKIE],
            Some(NameSet::new(&["s"])),
            KeyScope::Host,
            false,
        );
        assert_eq!(
            only.key(&parts("/a", Some("s=1; theme=dark"))),
            only.key(&parts("/b", Some("theme=light; s=1")))
        );
        assert_ne!(
            only.key(&parts("/a", Some("s=1"))),
            only.key(&parts("/a", Some("s=2")))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_and_are_bounded() {
        let c = cache();
        let keys: Vec<Arc<[u8]>> = (0..3)
            .map(|i| c.key(&parts(&format!("/{i}"), None)).into())
            .collect();
        for k in &keys {
            c.put(k, &answer(200, &[("x-user", "u")]));
        }
        assert_eq!(c.len(), 2);
        assert!(c.get(&keys[0]).is_none(), "oldest evicted");
        assert!(c.get(&keys[2]).is_some());
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(c.get(&keys[2]).is_none(), "expired");
    }
}
