//! The built-in middleware types, registered by their Traefik type names.
//!
//! Each type lives in its own file with its config struct (decoded with Traefik's
//! case-insensitive keys, unknown keys rejected) and its constructor.

use super::Registry;

pub mod add_prefix;
pub mod compress;
pub mod content_type;
mod go_regex;
pub mod headers;
pub mod redirect;
pub mod replace_path;
pub mod replace_path_regex;
mod sniff;
pub mod strip_prefix;
pub mod strip_prefix_regex;
mod uri_path;

/// Registers every built-in middleware type in `registry`.
pub(super) fn register_all(registry: &mut Registry) {
    registry.register("addPrefix", add_prefix::build);
    registry.register("compress", compress::build);
    registry.register("contentType", content_type::build);
    registry.register("headers", headers::build);
    registry.register("redirectRegex", redirect::regex::build);
    registry.register("redirectScheme", redirect::scheme::build);
    registry.register("replacePath", replace_path::build);
    registry.register("replacePathRegex", replace_path_regex::build);
    registry.register("stripPrefix", strip_prefix::build);
    registry.register("stripPrefixRegex", strip_prefix_regex::build);
}
