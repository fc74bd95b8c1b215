//! Parsing, type checking and evaluation of an expression.

use std::cmp::Ordering;
use std::fmt;

use super::lexer::{Tok, lex};

/// The type of a value or of a function's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// `true` / `false`.
    Bool,
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
    /// A string.
    Str,
}

/// A literal argument, or what a function returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
}

/// A function the expressions may call.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// Its name, as written in expressions (`Attempts`).
    pub name: &'static str,
    /// Its parameter types (integer literals are accepted for float parameters).
    pub params: &'static [Type],
    /// Its result type.
    pub returns: Type,
}

/// What evaluation asks of its caller: the value of a call.
pub trait Env {
    /// Calls function number `function` (its index in the signatures given to
    /// [`Program::compile`]) with `args`, which have the declared types.
    fn call(&self, function: usize, args: &[Value]) -> Value;
}

/// Why an expression does not compile; offsets are in bytes from the start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExprError {
    /// Not an expression.
    #[error("at {at}: {message}")]
    Syntax {
        /// Byte offset.
        at: usize,
        /// What is wrong.
        message: String,
    },
    /// A call of a function that is not declared.
    #[error("at {at}: unknown function `{name}` (known: {known})")]
    UnknownFunction {
        /// Byte offset.
        at: usize,
        /// The name as written.
        name: String,
        /// The declared names.
        known: String,
    },
    /// Well-formed, but the types do not fit.
    #[error("at {at}: {message}")]
    Type {
        /// Byte offset.
        at: usize,
        /// What does not fit.
        message: String,
    },
    /// Well-typed, but a constant argument makes no sense (refused by
    /// [`Program::check_calls`]).
    #[error("at {at}: `{function}`: {message}")]
    Argument {
        /// Byte offset of the call.
        at: usize,
        /// The function called.
        function: &'static str,
        /// What is wrong with its arguments.
        message: String,
    },
}

impl ExprError {
    pub(super) fn syntax(at: usize, message: impl Into<String>) -> Self {
        ExprError::Syntax {
            at,
            message: message.into(),
        }
    }
    fn ty(at: usize, message: impl Into<String>) -> Self {
        ExprError::Type {
            at,
            message: message.into(),
        }
    }
}

/// A compiled expression.
///
/// ```
/// use rampart::middleware::builtin::expression::{Env, Program, Signature, Type, Value};
///
/// const FUNCTIONS: &[Signature] = &[
///     Signature { name: "IsNetworkError", params: &[], returns: Type::Bool },
///     Signature { name: "Attempts", params: &[], returns: Type::Int },
/// ];
/// struct Attempt { attempts: i64, network_error: bool }
/// impl Env for Attempt {
///     fn call(&self, function: usize, _args: &[Value]) -> Value {
///         match function {
///             0 => Value::Bool(self.network_error),
///             _ => Value::Int(self.attempts),
///         }
///     }
/// }
///
/// let retry = Program::compile("IsNetworkError() && Attempts() <= 2", FUNCTIONS).unwrap();
/// assert!(retry.eval(&Attempt { attempts: 2, network_error: true }));
/// assert!(!retry.eval(&Attempt { attempts: 3, network_error: true }));
/// assert!(Program::compile("Attempts() <= \"2\"", FUNCTIONS).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Program {
    root: Node,
    /// The names of the declared functions, by index (for [`Program::check_calls`] errors).
    names: Vec<&'static str>,
}

#[derive(Debug, Clone)]
enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Cmp(CmpOp, Operand, Operand),
    /// A bool-valued operand on its own (`IsNetworkError()`, `true`).
    Truth(Operand),
}

#[derive(Debug, Clone, Copy)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
enum Operand {
    Lit(Value),
    /// `at`: the byte offset of the call, for errors found after compiling
    /// ([`Program::check_calls`]).
    Call {
        function: usize,
        args: Vec<Value>,
        at: usize,
    },
}

/// A caller's check of one call's constant arguments.
type CheckFn<'f> = dyn FnMut(usize, &[Value]) -> Result<(), String> + 'f;

