//! Tokens of an expression, with their byte offset.

use super::ExprError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    And,
    Or,
    Not,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LParen,
    RParen,
    Comma,
}

/// Splits `src` into tokens.
pub(super) fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let two = |b: u8| bytes.get(i + 1) == Some(&b);
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'&' if two(b'&') => Tok::And,
            b'|' if two(b'|') => Tok::Or,
            b'=' if two(b'=') => Tok::Eq,
            b'!' if two(b'=') => Tok::Ne,
            b'<' if two(b'=') => Tok::Le,
            b'>' if two(b'=') => Tok::Ge,
            b'!' => Tok::Not,
            b'<' => Tok::Lt,
            b'>' => Tok::Gt,
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b',' => Tok::Comma,
            b'"' | b'`' => {
                let (s, len) =
                    string(&src[i..]).ok_or_else(|| ExprError::syntax(i, "unterminated string"))?;
                i += len;
                out.push((start, Tok::Str(s)));
                continue;
            }
            b'0'..=b'9' | b'.' => {
                let len = src[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
                    .unwrap_or(src.len() - i);
                let text = &src[i..i + len];
                let clean = text.replace('_', "");
                let tok = if let Ok(n) = clean.parse::<i64>() {
                    Tok::Int(n)
                } else if let Ok(f) = clean.parse::<f64>() {
                    Tok::Float(f)
                } else {
                    return Err(ExprError::syntax(i, format!("`{text}` is not a number")));
                };
                i += len;
                out.push((start, tok));
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let len = src[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .unwrap_or(src.len() - i);
                out.push((start, Tok::Ident(src[i..i + len].to_owned())));
                i += len;
                continue;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(ExprError::syntax(i, format!("unexpected `{ch}`")));
            }
        };
        i += match tok {
            Tok::Not | Tok::Lt | Tok::Gt | Tok::LParen | Tok::RParen | Tok::Comma => 1,
            _ => 2,
        };
        out.push((start, tok));
    }
    Ok(out)
}

/// A Go string literal at the start of `s`: `"…"` with escapes, or a raw `` `…` ``. Returns the
/// value and the literal's length.
fn string(s: &str) -> Option<(String, usize)> {
    let quote = s.chars().next()?;
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((out, i + 1)),
            '\\' if quote == '"' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}
