//! Go regular expressions (RE2 syntax, as Go's `regexp` reads them) run on Rust's `regex`.
//!
//! Traefik compiles every regexp of a rule with Go's `regexp.Compile`. The two engines share
//! most syntax but not all of it, and where they differ the same text means different things
//! or is accepted by only one of them. This module parses the pattern exactly as Go does and
//! writes an equivalent pattern in Rust's syntax:
//!
//! * a `{` that does not start a valid `{n}`, `{n,}`, `{n,m}` is a literal in Go
//!   (`{subdomain:[a-z]+}`, `x{,3}`, `{01}`); Rust rejects it;
//! * `\d \w \s \b` and their negations are ASCII-only in Go, Unicode in Rust;
//! * `\Q…\E` quoting and octal escapes (`\012`) exist only in Go;
//! * inside a class, `[`, `&&`, `--` and `~~` are literal in Go, set operations in Rust;
//! * `\<`, `\>` are word boundaries in Rust, literal characters in Go;
//! * Go rejects what Rust accepts: repeat counts above 1000 (also when nested repeats multiply
//!   past 1000), stacked repeats (`a**`, `a{2}{3}`), the `x`, `R` and `u` flags, capture names
//!   starting with a digit are the other way round (Go accepts `(?P<1a>x)`);
//! * Go's flags are baked into each node when parsed (`(?i)` changes what follows), so the
//!   output spells every node's flags out and never depends on flag scoping.
//!
//! Regexes are compiled here and nowhere else (see `clippy.toml`): never on the request path.

mod emit;
mod parse;

#[cfg(test)]
mod tests;

use regex::Regex;

/// A pattern Go's `regexp` rejects, with Go's reason (`regexp/syntax` error codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: `{expr}`")]
pub(crate) struct GoRegexError {
    /// Go's error code text, such as `missing closing )`.
    pub(crate) code: &'static str,
    /// The part of the pattern it is about.
    pub(crate) expr: String,
}

impl GoRegexError {
    pub(crate) fn new(code: &'static str, expr: impl Into<String>) -> Self {
        GoRegexError {
            code,
            expr: expr.into(),
        }
    }
}

/// Rewrites a Go pattern into Rust `regex` syntax with the same meaning.
pub(crate) fn translate(pattern: &str) -> Result<String, GoRegexError> {
    let node = parse::parse(pattern)?;
    Ok(emit::emit(&node))
}

/// The literal text every string the pattern matches must end with, lower-cased, trailing
/// dots removed — for a pattern ending in `$`/`\z` (not multi-line) preceded by literals, as
/// host regexps usually are (`^[a-z0-9-]+\.example\.com$`). It stops before a letter
/// matched case-sensitively in upper case (lower-casing it would lose matches). The routing
/// table files such rules by this suffix.
pub(crate) fn required_suffix(pattern: &str) -> Option<String> {
    let node = parse::parse(pattern).ok()?;
    parse::required_suffix(&node)
}

/// Compiles a Go pattern. With [`compile_bytes`], the one place in rampart that compiles a
/// regular expression (rules and middleware options alike).
pub(crate) fn compile(pattern: &str) -> Result<Regex, GoRegexError> {
    let translated = translate(pattern)?;
    #[expect(
        clippy::disallowed_methods,
        reason = "the rule compiler is the one place allowed to compile regexes"
    )]
    let built = regex::RegexBuilder::new(&translated)
        // Go allows patterns up to ~128 MB compiled and 1000 levels deep; Rust's defaults
        // (10 MB, 250) would refuse patterns Go accepts, such as `\pL{1000}`.
        .size_limit(256 << 20)
        .nest_limit(4096)
        .build();
    built.map_err(|e| {
        GoRegexError::new(
            "expression rampart cannot compile",
            e.to_string().lines().last().unwrap_or_default().to_string(),
        )
    })
}

/// Compiles a Go pattern for matching bytes (a decoded path need not be UTF-8).
pub(crate) fn compile_bytes(pattern: &str) -> Result<regex::bytes::Regex, GoRegexError> {
    let translated = translate(pattern)?;
    #[expect(
        clippy::disallowed_methods,
        reason = "the rule compiler is the one place allowed to compile regexes"
    )]
    let built = regex::bytes::RegexBuilder::new(&translated)
        .size_limit(256 << 20)
        .nest_limit(4096)
        .build();
    built.map_err(|e| {
        GoRegexError::new(
            "expression rampart cannot compile",
            e.to_string().lines().last().unwrap_or_default().to_string(),
        )
    })
}
