//! Fills typed configs from a [`Value`] with Traefik's decoding rules.
//!
//! Traefik (through its `paerser` library) decodes every source into a tree of strings and then
//! fills Go structs from it: field names match case-insensitively, scalars are parsed from their
//! text, and a comma-separated string fills a list (that is how labels and flags spell lists).
//! This deserializer does the same for serde types, so one `#[derive(Deserialize)]` config type
//! reads YAML, TOML, flags and environment variables alike. Errors carry the key path.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use crate::value::{Map, Value};

/// A decoding error, with the path of the key it happened at.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// #[serde(rename_all = "camelCase", deny_unknown_fields)]
/// struct RateLimit { average: u64 }
///
/// let v: rampart_config::Value = serde_json::from_str(r#"{"average": "many"}"#).unwrap();
/// let err = rampart_config::from_value::<RateLimit>(&v).unwrap_err();
/// assert_eq!(err.path(), "average");
/// assert!(err.to_string().contains("many"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    /// Path segments, innermost first (reversed on display).
    segments: Vec<String>,
    message: String,
}

impl DeError {
    /// The dotted key path (`http.middlewares.auth.forwardAuth.address`); empty at the top.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for seg in self.segments.iter().rev() {
            if !seg.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
        out
    }

    /// The reason, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prepends an outer path segment (used by callers that decode part of a tree).
    #[must_use]
    pub fn within(mut self, segment: impl Into<String>) -> Self {
        self.segments.push(segment.into());
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path(), self.message)
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            segments: Vec::new(),
            message: msg.to_string(),
        }
    }
}

/// Fills `T` from `value` with Traefik's decoding rules (see the module docs).
///
/// ```
/// #[derive(Debug, serde::Deserialize, PartialEq)]
/// #[serde(rename_all = "camelCase")]
/// struct Redirect { scheme: String, permanent: bool, port: Option<u16>, sans: Vec<String> }
///
/// // Keys in any case, scalars as strings, lists comma-separated: as Traefik reads flags.
/// let v: rampart_config::Value = serde_json::from_str(
///     r#"{"SCHEME": "https", "permanent": "true", "Port": "8443", "sans": "a.test,b.test"}"#,
/// ).unwrap();
/// let r: Redirect = rampart_config::from_value(&v).unwrap();
/// assert_eq!(r.port, Some(8443));
/// assert!(r.permanent);
/// assert_eq!(r.sans, ["a.test", "b.test"]);
/// ```
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, DeError> {
    T::deserialize(Node::Value(value))
}

/// What is being decoded: a value of the tree, or one item of a comma-separated string.
#[derive(Clone, Copy)]
enum Node<'a> {
    Value(&'a Value),
    Str(&'a str),
}

/// A uniform view of a node.
enum View<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    List(&'a [Value]),
    Map(&'a Map),
}

/// The newtype name `crate::raw::section` asks for: a false-y scalar then means "no section".
pub(crate) const SECTION: &str = "$rampart_config::section";

static EMPTY_MAP: Map = Map::new();
static NULL: Value = Value::Null;

impl<'a> Node<'a> {
    fn view(self) -> View<'a> {
        match self {
            Node::Str(s) => View::Str(s),
            Node::Value(v) => match v {
                Value::Null => View::Null,
                Value::Bool(b) => View::Bool(*b),
                Value::Int(i) => View::Int(*i),
                Value::Float(f) => View::Float(*f),
                Value::String(s) => View::Str(s),
                Value::List(l) => View::List(l),
                Value::Map(m) => View::Map(m),
            },
        }
    }

    fn invalid(self, expected: &str) -> DeError {
        let got = match self.view() {
            View::Str(s) => format!("`{s}`"),
            View::Int(i) => i.to_string(),
            View::Float(f) => f.to_string(),
            View::Bool(b) => b.to_string(),
            View::Null => "nothing".to_owned(),
            View::List(_) => "a list".to_owned(),
            View::Map(_) => "a map".to_owned(),
        };
        de::Error::custom(format_args!("expected {expected}, found {got}"))
    }

    fn parse_int<T: TryFrom<i64> + std::str::FromStr>(self, expected: &str) -> Result<T, DeError> {
        match self.view() {
            View::Int(i) => T::try_from(i).map_err(|_| self.invalid(expected)),
            #[expect(
                clippy::cast_possible_truncation,
                reason = "checked integral and in range"
            )]
            View::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                T::try_from(f as i64).map_err(|_| self.invalid(expected))
            }
            View::Str(s) => s.trim().parse::<T>().map_err(|_| self.invalid(expected)),
            _ => Err(self.invalid(expected)),
        }
    }
}

