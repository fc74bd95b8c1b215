//! The body type shared by every stage of the pipeline.
//!
//! [`Body`] wraps the common cases — no body, a buffer, hyper's incoming stream — without a heap
//! allocation, and boxes anything else. Middlewares and services exchange `http::Request<Body>` /
//! `http::Response<Body>`, so a chain never needs to be generic over body types.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// The error type carried by [`Body`] streams.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request or response body.
///
/// ```
/// use http_body_util::BodyExt;
/// use rampart::Body;
///
/// # tokio_test_block_on(async {
/// let body = Body::from("hello");
/// let bytes = body.collect().await.unwrap().to_bytes();
/// assert_eq!(&bytes[..], b"hello");
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Default)]
pub struct Body(Kind);

#[derive(Default)]
enum Kind {
    #[default]
    Empty,
    Full(Bytes),
    Incoming(hyper::body::Incoming),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body(Kind::Empty)
    }

    /// Wraps any other body (boxed: one allocation).
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body(Kind::Boxed(body.map_err(Into::into).boxed_unsync()))
    }

    /// Returns the buffered bytes when this body is a known, complete buffer (or empty).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            Kind::Empty => Some(&[]),
            Kind::Full(b) => Some(b),
            _ => None,
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.0 {
            Kind::Empty => "Empty",
            Kind::Full(_) => "Full",
            Kind::Incoming(_) => "Incoming",
            Kind::Boxed(_) => "Boxed",
        };
        f.debug_tuple("Body").field(&kind).finish()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(bytes) => {
                let bytes = std::mem::take(bytes);
                self.0 = Kind::Empty;
                if bytes.is_empty() {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(Frame::data(bytes))))
                }
            }
            Kind::Incoming(inc) => Pin::new(inc).poll_frame(cx).map_err(Into::into),
            Kind::Boxed(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Full(b) => b.is_empty(),
            Kind::Incoming(inc) => inc.is_end_stream(),
            Kind::Boxed(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(b) => SizeHint::with_exact(b.len() as u64),
            Kind::Incoming(inc) => inc.size_hint(),
            Kind::Boxed(b) => b.size_hint(),
        }
    }
}

impl From<hyper::body::Incoming> for Body {
    fn from(inc: hyper::body::Incoming) -> Self {
        Body(Kind::Incoming(inc))
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body(Kind::Full(b))
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body(Kind::Full(Bytes::from(v)))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body(Kind::Full(Bytes::from(s)))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body(Kind::Full(Bytes::from_static(s.as_bytes())))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body(Kind::Full(Bytes::from_static(s)))
    }
}

impl From<()> for Body {
    fn from((): ()) -> Self {
        Body::empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;

    #[tokio::test]
    async fn full_body_yields_once_then_ends() {
        let mut b = Body::from("abc");
        assert_eq!(b.size_hint().exact(), Some(3));
        let frame = b.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "abc");
        assert!(b.frame().await.is_none());
        assert!(b.is_end_stream());
    }

    #[tokio::test]
    async fn boxed_body_streams() {
        let b = Body::new(http_body_util::Full::new(Bytes::from_static(b"xyz")));
        let got = b.collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], b"xyz");
    }
}
