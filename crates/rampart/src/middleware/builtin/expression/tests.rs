//! Tests of the parser, type checker and evaluator.

use super::*;

const F: &[Signature] = &[
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
        name: "RequestMethod",
        params: &[],
        returns: Type::Str,
    },
];

struct E {
    net: bool,
    attempts: i64,
    ratio: f64,
    latency: i64,
    method: &'static str,
}
impl Env for E {
    fn call(&self, function: usize, args: &[Value]) -> Value {
        match function {
            0 => Value::Bool(self.net),
            1 => Value::Int(self.attempts),
            2 => {
                assert_eq!(
                    args,
                    [
                        Value::Int(500),
                        Value::Int(600),
                        Value::Int(0),
                        Value::Int(600)
                    ]
                );
                Value::Float(self.ratio)
            }
            3 => {
                assert_eq!(args, [Value::Float(50.0)]);
                Value::Int(self.latency)
            }
            _ => Value::Str(self.method.to_owned()),
        }
    }
}

const ENV: E = E {
    net: true,
    attempts: 2,
    ratio: 0.3,
    latency: 120,
    method: "GET",
};

#[test]
fn evaluates_traefik_examples() {
    let cases = [
        ("IsNetworkError() && Attempts() <= 2", true),
        ("IsNetworkError() && Attempts() < 2", false),
        ("ResponseCodeRatio(500, 600, 0, 600) > 0.25", true),
        (
            "ResponseCodeRatio(500, 600, 0, 600) > 0.50 || LatencyAtQuantileMS(50.0) > 100",
            true,
        ),
        ("LatencyAtQuantileMS(50) > 100 && !IsNetworkError()", false),
        ("!(Attempts() == 2)", false),
        (
            "(IsNetworkError() || Attempts() > 5) && Attempts() != 3",
            true,
        ),
        ("RequestMethod() == \"GET\" && Attempts() >= 2.0", true),
        ("RequestMethod() != `POST`", true),
        ("0.2 < ResponseCodeRatio(500, 600, 0, 600)", true),
        ("true && IsNetworkError() == true", true),
    ];
    for (src, want) in cases {
        let p = Program::compile(src, F).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(p.eval(&ENV), want, "{src}");
    }
    assert!(
        Program::compile("LatencyAtQuantileMS(50.0) > 1", F)
            .unwrap()
            .calls(3)
    );
    assert!(!Program::compile("Attempts() > 1", F).unwrap().calls(3));
}

#[test]
fn refuses_bad_expressions_with_a_position() {
    let cases = [
        ("", "empty"),
        ("Attempts() <= ", "ends too early"),
        ("Attempts() <= 2 2", "after a complete expression"),
        ("Foo() > 1", "unknown function `Foo`"),
        ("Attempts", "call it"),
        ("Attempts() && true", "not a condition"),
        (
            "RequestMethod() > \"A\" && Attempts() < \"3\"",
            "cannot compare",
        ),
        ("ResponseCodeRatio(500, 600) > 0.5", "takes 4 argument"),
        ("LatencyAtQuantileMS(\"x\") > 1", "wants a Float"),
        ("LatencyAtQuantileMS(Attempts()) > 1", "constants"),
        ("(Attempts() > 1", "missing `)`"),
        ("Attempts() > 1 & true", "unexpected `&`"),
        ("Attempts() > \"1", "unterminated"),
        ("(IsNetworkError()) == true", "cannot be compared"),
    ];
    for (src, want) in cases {
        let err = Program::compile(src, F).unwrap_err().to_string();
        assert!(err.contains(want), "{src}: {err}");
        assert!(err.starts_with("at "), "{err}");
    }
}

#[test]
fn check_calls_reports_the_call_position() {
    let p = Program::compile(
        "Attempts() > 1 && (LatencyAtQuantileMS(50) > 3 || LatencyAtQuantileMS(101) > 3)",
        F,
    )
    .unwrap();
    let mut seen = Vec::new();
    let err = p
        .check_calls(|function, args| {
            seen.push((function, args.to_vec()));
            match args {
                [Value::Float(q)] if *q > 100.0 => Err("too high".to_owned()),
                _ => Ok(()),
            }
        })
        .unwrap_err();
    assert_eq!(
        err,
        ExprError::Argument {
            at: 50,
            function: "LatencyAtQuantileMS",
            message: "too high".to_owned()
        }
    );
    assert_eq!(err.to_string(), "at 50: `LatencyAtQuantileMS`: too high");
    assert_eq!(
        seen,
        [
            (1, vec![]),
            (3, vec![Value::Float(50.0)]),
            (3, vec![Value::Float(101.0)])
        ]
    );
    assert!(p.check_calls(|_, _| Ok(())).is_ok());
}

/// The circuit breaker's argument checks, including what the lexer cannot produce today
/// (negative literals).
#[test]
fn breaker_argument_checks() {
    let rcr = BreakerFunction::ResponseCodeRatio.index();
    let q = BreakerFunction::LatencyAtQuantileMs.index();
    let ints = |a, b, c, d| [Value::Int(a), Value::Int(b), Value::Int(c), Value::Int(d)];
    assert!(BreakerFunction::check_call(rcr, &ints(500, 600, 0, 600)).is_ok());
    assert!(BreakerFunction::check_call(rcr, &ints(0, 1, 0, 1000)).is_ok());
    for (args, want) in [
        (ints(500, 500, 0, 600), "[from, to) = [500, 500) is empty"),
        (
            ints(500, 600, 600, 0),
            "[dividedByFrom, dividedByTo) = [600, 0) is empty",
        ),
        (ints(-5, 600, 0, 600), "`from` (-5) must not be negative"),
        (
            ints(500, 600, -1, 600),
            "`dividedByFrom` (-1) must not be negative",
        ),
    ] {
        let err = BreakerFunction::check_call(rcr, &args).unwrap_err();
        assert!(err.contains(want), "{err}");
    }
    assert!(BreakerFunction::check_call(q, &[Value::Float(0.0)]).is_ok());
    assert!(BreakerFunction::check_call(q, &[Value::Float(100.0)]).is_ok());
    for bad in [-0.1, 100.01, f64::NAN] {
        assert!(
            BreakerFunction::check_call(q, &[Value::Float(bad)]).is_err(),
            "{bad}"
        );
    }
    assert_eq!(BreakerFunction::from_index(4), None);
    assert_eq!(
        BreakerFunction::SIGNATURES[BreakerFunction::RequestThreshold.index()].name,
        "RequestThreshold"
    );
    assert_eq!(
        RetryFunction::SIGNATURES[RetryFunction::ResponseCode.index()].name,
        "ResponseCode"
    );
}