impl Program {
    /// Compiles `src` against `functions`.
    pub fn compile(src: &str, functions: &[Signature]) -> Result<Program, ExprError> {
        if src.trim().is_empty() {
            return Err(ExprError::syntax(0, "empty expression"));
        }
        let tokens = lex(src)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            functions,
            end: src.len(),
        };
        let root = p.or()?;
        if let Some((at, tok)) = p.tokens.get(p.pos) {
            return Err(ExprError::syntax(
                *at,
                format!("unexpected {tok:?} after a complete expression"),
            ));
        }
        Ok(Program {
            root,
            names: functions.iter().map(|s| s.name).collect(),
        })
    }

    /// Evaluates the expression.
    pub fn eval(&self, env: &dyn Env) -> bool {
        eval(&self.root, env)
    }

    /// Whether the expression calls function number `function` (so that a caller can skip
    /// collecting what only that function needs).
    pub fn calls(&self, function: usize) -> bool {
        fn operand(o: &Operand, f: usize) -> bool {
            matches!(o, Operand::Call { function, .. } if *function == f)
        }
        fn walk(n: &Node, f: usize) -> bool {
            match n {
                Node::Or(v) | Node::And(v) => v.iter().any(|n| walk(n, f)),
                Node::Not(n) => walk(n, f),
                Node::Cmp(_, a, b) => operand(a, f) || operand(b, f),
                Node::Truth(o) => operand(o, f),
            }
        }
        walk(&self.root, function)
    }

    /// Runs `check` on every call with its constant arguments, so that the user of the language
    /// can refuse arguments no evaluation could make sense of (a quantile above 100, an empty
    /// status range). The first refusal becomes an [`ExprError::Argument`] at the call.
    ///
    /// ```
    /// use rampart::middleware::builtin::expression::{Program, Signature, Type, Value};
    /// const F: &[Signature] =
    ///     &[Signature { name: "LatencyAtQuantileMS", params: &[Type::Float], returns: Type::Int }];
    /// let p = Program::compile("LatencyAtQuantileMS(150.0) > 100", F).unwrap();
    /// let err = p
    ///     .check_calls(|_, args| match args {
    ///         [Value::Float(q)] if (0.0..=100.0).contains(q) => Ok(()),
    ///         _ => Err("the quantile must be between 0 and 100".to_owned()),
    ///     })
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "at 0: `LatencyAtQuantileMS`: the quantile must be between 0 and 100");
    /// ```
    pub fn check_calls(
        &self,
        mut check: impl FnMut(usize, &[Value]) -> Result<(), String>,
    ) -> Result<(), ExprError> {
        fn operand(o: &Operand, check: &mut CheckFn<'_>) -> Result<(), (usize, usize, String)> {
            match o {
                Operand::Call { function, args, at } => {
                    check(*function, args).map_err(|m| (*at, *function, m))
                }
                Operand::Lit(_) => Ok(()),
            }
        }
        fn walk(n: &Node, check: &mut CheckFn<'_>) -> Result<(), (usize, usize, String)> {
            match n {
                Node::Or(v) | Node::And(v) => v.iter().try_for_each(|n| walk(n, check)),
                Node::Not(n) => walk(n, check),
                Node::Cmp(_, a, b) => operand(a, check).and_then(|()| operand(b, check)),
                Node::Truth(o) => operand(o, check),
            }
        }
        walk(&self.root, &mut check).map_err(|(at, function, message)| ExprError::Argument {
            at,
            function: self.names.get(function).copied().unwrap_or("?"),
            message,
        })
    }
}

fn eval(node: &Node, env: &dyn Env) -> bool {
    match node {
        Node::Or(v) => v.iter().any(|n| eval(n, env)),
        Node::And(v) => v.iter().all(|n| eval(n, env)),
        Node::Not(n) => !eval(n, env),
        Node::Truth(o) => matches!(value(o, env), Value::Bool(true)),
        Node::Cmp(op, a, b) => {
            let ord = match (value(a, env), value(b, env)) {
                (Value::Int(x), Value::Int(y)) => Some(x.cmp(&y)),
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "mixed int/float comparisons are in float, as in Go"
                )]
                (Value::Int(x), Value::Float(y)) => (x as f64).partial_cmp(&y),
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "mixed int/float comparisons are in float, as in Go"
                )]
                (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(y as f64)),
                (Value::Float(x), Value::Float(y)) => x.partial_cmp(&y),
                (Value::Str(x), Value::Str(y)) => Some(x.cmp(&y)),
                (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
                _ => None,
            };
            match (op, ord) {
                (_, None) => matches!(op, CmpOp::Ne),
                (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
                (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
                (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                (CmpOp::Le, Some(o)) => o != Ordering::Greater,
                (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                (CmpOp::Ge, Some(o)) => o != Ordering::Less,
            }
        }
    }
}

fn value(o: &Operand, env: &dyn Env) -> Value {
    match o {
        Operand::Lit(v) => v.clone(),
        Operand::Call { function, args, .. } => env.call(*function, args),
    }
}

struct Parser<'f> {
    tokens: Vec<(usize, Tok)>,
    pos: usize,
    functions: &'f [Signature],
    end: usize,
}

