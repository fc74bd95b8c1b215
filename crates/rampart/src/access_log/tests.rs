use std::time::{Duration, SystemTime};

use super::*;

/// 2009-11-10 23:00:00 UTC, the date of Traefik's formatter tests.
fn traefik_start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_hours(349_415) // 1_257_894_000 s
}

fn common(e: &Entry<'_>) -> String {
    let mut out = Vec::new();
    write_common(e, &mut out);
    String::from_utf8(out).unwrap()
}

fn generic(e: &Entry<'_>) -> String {
    let mut out = Vec::new();
    write_generic_clf(e, &mut out);
    String::from_utf8(out).unwrap()
}

fn base() -> Entry<'static> {
    Entry {
        start: traefik_start(),
        duration: Duration::from_secs(123),
        client_host: Some("10.0.0.1".parse().unwrap()),
        client_username: Some("Client"),
        method: "GET",
        path: "/foo",
        protocol: "http",
        ..Entry::default()
    }
}

// The cases of Traefik's `TestCommonLogFormatter_Format`.

#[test]
fn common_missing_status_and_size() {
    let mut e = base();
    e.referer = Some(b"");
    e.user_agent = Some(b"");
    e.request_count = Some(0);
    e.router_name = Some("");
    e.service_url = Some("");
    assert_eq!(
        common(&e),
        "10.0.0.1 - Client [10/Nov/2009:23:00:00 +0000] \"GET /foo http\" - - \"-\" \"-\" 0 \"-\" \"-\" 123000ms\n"
    );
}

#[test]
fn common_all_data() {
    let mut e = base();
    e.status = Some(123);
    e.content_size = Some(132);
    e.referer = Some(b"referer");
    e.user_agent = Some(b"agent");
    e.router_name = Some("foo");
    e.service_url = Some("http://10.0.0.2/toto");
    assert_eq!(
        common(&e),
        "10.0.0.1 - Client [10/Nov/2009:23:00:00 +0000] \"GET /foo http\" 123 132 \"referer\" \"agent\" - \"foo\" \"http://10.0.0.2/toto\" 123000ms\n"
    );
}

#[test]
fn common_local_time() {
    let mut e = base();
    e.utc_offset_secs = -9 * 3600; // Etc/GMT+9
    e.status = Some(123);
    e.content_size = Some(132);
    e.referer = Some(b"referer");
    e.user_agent = Some(b"agent");
    e.router_name = Some("foo");
    e.service_url = Some("http://10.0.0.2/toto");
    assert_eq!(
        common(&e),
        "10.0.0.1 - Client [10/Nov/2009:14:00:00 -0900] \"GET /foo http\" 123 132 \"referer\" \"agent\" - \"foo\" \"http://10.0.0.2/toto\" 123000ms\n"
    );
}

#[test]
fn common_user_agent_quote_is_escaped() {
    let mut e = base();
    e.duration = Duration::from_millis(1);
    e.client_username = Some("-");
    e.path = "/";
    e.protocol = "HTTP/1.1";
    e.status = Some(200);
    e.content_size = Some(0);
    e.referer = Some(b"-");
    e.user_agent = Some(b"foo \" bar");
    e.request_count = Some(1);
    e.router_name = Some("test@file");
    e.service_url = Some("http://127.0.0.1:8080");
    assert_eq!(
        common(&e),
        "10.0.0.1 - - [10/Nov/2009:23:00:00 +0000] \"GET / HTTP/1.1\" 200 0 \"-\" \"foo \\\" bar\" 1 \"test@file\" \"http://127.0.0.1:8080\" 1ms\n"
    );
}

// `TestGenericCLFLogFormatter_Format`.

#[test]
fn generic_clf_stops_after_the_user_agent() {
    let mut e = base();
    e.status = Some(123);
    e.content_size = Some(132);
    e.referer = Some(b"referer");
    e.user_agent = Some(b"agent");
    e.request_count = Some(7);
    e.router_name = Some("foo");
    assert_eq!(
        generic(&e),
        "10.0.0.1 - Client [10/Nov/2009:23:00:00 +0000] \"GET /foo http\" 123 132 \"referer\" \"agent\"\n"
    );
}

#[test]
fn ipv6_client_and_sub_millisecond_duration() {
    let mut e = base();
    e.client_host = Some("2001:db8::1".parse().unwrap());
    e.duration = Duration::from_micros(999);
    assert!(common(&e).starts_with("2001:db8::1 - Client ["));
    assert!(common(&e).ends_with(" 0ms\n"));
}

// Log injection: a value can never end its field early or start a new line.

#[test]
fn username_cannot_pose_as_further_fields() {
    let mut e = base();
    e.client_username = Some("alice [01/Jan/2000:00:00:00 +0000] \"GET /admin");
    let line = common(&e);
    assert!(
        line.starts_with(
            "10.0.0.1 - alice\\x20[01/Jan/2000:00:00:00\\x20+0000]\\x20\\x22GET\\x20/admin [10/Nov/2009"
        ),
        "{line}"
    );
}

/// Splits a line as a CLF parser does: space-separated tokens, `"…"` with `\` escapes as one.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.trim_end_matches('\n').chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut tok = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => tok.push(chars.next().unwrap()),
                    '"' => break,
                    c => tok.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                tok.push(c);
                chars.next();
            }
        }
        out.push(tok);
    }
    out
}

#[test]
fn backslash_before_quote_cannot_close_a_quoted_field() {
    let mut e = base();
    let ua = "x\\\" 200 0 \"injected";
    e.user_agent = Some(ua.as_bytes());
    e.router_name = Some("r");
    let t = tokens(&common(&e));
    // host - user [date time] "request" status size referer ua count router service duration
    assert_eq!(t.len(), 14, "{t:?}");
    assert_eq!(t[9], ua);
    assert_eq!(t[11], "r");
}

#[test]
fn control_bytes_never_reach_the_log_raw() {
    let mut e = base();
    e.user_agent = Some(b"a\tb\x1bc\x7f");
    e.client_username = Some("bob\n");
    let line = common(&e);
    assert!(line.contains("\"a\\x09b\\x1bc\\x7f\""), "{line}");
    assert!(line.contains(" bob\\x0a ["), "{line}");
    assert_eq!(line.matches('\n').count(), 1);
}

#[test]
fn formatting_reuses_the_buffer() {
    let mut e = base();
    e.status = Some(200);
    let mut out = Vec::with_capacity(512);
    write_common(&e, &mut out);
    let first = out.clone();
    out.clear();
    let cap = out.capacity();
    write_common(&e, &mut out);
    assert_eq!(out, first);
    assert_eq!(out.capacity(), cap, "no growth: nothing allocated");
}
