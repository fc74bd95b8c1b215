//! Traefik v3 configuration for rampart: one job, files (and flags, and environment variables)
//! in, validated configuration snapshots out.
//!
//! This crate knows nobody: `rampart` (routing, middlewares, proxying) and `rampart-tls`
//! consume what it produces.
//!
//! * [`Value`] — the format-neutral tree every source (YAML, TOML, flags, env) is decoded into,
//!   and [`from_value`], which fills typed configs from it with Traefik's case-insensitive keys.

mod de;
mod diag;
mod duration;
pub mod dynamic_config;
mod error;
mod format;
pub mod provider;
mod raw;
mod sources;
pub mod static_config;
pub mod template;
mod types;
mod value;

pub use de::{DeError, from_value};
pub use duration::{Duration, DurationError};
pub use error::{ConfigError, ConfigErrors, ConfigWarning, Origin, Source};
pub use format::{Document, Format};
pub use sources::{ENV_PREFIX, StaticLoader};
pub use static_config::{Address, EntryPoint, LoadedStatic, Protocol, StaticConfig, StaticSource};
pub use types::{Domain, FileOrContent, ForwardingTimeouts, RuleSyntax, parse_ip_range};
pub use value::{Map, Value};