enum Primary {
    Node(Node),
    Operand(Operand, Type, usize),
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }
    fn at(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(at, _)| *at)
    }
    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.and()?];
        while self.eat(&Tok::Or) {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.unary()?];
        while self.eat(&Tok::And) {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        if self.eat(&Tok::Not) {
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        let at = self.at();
        let left = self.primary()?;
        let op = match self.peek() {
            Some(Tok::Eq) => Some(CmpOp::Eq),
            Some(Tok::Ne) => Some(CmpOp::Ne),
            Some(Tok::Lt) => Some(CmpOp::Lt),
            Some(Tok::Le) => Some(CmpOp::Le),
            Some(Tok::Gt) => Some(CmpOp::Gt),
            Some(Tok::Ge) => Some(CmpOp::Ge),
            _ => None,
        };
        match (left, op) {
            (Primary::Node(n), None) => Ok(n),
            (Primary::Node(_), Some(_)) => Err(ExprError::ty(at, "a condition cannot be compared")),
            (Primary::Operand(o, Type::Bool, _), None) => Ok(Node::Truth(o)),
            (Primary::Operand(_, ty, at), None) => Err(ExprError::ty(
                at,
                format!("a {ty:?} value is not a condition; compare it"),
            )),
            (Primary::Operand(a, ta, at), Some(op)) => {
                self.pos += 1;
                let rhs_at = self.at();
                let Primary::Operand(b, tb, _) = self.primary()? else {
                    return Err(ExprError::ty(rhs_at, "a condition cannot be compared"));
                };
                let numeric = |t: Type| matches!(t, Type::Int | Type::Float);
                let ordered = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
                let fits =
                    (numeric(ta) && numeric(tb)) || (ta == tb && (!ordered || ta == Type::Str));
                if !fits {
                    return Err(ExprError::ty(
                        at,
                        format!("cannot compare {ta:?} with {tb:?}"),
                    ));
                }
                Ok(Node::Cmp(op, a, b))
            }
        }
    }

    fn primary(&mut self) -> Result<Primary, ExprError> {
        let at = self.at();
        let Some((_, tok)) = self.tokens.get(self.pos).cloned() else {
            return Err(ExprError::syntax(at, "expression ends too early"));
        };
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let node = self.or()?;
                if !self.eat(&Tok::RParen) {
                    return Err(ExprError::syntax(self.at(), "missing `)`"));
                }
                Ok(Primary::Node(node))
            }
            Tok::Int(n) => Ok(Primary::Operand(Operand::Lit(Value::Int(n)), Type::Int, at)),
            Tok::Float(f) => Ok(Primary::Operand(
                Operand::Lit(Value::Float(f)),
                Type::Float,
                at,
            )),
            Tok::Str(s) => Ok(Primary::Operand(Operand::Lit(Value::Str(s)), Type::Str, at)),
            Tok::Ident(name) if name == "true" || name == "false" => Ok(Primary::Operand(
                Operand::Lit(Value::Bool(name == "true")),
                Type::Bool,
                at,
            )),
            Tok::Ident(name) => self.call(name, at),
            other => Err(ExprError::syntax(at, format!("unexpected {other:?}"))),
        }
    }

    fn call(&mut self, name: String, at: usize) -> Result<Primary, ExprError> {
        let Some(function) = self.functions.iter().position(|s| s.name == name) else {
            let known = self
                .functions
                .iter()
                .map(|s| format!("{}()", s.name))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ExprError::UnknownFunction { at, name, known });
        };
        let sig = self.functions[function];
        if !self.eat(&Tok::LParen) {
            return Err(ExprError::syntax(
                self.at(),
                format!("`{name}` is a function: call it as `{name}(…)`"),
            ));
        }
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                let arg_at = self.at();
                let Primary::Operand(Operand::Lit(v), _, _) = self.primary()? else {
                    return Err(ExprError::ty(
                        arg_at,
                        "function arguments must be constants",
                    ));
                };
                args.push((arg_at, v));
                if self.eat(&Tok::RParen) {
                    break;
                }
                if !self.eat(&Tok::Comma) {
                    return Err(ExprError::syntax(self.at(), "expected `,` or `)`"));
                }
            }
        }
        if args.len() != sig.params.len() {
            return Err(ExprError::ty(
                at,
                format!(
                    "`{name}` takes {} argument(s), got {}",
                    sig.params.len(),
                    args.len()
                ),
            ));
        }
        let args = args
            .into_iter()
            .zip(sig.params)
            .map(|((arg_at, v), want)| match (v, want) {
                (Value::Int(n), Type::Float) => {
                    #[expect(
                        clippy::cast_precision_loss,
                        reason = "a literal written as an integer"
                    )]
                    let f = n as f64;
                    Ok(Value::Float(f))
                }
                (v @ Value::Int(_), Type::Int)
                | (v @ Value::Float(_), Type::Float)
                | (v @ Value::Str(_), Type::Str)
                | (v @ Value::Bool(_), Type::Bool) => Ok(v),
                (v, want) => Err(ExprError::ty(
                    arg_at,
                    format!("`{name}` wants a {want:?} here, got {v:?}"),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Primary::Operand(
            Operand::Call { function, args, at },
            sig.returns,
            at,
        ))
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.root)
    }
}
