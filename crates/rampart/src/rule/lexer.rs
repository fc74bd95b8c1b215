//! Go's lexical rules, as far as a Traefik rule needs them.
//!
//! Traefik hands the rule to Go's `go/parser.ParseExpr`, so a rule is a Go expression: Go's
//! whitespace and comments, Go string literals (raw `` `…` `` and interpreted `"…"` with Go
//! escapes) and Go's automatic semicolon insertion — a line break after a name, a string or
//! `)` ends the expression, so `&&` may end a line but not start one (Go spec, "Semicolons").

use super::error::{RuleErrorKind, Span};

/// One token with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) span: Span,
}

/// Token kinds. Everything Go has that a rule cannot use is `Other`, kept for the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    AndAnd,
    OrOr,
    Bang,
    Ellipsis,
    /// A semicolon Go inserts at a line break (or the end).
    Newline,
    /// A Go number or rune literal, or an operator a rule cannot use.
    Other(String),
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("name `{name}`"),
            Tok::Str(_) => "a string".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::AndAnd => "`&&`".into(),
            Tok::OrOr => "`||`".into(),
            Tok::Bang => "`!`".into(),
            Tok::Ellipsis => "`...`".into(),
            Tok::Newline => "a line break".into(),
            Tok::Other(text) => format!("`{text}`"),
            Tok::Eof => "the end of the rule".into(),
        }
    }
}

/// Go's operators and punctuation that a rule cannot use, longest first so that the longest
/// match wins as in Go's scanner.
const OTHER_OPERATORS: &[&str] = &[
    "&^=", "<<=", ">>=", "&^", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>", "<-",
    "++", "--", "==", "!=", "<=", ">=", ":=", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">",
    "=", ":", ";", ".", "[", "]", "{", "}", "~",
];

