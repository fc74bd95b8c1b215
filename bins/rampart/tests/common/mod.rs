//! The in-process proxy launcher every binary-level test uses.
//!
//! `TestProxy::start(static_yaml, &[("rules.yaml", dynamic_yaml)])` writes the configuration
//! into a temporary directory (the static file's `{dir}` placeholder is replaced by that
//! directory, `{port}` placeholders are not needed: give entrypoints `127.0.0.1:0`), starts the
//! whole proxy with `rampart_proxy::start`, and tells where each entrypoint listens.

#![allow(dead_code, reason = "each test binary uses part of the launcher")]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rampart::middleware::Registry;
use rampart_proxy::{Options, Running};

/// A running proxy with its configuration directory.
pub(crate) struct TestProxy {
    /// The running proxy.
    pub(crate) running: Option<Running>,
    /// The temporary directory holding the configuration (`{dir}`).
    pub(crate) dir: tempfile::TempDir,
}

impl TestProxy {
    /// Starts the proxy on `static_yaml` (with `{dir}` replaced), after writing each
    /// `(relative path, content)` of `files` into the directory.
    pub(crate) async fn start(static_yaml: &str, files: &[(&str, &str)]) -> TestProxy {
        Self::start_with(
            static_yaml,
            files,
            BTreeMap::new(),
            Registry::with_builtins(),
        )
        .await
    }

    /// As [`start`](Self::start), with environment variables and a registry.
    pub(crate) async fn start_with(
        static_yaml: &str,
        files: &[(&str, &str)],
        env: BTreeMap<String, String>,
        registry: Registry,
    ) -> TestProxy {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, content) in files {
            write(dir.path(), path, content);
        }
        let static_path = dir.path().join("rampart.yaml");
        let rendered = static_yaml.replace("{dir}", &dir.path().display().to_string());
        std::fs::write(&static_path, rendered).expect("write static config");
        let options = Options {
            args: vec![format!("--configFile={}", static_path.display())],
            env,
            registry,
            install_logging: false,
        };
        let running = rampart_proxy::start(options).await.expect("proxy starts");
        TestProxy {
            running: Some(running),
            dir,
        }
    }

    /// Where entrypoint `name` listens.
    pub(crate) fn addr(&self, name: &str) -> SocketAddr {
        self.running()
            .addr(name)
            .unwrap_or_else(|| panic!("no entrypoint {name}"))
    }

    /// `http://<entrypoint address>`.
    pub(crate) fn url(&self, name: &str) -> String {
        format!("http://{}", self.addr(name))
    }

    /// The running proxy.
    pub(crate) fn running(&self) -> &Running {
        self.running.as_ref().expect("proxy running")
    }

    /// Writes (or replaces, atomically by rename) a file of the configuration directory.
    pub(crate) fn write(&self, path: &str, content: &str) {
        write(self.dir.path(), path, content);
    }

    /// The configuration directory.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// Waits until the proxy serves a configuration generation newer than `after`.
    pub(crate) async fn wait_reload(&self, after: u64) -> u64 {
        let mut rx = self.running().live().generation();
        let wait = async {
            loop {
                let now = *rx.borrow_and_update();
                if now > after {
                    return now;
                }
                rx.changed().await.expect("proxy alive");
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .expect("a reload within 30 s")
    }

    /// The generation being served.
    pub(crate) fn generation(&self) -> u64 {
        *self.running().live().generation().borrow()
    }

    /// Stops the proxy gracefully.
    pub(crate) async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    // Write then rename, as editors and config management do: the watcher never sees half.
    let tmp = full.with_extension("tmp~");
    std::fs::write(&tmp, content).expect("write file");
    std::fs::rename(&tmp, &full).expect("rename file");
}

/// A hyper-util HTTP/1.1 client.
pub(crate) fn client() -> hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
> {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// GETs `url` with `headers`; returns status, headers and body.
pub(crate) async fn get(
    url: &str,
    headers: &[(&str, &str)],
) -> (http::StatusCode, http::HeaderMap, String) {
    use http_body_util::BodyExt;
    let mut req = http::Request::get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("request");
    let res = client().request(req).await.expect("response");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}
