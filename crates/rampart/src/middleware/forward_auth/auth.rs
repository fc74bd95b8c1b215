//! [`ForwardAuth`]: ask the auth backend, then forward the request or relay the answer.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Method, StatusCode, Uri};
use http_body::Body as _;

use super::cache::{Cache, Outcome};
use super::client::{ExchangeError, Transport, read_body};
use super::cookies::SetCookie;
use super::decision::Decision;
use super::deny::{self, Answer, LocationMode};
use super::names::NameSet;
use super::request::{self, Trust};
use super::success::ResponseHeaders;
use crate::error::{ErrorSource, RequestError};
use crate::middleware::{BoxFuture, Middleware, Next, ReservedPath};
use crate::{Body, Request, Response};

/// The user name forwardAuth read from the auth answer's `headerField` header.
///
/// Put in the extensions of the request (for the middlewares after forwardAuth) and of the
/// response (for the access log's `ClientUsername`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientUsername(pub Arc<str>);

/// Traefik's `forwardAuth` middleware, built from a [`ForwardAuthConfig`](super::ForwardAuthConfig).
///
/// Every request is first sent to the auth server: a 2xx answer lets it through (with the
/// configured identity headers copied from the answer), anything else is relayed to the client
/// and the request goes no further. A failure to get an answer is a 500: nothing reaches the
/// upstream (fail closed).
///
/// ```no_run
/// use rampart::middleware::forward_auth::{ForwardAuth, ForwardAuthConfig};
///
/// let v: rampart_config::Value = serde_json::from_str(r#"{
///     "address": "http://127.0.0.1:9000/outpost.goauthentik.io/auth/traefik",
///     "trustForwardHeader": true,
///     "authResponseHeaders": ["X-authentik-username", "X-authentik-groups"]
/// }"#).unwrap();
/// let cfg: ForwardAuthConfig = rampart_config::from_value(&v).unwrap();
/// let auth = ForwardAuth::new(cfg).unwrap();
/// ```
#[derive(Clone)]
pub struct ForwardAuth {
    pub(crate) inner: Arc<Inner>,
}

/// Everything a request needs, compiled from the options.
pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) transport: Transport,
    /// The auth request URI (absolute for `address`, path + query for `authService`).
    pub(crate) auth_uri: Uri,
    /// The origin reserved paths are proxied to (`scheme://authority`), for `address`.
    pub(crate) origin: Option<String>,
    pub(crate) location: LocationMode,
    pub(crate) trust: Trust,
    pub(crate) request_allow: Option<Vec<HeaderName>>,
    pub(crate) request_cookies: Option<NameSet>,
    pub(crate) response_headers: ResponseHeaders,
    pub(crate) add_cookies: NameSet,
    pub(crate) forward_body: bool,
    pub(crate) max_body: Option<u64>,
    pub(crate) max_response_body: Option<u64>,
    pub(crate) header_field: Option<HeaderName>,
    pub(crate) preserve_method: bool,
    pub(crate) signin_url: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) non_navigation_401: bool,
    pub(crate) reserved: Vec<ReservedPath>,
    pub(crate) cache: Option<Cache>,
}

impl std::fmt::Debug for ForwardAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardAuth")
            .field("name", &self.inner.name)
            .field("auth_uri", &self.inner.auth_uri)
            .finish_non_exhaustive()
    }
}

/// Logs a client that went away while the auth call was pending (Traefik's 499): the future
/// is dropped, which aborts the auth request; nothing reaches the upstream.
struct ClientGone<'a> {
    name: &'a str,
    armed: bool,
}

impl Drop for ClientGone<'_> {
    fn drop(&mut self) {
        if self.armed {
            tracing::debug!(
                middleware = self.name,
                status = 499,
                "client closed the request during the auth call"
            );
        }
    }
}

