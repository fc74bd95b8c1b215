//! One order, start to finish: create it, answer each pending authorization with the
//! resolver's challenge, wait for DNS propagation, tell the CA, finalize with a fresh key, and
//! download the chain. Whatever happens, every record, token and challenge certificate opened
//! for it is removed again.

use std::sync::Arc;
use std::time::Duration;

use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewOrder, Order, OrderStatus,
    RetryPolicy,
};

use super::certs::{CertFacts, csr, effective_key_type, generate_key, tls_alpn_certificate};
use super::challenges::{Http01Tokens, TlsAlpnCerts};
use super::dns::{DnsProvider, PropagationChecker, TxtRecord};
use super::error::AcmeError;
use super::spec::KeyType;

/// How a resolver answers challenges.
#[derive(Clone, Debug)]
pub(crate) enum Solver {
    Dns {
        provider: Arc<dyn DnsProvider>,
        checker: PropagationChecker,
    },
    Http(Http01Tokens),
    TlsAlpn(TlsAlpnCerts),
}

impl Solver {
    fn challenge_type(&self) -> ChallengeType {
        match self {
            Solver::Dns { .. } => ChallengeType::Dns01,
            Solver::Http(_) => ChallengeType::Http01,
            Solver::TlsAlpn(_) => ChallengeType::TlsAlpn01,
        }
    }
}

/// What an order produced.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) chain_pem: String,
    pub(crate) key_pem: String,
}

/// Settings of one order that come from the resolver spec.
#[derive(Debug, Clone)]
pub(crate) struct OrderSettings {
    pub(crate) resolver: String,
    pub(crate) key_type: KeyType,
    pub(crate) preferred_chain: Option<String>,
    /// Longest wait for the CA to validate, and then to issue (Traefik's `certificateTimeout`
    /// is per HTTP call; this bounds the polling).
    pub(crate) poll_timeout: Duration,
}

enum Opened {
    Txt(TxtRecord),
    Token(String),
    Alpn(String),
}

/// Runs one order for `names` (already normalised; the first is the common name).
pub(crate) async fn obtain(
    account: &Account,
    solver: &Solver,
    settings: &OrderSettings,
    names: &[String],
) -> Result<Issued, AcmeError> {
    let ids: Vec<Identifier> = names.iter().map(|n| Identifier::Dns(n.clone())).collect();
    let mut order = account.new_order(&NewOrder::new(&ids)).await?;
    tracing::info!(resolver = %settings.resolver, domains = ?names, order = order.url(), "acme: order created");
    let mut opened = Vec::new();
    let result = drive(&mut order, solver, settings, names, &mut opened).await;
    close(solver, opened).await;
    result
}

/// First pass: open a challenge for every pending authorization. HTTP-01 and TLS-ALPN-01 are
/// confirmed to the CA at once; DNS-01 records are returned to be checked first.
async fn present_all(
    order: &mut Order,
    solver: &Solver,
    resolver: &str,
    opened: &mut Vec<Opened>,
) -> Result<Vec<TxtRecord>, AcmeError> {
    let mut dns_pending: Vec<TxtRecord> = Vec::new();
    let mut authzs = order.authorizations();
    while let Some(authz) = authzs.next().await {
        let mut authz = authz?;
        let domain = authz.identifier().to_string();
        match authz.status {
            AuthorizationStatus::Pending => {}
            // Reused from an earlier order of this account (pebble, Let's Encrypt): nothing to do.
            AuthorizationStatus::Valid => continue,
            other => {
                return Err(AcmeError::Challenge {
                    domain,
                    reason: format!("authorization is {other:?}"),
                });
            }
        }
        let Identifier::Dns(base) = authz.identifier().identifier.clone() else {
            return Err(AcmeError::Challenge {
                domain,
                reason: "not a DNS identifier".into(),
            });
        };
        let kind = solver.challenge_type();
        let Some(mut challenge) = authz.challenge(kind.clone()) else {
            return Err(AcmeError::Challenge {
                domain,
                reason: format!("the CA offers no {kind:?} challenge for it"),
            });
        };
        let key_auth = challenge.key_authorization();
        match solver {
            Solver::Dns { provider, .. } => {
                let record = TxtRecord::new(
                    &domain,
                    &challenge.token,
                    key_auth.as_str(),
                    &key_auth.dns_value(),
                );
                provider.present(&record).await?;
                tracing::info!(resolver, %domain, fqdn = %record.fqdn, provider = provider.name(), "acme: challenge presented");
                opened.push(Opened::Txt(record.clone()));
                dns_pending.push(record);
            }
            Solver::Http(tokens) => {
                tokens.insert(&challenge.token, key_auth.as_str());
                opened.push(Opened::Token(challenge.token.clone()));
                tracing::info!(resolver, %domain, "acme: challenge presented (http-01)");
                challenge.set_ready().await?;
            }
            Solver::TlsAlpn(certs) => {
                certs.insert(
                    &base,
                    &tls_alpn_certificate(&base, key_auth.digest().as_ref())?,
                );
                opened.push(Opened::Alpn(base.clone()));
                tracing::info!(resolver, %domain, "acme: challenge presented (tls-alpn-01)");
                challenge.set_ready().await?;
            }
        }
    }
    Ok(dns_pending)
}

