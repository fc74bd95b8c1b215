//! Reading the first bytes of a response before deciding whether to compress it, and giving
//! them back in front of the rest when it is not compressed.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body as _, Frame, SizeHint};

use crate::{Body, BoxError};

/// Why reading the head stopped.
pub(in crate::middleware::builtin) enum Stop {
    /// `need` bytes were read.
    Full,
    /// The upstream has nothing more for now (a streaming response): decide with what we have,
    /// as Traefik decides when the proxy flushes.
    Idle,
    /// The body ended (maybe with trailers).
    End(Option<HeaderMap>),
    /// The body failed.
    Failed(BoxError),
}

/// Reads from `body` until `need` bytes, the end, an error, or the upstream going idle after
/// some data.
pub(in crate::middleware::builtin) async fn read(body: &mut Body, need: usize) -> (Bytes, Stop) {
    let mut buf = BytesMut::new();
    let stop = poll_fn(|cx| {
        loop {
            if buf.len() >= need {
                return Poll::Ready(Stop::Full);
            }
            match Pin::new(&mut *body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(d) => buf.extend_from_slice(&d),
                    Err(frame) => return Poll::Ready(Stop::End(frame.into_trailers().ok())),
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Stop::Failed(e)),
                Poll::Ready(None) => return Poll::Ready(Stop::End(None)),
                Poll::Pending if buf.is_empty() => return Poll::Pending,
                Poll::Pending => return Poll::Ready(Stop::Idle),
            }
        }
    })
    .await;
    (buf.freeze(), stop)
}

/// `head`, then what `stop` left: the rest of the body, the trailers, or the error.
pub(in crate::middleware::builtin) fn rejoin(head: Bytes, stop: Stop, rest: Body) -> Body {
    let (trailers, error, rest) = match stop {
        Stop::Full | Stop::Idle => (None, None, Some(rest)),
        Stop::End(t) => (t, None, None),
        Stop::Failed(e) => (None, Some(e), None),
    };
    if trailers.is_none() && error.is_none() && rest.is_none() {
        return Body::from(head);
    }
    Body::new(Prefixed {
        head: (!head.is_empty()).then_some(head),
        trailers,
        error,
        rest,
    })
}

struct Prefixed {
    head: Option<Bytes>,
    trailers: Option<HeaderMap>,
    error: Option<BoxError>,
    rest: Option<Body>,
}

impl http_body::Body for Prefixed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(head) = self.head.take() {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        if let Some(rest) = self.rest.as_mut() {
            return Pin::new(rest).poll_frame(cx);
        }
        if let Some(e) = self.error.take() {
            return Poll::Ready(Some(Err(e)));
        }
        Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_none()
            && self.error.is_none()
            && self.trailers.is_none()
            && self
                .rest
                .as_ref()
                .is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let head = self.head.as_ref().map_or(0, |h| h.len() as u64);
        match &self.rest {
            Some(rest) => {
                let mut hint = rest.size_hint();
                hint.set_lower(hint.lower() + head);
                if let Some(upper) = hint.upper() {
                    hint.set_upper(upper + head);
                }
                hint
            }
            None => SizeHint::with_exact(head),
        }
    }
}
