//! The compressing body: compresses frame by frame, never holding the whole body.
//!
//! Output is emitted when it reaches [`EMIT_AT`] bytes, and whenever the upstream has nothing
//! more for now (its body returns `Pending`): the encoder is flushed then, so a streaming
//! response (server-sent events, long polling) reaches the client as it is produced — what
//! Traefik does when the proxy flushes.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::encoder::Encoder;
use crate::{Body, BoxError};

/// Compressed bytes are sent once this many are ready.
const EMIT_AT: usize = 16 * 1024;

pub(super) struct CompressBody {
    /// Bytes read before the decision to compress, to encode first.
    head: Option<Bytes>,
    inner: Body,
    encoder: Option<Encoder>,
    /// Data written since the last flush.
    dirty: bool,
    trailers: Option<http::HeaderMap>,
    done: bool,
}

impl CompressBody {
    pub(super) fn new(head: Bytes, inner: Body, encoder: Encoder) -> Self {
        CompressBody {
            head: (!head.is_empty()).then_some(head),
            inner,
            encoder: Some(encoder),
            dirty: false,
            trailers: None,
            done: false,
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), BoxError> {
        if let Some(e) = self.encoder.as_mut() {
            e.write(data)?;
            self.dirty = true;
        }
        Ok(())
    }

    /// Ends the stream: the last compressed bytes, if any.
    fn finish(&mut self) -> Result<Option<Bytes>, BoxError> {
        let Some(e) = self.encoder.take() else {
            return Ok(None);
        };
        let out = e.finish()?;
        Ok((!out.is_empty()).then(|| Bytes::from(out)))
    }
}

impl http_body::Body for CompressBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Some(head) = this.head.take()
            && let Err(e) = this.write(&head)
        {
            return Poll::Ready(Some(Err(e)));
        }
        loop {
            if this.done {
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        if let Err(e) = this.write(&data) {
                            return Poll::Ready(Some(Err(e)));
                        }
                        if let Some(e) = this.encoder.as_mut()
                            && e.pending() >= EMIT_AT
                        {
                            return Poll::Ready(Some(Ok(Frame::data(Bytes::from(e.take())))));
                        }
                    }
                    Err(frame) => {
                        // Trailers end the data: finish the stream, then send them.
                        this.trailers = frame.into_trailers().ok();
                        this.done = true;
                        match this.finish() {
                            Ok(Some(out)) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                            Ok(None) => {}
                            Err(e) => return Poll::Ready(Some(Err(e))),
                        }
                    }
                },
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    match this.finish() {
                        Ok(Some(out)) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                        Ok(None) => {}
                        Err(e) => return Poll::Ready(Some(Err(e))),
                    }
                }
                Poll::Pending => {
                    // The upstream has nothing more for now: flush what we have.
                    let Some(e) = this.encoder.as_mut() else {
                        return Poll::Pending;
                    };
                    if this.dirty {
                        this.dirty = false;
                        if let Err(err) = e.flush() {
                            return Poll::Ready(Some(Err(err.into())));
                        }
                    }
                    if e.pending() > 0 {
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(e.take())))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
