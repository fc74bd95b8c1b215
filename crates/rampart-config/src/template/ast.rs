//! The template's syntax tree, and the typing of number literals.

/// A node of the template.
#[derive(Debug, Clone)]
pub(super) enum Node {
    Text(String),
    Action(Pipe),
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    Break,
    Continue,
}

/// `{{if|range|with pipe}} list {{else}} else_list {{end}}`.
#[derive(Debug, Clone)]
pub(super) struct Branch {
    pub(super) pipe: Pipe,
    pub(super) list: Vec<Node>,
    pub(super) else_list: Vec<Node>,
}

/// `$a, $b := cmd | cmd ...`.
#[derive(Debug, Clone)]
pub(super) struct Pipe {
    pub(super) pos: usize,
    pub(super) decl: Vec<String>,
    /// `=` rather than `:=`.
    pub(super) assign: bool,
    pub(super) cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub(super) struct Cmd {
    pub(super) pos: usize,
    pub(super) args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(super) enum Arg {
    /// `.a.b`
    Field {
        pos: usize,
        names: Vec<String>,
    },
    Dot,
    /// `$x.a.b` (`$` alone is the root data).
    Variable {
        name: String,
        fields: Vec<String>,
    },
    /// A function name.
    Ident {
        pos: usize,
        name: String,
    },
    /// `(pipe).a.b`
    Chain {
        node: Box<Arg>,
        fields: Vec<String>,
    },
    Pipe(Box<Pipe>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil {
        pos: usize,
    },
}

/// A number literal: an integer (with Go's base prefixes and `_` separators) unless it is
/// written as a float (`.`, or an exponent in a decimal number), as Go's `idealConstant` types it.
pub(super) fn number(text: &str) -> Option<Arg> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let radix = if lower.starts_with("0x") {
        Some((16, &clean[2..]))
    } else if lower.starts_with("0o") {
        Some((8, &clean[2..]))
    } else if lower.starts_with("0b") {
        Some((2, &clean[2..]))
    } else if clean.len() > 1 && clean.starts_with('0') && clean.bytes().all(|b| b.is_ascii_digit())
    {
        Some((8, &clean[1..]))
    } else {
        None
    };
    if let Some((radix, body)) = radix {
        let v = i64::from_str_radix(body, radix).ok()?;
        return Some(Arg::Int(if negative { -v } else { v }));
    }
    if !clean.contains(['.', 'e', 'E']) {
        let v: i64 = clean.parse().ok()?;
        return Some(Arg::Int(if negative { -v } else { v }));
    }
    if !clean
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let v: f64 = clean.parse().ok()?;
    Some(Arg::Float(if negative { -v } else { v }))
}
