//! Upstreams that fail the way real ones do: a closed port, a black hole, a response cut
//! mid-body, headers that come late. They speak raw HTTP/1.1 bytes so nothing "fixes" them.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// An address on 127.0.0.1 where nothing listens (connecting is refused).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// A misbehaving server; stops (closing every connection) when dropped.
#[derive(Debug)]
pub struct Misbehaving {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Misbehaving {
    /// Accepts connections and reads, but never answers.
    pub async fn black_hole() -> Misbehaving {
        Misbehaving::spawn(|mut tcp| async move {
            let mut buf = [0u8; 4096];
            while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
            // Keep the socket open after the peer half-closes, as a hung server would.
            std::future::pending::<()>().await;
        })
        .await
    }

    /// Answers `200` with `Content-Length: declared` but sends only `sent` bytes, then closes.
    pub async fn truncated_body(declared: usize, sent: usize) -> Misbehaving {
        Misbehaving::spawn(move |mut tcp| async move {
            if read_head(&mut tcp).await.is_none() {
                return;
            }
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\n\r\n");
            let _ = tcp.write_all(head.as_bytes()).await;
            let _ = tcp.write_all(&vec![b'x'; sent]).await;
            let _ = tcp.flush().await;
            // Give the bytes time to reach the proxy before the close.
            tokio::time::sleep(Duration::from_millis(50)).await;
        })
        .await
    }

    /// Reads the request, waits `delay`, then answers `200 late`.
    pub async fn slow_headers(delay: Duration) -> Misbehaving {
        Misbehaving::spawn(move |mut tcp| async move {
            if read_head(&mut tcp).await.is_none() {
                return;
            }
            tokio::time::sleep(delay).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")
                .await;
        })
        .await
    }

    /// Answers every request with the raw bytes `response` (whatever they are), then closes.
    pub async fn raw(response: &'static [u8]) -> Misbehaving {
        Misbehaving::spawn(move |mut tcp| async move {
            if read_head(&mut tcp).await.is_none() {
                return;
            }
            let _ = tcp.write_all(response).await;
            let _ = tcp.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        })
        .await
    }

    /// Answers each request with `200 ok` immediately followed by a second, unrequested
    /// response (`200 evil`), and keeps the connection open: a client that reuses it would read
    /// `evil` as the answer to its next request (response desync, R6/E9).
    pub async fn extra_response() -> Misbehaving {
        Misbehaving::spawn(|mut tcp| async move {
            while read_head(&mut tcp).await.is_some() {
                let both = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
                             HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil";
                if tcp.write_all(both).await.is_err() {
                    return;
                }
            }
        })
        .await
    }

    async fn spawn<F, Fut>(on_conn: F) -> Misbehaving
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                if let Ok((tcp, _)) = listener.accept().await {
                    conns.spawn(on_conn(tcp));
                }
                while conns.try_join_next().is_some() {}
            }
        });
        Misbehaving { addr, task }
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Misbehaving {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads until the end of a request head (`\r\n\r\n`); `None` if the peer closed first.
async fn read_head(tcp: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = tcp.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(head);
        }
    }
}
