//! Go's `regexp/syntax` parser (Perl flags, as `regexp.Compile` uses), producing a small tree.

use super::GoRegexError;

mod class;

use class::{parse_escape, unicode_class};

/// Go's limit on repeat counts (`regexp/syntax`: `{n,m}` with n or m above 1000 is invalid).
const MAX_REPEAT: u32 = 1000;
/// Go's `maxHeight`: how deep the parse tree may be.
const MAX_DEPTH: usize = 1000;

pub(super) const ERR_MISSING_PAREN: &str = "missing closing )";
const ERR_UNEXPECTED_PAREN: &str = "unexpected )";
const ERR_MISSING_BRACKET: &str = "missing closing ]";
const ERR_INVALID_ESCAPE: &str = "invalid escape sequence";
const ERR_TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const ERR_INVALID_CHAR_RANGE: &str = "invalid character class range";
const ERR_INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const ERR_INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const ERR_INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const ERR_INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const ERR_MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const ERR_NESTING_DEPTH: &str = "expression nests too deeply";

/// Go's parse flags that change meaning (`regexp/syntax.Flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors Go's four independent parse flags"
)]
pub(super) struct Flags {
    pub(super) fold_case: bool,
    pub(super) dot_nl: bool,
    /// `(?m)`: `^`/`$` match at line boundaries.
    pub(super) multi_line: bool,
    pub(super) non_greedy: bool,
}

/// A zero-width assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Assertion {
    BeginText,
    EndText,
    BeginLine,
    EndLine,
    WordBoundary,
    NotWordBoundary,
}

/// One item of a character class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ClassItem {
    Range(char, char),
    /// `\d`, `\s`, `\w` (ASCII in Go), negated for `\D`, `\S`, `\W`.
    Perl(char, bool),
    /// `[:alpha:]`, negated for `[:^alpha:]`.
    Posix(String, bool),
    /// `\p{…}` as Rust spells it (`gc=Lu`, `sc=Greek`, `Any`…), negated for `\P`/`^`.
    Unicode(String, bool),
}

/// The parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Empty,
    Literal(char, bool),
    Class {
        items: Vec<ClassItem>,
        negated: bool,
        fold: bool,
    },
    Dot(bool),
    Assert(Assertion),
    /// A capturing group, with its name when it has one Rust can carry.
    Group(Option<String>, Box<Node>),
    Repeat {
        sub: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
}

pub(super) fn parse(pattern: &str) -> Result<Node, GoRegexError> {
    let mut p = Parser {
        src: pattern,
        pos: 0,
        flags: Flags::default(),
    };
    p.run()
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    flags: Flags,
}

/// Whether a group captures, and under which name.
#[derive(Clone)]
enum Capture {
    No,
    Unnamed,
    Named(String),
}

/// An open group (or the whole pattern): finished branches and the current branch's items.
/// Groups are kept on an explicit stack, as Go does, so nesting depth costs no call stack.
struct Frame {
    branches: Vec<Node>,
    items: Vec<Node>,
    /// Flags to restore at the closing `)`.
    saved: Flags,
    capture: Capture,
    /// Where the last item's repeat operator started, if the last item was a repeat.
    last_repeat: Option<usize>,
}

impl Frame {
    fn new(saved: Flags, capture: Capture) -> Self {
        Frame {
            branches: Vec::new(),
            items: Vec::new(),
            saved,
            capture,
            last_repeat: None,
        }
    }

    fn end_branch(&mut self) {
        let items = std::mem::take(&mut self.items);
        self.branches.push(match items.len() {
            0 => Node::Empty,
            1 => items.into_iter().next().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        });
    }

