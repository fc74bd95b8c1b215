//! A websocket echo upstream (RFC 6455 handshake by hand over hyper's upgrade, frames by
//! tungstenite), and a websocket client for tests.

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::reply::{self, Reply};
use crate::upstream::{Options, Upstream};

/// The message types of the test websocket.
pub use tokio_tungstenite::tungstenite::Message;

/// Starts an upstream that echoes every websocket message back. A request that is not a
/// websocket handshake gets `426 Upgrade Required` (an upgrade refusal, relayed as is).
pub async fn echo_upstream() -> Upstream {
    Upstream::start_streaming(Options::new().http1_only(), |req| async move {
        echo_handler(req)
    })
    .await
}

/// The echo handler itself, for streaming upstreams that mix websockets with other routes.
pub fn echo_handler(mut req: http::Request<Incoming>) -> Reply {
    let is_ws = req
        .headers()
        .get(http::header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
        return reply::text(426, "websocket only");
    };
    if !is_ws {
        return reply::text(426, "websocket only");
    }
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let mut ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_close() {
                let _ = ws.close(None).await;
                break;
            }
            if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    let mut res = reply::status(101);
    let h = res.headers_mut();
    h.insert(http::header::UPGRADE, "websocket".parse().expect("static"));
    h.insert(http::header::CONNECTION, "Upgrade".parse().expect("static"));
    h.insert(
        "sec-websocket-accept",
        derive_accept_key(key.as_bytes()).parse().expect("base64"),
    );
    res
}

/// A websocket client, as [`connect`] opens it.
pub type Client = WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a websocket to `url` (`ws://127.0.0.1:PORT/path`), sending `headers` too.
pub async fn connect(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(Client, http::Response<Option<Vec<u8>>>), tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request()?;
    for (k, v) in headers {
        req.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("valid name"),
            v.parse().expect("valid value"),
        );
    }
    tokio_tungstenite::connect_async(req).await
}

/// Sends `text` on `socket` and returns the next message; panics if either fails or the
/// answer takes longer than `patience`.
pub async fn round_trip(
    socket: &mut Client,
    text: String,
    patience: std::time::Duration,
) -> Message {
    socket.send(Message::text(text)).await.expect("send");
    tokio::time::timeout(patience, socket.next())
        .await
        .expect("echo in time")
        .expect("open")
        .expect("a message")
}
