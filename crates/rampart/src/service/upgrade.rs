//! Relaying a `101 Switching Protocols`: both sides upgrade, then bytes flow both ways.

use http::StatusCode;
use http::header::{HeaderValue, UPGRADE};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use crate::error::{ErrorSource, RequestError};

/// Checks a `101` from the upstream and, when it answers the upgrade the client asked for,
/// splices the two upgraded connections in a background task.
///
/// A `101` the client did not ask for, or for another protocol, is a 502: switching the client
/// connection to a tunnel it did not request would let the upstream smuggle bytes (attack
/// catalogue E7, Pingora RUSTSEC-2026-0033); Go's `ReverseProxy` refuses the mismatch too.
pub(super) fn relay(
    requested: Option<&HeaderValue>,
    downstream: Option<OnUpgrade>,
    res: &mut http::Response<hyper::body::Incoming>,
) -> Result<(), RequestError> {
    let bad =
        |reason: String| RequestError::new(ErrorSource::Upstream, StatusCode::BAD_GATEWAY, reason);
    let Some(requested) = requested else {
        return Err(bad(
            "upstream switched protocols on a request that did not ask to".into(),
        ));
    };
    let answered = res.headers().get(UPGRADE);
    if !answered.is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(requested.as_bytes())) {
        return Err(bad(format!(
            "upstream tried to switch protocol {answered:?} when {requested:?} was requested"
        )));
    }
    let Some(downstream) = downstream else {
        // The client connection cannot be upgraded (HTTP/2, or a server without upgrades).
        return Err(RequestError::new(
            ErrorSource::Internal,
            StatusCode::BAD_GATEWAY,
            "client connection cannot be upgraded",
        ));
    };
    let upstream = hyper::upgrade::on(res);
    tokio::spawn(async move {
        let (client, server) = match tokio::try_join!(downstream, upstream) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade failed");
                return;
            }
        };
        let mut client = TokioIo::new(client);
        let mut server = TokioIo::new(server);
        match tokio::io::copy_bidirectional(&mut client, &mut server).await {
            Ok((up, down)) => tracing::debug!(up, down, "upgraded connection closed"),
            Err(e) => tracing::debug!(error = %e, "upgraded connection failed"),
        }
    });
    Ok(())
}