/// Go's `strconv.ParseBool`, plus YAML 1.1's yes/no/on/off (go-yaml accepts them for bools).
fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" | "yes" | "Yes" | "YES" | "on" | "On" | "ON"
        | "y" | "Y" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" | "no" | "No" | "NO" | "off" | "Off"
        | "OFF" | "n" | "N" => Some(false),
        _ => None,
    }
}

/// Returns the declared spelling of `name` among `known` (case-insensitive), else `name`.
fn canonical<'a>(name: &'a str, known: &'static [&'static str]) -> &'a str {
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(name)
}

macro_rules! deserialize_int {
    ($($method:ident => $ty:ty, $visit:ident, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            visitor.$visit(self.parse_int::<$ty>($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Node<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Null => visitor.visit_unit(),
            View::Bool(b) => visitor.visit_bool(b),
            View::Int(i) => visitor.visit_i64(i),
            View::Float(f) => visitor.visit_f64(f),
            View::Str(s) => visitor.visit_borrowed_str(s),
            View::List(items) => visitor.visit_seq(SeqDe::values(items)),
            View::Map(map) => visitor.visit_map(MapDe::new(map, None)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Bool(b) => visitor.visit_bool(b),
            View::Int(0) => visitor.visit_bool(false),
            View::Int(1) => visitor.visit_bool(true),
            View::Str(s) => {
                visitor.visit_bool(parse_bool(s).ok_or_else(|| self.invalid("a boolean"))?)
            }
            _ => Err(self.invalid("a boolean")),
        }
    }

    deserialize_int! {
        deserialize_i8 => i8, visit_i8, "an integer";
        deserialize_i16 => i16, visit_i16, "an integer";
        deserialize_i32 => i32, visit_i32, "an integer";
        deserialize_i64 => i64, visit_i64, "an integer";
        deserialize_u8 => u8, visit_u8, "a non-negative integer";
        deserialize_u16 => u16, visit_u16, "a non-negative integer";
        deserialize_u32 => u32, visit_u32, "a non-negative integer";
        deserialize_u64 => u64, visit_u64, "a non-negative integer";
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            #[expect(clippy::cast_precision_loss, reason = "config numbers are small")]
            View::Int(i) => visitor.visit_f64(i as f64),
            View::Float(f) => visitor.visit_f64(f),
            View::Str(s) => {
                visitor.visit_f64(s.trim().parse().map_err(|_| self.invalid("a number"))?)
            }
            _ => Err(self.invalid("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Str(s) => visitor.visit_borrowed_str(s),
            // Go's decoder reads every scalar as text, so `port: 8080` fills a string field.
            View::Int(i) => visitor.visit_string(i.to_string()),
            View::Float(f) => visitor.visit_string(f.to_string()),
            View::Bool(b) => visitor.visit_string(b.to_string()),
            _ => Err(self.invalid("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Str(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            _ => Err(self.invalid("a string")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Null => visitor.visit_unit(),
            View::Map(m) if m.is_empty() => visitor.visit_unit(),
            _ => Err(self.invalid("nothing")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // An optional section switched off with `false` (`--api=false`, `ping: false`), as
        // paerser's `allowEmpty` sections are (see `crate::raw::section`).
        if name == SECTION {
            let off = match self.view() {
                View::Bool(b) => !b,
                View::Str(s) => parse_bool(s) == Some(false),
                _ => false,
            };
            if off {
                return visitor.visit_none();
            }
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::List(items) => visitor.visit_seq(SeqDe::values(items)),
            View::Null => visitor.visit_seq(SeqDe::values(&[])),
            // Labels and flags spell lists as comma-separated strings (`a,b`).
            View::Str(s) => {
                let items = if s.trim().is_empty() {
                    Vec::new()
                } else {
                    s.split(',').map(|p| Node::Str(p.trim())).collect()
                };
                visitor.visit_seq(SeqDe::nodes(items))
            }
            // Flags spell list items by index (`domains[0].main`): a map with numeric keys.
            View::Map(m) if !m.is_empty() && m.iter().all(|(k, _)| k.parse::<usize>().is_ok()) => {
                let mut items: Vec<(usize, &Value)> = m
                    .iter()
                    .map(|(k, v)| (k.parse().unwrap_or(usize::MAX), v))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                visitor.visit_seq(SeqDe::nodes(
                    items.into_iter().map(|(_, v)| Node::Value(v)).collect(),
                ))
            }
            _ => Err(self.invalid("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Map(map) => visitor.visit_map(MapDe::new(map, None)),
            View::Null => visitor.visit_map(MapDe::new(&EMPTY_MAP, None)),
            _ => Err(self.invalid("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.view() {
            View::Map(map) => visitor.visit_map(MapDe::new(map, Some(fields))),
            // `compress:` or `tlsChallenge:` with nothing after it means "on, with defaults";
            // so does a flag such as `--api` or `--ping=true`.
            View::Null | View::Bool(true) => {
                visitor.visit_map(MapDe::new(&EMPTY_MAP, Some(fields)))
            }
            View::Str(s) if parse_bool(s) == Some(true) => {
                visitor.visit_map(MapDe::new(&EMPTY_MAP, Some(fields)))
            }
            _ => Err(self.invalid("a map of options")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.view() {
            View::Str(s) => visitor.visit_enum(EnumDe {
                variant: canonical(s, variants),
                value: None,
            }),
            View::Map(map) if map.len() == 1 => {
                let (key, value) = &map.entries()[0];
                visitor
                    .visit_enum(EnumDe {
                        variant: canonical(key, variants),
                        value: Some(value),
                    })
                    .map_err(|e| e.within(key.as_str()))
            }
            View::Map(map) => {
                let found: Vec<&str> = map.iter().map(|(k, _)| k).collect();
                Err(de::Error::custom(format_args!(
                    "expected exactly one of {}, found {}",
                    variants.join(", "),
                    if found.is_empty() {
                        "none".to_owned()
                    } else {
                        found.join(", ")
                    }
                )))
            }
            _ => Err(self.invalid("a name, or a map with one name as its key")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a> {
    values: std::slice::Iter<'a, Value>,
    nodes: std::vec::IntoIter<Node<'a>>,
    index: usize,
}

impl<'a> SeqDe<'a> {
    fn values(values: &'a [Value]) -> Self {
        SeqDe {
            values: values.iter(),
            nodes: Vec::new().into_iter(),
            index: 0,
        }
    }

    fn nodes(nodes: Vec<Node<'a>>) -> Self {
        SeqDe {
            values: [].iter(),
            nodes: nodes.into_iter(),
            index: 0,
        }
    }
}

impl<'de> SeqAccess<'de> for SeqDe<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let node = match self.values.next() {
            Some(v) => Node::Value(v),
            None => match self.nodes.next() {
                Some(n) => n,
                None => return Ok(None),
            },
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(node)
            .map(Some)
            .map_err(|e| e.within(format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.values.len() + self.nodes.len())
    }
}

struct MapDe<'a> {
    iter: std::slice::Iter<'a, (String, Value)>,
    fields: Option<&'static [&'static str]>,
    pending: Option<&'a (String, Value)>,
}

impl<'a> MapDe<'a> {
    fn new(map: &'a Map, fields: Option<&'static [&'static str]>) -> Self {
        MapDe {
            iter: map.entries().iter(),
            fields,
            pending: None,
        }
    }
}

impl<'de> MapAccess<'de> for MapDe<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.iter.next() else {
            return Ok(None);
        };
        self.pending = Some(entry);
        // Struct fields match case-insensitively (Traefik's rule); map keys stay as written.
        let key: &'de str = match self.fields {
            Some(fields) => canonical(&entry.0, fields),
            None => &entry.0,
        };
        seed.deserialize(Node::Str(key))
            .map(Some)
            .map_err(|e| e.within(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, value) = self.pending.take().expect("next_value after next_key");
        seed.deserialize(Node::Value(value))
            .map_err(|e| e.within(key.as_str()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct EnumDe<'a> {
    variant: &'a str,
    value: Option<&'a Value>,
}

impl<'de> EnumAccess<'de> for EnumDe<'de> {
    type Error = DeError;
    type Variant = VariantDe<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe<'de>), DeError> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, VariantDe(self.value)))
    }
}

struct VariantDe<'a>(Option<&'a Value>);

impl<'a> VariantDe<'a> {
    fn node(&self) -> Node<'a> {
        Node::Value(self.0.unwrap_or(&NULL))
    }
}

impl<'de> VariantAccess<'de> for VariantDe<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Map(m)) if m.is_empty() => Ok(()),
            Some(other) => Err(Node::Value(other).invalid("nothing")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self.node())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self.node(), visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(self.node(), "", fields, visitor)
    }
}

#[cfg(test)]
mod tests;
