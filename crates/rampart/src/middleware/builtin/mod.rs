//! The built-in middleware types, registered by their Traefik type names.
//!
//! Each type lives in its own file with its config struct (decoded with Traefik's
//! case-insensitive keys, unknown keys rejected) and its constructor.

use super::Registry;

/// Registers every built-in middleware type in `registry`.
pub(super) fn register_all(registry: &mut Registry) {
    let _ = registry;
}
