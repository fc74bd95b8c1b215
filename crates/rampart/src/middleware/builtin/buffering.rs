//! `buffering`: reads the whole request before sending it on, and the whole response before
//! answering, each kept in memory up to a threshold and in a temporary file past it (oxy's
//! `buffer`, which Traefik uses).
//!
//! * `maxRequestBodyBytes` (0: no limit): a larger request gets `413 Request Entity Too Large`
//!   (refused at once when `Content-Length` says so);
//! * `memRequestBodyBytes` (default 1 MiB): past this, the request body goes to disk;
//! * `maxResponseBodyBytes` (0: no limit): a larger response becomes a `500`;
//! * `memResponseBodyBytes` (default 1 MiB);
//! * `retryExpression`: replays the buffered request while it holds, with `IsNetworkError()`
//!   (the last status was 502 or 504), `Attempts()` (starting at 1), `ResponseCode()` and
//!   `RequestMethod()`; at most 10 attempts, as oxy.
//!
//! The forwarded request has a `Content-Length` (no longer chunked); so does the response.
//! A `101 Switching Protocols` answer is passed through untouched.

mod spool;

use http::{HeaderValue, Method, StatusCode};
use serde::Deserialize;

use self::spool::{Spool, SpoolError};
use super::expression::{Env, Program, RetryFunction, Value};
use crate::error::{ErrorSource, RequestError, status_response};
use crate::middleware::{BoxFuture, BuildError, Middleware, Next};
use crate::{Request, Response};

const DEFAULT_MEM: u64 = 1 << 20;
/// oxy's `DefaultMaxRetryAttempts`.
const MAX_ATTEMPTS: i64 = 10;

/// `buffering` options.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BufferingConfig {
    #[serde(default)]
    max_request_body_bytes: i64,
    #[serde(default)]
    mem_request_body_bytes: i64,
    #[serde(default)]
    max_response_body_bytes: i64,
    #[serde(default)]
    mem_response_body_bytes: i64,
    #[serde(default)]
    retry_expression: String,
}

/// The `buffering` middleware.
///
/// ```
/// use rampart::middleware::builtin::buffering::{Buffering, BufferingConfig};
/// // The guide's `middlewares-buffering`.
/// let cfg: BufferingConfig = rampart_config::from_value(&serde_json::from_str(r#"{
///     "maxRequestBodyBytes": 10485760, "memRequestBodyBytes": 2097152,
///     "maxResponseBodyBytes": 10485760, "memResponseBodyBytes": 2097152,
///     "retryExpression": "IsNetworkError() && Attempts() <= 2"
/// }"#).unwrap()).unwrap();
/// assert!(Buffering::new(&cfg).is_ok());
/// ```
#[derive(Debug)]
pub struct Buffering {
    max_request: Option<u64>,
    mem_request: u64,
    max_response: Option<u64>,
    mem_response: u64,
    retry: Option<Program>,
}

struct Attempt<'a> {
    number: i64,
    status: u16,
    method: &'a Method,
}

impl Env for Attempt<'_> {
    fn call(&self, function: usize, _args: &[Value]) -> Value {
        match RetryFunction::from_index(function) {
            Some(RetryFunction::IsNetworkError) => Value::Bool(matches!(self.status, 502 | 504)),
            Some(RetryFunction::Attempts) => Value::Int(self.number),
            Some(RetryFunction::ResponseCode) => Value::Int(i64::from(self.status)),
            _ => Value::Str(self.method.as_str().to_owned()),
        }
    }
}

impl Buffering {
    /// Builds the middleware, compiling `retryExpression`.
    pub fn new(cfg: &BufferingConfig) -> Result<Self, BuildError> {
        let size = |v: i64, key: &str| -> Result<u64, BuildError> {
            u64::try_from(v).map_err(|_| BuildError::invalid(key, "must be 0 or more"))
        };
        let max = |v: i64, key: &str| size(v, key).map(|n| (n > 0).then_some(n));
        let mem = |v: i64, key: &str| size(v, key).map(|n| if n == 0 { DEFAULT_MEM } else { n });
        let retry = if cfg.retry_expression.trim().is_empty() {
            None
        } else {
            Some(
                Program::compile(&cfg.retry_expression, RetryFunction::SIGNATURES)
                    .map_err(|e| BuildError::invalid("retryExpression", e))?,
            )
        };
        Ok(Buffering {
            max_request: max(cfg.max_request_body_bytes, "maxRequestBodyBytes")?,
            mem_request: mem(cfg.mem_request_body_bytes, "memRequestBodyBytes")?,
            max_response: max(cfg.max_response_body_bytes, "maxResponseBodyBytes")?,
            mem_response: mem(cfg.mem_response_body_bytes, "memResponseBodyBytes")?,
            retry,
        })
    }

