use super::*;

fn map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn names(list: &[&str]) -> Vec<HeaderName> {
    list.iter()
        .map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap())
        .collect()
}

#[test]
fn client_copies_and_aliases_are_deleted_even_when_auth_sends_nothing() {
    let rh = ResponseHeaders::new(&names(&["X-authentik-username"]), None);
    let mut req = map(&[
        ("x-authentik-username", "akadmin"),
        ("x_authentik_username", "akadmin"),
        ("x.authentik.username", "akadmin"),
        ("x~authentik~username", "akadmin"),
        ("x-other", "kept"),
    ]);
    rh.apply(&mut req, &HeaderMap::new());
    assert_eq!(req.len(), 1, "{req:?}");
    assert!(!has_alias(&req));
    assert_eq!(req["x-other"], "kept");
}

#[test]
fn auth_values_replace_client_values() {
    let rh = ResponseHeaders::new(&names(&["X-Auth-User", "X-Auth-Group"]), None);
    let mut req = map(&[("x-auth-group", "admin_group"), ("x-auth-user", "mallory")]);
    let auth = map(&[
        ("x-auth-user", "user@example.com"),
        ("x-auth-group", "group1"),
        ("x-auth-group", "group2"),
        ("x-auth-secret", "secret"),
    ]);
    rh.apply(&mut req, &auth);
    assert_eq!(req["x-auth-user"], "user@example.com");
    let groups: Vec<_> = req.get_all("x-auth-group").iter().collect();
    assert_eq!(groups, ["group1", "group2"]);
    assert!(!req.contains_key("x-auth-secret"));
}

#[test]
fn regex_matches_canonical_names() {
    let rh = ResponseHeaders::new(&[], Some(crate::rule::goregex::compile("^Foo-").unwrap()));
    let mut req = map(&[
        ("foo-bar", "client"),
        ("foo-baz", "client"),
        ("foo_qux", "x"),
    ]);
    let auth = map(&[("foo-bar", "auth-value"), ("bar-foo", "no")]);
    rh.apply(&mut req, &auth);
    assert_eq!(req.len(), 1, "{req:?}");
    assert_eq!(req["foo-bar"], "auth-value");

    // Traefik's gotcha: lower-case patterns never match a canonical key.
    let lower = ResponseHeaders::new(&[], Some(crate::rule::goregex::compile("^foo-").unwrap()));
    let mut req = map(&[("foo-bar", "client")]);
    lower.apply(&mut req, &auth);
    assert_eq!(req["foo-bar"], "client");
}

#[test]
fn connection_cannot_name_an_injected_header() {
    let rh = ResponseHeaders::new(&names(&["X-authentik-username"]), None);
    let mut req = map(&[(
        "connection",
        "keep-alive, X-authentik-username, X_Authentik_Username",
    )]);
    let auth = map(&[("x-authentik-username", "alice")]);
    rh.apply(&mut req, &auth);
    assert_eq!(req["connection"], "keep-alive");
    assert_eq!(req["x-authentik-username"], "alice");
}

/// The one-pass path (≤ 64 names) and the per-name path (more) give the same result.
#[test]
fn one_pass_and_per_name_paths_agree() {
    let mut many: Vec<String> = (0..70).map(|i| format!("x-filler-{i}")).collect();
    many.extend([
        "x-auth-user".into(),
        "x-auth-group".into(),
        "remote-user".into(),
    ]);
    let few = ResponseHeaders::new(
        &names(&["X-Auth-User", "X-Auth-Group", "Remote-User"]),
        None,
    );
    let many: Vec<HeaderName> = many
        .iter()
        .map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap())
        .collect();
    let lots = ResponseHeaders::new(&many, None);
    let client = [
        ("x-auth-user", "mallory"),
        ("x_auth_group", "admins"),
        ("remote-user", "root"),
        ("remote.user", "root"),
        ("x-other", "kept"),
        ("connection", "keep-alive, X-Auth-User"),
    ];
    let auth = map(&[
        ("x-auth-user", "alice"),
        ("x-auth-group", "a"),
        ("x-auth-group", "b"),
        ("x-unlisted", "no"),
    ]);
    let (mut a, mut b, mut c) = (map(&client), map(&client), map(&client));
    few.apply(&mut a, &auth);
    lots.apply(&mut b, &auth);
    few.apply_owned(&mut c, auth.clone());
    for got in [&a, &b, &c] {
        assert_eq!(got["x-auth-user"], "alice");
        let groups: Vec<_> = got.get_all("x-auth-group").iter().collect();
        assert_eq!(groups, ["a", "b"]);
        assert!(
            !got.contains_key("remote-user"),
            "not answered: the client's copy goes"
        );
        assert!(!has_alias(got), "{got:?}");
        assert_eq!(got["x-other"], "kept");
        assert_eq!(got["connection"], "keep-alive");
        assert!(!got.contains_key("x-unlisted"));
    }
    assert_eq!(a.len(), b.len());
    assert_eq!(a, c, "moving the answer gives what copying it gives");
}

#[test]
fn duplicate_names_and_same_length_aliases() {
    // `x-auth-user` and `x-auth-role` have the same length: an alias of one is found even
    // when the other is the exact match checked first.
    let rh = ResponseHeaders::new(&names(&["X-Auth-Role", "x-auth-role", "X-Auth-User"]), None);
    let mut req = map(&[
        ("x-auth-role", "admin"),
        ("x_auth_user", "mallory"),
        ("x+auth+role", "admin"),
    ]);
    rh.apply(&mut req, &map(&[("x-auth-user", "alice")]));
    assert_eq!(req.len(), 1, "{req:?}");
    assert_eq!(req["x-auth-user"], "alice");
}

#[test]
fn regex_with_names_still_drops_aliases_of_any_length() {
    let rh = ResponseHeaders::new(
        &names(&["Remote-User"]),
        Some(crate::rule::goregex::compile("^X-Auth-").unwrap()),
    );
    let mut req = map(&[
        ("x_auth_anything_long", "forged"),
        ("remote_user", "root"),
        ("x-auth-role", "forged"),
    ]);
    rh.apply(
        &mut req,
        &map(&[("remote-user", "alice"), ("x-auth-role", "reader")]),
    );
    assert_eq!(req.len(), 2, "{req:?}");
    assert_eq!(req["remote-user"], "alice");
    assert_eq!(req["x-auth-role"], "reader");
}
