//! `http.middlewares.<name>`: a type name and its options, kept as written.
//!
//! Middleware options are not modelled here: the middleware registry in `rampart` decodes them
//! into each type's own config (that is Traefik's plugin contract too). This file only checks
//! the shape Traefik requires: exactly one type key per middleware.

use crate::diag::Diagnostics;
use crate::value::Value;

/// A middleware: its type (as written, e.g. `forwardAuth`) and its options.
#[derive(Debug, Clone, PartialEq)]
pub struct Middleware {
    /// The type name as written (`forwardAuth`, `rateLimit`, `plugin`, …); the registry matches
    /// it case-insensitively.
    pub type_name: String,
    /// The options (`{address: …}`); `Null` when the type is named with nothing after it.
    pub options: Value,
}

/// Validates `http.middlewares.<name>`.
pub(super) fn build(key: &str, value: &Value, d: &mut Diagnostics<'_>) -> Option<Middleware> {
    let Value::Map(map) = value else {
        d.error(
            key,
            format!(
                "expected a map with one middleware type, found {}",
                value.kind()
            ),
        );
        return None;
    };
    let mut entries = map.iter();
    match (entries.next(), entries.next()) {
        (Some((type_name, options)), None) => Some(Middleware {
            type_name: type_name.to_owned(),
            options: options.clone(),
        }),
        (None, _) => {
            d.error(key, "a middleware needs a type (e.g. `forwardAuth:`)");
            None
        }
        (Some(_), Some(_)) => {
            let types: Vec<&str> = map.iter().map(|(k, _)| k).collect();
            d.error(
                key,
                format!(
                    "a middleware has exactly one type, found {}",
                    types.join(", ")
                ),
            );
            None
        }
    }
}
