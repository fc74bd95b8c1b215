//! Lists of IPs and CIDR ranges (Traefik's `ip.Checker`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A list of single IPs and CIDR ranges, parsed once at build time.
///
/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, what a dual-stack socket reports for an IPv4
/// peer) match the IPv4 ranges, as in Go's `net.IPNet.Contains`.
///
/// ```
/// use rampart::middleware::builtin::source::IpRanges;
/// let ranges = IpRanges::parse(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]).unwrap();
/// assert!(ranges.contains("10.1.2.3".parse().unwrap()));
/// assert!(ranges.contains("::ffff:10.1.2.3".parse().unwrap()));
/// assert!(ranges.contains_text("[2001:db8::1]:443"));
/// assert!(!ranges.contains_text("192.0.2.8"));
/// assert!(IpRanges::parse(&["10.0.0.0/33"]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRanges {
    nets: Vec<Net>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    /// The network address, already masked, in canonical form (IPv4 when it is v4-mapped).
    addr: IpAddr,
    prefix: u8,
}

impl IpRanges {
    /// Parses IPs (`192.0.2.7`, `2001:db8::1`) and CIDR ranges (`10.0.0.0/8`); the error names
    /// the first entry that is neither. An empty list is refused: it would match nothing.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        if entries.is_empty() {
            return Err("no IP or range given".to_owned());
        }
        let nets = entries
            .iter()
            .map(|e| {
                parse_net(e.as_ref().trim())
                    .ok_or_else(|| format!("`{}` is not an IP address or CIDR range", e.as_ref()))
            })
            .collect::<Result<_, _>>()?;
        Ok(IpRanges { nets })
    }

    /// Whether `ip` is in one of the ranges.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| match (net.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask_v4(a, net.prefix) == n,
            (IpAddr::V6(n), IpAddr::V6(a)) => mask_v6(a, net.prefix) == n,
            _ => false,
        })
    }

    /// Whether the address in `text` is in one of the ranges; `false` when `text` is not an
    /// address. `text` may carry a port (`1.2.3.4:80`, `[::1]:80`) or an IPv6 zone (`fe80::1%eth0`),
    /// as Traefik's `Checker.IsAuthorized` accepts.
    pub fn contains_text(&self, text: &str) -> bool {
        parse_client_ip(text).is_some_and(|ip| self.contains(ip))
    }
}

/// Parses an address the way Traefik reads a client IP: an optional `host:port` split, brackets,
/// an IPv6 zone dropped. Octal-looking IPv4 (`0127.0.0.1`) is refused, as Go's `netip` does.
pub(crate) fn parse_client_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let host = if let Some(rest) = text.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        if !(tail.is_empty() || tail.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        host
    } else {
        match text.split_once(':') {
            // Exactly one colon: `host:port` (an IPv6 literal has several).
            Some((host, port)) if !port.contains(':') => {
                if !is_port(port) {
                    return None;
                }
                host
            }
            _ => text,
        }
    };
    let host = host.split_once('%').map_or(host, |(addr, _zone)| addr);
    host.parse().ok()
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_net(entry: &str) -> Option<Net> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        let ip = ip.to_canonical();
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        return Some(Net { addr: ip, prefix });
    }
    let (addr, prefix) = entry.split_once('/')?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) if prefix <= 32 => Some(Net {
            addr: IpAddr::V4(mask_v4(a, prefix)),
            prefix,
        }),
        IpAddr::V6(a) if prefix <= 128 => {
            let masked = mask_v6(a, prefix);
            // A v4-mapped range (`::ffff:10.0.0.0/104`) is an IPv4 range, as Go treats it.
            match masked.to_ipv4_mapped() {
                Some(v4) if prefix >= 96 => Some(Net {
                    addr: IpAddr::V4(v4),
                    prefix: prefix - 96,
                }),
                _ => Some(Net {
                    addr: IpAddr::V6(masked),
                    prefix,
                }),
            }
        }
        _ => None,
    }
}

fn mask_v4(a: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let bits = u32::from(a);
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    Ipv4Addr::from(bits & mask)
}

