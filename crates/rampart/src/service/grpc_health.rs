//! `healthCheck.mode: grpc`: the gRPC Health Checking Protocol v1, spoken directly.
//!
//! One unary call, `grpc.health.v1.Health/Check` with an empty `HealthCheckRequest`, over
//! HTTP/2 (h2c for `http`/`h2c`/no scheme, TLS for `https`, as Traefik dials it). Healthy means
//! `grpc-status: 0` and `HealthCheckResponse.status == SERVING` (1).

use bytes::{Buf, Bytes};
use http::header::{CONTENT_TYPE, HOST, HeaderValue, TE};
use http::{HeaderMap, Method, Uri};
use http_body_util::BodyExt;

use super::pool::{Dial, Pool};
use crate::Body;

/// The path of the health check method.
pub(super) const PATH: &str = "/grpc.health.v1.Health/Check";

/// Runs one gRPC health check through `pool` to `dial`.
pub(super) async fn check(
    pool: &Pool,
    dial: &Dial,
    host: Option<&HeaderValue>,
    headers: &[(http::HeaderName, HeaderValue)],
) -> Result<(), String> {
    let mut req = http::Request::new(Body::from(Bytes::from_static(&[0, 0, 0, 0, 0])));
    *req.method_mut() = Method::POST;
    *req.uri_mut() = Uri::from_static(PATH);
    for (k, v) in headers {
        req.headers_mut().insert(k.clone(), v.clone());
    }
    let h = req.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    h.insert(TE, HeaderValue::from_static("trailers"));
    if let Some(host) = host {
        h.insert(HOST, host.clone());
    }
    let res = pool
        .send(dial, req)
        .await
        .map_err(|e| format!("gRPC health check failed: {e}"))?;
    if res.status() != http::StatusCode::OK {
        return Err(format!(
            "gRPC health check got HTTP status {}",
            res.status()
        ));
    }
    let head = res.headers().clone();
    let collected = res
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("gRPC health check failed: {e}"))?;
    let trailers = collected.trailers().cloned().unwrap_or_default();
    // A "trailers-only" answer carries grpc-status in the headers.
    let status = grpc_status(&trailers).or_else(|| grpc_status(&head));
    match status {
        Some(0) => {}
        Some(12) => return Err("gRPC server does not implement the health protocol".into()),
        Some(code) => return Err(format!("gRPC health check failed with grpc-status {code}")),
        None => return Err("gRPC health check answered without grpc-status".into()),
    }
    match serving_status(collected.to_bytes()) {
        Some(1) => Ok(()),
        Some(code) => Err(format!("received gRPC status code: {}", status_name(code))),
        None => Err("unreadable HealthCheckResponse".into()),
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<u32> {
    headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn status_name(code: u64) -> String {
    match code {
        0 => "UNKNOWN".into(),
        2 => "NOT_SERVING".into(),
        3 => "SERVICE_UNKNOWN".into(),
        other => other.to_string(),
    }
}

/// Reads `HealthCheckResponse.status` (field 1, varint) from one length-prefixed message.
fn serving_status(mut body: Bytes) -> Option<u64> {
    if body.len() < 5 || body[0] != 0 {
        return None; // too short, or compressed (we never asked for compression)
    }
    body.advance(1);
    let len = usize::try_from(body.get_u32()).ok()?;
    if body.len() < len {
        return None;
    }
    let mut msg = body.slice(..len);
    // Proto3 leaves a zero status out: an empty message means UNKNOWN (0).
    let mut status = 0;
    while msg.has_remaining() {
        let key = varint(&mut msg)?;
        match (key >> 3, key & 7) {
            (1, 0) => status = varint(&mut msg)?,
            (_, 0) => {
                varint(&mut msg)?;
            }
            (_, 2) => {
                let n = usize::try_from(varint(&mut msg)?).ok()?;
                if msg.remaining() < n {
                    return None;
                }
                msg.advance(n);
            }
            (_, 1) if msg.remaining() >= 8 => msg.advance(8),
            (_, 5) if msg.remaining() >= 4 => msg.advance(4),
            _ => return None,
        }
    }
    Some(status)
}

fn varint(buf: &mut Bytes) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        if !buf.has_remaining() {
            return None;
        }
        let b = buf.get_u8();
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_serving_status() {
        let serving = Bytes::from_static(&[0, 0, 0, 0, 2, 0x08, 0x01]);
        assert_eq!(serving_status(serving), Some(1));
        let not_serving = Bytes::from_static(&[0, 0, 0, 0, 2, 0x08, 0x02]);
        assert_eq!(serving_status(not_serving), Some(2));
        assert_eq!(
            serving_status(Bytes::from_static(&[0, 0, 0, 0, 0])),
            Some(0)
        );
        // Unknown fields are skipped; truncated or compressed messages are unreadable.
        let extra = Bytes::from_static(&[0, 0, 0, 0, 5, 0x12, 0x01, b'x', 0x08, 0x01]);
        assert_eq!(serving_status(extra), Some(1));
        assert_eq!(
            serving_status(Bytes::from_static(&[0, 0, 0, 0, 9, 0x08])),
            None
        );
        assert_eq!(serving_status(Bytes::from_static(&[1, 0, 0, 0, 0])), None);
    }
}