    async fn serve(&self, req: Request, next: Next<'_>) -> Response {
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if let (Some(max), Some(len)) = (self.max_request, declared)
            && len > max
        {
            return status_response(StatusCode::PAYLOAD_TOO_LARGE);
        }
        let (mut parts, body) = req.into_parts();
        let spool = match Spool::read(body, self.mem_request, self.max_request).await {
            Ok(s) => s,
            Err(SpoolError::TooLarge) => return status_response(StatusCode::PAYLOAD_TOO_LARGE),
            Err(SpoolError::Body(e)) => {
                return RequestError::new(
                    ErrorSource::Downstream,
                    StatusCode::BAD_REQUEST,
                    format!("reading the request body: {e}"),
                )
                .into_response();
            }
            Err(SpoolError::Io(e)) => return internal(&e),
        };
        parts.headers.remove(http::header::TRANSFER_ENCODING);
        if spool.len() > 0 || declared.is_some() {
            parts
                .headers
                .insert(http::header::CONTENT_LENGTH, HeaderValue::from(spool.len()));
        }
        let mut attempt = 1;
        loop {
            let body = match spool.body() {
                Ok(b) => b,
                Err(e) => return internal(&e),
            };
            let res = next.run(Request::from_parts(parts.clone(), body)).await;
            if res.status() == StatusCode::SWITCHING_PROTOCOLS {
                return res;
            }
            let status = res.status().as_u16();
            let retry = attempt < MAX_ATTEMPTS
                && self.retry.as_ref().is_some_and(|p| {
                    p.eval(&Attempt {
                        number: attempt,
                        status,
                        method: &parts.method,
                    })
                });
            if retry {
                tracing::debug!(attempt, status, "buffering: retrying");
                attempt += 1;
                continue;
            }
            return self.buffer_response(&parts.method, res).await;
        }
    }

    async fn buffer_response(&self, method: &Method, res: Response) -> Response {
        let (mut parts, body) = res.into_parts();
        if !expects_body(method, &parts) {
            return Response::from_parts(parts, body);
        }
        let spool = match Spool::read(body, self.mem_response, self.max_response).await {
            Ok(s) => s,
            Err(SpoolError::TooLarge) => {
                tracing::debug!("buffering: response over maxResponseBodyBytes");
                return status_response(StatusCode::INTERNAL_SERVER_ERROR);
            }
            Err(SpoolError::Body(e)) => {
                return RequestError::new(
                    ErrorSource::Upstream,
                    StatusCode::BAD_GATEWAY,
                    format!("reading the response body: {e}"),
                )
                .into_response();
            }
            Err(SpoolError::Io(e)) => return internal(&e),
        };
        parts.headers.remove(http::header::TRANSFER_ENCODING);
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(spool.len()));
        match spool.body() {
            Ok(body) => Response::from_parts(parts, body),
            Err(e) => internal(&e),
        }
    }
}

fn internal(e: &std::io::Error) -> Response {
    RequestError::new(
        ErrorSource::Internal,
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("buffering to a temporary file: {e}"),
    )
    .into_response()
}

/// oxy's `expectBody` (RFC 9110 §6.4.1).
fn expects_body(method: &Method, parts: &http::response::Parts) -> bool {
    let s = parts.status.as_u16();
    if method == Method::HEAD || (100..200).contains(&s) || s == 204 || s == 304 {
        return false;
    }
    if parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .is_some_and(|v| v == "0")
    {
        return false;
    }
    parts.headers.get("grpc-status").is_none_or(|v| v == "0")
}

impl Middleware for Buffering {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Response> {
        Box::pin(self.serve(req, next))
    }
}

#[cfg(test)]
mod tests;
