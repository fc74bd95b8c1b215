//! Reloads with a real watched directory: change, break (invalid YAML, half-written, empty),
//! fix, remove, replace by rename. Every wait is bounded.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use rampart_config::ConfigWarning;
use rampart_config::provider::{FileProvider, FileWatcher, Snapshot};
use rampart_config::static_config::FileSource;
use tokio::sync::watch;

/// Quiet time before a reload; short so tests are quick, the waits below are generous.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// The longest a reload may take on a loaded machine before the test fails.
const WAIT: Duration = Duration::from_secs(30);

fn router_file(rule_path: &str) -> String {
    format!(
        "http:\n  routers:\n    app:\n      rule: Path(`{rule_path}`)\n      middlewares: [auth]\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:8080\n"
    )
}

const AUTH: &str = "http:\n  middlewares:\n    auth:\n      forwardAuth:\n        address: http://127.0.0.1:9000/verify\n";

fn start(dir: &Path) -> (FileWatcher, watch::Receiver<Snapshot>) {
    let provider =
        FileProvider::from_source(FileSource::Directory(dir.to_owned()), BTreeMap::new());
    let watcher = provider.watch(DEBOUNCE).unwrap();
    let rx = watcher.subscribe();
    (watcher, rx)
}

/// The next published snapshot.
async fn next(rx: &mut watch::Receiver<Snapshot>) -> Snapshot {
    tokio::time::timeout(WAIT, rx.changed())
        .await
        .expect("no new snapshot in time")
        .expect("watcher stopped");
    let s = rx.borrow_and_update().clone();
    // Whatever state a reload lands in, the router is never served without its middleware.
    if let Some(router) = s.config.http.routers.get("app@file") {
        assert_eq!(
            router.middlewares.len(),
            1,
            "router without its auth middleware: {s:?}"
        );
    }
    s
}

/// The first snapshot that satisfies `done` (a slow machine may split one write in two
/// reloads; every intermediate snapshot is still checked by `next`).
async fn until(rx: &mut watch::Receiver<Snapshot>, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    loop {
        let s = next(rx).await;
        if done(&s) {
            return s;
        }
    }
}

fn rule(s: &Snapshot) -> &str {
    &s.config.http.routers["app@file"].rule
}

fn kept_last_good(s: &Snapshot, file: &str) -> bool {
    s.report.warnings.iter().any(|w| {
        matches!(w, ConfigWarning::KeptLastGood { origin, .. } if origin.path().is_some_and(|p| p.ends_with(file)))
    })
}

#[tokio::test]
async fn a_broken_file_keeps_its_last_good_content_until_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.yaml");
    std::fs::write(&app, router_file("/v1")).unwrap();
    std::fs::write(dir.path().join("auth.yaml"), AUTH).unwrap();
    let (_watcher, mut rx) = start(dir.path());
    let first = rx.borrow_and_update().clone();
    assert_eq!(first.generation, 1);
    assert_eq!(rule(&first), "Path(`/v1`)");
    assert_eq!(first.changes.routers.added, ["app@file"]);

    // A change: a new generation, and the diff names the router.
    std::fs::write(&app, router_file("/v2")).unwrap();
    let changed = until(&mut rx, |s| rule(s) == "Path(`/v2`)").await;
    assert!(changed.generation >= 2);
    assert_eq!(changed.changes.to_string(), "routers ~app@file");

    // Invalid YAML: the error is reported, the router keeps its last good content (and its
    // auth middleware: never a state where it is mounted without it).
    std::fs::write(&app, "http:\n  routers:\n    app: [unclosed\n").unwrap();
    let broken = until(&mut rx, |s| !s.report.errors.is_empty()).await;
    assert_eq!(broken.report.errors.len(), 1, "{:?}", broken.report.errors);
    assert!(
        broken.report.errors[0].to_string().contains("app.yaml:"),
        "{}",
        broken.report.errors[0]
    );
    assert!(kept_last_good(&broken, "app.yaml"));
    assert_eq!(rule(&broken), "Path(`/v2`)");
    assert_eq!(
        broken.config.http.routers["app@file"].middlewares[0].as_str(),
        "auth@file"
    );
    assert!(broken.changes.is_empty());

    // Fixed: applied.
    std::fs::write(&app, router_file("/v3")).unwrap();
    let fixed = until(&mut rx, |s| rule(s) == "Path(`/v3`)").await;
    assert!(fixed.report.errors.is_empty(), "{:?}", fixed.report.errors);
    assert_eq!(rule(&fixed), "Path(`/v3`)");
    assert_eq!(fixed.generation, broken.generation + 1);
}

