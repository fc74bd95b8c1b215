//! Go (RE2) regular expressions in middleware options (`regex`,
//! `accessControlAllowOriginListRegex`, …), compiled once when the middleware is built.
//!
//! Traefik's options are Go `regexp` patterns; the rule compiler's translator
//! ([`crate::rule::goregex`]) gives them the meaning Go gives them (literal `{`, ASCII `\d\w\s\b`,
//! literal class punctuation, Go's limits). This file only names the option in errors.

use crate::middleware::BuildError;
use crate::rule::goregex;

/// Compiles a Go pattern for matching `&str`; the error names `key`.
pub(crate) fn compile(key: &str, pattern: &str) -> Result<regex::Regex, BuildError> {
    goregex::compile(pattern)
        .map_err(|e| BuildError::invalid(key, format_args!("invalid regular expression: {e}")))
}

/// Compiles a Go pattern for matching bytes (a decoded path need not be UTF-8).
pub(crate) fn compile_bytes(key: &str, pattern: &str) -> Result<regex::bytes::Regex, BuildError> {
    goregex::compile_bytes(pattern)
        .map_err(|e| BuildError::invalid(key, format_args!("invalid regular expression: {e}")))
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
