use std::fmt::Write as _;

use super::*;

fn yaml(text: &str) -> Result<Document, ConfigError> {
    Document::parse(text, Format::Yaml, "t.yaml")
}

fn toml(text: &str) -> Result<Document, ConfigError> {
    Document::parse(text, Format::Toml, "t.toml")
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| {
        v.get(k).unwrap_or_else(|| panic!("no {k} in {v:?}"))
    })
}

#[test]
fn crlf_files_load() {
    let doc = yaml("http:\r\n  middlewares:\r\n    a:\r\n      compress: {}\r\n").unwrap();
    let compress = get(doc.value(), &["http", "middlewares", "a", "compress"]);
    assert_eq!(compress, &Value::Map(Map::new()));
    assert_eq!(doc.origin("http.middlewares.a").line, Some(4));
}

#[test]
fn yaml_merge_keys_are_applied() {
    let doc = yaml("base: &base\n  average: 100\n  burst: 50\nlimit:\n  <<: *base\n  burst: 10\n")
        .unwrap();
    let limit = get(doc.value(), &["limit"]);
    assert_eq!(limit.get("average"), Some(&Value::Int(100)));
    assert_eq!(limit.get("burst"), Some(&Value::Int(10)));
}

#[test]
fn yaml_booleans_follow_the_core_schema_like_go_yaml_v3() {
    let doc = yaml("a: true\nb: yes\nc: on\nd: 'true'\ne: n\nf: False\n").unwrap();
    let v = doc.value();
    assert_eq!(v.get("a"), Some(&Value::Bool(true)));
    // yaml.v3 into interface{} keeps YAML 1.1 spellings as strings: a header value `yes`
    // must not turn into `true`.
    assert_eq!(v.get("b"), Some(&Value::String("yes".into())));
    assert_eq!(v.get("c"), Some(&Value::String("on".into())));
    assert_eq!(v.get("d"), Some(&Value::String("true".into())));
    assert_eq!(v.get("e"), Some(&Value::String("n".into())));
    assert_eq!(v.get("f"), Some(&Value::Bool(false)));
}

#[test]
fn yaml_scalars_keep_their_types() {
    let doc = yaml("i: 80\ns: \":80\"\nf: 1.5\nn: ~\ne:\nhex: 0x10\nbig: 18446744073709551615\n")
        .unwrap();
    let v = doc.value();
    assert_eq!(v.get("i"), Some(&Value::Int(80)));
    assert_eq!(v.get("s"), Some(&Value::String(":80".into())));
    assert_eq!(v.get("f"), Some(&Value::Float(1.5)));
    assert_eq!(v.get("n"), Some(&Value::Null));
    assert_eq!(v.get("e"), Some(&Value::Null));
    assert_eq!(v.get("hex"), Some(&Value::Int(16)));
    assert_eq!(
        v.get("big"),
        Some(&Value::String("18446744073709551615".into()))
    );
}

#[test]
fn yaml_duplicate_keys_are_rejected_with_a_position() {
    let err = yaml("a: 1\nb: 2\na: 3\n").unwrap_err();
    let ConfigError::Syntax { origin, reason } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(origin.line, Some(3), "{err}");
    assert!(reason.to_lowercase().contains("duplicate"), "{err}");
}

#[test]
fn yaml_alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        let _ = writeln!(
            text,
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
        );
    }
    assert!(matches!(yaml(&text), Err(ConfigError::Syntax { .. })));
}

#[test]
fn yaml_syntax_errors_carry_line_and_column() {
    // The guide's broken compress file: valid YAML, then a stray trailer.
    let text = "http:\r\n  middlewares:\r\n    c:\r\n      compress: {}\r\n\r\n-----------------------\r\n middlewares-https-redirectscheme.yaml";
    let err = yaml(text).unwrap_err();
    let ConfigError::Syntax { origin, reason } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(origin.path(), Some(Path::new("t.yaml")));
    assert_eq!(origin.line, Some(6), "{err}");
    assert!(origin.column.is_some(), "{err}");
    assert!(!reason.is_empty());
    assert!(!reason.contains(" at line "), "{reason}");
}

#[test]
fn unrendered_template_is_a_yaml_error() {
    // The guide's secure-headers file before Go-template rendering.
    let err = yaml("h:\n  v: \"allow-from https:{{env \"DOMAINNAME\"}}\" # c\n").unwrap_err();
    assert_eq!(err.origin().line, Some(2), "{err}");
}

#[test]
fn empty_and_comment_only_yaml_is_null() {
    assert_eq!(yaml("").unwrap().value(), &Value::Null);
    assert_eq!(yaml("# nothing\r\n\r\n").unwrap().value(), &Value::Null);
    assert_eq!(toml("").unwrap().value(), &Value::Map(Map::new()));
}

#[test]
fn toml_loads_with_positions() {
    let doc = toml(
        "[http.routers.app]\r\nrule = \"Host(`a.test`)\"\r\npriority = 10\r\n\r\n[[tls.certificates]]\r\ncertFile = \"/a.pem\"\r\n",
    )
    .unwrap();
    let v = doc.value();
    assert_eq!(
        get(v, &["http", "routers", "app", "priority"]),
        &Value::Int(10)
    );
    let certs = get(v, &["tls", "certificates"]);
    assert!(matches!(certs, Value::List(l) if l.len() == 1));
    assert_eq!(
        doc.origin("http.routers.app.priority").to_string(),
        "t.toml:3:12"
    );
    assert_eq!(doc.origin("tls.certificates[0].certFile").line, Some(6));
}

#[test]
fn toml_datetimes_become_strings() {
    let doc = toml("when = 1979-05-27T07:32:00Z\n").unwrap();
    assert_eq!(
        doc.value().get("when"),
        Some(&Value::String("1979-05-27T07:32:00Z".into()))
    );
}

#[test]
fn toml_syntax_errors_carry_line_and_column() {
    let err = toml("[http]\nrouters = {\n").unwrap_err();
    let ConfigError::Syntax { origin, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(origin.line.is_some(), "{err}");
    let err = toml("a = 1\na = 2\n").unwrap_err();
    assert_eq!(err.origin().line, Some(2), "{err}");
}

#[test]
fn unicode_columns_count_characters() {
    let doc = toml("k = \"\u{e9}\u{e9}\"\nx = 1\n").unwrap();
    assert_eq!(doc.origin("x").to_string(), "t.toml:2:5");
    let doc = yaml("k: \u{e9}\u{e9}\nx: 1\n").unwrap();
    assert_eq!(doc.origin("x").to_string(), "t.yaml:2:4");
}