    fn finish(mut self) -> Node {
        self.end_branch();
        if self.branches.len() == 1 {
            self.branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternate(self.branches)
        }
    }
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn run(&mut self) -> Result<Node, GoRegexError> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut cur = Frame::new(self.flags, Capture::No);
        while let Some(c) = self.peek() {
            let start = self.pos;
            // Go rejects a repeat right after a repeat (`a**`, `a{2}{3}`), but a flag group
            // in between resets that: `a*(?i)*` is `(a*)*`.
            let mut this_repeat = None;
            match c {
                '|' => {
                    self.pos += 1;
                    cur.end_branch();
                }
                '(' => {
                    if let Some((saved, capture)) = self.open_group()? {
                        if stack.len() >= MAX_DEPTH {
                            return Err(GoRegexError::new(ERR_NESTING_DEPTH, self.src));
                        }
                        stack.push(std::mem::replace(&mut cur, Frame::new(saved, capture)));
                        continue;
                    }
                }
                ')' => {
                    self.pos += 1;
                    let Some(parent) = stack.pop() else {
                        return Err(GoRegexError::new(ERR_UNEXPECTED_PAREN, self.src));
                    };
                    let done = std::mem::replace(&mut cur, parent);
                    self.flags = done.saved;
                    let capture = done.capture.clone();
                    let inner = done.finish();
                    cur.items.push(match capture {
                        Capture::Unnamed => Node::Group(None, Box::new(inner)),
                        Capture::Named(name) => Node::Group(Some(name), Box::new(inner)),
                        Capture::No => inner,
                    });
                }
                '*' | '+' | '?' => {
                    self.pos += 1;
                    let (min, max) = match c {
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.repeat(&mut cur.items, min, max, start, cur.last_repeat)?;
                    this_repeat = Some(start);
                }
                '{' => {
                    if let Some(rep) = parse_repeat(self.rest()) {
                        let end = self.pos + rep.len;
                        // Go: counts above 1000, or max below min, are invalid.
                        let out_of_range = rep.min > MAX_REPEAT
                            || rep.max.is_some_and(|m| m > MAX_REPEAT || m < rep.min);
                        if out_of_range {
                            return Err(GoRegexError::new(
                                ERR_INVALID_REPEAT_SIZE,
                                &self.src[start..end],
                            ));
                        }
                        self.pos = end;
                        self.repeat(&mut cur.items, rep.min, rep.max, start, cur.last_repeat)?;
                        this_repeat = Some(start);
                    } else {
                        self.pos += 1;
                        cur.items.push(Node::Literal('{', self.flags.fold_case));
                    }
                }
                '[' => cur.items.push(self.class()?),
                '^' => {
                    self.pos += 1;
                    cur.items.push(Node::Assert(if self.flags.multi_line {
                        Assertion::BeginLine
                    } else {
                        Assertion::BeginText
                    }));
                }
                '$' => {
                    self.pos += 1;
                    cur.items.push(Node::Assert(if self.flags.multi_line {
                        Assertion::EndLine
                    } else {
                        Assertion::EndText
                    }));
                }
                '.' => {
                    self.pos += 1;
                    cur.items.push(Node::Dot(self.flags.dot_nl));
                }
                '\\' => self.escape(&mut cur.items)?,
                _ => {
                    self.pos += c.len_utf8();
                    cur.items.push(Node::Literal(c, self.flags.fold_case));
                }
            }
            cur.last_repeat = this_repeat;
        }
        if !stack.is_empty() {
            return Err(GoRegexError::new(ERR_MISSING_PAREN, self.src));
        }
        Ok(cur.finish())
    }

    fn repeat(
        &mut self,
        items: &mut Vec<Node>,
        min: u32,
        max: Option<u32>,
        start: usize,
        last_repeat: Option<usize>,
    ) -> Result<(), GoRegexError> {
        let mut greedy = !self.flags.non_greedy;
        if self.peek() == Some('?') {
            self.pos += 1;
            greedy = !greedy;
        }
        if let Some(prev) = last_repeat {
            return Err(GoRegexError::new(
                ERR_INVALID_REPEAT_OP,
                &self.src[prev..self.pos],
            ));
        }
        let Some(sub) = items.pop() else {
            return Err(GoRegexError::new(
                ERR_MISSING_REPEAT_ARGUMENT,
                &self.src[start..self.pos],
            ));
        };
        let node = Node::Repeat {
            sub: Box::new(sub),
            min,
            max,
            greedy,
        };
        let counted = min >= 2 || max.is_some_and(|m| m >= 2);
        if counted && !repeat_is_valid(&node, MAX_REPEAT) {
            return Err(GoRegexError::new(
                ERR_INVALID_REPEAT_SIZE,
                &self.src[start..self.pos],
            ));
        }
        items.push(node);
        Ok(())
    }