pub(crate) fn mask_v6(a: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let bits = u128::from(a);
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    };
    Ipv6Addr::from(bits & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Traefik's `TestContainsIsAllowed` corpus (`pkg/ip/checker_test.go`).
    #[test]
    fn traefik_checker_cases() {
        let cases: &[(&[&str], &[&str], &[&str])] = &[
            (
                &["1.2.3.4/24"],
                &["1.2.3.1", "1.2.3.32", "1.2.3.156", "1.2.3.255"],
                &["1.2.16.1", "1.2.32.1", "127.0.0.1", "8.8.8.8"],
            ),
            (
                &["8.8.8.8"],
                &["8.8.8.8"],
                &[
                    "8.8.8.7",
                    "8.8.8.9",
                    "8.8.8.0",
                    "8.8.8.255",
                    "4.4.4.4",
                    "127.0.0.1",
                ],
            ),
            (
                &["8.8.8.8/32"],
                &["8.8.8.8"],
                &[
                    "8.8.8.7",
                    "8.8.8.9",
                    "8.8.8.0",
                    "8.8.8.255",
                    "4.4.4.4",
                    "127.0.0.1",
                ],
            ),
            (
                &["1.2.3.4/24", "8.8.8.8/8"],
                &[
                    "1.2.3.1",
                    "1.2.3.32",
                    "1.2.3.156",
                    "1.2.3.255",
                    "8.8.4.4",
                    "8.0.0.1",
                    "8.32.42.128",
                    "8.255.255.255",
                ],
                &["1.2.16.1", "1.2.32.1", "127.0.0.1", "4.4.4.4", "4.8.8.8"],
            ),
            (
                &["2a03:4000:6:d080::/64"],
                &[
                    "2a03:4000:6:d080::",
                    "2a03:4000:6:d080::1",
                    "2a03:4000:6:d080:dead:beef:ffff:ffff",
                    "2a03:4000:6:d080::42",
                ],
                &[
                    "2a03:4000:7:d080::",
                    "2a03:4000:7:d080::1",
                    "fe80::",
                    "4242::1",
                ],
            ),
            (
                &["2a03:4000:6:d080::42/128"],
                &["2a03:4000:6:d080::42"],
                &[
                    "2a03:4000:6:d080::1",
                    "2a03:4000:6:d080:dead:beef:ffff:ffff",
                    "2a03:4000:6:d080::43",
                ],
            ),
            (
                &[
                    "2a03:4000:6:d080::/64",
                    "fe80::/16",
                    "1.2.3.4/24",
                    "8.8.8.8/8",
                ],
                &[
                    "fe80:aa00:00bb:4232:ff00:eeee:00ff:1111",
                    "fe80:aa00:00bb:4232:ff00:eeee:00ff:1111%vEthernet",
                    "fe80::fe80",
                    "1.2.3.255",
                    "8.255.255.255",
                ],
                &[
                    "2a03:4000:7:d080::1%vmnet1",
                    "4242::1",
                    "1.2.16.1",
                    "4.8.8.8",
                ],
            ),
        ];
        for (ranges, pass, reject) in cases {
            let r = IpRanges::parse(ranges).unwrap();
            for ip in *pass {
                assert!(r.contains_text(ip), "{ip} should pass {ranges:?}");
            }
            for ip in *reject {
                assert!(!r.contains_text(ip), "{ip} should not pass {ranges:?}");
            }
        }
    }

    #[test]
    fn broken_addresses_never_match() {
        let r = IpRanges::parse(&["0.0.0.0/0", "::/0"]).unwrap();
        for bad in [
            "foo",
            "10.0.0.350",
            "fe:::80",
            "",
            "\\&$§&/(",
            "0127.2.3.1:123",
            "1.2.3.4:http",
        ] {
            assert!(!r.contains_text(bad), "{bad}");
        }
        assert!(r.contains_text("1.2.3.1:123"));
        assert!(r.contains_text("[::1]:80"));
    }

    #[test]
    fn bad_ranges_are_refused() {
        for bad in [
            "foo",
            "",
            "1.2.3.4/33",
            "::/129",
            "1.2.3.4/",
            "1.2.3.4/-1",
            "1.2.3/24",
            "10.0.0.0/8/8",
        ] {
            assert!(IpRanges::parse(&[bad]).is_err(), "{bad}");
        }
        assert!(IpRanges::parse::<&str>(&[]).is_err());
    }

    #[test]
    fn v4_mapped_addresses_and_ranges_are_ipv4() {
        let r = IpRanges::parse(&["10.0.0.0/8"]).unwrap();
        assert!(r.contains("::ffff:10.9.8.7".parse().unwrap()));
        let mapped = IpRanges::parse(&["::ffff:10.0.0.0/104"]).unwrap();
        assert!(mapped.contains("10.9.8.7".parse().unwrap()));
        assert!(!mapped.contains("11.9.8.7".parse().unwrap()));
        let v6 = IpRanges::parse(&["::/0"]).unwrap();
        assert!(
            !v6.contains("10.9.8.7".parse().unwrap()),
            "an IPv6 range holds no IPv4 peer"
        );
    }
}
