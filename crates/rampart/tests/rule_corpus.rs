//! The rule corpus: every JSON file in `fixtures/rules/` is a list of cases, each naming the
//! Traefik test (or doc, or derivation) it comes from. Kinds:
//!
//! * `match` — a rule, a request (`url` + method, headers, peer; or a `raw` HTTP/1.1 head) and
//!   whether the router is selected. The request goes through the real request stage
//!   (`normalize`) first; a request refused there (400) selects nothing.
//! * `invalid` / `valid` — the rule must be rejected / accepted.
//! * `warning` — the rule compiles with a warning containing `contains`.
//! * `domains` — Traefik's `ParseDomains` result, or an error.
//! * `priority` / `default_priority` — which router wins; the default priority of a rule.
//! * `path` — the entrypoint path pipeline: forwarded (`escaped`), `decoded`, `routing`, or 400.
//! * `host` — the canonical host of a `Host` value or a URL.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use rampart::ConnInfo;
use rampart::request::{PathOptions, normalize, normalize_path};
use rampart::rule::{Rule, RuleSyntax, parse_domains};
use rampart::table::{Router, RoutingTable, TableOptions};
use serde_json::Value;

fn corpus() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let rows: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        cases.extend(rows.into_iter().map(|r| (name.clone(), r)));
    }
    cases
}

fn s<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {row}"))
}

fn syntax(row: &Value) -> RuleSyntax {
    match row["syntax"].as_str() {
        Some("v2") => RuleSyntax::V2,
        _ => RuleSyntax::V3,
    }
}

/// Builds the request a client would send; `None` when no valid HTTP request has that shape.
fn request(spec: &Value) -> Option<http::Request<()>> {
    let mut builder = http::Request::builder();
    if let Some(raw) = spec["raw"].as_str() {
        let mut lines = raw.split("\r\n");
        let mut first = lines.next()?.split(' ');
        builder = builder.method(first.next()?).uri(first.next()?);
        if first.next() == Some("HTTP/1.0") {
            builder = builder.version(http::Version::HTTP_10);
        }
        for line in lines.filter(|l| !l.is_empty()) {
            let (k, v) = line.split_once(':')?;
            builder = builder.header(k.trim(), v.trim());
        }
    } else {
        let uri: http::Uri = s(spec, "url").parse().ok()?;
        if let Some(authority) = uri.authority() {
            builder = builder.header("host", authority.as_str());
        }
        let method = spec["method"].as_str().unwrap_or("GET");
        builder = builder
            .method(http::Method::from_bytes(method.as_bytes()).ok()?)
            .uri(uri);
        for pair in spec["headers"].as_array().into_iter().flatten() {
            builder = builder.header(pair[0].as_str()?, pair[1].as_str()?);
        }
    }
    let mut req = builder.body(()).ok()?;
    if let Some(peer) = spec["peer"].as_str() {
        let ip = peer
            .parse::<IpAddr>()
            .ok()
            .or_else(|| peer.parse::<SocketAddr>().ok().map(|a| a.ip()));
        // A remote address Go cannot parse (`1`) leaves the peer unknown.
        if let Some(ip) = ip {
            let info = ConnInfo::plain(SocketAddr::new(ip, 40000), "web");
            req.extensions_mut().insert(Arc::new(info));
        }
    }
    Some(req)
}

