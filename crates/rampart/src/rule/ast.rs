//! The parsed form of a rule: matcher calls joined by `&&`, `||` and `!`.

use super::error::Span;

/// A rule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// `Name(args…)`.
    Call(Call),
    /// `!expr`.
    Not(Box<Expr>, Span),
    /// `a && b && …` (two or more operands).
    And(Vec<Expr>),
    /// `a || b || …` (two or more operands).
    Or(Vec<Expr>),
}

/// One matcher call as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    /// The name as written (any accepted spelling).
    pub(crate) name: String,
    /// Where the name is.
    pub(crate) name_span: Span,
    /// The decoded string arguments.
    pub(crate) args: Vec<Arg>,
    /// The whole call, name to closing parenthesis.
    pub(crate) span: Span,
}

/// One decoded string argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    /// The value after Go's unquoting.
    pub(crate) value: String,
    /// The literal, quotes included.
    pub(crate) span: Span,
}

impl Expr {
    /// Visits every call, left to right.
    pub(crate) fn for_each_call<'a>(&'a self, f: &mut impl FnMut(&'a Call)) {
        match self {
            Expr::Call(call) => f(call),
            Expr::Not(inner, _) => inner.for_each_call(f),
            Expr::And(items) | Expr::Or(items) => {
                for item in items {
                    item.for_each_call(f);
                }
            }
        }
    }
}
