//! Entry point addresses: `[host]:port[/tcp|/udp]`.

use std::fmt;

/// `[host]:port[/tcp|/udp]`.
///
/// ```
/// use rampart_config::{Address, Protocol};
///
/// let a: Address = ":443".parse().unwrap();
/// assert_eq!((a.host.as_str(), a.port, a.protocol), ("", 443, Protocol::Tcp));
/// let a: Address = "[::1]:8080/tcp".parse().unwrap();
/// assert_eq!((a.host.as_str(), a.port), ("::1", 8080));
/// assert_eq!(a.to_string(), "[::1]:8080");
/// assert!("localhost".parse::<Address>().is_err());
/// assert!(":80/sctp".parse::<Address>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// Host name or IP address; empty means every interface.
    pub host: String,
    /// Port (0 picks a free port, handy in tests).
    pub port: u16,
    /// Transport protocol.
    pub protocol: Protocol,
}

/// An entry point's transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP (HTTP/1.1, HTTP/2, TLS).
    Tcp,
    /// UDP (not yet supported by rampart).
    Udp,
}

impl std::str::FromStr for Address {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (hostport, protocol) = match text.split_once('/') {
            None => (text, Protocol::Tcp),
            Some((hp, p)) => match p.to_ascii_lowercase().as_str() {
                "tcp" => (hp, Protocol::Tcp),
                "udp" => (hp, Protocol::Udp),
                _ => return Err(format!("invalid protocol `{p}` (expected tcp or udp)")),
            },
        };
        let (host, port) = hostport
            .rsplit_once(':')
            .ok_or_else(|| format!("`{text}` has no port (expected [host]:port, e.g. `:443`)"))?;
        let host = match host.strip_prefix('[') {
            Some(inner) => inner
                .strip_suffix(']')
                .ok_or_else(|| format!("`{text}`: unclosed `[` in the host"))?,
            None if host.contains(':') => {
                return Err(format!(
                    "`{text}`: an IPv6 host must be written in brackets, e.g. `[::1]:443`"
                ));
            }
            None => host,
        };
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("`{text}`: port `{port}` is not a number from 0 to 65535"))?;
        Ok(Address {
            host: host.to_owned(),
            port,
            protocol,
        })
    }
}

impl fmt::Display for Address {
    /// `host:port`, IPv6 hosts in brackets; the protocol is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}
