//! Go-vs-Rust regexp differences, each pinned by a case (Go behaviour from `regexp/syntax`).

use super::{compile, translate};

fn go_accepts(pattern: &str) -> regex::Regex {
    compile(pattern).unwrap_or_else(|e| panic!("Go accepts {pattern:?}, rampart said {e}"))
}

fn go_rejects(pattern: &str) {
    assert!(
        compile(pattern).is_err(),
        "Go rejects {pattern:?}, rampart accepted {:?}",
        translate(pattern)
    );
}

#[test]
fn brace_that_is_not_a_repeat_is_a_literal() {
    let re = go_accepts("{subdomain:[a-z0-9-]+}.domain.tld");
    assert!(re.is_match("{subdomain:abc}.domain.tld"));
    assert!(!re.is_match("abc.domain.tld"));
    let re = go_accepts("^x{,3}$");
    assert!(re.is_match("x{,3}"));
    let re = go_accepts("^a{01}$");
    assert!(re.is_match("a{01}"));
    let re = go_accepts("^a{2}$");
    assert!(re.is_match("aa"));
    go_accepts("/{path:(css|js)}");
    go_accepts("http{secure:s?}");
    go_accepts("{");
    go_accepts("a{");
    go_accepts("a{1");
    go_accepts("a{1,");
    go_accepts("}");
}

#[test]
fn repeat_counts_follow_go_limits() {
    go_accepts("a{1000}");
    go_rejects("a{1001}");
    go_rejects("a{2,1}");
    go_rejects("a{,}{1001}");
    go_rejects("(a{100}){11}");
    go_accepts("(a{100}){10}");
    go_rejects("a{99999999999}");
}

#[test]
fn stacked_repeats_are_rejected_like_go() {
    go_rejects("a**");
    go_rejects("a{2}{3}");
    go_rejects("a+*");
    go_rejects("a*??");
    go_accepts("a*?");
    go_accepts("a*(?i)*");
    go_rejects("*a");
    go_rejects("(*)");
    go_rejects("a|*");
    go_accepts("^*");
}

#[test]
fn perl_classes_are_ascii() {
    let re = go_accepts(r"^\w+$");
    assert!(re.is_match("abc_9"));
    assert!(!re.is_match("é"));
    let re = go_accepts(r"^\d$");
    assert!(!re.is_match("٣"));
    let re = go_accepts(r"^\W$");
    assert!(re.is_match("é"));
    let re = go_accepts(r"^[\d.]+$");
    assert!(re.is_match("1.2"));
    let re = go_accepts(r"^[^\D]$");
    assert!(re.is_match("5"));
    let re = go_accepts(r"^\s$");
    assert!(!re.is_match("\u{0b}")); // Go's \s has no vertical tab
    let re = go_accepts(r"a\b");
    assert!(re.is_match("a é"));
    // ASCII boundary: é is not a word character in Go, so `a` before it ends a word.
    assert!(re.is_match("aé"));
}

#[test]
fn quoting_octal_and_escapes() {
    let re = go_accepts(r"^\Q.*+\E$");
    assert!(re.is_match(".*+"));
    let re = go_accepts(r"^\Qa.b$");
    assert!(re.is_match("a.b$"));
    let re = go_accepts(r"^\101\0$");
    assert!(re.is_match("A\0"));
    go_rejects(r"\1");
    go_rejects(r"\8");
    go_rejects(r"\C");
    go_rejects(r"\q");
    go_rejects(r"\Z");
    go_rejects("a\\");
    let re = go_accepts(r"^\<\>$");
    assert!(re.is_match("<>"));
    let re = go_accepts(r"^\x41\x{42}$");
    assert!(re.is_match("AB"));
}

#[test]
fn classes_are_go_classes() {
    let re = go_accepts("^[]a]+$");
    assert!(re.is_match("]a"));
    let re = go_accepts("^[a&&b]+$");
    assert!(re.is_match("&&ab"));
    let re = go_accepts("^[[a]+$");
    assert!(re.is_match("[a"));
    let re = go_accepts("^[a-]+$");
    assert!(re.is_match("a-"));
    let re = go_accepts("^[~~]+$");
    assert!(re.is_match("~"));
    let re = go_accepts("^[[:alpha:]]+$");
    assert!(re.is_match("abc"));
    let re = go_accepts("^[:alpha:]+$");
    assert!(re.is_match(":al"));
    go_rejects("[[:foo:]]");
    go_rejects("[z-a]");
    go_rejects("[a");
    go_rejects("[]");
}

#[test]
fn flags_and_groups() {
    let re = go_accepts("(?i)^abc$");
    assert!(re.is_match("ABC"));
    let re = go_accepts("^a(?i)b$");
    assert!(re.is_match("aB") && !re.is_match("AB"));
    let re = go_accepts("^(?i:a)b$");
    assert!(re.is_match("Ab") && !re.is_match("AB"));
    let re = go_accepts("^((?i)a)b$");
    assert!(re.is_match("Ab") && !re.is_match("AB"));
    go_accepts("(?)");
    go_accepts("(?i-s:a)");
    go_rejects("(?x)a");
    go_rejects("(?u)a");
    go_rejects("(?R)a");
    go_rejects("(?i-)a");
    go_rejects("(?=a)");
    go_rejects("(?<=a)");
    go_rejects("(?!a)");
    go_rejects("(?P=a)");
    go_accepts("(?P<name>a)(?<other>b)");
    go_accepts("(?P<1a>x)");
    go_rejects("(?P<a-b>x)");
    go_rejects("(?P<>x)");
    go_rejects("(a");
    go_rejects("a)");
    let re = go_accepts("(?m)^b$");
    assert!(re.is_match("a\nb"));
    let re = go_accepts("^a$");
    assert!(!re.is_match("a\n"));
    let re = go_accepts("(?s)^.$");
    assert!(re.is_match("\n"));
}

#[test]
fn unicode_classes_are_go_names() {
    go_accepts(r"\pL");
    go_accepts(r"\p{Greek}");
    go_accepts(r"\p{^Greek}");
    go_accepts(r"\PL");
    go_accepts(r"\p{Lu}");
    go_accepts(r"\p{Any}");
    go_accepts(r"[\p{Han}a]");
    go_rejects(r"\p{Emoji}");
    go_rejects(r"\p{sc=Greek}");
    go_rejects(r"\p{Foo}");
    go_accepts(r"\pL{1000}");
}

#[test]
fn required_suffixes() {
    use super::required_suffix;
    assert_eq!(
        required_suffix(r"^[a-z0-9-]+\.domain\.tld$").as_deref(),
        Some(".domain.tld")
    );
    assert_eq!(
        required_suffix(r"(?i)^(?P<v0>[a-z]+)\.Example\.COM$").as_deref(),
        Some(".example.com")
    );
    assert_eq!(
        required_suffix(r"\.example\.com\.$").as_deref(),
        Some(".example.com")
    );
    assert_eq!(
        required_suffix(r"^[a-z]+\.EXAMPLE\.com$").as_deref(),
        Some(".com")
    );
    assert_eq!(required_suffix(r"example\.com"), None);
    assert_eq!(required_suffix(r"^a$|^b$"), None);
    assert_eq!(required_suffix(r"(?m)a$"), None);
    assert_eq!(required_suffix(r"[a-z]$"), None);
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = format!("{}a{}", "(".repeat(1001), ")".repeat(1001));
    go_rejects(&deep);
    let fine = format!("{}a{}", "(".repeat(200), ")".repeat(200));
    go_accepts(&fine);
}
