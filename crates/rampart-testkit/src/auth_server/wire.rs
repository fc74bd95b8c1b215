//! HTTP/1.1 on the wire, by hand: the auth server must be able to send what a client library
//! would refuse to (obs-fold, lying lengths, stalls).

use bytes::{Bytes, BytesMut};
use std::fmt::Write as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Action, Recorded, Reply};

/// Reads one request; `None` at end of stream or on garbage. The flag is `Connection: close`.
pub(super) async fn read_request<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
) -> Option<(Recorded, bool)> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(len)) => {
                let method = parsed.method?.to_owned();
                let target = parsed.path?.to_owned();
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let _ = buf.split_to(len);
                let find = |n: &str| {
                    headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(n))
                        .map(|(_, v)| v.clone())
                };
                let close = find("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
                let body = if find("transfer-encoding")
                    .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
                {
                    read_chunked(io, buf).await?
                } else {
                    let len: usize = find("content-length")
                        .and_then(|l| l.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < len {
                        if io.read_buf(buf).await.ok()? == 0 {
                            return None;
                        }
                    }
                    buf.split_to(len).freeze()
                };
                let recorded = Recorded {
                    method,
                    target,
                    headers,
                    body,
                };
                return Some((recorded, close));
            }
            Ok(httparse::Status::Partial) => {
                if buf.len() > 1 << 20 || io.read_buf(buf).await.ok()? == 0 {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
}

async fn read_line<S: AsyncRead + Unpin>(io: &mut S, buf: &mut BytesMut) -> Option<String> {
    loop {
        if let Some(pos) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = buf.split_to(pos + 2);
            return Some(String::from_utf8_lossy(&line[..pos]).into_owned());
        }
        if io.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

async fn read_chunked<S: AsyncRead + Unpin>(io: &mut S, buf: &mut BytesMut) -> Option<Bytes> {
    let mut body = BytesMut::new();
    loop {
        let line = read_line(io, buf).await?;
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            // Trailers until the empty line.
            while !read_line(io, buf).await?.is_empty() {}
            return Some(body.freeze());
        }
        while buf.len() < size + 2 {
            if io.read_buf(buf).await.ok()? == 0 {
                return None;
            }
        }
        body.extend_from_slice(&buf.split_to(size));
        let _ = buf.split_to(2);
    }
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

/// Writes `reply`; returns whether the connection may be reused.
pub(super) async fn write_reply<S: AsyncWrite + Unpin>(
    io: &mut S,
    reply: &Reply,
) -> std::io::Result<bool> {
    match &reply.action {
        Action::Hang => std::future::pending().await,
        Action::Close => return Ok(false),
        Action::Raw(bytes) => {
            io.write_all(bytes).await?;
            io.flush().await?;
            return Ok(false);
        }
        Action::Respond | Action::StallBody | Action::Huge(_) => {}
    }
    let has = |n: &str| reply.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    let chunked = reply.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let bodiless = reply.status < 200 || reply.status == 204 || reply.status == 304;
    let body_len = match &reply.action {
        Action::Huge(n) => *n,
        // Promise one byte more than will ever come.
        Action::StallBody => reply.body.len() as u64 + 1,
        _ => reply.body.len() as u64,
    };
    if !chunked && !has("content-length") && !bodiless {
        let _ = write!(head, "Content-Length: {body_len}\r\n");
    }
    head.push_str("\r\n");
    io.write_all(head.as_bytes()).await?;
    match &reply.action {
        Action::StallBody => {
            io.write_all(&reply.body).await?;
            io.flush().await?;
            std::future::pending::<()>().await;
        }
        Action::Huge(n) => {
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = *n;
            while left > 0 {
                let take = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
                io.write_all(&chunk[..take]).await?;
                left -= take as u64;
            }
        }
        _ if bodiless => {}
        _ if chunked => {
            if !reply.body.is_empty() {
                io.write_all(format!("{:x}\r\n", reply.body.len()).as_bytes())
                    .await?;
                io.write_all(&reply.body).await?;
                io.write_all(b"\r\n").await?;
            }
            io.write_all(b"0\r\n\r\n").await?;
        }
        _ => io.write_all(&reply.body).await?,
    }
    io.flush().await?;
    let close = reply
        .headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"));
    Ok(!close)
}
