//! `trustedIPs`: a list of IP addresses and CIDR ranges.

use std::net::IpAddr;

use ipnet::IpNet;

use super::EntrypointError;

/// A set of IP addresses and CIDR ranges, as Traefik's `ip.Checker`.
///
/// IPv4-mapped IPv6 peers (`::ffff:127.0.0.1`, what a dual-stack `[::]` listener reports for an
/// IPv4 client) are matched as the IPv4 address they carry, as Go's `IPNet.Contains` does; they
/// never match an IPv6 range by accident (GHSA-7jmw-8259-q9jx).
///
/// ```
/// use rampart::entrypoint::TrustedIps;
/// let trusted = TrustedIps::parse(["10.0.0.0/8", "192.0.2.1"]).unwrap();
/// assert!(trusted.contains("10.1.2.3".parse().unwrap()));
/// assert!(trusted.contains("::ffff:10.1.2.3".parse().unwrap()));
/// assert!(!trusted.contains("192.0.2.2".parse().unwrap()));
/// assert!(TrustedIps::parse(["10.0.0.0/33"]).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedIps {
    nets: Vec<IpNet>,
}

impl TrustedIps {
    /// Parses each entry as a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address.
    ///
    /// Surrounding spaces are ignored (Traefik's comma-separated labels carry them); anything
    /// else that is not an address is an error, never "trust everybody".
    pub fn parse<I, S>(entries: I) -> Result<Self, EntrypointError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut nets = Vec::new();
        for entry in entries {
            let raw = entry.as_ref();
            let value = raw.trim();
            let net = if value.contains('/') {
                let net: IpNet = value.parse().map_err(|e| EntrypointError::TrustedIp {
                    value: raw.to_owned(),
                    reason: format!("{e}"),
                })?;
                canonical_net(net)
            } else {
                let ip: IpAddr = value.parse().map_err(|e| EntrypointError::TrustedIp {
                    value: raw.to_owned(),
                    reason: format!("{e}"),
                })?;
                IpNet::from(ip.to_canonical())
            };
            nets.push(net);
        }
        Ok(TrustedIps { nets })
    }

    /// Whether no entry was given.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` is in one of the ranges.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

/// An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) is the IPv4 range it maps.
fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => {
                ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, |n| IpNet::V4(n.trunc()))
            }
            None => net,
        },
        other => other.trunc(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_mapped_peer_matches_v4_range_only() {
        let v4 = TrustedIps::parse(["127.0.0.1/32"]).unwrap();
        assert!(v4.contains("::ffff:127.0.0.1".parse().unwrap()));
        let v6 = TrustedIps::parse(["::/1"]).unwrap();
        // ::ffff:127.0.0.1 is inside ::/1 as raw bits, but it is an IPv4 client.
        assert!(!v6.contains("::ffff:127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn mapped_range_is_the_v4_range() {
        let t = TrustedIps::parse(["::ffff:10.0.0.0/104"]).unwrap();
        assert!(t.contains("10.9.9.9".parse().unwrap()));
        assert!(!t.contains("11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn host_bits_in_cidr_are_ignored_as_go_does() {
        // Traefik's test uses `1.2.3.4/24` and expects 1.2.3.156 to be trusted.
        let t = TrustedIps::parse(["1.2.3.4/24"]).unwrap();
        assert!(t.contains("1.2.3.156".parse().unwrap()));
    }

    #[test]
    fn bad_entries_are_errors_naming_the_entry() {
        for bad in ["", "10.0.0.0/33", "example.com", "1.2.3", "10.0.0.0/8/8"] {
            let err = TrustedIps::parse([bad]).unwrap_err();
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }
}
