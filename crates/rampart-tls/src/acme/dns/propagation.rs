//! The propagation check: poll until a published TXT value is visible where the CA will look,
//! then let the CA validate (lego's `dns01` precheck). A CA validates once, with no retry
//! (pebble: a single UDP query), so telling it too early turns a slow DNS server into a failed
//! order.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::{Instant, sleep};

use super::{Timing, TxtRecord, query};
use crate::acme::error::AcmeError;
use crate::acme::spec::DnsChallengeSpec;

/// Where and how the published record is checked.
///
/// With `dnsChallenge.resolvers` set, those servers are polled. Otherwise the zone's
/// authoritative servers are found (SOA, then NS, then their addresses, asked of the system's
/// resolvers) and polled directly, as lego does, so a resolver's negative cache cannot hide a
/// fresh record.
///
/// ```
/// use rampart_tls::acme::{DnsChallengeSpec, dns::PropagationChecker};
/// let mut spec = DnsChallengeSpec::new("rfc2136");
/// spec.resolvers = vec!["127.0.0.1:5353".into()];
/// assert!(PropagationChecker::from_spec(&spec).is_ok());
/// spec.resolvers = vec!["dns.example:53".into()];
/// assert!(PropagationChecker::from_spec(&spec).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct PropagationChecker {
    resolvers: Vec<SocketAddr>,
    bootstrap: Vec<SocketAddr>,
    authoritative_port: u16,
    delay_before_checks: Duration,
    disable_checks: bool,
    query_timeout: Duration,
}

impl PropagationChecker {
    /// From `dnsChallenge.resolvers` and `propagation.*`.
    pub fn from_spec(spec: &DnsChallengeSpec) -> Result<Self, AcmeError> {
        let resolvers = spec
            .resolvers
            .iter()
            .map(|r| {
                query::server_addr(r)
                    .map_err(|e| AcmeError::Spec(format!("dnsChallenge.resolvers: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PropagationChecker {
            resolvers,
            bootstrap: query::system_resolvers(),
            authoritative_port: 53,
            delay_before_checks: spec.delay_before_checks,
            disable_checks: spec.disable_checks,
            query_timeout: Duration::from_secs(5),
        })
    }

    /// Uses `servers` instead of `/etc/resolv.conf` to find the authoritative servers.
    #[must_use]
    pub fn with_bootstrap(mut self, servers: Vec<SocketAddr>) -> Self {
        self.bootstrap = servers;
        self
    }

    /// Asks authoritative servers on `port` instead of 53 (a private or test deployment).
    #[must_use]
    pub fn with_authoritative_port(mut self, port: u16) -> Self {
        self.authoritative_port = port;
        self
    }

    /// Waits `delayBeforeChecks`, then (unless `disableChecks`) polls until `record.value` is
    /// served by every target, or `timing.propagation_timeout` passes.
    pub async fn wait(&self, record: &TxtRecord, timing: Timing) -> Result<(), AcmeError> {
        if !self.delay_before_checks.is_zero() {
            tracing::info!(fqdn = %record.fqdn, delay = ?self.delay_before_checks, "acme: waiting before propagation checks");
            sleep(self.delay_before_checks).await;
        }
        if self.disable_checks {
            tracing::info!(fqdn = %record.fqdn, "acme: propagation checks disabled");
            return Ok(());
        }
        let fail = |reason: String| AcmeError::Propagation {
            fqdn: record.fqdn.clone(),
            reason,
        };
        let name = query::fqdn(&record.fqdn).map_err(fail)?;
        let deadline = Instant::now() + timing.propagation_timeout;
        let targets = self.targets(&name).await.map_err(fail)?;
        loop {
            let last = match self.visible_on_all(&targets, &name, &record.value).await {
                Ok(()) => {
                    tracing::info!(fqdn = %record.fqdn, servers = ?targets, "acme: TXT record propagated");
                    return Ok(());
                }
                Err(why) => why,
            };
            if Instant::now() + timing.polling_interval > deadline {
                return Err(fail(format!(
                    "not visible after {:?}: {last}",
                    timing.propagation_timeout
                )));
            }
            tracing::debug!(fqdn = %record.fqdn, %last, "acme: TXT record not propagated yet");
            sleep(timing.polling_interval).await;
        }
    }

    async fn targets(
        &self,
        name: &hickory_net::proto::rr::Name,
    ) -> Result<Vec<SocketAddr>, String> {
        if !self.resolvers.is_empty() {
            return Ok(self.resolvers.clone());
        }
        let mut errors = Vec::new();
        for b in &self.bootstrap {
            let found = async {
                let zone = query::find_zone(*b, name, self.query_timeout).await?;
                let servers = query::name_servers(*b, &zone, self.query_timeout).await?;
                let addrs: Vec<SocketAddr> = servers
                    .iter()
                    .flat_map(|(_, ips)| {
                        ips.iter()
                            .map(|ip| SocketAddr::new(*ip, self.authoritative_port))
                    })
                    .collect();
                if addrs.is_empty() {
                    return Err(format!("the name servers of {zone} have no addresses"));
                }
                Ok(addrs)
            }
            .await;
            match found {
                Ok(a) => return Ok(a),
                Err(e) => errors.push(e),
            }
        }
        Err(format!(
            "cannot find the authoritative servers: {}",
            errors.join("; ")
        ))
    }

    async fn visible_on_all(
        &self,
        targets: &[SocketAddr],
        name: &hickory_net::proto::rr::Name,
        value: &str,
    ) -> Result<(), String> {
        for t in targets {
            let values = query::txt(*t, name, self.query_timeout).await?;
            if !values.iter().any(|v| v == value) {
                return Err(format!("{t} serves {values:?}"));
            }
        }
        Ok(())
    }
}
