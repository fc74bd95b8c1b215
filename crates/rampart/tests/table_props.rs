//! Properties of the routing table and the rule parser, with a fixed seed.
//!
//! * The indexed lookup always returns what a naive priority-ordered scan returns.
//! * The parser (and compiler) never panics, whatever the input.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rampart::request::RequestView;
use rampart::rule::{Rule, RuleSyntax, parse_domains};
use rampart::table::{Router, RoutingTable, TableOptions};

const HOSTS: &[&str] = &[
    "a.test", "b.test", "A.Test", "a.test.", "x.b.test", "", "c.test",
];
const PATHS: &[&str] = &[
    "/",
    "/api",
    "/api/v1",
    "/outpost.goauthentik.io/start",
    "/web",
    "/apiary",
    "",
];

/// A random rule from pieces that exercise every index path: exact hosts (indexed), path
/// prefixes (trie), wildcards, regexps, negations and disjunctions (scanned).
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(HOSTS.to_vec())
            .prop_filter("non-empty", |h| !h.is_empty())
            .prop_map(|h| format!("Host(`{h}`)")),
        Just("Host(`*.b.test`)".to_string()),
        Just("Host(`*`)".to_string()),
        prop::sample::select(PATHS.to_vec())
            .prop_filter("rooted", |p| p.starts_with('/'))
            .prop_map(|p| format!("PathPrefix(`{p}`)")),
        prop::sample::select(PATHS.to_vec())
            .prop_filter("rooted", |p| p.starts_with('/'))
            .prop_map(|p| format!("Path(`{p}`)")),
        Just("HostRegexp(`^[ab]\\.test$`)".to_string()),
        Just("HostRegexp(`(?i)^X\\.B\\.TEST$`)".to_string()),
        Just("HostRegexp(`^[a-z.]+\\.B\\.test$`)".to_string()),
        Just("HostRegexp(`\\.test\\.$`)".to_string()),
        Just("HostRegexp(`b\\.test`)".to_string()),
        Just("PathRegexp(`^/api`)".to_string()),
        Just("Method(`POST`)".to_string()),
    ]
}

fn rule() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} || {b})")),
            inner.prop_map(|a| format!("!({a})")),
        ]
    })
}

fn routers() -> impl Strategy<Value = Vec<(String, i64, u8)>> {
    prop::collection::vec((rule(), prop_oneof![Just(0i64), -3i64..40], 0u8..4), 1..40)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    )
}

#[test]
fn indexed_lookup_equals_priority_scan() {
    let requests = (
        prop::sample::select(HOSTS.to_vec()),
        prop::sample::select(PATHS.to_vec()),
        prop::bool::ANY,
    );
    let strategy = (routers(), prop::collection::vec(requests, 1..20));
    runner(300)
        .run(&strategy, |(specs, requests)| {
            let providers = ["file", "docker", "internal", ""];
            let built = RoutingTable::build(
                specs
                    .iter()
                    .enumerate()
                    .map(|(i, (rule, priority, provider))| {
                        let p = providers[usize::from(*provider)];
                        let name = if p.is_empty() {
                            format!("r{i}")
                        } else {
                            format!("r{i}@{p}")
                        };
                        Router::new(name, rule.clone(), i).with_priority(*priority)
                    }),
                &TableOptions::default(),
            );
            prop_assert!(built.errors.is_empty(), "{:?}", built.errors);
            let table = &built.table;
            for (host, path, post) in requests {
                let view = RequestView::new(if post { "POST" } else { "GET" }, host, path);
                let indexed = table.route(&view).map(|r| r.name().to_string());
                let scanned = table
                    .routes()
                    .iter()
                    .find(|r| r.rule().matches(&view))
                    .map(|r| r.name().to_string());
                prop_assert_eq!(&indexed, &scanned, "host {:?} path {:?}", host, path);
                let explained = table.explain(&view);
                prop_assert_eq!(explained.winner().map(|w| w.router.clone()), scanned);
            }
            // The order is priority, then provider precedence, then name.
            for pair in table.routes().windows(2) {
                prop_assert!(pair[0].priority() >= pair[1].priority());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn parser_never_panics() {
    let alphabet = prop::sample::select(vec![
        "Host",
        "PathPrefix",
        "HostRegexp",
        "Query",
        "ClientIP",
        "Header",
        "(",
        ")",
        ",",
        "`",
        "\"",
        "'",
        "&&",
        "||",
        "!",
        "\n",
        " ",
        "/*",
        "*/",
        "//",
        "\\",
        "{",
        "}",
        "[",
        "]",
        "a",
        "é",
        "\\x",
        "...",
        "=",
        ":",
        "^",
        "$",
        "*",
        "+",
        "?",
        "|",
        "%",
        "1",
        "(?",
        "<",
        ">",
    ]);
    let strategy = prop::collection::vec(alphabet, 0..40).prop_map(|parts| parts.concat());
    runner(4000)
        .run(&strategy, |text| {
            for syntax in [RuleSyntax::V3, RuleSyntax::V2] {
                if let Ok(rule) = Rule::parse_with(&text, syntax) {
                    let _ = rule.matches(&RequestView::new("GET", "a", "/"));
                } else if let Err(err) = Rule::parse_with(&text, syntax) {
                    let _ = err.to_string();
                }
            }
            let _ = parse_domains(&text);
            Ok(())
        })
        .unwrap();
    runner(2000)
        .run(&any::<String>(), |text| {
            let _ = Rule::parse(&text);
            let _ = Rule::parse(&format!("PathRegexp(`{}`)", text.replace('`', "")));
            Ok(())
        })
        .unwrap();
}
