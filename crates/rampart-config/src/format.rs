//! YAML and TOML files into [`Value`] trees that remember where each key was written.
//!
//! The format is chosen by extension, case-insensitively, as Traefik does: `.yml`/`.yaml` are
//! YAML (serde-saphyr: merge keys, anchors, duplicate keys rejected, alias-bomb budgets), `.toml`
//! is TOML. Syntax errors carry the line and column; every key's position is kept so that later
//! errors (an unknown key, a bad value) can point at it too.
//!
//! Booleans are inferred with YAML 1.2's core schema (`true`/`false` only), as Go's yaml.v3 does
//! when Traefik decodes into untyped maps: a header value `yes` stays the string `yes`. Boolean
//! *options* still accept Go's and YAML 1.1's spellings when they are decoded.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{ConfigError, Origin};
use crate::value::{KeyString, Map, Value};

/// A configuration file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// YAML (`.yml`, `.yaml`).
    Yaml,
    /// TOML (`.toml`).
    Toml,
}

impl Format {
    /// The format named by `path`'s extension (case-insensitive), if it is a supported one.
    ///
    /// ```
    /// use rampart_config::Format;
    /// use std::path::Path;
    ///
    /// assert_eq!(Format::from_path(Path::new("rules/app.YML")), Some(Format::Yaml));
    /// assert_eq!(Format::from_path(Path::new("traefik.toml")), Some(Format::Toml));
    /// assert_eq!(Format::from_path(Path::new("notes.txt")), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        if ext.eq_ignore_ascii_case("yml") || ext.eq_ignore_ascii_case("yaml") {
            Some(Format::Yaml)
        } else if ext.eq_ignore_ascii_case("toml") {
            Some(Format::Toml)
        } else {
            None
        }
    }
}

/// A parsed configuration file: its tree, and where each key's value starts in it.
///
/// ```
/// use rampart_config::{Document, Format};
///
/// let doc = Document::parse(
///     "http:\r\n  routers:\r\n    app:\r\n      rule: Host(`a.test`)\r\n",
///     Format::Yaml,
///     "rules/app.yaml",
/// ).unwrap();
/// assert_eq!(doc.origin("http.routers.app.rule").to_string(), "rules/app.yaml:4:13");
/// // Unknown paths fall back to the nearest known ancestor (here the map under `app:`, which
/// // starts on line 4); lookups ignore case.
/// assert_eq!(doc.origin("HTTP.Routers.app.nope").line, Some(4));
/// ```
#[derive(Debug, Clone)]
pub struct Document {
    path: PathBuf,
    value: Value,
    positions: HashMap<String, (u32, u32)>,
}

impl Document {
    /// Parses `text` as `format`; `path` names the file in positions and errors.
    pub fn parse(
        text: &str,
        format: Format,
        path: impl Into<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let path = path.into();
        let parsed = match format {
            Format::Yaml => parse_yaml(text).map(|(root, lines)| tree(root, &lines)),
            Format::Toml => parse_toml(text).map(|(root, lines)| tree(root, &lines)),
        };
        let (value, positions) = parsed.map_err(|e| ConfigError::Syntax {
            origin: match e.position {
                Some((line, column)) => Origin::file(&path).at(line, column),
                None => Origin::file(&path),
            },
            reason: e.message,
        })?;
        Ok(Document {
            path,
            value,
            positions,
        })
    }

    /// The tree.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Takes the tree out.
    pub fn into_value(self) -> Value {
        self.value
    }

    /// The file's path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where `key_path` (`a.b[0].c`, any case) is in the file; the nearest known ancestor when
    /// the key itself is not there (an error may name a key that was never written).
    pub fn origin(&self, key_path: &str) -> Origin {
        let mut key = key_path.to_ascii_lowercase();
        loop {
            if let Some(&(line, column)) = self.positions.get(&key) {
                return Origin::file(&self.path).at(line, column);
            }
            match key.rfind(['.', '[']) {
                Some(cut) => key.truncate(cut),
                None if !key.is_empty() => key.clear(),
                None => return Origin::file(&self.path),
            }
        }
    }
}

struct SyntaxError {
    position: Option<(u32, u32)>,
    message: String,
}

/// A parsed node whose children are wrapped in a position-carrying type `W`.
enum Node<W> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<W>),
    Map(Vec<(String, W)>),
}

/// A node together with where it starts.
trait Located: Sized {
    fn split(self, lines: &LineIndex<'_>) -> (Node<Self>, (u32, u32));
}

/// YAML node: serde-saphyr reports lines and columns itself.
struct YamlNode(serde_saphyr::Spanned<Node<YamlNode>>);

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_saphyr::Spanned::deserialize(d).map(YamlNode)
    }
}

