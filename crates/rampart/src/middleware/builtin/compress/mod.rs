//! `compress`: gzip, brotli or zstd, chosen by `Accept-Encoding` (Traefik
//! `pkg/middlewares/compress`).
//!
//! * [`CompressConfig`] — the options, with Traefik's defaults.
//! * `negotiate` — the encoding for a request; media-type matching.
//! * `head` — the first bytes of a response, read before deciding.
//! * `encoder` / `body` — the streaming encoders and the compressing body.
//!
//! A response is compressed when the client accepts an encoding (or `defaultEncoding` applies),
//! the request is not `HEAD` and its `Content-Type` is not excluded (`application/grpc` always
//! is), the response may have a body (not 1xx/204/304), has no `Content-Encoding` and no
//! `Content-Range`, its media type passes `includedContentTypes` / `excludedContentTypes`
//! (sniffed as Go does when it has none), and it has at least `minResponseBodyBytes` bytes: by
//! `Content-Length` when given, else by reading up to that many bytes (or until the upstream
//! pauses, as Traefik decides on a flush). Then `Content-Encoding` is set, `Content-Length` and
//! `Accept-Ranges` are removed, and `Vary: Accept-Encoding` is added.

mod body;
mod encoder;
pub(super) mod head;
mod negotiate;

use std::sync::Arc;

use http::header::{
    ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::Deserialize;

use self::head::Stop;
use self::negotiate::{Encoding, MediaType, parse_media_type};
use super::sniff;
use crate::middleware::{BoxFuture, BuildContext, BuildError, Middleware, Next};
use crate::{Body, Request, Response};

/// Options of `compress`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompressConfig {
    /// Media types never compressed (request or response). Exclusive with the next option.
    #[serde(default)]
    pub excluded_content_types: Vec<String>,
    /// Media types compressed, and no other (response). Exclusive with the previous option.
    #[serde(default)]
    pub included_content_types: Vec<String>,
    /// Smaller responses are not compressed; 0 (or unset) means 1024.
    #[serde(default)]
    pub min_response_body_bytes: i64,
    /// Encodings in priority order (Traefik v3 default: `gzip, br, zstd`).
    #[serde(default = "default_encodings")]
    pub encodings: Vec<String>,
    /// The encoding when the request has no `Accept-Encoding` (or `*` wins).
    #[serde(default)]
    pub default_encoding: String,
}

fn default_encodings() -> Vec<String> {
    ["gzip", "br", "zstd"].map(String::from).to_vec()
}

impl Default for CompressConfig {
    fn default() -> Self {
        CompressConfig {
            excluded_content_types: Vec::new(),
            included_content_types: Vec::new(),
            min_response_body_bytes: 0,
            encodings: default_encodings(),
            default_encoding: String::new(),
        }
    }
}

/// Traefik's (and gzhttp's) default `minResponseBodyBytes`.
const DEFAULT_MIN_SIZE: usize = 1024;

/// The `compress` middleware.
///
/// ```
/// use std::sync::Arc;
/// use rampart::middleware::builtin::compress::{Compress, CompressConfig};
/// use rampart::middleware::{BoxFuture, Endpoint, Middleware, Next};
/// use rampart::{Body, Request, Response};
///
/// struct Page;
/// impl Endpoint for Page {
///     fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
///         Box::pin(async {
///             let mut res = Response::new(Body::from("<p>hello</p>".repeat(200)));
///             res.headers_mut().insert("content-type", "text/html".parse().unwrap());
///             res
///         })
///     }
/// }
///
/// let chain: Vec<Arc<dyn Middleware>> =
///     vec![Arc::new(Compress::new(&CompressConfig::default()).unwrap())];
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let req = http::Request::builder().header("accept-encoding", "br;q=1, gzip;q=0.5")
///     .body(Body::empty()).unwrap();
/// let res = Next::new(&chain, &Page).run(req).await;
/// assert_eq!(res.headers()["content-encoding"], "br");
/// assert_eq!(res.headers()["vary"], "Accept-Encoding");
/// # });
/// ```
#[derive(Debug)]
pub struct Compress {
    excludes: Vec<MediaType>,
    includes: Vec<MediaType>,
    min_size: usize,
    encodings: Vec<Encoding>,
    default_encoding: Option<Encoding>,
}

fn media_types(key: &str, items: &[String]) -> Result<Vec<MediaType>, BuildError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            parse_media_type(v).ok_or_else(|| {
                BuildError::invalid(
                    format!("{key}[{i}]"),
                    format_args!("`{v}` is not a media type"),
                )
            })
        })
        .collect()
}

