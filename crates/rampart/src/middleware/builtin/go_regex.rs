//! Go (RE2) regular expressions, compiled with the `regex` crate.
//!
//! Traefik's options (`regex`, `accessControlAllowOriginListRegex`, …) are Go `regexp` patterns.
//! The `regex` crate shares RE2's syntax and linear-time guarantee, with three differences that
//! change what a Traefik config means; [`translate`] removes them before compiling:
//!
//! * A `{` that does not start a valid `{n}`, `{n,}` or `{n,m}` is a literal in Go and an error in
//!   Rust (`/{path:(css|js)}` is a valid Traefik pattern).
//! * `\d`, `\w`, `\s` and `\b` are ASCII-only in Go and Unicode-aware in Rust.
//! * Inside a class, Go reads `[`, `&&` and `~~` literally; Rust reads nested classes and set
//!   operations.
//!
//! Patterns are compiled once, when the middleware is built; nothing here runs per request.

use std::fmt::Write as _;

use crate::middleware::BuildError;

/// Compiles a Go pattern for matching `&str`; the error names `key`.
pub(crate) fn compile(key: &str, pattern: &str) -> Result<regex::Regex, BuildError> {
    regex::Regex::new(&translate(pattern))
        .map_err(|e| BuildError::invalid(key, format_args!("invalid regular expression: {e}")))
}

/// Compiles a Go pattern for matching bytes (a decoded path need not be UTF-8).
pub(crate) fn compile_bytes(key: &str, pattern: &str) -> Result<regex::bytes::Regex, BuildError> {
    regex::bytes::Regex::new(&translate(pattern))
        .map_err(|e| BuildError::invalid(key, format_args!("invalid regular expression: {e}")))
}

const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = r"\t\n\x0C\r\x20";

/// Rewrites a Go pattern into the `regex` crate's syntax with the same meaning.
pub(crate) fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let e = chars[i + 1];
                i += 2;
                if let Some(class) = ascii_class(e) {
                    let (set, negated) = class;
                    match (in_class, negated) {
                        (false, false) | (true, true) => {
                            let _ = write!(out, "[{}{set}]", if negated { "^" } else { "" });
                        }
                        (false, true) => {
                            let _ = write!(out, "[^{set}]");
                        }
                        (true, false) => out.push_str(set),
                    }
                    continue;
                }
                match e {
                    'b' | 'B' if !in_class => {
                        let _ = write!(out, r"(?-u:\{e})");
                    }
                    // `\p{Greek}`, `\x{263a}`: copy the braces as they are.
                    'p' | 'P' | 'x' if chars.get(i) == Some(&'{') => {
                        out.push('\\');
                        out.push(e);
                        while i < chars.len() {
                            out.push(chars[i]);
                            i += 1;
                            if chars[i - 1] == '}' {
                                break;
                            }
                        }
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` first in a class is a literal in Go.
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '[' if in_class => {
                // `[:alpha:]` is a POSIX class in both; any other `[` is a literal in Go.
                if chars.get(i + 1) == Some(&':') {
                    let rest: String = chars[i..].iter().collect();
                    if let Some(end) = rest.find(":]") {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                        continue;
                    }
                }
                out.push_str(r"\[");
                i += 1;
            }
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
                i += 1;
            }
            '{' if !in_class => {
                let len = repetition_len(&chars[i..]);
                if len > 0 {
                    out.extend(&chars[i..i + len]);
                    i += len;
                } else {
                    out.push_str(r"\{");
                    i += 1;
                }
            }
            '}' if !in_class => {
                out.push_str(r"\}");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The ASCII set of a Go class escape, and whether it is negated.
fn ascii_class(e: char) -> Option<(&'static str, bool)> {
    Some(match e {
        'd' => (DIGIT, false),
        'D' => (DIGIT, true),
        'w' => (WORD, false),
        'W' => (WORD, true),
        's' => (SPACE, false),
        'S' => (SPACE, true),
        _ => return None,
    })
}

/// The length of a valid `{n}`, `{n,}` or `{n,m}` at the start of `s`, or 0.
fn repetition_len(s: &[char]) -> usize {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while s.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return 0;
    }
    if s.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    if s.get(i) == Some(&'}') { i + 1 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_that_are_not_repetitions_are_literals() {
        let re = compile("regex", "/{path:(css|js)}").unwrap();
        assert!(re.is_match("/{path:css}"));
        let re = compile("regex", "^a{2,3}$").unwrap();
        assert!(re.is_match("aaa"));
        assert!(!re.is_match("a{2,3}"));
        let re = compile("regex", "x{,3}").unwrap();
        assert!(re.is_match("x{,3}"));
    }

    #[test]
    fn perl_classes_are_ascii_like_go() {
        let re = compile("regex", r"^\w+\d$").unwrap();
        assert!(re.is_match("abc1"));
        assert!(!re.is_match("é1"));
        assert!(!compile("regex", r"^\d$").unwrap().is_match("٣"));
        let re = compile("regex", r"^[\w.-]+$").unwrap();
        assert!(re.is_match("a.b-c"));
        let re = compile("regex", r"^[^\s]+$").unwrap();
        assert!(re.is_match("abc"));
        let re = compile("regex", r"^[\S]+$").unwrap();
        assert!(!re.is_match("a b"));
    }

    #[test]
    fn class_punctuation_is_literal_like_go() {
        let re = compile("regex", "^[[&~]+$").unwrap();
        assert!(re.is_match("[&~"));
        let re = compile("regex", "^[]a]+$").unwrap();
        assert!(re.is_match("]a"));
        let re = compile("regex", "^[[:alpha:]]+$").unwrap();
        assert!(re.is_match("abc"));
    }

    #[test]
    fn escapes_with_braces_are_kept() {
        let re = compile("regex", r"^\p{Greek}\x{41}$").unwrap();
        assert!(re.is_match("αA"));
    }

    #[test]
    fn invalid_pattern_names_the_key() {
        let err = compile("accessControlAllowOriginListRegex[0]", "a(b").unwrap_err();
        assert!(
            err.to_string()
                .contains("accessControlAllowOriginListRegex[0]")
        );
    }
}
