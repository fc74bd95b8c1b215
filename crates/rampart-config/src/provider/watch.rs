//! Watching the file provider's files: debounced file-system events trigger a reload, and each
//! reload that changes anything is published on a `tokio::sync::watch` channel.
//!
//! The directory is watched (not the files), so editors that save by writing a temporary file
//! and renaming it over the original are seen, and so are new and deleted files. Events are
//! debounced for the providers' throttle duration (Traefik's `providersThrottleDuration`), so a
//! burst of writes gives one reload; a file caught half-written fails to parse and keeps its
//! last good content until the rest arrives. The work happens on the debouncer's thread; no
//! async runtime is needed.

use std::time::Duration;

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::watch;

use super::file::{FileProvider, Snapshot};
use super::stamp::file_stamps;
use crate::error::{ConfigError, Origin};
use crate::static_config::FileSource;

/// A running watch. Dropping it stops watching; receivers then see the channel close.
pub struct FileWatcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    receiver: watch::Receiver<Snapshot>,
}

impl std::fmt::Debug for FileWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWatcher")
            .field("generation", &self.receiver.borrow().generation)
            .finish_non_exhaustive()
    }
}

impl FileWatcher {
    /// A new receiver of snapshots (the current one is already marked seen).
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.receiver.clone()
    }

    /// Stops watching and waits for the watcher thread to finish.
    pub fn stop(self) {
        self.debouncer.stop();
    }
}

impl FileProvider {
    /// Loads now, publishes that as generation 1, then reloads after each burst of changes
    /// (quiet for `debounce`) and publishes every result that differs from the last one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::collections::BTreeMap;
    /// use std::time::Duration;
    /// use rampart_config::provider::FileProvider;
    /// use rampart_config::static_config::FileSource;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let provider = FileProvider::from_source(FileSource::Directory(dir.path().into()), BTreeMap::new());
    /// let watcher = provider.watch(Duration::from_millis(50)).unwrap();
    /// let mut rx = watcher.subscribe();
    /// assert_eq!(rx.borrow().generation, 1);
    /// std::fs::write(dir.path().join("m.yaml"), "http:\n  middlewares:\n    gzip:\n      compress: {}\n").unwrap();
    /// tokio::time::timeout(Duration::from_secs(30), rx.changed()).await.unwrap().unwrap();
    /// assert!(rx.borrow().config.http.middlewares.contains_key("gzip@file"));
    /// # }
    /// ```
    pub fn watch(mut self, debounce: Duration) -> Result<FileWatcher, ConfigError> {
        let first = self.load();
        let mut stamps = file_stamps(&first.config);
        let (sender, receiver) = watch::channel(first);
        let (target, mode, only) = match self.source() {
            FileSource::Directory(dir) => (dir.clone(), RecursiveMode::Recursive, None),
            FileSource::File(file) => {
                let parent = match file.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                    _ => ".".into(),
                };
                (
                    parent,
                    RecursiveMode::NonRecursive,
                    file.file_name().map(ToOwned::to_owned),
                )
            }
        };
        let handler = move |result: DebounceEventResult| {
            let relevant = match &result {
                Ok(events) => events.iter().any(|e| match &only {
                    None => true,
                    Some(name) => e
                        .paths
                        .iter()
                        .any(|p| p.file_name() == Some(name.as_os_str())),
                }),
                // Errors (e.g. an overflowed event queue): reload to be safe.
                Err(_) => true,
            };
            if !relevant {
                return;
            }
            let mut next = self.load();
            // A certificate renewed in place changes no path, only the file: compare contents.
            let next_stamps = file_stamps(&next.config);
            let unchanged = {
                let current = sender.borrow();
                current.config == next.config
                    && current.report == next.report
                    && stamps == next_stamps
            };
            stamps = next_stamps;
            if !unchanged {
                // `load` counted a generation for this attempt; published generations are
                // consecutive, so renumber from the last published one.
                next.generation = sender.borrow().generation + 1;
                self.set_generation(next.generation);
                sender.send_replace(next);
            }
        };
        let watch_error = |e: &dyn std::fmt::Display| ConfigError::Read {
            origin: Origin::file(&target),
            reason: format!("cannot watch: {e}"),
        };
        let mut debouncer = new_debouncer(debounce, None, handler).map_err(|e| watch_error(&e))?;
        debouncer
            .watch(&target, mode)
            .map_err(|e| watch_error(&e))?;
        Ok(FileWatcher {
            debouncer,
            receiver,
        })
    }
}
