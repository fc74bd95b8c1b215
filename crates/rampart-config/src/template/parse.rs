//! The parser: tokens into a tree, with Go's `text/template` grammar and parse-time checks
//! (undefined variables, unknown functions, `{{break}}` outside `{{range}}`).

use super::TemplateError;
use super::ast::{Arg, Branch, Cmd, Node, Pipe, number};
use super::funcs;
use super::lex::{Tok, Token, describe};

/// How deep parentheses and control structures may nest. Deeper input is refused rather than
/// recursed into (a config file must not be able to overflow the stack).
const MAX_DEPTH: usize = 64;

/// What ended a list of nodes.
enum End {
    /// `{{end}}`, with the position of the keyword.
    Closed(usize),
    /// `{{else}}`, or `{{else if ...` / `{{else with ...` (the keyword already consumed).
    Else {
        pos: usize,
        chained: Option<&'static str>,
    },
    Eof,
}

pub(super) fn parse(src: &str, tokens: Vec<Token>) -> Result<Vec<Node>, TemplateError> {
    let mut p = Parser {
        src,
        tokens,
        i: 0,
        vars: vec!["$".to_owned()],
        depth: 0,
        range_depth: 0,
    };
    let (list, end) = p.list()?;
    match end {
        End::Eof => Ok(list),
        End::Closed(pos) => Err(p.error(pos, "unexpected {{end}}")),
        End::Else { pos, .. } => Err(p.error(pos, "unexpected {{else}}")),
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    i: usize,
    /// Variables in scope, innermost last.
    vars: Vec<String>,
    depth: usize,
    range_depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.i.min(self.tokens.len() - 1)].kind
    }

    fn pos(&self) -> usize {
        self.tokens[self.i.min(self.tokens.len() - 1)].pos
    }

    fn next(&mut self) -> Token {
        let t = self.tokens[self.i.min(self.tokens.len() - 1)].clone();
        if self.i < self.tokens.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn skip_space(&mut self) {
        while *self.peek() == Tok::Space {
            self.next();
        }
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> TemplateError {
        TemplateError::parse(self.src, pos, message)
    }

    fn error_at_prev(&self, message: &str) -> TemplateError {
        let pos = self.tokens[self.i.saturating_sub(1)].pos;
        self.error(pos, message)
    }

    fn enter(&mut self, pos: usize) -> Result<(), TemplateError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(pos, "template nested too deeply"));
        }
        Ok(())
    }

    fn expect_close(&mut self, context: &str) -> Result<(), TemplateError> {
        self.skip_space();
        let t = self.next();
        if t.kind == Tok::Close {
            Ok(())
        } else {
            Err(self.error(
                t.pos,
                format!("unexpected {} in {context}", describe(&t.kind)),
            ))
        }
    }

    /// Nodes until `{{end}}`, `{{else}}` or the end of input.
    fn list(&mut self) -> Result<(Vec<Node>, End), TemplateError> {
        let mut nodes = Vec::new();
        loop {
            let t = self.next();
            match t.kind {
                Tok::Eof => return Ok((nodes, End::Eof)),
                Tok::Text(s) => nodes.push(Node::Text(s)),
                Tok::Open => {
                    self.skip_space();
                    let keyword = match self.peek() {
                        Tok::Ident(w) => w.clone(),
                        _ => String::new(),
                    };
                    let kw_pos = self.pos();
                    match keyword.as_str() {
                        "end" => {
                            self.next();
                            self.expect_close("end")?;
                            return Ok((nodes, End::Closed(kw_pos)));
                        }
                        "else" => {
                            self.next();
                            self.skip_space();
                            let chained = match self.peek() {
                                Tok::Ident(w) if w == "if" => Some("if"),
                                Tok::Ident(w) if w == "with" => Some("with"),
                                _ => None,
                            };
                            if chained.is_some() {
                                self.next();
                            } else {
                                self.expect_close("else")?;
                            }
                            return Ok((
                                nodes,
                                End::Else {
                                    pos: kw_pos,
                                    chained,
                                },
                            ));
                        }
                        "if" | "range" | "with" => {
                            self.next();
                            let kw: &'static str = match keyword.as_str() {
                                "if" => "if",
                                "range" => "range",
                                _ => "with",
                            };
                            nodes.push(self.control(kw, kw_pos)?);
                        }
                        "break" | "continue" => {
                            self.next();
                            if self.range_depth == 0 {
                                return Err(self.error(
                                    kw_pos,
                                    format!("{{{{{keyword}}}}} outside {{{{range}}}}"),
                                ));
                            }
                            self.expect_close(&keyword)?;
                            nodes.push(if keyword == "break" {
                                Node::Break
                            } else {
                                Node::Continue
                            });
                        }
                        "define" | "template" | "block" => {
                            return Err(self.error(
                                kw_pos,
                                format!("`{keyword}` is not supported in configuration templates"),
                            ));
                        }
                        _ => {
                            let pipe = self.pipeline("command", false)?;
                            nodes.push(Node::Action(pipe));
                        }
                    }
                }
                other => {
                    return Err(self.error(t.pos, format!("unexpected {}", describe(&other))));
                }
            }
        }
    }

    /// `if`, `range` or `with`, after its keyword.
    fn control(&mut self, kw: &'static str, pos: usize) -> Result<Node, TemplateError> {
        self.enter(pos)?;
        let scope = self.vars.len();
        let pipe = self.pipeline(kw, kw == "range")?;
        if kw == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            End::Closed(_) => Vec::new(),
            End::Eof => {
                return Err(self.error(
                    pos,
                    format!("unexpected EOF: {{{{{kw}}}}} has no {{{{end}}}}"),
                ));
            }
            End::Else {
                chained: Some(next),
                ..
            } => {
                if next != kw {
                    return Err(self.error(pos, format!("{{{{else {next}}}}} inside {{{{{kw}}}}}")));
                }
                // `{{else if b}}` is `{{else}}{{if b}}...{{end}}{{end}}` sharing one `{{end}}`.
                vec![self.control(next, self.pos())?]
            }
            End::Else { chained: None, .. } => {
                let (else_list, end) = self.list()?;
                if !matches!(end, End::Closed(_)) {
                    return Err(self.error(pos, format!("expected {{{{end}}}} for {{{{{kw}}}}}")));
                }
                else_list
            }
        };
        self.vars.truncate(scope);
        self.depth -= 1;
        let branch = Box::new(Branch {
            pipe,
            list,
            else_list,
        });
        Ok(match kw {
            "if" => Node::If(branch),
            "range" => Node::Range(branch),
            _ => Node::With(branch),
        })
    }

    /// A pipeline up to `}}` (consumed) or `)` (not consumed).
    fn pipeline(&mut self, context: &str, range: bool) -> Result<Pipe, TemplateError> {
        self.skip_space();
        let pos = self.pos();
        let (decl, assign) = self.declarations(context, range)?;
        let mut cmds: Vec<Cmd> = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Tok::Close | Tok::RParen => break,
                _ => {}
            }
            let cmd = self.command()?;
            if !cmds.is_empty()
                && let Some(
                    Arg::Bool(_)
                    | Arg::Dot
                    | Arg::Nil { .. }
                    | Arg::Int(_)
                    | Arg::Float(_)
                    | Arg::Str(_),
                ) = cmd.args.first()
            {
                return Err(self.error(
                    cmd.pos,
                    format!(
                        "non executable command in pipeline stage {}",
                        cmds.len() + 1
                    ),
                ));
            }
            cmds.push(cmd);
            self.skip_space();
            if *self.peek() == Tok::Pipe {
                self.next();
            }
        }
        if cmds.is_empty() {
            return Err(self.error(pos, format!("missing value for {context}")));
        }
        if *self.peek() == Tok::Close {
            self.next();
        }
        for name in &decl {
            if !assign {
                self.vars.push(name.clone());
            }
        }
        Ok(Pipe {
            pos,
            decl,
            assign,
            cmds,
        })
    }

    /// `$x :=`, `$x =`, or (in `range`) `$i, $e :=` at the start of a pipeline.
    fn declarations(
        &mut self,
        context: &str,
        range: bool,
    ) -> Result<(Vec<String>, bool), TemplateError> {
        let start = self.i;
        let Tok::Variable(first) = self.peek().clone() else {
            return Ok((Vec::new(), false));
        };
        let var_pos = self.pos();
        self.next();
        self.skip_space();
        match self.peek().clone() {
            Tok::Declare | Tok::Assign => {
                let assign = *self.peek() == Tok::Assign;
                self.next();
                let name = format!("${first}");
                if assign && !self.vars.contains(&name) {
                    return Err(self.error(var_pos, format!("undefined variable {name:?}")));
                }
                Ok((vec![name], assign))
            }
            Tok::Comma if range => {
                self.next();
                self.skip_space();
                let Tok::Variable(second) = self.peek().clone() else {
                    return Err(self.error(var_pos, format!("bad declaration in {context}")));
                };
                self.next();
                self.skip_space();
                let assign = match self.peek() {
                    Tok::Declare => false,
                    Tok::Assign => true,
                    _ => return Err(self.error(var_pos, format!("bad declaration in {context}"))),
                };
                self.next();
                Ok((vec![format!("${first}"), format!("${second}")], assign))
            }
            Tok::Comma => Err(self.error(var_pos, format!("too many declarations in {context}"))),
            _ => {
                // Not a declaration: an ordinary use of the variable.
                self.i = start;
                Ok((Vec::new(), false))
            }
        }
    }

    fn command(&mut self) -> Result<Cmd, TemplateError> {
        let pos = self.pos();
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if matches!(self.peek(), Tok::Close | Tok::RParen | Tok::Pipe) {
                break;
            }
            args.push(self.operand()?);
            match self.peek() {
                Tok::Space | Tok::Close | Tok::RParen | Tok::Pipe => {}
                other => {
                    return Err(self.error(
                        self.pos(),
                        format!("unexpected {} in operand", describe(other)),
                    ));
                }
            }
        }
        if args.is_empty() {
            return Err(self.error(pos, "empty command"));
        }
        Ok(Cmd { pos, args })
    }

    fn operand(&mut self) -> Result<Arg, TemplateError> {
        let term = self.term()?;
        let mut fields = Vec::new();
        while let Tok::Field(name) = self.peek().clone() {
            fields.push(name);
            self.next();
        }
        if fields.is_empty() {
            return Ok(term);
        }
        Ok(match term {
            Arg::Field { pos, mut names } => {
                names.extend(fields);
                Arg::Field { pos, names }
            }
            Arg::Variable {
                name,
                fields: mut f,
            } => {
                f.extend(fields);
                Arg::Variable { name, fields: f }
            }
            Arg::Bool(_)
            | Arg::Str(_)
            | Arg::Int(_)
            | Arg::Float(_)
            | Arg::Nil { .. }
            | Arg::Dot => {
                return Err(self.error_at_prev("unexpected . after term"));
            }
            node => Arg::Chain {
                node: Box::new(node),
                fields,
            },
        })
    }

    fn term(&mut self) -> Result<Arg, TemplateError> {
        let t = self.next();
        Ok(match t.kind {
            Tok::Ident(name) => {
                if !funcs::exists(&name) {
                    return Err(self.error(t.pos, format!("function {name:?} not defined")));
                }
                Arg::Ident { pos: t.pos, name }
            }
            Tok::Dot => Arg::Dot,
            Tok::Nil => Arg::Nil { pos: t.pos },
            Tok::Variable(name) => {
                let name = format!("${name}");
                if !self.vars.contains(&name) {
                    return Err(self.error(t.pos, format!("undefined variable {name:?}")));
                }
                Arg::Variable {
                    name,
                    fields: Vec::new(),
                }
            }
            Tok::Field(name) => Arg::Field {
                pos: t.pos,
                names: vec![name],
            },
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Str(s) => Arg::Str(s),
            Tok::Char(c) => Arg::Int(i64::from(u32::from(c))),
            Tok::Number(text) => number(&text)
                .ok_or_else(|| self.error(t.pos, format!("bad number syntax: {text:?}")))?,
            Tok::LParen => {
                self.enter(t.pos)?;
                let pipe = self.pipeline("parenthesized pipeline", false)?;
                let close = self.next();
                if close.kind != Tok::RParen {
                    return Err(self.error(close.pos, "unclosed left paren"));
                }
                self.depth -= 1;
                Arg::Pipe(Box::new(pipe))
            }
            other => {
                return Err(
                    self.error(t.pos, format!("unexpected {} in operand", describe(&other)))
                );
            }
        })
    }
}