fn exchange_error(e: &ExchangeError) -> RequestError {
    let status = match e {
        // Traefik: a body over maxResponseBodySize is a 401 with an empty body.
        ExchangeError::TooLarge(_) => StatusCode::UNAUTHORIZED,
        ExchangeError::Transport(_) | ExchangeError::Body(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    RequestError::new(ErrorSource::Auth, status, e.to_string())
}

/// A bare status, empty body: what Traefik writes with `rw.WriteHeader(code)`.
fn bare(status: StatusCode) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    res
}

impl ForwardAuth {
    /// The name this middleware was built under (`auth@file`), or `forwardAuth`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The path prefix this middleware serves from the auth backend (`reservedPathPrefix`).
    pub fn reserved_path_prefix(&self) -> Option<&str> {
        self.inner.reserved.first().map(|r| &*r.prefix)
    }

    /// The header-propagation step of a 2xx answer, alone: deletes the client's copies (and
    /// aliases) of the `authResponseHeaders` / `authResponseHeadersRegex` headers from
    /// `request`, then copies the auth answer's values.
    ///
    /// ```
    /// use rampart::middleware::forward_auth::{ForwardAuth, ForwardAuthConfig};
    /// let v: rampart_config::Value = serde_json::from_str(
    ///     r#"{"address": "http://127.0.0.1:1/auth", "authResponseHeaders": ["Remote-User"]}"#,
    /// ).unwrap();
    /// let auth = ForwardAuth::new(rampart_config::from_value::<ForwardAuthConfig>(&v).unwrap()).unwrap();
    /// let mut req = http::HeaderMap::new();
    /// req.insert("remote_user", "admin".parse().unwrap());
    /// let mut answer = http::HeaderMap::new();
    /// answer.insert("remote-user", "alice".parse().unwrap());
    /// auth.copy_auth_response_headers(&mut req, &answer);
    /// assert_eq!(req.len(), 1);
    /// assert_eq!(req["remote-user"], "alice");
    /// ```
    pub fn copy_auth_response_headers(&self, request: &mut HeaderMap, auth_response: &HeaderMap) {
        self.inner.response_headers.apply(request, auth_response);
    }

    /// [`copy_auth_response_headers`](Self::copy_auth_response_headers) with an answer the
    /// caller gives away: its names and values move onto `request` (what forwardAuth does with
    /// the answer it just read).
    ///
    /// ```
    /// use rampart::middleware::forward_auth::{ForwardAuth, ForwardAuthConfig};
    /// let v: rampart_config::Value = serde_json::from_str(
    ///     r#"{"address": "http://127.0.0.1:1/auth", "authResponseHeaders": ["Remote-User"]}"#,
    /// ).unwrap();
    /// let auth = ForwardAuth::new(rampart_config::from_value::<ForwardAuthConfig>(&v).unwrap()).unwrap();
    /// let mut req = http::HeaderMap::new();
    /// req.insert("remote.user", "admin".parse().unwrap());
    /// let mut answer = http::HeaderMap::new();
    /// answer.insert("remote-user", "alice".parse().unwrap());
    /// answer.insert("x-unlisted", "dropped".parse().unwrap());
    /// auth.move_auth_response_headers(&mut req, answer);
    /// assert_eq!(req.len(), 1);
    /// assert_eq!(req["remote-user"], "alice");
    /// ```
    pub fn move_auth_response_headers(&self, request: &mut HeaderMap, auth_response: HeaderMap) {
        self.inner
            .response_headers
            .apply_owned(request, auth_response);
    }

    /// Builds the auth request for the client request `parts`.
    fn auth_request(&self, parts: &Parts, body: Option<Bytes>) -> http::Request<Body> {
        let inner = &*self.inner;
        let mut headers = request::auth_headers(parts, inner.trust, inner.request_allow.as_deref());
        if let Some(only) = &inner.request_cookies {
            filter_cookies(&mut headers, only);
        }
        let method = if inner.preserve_method {
            parts.method.clone()
        } else {
            Method::GET
        };
        let mut req = http::Request::new(body.map_or_else(Body::empty, Body::from));
        *req.method_mut() = method;
        *req.uri_mut() = inner.auth_uri.clone();
        *req.headers_mut() = headers;
        req
    }

    /// One auth exchange, bounded by the timeout.
    async fn exchange(inner: &Inner, req: http::Request<Body>) -> Outcome {
        let work = async {
            let res = inner
                .transport
                .send(req)
                .await
                .map_err(|e| exchange_error(&e))?;
            let (parts, body) = res.into_parts();
            if parts.status.is_informational() {
                // A 1xx is never a final answer (a 101 to a plain GET is a broken or hostile
                // auth server): not relayable, and certainly not an allow.
                return Err(RequestError::new(
                    ErrorSource::Auth,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("auth server answered {}", parts.status),
                ));
            }
            let body = read_body(body, inner.max_response_body)
                .await
                .map_err(|e| exchange_error(&e))?;
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(inner.timeout, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(RequestError::new(
                ErrorSource::Auth,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("no auth answer within {:?}", inner.timeout),
            )),
        }
    }

    /// The auth decision for `parts`: from the cache, from a coalesced flight, or asked.
    async fn decide(&self, parts: &Parts, body: Option<Bytes>) -> Decision {
        let Some(cache) = &self.inner.cache else {
            let req = self.auth_request(parts, body);
            return Decision::Asked(Self::exchange(&self.inner, req).await);
        };
        let key = cache.key(parts);
        if let Some(hit) = cache.get(&key) {
            return Decision::Cached(hit);
        }
        let key: Arc<[u8]> = key.into();
        let req = self.auth_request(parts, body.clone());
        let inner = self.inner.clone();
        let flight_key = key.clone();
        let (flight, leader) = cache.flight(&key, move || {
            Box::pin(async move {
                let outcome = Self::exchange(&inner, req).await;
                if let (Some(cache), Ok(answer)) = (&inner.cache, &outcome) {
                    cache.put(&flight_key, answer);
                }
                if let Some(cache) = &inner.cache {
                    cache.land(&flight_key);
                }
                Arc::new(outcome)
            })
        });
        let outcome = flight.await;
        let shareable = match &*outcome {
            Ok(a) => a.status.is_success() && !a.headers.contains_key(header::SET_COOKIE),
            Err(_) => true,
        };
        if leader || shareable {
            return Decision::Shared(outcome);
        }
        // A denial (or an answer with cookies) belongs to the client that asked: ask again.
        let req = self.auth_request(parts, body);
        Decision::Asked(Self::exchange(&self.inner, req).await)
    }

    async fn run<'a>(&'a self, req: Request, next: Next<'a>) -> Response {
        let inner = &*self.inner;
        if let Some(reserved) = inner.reserved.first()
            && reserved.matches(req.uri().path())
        {
            return super::reserved::proxy(self, req).await;
        }
        let (mut parts, body) = req.into_parts();

        // forwardBody: buffer (bounded) and send; CONNECT with an unknown length is tunnel data.
        let connect_stream = parts.method == Method::CONNECT && body.size_hint().exact().is_none();
        let (auth_body, body) = if inner.forward_body && !connect_stream {
            match read_body(body, inner.max_body).await {
                Ok(bytes) if bytes.is_empty() => (None, Body::empty()),
                Ok(bytes) => (Some(bytes.clone()), Body::from(bytes)),
                Err(ExchangeError::TooLarge(limit)) => {
                    tracing::debug!(middleware = %inner.name, limit, "request body larger than maxBodySize");
                    return bare(StatusCode::UNAUTHORIZED);
                }
                Err(e) => {
                    tracing::debug!(middleware = %inner.name, error = %e, "reading the request body");
                    return bare(StatusCode::INTERNAL_SERVER_ERROR);
                }
            }
        } else {
            (None, body)
        };

        let mut gone = ClientGone {
            name: &inner.name,
            armed: true,
        };
        let decision = self.decide(&parts, auth_body).await;
        gone.armed = false;

        let answer = match decision.outcome() {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(middleware = %inner.name, error = %e, "forwardAuth");
                return if e.status == StatusCode::UNAUTHORIZED {
                    bare(e.status)
                } else {
                    e.clone().into_response()
                };
            }
        };
        let username = inner.header_field.as_ref().and_then(|h| {
            answer
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(|v| ClientUsername(Arc::from(v)))
        });

        if !answer.status.is_success() {
            let mut res = self.denied(answer, &parts);
            if let Some(u) = username {
                res.extensions_mut().insert(u);
            }
            return res;
        }

        let auth_cookies: Vec<SetCookie> = answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(SetCookie::parse)
            .collect();
        decision.propagate(&inner.response_headers, &mut parts.headers);
        if let Some(u) = &username {
            parts.extensions.insert(u.clone());
        }
        let mut res = next.run(Request::from_parts(parts, body)).await;
        if !auth_cookies.is_empty() {
            merge_cookies(res.headers_mut(), &auth_cookies, &inner.add_cookies);
        }
        if let Some(u) = username {
            res.extensions_mut().insert(u);
        }
        res
    }

    /// The client's answer to a non-2xx auth answer.
    fn denied(&self, answer: &Answer, parts: &Parts) -> Response {
        let inner = &*self.inner;
        if let Some(url) = &inner.signin_url
            && answer.status == StatusCode::UNAUTHORIZED
        {
            return deny::signin_redirect(url, parts);
        }
        if inner.non_navigation_401 && deny::is_non_navigation(parts, request::is_websocket(parts))
        {
            match deny::non_navigation_401(answer, &inner.location) {
                Ok(Some(res)) => return res,
                Ok(None) => {}
                Err(e) => return e.into_response(),
            }
        }
        deny::relay(answer, &inner.location).unwrap_or_else(RequestError::into_response)
    }
}

