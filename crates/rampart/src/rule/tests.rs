//! Rule-level behaviour beyond the corpus in `tests/rule_corpus.rs`.

use super::*;

#[test]
fn guide_outpost_rule_warns_with_the_fix() {
    let rule = Rule::parse(
        "HostRegexp(`{subdomain:[a-z0-9-]+}.domain.tld`) && PathPrefix(`/outpost.goauthentik.io/`)",
    )
    .unwrap();
    assert_eq!(rule.warnings().len(), 1);
    let w = &rule.warnings()[0];
    assert!(w.message.contains("{subdomain:[a-z0-9-]+}"), "{w}");
    assert!(w.message.contains(r"^[a-z0-9-]+\.domain\.tld$"), "{w}");
    assert!(w.message.contains("ruleSyntax: v2"), "{w}");
    // It still behaves as in Traefik 3: the braces are literal.
    let literal = RequestView::new(
        "GET",
        "{subdomain:abc}.domain.tld",
        "/outpost.goauthentik.io/x",
    );
    assert!(rule.matches(&literal));
    assert!(!rule.matches(&RequestView::new(
        "GET",
        "abc.domain.tld",
        "/outpost.goauthentik.io/x"
    )));
    // Under v2 it means what the guide wanted.
    let v2 = Rule::parse_with(rule.text(), RuleSyntax::V2).unwrap();
    assert!(v2.matches(&RequestView::new(
        "GET",
        "abc.domain.tld",
        "/outpost.goauthentik.io/x"
    )));
    assert!(v2.warnings().is_empty());
}

#[test]
fn errors_point_at_the_culprit() {
    let err = Rule::parse("Host(`a`, `b`)").unwrap_err();
    assert!(err.to_string().contains("Host(`a`) || Host(`b`)"), "{err}");
    let err = Rule::parse("Query(`q`, ``)").unwrap_err();
    assert_eq!(&err.rule()[err.span.start..err.span.end], "``");
    assert!(err.to_string().contains("Query(`key`)"), "{err}");
    let err = Rule::parse("Headers(`a`, `b`)").unwrap_err();
    assert!(err.to_string().contains("Header(`name`, `value`)"), "{err}");
    let err = Rule::parse("Host(`a`)\n&& Path(`/`)").unwrap_err();
    assert!(
        matches!(err.kind, RuleErrorKind::UnexpectedNewline),
        "{err}"
    );
    assert!(
        err.to_string().contains("\n    Host(`a`)\n             ^"),
        "{err}"
    );
}

#[test]
fn empty_matching_host_regexp_matches_everything_and_warns() {
    let rule = Rule::parse("HostRegexp(`.*`)").unwrap();
    assert!(rule.matches(&RequestView::new("GET", "", "/")));
    assert_eq!(rule.warnings().len(), 1);
}

#[test]
fn default_priority_is_byte_length() {
    assert_eq!(
        Rule::parse("Host(`example.org`)")
            .unwrap()
            .default_priority(),
        19
    );
    assert_eq!(
        Rule::parse("Host(`é.org`)")
            .map(|r| r.default_priority())
            .ok(),
        None
    );
    assert_eq!(Rule::parse("Path(`/é`)").unwrap().default_priority(), 11);
}
