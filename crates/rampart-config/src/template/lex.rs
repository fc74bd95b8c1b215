//! The lexer: template text into tokens, as Go's `text/template/parse` lexer splits it.
//!
//! Text runs until `{{`; inside an action come identifiers, `.Fields`, `$variables`, literals,
//! `|`, parentheses, `:=`/`=`, `,` and spaces (which separate arguments, so they are tokens).
//! `{{- ` trims the whitespace before the action and ` -}}` the whitespace after it; the marker
//! needs a space beside the dash, so `{{-3}}` is the number -3. `{{/* comments */}}` vanish.

use super::TemplateError;

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Text(String),
    /// `{{` (after any left trim).
    Open,
    /// `}}`.
    Close,
    Space,
    Ident(String),
    /// `.name` (without the dot).
    Field(String),
    /// `.` alone.
    Dot,
    /// `$name`, or `$` alone (name empty).
    Variable(String),
    Str(String),
    Number(String),
    Char(char),
    Bool(bool),
    Nil,
    Pipe,
    LParen,
    RParen,
    Declare,
    Assign,
    Comma,
    Eof,
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits `src` into tokens.
pub(super) fn lex(src: &str) -> Result<Vec<Token>, TemplateError> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        paren_depth: 0,
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    paren_depth: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn push(&mut self, kind: Tok, pos: usize) {
        self.tokens.push(Token { kind, pos });
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> TemplateError {
        TemplateError::parse(self.src, pos, message)
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        loop {
            let Some(found) = self.rest().find(OPEN) else {
                let text = self.rest().to_owned();
                if !text.is_empty() {
                    self.push(Tok::Text(text), self.pos);
                }
                self.push(Tok::Eof, self.src.len());
                return Ok(());
            };
            let open_at = self.pos + found;
            let after_open = &self.src[open_at + OPEN.len()..];
            let trim_left = after_open.starts_with('-') && after_open[1..].starts_with(is_space);
            let mut text = &self.src[self.pos..open_at];
            if trim_left {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                self.push(Tok::Text(text.to_owned()), self.pos);
            }
            self.pos = open_at + OPEN.len() + if trim_left { 2 } else { 0 };
            // As in Go, a comment starts right after the delimiter (and its trim marker).
            if self.rest().starts_with("/*") {
                self.comment(open_at)?;
            } else {
                self.push(Tok::Open, open_at);
                self.action(open_at)?;
            }
        }
    }

    /// `{{/* ... */}}`: the comment must close the action (Go's rule).
    fn comment(&mut self, open_at: usize) -> Result<(), TemplateError> {
        let Some(end) = self.rest()[2..].find("*/") else {
            return Err(self.error(open_at, "unclosed comment"));
        };
        self.pos += 2 + end + 2;
        if self.rest().starts_with(CLOSE) {
            self.pos += CLOSE.len();
        } else if self.rest().starts_with(is_space) && self.rest()[1..].starts_with("-}}") {
            self.pos += 1 + 1 + CLOSE.len();
            self.trim_following_space();
        } else {
            return Err(self.error(open_at, "comment ends before closing delimiter"));
        }
        Ok(())
    }

    fn trim_following_space(&mut self) {
        let trimmed = self.rest().trim_start_matches(is_space);
        self.pos = self.src.len() - trimmed.len();
    }

    /// Tokens up to and including the closing `}}`.
    fn action(&mut self, open_at: usize) -> Result<(), TemplateError> {
        self.paren_depth = 0;
        loop {
            let rest = self.rest();
            let start = self.pos;
            // A right trim marker: space, dash, delimiter.
            if rest.starts_with(is_space) {
                let spaces = rest.len() - rest.trim_start_matches(is_space).len();
                if rest[spaces..].starts_with("-}}") {
                    self.pos += spaces + 1;
                    return self.close(true);
                }
                self.pos += spaces;
                self.push(Tok::Space, start);
                continue;
            }
            if rest.starts_with(CLOSE) {
                return self.close(false);
            }
            let Some(c) = rest.chars().next() else {
                return Err(self.error(open_at, "unclosed action"));
            };
            match c {
                '|' => self.single(Tok::Pipe),
                ',' => self.single(Tok::Comma),
                '=' => self.single(Tok::Assign),
                '(' => {
                    self.paren_depth += 1;
                    self.single(Tok::LParen);
                }
                ')' => {
                    if self.paren_depth == 0 {
                        return Err(self.error(start, "unexpected right paren"));
                    }
                    self.paren_depth -= 1;
                    self.single(Tok::RParen);
                }
                ':' => {
                    if !rest.starts_with(":=") {
                        return Err(self.error(start, "expected :="));
                    }
                    self.pos += 2;
                    self.push(Tok::Declare, start);
                }
                '"' => self.quoted()?,
                '`' => self.raw()?,
                '\'' => self.char_constant()?,
                '$' => {
                    let name = self.word(1);
                    self.push(Tok::Variable(name), start);
                }
                '.' => {
                    let next = rest[1..].chars().next();
                    if next.is_some_and(|n| n.is_ascii_digit()) {
                        self.number()?;
                    } else if next.is_some_and(is_alnum) {
                        let name = self.word(1);
                        self.push(Tok::Field(name), start);
                    } else {
                        self.single(Tok::Dot);
                    }
                }
                '+' | '-' | '0'..='9' => self.number()?,
                c if is_alnum(c) => {
                    let word = self.word(0);
                    let kind = match word.as_str() {
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "nil" => Tok::Nil,
                        _ => Tok::Ident(word),
                    };
                    self.push(kind, start);
                }
                c => {
                    return Err(
                        self.error(start, format!("unrecognized character in action: {c:?}"))
                    );
                }
            }
        }
    }

    fn close(&mut self, trim_right: bool) -> Result<(), TemplateError> {
        let start = self.pos;
        if self.paren_depth > 0 {
            return Err(self.error(start, "unclosed left paren"));
        }
        self.pos += CLOSE.len();
        self.push(Tok::Close, start);
        if trim_right {
            self.trim_following_space();
        }
        Ok(())
    }

    fn single(&mut self, kind: Tok) {
        let start = self.pos;
        self.pos += 1;
        self.push(kind, start);
    }

    /// An alphanumeric word starting `skip` bytes ahead (after `$` or `.`).
    fn word(&mut self, skip: usize) -> String {
        let start = self.pos + skip;
        let len = self.src[start..]
            .char_indices()
            .find(|&(_, c)| !is_alnum(c))
            .map_or(self.src.len() - start, |(i, _)| i);
        self.pos = start + len;
        self.src[start..start + len].to_owned()
    }

    /// Go's number syntax, checked loosely here and exactly when parsed.
    fn number(&mut self) -> Result<(), TemplateError> {
        let start = self.pos;
        let src = self.src;
        let rest = &src[start..];
        let bytes = rest.as_bytes();
        let mut len = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
        let hex = bytes.get(len) == Some(&b'0') && matches!(bytes.get(len + 1), Some(b'x' | b'X'));
        while len < bytes.len() {
            let b = bytes[len];
            let prev = if len > 0 { bytes[len - 1] } else { 0 };
            // A sign belongs to the number right after an exponent marker.
            let exponent_sign = matches!(b, b'+' | b'-')
                && if hex {
                    matches!(prev, b'p' | b'P')
                } else {
                    matches!(prev, b'e' | b'E')
                };
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                len += 1;
            } else {
                break;
            }
        }
        let text = &rest[..len];
        if text == "+" || text == "-" {
            return Err(self.error(start, format!("bad number syntax: {text:?}")));
        }
        self.pos += len;
        self.push(Tok::Number(text.to_owned()), start);
        Ok(())
    }

    fn quoted(&mut self) -> Result<(), TemplateError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        loop {
            let Some((i, c)) = chars.next() else {
                return Err(self.error(start, "unterminated quoted string"));
            };
            match c {
                '"' => {
                    self.pos = start + 1 + i + 1;
                    break;
                }
                '\n' => return Err(self.error(start, "unterminated quoted string")),
                '\\' => {
                    let at = start + 1 + i;
                    let escaped = unescape(&mut chars, '"')
                        .ok_or_else(|| self.error(at, "invalid escape in quoted string"))?;
                    out.push(escaped);
                }
                c => out.push(c),
            }
        }
        self.push(Tok::Str(out), start);
        Ok(())
    }

    /// A raw string: no escapes; carriage returns are dropped (Go's spec for raw literals).
    fn raw(&mut self) -> Result<(), TemplateError> {
        let start = self.pos;
        let Some(end) = self.src[start + 1..].find('`') else {
            return Err(self.error(start, "unterminated raw quoted string"));
        };
        let text: String = self.src[start + 1..start + 1 + end]
            .chars()
            .filter(|&c| c != '\r')
            .collect();
        self.pos = start + 1 + end + 1;
        self.push(Tok::Str(text), start);
        Ok(())
    }

    fn char_constant(&mut self) -> Result<(), TemplateError> {
        let start = self.pos;
        let mut chars = self.src[start + 1..].char_indices();
        let c = match chars.next() {
            Some((_, '\\')) => unescape(&mut chars, '\''),
            Some((_, '\'' | '\n')) | None => None,
            Some((_, c)) => Some(c),
        };
        let close = chars.next();
        match (c, close) {
            (Some(c), Some((i, '\''))) => {
                self.pos = start + 1 + i + 1;
                self.push(Tok::Char(c), start);
                Ok(())
            }
            _ => Err(self.error(start, "malformed character constant")),
        }
    }
}

