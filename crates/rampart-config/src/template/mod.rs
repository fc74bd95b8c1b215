//! Go `text/template` rendering of dynamic configuration files, as Traefik's file provider does
//! before it decodes a file.
//!
//! Every dynamic file is a template: `{{ env "DOMAINNAME" }}` puts an environment variable in
//! a rule, `{{ range $i, $e := until 3 }}` writes three routers. Supported: text and actions with
//! `{{-`/`-}}` trim markers and `{{/* comments */}}`; pipelines; variables (`:=`, `=`);
//! `if`/`else if`/`else`, `range` (lists, maps, integers; `break`, `continue`), `with`/`else with`;
//! Go's built-in functions and the sprig functions listed in `funcs.rs`, with Traefik's
//! `normalize` and `split`. Not supported (a clear error): `define`, `template`, `block`.
//!
//! The renderer never reads the process environment: the caller passes the variables, so tests
//! control them and a reload sees the same environment as the start.
//!
//! ```
//! use std::collections::BTreeMap;
//! use rampart_config::template::render;
//!
//! let env = BTreeMap::from([("DOMAINNAME".to_owned(), "example.test".to_owned())]);
//! let out = render(r#"customFrameOptionsValue: "allow-from https:{{env "DOMAINNAME"}}""#, &env).unwrap();
//! assert_eq!(out, r#"customFrameOptionsValue: "allow-from https:example.test""#);
//!
//! let err = render("a: {{ nope }}", &env).unwrap_err();
//! assert_eq!((err.line(), err.column()), (1, 7));
//! ```

mod ast;
mod exec;
mod funcs;
mod lex;
mod parse;
mod printf;
mod sprig;
mod sprig_data;
mod val;

use std::collections::BTreeMap;
use std::fmt;

/// Why a template could not be parsed or executed, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The template text is malformed (unclosed action, unknown function, undefined variable…).
    #[error("{line}:{column}: {message}")]
    Parse {
        /// Line of the offending token.
        line: u32,
        /// Column (in characters) of the offending token.
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// Executing the template failed (a function returned an error, a bad field access…).
    #[error("{line}:{column}: executing: {message}")]
    Exec {
        /// Line of the failing action.
        line: u32,
        /// Column of the failing action.
        column: u32,
        /// What went wrong.
        message: String,
    },
}

impl TemplateError {
    fn parse(src: &str, pos: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(src, pos);
        TemplateError::Parse {
            line,
            column,
            message: message.into(),
        }
    }

    fn exec(src: &str, pos: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(src, pos);
        TemplateError::Exec {
            line,
            column,
            message: message.into(),
        }
    }

    /// The 1-based line.
    pub fn line(&self) -> u32 {
        match self {
            TemplateError::Parse { line, .. } | TemplateError::Exec { line, .. } => *line,
        }
    }

    /// The 1-based column, in characters.
    pub fn column(&self) -> u32 {
        match self {
            TemplateError::Parse { column, .. } | TemplateError::Exec { column, .. } => *column,
        }
    }

    /// The message, without the position.
    pub fn message(&self) -> &str {
        match self {
            TemplateError::Parse { message, .. } | TemplateError::Exec { message, .. } => message,
        }
    }
}

fn line_column(src: &str, pos: usize) -> (u32, u32) {
    let before = src.get(..pos.min(src.len())).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// A parsed template, ready to render any number of times.
#[derive(Clone)]
pub struct Template {
    src: String,
    nodes: Vec<ast::Node>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("len", &self.src.len())
            .finish_non_exhaustive()
    }
}

impl Template {
    /// Parses `src`.
    pub fn parse(src: &str) -> Result<Self, TemplateError> {
        let tokens = lex::lex(src)?;
        let nodes = parse::parse(src, tokens)?;
        Ok(Template {
            src: src.to_owned(),
            nodes,
        })
    }

    /// Renders with `env` as the environment `env`/`expandenv` read. The data (`.`) is `false`,
    /// as in Traefik's file provider.
    pub fn render(&self, env: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let mut exec = exec::Exec::new(&self.src, env, val::Val::Bool(false));
        exec.run(&self.nodes)?;
        Ok(exec.out)
    }
}

/// Parses and renders `src` in one go. Text without `{{` is returned unchanged without parsing.
pub fn render(src: &str, env: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    if !src.contains("{{") {
        return Ok(src.to_owned());
    }
    Template::parse(src)?.render(env)
}

#[cfg(test)]
mod tests;
