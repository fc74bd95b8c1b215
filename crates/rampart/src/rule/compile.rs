//! From the parsed expression to the compiled [`Node`], with Traefik's checks: matcher names,
//! empty arguments (`rules.CheckRule`), arity, and each matcher's own validation.

use http::HeaderName;

use super::ast::{Arg, Call, Expr};
use super::clientip::IpRule;
use super::error::{RuleErrorKind, Span};
use super::goregex;
use super::matcher::{Leaf, Node};
use super::names::{self, Name};
use super::template::{self, TemplateKind};
use super::{RuleSyntax, v2};

pub(crate) type Failure = (RuleErrorKind, Span);

/// Compiles one rule, collecting warnings.
pub(crate) struct Compiler {
    pub(crate) syntax: RuleSyntax,
    pub(crate) warnings: Vec<(String, Span)>,
}

impl Compiler {
    pub(crate) fn expr(&mut self, expr: &Expr) -> Result<Node, Failure> {
        Ok(match expr {
            Expr::Call(call) => self.call(call)?,
            Expr::Not(inner, _) => Node::Not(Box::new(self.expr(inner)?)),
            Expr::And(items) => Node::All(self.operands(items)?),
            Expr::Or(items) => Node::Any(self.operands(items)?),
        })
    }

    fn operands(&mut self, items: &[Expr]) -> Result<Vec<Node>, Failure> {
        let mut nodes = items
            .iter()
            .map(|e| self.expr(e))
            .collect::<Result<Vec<_>, _>>()?;
        nodes.sort_by_key(Node::cost);
        Ok(nodes)
    }

    fn call(&mut self, call: &Call) -> Result<Node, Failure> {
        let name = names::resolve(&call.name, self.syntax).map_err(|hint| {
            (
                RuleErrorKind::UnknownMatcher {
                    name: call.name.clone(),
                    hint,
                },
                call.name_span,
            )
        })?;
        check_rule(name, call)?;
        let leaf = match self.syntax {
            RuleSyntax::V3 => self.v3(name, call)?,
            RuleSyntax::V2 => v2::leaf(name, call)?,
        };
        Ok(Node::Leaf(leaf))
    }

    fn v3(&mut self, name: Name, call: &Call) -> Result<Leaf, Failure> {
        let args = &call.args;
        let m = name.as_str();
        match name {
            Name::Header | Name::HeaderRegexp => arity(call, m, &[2], "2")?,
            Name::Query | Name::QueryRegexp => arity(call, m, &[1, 2], "1 or 2")?,
            _ => arity(call, m, &[1], "1")?,
        }
        let first = &args[0];
        Ok(match name {
            Name::ClientIp => Leaf::ClientIp(Box::new([client_ip(first)?])),
            Name::Method => Leaf::Methods(Box::new([first.value.to_uppercase().into()])),
            Name::Host => {
                if first.value == "*" {
                    // Traefik 3.7.7+: `Host(`*`)` matches every request, even without a host.
                    Leaf::Const(true)
                } else {
                    ascii_host(m, first)?;
                    Leaf::Host(first.value.to_ascii_lowercase().into())
                }
            }
            Name::HostRegexp => {
                ascii_host(m, first)?;
                self.placeholder_warning(name, first);
                let re = regex(m, first)?;
                if re.is_match("") {
                    self.warnings.push((
                        format!(
                            "HostRegexp(`{}`) matches the empty string, so it matches every request: Traefik also tries it against the CNAME-flattened host, which is empty unless hostResolver.cnameFlattening is on; anchor it (e.g. `^…$` with `+` instead of `*`) or use Host(`*`) if a catch-all is meant",
                            first.value
                        ),
                        first.span,
                    ));
                    Leaf::Const(true)
                } else {
                    let suffix = goregex::required_suffix(&first.value).map(Into::into);
                    Leaf::HostRegexp(re, suffix)
                }
            }
            Name::Path | Name::PathPrefix => {
                starts_with_slash(m, first)?;
                self.placeholder_warning(name, first);
                if name == Name::Path {
                    Leaf::Path(first.value.as_str().into())
                } else {
                    Leaf::PathPrefix(first.value.as_str().into())
                }
            }
            Name::PathRegexp => {
                self.placeholder_warning(name, first);
                Leaf::PathRegexp(regex(m, first)?)
            }
            Name::Header | Name::HeaderRegexp => {
                let value = &args[1];
                if name == Name::HeaderRegexp {
                    self.placeholder_warning(name, value);
                }
                let Some(header) = self.header_name(m, first) else {
                    return Ok(Leaf::Const(false));
                };
                if name == Name::Header {
                    Leaf::Header(header, value.value.as_str().into())
                } else {
                    Leaf::HeaderRegexp(header, regex(m, value)?)
                }
            }
            Name::Query | Name::QueryRegexp => {
                let key: Box<str> = first.value.as_str().into();
                match args.get(1) {
                    None => Leaf::Query(key, "".into()),
                    Some(value) if name == Name::Query => {
                        Leaf::Query(key, value.value.as_str().into())
                    }
                    Some(value) => {
                        self.placeholder_warning(name, value);
                        Leaf::QueryRegexp(key, regex(m, value)?)
                    }
                }
            }
            Name::HostHeader | Name::Headers | Name::HeadersRegexp => {
                unreachable!("v2-only names do not resolve under v3")
            }
        })
    }