    /// Reads the opening of `(…)`, `(?:…)`, `(?flags)`, `(?flags:…)`, `(?P<name>…)` or
    /// `(?<name>…)`. Returns the flags to restore at `)` and whether the group captures (with
    /// its name), or `None` for a flags-only group, which changes the flags of what follows.
    fn open_group(&mut self) -> Result<Option<(Flags, Capture)>, GoRegexError> {
        let start = self.pos;
        self.pos += 1;
        let saved = self.flags;
        if self.peek() != Some('?') {
            return Ok(Some((saved, Capture::Unnamed)));
        }
        let rest = self.rest();
        let named =
            rest.starts_with("?P<") && rest.len() > 3 || rest.starts_with("?<") && rest.len() > 2;
        if named {
            let name_start = self.pos + if rest.starts_with("?P<") { 3 } else { 2 };
            let Some(close) = self.src[name_start..].find('>') else {
                return Err(GoRegexError::new(
                    ERR_INVALID_NAMED_CAPTURE,
                    &self.src[start..],
                ));
            };
            let name = &self.src[name_start..name_start + close];
            let valid =
                !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
            if !valid {
                return Err(GoRegexError::new(
                    ERR_INVALID_NAMED_CAPTURE,
                    &self.src[start..=name_start + close],
                ));
            }
            // Rust's names cannot start with a digit (Go's can): such a group still captures,
            // by number, which is all a Go replacement can reach anyway besides `${1a}`.
            let capture = if name.starts_with(|c: char| c.is_ascii_digit()) {
                Capture::Unnamed
            } else {
                Capture::Named(name.to_owned())
            };
            self.pos = name_start + close + 1;
            return Ok(Some((saved, capture)));
        }
        self.pos += 1;
        let (flags, opens_group) = self.perl_flags(start)?;
        self.flags = flags;
        Ok(opens_group.then_some((saved, Capture::No)))
    }

    /// Reads flags after `(?` up to `)` or `:`, as Go's `parsePerlFlags`.
    fn perl_flags(&mut self, start: usize) -> Result<(Flags, bool), GoRegexError> {
        let mut flags = self.flags;
        let mut negated = false;
        let mut saw_flag = false;
        while let Some(c) = self.next_char() {
            let on = !negated;
            match c {
                'i' => flags.fold_case = on,
                'm' => flags.multi_line = on,
                's' => flags.dot_nl = on,
                'U' => flags.non_greedy = on,
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                    continue;
                }
                ':' | ')' if !negated || saw_flag => return Ok((flags, c == ':')),
                _ => break,
            }
            saw_flag = true;
        }
        Err(GoRegexError::new(
            ERR_INVALID_PERL_OP,
            &self.src[start..self.pos],
        ))
    }

    fn escape(&mut self, items: &mut Vec<Node>) -> Result<(), GoRegexError> {
        let start = self.pos;
        let rest = self.rest();
        let Some(c) = rest[1..].chars().next() else {
            return Err(GoRegexError::new(ERR_TRAILING_BACKSLASH, ""));
        };
        let assertion = match c {
            'A' => Some(Assertion::BeginText),
            'z' => Some(Assertion::EndText),
            'b' => Some(Assertion::WordBoundary),
            'B' => Some(Assertion::NotWordBoundary),
            _ => None,
        };
        if let Some(a) = assertion {
            self.pos += 2;
            items.push(Node::Assert(a));
            return Ok(());
        }
        match c {
            'C' => Err(GoRegexError::new(ERR_INVALID_ESCAPE, "\\C")),
            'Q' => {
                // `\Q…\E` (or to the end): every character is a literal.
                let body = &rest[2..];
                let (lit, consumed) = match body.find("\\E") {
                    Some(i) => (&body[..i], i + 2),
                    None => (body, body.len()),
                };
                for ch in lit.chars() {
                    items.push(Node::Literal(ch, self.flags.fold_case));
                }
                self.pos += 2 + consumed;
                Ok(())
            }
            'p' | 'P' => {
                let (item, len) = unicode_class(&self.src[start..])?;
                self.pos += len;
                items.push(Node::Class {
                    items: vec![item],
                    negated: false,
                    fold: self.flags.fold_case,
                });
                Ok(())
            }
            'd' | 's' | 'w' | 'D' | 'S' | 'W' => {
                self.pos += 2;
                items.push(Node::Class {
                    items: vec![ClassItem::Perl(
                        c.to_ascii_lowercase(),
                        c.is_ascii_uppercase(),
                    )],
                    negated: false,
                    fold: self.flags.fold_case,
                });
                Ok(())
            }
            _ => {
                let (ch, len) = parse_escape(&self.src[start..])?;
                self.pos += len;
                items.push(Node::Literal(ch, self.flags.fold_case));
                Ok(())
            }
        }
    }
}