/// Keeps only the cookies named in `only` in the `Cookie` headers (`authRequestCookies`).
fn filter_cookies(headers: &mut HeaderMap, only: &NameSet) {
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| only.contains(pair.split_once('=').map_or(*pair, |(n, _)| n)))
        .map(str::to_owned)
        .collect();
    headers.remove(header::COOKIE);
    if !kept.is_empty()
        && let Ok(v) = HeaderValue::from_str(&kept.join("; "))
    {
        headers.insert(header::COOKIE, v);
    }
}

/// Traefik's `buildModifier`: the backend's cookies not named in `addAuthCookiesToResponse`,
/// re-serialised as Go does, then the auth answer's cookies that are named there.
fn merge_cookies(headers: &mut HeaderMap, auth: &[SetCookie], add: &NameSet) {
    let backend: Vec<SetCookie> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(SetCookie::parse)
        .collect();
    headers.remove(header::SET_COOKIE);
    let chosen = backend
        .iter()
        .filter(|c| !add.contains(&c.name))
        .chain(auth.iter().filter(|c| add.contains(&c.name)));
    for c in chosen {
        if let Ok(v) = HeaderValue::from_str(&c.serialize()) {
            headers.append(header::SET_COOKIE, v);
        }
    }
}

impl Middleware for ForwardAuth {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        Box::pin(self.run(req, next))
    }

    fn reserved_paths(&self) -> &[ReservedPath] {
        &self.inner.reserved
    }
}
