//! The client's bodies, watched.
//!
//! * A request body must arrive within `readTimeout` of its request's first byte (Go's
//!   `wholeReqDeadline`; CVE-2024-28869 is what happens without it: a `Content-Length` that
//!   never comes holds a connection forever). Its errors are the client's: they are tagged
//!   ([`RequestBodyTimeout`], [`RequestBodyError`]) so that forwarding answers 408 / 400, not
//!   a 502/504 that would blame — and, through a circuit breaker, penalise — the upstream.
//! * An HTTP/2 response must be written within `writeTimeout` (Go sets per-stream write
//!   deadlines on HTTP/2).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use rampart::error::{RequestBodyError, RequestBodyTimeout};
use rampart::{Body, BoxError};
use tokio::time::{Instant, Sleep};

use super::state::RequestGuard;

/// Why a body was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Late {
    /// The client did not send its request body in time: [`RequestBodyTimeout`], which
    /// forwarding answers with 408 (the client's fault, not the upstream's).
    Read,
    /// The response was not written in time: an `io::Error` of kind `TimedOut`, as Go's
    /// write deadline gives.
    Write,
}

fn timed_out(late: Late) -> BoxError {
    match late {
        Late::Read => Box::new(RequestBodyTimeout),
        Late::Write => Box::new(io::Error::new(
            io::ErrorKind::TimedOut,
            "response not written within the entrypoint's writeTimeout",
        )),
    }
}

/// A client's request body: its errors tagged as the client's, and, with a deadline, cut
/// once it passes.
pub(super) struct ClientBody<B> {
    inner: B,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<B> ClientBody<B> {
    /// A request body that must be read by `deadline`, if any.
    pub(super) fn new(inner: B, deadline: Option<Instant>) -> Self {
        ClientBody {
            inner,
            sleep: deadline.map(|d| Box::pin(tokio::time::sleep_until(d))),
        }
    }
}

impl<B> HttpBody for ClientBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if frame.is_none() {
                this.sleep = None;
            }
            return Poll::Ready(
                frame.map(|f| f.map_err(|e| Box::new(RequestBodyError::new(e)) as BoxError)),
            );
        }
        if let Some(sleep) = &mut this.sleep {
            ready!(sleep.as_mut().poll(cx));
            this.sleep = None;
            return Poll::Ready(Some(Err(timed_out(Late::Read))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that holds its request's [`RequestGuard`] until it has been written (or
/// dropped), and, on HTTP/2 with `writeTimeout`, fails past its deadline (the stream is reset).
pub(super) struct Tracked {
    inner: Body,
    guard: Option<RequestGuard>,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Tracked {
    pub(super) fn new(inner: Body, guard: RequestGuard, deadline: Option<Instant>) -> Self {
        Tracked {
            inner,
            guard: Some(guard),
            deadline: deadline.map(|d| Box::pin(tokio::time::sleep_until(d))),
        }
    }
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Some(sleep) = &mut this.deadline
            && sleep.as_mut().poll(cx).is_ready()
        {
            this.deadline = None;
            this.guard = None;
            return Poll::Ready(Some(Err(timed_out(Late::Write))));
        }
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if frame.is_none() {
            this.guard = None;
            this.deadline = None;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http_body_util::BodyExt;

    use super::*;

    /// A body whose bytes never come.
    struct Stalled;

    impl HttpBody for Stalled {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Pending
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_arriving_in_time_passes_a_late_one_fails() {
        let body = ClientBody::new(
            http_body_util::Full::new(Bytes::from_static(b"abc")),
            Some(Instant::now() + Duration::from_secs(1)),
        );
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abc");

        let body = ClientBody::new(Stalled, Some(Instant::now() + Duration::from_mins(1)));
        let err = body.collect().await.unwrap_err();
        assert!(err.is::<RequestBodyTimeout>(), "{err}");
    }

    #[tokio::test]
    async fn the_clients_body_errors_are_tagged_as_the_clients() {
        let broken = http_body_util::StreamBody::new(futures_util::stream::iter([Err::<
            Frame<Bytes>,
            BoxError,
        >(
            "invalid chunk size line".into(),
        )]));
        let err = ClientBody::new(broken, None).collect().await.unwrap_err();
        assert!(err.is::<RequestBodyError>(), "{err}");
    }
}
