//! Plain DNS lookups with hickory: one server, one question, a bounded wait. Shared by the
//! zone search (`rfc2136`) and the propagation check.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_net::client::{Client, ClientHandle};
use hickory_net::proto::op::{Message, ResponseCode};
use hickory_net::proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::udp::UdpClientStream;

/// Asks `server` one question over UDP.
pub(crate) async fn ask(
    server: SocketAddr,
    name: &Name,
    rtype: RecordType,
    timeout: Duration,
) -> Result<Message, String> {
    let stream = UdpClientStream::builder(server, TokioRuntimeProvider::new())
        .with_timeout(Some(timeout))
        .build();
    let (mut client, bg) = Client::<TokioRuntimeProvider>::from_sender(stream);
    let bg = tokio::spawn(bg);
    let result = tokio::time::timeout(
        timeout + Duration::from_secs(1),
        client.query(name.clone(), DNSClass::IN, rtype),
    )
    .await;
    bg.abort();
    match result {
        Err(_) => Err(format!("{server}: no answer within {timeout:?}")),
        Ok(Err(e)) => Err(format!("{server}: {e}")),
        Ok(Ok(rsp)) => Ok(rsp.into_message()),
    }
}

/// Parses `name` as an absolute DNS name.
pub(crate) fn fqdn(name: &str) -> Result<Name, String> {
    let mut n = Name::from_ascii(name).map_err(|e| format!("bad DNS name {name:?}: {e}"))?;
    n.set_fqdn(true);
    Ok(n)
}

/// The TXT strings at `name` on `server` (each record's strings concatenated, RFC 7208 style).
pub(crate) async fn txt(
    server: SocketAddr,
    name: &Name,
    timeout: Duration,
) -> Result<Vec<String>, String> {
    let msg = ask(server, name, RecordType::TXT, timeout).await?;
    let code = msg.metadata.response_code;
    if code != ResponseCode::NoError && code != ResponseCode::NXDomain {
        return Err(format!("{server}: {code}"));
    }
    Ok(msg
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::TXT(t) => Some(
                t.txt_data
                    .iter()
                    .map(|s| String::from_utf8_lossy(s))
                    .collect::<String>(),
            ),
            _ => None,
        })
        .collect())
}

/// The zone that holds `fqdn`, asking `server` for the SOA of each ancestor in turn, as lego's
/// `FindZoneByFqdn` does: an SOA in the answer names the zone; an SOA in the authority section
/// of a negative answer names it too.
pub(crate) async fn find_zone(
    server: SocketAddr,
    fqdn_name: &Name,
    timeout: Duration,
) -> Result<Name, String> {
    let mut candidate = fqdn_name.clone();
    loop {
        if candidate.is_root() {
            return Err(format!("no SOA found for {fqdn_name} at {server}"));
        }
        let msg = ask(server, &candidate, RecordType::SOA, timeout).await?;
        match msg.metadata.response_code {
            ResponseCode::NoError | ResponseCode::NXDomain => {}
            other => return Err(format!("SOA {candidate} at {server}: {other}")),
        }
        for r in msg.answers.iter().chain(msg.authorities.iter()) {
            if matches!(r.data, RData::SOA(_)) && r.name.zone_of(fqdn_name) {
                return Ok(r.name.clone());
            }
        }
        candidate = candidate.base_name();
    }
}

/// The name servers of `zone` and their IPv4/IPv6 addresses (from `server`).
pub(crate) async fn name_servers(
    server: SocketAddr,
    zone: &Name,
    timeout: Duration,
) -> Result<Vec<(Name, Vec<std::net::IpAddr>)>, String> {
    let msg = ask(server, zone, RecordType::NS, timeout).await?;
    let mut out = Vec::new();
    for r in &msg.answers {
        let RData::NS(ns) = &r.data else { continue };
        let host = ns.0.clone();
        let mut ips = Vec::new();
        for rtype in [RecordType::A, RecordType::AAAA] {
            if let Ok(m) = ask(server, &host, rtype, timeout).await {
                ips.extend(m.answers.iter().filter_map(|a| match &a.data {
                    RData::A(a) => Some(std::net::IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(std::net::IpAddr::V6(a.0)),
                    _ => None,
                }));
            }
        }
        out.push((host, ips));
    }
    if out.is_empty() {
        return Err(format!("no NS records for {zone} at {server}"));
    }
    Ok(out)
}

/// The name servers in `/etc/resolv.conf` (port 53), the bootstrap for lookups when no
/// `resolvers` are configured; falls back to 127.0.0.1:53 as Go's resolver does.
pub(crate) fn system_resolvers() -> Vec<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let mut out: Vec<SocketAddr> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .collect();
    if out.is_empty() {
        out.push(SocketAddr::from(([127, 0, 0, 1], 53)));
    }
    out
}

/// Parses `host:port` or `host` (port 53) where host is an IP address.
pub(crate) fn server_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    let ip = s.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{s:?} is not an IP address with an optional port"))
}
