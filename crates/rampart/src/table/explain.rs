//! Why a request went where it went: every router, matched or not, in priority order.

use std::fmt;

use super::RoutingTable;
use super::router::PrioritySource;
use crate::request::RequestView;

/// The routing decision for one request, router by router.
///
/// ```
/// use rampart::request::RequestView;
/// use rampart::table::{Router, RoutingTable, TableOptions};
///
/// let built = RoutingTable::build(
///     [
///         Router::new("app@docker", "Host(`a.example`) || Host(`b.example`) || Host(`c.example`) || Host(`d.example`)", ()),
///         Router::new("outpost@docker", "Host(`a.example`) && PathPrefix(`/outpost.goauthentik.io/`)", ()),
///     ],
///     &TableOptions::default(),
/// );
/// let explained = built.table.explain(&RequestView::new("GET", "a.example", "/outpost.goauthentik.io/start"));
/// // The longer rule wins: the classic forward-auth pitfall, made visible.
/// assert_eq!(explained.winner().unwrap().router, "app@docker");
/// assert!(explained.reason().contains("the length of its rule"));
/// println!("{explained}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// What was asked: method, host and routing path.
    pub request: String,
    /// Every router of the table, in priority order.
    pub entries: Vec<ExplainEntry>,
}

/// One router's part in a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExplainEntry {
    /// The qualified name.
    pub router: String,
    /// The rule text.
    pub rule: String,
    /// The effective priority.
    pub priority: i64,
    /// Whether it was configured or is the rule's length.
    pub source: PrioritySource,
    /// The provider, empty when the name has none.
    pub provider: String,
    /// Whether its rule matched the request.
    pub matched: bool,
    /// Whether it is the router that serves the request.
    pub winner: bool,
}

impl Explanation {
    /// The winning router, if any matched.
    pub fn winner(&self) -> Option<&ExplainEntry> {
        self.entries.iter().find(|e| e.winner)
    }

    /// Why the winner won, in one sentence.
    pub fn reason(&self) -> String {
        let Some(winner) = self.winner() else {
            return "no router matched: the entrypoint answers 404".into();
        };
        let runner_up = self.entries.iter().find(|e| e.matched && !e.winner);
        let how = match winner.source {
            PrioritySource::Explicit => format!("its configured priority {}", winner.priority),
            PrioritySource::RuleLength => {
                format!("its priority {}, the length of its rule", winner.priority)
            }
        };
        match runner_up {
            None => format!("{} is the only router that matched", winner.router),
            Some(other) if other.priority == winner.priority => format!(
                "{} and {} both matched with priority {}; the tie goes to {} by provider precedence, then name",
                winner.router, other.router, winner.priority, winner.router
            ),
            Some(other) => format!(
                "{} matched and wins by {how}, above {} ({} from {})",
                winner.router, other.router, other.priority, other.source
            ),
        }
    }
}

impl<T> RoutingTable<T> {
    /// Explains the decision for `req`: every router in priority order, whether it matched,
    /// and which one won. This evaluates every rule; use [`route`](Self::route) to serve.
    pub fn explain(&self, req: &RequestView<'_>) -> Explanation {
        let winner = self.route(req).map(|r| r.name.as_str());
        let entries = self
            .routes
            .iter()
            .map(|route| ExplainEntry {
                router: route.name.clone(),
                rule: route.rule.text().to_string(),
                priority: route.priority,
                source: route.source,
                provider: route.provider().to_string(),
                matched: route.rule.matches(req),
                winner: winner == Some(route.name.as_str()),
            })
            .collect();
        Explanation {
            request: format!(
                "{} {} {}",
                req.method(),
                if req.host().is_empty() {
                    "(no host)"
                } else {
                    req.host()
                },
                String::from_utf8_lossy(req.path())
            ),
            entries,
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "request: {}", self.request)?;
        let name_width = self
            .entries
            .iter()
            .map(|e| e.router.len())
            .max()
            .unwrap_or(6)
            .max(6);
        writeln!(
            f,
            "  {:<name_width$}  {:>20}  {:<12}  {:<8}  rule",
            "router", "priority", "from", "result"
        )?;
        for e in &self.entries {
            let result = if e.winner {
                "WINNER"
            } else if e.matched {
                "matched"
            } else {
                "-"
            };
            writeln!(
                f,
                "  {:<name_width$}  {:>20}  {:<12}  {:<8}  {}",
                e.router,
                e.priority,
                e.source.to_string(),
                result,
                e.rule.replace('\n', " ")
            )?;
        }
        write!(f, "{}", self.reason())
    }
}
