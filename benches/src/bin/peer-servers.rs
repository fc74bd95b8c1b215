//! The fast upstream and the fast auth server of the side-by-side harness (`benches/peers/`).
//!
//! `peer-servers UPSTREAM_ADDR AUTH_ADDR` serves, on one thread (the harness pins it to a core):
//! * on `UPSTREAM_ADDR`, `200 hello` to every request (HTTP/1.1 keep-alive);
//! * on `AUTH_ADDR`, `200` with `X-authentik-username` and `X-authentik-groups` to every request.
//!
//! Both are as cheap as hyper allows, so the proxies' differences show.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [upstream, auth] = args.as_slice() else {
        eprintln!("usage: peer-servers UPSTREAM_ADDR AUTH_ADDR");
        std::process::exit(2);
    };
    let upstream: SocketAddr = upstream.parse().expect("UPSTREAM_ADDR is host:port");
    let auth: SocketAddr = auth.parse().expect("AUTH_ADDR is host:port");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let up = tokio::spawn(serve(upstream, false));
        let au = tokio::spawn(serve(auth, true));
        let _ = tokio::join!(up, au);
    });
}

async fn serve(addr: SocketAddr, is_auth: bool) {
    let listener = TcpListener::bind(addr).await.expect("bind");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let svc = service_fn(move |_req| async move {
                let mut res = hyper::Response::new(Full::new(Bytes::from_static(if is_auth {
                    b""
                } else {
                    b"hello"
                })));
                if is_auth {
                    let h = res.headers_mut();
                    h.insert(
                        "x-authentik-username",
                        http::HeaderValue::from_static("akadmin"),
                    );
                    h.insert(
                        "x-authentik-groups",
                        http::HeaderValue::from_static("admins|users"),
                    );
                }
                Ok::<_, Infallible>(res)
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
