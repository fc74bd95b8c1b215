//! Traefik's condition expressions (vulcand `predicate`, used by `buffering.retryExpression` and
//! `circuitBreaker.expression`): Go-syntax boolean expressions over function calls.
//!
//! ```text
//! IsNetworkError() && Attempts() <= 2
//! NetworkErrorRatio() > 0.30 || ResponseCodeRatio(500, 600, 0, 600) > 0.25
//! LatencyAtQuantileMS(50.0) > 100 && RequestThreshold() >= 20
//! ```
//!
//! `&&`, `||`, `!`, the comparisons `== != < <= > >=`, parentheses, integer, float and string
//! literals, and calls of the functions the user of the language declares (with constant
//! arguments). An expression is compiled once, at build time, against those declarations (unknown
//! function, wrong arguments or a comparison of a string with a number are build errors), then
//! evaluated per use without allocating.
//!
//! * `lexer` — tokens with byte offsets.
//! * `program` — parser, type checker and evaluator: [`Program`], [`Signature`], [`Env`].
//! * `functions` — the function sets of the two dialects: [`RetryFunction`],
//!   [`BreakerFunction`].

mod functions;
mod lexer;
mod program;
#[cfg(test)]
mod tests;

pub use functions::{BreakerFunction, RetryFunction};
pub use program::{Env, ExprError, Program, Signature, Type, Value};
