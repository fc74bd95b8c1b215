//! The evaluator: walks the tree with Go's `text/template` semantics.
//!
//! Dot starts as Traefik's template data (`false`: the file provider passes no data), `$` is the
//! root, variables are scoped to their control structure, `and`/`or` evaluate lazily, a piped
//! value is the last argument of the next command, and a missing map key prints `<no value>`.
//! Work is bounded: a template that loops or grows without end is stopped with an error.

use std::collections::BTreeMap;

use super::TemplateError;
use super::ast::{Arg, Branch, Cmd, Node, Pipe};
use super::funcs::{self, Call};
use super::val::Val;

/// Upper bound on evaluation steps (nodes, commands, loop iterations).
const MAX_STEPS: u64 = 1_000_000;
/// Upper bound on the rendered size.
pub(super) const MAX_OUTPUT: usize = 16 << 20;

enum Flow {
    Normal,
    Break,
    Continue,
}

pub(super) struct Exec<'a> {
    pub(super) src: &'a str,
    pub(super) env: &'a BTreeMap<String, String>,
    pub(super) out: String,
    vars: Vec<(String, Val)>,
    steps: u64,
}

impl<'a> Exec<'a> {
    pub(super) fn new(src: &'a str, env: &'a BTreeMap<String, String>, root: Val) -> Self {
        Exec {
            src,
            env,
            out: String::new(),
            vars: vec![("$".to_owned(), root)],
            steps: 0,
        }
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> TemplateError {
        TemplateError::exec(self.src, pos, message)
    }

    fn step(&mut self, pos: usize) -> Result<(), TemplateError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(self.error(
                pos,
                "template does too much work (more than a million steps)",
            ));
        }
        Ok(())
    }

    pub(super) fn run(&mut self, nodes: &[Node]) -> Result<(), TemplateError> {
        let dot = self.vars[0].1.clone();
        self.walk(&dot, nodes).map(|_| ())
    }

    fn walk(&mut self, dot: &Val, nodes: &[Node]) -> Result<Flow, TemplateError> {
        for node in nodes {
            match node {
                Node::Text(text) => self.write(text, 0)?,
                Node::Action(pipe) => {
                    self.step(pipe.pos)?;
                    let v = self.pipe(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        let text = match v {
                            Val::NoValue => "<no value>".to_owned(),
                            v => v.to_text(),
                        };
                        self.write(&text, pipe.pos)?;
                    }
                }
                Node::If(b) => match self.conditional(dot, b, false)? {
                    Flow::Normal => {}
                    flow => return Ok(flow),
                },
                Node::With(b) => match self.conditional(dot, b, true)? {
                    Flow::Normal => {}
                    flow => return Ok(flow),
                },
                Node::Range(b) => self.range(dot, b)?,
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn write(&mut self, text: &str, pos: usize) -> Result<(), TemplateError> {
        if self.out.len() + text.len() > MAX_OUTPUT {
            return Err(self.error(pos, "rendered template is larger than 16 MiB"));
        }
        self.out.push_str(text);
        Ok(())
    }

    /// `if` (dot unchanged) or `with` (dot set to the value).
    fn conditional(&mut self, dot: &Val, b: &Branch, with: bool) -> Result<Flow, TemplateError> {
        self.step(b.pipe.pos)?;
        let scope = self.vars.len();
        let v = self.pipe(dot, &b.pipe)?;
        let flow = if v.truthy() {
            let inner = if with { v } else { dot.clone() };
            self.walk(&inner, &b.list)?
        } else {
            self.walk(dot, &b.else_list)?
        };
        self.vars.truncate(scope);
        Ok(flow)
    }

    fn range(&mut self, dot: &Val, b: &Branch) -> Result<(), TemplateError> {
        let pipe = &b.pipe;
        self.step(pipe.pos)?;
        let scope = self.vars.len();
        let value = self.pipe_value(dot, pipe)?;
        let items: Vec<(Val, Val)> = match value {
            Val::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Val::Int(i64::try_from(i).unwrap_or(i64::MAX)), v))
                .collect(),
            Val::Dict(map) => map.into_iter().map(|(k, v)| (Val::Str(k), v)).collect(),
            Val::Int(n) => {
                if pipe.decl.len() > 1 {
                    return Err(self.error(
                        pipe.pos,
                        "can't use two variables when ranging over an integer",
                    ));
                }
                if n > i64::try_from(MAX_STEPS).unwrap_or(i64::MAX) {
                    return Err(self.error(pipe.pos, format!("range over {n} is too long")));
                }
                (0..n.max(0)).map(|i| (Val::Int(i), Val::Int(i))).collect()
            }
            Val::Nil | Val::NoValue => Vec::new(),
            other => {
                return Err(self.error(
                    pipe.pos,
                    format!("range can't iterate over {}", other.to_text()),
                ));
            }
        };
        if items.is_empty() {
            self.walk(dot, &b.else_list)?;
            self.vars.truncate(scope);
            return Ok(());
        }
        for (key, elem) in items {
            self.step(pipe.pos)?;
            let inner = self.vars.len();
            match pipe.decl.as_slice() {
                [] => {}
                [one] => self.declare(one, elem.clone(), pipe.assign, pipe.pos)?,
                [k, v, ..] => {
                    self.declare(k, key, pipe.assign, pipe.pos)?;
                    self.declare(v, elem.clone(), pipe.assign, pipe.pos)?;
                }
            }
            let flow = self.walk(&elem, &b.list)?;
            self.vars.truncate(inner.max(scope));
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        self.vars.truncate(scope);
        Ok(())
    }

    fn declare(
        &mut self,
        name: &str,
        v: Val,
        assign: bool,
        pos: usize,
    ) -> Result<(), TemplateError> {
        if assign {
            match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = v,
                None => return Err(self.error(pos, format!("undefined variable: {name}"))),
            }
        } else {
            self.vars.push((name.to_owned(), v));
        }
        Ok(())
    }

    /// A pipeline's value, with its declarations made (range declares per item instead).
    fn pipe(&mut self, dot: &Val, pipe: &Pipe) -> Result<Val, TemplateError> {
        let v = self.pipe_value(dot, pipe)?;
        if let Some(name) = pipe.decl.first() {
            self.declare(name, v.clone(), pipe.assign, pipe.pos)?;
        }
        Ok(v)
    }

    fn pipe_value(&mut self, dot: &Val, pipe: &Pipe) -> Result<Val, TemplateError> {
        let mut value: Option<Val> = None;
        for cmd in &pipe.cmds {
            value = Some(self.command(dot, cmd, value)?);
        }
        Ok(value.unwrap_or(Val::NoValue))
    }

    fn command(&mut self, dot: &Val, cmd: &Cmd, piped: Option<Val>) -> Result<Val, TemplateError> {
        self.step(cmd.pos)?;
        let (first, rest) = cmd
            .args
            .split_first()
            .ok_or_else(|| self.error(cmd.pos, "empty command"))?;
        if let Arg::Ident { pos, name } = first {
            return self.call(dot, *pos, name, rest, piped);
        }
        if !rest.is_empty() || piped.is_some() {
            return Err(self.error(
                cmd.pos,
                format!("can't give argument to non-function {}", describe(first)),
            ));
        }
        if let Arg::Nil { pos } = first {
            return Err(self.error(*pos, "nil is not a command"));
        }
        self.arg(dot, first, cmd.pos)
    }

    fn call(
        &mut self,
        dot: &Val,
        pos: usize,
        name: &str,
        args: &[Arg],
        piped: Option<Val>,
    ) -> Result<Val, TemplateError> {
        // `and` and `or` stop at the first argument that decides (Go 1.18+).
        if name == "and" || name == "or" {
            if args.is_empty() && piped.is_none() {
                return Err(self.error(
                    pos,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut last = Val::Nil;
            for a in args {
                last = self.arg(dot, a, pos)?;
                if last.truthy() != (name == "and") {
                    return Ok(last);
                }
            }
            return Ok(piped.unwrap_or(last));
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for a in args {
            values.push(self.arg(dot, a, pos)?);
        }
        values.extend(piped);
        let mut call = Call { env: self.env };
        funcs::call(&mut call, name, values)
            .map_err(|message| self.error(pos, format!("error calling {name}: {message}")))
    }

    fn arg(&mut self, dot: &Val, arg: &Arg, pos: usize) -> Result<Val, TemplateError> {
        Ok(match arg {
            Arg::Dot => dot.clone(),
            Arg::Field { pos, names } => self.fields(dot.clone(), names, *pos)?,
            Arg::Variable { name, fields } => {
                let v = self
                    .vars
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| self.error(pos, format!("undefined variable: {name}")))?;
                self.fields(v, fields, pos)?
            }
            Arg::Ident { pos, name } => self.call(dot, *pos, name, &[], None)?,
            Arg::Chain { node, fields } => {
                let v = self.arg(dot, node, pos)?;
                self.fields(v, fields, pos)?
            }
            Arg::Pipe(pipe) => {
                let scope = self.vars.len();
                let v = self.pipe(dot, pipe)?;
                self.vars.truncate(scope);
                v
            }
            Arg::Str(s) => Val::Str(s.clone()),
            Arg::Int(i) => Val::Int(*i),
            Arg::Float(f) => Val::Float(*f),
            Arg::Bool(b) => Val::Bool(*b),
            Arg::Nil { .. } => Val::Nil,
        })
    }

    /// `.a.b` on a value: map lookups; a missing key (or nil) gives "no value".
    fn fields(&self, mut v: Val, names: &[String], pos: usize) -> Result<Val, TemplateError> {
        for name in names {
            v = match v {
                Val::Dict(mut map) => map.remove(name).unwrap_or(Val::NoValue),
                Val::Nil | Val::NoValue => Val::NoValue,
                other => {
                    return Err(self.error(
                        pos,
                        format!("can't evaluate field {name} in type {}", other.type_name()),
                    ));
                }
            };
        }
        Ok(v)
    }
}

fn describe(arg: &Arg) -> String {
    match arg {
        Arg::Field { names, .. } => format!(".{}", names.join(".")),
        Arg::Dot => ".".into(),
        Arg::Variable { name, fields } if fields.is_empty() => name.clone(),
        Arg::Variable { name, fields } => format!("{name}.{}", fields.join(".")),
        Arg::Ident { name, .. } => name.clone(),
        Arg::Chain { .. } | Arg::Pipe(_) => "(pipeline)".into(),
        Arg::Str(s) => format!("{s:?}"),
        Arg::Int(i) => i.to_string(),
        Arg::Float(f) => f.to_string(),
        Arg::Bool(b) => b.to_string(),
        Arg::Nil { .. } => "nil".into(),
    }
}
