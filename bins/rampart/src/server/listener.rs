//! Binding entrypoint addresses and accepting connections.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tracing::{debug, warn};

use super::conn::{self, Handler, TlsAccept};
use super::drain::Drain;
use super::settings::ConnSettings;

/// An entrypoint's bound socket.
#[derive(Debug)]
pub struct Listener {
    /// The entrypoint name.
    pub name: Arc<str>,
    /// The bound address (with the real port when the config said `:0`).
    pub local: SocketAddr,
    tcp: TcpListener,
}

/// Binds a Traefik entrypoint address: `:80` (all interfaces), `127.0.0.1:8080`, `[::1]:443`,
/// with an optional `/tcp` suffix.
pub async fn bind(name: &str, address: &str) -> io::Result<Listener> {
    let addr = parse_address(address)?;
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let tcp = socket.listen(1024)?;
    let local = tcp.local_addr()?;
    Ok(Listener {
        name: Arc::from(name),
        local,
        tcp,
    })
}

fn parse_address(address: &str) -> io::Result<SocketAddr> {
    let invalid = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("address `{address}`: {why}"),
        )
    };
    let addr = match address.rsplit_once('/') {
        Some((a, "tcp")) => a,
        Some((_, proto)) => return Err(invalid(&format!("protocol `{proto}` is not supported"))),
        None => address,
    };
    // `:80` means every interface, as in Go.
    let full = if addr.starts_with(':') {
        format!("0.0.0.0{addr}")
    } else {
        addr.to_owned()
    };
    full.parse().map_err(|_| invalid("expected [host]:port"))
}

impl Listener {
    /// Accepts connections until `drain` starts, serving each with `handler`.
    ///
    /// Accept errors never end the loop: running out of file descriptors backs off briefly
    /// (no busy loop) and resumes when connections close.
    pub async fn serve<H: Handler>(
        self,
        handler: Arc<H>,
        tls: Option<Arc<dyn TlsAccept>>,
        settings: Arc<ConnSettings>,
        drain: Arc<Drain>,
    ) {
        let stop = drain.graceful().clone();
        loop {
            let accepted = tokio::select! {
                () = stop.wait() => break,
                accepted = self.tcp.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        debug!(%peer, error = %e, "set_nodelay failed");
                    }
                    let ctx = conn::ConnCtx {
                        entrypoint: self.name.clone(),
                        local: self.local,
                        peer,
                        handler: handler.clone(),
                        tls: tls.clone(),
                        settings: settings.clone(),
                    };
                    tokio::spawn(conn::serve(stream, ctx, drain.token()));
                }
                Err(e) => {
                    warn!(entrypoint = %self.name, error = %e, "accept failed");
                    if is_resource_exhaustion(&e) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    }
}

fn is_resource_exhaustion(e: &io::Error) -> bool {
    // EMFILE / ENFILE / ENOBUFS / ENOMEM: wait for descriptors or memory to free up.
    matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_traefik_addresses() {
        assert_eq!(parse_address(":80").unwrap(), "0.0.0.0:80".parse().unwrap());
        assert_eq!(
            parse_address("127.0.0.1:0/tcp").unwrap(),
            "127.0.0.1:0".parse().unwrap()
        );
        assert_eq!(
            parse_address("[::1]:443").unwrap(),
            "[::1]:443".parse().unwrap()
        );
        assert!(
            parse_address(":53/udp")
                .unwrap_err()
                .to_string()
                .contains("udp")
        );
        assert!(parse_address("nonsense").is_err());
    }
}
