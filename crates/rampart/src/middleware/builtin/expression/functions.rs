//! The functions of Traefik's two expression dialects, each an enum whose order is the index
//! [`Program::compile`](super::Program::compile) gives its functions.
//!
//! * [`RetryFunction`] — `buffering.retryExpression` (oxy `buffer`'s retry predicate).
//! * [`BreakerFunction`] — `circuitBreaker.expression` (oxy `cbreaker`'s trip condition), with
//!   the argument checks that make an impossible call a build error.

use super::{Signature, Type, Value};

/// A function of `buffering.retryExpression`, evaluated after each attempt.
///
/// ```
/// use rampart::middleware::builtin::expression::{Program, RetryFunction};
/// let p = Program::compile("IsNetworkError() && Attempts() <= 2", RetryFunction::SIGNATURES).unwrap();
/// assert!(p.calls(RetryFunction::Attempts.index()));
/// assert_eq!(RetryFunction::from_index(3), Some(RetryFunction::RequestMethod));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryFunction {
    /// `IsNetworkError()`: the last answer was `502` or `504` (what Traefik's proxy sends when
    /// the upstream could not be reached or timed out).
    IsNetworkError,
    /// `Attempts()`: how many times the request was sent, from 1.
    Attempts,
    /// `ResponseCode()`: the status of the last answer.
    ResponseCode,
    /// `RequestMethod()`: the request method.
    RequestMethod,
}

impl RetryFunction {
    const ALL: [RetryFunction; 4] = [
        RetryFunction::IsNetworkError,
        RetryFunction::Attempts,
        RetryFunction::ResponseCode,
        RetryFunction::RequestMethod,
    ];

    /// The signatures, in the enum's order.
    pub const SIGNATURES: &'static [Signature] = &[
        Signature {
            name: "IsNetworkError",
            params: &[],
            returns: Type::Bool,
        },
        Signature {
            name: "Attempts",
            params: &[],
            returns: Type::Int,
        },
        Signature {
            name: "ResponseCode",
            params: &[],
            returns: Type::Int,
        },
        Signature {
            name: "RequestMethod",
            params: &[],
            returns: Type::Str,
        },
    ];

    /// The function with index `index` in [`RetryFunction::SIGNATURES`].
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// Its index in [`RetryFunction::SIGNATURES`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A function of `circuitBreaker.expression`, evaluated over the breaker's rolling metrics.
///
/// ```
/// use rampart::middleware::builtin::expression::{BreakerFunction, Program};
/// let p = Program::compile(
///     "ResponseCodeRatio(500, 600, 0, 600) > 0.25 && RequestThreshold() >= 20",
///     BreakerFunction::SIGNATURES,
/// )
/// .unwrap();
/// assert!(p.check_calls(BreakerFunction::check_call).is_ok());
///
/// let empty = Program::compile("ResponseCodeRatio(600, 500, 0, 600) > 0.5", BreakerFunction::SIGNATURES)
///     .unwrap();
/// assert!(empty.check_calls(BreakerFunction::check_call).unwrap_err().to_string().contains("empty"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerFunction {
    /// `NetworkErrorRatio()`: network errors / all requests in the window (0 when none).
    NetworkErrorRatio,
    /// `ResponseCodeRatio(from, to, dividedByFrom, dividedByTo)`: answers with a status in
    /// `[from, to)` / answers with a status in `[dividedByFrom, dividedByTo)` (0 when the
    /// divisor is 0).
    ResponseCodeRatio,
    /// `LatencyAtQuantileMS(q)`: the latency (whole milliseconds) below which `q` percent of the
    /// requests in the window were answered.
    LatencyAtQuantileMs,
    /// `RequestThreshold()`: how many requests the window holds.
    RequestThreshold,
}

impl BreakerFunction {
    const ALL: [BreakerFunction; 4] = [
        BreakerFunction::NetworkErrorRatio,
        BreakerFunction::ResponseCodeRatio,
        BreakerFunction::LatencyAtQuantileMs,
        BreakerFunction::RequestThreshold,
    ];

    /// The signatures, in the enum's order (Traefik's names).
    pub const SIGNATURES: &'static [Signature] = &[
        Signature {
            name: "NetworkErrorRatio",
            params: &[],
            returns: Type::Float,
        },
        Signature {
            name: "ResponseCodeRatio",
            params: &[Type::Int, Type::Int, Type::Int, Type::Int],
            returns: Type::Float,
        },
        Signature {
            name: "LatencyAtQuantileMS",
            params: &[Type::Float],
            returns: Type::Int,
        },
        Signature {
            name: "RequestThreshold",
            params: &[],
            returns: Type::Int,
        },
    ];

    /// The function with index `index` in [`BreakerFunction::SIGNATURES`].
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// Its index in [`BreakerFunction::SIGNATURES`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Refuses constant arguments no evaluation can make sense of; give it to
    /// [`Program::check_calls`](super::Program::check_calls).
    ///
    /// * `ResponseCodeRatio`: each range `[from, to)` must be non-empty and not below 0 (an
    ///   empty range makes the ratio 0, or the divisor 0, forever: Traefik accepts it and the
    ///   breaker silently never trips);
    /// * `LatencyAtQuantileMS`: the quantile is a percentage, `0.0` to `100.0` (Traefik clamps
    ///   a larger one to 100).
    pub fn check_call(function: usize, args: &[Value]) -> Result<(), String> {
        match (Self::from_index(function), args) {
            (
                Some(BreakerFunction::ResponseCodeRatio),
                [
                    Value::Int(from),
                    Value::Int(to),
                    Value::Int(div_from),
                    Value::Int(div_to),
                ],
            ) => {
                range("from", "to", *from, *to)?;
                range("dividedByFrom", "dividedByTo", *div_from, *div_to)
            }
            (Some(BreakerFunction::LatencyAtQuantileMs), [Value::Float(q)]) => {
                if (0.0..=100.0).contains(q) {
                    Ok(())
                } else {
                    Err(format!(
                        "the quantile is a percentage between 0.0 and 100.0, got {q}"
                    ))
                }
            }
            _ => Ok(()),
        }
    }
}

fn range(from_name: &str, to_name: &str, from: i64, to: i64) -> Result<(), String> {
    if from < 0 {
        return Err(format!("`{from_name}` ({from}) must not be negative"));
    }
    if from >= to {
        return Err(format!(
            "the status range [{from_name}, {to_name}) = [{from}, {to}) is empty \
             (`{from_name}` is inclusive, `{to_name}` exclusive)"
        ));
    }
    Ok(())
}
