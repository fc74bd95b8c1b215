//! Go's character classes and escapes (`regexp/syntax` `parseClass`, `parseEscape`,
//! `parseUnicodeClass`).

use super::{
    ClassItem, ERR_INVALID_CHAR_RANGE, ERR_INVALID_ESCAPE, ERR_MISSING_BRACKET,
    ERR_TRAILING_BACKSLASH, GoRegexError, Node, Parser,
};

impl Parser<'_> {
    /// A bracketed class, as Go's `parseClass`: `]` and `-` are literal first; `[` is literal
    /// unless it starts `[:name:]`; a range's ends must be ordered.
    pub(super) fn class(&mut self) -> Result<Node, GoRegexError> {
        let whole = self.pos;
        self.pos += 1;
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(GoRegexError::new(ERR_MISSING_BRACKET, &self.src[whole..]));
            }
            if rest.starts_with(']') && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if let Some(end) = rest.strip_prefix("[:").and_then(|r| r.find(":]")) {
                {
                    let name = &rest[2..2 + end];
                    let (neg, bare) = name.strip_prefix('^').map_or((false, name), |n| (true, n));
                    if !POSIX_CLASSES.contains(&bare) {
                        return Err(GoRegexError::new(ERR_INVALID_CHAR_RANGE, &rest[..end + 4]));
                    }
                    items.push(ClassItem::Posix(bare.to_string(), neg));
                    self.pos += end + 4;
                    continue;
                }
            }
            if rest.starts_with("\\p") || rest.starts_with("\\P") {
                let (item, len) = unicode_class(rest)?;
                items.push(item);
                self.pos += len;
                continue;
            }
            if let Some(c) = rest
                .strip_prefix('\\')
                .and_then(|r| r.chars().next())
                .filter(|c| matches!(c, 'd' | 's' | 'w' | 'D' | 'S' | 'W'))
            {
                items.push(ClassItem::Perl(
                    c.to_ascii_lowercase(),
                    c.is_ascii_uppercase(),
                ));
                self.pos += 2;
                continue;
            }
            let range_start = self.pos;
            let lo = self.class_char(whole)?;
            let mut hi = lo;
            let rest = self.rest();
            if rest.len() >= 2 && rest.starts_with('-') && !rest[1..].starts_with(']') {
                self.pos += 1;
                hi = self.class_char(whole)?;
                if hi < lo {
                    return Err(GoRegexError::new(
                        ERR_INVALID_CHAR_RANGE,
                        &self.src[range_start..self.pos],
                    ));
                }
            }
            items.push(ClassItem::Range(lo, hi));
        }
        Ok(Node::Class {
            items,
            negated,
            fold: self.flags.fold_case,
        })
    }

    fn class_char(&mut self, whole: usize) -> Result<char, GoRegexError> {
        let rest = self.rest();
        if rest.is_empty() {
            return Err(GoRegexError::new(ERR_MISSING_BRACKET, &self.src[whole..]));
        }
        if rest.starts_with('\\') {
            let (c, len) = parse_escape(rest)?;
            self.pos += len;
            return Ok(c);
        }
        Ok(self.next_char().unwrap_or('\0'))
    }
}

/// Go's POSIX class names (`regexp/syntax` `posixGroup`).
const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// An escaped single character (`\n`, `\x41`, `\x{1F600}`, `\012`, `\.`), as Go's
/// `parseEscape`. Returns the character and the escape's length.
pub(super) fn parse_escape(s: &str) -> Result<(char, usize), GoRegexError> {
    let t = &s[1..];
    let Some(c) = t.chars().next() else {
        return Err(GoRegexError::new(ERR_TRAILING_BACKSLASH, ""));
    };
    let bad = |len: usize| {
        let end = (len.min(s.len())..=s.len())
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(s.len());
        GoRegexError::new(ERR_INVALID_ESCAPE, &s[..end])
    };
    let simple = match c {
        'a' => Some('\x07'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        _ => None,
    };
    if let Some(ch) = simple {
        return Ok((ch, 2));
    }
    if c.is_ascii() && !c.is_ascii_alphanumeric() {
        // An escaped ASCII punctuation character is itself.
        return Ok((c, 2));
    }
    match c {
        '0'..='7' => {
            // A single non-zero digit would be a backreference, which Go does not support.
            let more = t[1..]
                .bytes()
                .take(2)
                .take_while(|b| (b'0'..=b'7').contains(b))
                .count();
            if c != '0' && more == 0 {
                return Err(bad(2));
            }
            let digits = &t[..=more];
            let value = u32::from_str_radix(digits, 8).map_err(|_| bad(2 + more))?;
            Ok((
                char::from_u32(value).ok_or_else(|| bad(2 + more))?,
                2 + more,
            ))
        }
        'x' => {
            let rest = &t[1..];
            if let Some(body) = rest.strip_prefix('{') {
                let close = body.find('}').ok_or_else(|| bad(s.len()))?;
                let hex = &body[..close];
                let ok = !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
                let value = ok.then(|| u32::from_str_radix(hex, 16).ok()).flatten();
                let ch = value
                    .and_then(char::from_u32)
                    .ok_or_else(|| bad(3 + close + 1))?;
                return Ok((ch, 3 + close + 1));
            }
            let hex = rest
                .get(..2)
                .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
            let value = hex
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad(4))?;
            Ok((char::from_u32(value).ok_or_else(|| bad(4))?, 4))
        }
        _ => Err(bad(1 + c.len_utf8())),
    }
}

/// `\pL`, `\p{Greek}`, `\P{^Lu}` at the start of `s`. Go accepts general categories,
/// scripts, their long aliases, `Any`, `Assigned` and `ASCII`; the name is checked against
/// Rust's `General_Category` and `Script` tables so that Rust's extra properties (`Emoji`,
/// `White_Space`, `scx=…`) stay rejected as Go rejects them.
pub(super) fn unicode_class(s: &str) -> Result<(ClassItem, usize), GoRegexError> {
    let mut negated = s.as_bytes()[1] == b'P';
    let t = &s[2..];
    let Some(c) = t.chars().next() else {
        return Err(GoRegexError::new(ERR_INVALID_CHAR_RANGE, s));
    };
    let (name, len) = if c == '{' {
        let close = t
            .find('}')
            .ok_or_else(|| GoRegexError::new(ERR_INVALID_CHAR_RANGE, s))?;
        (&t[1..close], 2 + close + 1)
    } else {
        (&t[..c.len_utf8()], 2 + c.len_utf8())
    };
    let seq = &s[..len];
    let name = match name.strip_prefix('^') {
        Some(rest) => {
            negated = !negated;
            rest
        }
        None => name,
    };
    let valid_chars = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '));
    if !valid_chars {
        return Err(GoRegexError::new(ERR_INVALID_CHAR_RANGE, seq));
    }
    let folded: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    let spelled = match folded.as_str() {
        "any" => "Any".to_string(),
        "assigned" => "Assigned".to_string(),
        "ascii" => "ASCII".to_string(),
        _ => {
            let gc = format!("gc={name}");
            let sc = format!("sc={name}");
            if rust_knows(&gc) {
                gc
            } else if rust_knows(&sc) {
                sc
            } else {
                return Err(GoRegexError::new(ERR_INVALID_CHAR_RANGE, seq));
            }
        }
    };
    Ok((ClassItem::Unicode(spelled, negated), len))
}

fn rust_knows(property: &str) -> bool {
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(&format!("\\p{{{property}}}"))
        .is_ok()
}