impl Located for YamlNode {
    fn split(self, _: &LineIndex<'_>) -> (Node<Self>, (u32, u32)) {
        let at = self.0.referenced;
        let pos = (
            u32::try_from(at.line()).unwrap_or(u32::MAX),
            u32::try_from(at.column()).unwrap_or(u32::MAX),
        );
        (self.0.value, pos)
    }
}

/// TOML node: the toml crate reports byte spans, turned into lines and columns here.
struct TomlNode(toml::Spanned<Node<TomlNode>>);

impl<'de> Deserialize<'de> for TomlNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        toml::Spanned::deserialize(d).map(TomlNode)
    }
}

impl Located for TomlNode {
    fn split(self, lines: &LineIndex<'_>) -> (Node<Self>, (u32, u32)) {
        let pos = lines.position(self.0.span().start);
        (self.0.into_inner(), pos)
    }
}

/// How the toml crate hands a date-time to `deserialize_any`: a one-entry map.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de, W: Deserialize<'de>> Deserialize<'de> for Node<W> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor(PhantomData))
    }
}

struct NodeVisitor<W>(PhantomData<W>);

impl<'de, W: Deserialize<'de>> Visitor<'de> for NodeVisitor<W> {
    type Value = Node<W>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any configuration value")
    }
    fn visit_unit<E>(self) -> Result<Node<W>, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node<W>, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node<W>, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node<W>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node<W>, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node<W>, E> {
        Ok(i64::try_from(v).map_or_else(|_| Node::Str(v.to_string()), Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node<W>, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node<W>, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node<W>, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<W>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<W>()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Node<W>, A::Error> {
        let mut entries: Vec<(String, W)> = Vec::new();
        while let Some(KeyString(key)) = access.next_key::<KeyString>()? {
            if key == TOML_DATETIME_KEY && entries.is_empty() {
                return Ok(Node::Str(access.next_value::<String>()?));
            }
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let value = access.next_value::<W>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// The whole tree of a document, with its positions.
fn tree<W: Located>(
    root: Option<W>,
    lines: &LineIndex<'_>,
) -> (Value, HashMap<String, (u32, u32)>) {
    let mut positions = HashMap::new();
    let value = match root {
        Some(root) => flatten(root, lines, &mut String::new(), &mut positions),
        None => Value::Null,
    };
    (value, positions)
}

/// Turns a located tree into a [`Value`], recording each key path's position (lower-cased).
fn flatten<W: Located>(
    node: W,
    lines: &LineIndex<'_>,
    key: &mut String,
    positions: &mut HashMap<String, (u32, u32)>,
) -> Value {
    let (node, pos) = node.split(lines);
    positions.entry(key.to_ascii_lowercase()).or_insert(pos);
    match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::Int(i),
        Node::Float(f) => Value::Float(f),
        Node::Str(s) => Value::String(s),
        Node::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = key.len();
                let _ = write!(key, "[{i}]");
                out.push(flatten(item, lines, key, positions));
                key.truncate(len);
            }
            Value::List(out)
        }
        Node::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let len = key.len();
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(&k);
                let value = flatten(v, lines, key, positions);
                key.truncate(len);
                map.insert(k, value);
            }
            Value::Map(map)
        }
    }
}

/// Byte offset → 1-based line and column (in characters).
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }
}

type Parsed<'a, W> = Result<(Option<W>, LineIndex<'a>), SyntaxError>;

fn parse_yaml(text: &str) -> Parsed<'_, YamlNode> {
    let lines = LineIndex::new(text);
    let mut options = serde_saphyr::Options::default();
    // Go's yaml.v3 decoding into untyped maps knows only YAML 1.2 booleans.
    options.strict_booleans = true;
    options.with_snippet = false;
    match serde_saphyr::from_str_with_options::<Option<YamlNode>>(text, options) {
        Ok(root) => Ok((root, lines)),
        Err(e) => {
            let position = e.location().and_then(|l| {
                let line = u32::try_from(l.line()).ok()?;
                let column = u32::try_from(l.column()).ok()?;
                (line > 0).then_some((line, column))
            });
            Err(SyntaxError {
                position,
                message: yaml_message(&e),
            })
        }
    }
}

/// serde-saphyr's message without its own "at line X column Y" suffix (the origin has it).
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = first.rfind(" at line ").map_or(first, |cut| &first[..cut]);
    // Advice addressed to users of the library, not of rampart.
    first
        .find(", set DuplicateKeyPolicy")
        .map_or(first, |cut| &first[..cut])
        .to_owned()
}

fn parse_toml(text: &str) -> Parsed<'_, TomlNode> {
    let lines = LineIndex::new(text);
    match toml::from_str::<TomlNode>(text) {
        Ok(root) => Ok((Some(root), lines)),
        Err(e) => Err(SyntaxError {
            position: e.span().map(|s| lines.position(s.start)),
            message: e.message().trim().to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests;
