//! Where the static configuration comes from, and which source wins.
//!
//! Traefik's precedence (`cmd/traefik`: the loaders `FileLoader`, `FlagLoader`, `EnvLoader` run in
//! that order and the first that loads something wins; the others are **not** merged in):
//!
//! 1. **A configuration file**, if one is found: the one `--configFile` names, else the first of
//!    `/etc/traefik/traefik.{toml,yaml,yml}`, `$XDG_CONFIG_HOME/traefik.*`,
//!    `$HOME/.config/traefik.*`, `./traefik.*`. Every other flag and every `TRAEFIK_*` variable
//!    is then ignored (rampart says so in a warning for each; Traefik is silent).
//! 2. **Command-line flags**, if there are any arguments at all. `TRAEFIK_*` variables are then
//!    ignored.
//! 3. **`TRAEFIK_*` environment variables**, if there are any (see [`env`](self) rules).
//! 4. **Defaults** otherwise.
//!
//! One deliberate difference: Traefik quietly moves on when the file `--configFile` names does
//! not exist; rampart reports it as an error, since running with some other configuration than
//! the one asked for is never what the operator meant.
//!
//! Flags and variables need no list of keys: they build a [`Value`] tree decoded exactly like a
//! file, so a typo is reported as an unknown key with its path.

mod env;
mod finder;
mod flags;
mod tree;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use env::PREFIX as ENV_PREFIX;

use crate::error::{ConfigError, ConfigErrors, ConfigWarning, Origin, Source};
use crate::format::{Document, Format};
use crate::static_config::{LoadedStatic, StaticConfig, StaticSource};
use crate::value::Value;

/// Loads the static configuration with Traefik's sources and precedence (module docs).
///
/// ```
/// use rampart_config::StaticLoader;
///
/// // Tests pass no search paths, so no machine-wide file is picked up.
/// let loader = StaticLoader::new().search_paths(Vec::new());
/// let args = vec!["--entrypoints.web.address=:8080".to_owned(), "--api".to_owned()];
/// let loaded = loader.load(&args, [("TRAEFIK_LOG_LEVEL".to_owned(), "DEBUG".to_owned())]).unwrap();
/// assert_eq!(loaded.source.to_string(), "command-line flags");
/// assert_eq!(loaded.config.entry_points["web"].address.port, 8080);
/// assert!(loaded.config.api.is_some());
/// // Flags won, so the variable was ignored, and rampart says so.
/// assert!(loaded.warnings[0].to_string().contains("TRAEFIK_LOG_LEVEL"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticLoader {
    /// `None`: Traefik's list.
    search_paths: Option<Vec<PathBuf>>,
}

impl StaticLoader {
    /// A loader that searches Traefik's default locations.
    pub fn new() -> Self {
        StaticLoader::default()
    }

    /// Searches `paths` (in order) instead of Traefik's default locations.
    #[must_use]
    pub fn search_paths(mut self, paths: Vec<PathBuf>) -> Self {
        self.search_paths = Some(paths);
        self
    }

