//! The connection's byte stream, watched: the first byte of a request on an idle keep-alive
//! connection starts its read deadline (Go waits for the next request's first bytes before
//! starting `ReadTimeout`, so that idle time is bounded by `IdleTimeout` alone), and whether
//! hyper still holds bytes tells when an idle connection can be parked (`drive.rs`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use super::state::ConnState;

/// A stream that tells its [`ConnState`] when bytes arrive and whether writes go out whole.
#[derive(Debug)]
pub(super) struct WatchedIo<I> {
    inner: I,
    state: Arc<ConnState>,
    /// Bytes hyper had read but not used when its connection was parked: read again first.
    rewound: Bytes,
}

impl<I> WatchedIo<I> {
    pub(super) fn new(inner: I, state: Arc<ConnState>) -> Self {
        WatchedIo {
            inner,
            state,
            rewound: Bytes::new(),
        }
    }

    /// Gives back bytes read from the stream but not consumed: the next reads return them.
    pub(super) fn rewind(&mut self, bytes: Bytes) {
        debug_assert!(self.rewound.is_empty());
        self.rewound = bytes;
    }

    /// The stream itself.
    pub(super) fn get_ref(&self) -> &I {
        &self.inner
    }
}

/// A stream whose socket can be waited on for readability without reading it.
pub(super) trait Readable {
    /// Completes when the socket has bytes (or an end) to read.
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send;
}

impl Readable for TcpStream {
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send {
        TcpStream::readable(self)
    }
}

impl Readable for TlsStream<TcpStream> {
    /// The TCP socket: a parked TLS connection holds no decrypted bytes (its last read found
    /// none).
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send {
        self.get_ref().0.readable()
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for WatchedIo<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.rewound.is_empty() {
            let n = this.rewound.len().min(buf.remaining());
            buf.put_slice(&this.rewound[..n]);
            this.rewound.advance(n);
            this.state.on_read();
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        match res {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.state.on_read();
            }
            Poll::Pending => this.state.on_read_pending(),
            Poll::Ready(_) => {}
        }
        res
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for WatchedIo<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.state.on_write(wrote_all(&res, buf.len()));
        res
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        let len = bufs.iter().map(|b| b.len()).sum();
        this.state.on_write(wrote_all(&res, len));
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // hyper flushes the stream once its own buffer is empty.
        let res = Pin::new(&mut this.inner).poll_flush(cx);
        this.state.on_write(matches!(res, Poll::Ready(Ok(()))));
        res
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.parking() {
            // hyper ends an idle connection the driver is taking back: the socket stays open.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

fn wrote_all(res: &Poll<io::Result<usize>>, len: usize) -> bool {
    matches!(res, Poll::Ready(Ok(n)) if *n == len)
}
