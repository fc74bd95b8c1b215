//! The command line: `rampart [run]`, `rampart check`, `rampart explain URL`, `rampart version`.
//!
//! Traefik's own flags (`--configFile=…`, `--entrypoints.web.address=:80`, …) are passed through
//! untouched to the static configuration loader; this module only picks out the subcommand and
//! the few options that belong to `explain`.

use std::fmt;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the proxy (the default).
    Run {
        /// Traefik static-configuration flags.
        flags: Vec<String>,
    },
    /// Validate the configuration and print the routing table.
    Check {
        /// Traefik static-configuration flags.
        flags: Vec<String>,
    },
    /// Show which router wins for a request, and why.
    Explain {
        /// Traefik static-configuration flags.
        flags: Vec<String>,
        /// The request to explain.
        request: ExplainRequest,
    },
    /// Print the version.
    Version,
    /// Print usage.
    Help,
}

/// The request `rampart explain` evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExplainRequest {
    /// The URL (`https://app.example.com/path?q=1`).
    pub url: String,
    /// The method (`-X`), default GET.
    pub method: String,
    /// Extra headers (`-H 'Name: value'`).
    pub headers: Vec<(String, String)>,
    /// The entrypoint to evaluate (`--entrypoint`); default: every entrypoint matching the URL's
    /// scheme and port, else all.
    pub entrypoint: Option<String>,
    /// The client address (`--peer`), for `ClientIP` rules; default 127.0.0.1.
    pub peer: Option<String>,
}

/// A command-line mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{}", self.0, USAGE)
    }
}

impl std::error::Error for UsageError {}

/// Usage text.
pub const USAGE: &str = "\
usage: rampart [--configFile=PATH] [TRAEFIK FLAGS…]          run the proxy
       rampart check [--configFile=PATH] [FLAGS…]             validate, print the routing table
       rampart explain [--configFile=PATH] URL [-X METHOD] [-H 'Name: value']… [--entrypoint NAME] [--peer IP]
       rampart version";

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    let (sub, rest) = match args.first().map(String::as_str) {
        Some("run") => ("run", &args[1..]),
        Some("check") => ("check", &args[1..]),
        Some("explain") => ("explain", &args[1..]),
        Some("version" | "--version" | "-V") => return Ok(Command::Version),
        Some("help" | "--help" | "-h") => return Ok(Command::Help),
        _ => ("run", args),
    };
    let flags = rest.to_vec();
    match sub {
        "check" => Ok(Command::Check { flags }),
        "explain" => parse_explain(rest),
        _ => Ok(Command::Run { flags }),
    }
}

fn parse_explain(args: &[String]) -> Result<Command, UsageError> {
    let mut flags = Vec::new();
    let mut req = ExplainRequest {
        method: "GET".to_owned(),
        ..ExplainRequest::default()
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value_of = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| UsageError(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "-X" | "--method" => req.method = value_of(arg)?.to_ascii_uppercase(),
            "-H" | "--header" => {
                let h = value_of(arg)?;
                let (name, value) = h
                    .split_once(':')
                    .ok_or_else(|| UsageError(format!("header `{h}`: expected `Name: value`")))?;
                req.headers
                    .push((name.trim().to_owned(), value.trim().to_owned()));
            }
            "--entrypoint" => req.entrypoint = Some(value_of(arg)?),
            "--peer" => req.peer = Some(value_of(arg)?),
            a if a.starts_with("--entrypoint=") => {
                req.entrypoint = Some(a["--entrypoint=".len()..].to_owned());
            }
            a if a.starts_with("--peer=") => {
                req.peer = Some(a["--peer=".len()..].to_owned());
            }
            a if a.starts_with('-') => flags.push(a.to_owned()),
            a if req.url.is_empty() => a.clone_into(&mut req.url),
            a => return Err(UsageError(format!("unexpected argument `{a}`"))),
        }
    }
    if req.url.is_empty() {
        return Err(UsageError("explain needs a URL".to_owned()));
    }
    Ok(Command::Explain {
        flags,
        request: req,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn run_is_the_default_and_keeps_traefik_flags() {
        let cmd = parse(&args(&["--configFile=a.yaml", "--log.level=DEBUG"])).unwrap();
        assert_eq!(
            cmd,
            Command::Run {
                flags: args(&["--configFile=a.yaml", "--log.level=DEBUG"])
            }
        );
    }

    #[test]
    fn explain_takes_url_method_headers() {
        let cmd = parse(&args(&[
            "explain",
            "--configFile=a.yaml",
            "https://a.test/x",
            "-X",
            "post",
            "-H",
            "Cookie: a=b",
            "--entrypoint=websecure",
        ]))
        .unwrap();
        let Command::Explain { flags, request } = cmd else {
            panic!("not explain")
        };
        assert_eq!(flags, args(&["--configFile=a.yaml"]));
        assert_eq!(request.url, "https://a.test/x");
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.headers,
            vec![("Cookie".to_owned(), "a=b".to_owned())]
        );
        assert_eq!(request.entrypoint.as_deref(), Some("websecure"));
    }

    #[test]
    fn explain_without_url_is_a_usage_error() {
        assert!(parse(&args(&["explain", "--configFile=a.yaml"])).is_err());
    }
}