async fn drive(
    order: &mut Order,
    solver: &Solver,
    settings: &OrderSettings,
    names: &[String],
    opened: &mut Vec<Opened>,
) -> Result<Issued, AcmeError> {
    let resolver = settings.resolver.as_str();
    let dns_pending = present_all(order, solver, resolver, opened).await?;
    if let Solver::Dns { provider, checker } = solver
        && !dns_pending.is_empty()
    {
        for record in &dns_pending {
            checker.wait(record, provider.timing()).await?;
            tracing::info!(resolver, fqdn = %record.fqdn, "acme: propagation checked");
        }
        let mut authzs = order.authorizations();
        while let Some(authz) = authzs.next().await {
            let mut authz = authz?;
            if authz.status != AuthorizationStatus::Pending {
                continue;
            }
            if let Some(mut challenge) = authz.challenge(ChallengeType::Dns01) {
                challenge.set_ready().await?;
            }
        }
    }
    let policy = RetryPolicy::new()
        .initial_delay(Duration::from_millis(250))
        .backoff(1.5)
        .timeout(settings.poll_timeout);
    let status = order.poll_ready(&policy).await?;
    if status != OrderStatus::Ready {
        let reason = authorization_errors(order).await;
        return Err(AcmeError::Challenge {
            domain: names.join(","),
            reason: format!("order is {status:?}: {reason}"),
        });
    }
    tracing::info!(resolver, domains = ?names, "acme: validated");
    let key_type = effective_key_type(settings.key_type);
    if key_type != settings.key_type {
        tracing::warn!(
            resolver,
            requested = settings.key_type.as_str(),
            used = key_type.as_str(),
            "acme: ring cannot generate RSA keys; using an ECDSA key instead"
        );
    }
    let key = generate_key(key_type)?;
    order.finalize_csr(&csr(names, &key)?).await?;
    let chain_pem = order.poll_certificate(&policy).await?;
    tracing::info!(resolver, domains = ?names, "acme: finalized");
    if let Some(preferred) = settings
        .preferred_chain
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        let top = CertFacts::from_pem(chain_pem.as_bytes())
            .ok()
            .and_then(|f| f.top_issuer);
        if top.as_deref() != Some(preferred) {
            // instant-acme 0.8 downloads only the default chain (no `Link: rel="alternate"`).
            tracing::warn!(resolver, preferred, got = ?top, "acme: preferredChain not available; keeping the CA's default chain");
        }
    }
    Ok(Issued {
        chain_pem,
        key_pem: key.serialize_pem(),
    })
}

/// The CA's reasons, from each authorization's challenges, for a failed order.
async fn authorization_errors(order: &mut Order) -> String {
    let mut reasons = Vec::new();
    let mut authzs = order.authorizations();
    while let Some(Ok(mut authz)) = authzs.next().await {
        let domain = authz.identifier().to_string();
        if authz.refresh().await.is_err() {
            continue;
        }
        for ch in &authz.challenges {
            if let Some(err) = &ch.error {
                reasons.push(format!("{domain}: {err}"));
            }
        }
    }
    if reasons.is_empty() {
        "the CA gave no reason".into()
    } else {
        reasons.join("; ")
    }
}

async fn close(solver: &Solver, opened: Vec<Opened>) {
    for o in opened {
        match (solver, o) {
            (Solver::Dns { provider, .. }, Opened::Txt(record)) => {
                if let Err(e) = provider.cleanup(&record).await {
                    tracing::warn!(fqdn = %record.fqdn, error = %e, "acme: could not remove the challenge record");
                }
            }
            (Solver::Http(tokens), Opened::Token(t)) => tokens.remove(&t),
            (Solver::TlsAlpn(certs), Opened::Alpn(d)) => {
                certs.remove(&d);
            }
            _ => {}
        }
    }
}
