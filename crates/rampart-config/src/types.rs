//! Small types shared by the static and dynamic models.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A domain and its subject alternative names, as `tls.domains` and ACME list them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Domain {
    /// The main name (certificate subject).
    pub main: String,
    /// Other names.
    pub sans: Vec<String>,
}

impl Domain {
    /// Every name: the main one first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.main.as_str())
            .filter(|m| !m.is_empty())
            .chain(self.sans.iter().map(String::as_str))
    }
}

/// A PEM file path or inline PEM text: Traefik's `FileOrContent`.
///
/// Traefik decides by checking whether a file of that name exists; rampart decides by the text
/// (inline PEM contains `-----BEGIN`), so a missing file is reported as missing instead of being
/// taken for malformed certificate text.
///
/// ```
/// use rampart_config::FileOrContent;
///
/// assert!(matches!(FileOrContent::from("/certs/a.pem".to_owned()), FileOrContent::File(_)));
/// assert!(matches!(
///     FileOrContent::from("-----BEGIN CERTIFICATE-----\nMII...".to_owned()),
///     FileOrContent::Content(_)
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileOrContent {
    /// A path (relative paths are relative to the working directory, as in Traefik).
    File(PathBuf),
    /// Inline PEM text.
    Content(String),
}

impl FileOrContent {
    /// The bytes: the file's content, or the inline text.
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        match self {
            FileOrContent::File(path) => std::fs::read(path),
            FileOrContent::Content(text) => Ok(text.clone().into_bytes()),
        }
    }
}

impl From<String> for FileOrContent {
    fn from(text: String) -> Self {
        if text.contains("-----BEGIN") {
            FileOrContent::Content(text)
        } else {
            FileOrContent::File(PathBuf::from(text))
        }
    }
}

impl fmt::Display for FileOrContent {
    /// A path as is; inline content as `<inline PEM>` (never printed: it may be a key).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileOrContent::File(path) => write!(f, "{}", path.display()),
            FileOrContent::Content(_) => f.write_str("<inline PEM>"),
        }
    }
}

impl<'de> Deserialize<'de> for FileOrContent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().is_empty() {
            return Err(de::Error::custom(
                "expected a file path or PEM text, found nothing",
            ));
        }
        Ok(FileOrContent::from(text))
    }
}

/// The rule syntax of a router (`ruleSyntax`) or of all routers (`core.defaultRuleSyntax`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RuleSyntax {
    /// Traefik v2 matchers (`HostRegexp(`{sub:[a-z]+}.example.com`)`); deprecated in Traefik.
    V2,
    /// Traefik v3 matchers (the default).
    #[default]
    V3,
}

impl RuleSyntax {
    /// Parses `v2`/`v3` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "v2" => Some(RuleSyntax::V2),
            "v3" => Some(RuleSyntax::V3),
            _ => None,
        }
    }
}

impl fmt::Display for RuleSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleSyntax::V2 => "v2",
            RuleSyntax::V3 => "v3",
        })
    }
}

/// An IP network; a bare address is a network of one (`10.0.0.1` is `10.0.0.1/32`), as Traefik's
/// IP checker reads `trustedIPs` and `sourceRange` entries.
///
/// ```
/// let net = rampart_config::parse_ip_range("10.0.0.0/8").unwrap();
/// assert!(net.contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
/// assert_eq!(rampart_config::parse_ip_range("::1").unwrap().prefix_len(), 128);
/// assert!(rampart_config::parse_ip_range("10.0.0.0/33").is_err());
/// ```
pub fn parse_ip_range(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<ipnet::IpNet>() {
        return Ok(net);
    }
    text.parse::<IpAddr>()
        .map(ipnet::IpNet::from)
        .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))
}

/// `forwardingTimeouts`: timeouts of requests forwarded to upstream servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardingTimeouts {
    /// Connecting to a server (zero: none).
    pub dial_timeout: crate::Duration,
    /// Waiting for response headers once the request is sent (zero: none).
    pub response_header_timeout: crate::Duration,
    /// Keeping an idle pooled connection.
    pub idle_conn_timeout: crate::Duration,
    /// HTTP/2: ping after this long without frames (zero: no pings).
    pub read_idle_timeout: crate::Duration,
    /// HTTP/2: close when a ping is not answered within this.
    pub ping_timeout: crate::Duration,
}

impl Default for ForwardingTimeouts {
    fn default() -> Self {
        use crate::static_config::defaults as d;
        ForwardingTimeouts {
            dial_timeout: d::DIAL_TIMEOUT,
            response_header_timeout: d::RESPONSE_HEADER_TIMEOUT,
            idle_conn_timeout: d::IDLE_CONN_TIMEOUT,
            read_idle_timeout: d::READ_IDLE_TIMEOUT,
            ping_timeout: d::PING_TIMEOUT,
        }
    }
}