    /// Loads from `args` (the command line without the program name and sub-command) and
    /// `env` (the process environment, passed in so that tests control it).
    pub fn load(
        &self,
        args: &[String],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<LoadedStatic, ConfigErrors> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let env_vars = env::relevant(&env);
        let flags = flags::parse(args).map_err(ConfigErrors)?;

        if let Some(path) = self.find_file(flags.config_file.as_deref(), &env)? {
            let mut loaded = load_file(&path)?;
            for flag in &flags.settings {
                loaded
                    .warnings
                    .push(ignored(Source::Flags, flag, "a configuration file is used"));
            }
            for (name, _) in &env_vars {
                loaded
                    .warnings
                    .push(ignored(Source::Env, name, "a configuration file is used"));
            }
            return Ok(loaded);
        }
        if !args.is_empty() {
            let (config, mut warnings) =
                StaticConfig::from_value(&Value::Map(flags.tree), &|_| Origin::new(Source::Flags))?;
            for (name, _) in &env_vars {
                warnings.push(ignored(Source::Env, name, "command-line flags are given"));
            }
            return Ok(LoadedStatic {
                config,
                source: StaticSource::Flags,
                warnings,
            });
        }
        if !env_vars.is_empty() {
            let tree = env::parse(&env_vars).map_err(ConfigErrors)?;
            let (config, warnings) =
                StaticConfig::from_value(&Value::Map(tree), &|_| Origin::new(Source::Env))
                    .map_err(|errors| {
                        ConfigErrors(errors.into_iter().map(explain_env_error).collect())
                    })?;
            return Ok(LoadedStatic {
                config,
                source: StaticSource::Env,
                warnings,
            });
        }
        let (config, warnings) =
            StaticConfig::from_value(&Value::Null, &|_| Origin::new(Source::Builtin))?;
        Ok(LoadedStatic {
            config,
            source: StaticSource::Defaults,
            warnings,
        })
    }

    fn find_file(
        &self,
        explicit: Option<&str>,
        env: &[(String, String)],
    ) -> Result<Option<PathBuf>, ConfigError> {
        if let Some(path) = explicit.map(str::trim).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            return match finder::first_existing(std::slice::from_ref(&path)) {
                Ok(Some(found)) => Ok(Some(found)),
                Ok(None) => Err(ConfigError::Read {
                    origin: Origin::file(&path),
                    reason: "the file given with --configFile does not exist".to_owned(),
                }),
                Err(e) => Err(read_error(&path, &e)),
            };
        }
        let paths = if let Some(paths) = &self.search_paths {
            paths.clone()
        } else {
            let env: BTreeMap<String, String> = env.iter().cloned().collect();
            finder::traefik_search_paths(&env)
        };
        finder::first_existing(&paths).map_err(|e| ConfigError::Read {
            origin: Origin::new(Source::Builtin),
            reason: format!("searching for a configuration file: {e}"),
        })
    }
}

impl StaticConfig {
    /// Loads with Traefik's sources and precedence, searching Traefik's default file locations
    /// (see [`StaticLoader`]).
    pub fn load(
        args: &[String],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<LoadedStatic, ConfigErrors> {
        StaticLoader::new().load(args, env)
    }
}

fn read_error(path: &std::path::Path, e: &std::io::Error) -> ConfigError {
    ConfigError::Read {
        origin: Origin::file(path),
        reason: e.to_string(),
    }
}

/// Reads and validates one static configuration file.
pub(crate) fn load_file(path: &std::path::Path) -> Result<LoadedStatic, ConfigErrors> {
    let Some(format) = Format::from_path(path) else {
        return Err(ConfigError::Read {
            origin: Origin::file(path),
            reason: "unsupported file extension (expected .toml, .yaml or .yml)".to_owned(),
        }
        .into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| read_error(path, &e))?;
    let doc = Document::parse(&text, format, path)?;
    let (config, warnings) = StaticConfig::from_document(&doc)?;
    Ok(LoadedStatic {
        config,
        source: StaticSource::File(path.to_owned()),
        warnings,
    })
}

fn ignored(source: Source, what: &str, reason: &str) -> ConfigWarning {
    ConfigWarning::Ignored {
        origin: Origin::new(source),
        what: format!("`{what}`"),
        reason: format!("ignored because {reason} (Traefik reads only one source)"),
    }
}

/// Names the variable behind an environment error, and explains `_` when a key is unknown.
fn explain_env_error(e: ConfigError) -> ConfigError {
    match e {
        ConfigError::Invalid {
            origin,
            key,
            reason,
        } => {
            let hint = if reason.contains("unknown") {
                "; every `_` in a variable name separates keys, so names containing `_` cannot be set through the environment"
            } else {
                ""
            };
            let reason = format!("{reason} (from {}…{hint})", env::variable_name(&key));
            ConfigError::Invalid {
                origin,
                key,
                reason,
            }
        }
        other => other,
    }
}
