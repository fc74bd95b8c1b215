//! Response bodies and builders for test upstreams: fixed, streamed through a channel,
//! generated on the fly (large bodies never held in memory), with trailers.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

/// The error type of test bodies.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// The body every test server answers with.
pub type UpBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BodyError>;

/// A response from a test server.
pub type Reply = http::Response<UpBody>;

/// Boxes any body into an [`UpBody`].
pub fn boxed<B>(body: B) -> UpBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BodyError>,
{
    use http_body_util::BodyExt;
    body.map_err(Into::into).boxed_unsync()
}

/// `status` with `body` as `text/plain`.
pub fn text(status: u16, body: impl Into<Bytes>) -> Reply {
    let mut res = http::Response::new(boxed(http_body_util::Full::new(body.into())));
    *res.status_mut() = StatusCode::from_u16(status).expect("valid status");
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// `status` with an empty body.
pub fn status(status: u16) -> Reply {
    let mut res = http::Response::new(boxed(http_body_util::Empty::new()));
    *res.status_mut() = StatusCode::from_u16(status).expect("valid status");
    res
}

/// A body that yields `len` bytes of a repeating pattern (`0..=250`) in `chunk`-sized frames,
/// generated as it is read: nothing is held in memory. With `delay`, it sleeps before each frame.
#[derive(Debug)]
pub struct Generated {
    left: u64,
    sent: u64,
    chunk: usize,
    delay: Option<Pin<Box<tokio::time::Sleep>>>,
    every: Option<Duration>,
    trailers: Option<HeaderMap>,
}

impl Generated {
    /// `len` bytes in `chunk`-sized frames.
    pub fn new(len: u64, chunk: usize) -> Self {
        Generated {
            left: len,
            sent: 0,
            chunk: chunk.max(1),
            delay: None,
            every: None,
            trailers: None,
        }
    }

    /// Sleeps `every` before each frame (a slow body).
    #[must_use]
    pub fn every(mut self, every: Duration) -> Self {
        self.every = Some(every);
        self
    }

    /// Ends with these trailers.
    #[must_use]
    pub fn trailers(mut self, trailers: HeaderMap) -> Self {
        self.trailers = Some(trailers);
        self
    }

    /// The byte at offset `i` of every generated body (for checking what arrived).
    pub fn byte_at(i: u64) -> u8 {
        u8::try_from(i % 251).expect("below 251")
    }
}

impl Body for Generated {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        if this.left == 0 {
            return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
        }
        if let Some(every) = this.every {
            let sleep = this
                .delay
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.delay = None;
        }
        let n = this
            .left
            .min(u64::try_from(this.chunk).expect("usize fits u64"));
        let start = this.sent;
        let buf: Vec<u8> = (0..n).map(|i| Generated::byte_at(start + i)).collect();
        this.left -= n;
        this.sent += n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0 && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        if self.trailers.is_some() {
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.left)
        }
    }
}

/// A body fed through a channel, frame by frame: the test decides when each frame goes out,
/// and can end it with an error (the connection is then cut mid-body).
#[derive(Debug)]
pub struct Channel {
    rx: mpsc::Receiver<Result<Frame<Bytes>, BodyError>>,
}

/// The sending side of a [`Channel`] body.
pub type ChannelSender = mpsc::Sender<Result<Frame<Bytes>, BodyError>>;

impl Channel {
    /// A new channel body and its sender.
    pub fn new() -> (ChannelSender, Channel) {
        let (tx, rx) = mpsc::channel(16);
        (tx, Channel { rx })
    }
}

impl Body for Channel {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.rx.poll_recv(cx)
    }
}
