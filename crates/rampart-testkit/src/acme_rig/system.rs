//! Programs and ports on this machine.

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};

/// The path of a program, or a panic that says how to install it (tests never skip silently).
///
/// ```no_run
/// let pebble = rampart_testkit::acme_rig::program("pebble");
/// assert!(pebble.is_file());
/// ```
pub fn program(name: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    for dir in path.split(':').chain(["/usr/sbin", "/usr/bin", "/sbin"]) {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` is not installed: run `apt-get install -y pebble bind9` (or scripts/install-deps.sh)"
    );
}

/// A port free on 127.0.0.1 for both TCP and UDP right now.
///
/// Another process may take it before the caller binds it: callers that hand it to a server
/// retry with a new port when that bind fails ([`Rig::start`](super::Rig::start) does).
///
/// ```
/// let port = rampart_testkit::acme_rig::free_port();
/// assert_ne!(port, 0);
/// ```
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind tcp on 127.0.0.1");
        let port = tcp.local_addr().expect("local address").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both TCP and UDP");
}