fn check(file: &str, row: &Value) -> Result<(), String> {
    let kind = s(row, "kind");
    match kind {
        "match" => {
            let rule = Rule::parse_with(s(row, "rule"), syntax(row))
                .map_err(|e| format!("rule rejected: {e}"))?;
            let got = match request(&row["request"]) {
                None => false,
                Some(req) => match normalize(&req, &PathOptions::default()) {
                    Ok(n) => rule.matches(&n.view(&req)),
                    Err(_) => false,
                },
            };
            let want = row["match"].as_bool().unwrap();
            if got != want {
                return Err(format!("matched: {got}, want {want}"));
            }
        }
        "invalid" => {
            if let Ok(rule) = Rule::parse_with(s(row, "rule"), syntax(row)) {
                return Err(format!("accepted (warnings: {:?})", rule.warnings()));
            }
        }
        "valid" | "warning" => {
            let rule = Rule::parse_with(s(row, "rule"), syntax(row))
                .map_err(|e| format!("rejected: {e}"))?;
            if kind == "warning" {
                let want = s(row, "contains");
                if !rule.warnings().iter().any(|w| w.message.contains(want)) {
                    return Err(format!(
                        "no warning containing {want:?}: {:?}",
                        rule.warnings()
                    ));
                }
            } else if !rule.warnings().is_empty() && row["warnings"].as_bool() != Some(true) {
                return Err(format!("unexpected warnings {:?}", rule.warnings()));
            }
        }
        "domains" => {
            let got = parse_domains(s(row, "rule"));
            match (got, row["error"].as_bool().unwrap_or(false)) {
                (Ok(d), false) => {
                    let want: Vec<String> = serde_json::from_value(row["domains"].clone()).unwrap();
                    if d != want {
                        return Err(format!("domains {d:?}, want {want:?}"));
                    }
                }
                (Err(_), true) => {}
                (got, _) => return Err(format!("got {got:?}")),
            }
        }
        "default_priority" => {
            let rule = Rule::parse(s(row, "rule")).map_err(|e| e.to_string())?;
            if Some(rule.default_priority()) != row["priority"].as_i64() {
                return Err(format!("priority {}", rule.default_priority()));
            }
        }
        "priority" => return check_priority(row),
        "path" => return check_path(row),
        "host" => {
            let spec = if row["host"].is_string() {
                serde_json::json!({"raw": format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", s(row, "host"))})
            } else {
                row["request"].clone()
            };
            let req = request(&spec).ok_or("no request")?;
            let n = normalize(&req, &PathOptions::default()).map_err(|e| e.to_string())?;
            if n.host() != s(row, "canonical") {
                return Err(format!("canonical host {:?}", n.host()));
            }
        }
        other => return Err(format!("unknown kind {other} in {file}")),
    }
    Ok(())
}

fn check_priority(row: &Value) -> Result<(), String> {
    let routers = row["routers"].as_array().unwrap().iter().map(|r| {
        let provider = r["provider"].as_str().unwrap_or("");
        let name = if provider.is_empty() {
            s(r, "name").to_string()
        } else {
            format!("{}@{provider}", s(r, "name"))
        };
        Router::new(name, s(r, "rule"), s(r, "name").to_string())
            .with_priority(r["priority"].as_i64().unwrap_or(0))
    });
    let mut options = TableOptions::default();
    if let Some(p) = row["precedence"].as_array() {
        let list: Vec<&str> = p.iter().filter_map(Value::as_str).collect();
        options = options.with_provider_precedence(&list);
    }
    let built = RoutingTable::build(routers, &options);
    if let Some(err) = row["error"].as_str() {
        if !built.errors.iter().any(|e| e.router.starts_with(err)) {
            return Err(format!("expected {err} in error, got {:?}", built.errors));
        }
    } else if !built.errors.is_empty() {
        return Err(format!("errors {:?}", built.errors));
    }
    let req = request(&row["request"]).ok_or("no request")?;
    let n = normalize(&req, &PathOptions::default()).map_err(|e| e.to_string())?;
    let got = built
        .table
        .route(&n.view(&req))
        .map(|r| r.payload().clone());
    let want = row["winner"].as_str().map(str::to_string);
    if got != want {
        return Err(format!(
            "winner {got:?}, want {want:?}\n{}",
            built.table.explain(&n.view(&req))
        ));
    }
    Ok(())
}

fn check_path(row: &Value) -> Result<(), String> {
    let mut options = PathOptions::default();
    if row["sanitize"].as_bool() == Some(false) {
        options.sanitize_path = false;
    }
    let got = normalize_path(s(row, "path"), &options);
    if row["status"].as_u64() == Some(400) {
        return match got {
            Err(e) if e.status == 400 => Ok(()),
            other => Err(format!("want 400, got {other:?}")),
        };
    }
    let (escaped, routing) = got.map_err(|e| e.to_string())?;
    if let Some(want) = row["escaped"].as_str()
        && escaped != want
    {
        return Err(format!("escaped {escaped:?}, want {want:?}"));
    }
    if let Some(want) = row["routing"].as_str()
        && *routing != *want.as_bytes()
    {
        return Err(format!(
            "routing {:?}, want {want:?}",
            String::from_utf8_lossy(&routing)
        ));
    }
    if let Some(want) = row["decoded"].as_str() {
        let decoded = percent_decode(&escaped);
        if decoded != want {
            return Err(format!("decoded {decoded:?}, want {want:?}"));
        }
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn corpus_rows_all_pass() {
    let cases = corpus();
    assert!(
        cases.len() > 700,
        "the corpus shrank to {} rows",
        cases.len()
    );
    let mut failures = Vec::new();
    for (file, row) in &cases {
        if let Err(why) = check(file, row) {
            failures.push(format!(
                "{file} {} ({}): {why}\n    rule: {}",
                s(row, "id"),
                s(row, "source"),
                row["rule"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_ids_are_unique() {
    let cases = corpus();
    let mut ids: Vec<&str> = cases.iter().map(|(_, r)| s(r, "id")).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "duplicate ids in fixtures/rules");
}
