//! Go-expression parsing of a rule, with Go's precedence: `!` binds tighter than `&&`, which
//! binds tighter than `||` (Go spec, "Operator precedence").
//!
//! Traefik evaluates the `go/ast` tree with `vulcand/predicate`: only calls of a named matcher
//! with string-literal arguments, `&&`, `||`, `!` and parentheses survive; everything else Go
//! can parse (numbers, `==`, selectors, nested calls, parenthesised arguments) is rejected, and
//! so it is here.

use super::ast::{Arg, Call, Expr};
use super::error::{RuleErrorKind, Span};
use super::lexer::{Tok, Token, tokenize};

/// How deep `(` and `!` may nest. Go's parser allows more; no real rule comes close, and the
/// bound keeps parsing and matching off deep recursion.
pub(crate) const MAX_DEPTH: usize = 256;

/// Parses a rule into its expression tree.
pub(crate) fn parse(src: &str) -> Result<Expr, (RuleErrorKind, Span)> {
    let tokens = tokenize(src)?;
    if matches!(
        tokens.first().map(|t| &t.kind),
        Some(Tok::Newline | Tok::Eof)
    ) {
        return Err((RuleErrorKind::Empty, Span::new(0, src.len())));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    // Go consumes the semicolon it inserted at the end, then wants the end; anything after a
    // line break means the line break ended the expression too early.
    if parser.peek().kind == Tok::Newline {
        let newline = parser.bump();
        if parser.peek().kind != Tok::Eof {
            return Err((RuleErrorKind::UnexpectedNewline, newline.span));
        }
    }
    let tok = parser.peek();
    match &tok.kind {
        Tok::Eof => Ok(expr),
        Tok::Newline => Err((RuleErrorKind::UnexpectedNewline, tok.span)),
        other => Err(unexpected(
            "`&&`, `||` or the end of the rule",
            other,
            tok.span,
        )),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

fn unexpected(expected: &'static str, found: &Tok, span: Span) -> (RuleErrorKind, Span) {
    match found {
        Tok::Newline => (RuleErrorKind::UnexpectedNewline, span),
        Tok::Other(op) if is_operator(op) => (RuleErrorKind::UnsupportedOperator(op.clone()), span),
        other => (
            RuleErrorKind::Unexpected {
                expected,
                found: other.describe(),
            },
            span,
        ),
    }
}

fn is_operator(text: &str) -> bool {
    !text.starts_with(|c: char| c.is_ascii_digit())
        && !matches!(text, "(" | ")" | "[" | "]" | "{" | "}" | "." | ";" | ":")
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends with Eof, and nothing advances past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        if tok.kind != Tok::Eof {
            self.pos += 1;
        }
        // The semicolon Go inserts at the very end is "the end of the rule" to a reader.
        if tok.kind == Tok::Newline && self.peek().kind == Tok::Eof {
            return Token {
                kind: Tok::Eof,
                span: tok.span,
            };
        }
        tok
    }

    fn or(&mut self) -> Result<Expr, (RuleErrorKind, Span)> {
        let mut items = vec![self.and()?];
        while self.peek().kind == Tok::OrOr {
            self.bump();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or_else(|| unreachable!("one item"))
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, (RuleErrorKind, Span)> {
        let mut items = vec![self.unary()?];
        while self.peek().kind == Tok::AndAnd {
            self.bump();
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or_else(|| unreachable!("one item"))
        } else {
            Expr::And(items)
        })
    }

    fn enter(&mut self, span: Span) -> Result<(), (RuleErrorKind, Span)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err((RuleErrorKind::TooDeep(MAX_DEPTH), span));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, (RuleErrorKind, Span)> {
        let tok = self.bump();
        match tok.kind {
            Tok::Bang => {
                self.enter(tok.span)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner), tok.span))
            }
            Tok::LParen => {
                self.enter(tok.span)?;
                let inner = self.or()?;
                self.depth -= 1;
                let close = self.bump();
                if close.kind != Tok::RParen {
                    return Err(unexpected("`)`", &close.kind, close.span));
                }
                Ok(inner)
            }
            Tok::Ident(name) => self.call(name, tok.span),
            Tok::Other(ref op)
                if op == "-" || op == "+" || op == "^" || op == "*" || op == "&" || op == "<-" =>
            {
                Err((RuleErrorKind::UnsupportedOperator(op.clone()), tok.span))
            }
            other => Err(unexpected(
                "a matcher such as Host(`example.com`)",
                &other,
                tok.span,
            )),
        }
    }

    fn call(&mut self, name: String, name_span: Span) -> Result<Expr, (RuleErrorKind, Span)> {
        let open = self.bump();
        if open.kind != Tok::LParen {
            return Err(unexpected(
                "`(` after the matcher name",
                &open.kind,
                open.span,
            ));
        }
        let mut args = Vec::new();
        loop {
            let tok = self.bump();
            match tok.kind {
                Tok::RParen => {
                    return Ok(Expr::Call(Call {
                        name,
                        name_span,
                        args,
                        span: name_span.to(tok.span),
                    }));
                }
                Tok::Str(value) => args.push(Arg {
                    value,
                    span: tok.span,
                }),
                Tok::Ident(_) | Tok::Other(_) | Tok::LParen | Tok::Bang => {
                    return Err((RuleErrorKind::NotAString(tok.kind.describe()), tok.span));
                }
                other => return Err(unexpected("a string argument or `)`", &other, tok.span)),
            }
            // After an argument: `,` then more (a trailing comma is fine), `...` (Go's
            // variadic spread, which predicate ignores), or `)`.
            if self.peek().kind == Tok::Ellipsis {
                self.bump();
                let next = self.peek().clone();
                if next.kind == Tok::Comma {
                    self.bump();
                }
                let close = self.bump();
                if close.kind != Tok::RParen {
                    return Err(unexpected("`)` after `...`", &close.kind, close.span));
                }
                return Ok(Expr::Call(Call {
                    name,
                    name_span,
                    args,
                    span: name_span.to(close.span),
                }));
            }
            let next = self.peek().clone();
            match next.kind {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RParen => {}
                other => return Err(unexpected("`,` or `)`", &other, next.span)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Expr {
        parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}"))
    }

    fn err(src: &str) -> RuleErrorKind {
        parse(src).expect_err(src).0
    }

    #[test]
    fn precedence_is_go_precedence() {
        let Expr::Or(items) = ok("Host(`a`) || Host(`b`) && Path(`/c`)") else {
            panic!("or at the top")
        };
        assert!(matches!(items[1], Expr::And(_)));
        let Expr::And(items) = ok("!Host(`a`) && Path(`/`)") else {
            panic!("and at the top")
        };
        assert!(matches!(items[0], Expr::Not(..)));
    }

    #[test]
    fn go_syntax_accepted() {
        ok("Host(`a`,)");
        ok("Host(`a`...)");
        ok("Host(\n`a`,\n)");
        ok("Host(`a`) &&\n  Path(`/`)\n");
        ok("/* c */ Host(`a`) // c");
        ok("((Host(`a`)))");
        ok("!!Host(`a`)");
    }

    #[test]
    fn go_syntax_rejected() {
        assert!(matches!(
            err("Host(`a`)\n && Path(`/`)"),
            RuleErrorKind::UnexpectedNewline
        ));
        assert!(matches!(
            err("Host(\n`a`\n)"),
            RuleErrorKind::UnexpectedNewline
        ));
        assert!(matches!(
            err("Host(`a`) & Path(`/`)"),
            RuleErrorKind::UnsupportedOperator(_)
        ));
        assert!(matches!(
            err("Host(`a`) == Path(`/`)"),
            RuleErrorKind::UnsupportedOperator(_)
        ));
        assert!(matches!(
            err("Host(example.com)"),
            RuleErrorKind::NotAString(_)
        ));
        assert!(matches!(err("Host(1)"), RuleErrorKind::NotAString(_)));
        assert!(matches!(err("Host((`a`))"), RuleErrorKind::NotAString(_)));
        assert!(matches!(err("Host('a')"), RuleErrorKind::SingleQuotes));
        assert!(matches!(err(""), RuleErrorKind::Empty));
        assert!(matches!(err("  // only a comment"), RuleErrorKind::Empty));
        assert!(
            err("rulewithnotmatcher")
                .to_string()
                .contains("expected `(`")
        );
        assert!(matches!(err("`a`"), RuleErrorKind::Unexpected { .. }));
        assert!(matches!(
            err("Host(`a`) Host(`b`)"),
            RuleErrorKind::Unexpected { .. }
        ));
        assert!(matches!(
            err("Host(`a`);"),
            RuleErrorKind::Unexpected { .. }
        ));
        assert!(matches!(
            err("(Host(`a`)"),
            RuleErrorKind::Unexpected { .. }
        ));
        assert!(matches!(
            err(&"!".repeat(MAX_DEPTH + 1)),
            RuleErrorKind::TooDeep(_)
        ));
    }
}
