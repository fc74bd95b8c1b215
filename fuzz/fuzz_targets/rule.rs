//! Rule parser + matcher + request path pipeline: nothing may panic, whatever the bytes.
//!
//! The input is split at the first NUL: the rule text, then a request path. The rule is
//! compiled in both syntaxes and, when valid, matched against a request built from the path.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart::request::{PathOptions, RequestView, normalize_path};
use rampart::rule::{Rule, RuleSyntax, parse_domains};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (rule_text, path) = text.split_once('\0').unwrap_or((&text, "/"));
    let _ = parse_domains(rule_text);
    let routing = match normalize_path(path, &PathOptions::default()) {
        Ok((_, routing)) => routing.into_owned(),
        Err(_) => b"/".to_vec(),
    };
    for syntax in [RuleSyntax::V3, RuleSyntax::V2] {
        match Rule::parse_with(rule_text, syntax) {
            Ok(rule) => {
                let view = RequestView::new("GET", "a.example.com", "")
                    .with_path_bytes(&routing)
                    .with_query(path);
                let _ = rule.matches(&view);
                let _ = rule.domains();
                for w in rule.warnings() {
                    let _ = w.to_string();
                }
            }
            Err(err) => {
                let _ = err.to_string();
            }
        }
    }
});
