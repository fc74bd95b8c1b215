//! The file provider: one file, or a directory of them, into one [`DynamicConfig`].
//!
//! Each file is rendered as a Go template, parsed, validated and kept **on its own**:
//!
//! * A bad file is reported (file, line, column, reason) and skipped; the other files still load.
//!   Traefik instead drops the whole directory on the first bad file (`collectFileConfigs`
//!   returns the error), which leaves every router that uses a middleware `@file` broken.
//! * On a reload, a file that became bad keeps serving its last good content (and the error is
//!   reported); so does a file that became empty (an editor truncating it before writing): a
//!   file is removed from the configuration by deleting it.
//! * On a reload, new content that lost the final line break the last good content had is held
//!   back as probably half-written (a half-written file can be valid YAML that silently drops
//!   a router's middlewares); it applies once the file ends with a line break again. Writing a
//!   temporary file and renaming it over the old one avoids half-written states altogether.
//! * Files are taken in name order, depth first (Go's `os.ReadDir` order, as Traefik does); a
//!   name defined in two files keeps its first definition and the later one is reported.
//!
//! Only `.toml`, `.yaml` and `.yml` files are read (case-insensitive); symbolic links to files
//! are read, symbolic links to directories are not followed. Templates are rendered with the
//! environment given to [`FileProvider::new`], never the process's own; template errors point
//! into the file, YAML/TOML errors into the rendered text (the same lines unless the template
//! adds or removes some).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::dynamic_config::{ConfigDiff, DynamicConfig};
use crate::error::{ConfigError, ConfigWarning, Origin};
use crate::format::{Document, Format};
use crate::static_config::{FileProviderConfig, FileSource};
use crate::template;

/// The provider name objects of this provider carry (`name@file`).
pub const PROVIDER: &str = "file";

/// What happened while loading: every error and warning, and the files in use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadReport {
    /// Problems that kept a file (or its new content) out.
    pub errors: Vec<ConfigError>,
    /// Not-yet-supported keys, duplicates, deprecations, kept last good content.
    pub warnings: Vec<ConfigWarning>,
    /// The files whose content is in use, in merge order.
    pub files: Vec<PathBuf>,
}

impl LoadReport {
    /// Whether there is no error and no warning.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.warnings.is_empty()
    }
}

/// One published state of the file provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Increases by one with each published snapshot, starting at 1.
    pub generation: u64,
    /// The merged configuration.
    pub config: DynamicConfig,
    /// What the load found.
    pub report: LoadReport,
    /// What changed since the previous generation (for the first: everything added).
    pub changes: ConfigDiff,
}

/// The file provider and the last good content of each of its files.
#[derive(Debug, Clone)]
pub struct FileProvider {
    source: FileSource,
    env: BTreeMap<String, String>,
    debug_log_generated_template: bool,
    /// Last good content per file.
    good: BTreeMap<PathBuf, Good>,
    previous: Option<DynamicConfig>,
    generation: u64,
}

/// A file's last good text and what it gave.
#[derive(Debug, Clone)]
struct Good {
    text: String,
    config: DynamicConfig,
}

/// One file's outcome.
enum Loaded {
    Good(DynamicConfig, Vec<ConfigWarning>),
    Empty,
    Bad(Vec<ConfigError>),
}

impl FileProvider {
    /// A provider for `config`; `env` is what templates' `env` function reads.
    pub fn new(config: &FileProviderConfig, env: BTreeMap<String, String>) -> Self {
        let mut provider = FileProvider::from_source(config.source.clone(), env);
        provider.debug_log_generated_template = config.debug_log_generated_template;
        provider
    }

    /// A provider reading `source`.
    pub fn from_source(source: FileSource, env: BTreeMap<String, String>) -> Self {
        FileProvider {
            source,
            env,
            debug_log_generated_template: false,
            good: BTreeMap::new(),
            previous: None,
            generation: 0,
        }
    }

    /// Loads once, with no earlier state (what `rampart check` wants).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use rampart_config::provider::FileProvider;
    /// use rampart_config::static_config::FileSource;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("a.yaml"), "http:\n  middlewares:\n    gzip:\n      compress: {}\n").unwrap();
    /// std::fs::write(dir.path().join("b.yaml"), "http: [broken").unwrap();
    /// let snapshot = FileProvider::load_once(FileSource::Directory(dir.path().into()), BTreeMap::new());
    /// assert!(snapshot.config.http.middlewares.contains_key("gzip@file"));
    /// assert_eq!(snapshot.report.errors.len(), 1); // b.yaml, with its line and column
    /// ```
    pub fn load_once(source: FileSource, env: BTreeMap<String, String>) -> Snapshot {
        FileProvider::from_source(source, env).load()
    }

