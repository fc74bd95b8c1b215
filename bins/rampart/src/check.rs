//! `rampart check`: validate everything and print the routing table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rampart::compile::{Compiled, InternalServices};
use rampart::middleware::Registry;
use rampart::runtime::{Problem, ProblemKind, Severity};
use rampart_config::dynamic_config::ObjectKind;
use rampart_config::provider::{FileProvider, Snapshot};
use rampart_config::static_config::RedirectTarget;
use rampart_config::{ConfigErrors, DynamicConfig, LoadedStatic, StaticConfig};
use rampart_tls::{AlpnChallengeCerts, CertStore};

use crate::live::compile_snapshot;

/// Everything `check` and `explain` look at.
#[derive(Debug)]
pub struct Loaded {
    /// The static configuration.
    pub static_config: LoadedStatic,
    /// The dynamic configuration, loaded once.
    pub snapshot: Snapshot,
    /// What compiling it gave.
    pub compiled: Compiled,
    /// The TLS report (options, certificates).
    pub tls: rampart_tls::Report,
}

/// Loads and compiles the configuration named by `flags`, without listening or starting any
/// background task.
pub fn load(
    flags: &[String],
    env: &BTreeMap<String, String>,
    registry: &Registry,
) -> Result<Loaded, ConfigErrors> {
    let static_config = StaticConfig::load(flags, env.clone())?;
    let snapshot = match &static_config.config.providers.file {
        Some(file) => FileProvider::load_once(file.source.clone(), env.clone()),
        None => Snapshot {
            generation: 1,
            config: DynamicConfig::default(),
            report: rampart_config::LoadReport::default(),
            changes: rampart_config::ConfigDiff::default(),
        },
    };
    let compiled = compile_snapshot(
        &static_config.config,
        &snapshot.config,
        registry,
        &InternalServices::default(),
        false,
    );
    let store = std::sync::Arc::new(CertStore::new());
    let challenges = std::sync::Arc::new(AlpnChallengeCerts::new());
    let entrypoints: Vec<&str> = static_config
        .config
        .entry_points
        .keys()
        .map(String::as_str)
        .collect();
    let (_, tls) = crate::tls::build(
        &entrypoints,
        &snapshot.config,
        &compiled.tls_routers,
        &store,
        &challenges,
    );
    Ok(Loaded {
        static_config,
        snapshot,
        compiled,
        tls,
    })
}

/// The `check` report and whether it found errors.
pub fn render(loaded: &Loaded) -> (String, bool) {
    let mut out = String::new();
    let st = &loaded.static_config;
    let _ = writeln!(out, "Static configuration: {}", st.source);
    entrypoints(&mut out, &st.config);
    routers(&mut out, &loaded.compiled.report);
    let (errors, warnings, unsupported) = problems(&mut out, loaded);
    let report = &loaded.compiled.report;
    let active = report
        .routers
        .iter()
        .filter(|r| r.active && !r.internal)
        .count();
    let _ = writeln!(
        out,
        "\n{active} routers active, {errors} errors, {warnings} warnings, {unsupported} not yet supported"
    );
    (out, errors > 0)
}

fn entrypoints(out: &mut String, config: &StaticConfig) {
    let _ = writeln!(out, "\nEntrypoints:");
    for (name, ep) in &config.entry_points {
        let mut notes = Vec::new();
        if let Some(r) = &ep.http.redirection {
            let to = match &r.to {
                RedirectTarget::EntryPoint(e) => e.clone(),
                RedirectTarget::Port(p) => format!(":{p}"),
            };
            notes.push(format!(
                "redirects to {to} ({}, {})",
                r.scheme,
                if r.permanent {
                    "permanent"
                } else {
                    "temporary"
                }
            ));
        }
        if let Some(tls) = &ep.http.tls {
            let mut t = String::from("TLS");
            if let Some(o) = &tls.options {
                let _ = write!(t, ", options {o}");
            }
            if let Some(r) = &tls.cert_resolver {
                let _ = write!(t, ", resolver {r}");
            }
            let domains: Vec<String> = tls
                .domains
                .iter()
                .flat_map(|d| d.names().map(str::to_owned))
                .collect();
            if !domains.is_empty() {
                let _ = write!(t, ", domains {}", domains.join(" "));
            }
            notes.push(t);
        }
        if !ep.http.middlewares.is_empty() {
            notes.push(format!("middlewares {}", ep.http.middlewares.join(", ")));
        }
        if !ep.forwarded_headers.trusted_ips.is_empty() {
            notes.push(format!(
                "{} trusted IP ranges",
                ep.forwarded_headers.trusted_ips.len()
            ));
        }
        let _ = writeln!(
            out,
            "  {name:<12} {}:{}  {}",
            ep.address.host,
            ep.address.port,
            notes.join("; ")
        );
    }
}

