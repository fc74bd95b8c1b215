//! `ClientIP` values: Go's `net.ParseIP` / `net.ParseCIDR` and `IPNet.Contains`.
//!
//! Go treats IPv4 and IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the same address: a peer on an
//! IPv6 socket that is really IPv4 matches an IPv4 rule, and a CIDR written in the mapped form
//! applies to IPv4 (its prefix less the 96 mapping bits). An IPv6 range never matches IPv4.

use std::net::IpAddr;

/// One `ClientIP` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpRule {
    V4 { net: u32, mask: u32 },
    V6 { net: u128, mask: u128 },
}

impl IpRule {
    /// Parses an IP (`10.0.0.1`, `::1`) or CIDR (`10.0.0.0/8`, host bits allowed). Zones are
    /// rejected, as Go rejects them.
    pub(crate) fn parse(value: &str) -> Option<IpRule> {
        if let Ok(ip) = value.parse::<IpAddr>() {
            return Some(match unmap(ip) {
                IpAddr::V4(v4) => IpRule::V4 {
                    net: u32::from(v4),
                    mask: u32::MAX,
                },
                IpAddr::V6(v6) => IpRule::V6 {
                    net: u128::from(v6),
                    mask: u128::MAX,
                },
            });
        }
        let (addr, bits) = value.split_once('/')?;
        let ip: IpAddr = addr.parse().ok()?;
        // Go's dtoi: decimal digits only (leading zeros allowed), at most the address length.
        if bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) || bits.len() > 3 {
            return None;
        }
        let bits: u32 = bits.parse().ok()?;
        match ip {
            IpAddr::V4(v4) => {
                if bits > 32 {
                    return None;
                }
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                Some(IpRule::V4 {
                    net: u32::from(v4) & mask,
                    mask,
                })
            }
            IpAddr::V6(v6) => {
                if bits > 128 {
                    return None;
                }
                if let Some(v4) = v6.to_ipv4_mapped() {
                    let bits = bits.saturating_sub(96);
                    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                    return Some(IpRule::V4 {
                        net: u32::from(v4) & mask,
                        mask,
                    });
                }
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                Some(IpRule::V6 {
                    net: u128::from(v6) & mask,
                    mask,
                })
            }
        }
    }

    /// Whether `peer` is this address or in this range.
    pub(crate) fn contains(self, peer: IpAddr) -> bool {
        match (self, unmap(peer)) {
            (IpRule::V4 { net, mask }, IpAddr::V4(p)) => u32::from(p) & mask == net,
            (IpRule::V6 { net, mask }, IpAddr::V6(p)) => u128::from(p) & mask == net,
            _ => false,
        }
    }
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn go_parsing() {
        for ok in [
            "10.0.0.1",
            "::1",
            "10.0.0.1/8",
            "10.0.0.0/08",
            "::ffff:10.0.0.0/104",
            "fe80::/10",
        ] {
            assert!(IpRule::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "1",
            "",
            "10.0.0.0/33",
            "::/129",
            "fe80::1%eth0",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "01.2.3.4",
            "10.0.0.0/8/8",
            "invalid",
        ] {
            assert!(IpRule::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn mapped_addresses_are_ipv4() {
        let rule = IpRule::parse("127.0.0.1").unwrap();
        assert!(rule.contains(ip("::ffff:127.0.0.1")));
        let rule = IpRule::parse("::ffff:10.0.0.0/104").unwrap();
        assert!(rule.contains(ip("10.9.9.9")));
        assert!(!rule.contains(ip("11.0.0.1")));
        assert!(!IpRule::parse("::/0").unwrap().contains(ip("1.2.3.4")));
        assert!(
            IpRule::parse("10.0.0.1/8")
                .unwrap()
                .contains(ip("10.200.0.1"))
        );
        assert!(IpRule::parse("10::/16").unwrap().contains(ip("10::10")));
        assert!(!IpRule::parse("11::/16").unwrap().contains(ip("10::")));
    }
}
