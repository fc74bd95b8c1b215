//! Whatever the input, loading configuration returns a value or an error, never panics.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rampart_config::dynamic_config::DynamicConfig;
use rampart_config::{Document, Duration, Format, StaticConfig, StaticLoader, template};

/// Text made of the pieces templates, YAML and TOML are built from, so that the generated
/// inputs reach deep into the parsers rather than failing at the first byte.
fn config_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{{".to_owned()),
        Just("}}".to_owned()),
        Just("{{- ".to_owned()),
        Just(" -}}".to_owned()),
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("|".to_owned()),
        Just("$x := ".to_owned()),
        Just("range ".to_owned()),
        Just("if ".to_owned()),
        Just("else".to_owned()),
        Just("end".to_owned()),
        Just("until 3".to_owned()),
        Just("printf \"%d\" ".to_owned()),
        Just("\"".to_owned()),
        Just("`".to_owned()),
        Just("'".to_owned()),
        Just(".".to_owned()),
        Just("http:\n  routers:\n    a:\n".to_owned()),
        Just("      rule: ".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: ".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n  ".to_owned()),
        Just(": ".to_owned()),
        Just("- ".to_owned()),
        Just("[http.routers.a]\n".to_owned()),
        Just(" = ".to_owned()),
        Just("é".to_owned()),
        "[a-z0-9]{0,6}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn templates_never_panic(text in config_text()) {
        let _ = template::render(&text, &BTreeMap::new());
    }

    #[test]
    fn documents_never_panic(text in config_text()) {
        for format in [Format::Yaml, Format::Toml] {
            if let Ok(doc) = Document::parse(&text, format, "p") {
                let _ = DynamicConfig::from_document(&doc, "file");
                let _ = StaticConfig::from_document(&doc);
                let _ = doc.origin("http.routers.a.rule");
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = template::render(&text, &BTreeMap::new());
        let _ = Document::parse(&text, Format::Yaml, "p");
        let _ = Document::parse(&text, Format::Toml, "p");
        let _ = text.parse::<Duration>();
        let _ = text.parse::<rampart_config::Address>();
    }

    #[test]
    fn flags_and_variables_never_panic(args in prop::collection::vec("-{0,3}[a-zA-Z.\\[\\]0-9=:,_-]{0,20}", 0..6),
                                      vars in prop::collection::vec(("TRAEFIK_[A-Z_\\[\\]0-9]{0,20}", ".{0,10}"), 0..4)) {
        let loader = StaticLoader::new().search_paths(Vec::new());
        let _ = loader.load(&args, vars.clone());
        let _ = loader.load(&[], vars);
    }
}
