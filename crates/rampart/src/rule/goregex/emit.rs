//! Writes a parsed Go pattern in Rust `regex` syntax, every node with its own flags.

use std::fmt::Write as _;

use super::parse::{Assertion, ClassItem, Node};

pub(super) fn emit(node: &Node) -> String {
    let mut out = String::new();
    write_node(&mut out, node);
    out
}

fn write_node(out: &mut String, node: &Node) {
    match node {
        Node::Empty => out.push_str("(?:)"),
        Node::Literal(c, fold) => {
            if *fold {
                out.push_str("(?i:");
                write_literal(out, *c);
                out.push(')');
            } else {
                write_literal(out, *c);
            }
        }
        Node::Class {
            items,
            negated,
            fold,
        } => {
            if *fold {
                out.push_str("(?i:");
            }
            out.push('[');
            if *negated {
                out.push('^');
            }
            for item in items {
                write_class_item(out, item);
            }
            out.push(']');
            if *fold {
                out.push(')');
            }
        }
        Node::Dot(nl) => out.push_str(if *nl { "(?s:.)" } else { "(?-s:.)" }),
        Node::Assert(a) => out.push_str(match a {
            Assertion::BeginText => "\\A",
            Assertion::EndText => "\\z",
            Assertion::BeginLine => "(?m:^)",
            Assertion::EndLine => "(?m:$)",
            // Go's word boundary is ASCII (`\w` is `[0-9A-Za-z_]`).
            Assertion::WordBoundary => "(?-u:\\b)",
            Assertion::NotWordBoundary => "(?-u:\\B)",
        }),
        Node::Group(name, sub) => {
            out.push('(');
            if let Some(name) = name {
                let _ = write!(out, "?P<{name}>");
            }
            write_node(out, sub);
            out.push(')');
        }
        Node::Repeat {
            sub,
            min,
            max,
            greedy,
        } => {
            out.push_str("(?:");
            write_node(out, sub);
            out.push(')');
            match (min, max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (n, None) => {
                    let _ = write!(out, "{{{n},}}");
                }
                (n, Some(m)) if n == m => {
                    let _ = write!(out, "{{{n}}}");
                }
                (n, Some(m)) => {
                    let _ = write!(out, "{{{n},{m}}}");
                }
            }
            if !greedy {
                out.push('?');
            }
        }
        Node::Concat(items) => {
            for item in items {
                write_node(out, item);
            }
        }
        Node::Alternate(branches) => {
            out.push_str("(?:");
            for (i, branch) in branches.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write_node(out, branch);
            }
            out.push(')');
        }
    }
}

fn write_literal(out: &mut String, c: char) {
    if c.is_alphanumeric() || c == '_' {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", u32::from(c));
    }
}

fn write_class_item(out: &mut String, item: &ClassItem) {
    match item {
        ClassItem::Range(lo, hi) => {
            write_literal(out, *lo);
            if lo != hi {
                out.push('-');
                write_literal(out, *hi);
            }
        }
        ClassItem::Perl(kind, negated) => {
            // Go's Perl classes are ASCII: \d = [0-9], \s = [\t\n\f\r ], \w = [0-9A-Za-z_].
            let set = match kind {
                'd' => "0-9",
                's' => "\\x{9}\\x{A}\\x{C}\\x{D}\\x{20}",
                _ => "0-9A-Za-z_",
            };
            if *negated {
                let _ = write!(out, "[^{set}]");
            } else {
                out.push_str(set);
            }
        }
        ClassItem::Posix(name, negated) => {
            let _ = write!(out, "[[:{}{name}:]]", if *negated { "^" } else { "" });
        }
        ClassItem::Unicode(name, negated) => {
            let _ = write!(out, "\\{}{{{name}}}", if *negated { 'P' } else { 'p' });
        }
    }
}
