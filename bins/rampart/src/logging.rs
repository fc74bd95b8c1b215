//! rampart's own log (`log.*` in the static configuration), on top of `tracing`.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// How to log, from the static configuration's `log` section.
#[derive(Debug, Clone, Default)]
pub struct LogSettings<'a> {
    /// Traefik's level name (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`, `PANIC`);
    /// Traefik's default is `ERROR`.
    pub level: Option<&'a str>,
    /// `json` or `common` (the default).
    pub format: Option<&'a str>,
    /// Write to this file instead of stderr.
    pub file_path: Option<&'a Path>,
    /// No ANSI colours.
    pub no_color: bool,
}

/// Maps a Traefik level name to a `tracing` filter directive.
pub fn level_directive(level: Option<&str>) -> &'static str {
    match level.map(str::to_ascii_uppercase).as_deref() {
        Some("TRACE") => "trace",
        Some("DEBUG") => "debug",
        Some("INFO") => "info",
        Some("WARN" | "WARNING") => "warn",
        // ERROR is Traefik's default; FATAL and PANIC only log what stops the process.
        _ => "error",
    }
}

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the configured level.
/// Returns an error if the log file cannot be opened; calling it twice is harmless.
pub fn init(settings: &LogSettings<'_>) -> io::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(level_directive(settings.level)));
    let (writer, ansi) = match settings.file_path {
        Some(path) => {
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            (BoxMakeWriter::new(file), false)
        }
        None => (BoxMakeWriter::new(io::stderr), !settings.no_color),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = if settings
        .format
        .is_some_and(|f| f.eq_ignore_ascii_case("json"))
    {
        builder.json().try_init()
    } else {
        builder.with_ansi(ansi).try_init()
    };
    // Already installed (a second `run()` in the same test process): keep the first.
    let _ = result;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traefik_levels_map_to_tracing() {
        assert_eq!(level_directive(None), "error");
        assert_eq!(level_directive(Some("info")), "info");
        assert_eq!(level_directive(Some("DEBUG")), "debug");
        assert_eq!(level_directive(Some("PANIC")), "error");
    }
}
