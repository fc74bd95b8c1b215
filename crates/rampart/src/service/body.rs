//! A request body that says when it has been sent whole (for `responseHeaderTimeout`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::Notify;

use crate::{Body, BoxError};

/// Resolves once the wrapped body has yielded its last frame.
#[derive(Debug)]
pub(super) struct DoneSignal(Arc<Notify>);

impl DoneSignal {
    pub(super) async fn wait(&self) {
        self.0.notified().await;
    }
}

/// Wraps a body; notifies its [`DoneSignal`] when the body ends.
#[derive(Debug)]
pub(super) struct Signalled {
    inner: Body,
    notify: Option<Arc<Notify>>,
}

impl Signalled {
    pub(super) fn new(inner: Body) -> (Self, DoneSignal) {
        let notify = Arc::new(Notify::new());
        (
            Signalled {
                inner,
                notify: Some(notify.clone()),
            },
            DoneSignal(notify),
        )
    }

    fn finish(&mut self) {
        if let Some(n) = self.notify.take() {
            // `notify_one` stores a permit, so a waiter that arrives later still wakes.
            n.notify_one();
        }
    }
}

impl http_body::Body for Signalled {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.finish(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.finish(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
