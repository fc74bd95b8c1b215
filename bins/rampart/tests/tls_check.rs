//! `rampart check` (the real binary) on the TLS fixtures: what cannot be honoured is named as a
//! warning — the guide's `TLS_FALLBACK_SCSV` and `secp521r1`, options that fall back to
//! `default` — and does not make the check fail; a broken certificate does.

mod common;
#[path = "common/e2e_tls.rs"]
mod e2e_tls;

use std::path::Path;
use std::process::Command;

use e2e_tls::{fixture, put, render, write_cert, yaml_block};
use rampart_testkit::TestCa;

/// Runs `rampart check --configFile=<dir>/rampart.yaml`; returns (success, stdout + stderr).
fn check(dir: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("check")
        .arg(format!(
            "--configFile={}",
            dir.join("rampart.yaml").display()
        ))
        .env_clear()
        .output()
        .expect("run rampart check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The termination fixtures, with their certificates, in a new directory.
fn guide_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = TestCa::new("check CA");
    write_cert(d, "wildcard", &ca.server_cert(&["*.example.test"]));
    write_cert(d, "lan", &ca.server_cert(&["plain.lan.test"]));
    put(d, "certs/client-ca.crt", ca.cert_pem());
    let exact = ca.server_cert(&["exact.example.test"]);
    // `check` binds nothing: give the entrypoints the ports a deployment would have (the
    // redirection's Location names websecure's port, and port 0 is not one).
    let static_yaml = render(&fixture("rampart.yaml"), d, &[])
        .replacen("127.0.0.1:0", "127.0.0.1:8080", 1)
        .replacen("127.0.0.1:0", "127.0.0.1:8443", 1)
        .replacen("127.0.0.1:0", "127.0.0.1:8081", 1);
    put(d, "rampart.yaml", &static_yaml);
    put(
        d,
        "rules/tls-opts.yaml",
        &render(&fixture("rules/tls-opts.yaml"), d, &[]),
    );
    put(
        d,
        "rules/apps.yaml",
        &render(
            &fixture("rules/apps.yaml"),
            d,
            &[
                ("upstream", "http://127.0.0.1:9"),
                ("inline_cert", &yaml_block(&exact.cert_pem, 8)),
                ("inline_key", &yaml_block(&exact.key_pem, 8)),
            ],
        ),
    );
    dir
}

#[test]
fn the_guides_tls_options_pass_with_what_is_skipped_named() {
    let dir = guide_dir();
    let (ok, text) = check(dir.path());
    assert!(ok, "warnings are not fatal:\n{text}");
    for expected in [
        "TLS_FALLBACK_SCSV skipped",
        "secp521r1 skipped",
        "TLS, options tls-opts@file",
        "0 errors",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Every websecure and TLS router is listed as TLS.
    let app = text
        .lines()
        .find(|l| l.contains("app@file"))
        .expect("router app listed");
    assert!(app.contains("websecure (tls)"), "{app}");
    let plain = text.lines().find(|l| l.contains("lan-plain@file")).unwrap();
    assert!(!plain.contains("(tls)"), "{plain}");
}

#[test]
fn options_falling_back_to_default_are_warnings_naming_host_and_routers() {
    let dir = guide_dir();
    put(
        dir.path(),
        "rules/conflict.yaml",
        "
http:
  routers:
    shared-a:
      rule: Host(`shared.example.test`) && Path(`/a`)
      entryPoints: [websecure]
      service: upstream
      tls: {options: mintls13}
    shared-b:
      rule: Host(`shared.example.test`) && Path(`/b`)
      entryPoints: [websecure]
      service: upstream
    hostless:
      rule: PathPrefix(`/api`)
      entryPoints: [websecure]
      service: upstream
",
    );
    let (ok, text) = check(dir.path());
    assert!(ok, "{text}");
    assert!(
        text.contains("host `shared.example.test` is served on entrypoint `websecure` with different TLS options"),
        "{text}"
    );
    assert!(text.contains("shared-a@file") && text.contains("shared-b@file"));
    assert!(
        text.contains(
            "no Host in the rule, so TLS options `tls-opts@file` cannot be chosen by SNI"
        ),
        "{text}"
    );
}

#[test]
fn a_broken_certificate_fails_the_check_and_names_the_file() {
    let dir = guide_dir();
    std::fs::write(dir.path().join("certs/wildcard.crt"), "not a certificate").unwrap();
    let (ok, text) = check(dir.path());
    assert!(!ok, "{text}");
    assert!(text.contains("wildcard.crt"), "{text}");
}

#[test]
fn the_acme_configuration_shows_the_resolver_and_domains() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vars = [
        ("ca_server", "https://127.0.0.1:14000/dir"),
        ("wfe_ca", "/nonexistent/wfe-ca.pem"),
        ("dns", "127.0.0.1:53"),
        ("upstream", "http://127.0.0.1:9"),
    ];
    put(d, "rampart.yaml", &render(&fixture("acme.yaml"), d, &vars));
    put(
        d,
        "rules/tls-opts.yaml",
        &render(&fixture("rules/tls-opts.yaml"), d, &[]),
    );
    put(d, "certs/client-ca.crt", TestCa::new("unused").cert_pem());
    put(
        d,
        "rules/apps.yaml",
        &render(&fixture("acme-apps.yaml"), d, &vars),
    );
    let (ok, text) = check(d);
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "TLS, options tls-opts@file, resolver le, domains example.test *.example.test"
        ),
        "{text}"
    );
}