/// Splits `src` into tokens.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, (RuleErrorKind, Span)> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), (RuleErrorKind, Span)> {
        loop {
            let saw_newline = self.skip_blank()?;
            if saw_newline.is_some() && self.ends_expression() {
                let at = saw_newline.unwrap_or(self.pos);
                self.push(Tok::Newline, at, at + 1);
            }
            let Some(c) = self.peek() else {
                if self.ends_expression() {
                    self.push(Tok::Newline, self.pos, self.pos);
                }
                self.push(Tok::Eof, self.pos, self.pos);
                return Ok(());
            };
            let start = self.pos;
            match c {
                '`' => {
                    let value = self.raw_string()?;
                    self.push(Tok::Str(value), start, self.pos);
                }
                '"' => {
                    let value = self.interpreted_string()?;
                    self.push(Tok::Str(value), start, self.pos);
                }
                '\'' => return Err((RuleErrorKind::SingleQuotes, self.rune_literal_span())),
                '(' => self.single(Tok::LParen),
                ')' => self.single(Tok::RParen),
                ',' => self.single(Tok::Comma),
                c if c == '_' || c.is_alphabetic() => {
                    let end = self.scan_while(|c| c == '_' || c.is_alphanumeric());
                    let name = self.src[start..end].to_string();
                    self.pos = end;
                    self.push(Tok::Ident(name), start, end);
                }
                c if c.is_ascii_digit() => {
                    let end =
                        self.scan_while(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
                    let text = self.src[start..end].to_string();
                    self.pos = end;
                    self.push(Tok::Other(text), start, end);
                }
                _ => self.operator(start)?,
            }
        }
    }

    fn operator(&mut self, start: usize) -> Result<(), (RuleErrorKind, Span)> {
        let rest = &self.src[start..];
        let fixed: &[(&str, Tok)] = &[
            ("...", Tok::Ellipsis),
            ("&&", Tok::AndAnd),
            ("||", Tok::OrOr),
        ];
        for (text, tok) in fixed {
            if rest.starts_with(text) {
                self.pos = start + text.len();
                self.push(tok.clone(), start, self.pos);
                return Ok(());
            }
        }
        // `!=` is one Go token, not `!` followed by `=`.
        if rest.starts_with('!') && !rest.starts_with("!=") {
            self.single(Tok::Bang);
            return Ok(());
        }
        if rest.starts_with("!=") {
            self.pos = start + 2;
            self.push(Tok::Other("!=".into()), start, self.pos);
            return Ok(());
        }
        if let Some(op) = OTHER_OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            self.pos = start + op.len();
            self.push(Tok::Other((*op).to_string()), start, self.pos);
            return Ok(());
        }
        let c = rest.chars().next().unwrap_or('\0');
        Err((
            RuleErrorKind::UnexpectedChar(c),
            Span::new(start, start + c.len_utf8()),
        ))
    }

    /// Whether a line break here ends the expression (Go inserts a semicolon after a name, a
    /// literal or a closing bracket).
    fn ends_expression(&self) -> bool {
        matches!(
            self.tokens.last().map(|t| &t.kind),
            Some(Tok::Ident(_) | Tok::Str(_) | Tok::RParen)
        ) || matches!(self.tokens.last().map(|t| &t.kind), Some(Tok::Other(text)) if text.starts_with(|c: char| c.is_ascii_digit()) || text == "]" || text == "}" || text == "++" || text == "--")
    }

    /// Skips whitespace and comments; returns where the first line break was, if any. A
    /// `/* */` comment containing a line break counts as one (Go spec, "Comments").
    fn skip_blank(&mut self) -> Result<Option<usize>, (RuleErrorKind, Span)> {
        let mut newline = None;
        loop {
            let rest = &self.src[self.pos..];
            if let Some(c) = rest
                .chars()
                .next()
                .filter(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
            {
                if c == '\n' {
                    newline.get_or_insert(self.pos);
                }
                self.pos += 1;
            } else if rest.starts_with("//") {
                let end = rest.find('\n').map_or(self.src.len(), |i| self.pos + i);
                self.pos = end;
            } else if let Some(body) = rest.strip_prefix("/*") {
                let Some(len) = body.find("*/") else {
                    return Err((
                        RuleErrorKind::UnterminatedComment,
                        Span::new(self.pos, self.src.len()),
                    ));
                };
                if body[..len].contains('\n') {
                    newline.get_or_insert(self.pos);
                }
                self.pos += len + 4;
            } else {
                return Ok(newline);
            }
        }
    }

    fn raw_string(&mut self) -> Result<String, (RuleErrorKind, Span)> {
        let start = self.pos;
        let body = &self.src[start + 1..];
        let Some(len) = body.find('`') else {
            return Err((
                RuleErrorKind::UnterminatedString,
                Span::new(start, self.src.len()),
            ));
        };
        self.pos = start + 1 + len + 1;
        let text = &body[..len];
        if let Some(i) = text.find('\0') {
            let at = start + 1 + i;
            return Err((RuleErrorKind::UnexpectedChar('\0'), Span::new(at, at + 1)));
        }
        // Go discards carriage returns inside raw strings (Go spec, "String literals").
        Ok(text.replace('\r', ""))
    }

    fn interpreted_string(&mut self) -> Result<String, (RuleErrorKind, Span)> {
        let start = self.pos;
        let mut bytes = Vec::new();
        let mut i = start + 1;
        let src = self.src.as_bytes();
        loop {
            let Some(&b) = src.get(i) else {
                return Err((
                    RuleErrorKind::UnterminatedString,
                    Span::new(start, self.src.len()),
                ));
            };
            match b {
                b'"' => break,
                b'\n' => return Err((RuleErrorKind::NewlineInString, Span::new(i, i + 1))),
                b'\0' => return Err((RuleErrorKind::UnexpectedChar('\0'), Span::new(i, i + 1))),
                b'\\' => i = self.escape(i, &mut bytes)?,
                _ => {
                    bytes.push(b);
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        String::from_utf8(bytes).map_err(|_| {
            (
                RuleErrorKind::InvalidUtf8Argument,
                Span::new(start, self.pos),
            )
        })
    }

    /// Decodes the escape at `at` (a backslash) into `out`; returns the index after it.
    fn escape(&self, at: usize, out: &mut Vec<u8>) -> Result<usize, (RuleErrorKind, Span)> {
        let src = self.src.as_bytes();
        let bad = |end: usize| {
            let end = end.min(self.src.len());
            let end = (end..=self.src.len())
                .find(|e| self.src.is_char_boundary(*e))
                .unwrap_or(self.src.len());
            (
                RuleErrorKind::InvalidEscape(self.src[at..end].to_string()),
                Span::new(at, end),
            )
        };
        let Some(&c) = src.get(at + 1) else {
            return Err(bad(at + 1));
        };
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(at + 2);
        }
        let digits = |n: usize, radix: u32| -> Option<u32> {
            let text = self.src.get(at + 2..at + 2 + n)?;
            if text.len() != n || !text.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            u32::from_str_radix(text, radix).ok()
        };
        match c {
            b'0'..=b'7' => {
                // Exactly three octal digits, at most 255 (Go spec, "Rune literals").
                let text = self.src.get(at + 1..at + 4).ok_or_else(|| bad(at + 4))?;
                if !text.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                    return Err(bad(at + 4));
                }
                let value = u32::from_str_radix(text, 8).map_err(|_| bad(at + 4))?;
                out.push(u8::try_from(value).map_err(|_| bad(at + 4))?);
                Ok(at + 4)
            }
            b'x' => {
                let value = digits(2, 16).ok_or_else(|| bad(at + 4))?;
                out.push(u8::try_from(value).map_err(|_| bad(at + 4))?);
                Ok(at + 4)
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let value = digits(n, 16).ok_or_else(|| bad(at + 2 + n))?;
                let ch = char::from_u32(value).ok_or_else(|| bad(at + 2 + n))?;
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                Ok(at + 2 + n)
            }
            _ => Err(bad(at + 2)),
        }
    }

    /// The span of a Go rune literal starting here, for the error.
    fn rune_literal_span(&self) -> Span {
        let rest = &self.src[self.pos + 1..];
        let end = rest
            .find(['\'', '\n'])
            .map_or(self.src.len(), |i| self.pos + 1 + i + 1);
        Span::new(self.pos, end.min(self.src.len()))
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn scan_while(&self, keep: impl Fn(char) -> bool) -> usize {
        self.src[self.pos..]
            .char_indices()
            .find(|(_, c)| !keep(*c))
            .map_or(self.src.len(), |(i, _)| self.pos + i)
    }

    fn single(&mut self, kind: Tok) {
        let start = self.pos;
        self.pos += 1;
        self.push(kind, start, self.pos);
    }

    fn push(&mut self, kind: Tok, start: usize, end: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, end),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn strings_decode_go_escapes() {
        assert_eq!(
            kinds(r#""a\x41\u00e9\101\"\\""#)[0],
            Tok::Str("aAéA\"\\".into())
        );
        assert_eq!(kinds("`a\\x`")[0], Tok::Str("a\\x".into()));
        assert_eq!(kinds("`a\r\nb`")[0], Tok::Str("a\nb".into()));
    }

    #[test]
    fn bad_escapes_are_errors() {
        for src in [
            r#""\q""#,
            r#""\'""#,
            r#""\x4""#,
            r#""\400""#,
            r#""\ud800""#,
            r#""\xff""#,
        ] {
            assert!(tokenize(src).is_err(), "{src}");
        }
    }

    #[test]
    fn newline_after_operand_becomes_a_semicolon() {
        let toks = kinds("Host(`a`)\n&& Path(`/`)");
        assert!(toks.contains(&Tok::Newline));
        let toks = kinds("Host(`a`) &&\nPath(`/`)");
        assert_eq!(toks.iter().filter(|t| **t == Tok::Newline).count(), 1); // only at the end
        let toks = kinds("Host(`a`) /* x\n */ && Path(`/`)");
        assert_eq!(toks.iter().filter(|t| **t == Tok::Newline).count(), 2);
    }

    #[test]
    fn comments_are_skipped() {
        let toks = kinds("Host(`a`) // trailing\n");
        assert_eq!(toks.len(), 6, "{toks:?}");
        assert!(tokenize("Host(`a`) /* open").is_err());
    }
}
