//! `rampart check`, `rampart explain` and `rampart version`, run as real processes (the built
//! `rampart` binary) on the guide's configuration: what they print, and their exit codes.

mod common;
#[path = "common/e2e_proxy.rs"]
mod e2e;

use std::path::Path;
use std::process::{Command, Output};

use e2e::{DOMAIN, fixture, guide_rules, guide_static};

/// Writes the guide's configuration into `dir` (as the proxy tests run it).
fn render_guide(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    for (path, content) in guide_rules() {
        std::fs::write(dir.join(path), content).unwrap();
    }
    let config = dir.join("traefik.yaml");
    std::fs::write(
        &config,
        guide_static().replace("{dir}", &dir.display().to_string()),
    )
    .unwrap();
    format!("--configFile={}", config.display())
}

/// Runs the `rampart` binary with `args` and only the guide's environment.
fn rampart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_clear()
        .env("DOMAINNAME", DOMAIN)
        .env("AUTHENTIK_HOST", "authentik_server:9000")
        .env("AUTHENTIK_URL", "http://authentik_server:9000")
        .env("WHOAMI_URL", "http://whoami:80")
        .output()
        .expect("run the rampart binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The lines of the `Problems:` section.
fn problems(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| *l != "Problems:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .map(str::trim)
        .collect()
}

#[test]
fn check_on_the_guide_reports_the_broken_file_and_only_docker_as_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let flag = render_guide(dir.path());
    let out = rampart(&["check", &flag]);
    let text = stdout(&out);
    // The broken compress file is an error: non-zero exit.
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));

    // Entrypoints as configured, with the redirection and TLS.
    assert!(
        text.contains("redirects to websecure (https, permanent)"),
        "{text}"
    );
    assert!(
        text.contains(
            "TLS, options tls-opts@file, resolver le, domains example.test *.example.test"
        ),
        "{text}"
    );

    // Routers: every app loaded, the one using the broken chain is left out.
    for ok in [
        "whoami-rtr@file",
        "whoami-individual-rtr@file",
        "whoami-catchall-rtr@file",
        "authentik-rtr@file",
        "authentik-output-rtr@file",
        "web-to-websecure@internal",
    ] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("ok") && l.contains(ok)),
            "{ok} is not ok:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("ERROR") && l.contains("whoami-chain-rtr@file")),
        "{text}"
    );

    // Only the docker provider is not yet supported.
    let unsupported: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Not yet supported"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(unsupported.len(), 1, "{unsupported:?}");
    assert!(unsupported[0].contains("`providers.docker`"), "{text}");

    let problems = problems(&text);
    // The broken file is reported with its position, and skipped.
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("error:") && p.contains("middlewares-compress.yaml:")),
        "{problems:#?}"
    );
    // Everything that names it says why.
    assert!(
        problems
            .iter()
            .any(|p| p.contains("router `whoami-chain-rtr@file`")
                && p.contains("`middlewares-compress@file`: middleware does not exist")),
        "{problems:#?}"
    );
    // The templated secure-headers file loaded: nothing wrong with it.
    assert!(
        !problems.iter().any(|p| p.contains("secure-headers")),
        "{problems:#?}"
    );
    // The outpost router's v2 placeholder is a warning naming the fix.
    assert!(
        problems.iter().any(
            |p| p.starts_with("warning: router `authentik-output-rtr@file`")
                && p.contains("Traefik v2 placeholder syntax")
                && p.contains("ruleSyntax: v2")
        ),
        "{problems:#?}"
    );
    // Errors: the file, the chain, the router. Nothing else.
    let errors: Vec<_> = problems.iter().filter(|p| p.starts_with("error")).collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        text.trim_end().ends_with("not yet supported")
            && text.contains("5 routers active, 3 errors"),
        "{text}"
    );
}

#[test]
fn check_passes_once_the_compress_file_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let flag = render_guide(dir.path());
    let broken =
        std::fs::read_to_string(dir.path().join("rules/middlewares-compress.yaml")).unwrap();
    let fixed = &broken[..broken.find("\r\n\r\n---").expect("the stray trailer")];
    std::fs::write(dir.path().join("rules/middlewares-compress.yaml"), fixed).unwrap();
    let out = rampart(&["check", &flag]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("6 routers active, 0 errors"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("ok") && l.contains("whoami-chain-rtr@file")),
        "{text}"
    );
}

#[test]
fn explain_names_the_winner_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let flag = render_guide(dir.path());

    // An outpost path on an app host: the v2-placeholder router does not match, the app's does.
    let url = format!("https://whoami-individual.{DOMAIN}/outpost.goauthentik.io/start");
    let out = rampart(&["explain", &flag, &url, "--entrypoint", "websecure"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("entrypoint websecure (TLS routers)"),
        "{text}"
    );
    assert!(
        text.contains("whoami-individual-rtr@file is the only router that matched"),
        "{text}"
    );
    let outpost = text
        .lines()
        .find(|l| l.contains("authentik-output-rtr@file"))
        .expect("the outpost router is listed");
    assert!(
        !outpost.contains("WINNER") && !outpost.contains("matched"),
        "{outpost}"
    );
    // The router left out by the broken chain is named, not silently absent.
    assert!(
        text.contains(
            "not mounted because of configuration errors (see `rampart check`): whoami-chain-rtr@file"
        ),
        "{text}"
    );

    // On web, the redirection wins over the app by priority.
    let url = format!("http://whoami.{DOMAIN}/");
    let out = rampart(&["explain", &flag, &url, "--entrypoint=web"]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "web-to-websecure@internal matched and wins by its configured priority 9223372036854775806, above whoami-rtr@file (27 from rule length)"
        ),
        "{text}"
    );

    // No router: the 404 is explained.
    let url = format!("https://nobody.{DOMAIN}/");
    let out = rampart(&["explain", &flag, &url, "--entrypoint=websecure"]);
    assert!(
        stdout(&out).contains("no router matched: the entrypoint answers 404"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn explain_and_check_refuse_bad_input_with_a_clear_message() {
    let out = rampart(&["explain", "--configFile=/nonexistent/traefik.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("explain needs a URL"),
        "{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let flag = render_guide(dir.path());
    let out = rampart(&["explain", &flag, "not a url"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("URL `not a url`"), "{}", stderr(&out));

    let out = rampart(&["check", "--configFile=/nonexistent/traefik.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/traefik.yaml")
            && stderr(&out).contains("does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn version_prints_the_package_version() {
    for arg in ["version", "--version"] {
        let out = rampart(&[arg]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            stdout(&out),
            format!("rampart {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn the_guide_fixture_keeps_the_guides_quirks() {
    // CRLF line endings and the template that is not YAML before rendering.
    assert!(fixture("guide/traefik.yaml").contains("\r\n"));
    let headers = fixture("guide/rules/middlewares-secure-headers.yaml");
    assert!(headers.contains("\r\n"));
    assert!(headers.contains(r#""allow-from https:{{env "DOMAINNAME"}}""#));
    assert!(fixture("guide/rules/middlewares-compress.yaml").contains("-----------------------"));
}