    /// Reads every file again and returns the next snapshot.
    pub fn load(&mut self) -> Snapshot {
        let mut report = LoadReport::default();
        let files = match self.list_files(&mut report.errors) {
            Ok(files) => files,
            Err(e) => {
                // The directory itself is unreadable: keep serving what we had.
                report.errors.push(e);
                self.good.keys().cloned().collect()
            }
        };
        let mut good = BTreeMap::new();
        for path in &files {
            let previous = self.good.remove(path);
            let keep =
                |reason: String, report: &mut LoadReport, good: &mut BTreeMap<PathBuf, Good>| {
                    if let Some(previous) = previous.clone() {
                        report.warnings.push(ConfigWarning::KeptLastGood {
                            origin: Origin::file(path),
                            reason,
                        });
                        good.insert(path.clone(), previous);
                    }
                };
            let text = match read_text(path) {
                Ok(text) => text,
                Err(e) => {
                    keep("it cannot be read".to_owned(), &mut report, &mut good);
                    report.errors.push(e);
                    continue;
                }
            };
            if let Some(previous) = &previous
                && text != previous.text
                && previous.text.ends_with('\n')
                && !text.is_empty()
                && !text.ends_with('\n')
            {
                keep(
                    "it lost its final line break, so it is probably still being written; \
                     the new content applies once the file ends with a line break"
                        .to_owned(),
                    &mut report,
                    &mut good,
                );
                continue;
            }
            match self.parse(path, &text) {
                Loaded::Good(config, warnings) => {
                    report.warnings.extend(warnings);
                    good.insert(path.clone(), Good { text, config });
                }
                Loaded::Empty if previous.as_ref().is_some_and(|p| !p.config.is_empty()) => keep(
                    "the file is empty now (delete it to remove its configuration)".to_owned(),
                    &mut report,
                    &mut good,
                ),
                Loaded::Empty => {
                    good.insert(
                        path.clone(),
                        Good {
                            text,
                            config: DynamicConfig::default(),
                        },
                    );
                }
                Loaded::Bad(errors) => {
                    keep(
                        format!("its new content has {} error(s)", errors.len()),
                        &mut report,
                        &mut good,
                    );
                    report.errors.extend(errors);
                }
            }
        }
        let mut merged = DynamicConfig::default();
        for path in &files {
            if let Some(g) = good.get(path) {
                report
                    .warnings
                    .extend(merged.merge_first_wins(g.config.clone()));
                report.files.push(path.clone());
            }
        }
        self.good = good;
        self.generation += 1;
        let changes = DynamicConfig::diff(
            self.previous.as_ref().unwrap_or(&DynamicConfig::default()),
            &merged,
        );
        self.previous = Some(merged.clone());
        Snapshot {
            generation: self.generation,
            config: merged,
            report,
            changes,
        }
    }

    /// The files to read, in Traefik's order.
    fn list_files(&self, errors: &mut Vec<ConfigError>) -> Result<Vec<PathBuf>, ConfigError> {
        match &self.source {
            FileSource::File(path) => {
                if Format::from_path(path).is_none() {
                    return Err(ConfigError::Read {
                        origin: Origin::file(path),
                        reason: "unsupported file extension (expected .toml, .yaml or .yml)"
                            .to_owned(),
                    });
                }
                Ok(vec![path.clone()])
            }
            FileSource::Directory(dir) => {
                let mut out = Vec::new();
                collect(dir, &mut out, errors).map_err(|e| ConfigError::Read {
                    origin: Origin::file(dir),
                    reason: format!("cannot read the directory: {e}"),
                })?;
                Ok(out)
            }
        }
    }

    /// Renders, parses and validates one file's text.
    fn parse(&self, path: &Path, text: &str) -> Loaded {
        let rendered = match template::render(text, &self.env) {
            Ok(r) => r,
            Err(e) => {
                return Loaded::Bad(vec![ConfigError::Template {
                    origin: Origin::file(path).at(e.line(), e.column()),
                    reason: e.message().to_owned(),
                }]);
            }
        };
        if self.debug_log_generated_template {
            // Opt-in (`debugLogGeneratedTemplate`), as in Traefik: the text may hold secrets.
            tracing::debug!(file = %path.display(), template = %text, rendered = %rendered, "rendered a configuration template");
        }
        let format = Format::from_path(path).unwrap_or(Format::Yaml);
        let doc = match Document::parse(&rendered, format, path) {
            Ok(doc) => doc,
            Err(e) => return Loaded::Bad(vec![e]),
        };
        if matches!(doc.value(), crate::Value::Null)
            || doc.value().as_map().is_some_and(crate::Map::is_empty)
        {
            return Loaded::Empty;
        }
        match DynamicConfig::from_document(&doc, PROVIDER) {
            Ok((config, warnings)) => Loaded::Good(config, warnings),
            Err(errors) => Loaded::Bad(errors.0),
        }
    }

    /// Where this provider reads.
    pub fn source(&self) -> &FileSource {
        &self.source
    }

    /// The last loaded configuration.
    pub fn current(&self) -> Option<&DynamicConfig> {
        self.previous.as_ref()
    }

    pub(super) fn set_generation(&mut self, generation: u64) {
        self.generation = generation;
    }
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    let read_error = |reason: String| ConfigError::Read {
        origin: Origin::file(path),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| read_error(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| read_error("the file is not UTF-8 text".to_owned()))
}

/// Depth-first, name-ordered walk of `dir`, keeping supported files. An unreadable
/// subdirectory is reported and skipped.
fn collect(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    errors: &mut Vec<ConfigError>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            if let Err(e) = collect(&path, out, errors) {
                errors.push(ConfigError::Read {
                    origin: Origin::file(&path),
                    reason: format!("cannot read the directory: {e}"),
                });
            }
        } else if Format::from_path(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}
