//! `rampart explain URL`: which router wins a request, and why.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rampart::context::TlsInfo;
use rampart::{Body, ConnInfo};

use crate::check::Loaded;
use crate::cli::ExplainRequest;

/// Explains `request` against every entrypoint it could arrive on.
pub fn render(loaded: &Loaded, request: &ExplainRequest) -> Result<String, String> {
    let uri: http::Uri = request
        .url
        .parse()
        .map_err(|e| format!("URL `{}`: {e}", request.url))?;
    let tls = match uri.scheme_str() {
        Some("https" | "wss") => true,
        Some("http" | "ws") | None => false,
        Some(other) => {
            return Err(format!(
                "URL `{}`: scheme `{other}` is not HTTP",
                request.url
            ));
        }
    };
    let authority = uri
        .authority()
        .ok_or_else(|| format!("URL `{}` has no host", request.url))?;
    let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let peer: IpAddr = request
        .peer
        .as_deref()
        .unwrap_or("127.0.0.1")
        .parse()
        .map_err(|e| format!("--peer: {e}"))?;

    let config = &loaded.static_config.config;
    let mut names: Vec<&String> = match &request.entrypoint {
        Some(ep) => {
            let name = config
                .entry_points
                .keys()
                .find(|n| *n == ep)
                .ok_or_else(|| format!("entrypoint `{ep}` does not exist"))?;
            vec![name]
        }
        None => config
            .entry_points
            .iter()
            .filter(|(_, e)| e.address.port == port)
            .map(|(n, _)| n)
            .collect(),
    };
    if names.is_empty() {
        names = config.entry_points.keys().collect();
    }

    let mut out = String::new();
    for name in names {
        let Some(ep) = loaded.compiled.runtime.entrypoint(name) else {
            continue;
        };
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(uri.path_and_query().map_or("/", |pq| pq.as_str()))
            .header(http::header::HOST, authority.as_str());
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let mut req = builder
            .body(Body::empty())
            .map_err(|e| format!("request: {e}"))?;
        let peer = SocketAddr::new(peer, 50000);
        let info = if tls {
            let mut t = TlsInfo::default();
            t.server_name = Some(Arc::from(authority.host()));
            ConnInfo::with_tls(peer, name, t)
        } else {
            ConnInfo::plain(peer, name)
        };
        req.extensions_mut().insert(Arc::new(info));
        let _ = writeln!(
            out,
            "entrypoint {name} ({}):",
            if tls {
                "TLS routers"
            } else {
                "plain-HTTP routers"
            }
        );
        match ep.explain(req) {
            Ok(explained) => {
                let _ = writeln!(out, "{}", explained.explanation);
                if let Some(note) = internal_note(loaded, &explained.explanation) {
                    let _ = writeln!(out, "{note}");
                }
                left_out(&mut out, loaded, name);
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "  answered {} before routing: {}\n",
                    e.status, e.reason
                );
            }
        }
    }
    Ok(out)
}

/// A router left out by a configuration error never matches: say so, or the table would leave
/// the user wondering where it went.
fn left_out(out: &mut String, loaded: &Loaded, entrypoint: &str) {
    let names: Vec<&str> = loaded
        .compiled
        .report
        .routers
        .iter()
        .filter(|r| !r.active && r.entrypoints.iter().any(|e| e == entrypoint))
        .map(|r| r.name.as_str())
        .collect();
    if !names.is_empty() {
        let _ = writeln!(
            out,
            "not mounted because of configuration errors (see `rampart check`): {}",
            names.join(", ")
        );
    }
}

/// Why an internal router won, when one did: its priority is not one the user configured, so
/// "its configured priority" alone would puzzle (a reserved auth path, a redirection, ping).
fn internal_note(loaded: &Loaded, explanation: &rampart::table::Explanation) -> Option<String> {
    let winner = explanation.winner()?;
    let summary = loaded
        .compiled
        .report
        .routers
        .iter()
        .find(|s| s.internal && s.name == winner.router)?;
    let what = if summary.middlewares.is_empty() {
        String::new()
    } else {
        format!(" {}", summary.middlewares.join(", "))
    };
    Some(format!(
        "  {} is rampart's own router{what}, served by {}; rampart places it above every configured router.\n",
        summary.name, summary.service
    ))
}
