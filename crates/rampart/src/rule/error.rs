//! Rule errors and warnings, each with the byte span of the rule text it is about.

use std::fmt;

/// A byte range in a rule's text: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Why a rule is invalid. The router that carries it is left out of the routing table, as
/// Traefik puts such a router in error; the other routers keep working.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The rule is empty (Traefik: "empty rule").
    #[error("the rule is empty")]
    Empty,
    /// A character that cannot start any Go token.
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    /// A string literal without its closing quote.
    #[error("string literal not terminated")]
    UnterminatedString,
    /// A `/* */` comment without its end.
    #[error("comment not terminated")]
    UnterminatedComment,
    /// A newline inside a double-quoted string (Go forbids it; use backticks).
    #[error("newline in double-quoted string (use a `backtick` string to span lines)")]
    NewlineInString,
    /// A bad escape in a double-quoted string.
    #[error("invalid escape {0:?} in double-quoted string")]
    InvalidEscape(String),
    /// `\x`/octal escapes that do not form UTF-8 text.
    #[error("the argument is not valid UTF-8 after decoding its escapes")]
    InvalidUtf8Argument,
    /// A single-quoted value: Go reads it as a rune literal, which Traefik rejects.
    #[error(
        "single quotes are not accepted: write the value in backticks (`value`) or double quotes"
    )]
    SingleQuotes,
    /// A token where another was expected.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What the parser wanted.
        expected: &'static str,
        /// What it found.
        found: String,
    },
    /// A line break where Go inserts a semicolon (after `)`, a string or a name).
    #[error(
        "unexpected line break: Go ends the expression here; put `&&`/`||` at the end of the line, not the start of the next, and end a multi-line argument list with a comma"
    )]
    UnexpectedNewline,
    /// An operator Traefik does not support.
    #[error(
        "unsupported operator `{0}`: rules combine matchers with `&&`, `||`, `!` and parentheses"
    )]
    UnsupportedOperator(String),
    /// An argument that is not a string literal.
    #[error("matcher arguments must be string literals in backticks or double quotes, found {0}")]
    NotAString(String),
    /// A name that is not a matcher of the rule's syntax.
    #[error("unknown matcher `{name}`{hint}")]
    UnknownMatcher {
        /// The name as written.
        name: String,
        /// A suggestion, starting with `; ` when present.
        hint: String,
    },
    /// A matcher called without arguments.
    #[error("{matcher}() needs arguments")]
    NoArguments {
        /// The matcher.
        matcher: &'static str,
    },
    /// An empty argument (Traefik's `CheckRule`).
    #[error("{matcher}: empty argument{hint}")]
    EmptyArgument {
        /// The matcher.
        matcher: &'static str,
        /// A suggestion, starting with `; ` when present.
        hint: &'static str,
    },
    /// The wrong number of arguments.
    #[error("{matcher} takes {expected} argument(s), got {got}{hint}")]
    Arity {
        /// The matcher.
        matcher: &'static str,
        /// How many it takes, in words.
        expected: &'static str,
        /// How many were given.
        got: usize,
        /// A suggestion, starting with `; ` when present.
        hint: String,
    },
    /// A host value with non-ASCII characters.
    #[error(
        "{matcher}: non-ASCII characters are not allowed in {value:?}; write the domain in punycode (xn--…)"
    )]
    NonAscii {
        /// The matcher.
        matcher: &'static str,
        /// The value.
        value: String,
    },
    /// A `Path`/`PathPrefix` value not starting with `/`.
    #[error("{matcher}: path {value:?} does not start with a '/'")]
    PathWithoutSlash {
        /// The matcher.
        matcher: &'static str,
        /// The value.
        value: String,
    },
    /// A regular expression Go's `regexp` rejects (or that rampart cannot run).
    #[error("{matcher}: invalid regular expression: {message}")]
    Regex {
        /// The matcher.
        matcher: &'static str,
        /// Go's reason.
        message: String,
    },
    /// A `ClientIP` value that is neither an IP nor a CIDR.
    #[error("ClientIP: {value:?} is neither an IP address nor a CIDR range")]
    ClientIp {
        /// The value.
        value: String,
    },
    /// A bad gorilla/mux template in a v2 rule.
    #[error("{matcher}: {message}")]
    Template {
        /// The matcher.
        matcher: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Parentheses or `!` nested deeper than rampart accepts.
    #[error("the rule nests deeper than {0} levels")]
    TooDeep(usize),
}

/// An invalid rule: what is wrong and where.
///
/// `Display` quotes the rule and points at the span:
///
/// ```
/// use rampart::rule::Rule;
///
/// let err = Rule::parse("Host(`a.example`) && Pathprefix(`/x`) && Hots(`b`)").unwrap_err();
/// assert_eq!(&err.rule()[err.span.start..err.span.end], "Hots");
/// let text = err.to_string();
/// assert!(text.contains("unknown matcher `Hots`"), "{text}");
/// assert!(text.contains("^^^^"), "{text}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The bytes of the rule the error is about.
    pub span: Span,
    /// What is wrong.
    pub kind: RuleErrorKind,
    rule: Box<str>,
}

impl RuleError {
    pub(crate) fn new(kind: RuleErrorKind, span: Span, rule: &str) -> Self {
        RuleError {
            span,
            kind,
            rule: rule.into(),
        }
    }

    /// The rule text the span refers to.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at bytes {}..{})",
            self.kind, self.span.start, self.span.end
        )?;
        write_pointer(f, &self.rule, self.span)
    }
}

impl std::error::Error for RuleError {}

/// Something legal that is almost certainly not what the author meant.
///
/// The rule still compiles and behaves exactly as in Traefik; the warning says why it will not
/// match what the author expects, and how to fix it.
///
/// ```
/// use rampart::rule::Rule;
///
/// let rule = Rule::parse("HostRegexp(`{sub:[a-z]+}.example.com`)").unwrap();
/// let warning = &rule.warnings()[0];
/// assert!(warning.message.contains(r"^[a-z]+\.example\.com$"), "{}", warning.message);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleWarning {
    /// The bytes of the rule the warning is about.
    pub span: Span,
    /// What is likely wrong, and the fix.
    pub message: String,
    rule: Box<str>,
}

impl RuleWarning {
    pub(crate) fn new(message: String, span: Span, rule: &str) -> Self {
        RuleWarning {
            span,
            message,
            rule: rule.into(),
        }
    }

    /// The rule text the span refers to.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for RuleWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        write_pointer(f, &self.rule, self.span)
    }
}

/// Writes the line of `rule` holding `span` and a row of carets under the span.
fn write_pointer(f: &mut fmt::Formatter<'_>, rule: &str, span: Span) -> fmt::Result {
    let start = span.start.min(rule.len());
    let line_start = rule[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = rule[start..].find('\n').map_or(rule.len(), |i| start + i);
    let line = &rule[line_start..line_end];
    let pad = rule[line_start..start].chars().count();
    let end = span.end.clamp(start, line_end);
    let width = rule[start..end].chars().count().max(1);
    write!(
        f,
        "\n    {line}\n    {}{}",
        " ".repeat(pad),
        "^".repeat(width)
    )
}