/// A counted repeat: `{n}` (max = min), `{n,}` (no max), `{n,m}`.
struct CountedRepeat {
    min: u32,
    max: Option<u32>,
    len: usize,
}

/// Parses `{n}`, `{n,}`, `{n,m}` at the start of `s` as Go's `parseRepeat`; `None` when it
/// is not one, and then `{` is a literal. Counts too large to read come out as `u32::MAX`.
fn parse_repeat(s: &str) -> Option<CountedRepeat> {
    let b = s.as_bytes();
    let mut i = 1;
    let (min, len) = parse_int(&s[i..])?;
    i += len;
    let max = match b.get(i)? {
        b'}' => Some(min),
        b',' => {
            i += 1;
            if *b.get(i)? == b'}' {
                None
            } else {
                let (m, len) = parse_int(&s[i..])?;
                i += len;
                Some(m)
            }
        }
        _ => return None,
    };
    if *b.get(i)? != b'}' {
        return None;
    }
    Some(CountedRepeat {
        min,
        max,
        len: i + 1,
    })
}

/// A decimal without leading zeros, as Go's `parseInt` (`u32::MAX` when too large).
fn parse_int(s: &str) -> Option<(u32, usize)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits >= 2 && s.starts_with('0') {
        return None;
    }
    let value = s[..digits].parse().unwrap_or(u32::MAX);
    Some((value, digits))
}

/// See [`super::required_suffix`].
pub(super) fn required_suffix(node: &Node) -> Option<String> {
    let Node::Concat(items) = node else {
        return None;
    };
    let (last, rest) = items.split_last()?;
    if *last != Node::Assert(Assertion::EndText) {
        return None;
    }
    let mut suffix = Vec::new();
    for item in rest.iter().rev() {
        match item {
            Node::Literal(c, fold) if c.is_ascii() => {
                // A case-sensitive upper-case letter never matches a lower-case canonical host;
                // the suffix after it is still required.
                if !fold && c.is_ascii_uppercase() {
                    break;
                }
                suffix.push(c.to_ascii_lowercase());
            }
            _ => break,
        }
    }
    suffix.reverse();
    let text: String = suffix.into_iter().collect();
    let text = text.trim_end_matches('.');
    (!text.is_empty()).then(|| text.to_string())
}

/// Go's `repeatIsValid`: nested repeats may not multiply past `n` copies.
fn repeat_is_valid(node: &Node, mut n: u32) -> bool {
    match node {
        Node::Repeat { sub, min, max, .. } => {
            let m = max.unwrap_or(*min);
            if max == &Some(0) {
                return true;
            }
            if m > n {
                return false;
            }
            n = n.checked_div(m).unwrap_or(n);
            repeat_is_valid(sub, n)
        }
        Node::Group(_, sub) => repeat_is_valid(sub, n),
        Node::Concat(items) | Node::Alternate(items) => items.iter().all(|i| repeat_is_valid(i, n)),
        _ => true,
    }
}