    fn header_name(&mut self, matcher: &str, arg: &Arg) -> Option<HeaderName> {
        let parsed = HeaderName::from_bytes(arg.value.as_bytes()).ok();
        if parsed.is_none() {
            self.warnings.push((
                format!(
                    "{matcher}: {:?} is not a valid header name, so no request can carry it and this matcher never matches",
                    arg.value
                ),
                arg.span,
            ));
        }
        parsed
    }

    /// Warns about gorilla/mux placeholders (`{name:pattern}`) left in a v3 rule: Traefik 3
    /// reads them literally, so the router silently never matches (user pain: v3 upgrades).
    fn placeholder_warning(&mut self, name: Name, arg: &Arg) {
        let found = template::placeholders(&arg.value);
        let Some(&(s, e)) = found.first() else { return };
        let placeholder = &arg.value[s..e];
        let m = name.as_str();
        let message = match name {
            Name::HostRegexp => format!(
                "`{placeholder}` is Traefik v2 placeholder syntax; in v3 HostRegexp takes a plain regular expression and matches the braces literally, so this router never matches a real host: use HostRegexp(`{}`), or set `ruleSyntax: v2`",
                template::suggest_regexp(&arg.value, TemplateKind::Host)
            ),
            Name::Path | Name::PathPrefix => format!(
                "`{placeholder}` is Traefik v2 placeholder syntax; in v3 {m} compares the text literally, so this router only matches paths that contain the braces: use PathRegexp(`{}`), or set `ruleSyntax: v2`",
                template::suggest_regexp(
                    &arg.value,
                    if name == Name::Path {
                        TemplateKind::Path
                    } else {
                        TemplateKind::PathPrefix
                    }
                )
            ),
            Name::PathRegexp => format!(
                "`{placeholder}` is Traefik v2 placeholder syntax; in a v3 PathRegexp the braces are literal text: use PathRegexp(`{}`)",
                template::suggest_regexp(&arg.value, TemplateKind::Path)
            ),
            _ => format!(
                "`{placeholder}` looks like Traefik v2 placeholder syntax; in a v3 {m} the braces are literal text"
            ),
        };
        self.warnings.push((message, arg.span));
    }
}

/// Traefik's `rules.CheckRule`: at least one argument, none empty.
fn check_rule(name: Name, call: &Call) -> Result<(), Failure> {
    if call.args.is_empty() {
        return Err((
            RuleErrorKind::NoArguments {
                matcher: name.as_str(),
            },
            call.span,
        ));
    }
    if let Some(arg) = call.args.iter().find(|a| a.value.is_empty()) {
        let hint = if matches!(name, Name::Query | Name::QueryRegexp) && call.args.len() == 2 {
            "; to match a parameter present with an empty value write Query(`key`)"
        } else {
            ""
        };
        return Err((
            RuleErrorKind::EmptyArgument {
                matcher: name.as_str(),
                hint,
            },
            arg.span,
        ));
    }
    Ok(())
}

fn arity(
    call: &Call,
    matcher: &'static str,
    allowed: &[usize],
    expected: &'static str,
) -> Result<(), Failure> {
    if allowed.contains(&call.args.len()) {
        return Ok(());
    }
    let hint = if allowed == [1] && call.args.len() > 1 {
        let alternatives: Vec<String> = call
            .args
            .iter()
            .map(|a| format!("{matcher}(`{}`)", a.value))
            .collect();
        format!(
            "; in the v3 syntax each {matcher} takes one value: write {} (Traefik v2's multi-value form needs `ruleSyntax: v2`)",
            alternatives.join(" || ")
        )
    } else {
        String::new()
    };
    Err((
        RuleErrorKind::Arity {
            matcher,
            expected,
            got: call.args.len(),
            hint,
        },
        call.span,
    ))
}

pub(crate) fn ascii_host(matcher: &'static str, arg: &Arg) -> Result<(), Failure> {
    if arg.value.is_ascii() {
        return Ok(());
    }
    Err((
        RuleErrorKind::NonAscii {
            matcher,
            value: arg.value.clone(),
        },
        arg.span,
    ))
}

fn starts_with_slash(matcher: &'static str, arg: &Arg) -> Result<(), Failure> {
    if arg.value.starts_with('/') {
        return Ok(());
    }
    Err((
        RuleErrorKind::PathWithoutSlash {
            matcher,
            value: arg.value.clone(),
        },
        arg.span,
    ))
}

pub(crate) fn client_ip(arg: &Arg) -> Result<IpRule, Failure> {
    IpRule::parse(&arg.value).ok_or_else(|| {
        (
            RuleErrorKind::ClientIp {
                value: arg.value.clone(),
            },
            arg.span,
        )
    })
}

pub(crate) fn regex(matcher: &'static str, arg: &Arg) -> Result<regex::Regex, Failure> {
    compile_pattern(matcher, &arg.value, arg.span)
}

pub(crate) fn compile_pattern(
    matcher: &'static str,
    pattern: &str,
    span: Span,
) -> Result<regex::Regex, Failure> {
    goregex::compile(pattern).map_err(|e| {
        (
            RuleErrorKind::Regex {
                matcher,
                message: e.to_string(),
            },
            span,
        )
    })
}