impl Compress {
    /// Validates `config` as Traefik does: the two content-type lists are exclusive and must
    /// hold media types, at least one known encoding, `defaultEncoding` among them,
    /// `minResponseBodyBytes` ≥ 0.
    pub fn new(config: &CompressConfig) -> Result<Self, BuildError> {
        if !config.excluded_content_types.is_empty() && !config.included_content_types.is_empty() {
            return Err(BuildError::invalid(
                "includedContentTypes",
                "excludedContentTypes and includedContentTypes options are mutually exclusive",
            ));
        }
        let mut excludes = media_types("excludedContentTypes", &config.excluded_content_types)?;
        excludes.insert(0, parse_media_type("application/grpc").expect("constant"));
        let includes = media_types("includedContentTypes", &config.included_content_types)?;
        let min_size = match config.min_response_body_bytes {
            n if n < 0 => {
                return Err(BuildError::invalid(
                    "minResponseBodyBytes",
                    "must be 0 or more",
                ));
            }
            0 => DEFAULT_MIN_SIZE,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        if config.encodings.is_empty() {
            return Err(BuildError::invalid(
                "encodings",
                "at least one encoding must be specified",
            ));
        }
        let encodings = config
            .encodings
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Encoding::parse(e.trim()).ok_or_else(|| {
                    BuildError::invalid(
                        format!("encodings[{i}]"),
                        format_args!("unsupported encoding: {e}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let default_encoding = match config.default_encoding.trim() {
            "" => None,
            d => Some(
                Encoding::parse(d)
                    .filter(|e| encodings.contains(e))
                    .ok_or_else(|| {
                        BuildError::invalid(
                            "defaultEncoding",
                            format_args!("unsupported default encoding: {d}"),
                        )
                    })?,
            ),
        };
        Ok(Compress {
            excludes,
            includes,
            min_size,
            encodings,
            default_encoding,
        })
    }

    /// Whether a response of media type `mt` may be compressed.
    fn allowed(&self, mt: &MediaType) -> bool {
        if self.includes.is_empty() {
            !self.excludes.iter().any(|e| e.matches(mt))
        } else {
            self.includes.iter().any(|i| i.matches(mt))
        }
    }

    async fn respond(&self, encoding: Encoding, mut res: Response) -> Response {
        add_vary(res.headers_mut());
        let status = res.status();
        let headers = res.headers();
        let body_allowed = !(status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED);
        let present = |n| headers.get(n).is_some_and(|v: &HeaderValue| !v.is_empty());
        if !body_allowed || present(CONTENT_ENCODING) || present(CONTENT_RANGE) {
            return res;
        }
        let content_type = headers.get(CONTENT_TYPE).filter(|v| !v.is_empty()).cloned();
        if let Some(ct) = &content_type {
            // An unparsable type is never compressed (as Traefik's handlers).
            match ct.to_str().ok().and_then(parse_media_type) {
                Some(mt) if self.allowed(&mt) => {}
                _ => return res,
            }
        }
        let length = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if length.is_some_and(|l| l < self.min_size as u64) {
            return res;
        }
        let sniff_need = if content_type.is_none() {
            sniff::SNIFF_LEN
        } else {
            0
        };
        let need = if length.is_none() {
            self.min_size.max(sniff_need)
        } else {
            sniff_need
        };
        let (mut parts, mut body) = res.into_parts();
        let (head, stop) = head::read(&mut body, need).await;
        let ended = matches!(stop, Stop::End(_) | Stop::Failed(_));
        let too_small = length.is_none() && ended && head.len() < self.min_size;
        // Without a type, decide on the sniffed one (gzhttp's filter; the header is left unset,
        // as Traefik v3 leaves it unless the contentType middleware is used).
        let sniffed_ok = content_type.is_some()
            || (!head.is_empty()
                && parse_media_type(sniff::detect(&head)).is_some_and(|mt| self.allowed(&mt)));
        // An empty head means an empty body only when the body ended: with both a type and a
        // length nothing needs reading first (`need` is 0), and the head is empty by design.
        let empty = head.is_empty() && ended;
        if too_small || !sniffed_ok || matches!(stop, Stop::Failed(_)) || empty {
            return Response::from_parts(parts, head::rejoin(head, stop, body));
        }
        let enc = match encoder::Encoder::new(encoding) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "compress: cannot create the encoder; sending uncompressed");
                return Response::from_parts(parts, head::rejoin(head, stop, body));
            }
        };
        let rest = head::rejoin(bytes::Bytes::new(), stop, body);
        parts.headers.remove(CONTENT_LENGTH);
        parts.headers.remove(ACCEPT_RANGES);
        parts
            .headers
            .insert(CONTENT_ENCODING, HeaderValue::from_static(encoding.name()));
        Response::from_parts(parts, Body::new(body::CompressBody::new(head, rest, enc)))
    }
}

/// Adds `Accept-Encoding` to `Vary` unless it (or `*`) is already there.
fn add_vary(headers: &mut HeaderMap) {
    let present = headers.get_all(VARY).iter().any(|v| {
        v.to_str()
            .unwrap_or("")
            .split(',')
            .any(|t| t.trim() == "*" || t.trim().eq_ignore_ascii_case("accept-encoding"))
    });
    if !present {
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

impl Middleware for Compress {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        if req.method() == Method::HEAD {
            return next.run(req);
        }
        // A request whose type is excluded (`text/event-stream`, `application/grpc`, …) gets
        // an untouched response (traefik/traefik#2576).
        let request_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_media_type);
        if request_type.is_some_and(|mt| self.excludes.iter().any(|e| e.essence == mt.essence)) {
            return next.run(req);
        }
        let Some(encoding) =
            negotiate::choose(req.headers(), &self.encodings, self.default_encoding)
        else {
            return next.run(req);
        };
        Box::pin(async move {
            let res = next.run(req).await;
            self.respond(encoding, res).await
        })
    }
}

/// The registry constructor for `compress`.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the registry hands over the decoded config by value"
)]
pub(crate) fn build(
    config: CompressConfig,
    _ctx: &dyn BuildContext,
) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(Compress::new(&config)?))
}
