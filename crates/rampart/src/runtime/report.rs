//! What compiling a configuration found: every problem, and every router as it will serve.

use std::fmt;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something is not used as written (a router left out, a service that cannot be built).
    Error,
    /// Works, but probably not as meant (a v2 placeholder in a v3 rule, a skipped cipher).
    Warning,
}

/// What a problem is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// An entrypoint of the static configuration.
    EntryPoint,
    /// A router.
    Router,
    /// A service.
    Service,
    /// A middleware.
    Middleware,
    /// A servers transport.
    ServersTransport,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProblemKind::EntryPoint => "entrypoint",
            ProblemKind::Router => "router",
            ProblemKind::Service => "service",
            ProblemKind::Middleware => "middleware",
            ProblemKind::ServersTransport => "servers transport",
        })
    }
}

/// One problem, attached to the object it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The kind of object.
    pub kind: ProblemKind,
    /// The object's qualified name (`app@file`).
    pub name: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {} `{}`: {}", self.kind, self.name, self.message)
    }
}

/// A router as compiled, for `rampart check`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent facts printed as columns"
)]
pub struct RouterSummary {
    /// Qualified name.
    pub name: String,
    /// The rule text.
    pub rule: String,
    /// The effective priority.
    pub priority: i64,
    /// Whether the priority was given explicitly.
    pub explicit_priority: bool,
    /// The entrypoints it is mounted on.
    pub entrypoints: Vec<String>,
    /// Its middlewares, qualified, entrypoint ones first.
    pub middlewares: Vec<String>,
    /// Its service, qualified.
    pub service: String,
    /// Whether it serves TLS connections.
    pub tls: bool,
    /// Whether it is mounted (false: an error left it out).
    pub active: bool,
    /// rampart's own routers (redirections, ping, reserved auth paths).
    pub internal: bool,
}

/// Everything compiling found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Problems, in the order found.
    pub problems: Vec<Problem>,
    /// Every router, mounted or not, sorted by entrypoint-independent priority.
    pub routers: Vec<RouterSummary>,
}

impl Report {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        kind: ProblemKind,
        name: &str,
        message: impl fmt::Display,
    ) {
        self.problems.push(Problem {
            severity,
            kind,
            name: name.to_owned(),
            message: message.to_string(),
        });
    }

    pub(crate) fn error(&mut self, kind: ProblemKind, name: &str, message: impl fmt::Display) {
        self.push(Severity::Error, kind, name, message);
    }

    pub(crate) fn warning(&mut self, kind: ProblemKind, name: &str, message: impl fmt::Display) {
        self.push(Severity::Warning, kind, name, message);
    }
}
