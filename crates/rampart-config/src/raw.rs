//! Helpers shared by the raw serde mirrors of Traefik's static and dynamic files.
//!
//! Raw mirrors are the first of the three forms of configuration: every field optional, names as
//! Traefik spells them (`#[serde(rename_all = "camelCase", deny_unknown_fields)]`, matched
//! case-insensitively by [`from_value`](crate::from_value)), no defaults applied. They are never
//! public: the validated models are.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Visitor};

use crate::value::Value;

/// For `#[serde(default, deserialize_with = "section")]` on an optional section that Traefik lets
/// users switch on by naming it (`api:`, `--ping`, `tlsChallenge: {}`) and off with `false`.
pub(crate) fn section<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct SectionVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for SectionVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of options, or true/false")
        }

        fn visit_none<E>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            T::deserialize(d).map(Some)
        }
    }

    d.deserialize_newtype_struct(crate::de::SECTION, SectionVisitor(PhantomData))
}

/// For `#[serde(default, deserialize_with = "present")]` on a key rampart does not implement:
/// `Some` whenever the key is written, even with an empty value, so it can be reported.
pub(crate) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::from_value;

    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields, default)]
    struct Inner {
        delay: Option<i64>,
    }

    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields, default)]
    struct Outer {
        #[serde(deserialize_with = "section")]
        challenge: Option<Inner>,
        #[serde(deserialize_with = "present")]
        later: Option<Value>,
    }

    fn decode(json: &str) -> Outer {
        from_value(&serde_json::from_str::<Value>(json).unwrap()).unwrap()
    }

    #[test]
    fn sections_switch_on_by_name_and_off_with_false() {
        assert_eq!(decode("{}").challenge, None);
        assert_eq!(
            decode(r#"{"challenge": null}"#).challenge,
            Some(Inner::default())
        );
        assert_eq!(
            decode(r#"{"challenge": "true"}"#).challenge,
            Some(Inner::default())
        );
        assert_eq!(decode(r#"{"challenge": false}"#).challenge, None);
        assert_eq!(decode(r#"{"challenge": "false"}"#).challenge, None);
        assert_eq!(
            decode(r#"{"CHALLENGE": {"delay": "5"}}"#).challenge,
            Some(Inner { delay: Some(5) })
        );
        let err =
            from_value::<Outer>(&serde_json::from_str(r#"{"challenge": {"dealy": 1}}"#).unwrap())
                .unwrap_err();
        assert_eq!(err.path(), "challenge.dealy");
    }

    #[test]
    fn present_reports_a_key_even_when_empty() {
        assert_eq!(decode("{}").later, None);
        assert_eq!(decode(r#"{"later": null}"#).later, Some(Value::Null));
        assert_eq!(
            decode(r#"{"later": {"a": 1}}"#).later.map(|v| v.kind()),
            Some("a map")
        );
    }
}
