use std::collections::BTreeMap;

use serde::Deserialize;

use super::*;

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ForwardAuth {
    address: String,
    #[serde(default)]
    trust_forward_header: Option<bool>,
    #[serde(default)]
    auth_response_headers: Vec<String>,
    #[serde(default)]
    max_body_size: Option<i64>,
}

#[test]
fn struct_fields_match_case_insensitively() {
    let v = json(
        r#"{"ADDRESS": "http://a", "trustforwardheader": true, "AuthResponseHeaders": ["X-A"]}"#,
    );
    let fa: ForwardAuth = from_value(&v).unwrap();
    assert_eq!(fa.address, "http://a");
    assert_eq!(fa.trust_forward_header, Some(true));
    assert_eq!(fa.auth_response_headers, ["X-A"]);
}

#[test]
fn map_keys_keep_their_spelling() {
    let v = json(r#"{"X-Robots-Tag": "none", "server": ""}"#);
    let m: BTreeMap<String, String> = from_value(&v).unwrap();
    assert_eq!(m.get("X-Robots-Tag").map(String::as_str), Some("none"));
    assert_eq!(m.get("server").map(String::as_str), Some(""));
}

#[test]
fn scalars_parse_from_strings_and_back() {
    let v = json(r#"{"address": 8080, "trustForwardHeader": "false", "maxBodySize": "-1"}"#);
    let fa: ForwardAuth = from_value(&v).unwrap();
    assert_eq!(fa.address, "8080");
    assert_eq!(fa.trust_forward_header, Some(false));
    assert_eq!(fa.max_body_size, Some(-1));
}

#[test]
fn comma_separated_string_fills_a_list() {
    let v = json(r#"{"address": "x", "authResponseHeaders": "X-A, X-B"}"#);
    let fa: ForwardAuth = from_value(&v).unwrap();
    assert_eq!(fa.auth_response_headers, ["X-A", "X-B"]);
}

#[test]
fn index_map_fills_a_list_in_index_order() {
    let v = json(r#"{"address": "x", "authResponseHeaders": {"1": "X-B", "0": "X-A"}}"#);
    let fa: ForwardAuth = from_value(&v).unwrap();
    assert_eq!(fa.auth_response_headers, ["X-A", "X-B"]);
}

#[test]
fn unknown_field_names_the_key_path() {
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Outer {
        #[allow(dead_code)]
        forward_auth: ForwardAuth,
    }
    let v = json(r#"{"forwardAuth": {"address": "x", "adress2": 1}}"#);
    let err = from_value::<Outer>(&v).unwrap_err();
    assert_eq!(err.path(), "forwardAuth.adress2");
    assert!(err.message().contains("unknown field"), "{err}");
}

#[test]
fn errors_in_lists_carry_the_index() {
    #[derive(Debug, Deserialize)]
    struct Ports {
        #[allow(dead_code)]
        ports: Vec<u16>,
    }
    let err = from_value::<Ports>(&json(r#"{"ports": [80, 70000]}"#)).unwrap_err();
    assert_eq!(err.path(), "ports[1]");
    assert!(err.to_string().contains("70000"), "{err}");
}

#[test]
fn null_and_empty_map_fill_a_struct_with_defaults() {
    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(default, rename_all = "camelCase")]
    struct Compress {
        min_response_body_bytes: u64,
    }
    assert_eq!(
        from_value::<Compress>(&Value::Null).unwrap(),
        Compress::default()
    );
    assert_eq!(
        from_value::<Compress>(&json("{}")).unwrap(),
        Compress::default()
    );
    assert_eq!(
        from_value::<Compress>(&Value::String("true".into())).unwrap(),
        Compress::default()
    );
}

#[test]
fn enums_match_variant_names_case_insensitively() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    enum Service {
        LoadBalancer { servers: Vec<String> },
        Weighted { services: Vec<String> },
    }
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum SameSite {
        None,
        Lax,
        Strict,
    }
    let s: Service = from_value(&json(r#"{"loadbalancer": {"servers": ["a"]}}"#)).unwrap();
    assert_eq!(
        s,
        Service::LoadBalancer {
            servers: vec!["a".into()]
        }
    );
    assert_eq!(
        from_value::<SameSite>(&json(r#""Strict""#)).unwrap(),
        SameSite::Strict
    );
    let err = from_value::<Service>(&json(r#"{"loadBalancer": {}, "weighted": {}}"#)).unwrap_err();
    assert!(err.to_string().contains("exactly one"), "{err}");
    let err =
        from_value::<Service>(&json(r#"{"loadBalancer": {"servers": [1, {}]}}"#)).unwrap_err();
    assert_eq!(err.path(), "loadBalancer.servers[1]");
}

#[test]
fn flattened_and_untagged_types_work() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(untagged)]
    enum FileOrContent {
        Text(String),
    }
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        cert_file: FileOrContent,
        #[serde(flatten)]
        rest: BTreeMap<String, Value>,
    }
    let i: Inner = from_value(&json(r#"{"certFile": "/a.pem", "other": 1}"#)).unwrap();
    assert_eq!(i.cert_file, FileOrContent::Text("/a.pem".into()));
    assert_eq!(i.rest.get("other"), Some(&Value::Int(1)));
}