/// One escape sequence after a backslash, as Go's `strconv.UnquoteChar` reads it.
fn unescape(chars: &mut std::str::CharIndices<'_>, quote: char) -> Option<char> {
    let (_, c) = chars.next()?;
    let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| -> Option<char> {
        let mut v: u32 = 0;
        for _ in 0..n {
            v = v * 16 + chars.next()?.1.to_digit(16)?;
        }
        char::from_u32(v)
    };
    Some(match c {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        '\\' => '\\',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        '0'..='7' => {
            let mut v = c.to_digit(8)?;
            for _ in 0..2 {
                v = v * 8 + chars.next()?.1.to_digit(8)?;
            }
            char::from_u32(v).filter(|_| v <= 255)?
        }
        c if c == quote => c,
        _ => return None,
    })
}

/// A token as error messages name it.
pub(super) fn describe(t: &Tok) -> String {
    match t {
        Tok::Text(_) => "text".into(),
        Tok::Open => "\"{{\"".into(),
        Tok::Close => "\"}}\"".into(),
        Tok::Space => "space".into(),
        Tok::Ident(s) => format!("identifier {s:?}"),
        Tok::Field(s) => format!("field .{s}"),
        Tok::Dot => "\".\"".into(),
        Tok::Variable(s) => format!("variable ${s}"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Number(s) => format!("number {s}"),
        Tok::Char(c) => format!("character {c:?}"),
        Tok::Bool(b) => format!("{b}"),
        Tok::Nil => "nil".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::Declare => "\":=\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Comma => "\",\"".into(),
        Tok::Eof => "end of input".into(),
    }
}
