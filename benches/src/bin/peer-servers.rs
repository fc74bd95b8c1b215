//! The fast upstream and the fast auth server of the side-by-side harness (`benches/peers/`).
//!
//! `peer-servers UPSTREAM_ADDR AUTH_ADDR` serves, on one thread (the harness pins it to a core):
//! * on `UPSTREAM_ADDR`, `200 hello` to every request (HTTP/1.1 keep-alive);
//! * on `AUTH_ADDR`, `200` with `X-authentik-username` and `X-authentik-groups` to every request.
//!
//! Both are as cheap as hyper allows (`rampart_benches::peers`), so the proxies' differences
//! show.

use std::net::SocketAddr;
use std::process::ExitCode;

use rampart_benches::peers::{Role, serve};
use tokio::net::TcpListener;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed: Option<(SocketAddr, SocketAddr)> = match args.as_slice() {
        [upstream, auth] => upstream.parse().ok().zip(auth.parse().ok()),
        _ => None,
    };
    let Some((upstream, auth)) = parsed else {
        eprintln!("usage: peer-servers UPSTREAM_ADDR AUTH_ADDR (each host:port)");
        return ExitCode::from(2);
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("peer-servers: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let (up, au) = match (
            TcpListener::bind(upstream).await,
            TcpListener::bind(auth).await,
        ) {
            (Ok(up), Ok(au)) => (up, au),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("peer-servers: bind: {e}");
                return ExitCode::FAILURE;
            }
        };
        let up = tokio::spawn(serve(up, Role::Upstream));
        let au = tokio::spawn(serve(au, Role::Auth));
        let _ = tokio::join!(up, au);
        ExitCode::SUCCESS
    })
}
