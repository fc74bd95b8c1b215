//! The v2 rule syntax (`ruleSyntax: v2`, deprecated since Traefik 3.4, still supported):
//! multi-value matchers and gorilla/mux templates (`pkg/muxer/http/matcher_v2.go`).

use http::HeaderName;

use super::ast::Call;
use super::compile::{Failure, ascii_host, client_ip, compile_pattern, regex};
use super::error::RuleErrorKind;
use super::matcher::Leaf;
use super::names::Name;
use super::template::{self, TemplateKind};

/// Builds a v2 matcher; arguments are already checked non-empty.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per v2 matcher reads best as a table"
)]
pub(crate) fn leaf(name: Name, call: &Call) -> Result<Leaf, Failure> {
    let m = name.as_str();
    let args = &call.args;
    let template_error = |message: String| {
        (
            RuleErrorKind::Template {
                matcher: m,
                message,
            },
            call.span,
        )
    };
    Ok(match name {
        Name::Host | Name::HostHeader => {
            for arg in args {
                ascii_host(m, arg)?;
            }
            Leaf::HostsV2(
                args.iter()
                    .map(|a| a.value.to_ascii_lowercase().into())
                    .collect(),
            )
        }
        Name::HostRegexp => {
            let mut res = Vec::with_capacity(args.len());
            for arg in args {
                ascii_host(m, arg)?;
                let pattern =
                    template::to_go_regexp(&arg.value, TemplateKind::Host).map_err(|e| {
                        (
                            RuleErrorKind::Template {
                                matcher: m,
                                message: e,
                            },
                            arg.span,
                        )
                    })?;
                let suffix = super::goregex::required_suffix(&pattern).map(Into::into);
                res.push((compile_pattern(m, &pattern, arg.span)?, suffix));
            }
            Leaf::HostTemplates(res.into())
        }
        Name::ClientIp => Leaf::ClientIp(args.iter().map(client_ip).collect::<Result<_, _>>()?),
        Name::Path | Name::PathPrefix => {
            let kind = if name == Name::Path {
                TemplateKind::Path
            } else {
                TemplateKind::PathPrefix
            };
            let mut res = Vec::with_capacity(args.len());
            for arg in args {
                let pattern = template::to_go_regexp(&arg.value, kind).map_err(|e| {
                    (
                        RuleErrorKind::Template {
                            matcher: m,
                            message: e,
                        },
                        arg.span,
                    )
                })?;
                res.push(compile_pattern(m, &pattern, arg.span)?);
            }
            Leaf::PathTemplates(res.into())
        }
        Name::Method => Leaf::Methods(args.iter().map(|a| a.value.to_uppercase().into()).collect()),
        Name::Headers | Name::HeadersRegexp => {
            if !args.len().is_multiple_of(2) {
                return Err(template_error(format!(
                    "mux: number of parameters must be multiple of 2, got {}",
                    args.len()
                )));
            }
            // gorilla keeps the pairs in a map: a repeated key keeps its last value.
            let mut pairs: Vec<(&str, &super::ast::Arg)> = Vec::new();
            for pair in args.chunks(2) {
                pairs.retain(|(k, _)| *k != pair[0].value);
                pairs.push((&pair[0].value, &pair[1]));
            }
            if name == Name::Headers {
                let mut out = Vec::new();
                for (key, value) in pairs {
                    // A name no request can carry makes the whole matcher fail.
                    let Ok(header) = HeaderName::from_bytes(key.as_bytes()) else {
                        return Ok(Leaf::Const(false));
                    };
                    out.push((header, value.value.as_str().into()));
                }
                Leaf::HeadersV2(out.into())
            } else {
                let mut out = Vec::new();
                for (key, value) in pairs {
                    let re = regex(m, value)?;
                    let Ok(header) = HeaderName::from_bytes(key.as_bytes()) else {
                        return Ok(Leaf::Const(false));
                    };
                    out.push((header, re));
                }
                Leaf::HeadersRegexpV2(out.into())
            }
        }
        Name::Query => {
            // Traefik splits each argument at its first `=` and hands gorilla the pieces in
            // pairs: `Query(`a`, `b`)` is `a=b`, and an odd count is an error.
            let pieces: Vec<&str> = args
                .iter()
                .flat_map(|a| match a.value.split_once('=') {
                    Some((k, v)) => vec![k, v],
                    None => vec![a.value.as_str()],
                })
                .collect();
            if !pieces.len().is_multiple_of(2) {
                return Err(template_error(format!(
                    "mux: number of parameters must be multiple of 2, got {pieces:?}"
                )));
            }
            let mut seen: Vec<String> = Vec::new();
            let mut templates = Vec::new();
            for pair in pieces.chunks(2) {
                let tpl = format!("{}={}", pair[0], pair[1]);
                for var in template::variable_names(&tpl) {
                    if seen.iter().any(|s| s == var) {
                        return Err(template_error(format!(
                            "mux: duplicated route variable {var:?}"
                        )));
                    }
                    seen.push(var.to_string());
                }
                let pattern =
                    template::to_go_regexp(&tpl, TemplateKind::Query).map_err(template_error)?;
                templates.push((pair[0].into(), compile_pattern(m, &pattern, call.span)?));
            }
            Leaf::QueriesV2(templates.into())
        }
        Name::Header | Name::HeaderRegexp | Name::PathRegexp | Name::QueryRegexp => {
            unreachable!("v3-only names do not resolve under v2")
        }
    })
}
