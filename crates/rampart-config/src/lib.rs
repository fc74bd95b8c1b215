//! Traefik v3 configuration for rampart: files (and flags, and environment variables) in,
//! validated configuration snapshots out.
//!
//! This crate knows nobody: `rampart` (routing, middlewares, proxying) and `rampart-tls`
//! consume what it produces. Configuration moves one way, through three forms:
//!
//! ```text
//!  traefik.yaml ─┐
//!  --flags ──────┼─ sources: Traefik's precedence ─→ Value ─→ raw mirror ─→ StaticConfig
//!  TRAEFIK_* ────┘  (StaticLoader)                    (one tree, any source)  (defaults applied,
//!                                                                              cross-checked)
//!  rules/*.yaml ─→ Go template ─→ Document ─→ raw mirror ─→ DynamicConfig ─┐  one per file,
//!  rules/*.toml    (template)     (format)                  (name@file)     │  last good kept
//!                                                                           ↓
//!                                        FileProvider: merged Snapshot { generation, config,
//!                                        report, changes } ─→ tokio::sync::watch channel
//! ```
//!
//! * [`Value`] is the format-neutral tree every source is decoded into, and [`from_value`]
//!   fills typed configs from it with Traefik's decoding rules (case-insensitive keys, scalars
//!   parsed from strings, comma lists, `[0]` indexes). Middleware options reach the middleware
//!   registry as `Value`s.
//! * [`StaticConfig::load`] reads the static configuration (see [`StaticLoader`] for Traefik's
//!   precedence between a file, flags and variables).
//! * [`provider::FileProvider`] reads `providers.file`: [`load_once`](provider::FileProvider::load_once)
//!   for `rampart check`, [`watch`](provider::FileProvider::watch) for the proxy.
//! * Every problem is a [`ConfigError`] (an error: the piece it belongs to is not used) or a
//!   [`ConfigWarning`] (not yet supported, deprecated, duplicate, ignored, kept last good), with
//!   file, line, column and key path, collected rather than fail-fast.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use rampart_config::StaticConfig;
//! use rampart_config::provider::FileProvider;
//!
//! let args: Vec<String> = std::env::args().skip(1).collect();
//! let env: BTreeMap<String, String> = std::env::vars().collect();
//! let loaded = StaticConfig::load(&args, env.clone()).map_err(|errors| errors.to_string())?;
//! for warning in &loaded.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! if let Some(file) = &loaded.config.providers.file {
//!     let provider = FileProvider::new(file, env);
//!     let watcher = provider.watch(loaded.config.providers.throttle_duration.to_std().unwrap_or_default())
//!         .map_err(|e| e.to_string())?;
//!     let snapshots = watcher.subscribe();
//!     println!("{} routers", snapshots.borrow().config.http.routers.len());
//! }
//! # Ok::<(), String>(())
//! ```
//!
//! # Where rampart deliberately differs from Traefik
//!
//! * **A bad dynamic file is skipped, the others load.** Traefik drops the whole directory on
//!   the first bad file, so one typo disables every `@file` middleware.
//! * **Reloads keep the last good content** of a file that became invalid, empty, or lost its
//!   final line break (probably half-written), instead of applying it.
//! * **Unknown keys are errors everywhere** (Traefik ignores unknown top-level static keys), and
//!   keys rampart does not implement yet are reported as such, never silently ignored.
//! * **A `--configFile` that does not exist is an error** (Traefik silently falls back).
//! * **Flags:** a repeated flag collects a list (an error for a single-valued key; Traefik keeps
//!   the last), and `--key value` takes the value unless it looks like a flag.
//! * **TLS:** an unknown `minVersion`/`maxVersion` is an error (Traefik ignores it); a
//!   certificate field is inline PEM when it contains `-----BEGIN`, else a path.
//! * **Templates:** `define`/`template`/`block` and sprig's clock and random functions are not
//!   available.

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
pub use dynamic_config::{ConfigDiff, DynamicConfig, QualifiedName};
pub use error::{ConfigError, ConfigErrors, ConfigWarning, Origin, Source};
pub use format::{Document, Format};
pub use provider::{FileProvider, LoadReport, Snapshot};
pub use sources::{ENV_PREFIX, StaticLoader};
pub use static_config::{Address, EntryPoint, LoadedStatic, Protocol, StaticConfig, StaticSource};
pub use types::{Domain, FileOrContent, ForwardingTimeouts, RuleSyntax, parse_ip_range};
pub use value::{Map, Value};