#[tokio::test]
async fn an_emptied_file_keeps_its_content_and_a_removed_file_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.yaml");
    let auth = dir.path().join("auth.yaml");
    std::fs::write(&app, router_file("/v1")).unwrap();
    std::fs::write(&auth, AUTH).unwrap();
    let (_watcher, mut rx) = start(dir.path());
    rx.borrow_and_update();

    std::fs::write(&auth, "").unwrap();
    let emptied = until(&mut rx, |s| kept_last_good(s, "auth.yaml")).await;
    assert!(
        kept_last_good(&emptied, "auth.yaml"),
        "{:?}",
        emptied.report
    );
    assert!(emptied.config.http.middlewares.contains_key("auth@file"));

    std::fs::remove_file(&auth).unwrap();
    let removed = until(&mut rx, |s| {
        !s.config.http.middlewares.contains_key("auth@file")
    })
    .await;
    assert!(!removed.config.http.middlewares.contains_key("auth@file"));
    assert_eq!(removed.changes.middlewares.removed, ["auth@file"]);
    assert!(removed.report.is_clean(), "{:?}", removed.report);
}

#[tokio::test]
async fn a_half_written_file_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.yaml");
    std::fs::write(&app, router_file("/v1")).unwrap();
    let (_watcher, mut rx) = start(dir.path());
    rx.borrow_and_update();

    // An editor truncates, writes half, pauses, then writes the rest. This half is valid YAML
    // and a valid router that lost its service definition and would lose anything after it:
    // it must not be applied.
    let full = router_file("/v2");
    let half = full.len() / 2;
    assert!(!full[..half].ends_with('\n'));
    let mut f = std::fs::File::create(&app).unwrap();
    f.write_all(&full.as_bytes()[..half]).unwrap();
    f.sync_all().unwrap();
    let partial = until(&mut rx, |s| {
        s.report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("probably still being written"))
    })
    .await;
    assert!(kept_last_good(&partial, "app.yaml"), "{:?}", partial.report);
    assert_eq!(rule(&partial), "Path(`/v1`)");
    assert!(partial.config.http.services.contains_key("app@file"));
    f.write_all(&full.as_bytes()[half..]).unwrap();
    f.sync_all().unwrap();
    drop(f);
    let done = until(&mut rx, |s| rule(s) == "Path(`/v2`)").await;
    assert!(done.report.is_clean(), "{:?}", done.report);
    assert_eq!(rule(&done), "Path(`/v2`)");

    // Half of a file cut at a line break that is not valid: reported, last good kept.
    std::fs::write(
        &app,
        "http:\n  routers:\n    app:\n      middlewares: [auth,\n",
    )
    .unwrap();
    let invalid = until(&mut rx, |s| !s.report.errors.is_empty()).await;
    assert_eq!(invalid.report.errors.len(), 1, "{:?}", invalid.report);
    assert_eq!(rule(&invalid), "Path(`/v2`)");
}

#[tokio::test]
async fn an_editor_replacing_the_file_by_rename_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.yaml");
    std::fs::write(&app, router_file("/v1")).unwrap();
    let (_watcher, mut rx) = start(dir.path());
    rx.borrow_and_update();
    let tmp = dir.path().join(".app.yaml.swp");
    std::fs::write(&tmp, router_file("/renamed")).unwrap();
    std::fs::rename(&tmp, &app).unwrap();
    let s = until(&mut rx, |s| rule(s) == "Path(`/renamed`)").await;
    assert!(s.report.is_clean(), "{:?}", s.report);
}

#[tokio::test]
async fn a_file_broken_at_start_is_applied_once_fixed() {
    // traefik/traefik#6020: a file provider that started on a broken file never recovered.
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.yaml");
    std::fs::write(&app, "http: [").unwrap();
    let (_watcher, mut rx) = start(dir.path());
    let first = rx.borrow_and_update().clone();
    assert_eq!(first.report.errors.len(), 1);
    assert!(first.config.is_empty());
    std::fs::write(&app, router_file("/ok")).unwrap();
    let fixed = until(&mut rx, |s| s.config.http.routers.contains_key("app@file")).await;
    assert_eq!(rule(&fixed), "Path(`/ok`)");
    assert!(fixed.report.errors.is_empty());
}

#[tokio::test]
async fn a_new_file_in_a_new_subdirectory_is_loaded_and_a_watched_file_source_works() {
    let dir = tempfile::tempdir().unwrap();
    let (_watcher, mut rx) = start(dir.path());
    rx.borrow_and_update();
    let sub = dir.path().join("nested");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("auth.yml"), AUTH).unwrap();
    let s = until(&mut rx, |s| !s.config.http.middlewares.is_empty()).await;
    assert!(s.config.http.middlewares.contains_key("auth@file"));

    let file = dir.path().join("single.yaml");
    std::fs::write(&file, AUTH).unwrap();
    let watcher = FileProvider::from_source(FileSource::File(file.clone()), BTreeMap::new())
        .watch(DEBOUNCE)
        .unwrap();
    let mut rx = watcher.subscribe();
    assert!(
        rx.borrow_and_update()
            .config
            .http
            .middlewares
            .contains_key("auth@file")
    );
    std::fs::write(
        &file,
        "http:\n  middlewares:\n    other:\n      compress: {}\n",
    )
    .unwrap();
    let s = until(&mut rx, |s| {
        s.config.http.middlewares.contains_key("other@file")
    })
    .await;
    assert!(s.config.http.middlewares.contains_key("other@file"));
    watcher.stop();
}