fn routers(out: &mut String, report: &rampart::runtime::Report) {
    let _ = writeln!(out, "\nRouters (highest priority first):");
    let rows: Vec<[String; 7]> = report
        .routers
        .iter()
        .map(|r| {
            [
                if r.active {
                    "ok".to_owned()
                } else {
                    "ERROR".to_owned()
                },
                r.name.clone(),
                format!(
                    "{}{}",
                    r.priority,
                    if r.explicit_priority { "" } else { " (len)" }
                ),
                r.rule.clone(),
                format!(
                    "{}{}",
                    r.entrypoints.join(","),
                    if r.tls { " (tls)" } else { "" }
                ),
                if r.middlewares.is_empty() {
                    "-".to_owned()
                } else {
                    r.middlewares.join(", ")
                },
                r.service.clone(),
            ]
        })
        .collect();
    let header = [
        "STATUS",
        "ROUTER",
        "PRIORITY",
        "RULE",
        "ENTRYPOINTS",
        "MIDDLEWARES",
        "SERVICE",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count()).min(70);
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for (cell, w) in cells.iter().zip(widths) {
            let _ = write!(s, " {cell:<w$}");
        }
        s.trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", line(&header.map(str::to_owned)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
}

/// Writes every problem; returns (errors, warnings, not yet supported).
fn problems(out: &mut String, loaded: &Loaded) -> (usize, usize, usize) {
    let st = &loaded.static_config;
    let report = &loaded.compiled.report;
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut problems = Vec::new();
    let unsupported: Vec<String> = st.unsupported().map(ToString::to_string).collect();
    for w in st.warnings.iter().filter(|w| !w.is_unsupported()) {
        problems.push(format!("warning: {w}"));
        warnings += 1;
    }
    for e in &loaded.snapshot.report.errors {
        problems.push(format!("error: {e}"));
        errors += 1;
    }
    for w in &loaded.snapshot.report.warnings {
        if w.is_unsupported() {
            problems.push(format!("not yet supported: {w}"));
        } else {
            problems.push(format!("warning: {w}"));
        }
        warnings += 1;
    }
    for p in &report.problems {
        problems.push(describe(p, &loaded.snapshot.config));
        match p.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
    }
    for e in &loaded.tls.errors {
        problems.push(format!("error: tls: {e}"));
        errors += 1;
    }
    for w in &loaded.tls.warnings {
        problems.push(format!("warning: tls: {w}"));
        warnings += 1;
    }
    if !unsupported.is_empty() {
        let _ = writeln!(out, "\nNot yet supported (parsed, not used):");
        for u in &unsupported {
            let _ = writeln!(out, "  {u}");
        }
    }
    if !problems.is_empty() {
        let _ = writeln!(out, "\nProblems:");
        for p in &problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    (errors, warnings, unsupported.len())
}

/// A compile problem with the file (and line) its object was defined at, so that a broken
/// middleware or router can be found in a directory of rules:
/// ``error: middleware `auth@file` (rules/auth.yaml:4:5): `address`: …``.
pub fn describe(problem: &Problem, config: &DynamicConfig) -> String {
    let kind = match problem.kind {
        ProblemKind::Router => Some(ObjectKind::Router),
        ProblemKind::Middleware => Some(ObjectKind::Middleware),
        ProblemKind::Service => Some(ObjectKind::Service),
        ProblemKind::ServersTransport => Some(ObjectKind::ServersTransport),
        ProblemKind::EntryPoint => None,
    };
    let origin = kind.and_then(|k| config.origins.get(&(k, problem.name.clone())));
    let Some(origin) = origin else {
        return problem.to_string();
    };
    let severity = match problem.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "{severity}: {} `{}` ({origin}): {}",
        problem.kind, problem.name, problem.message
    )
}
