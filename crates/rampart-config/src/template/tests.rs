use super::*;

fn env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("DOMAINNAME".to_owned(), "example.test".to_owned()),
        ("PORT".to_owned(), "8080".to_owned()),
        ("EMPTY".to_owned(), String::new()),
    ])
}

fn ok(src: &str) -> String {
    render(src, &env()).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn err(src: &str) -> TemplateError {
    match render(src, &env()) {
        Ok(out) => panic!("{src:?} rendered {out:?}"),
        Err(e) => e,
    }
}

fn check(cases: &[(&str, &str)]) {
    for (src, want) in cases {
        assert_eq!(ok(src), *want, "template {src:?}");
    }
}

#[test]
fn renders_text_actions_and_pipelines_like_go() {
    check(&[
        // text, env, literals
        ("plain: text", "plain: text"),
        (r#"{{ env "DOMAINNAME" }}"#, "example.test"),
        (r#"{{env "MISSING"}}|"#, "|"),
        (
            r#"{{ "a\tb" }}|{{ `raw\n` }}|{{ 'a' }}|{{ 0x10 }}|{{ 1e3 }}|{{ -2 }}"#,
            "a\tb|raw\\n|97|16|1000|-2",
        ),
        ("{{ true }} {{ false }} {{ 1.5 }}", "true false 1.5"),
        // trim markers and comments
        ("a  {{- 1 -}}  b", "a1b"),
        ("a\r\n{{- /* note */ -}}\r\nb", "ab"),
        ("a{{/* c */}}b", "ab"),
        ("{{-3}}", "-3"),
        ("x {{- if true }} y {{- end }}", "x y"),
        // pipelines and variables
        (r#"{{ "a-b" | replace "-" "_" | upper }}"#, "A_B"),
        (
            r#"{{ $d := env "DOMAINNAME" }}host.{{ $d }}"#,
            "host.example.test",
        ),
        (
            "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
            "2",
        ),
        (r#"{{ (env "PORT") | atoi | add 1 }}"#, "8081"),
        ("{{ . }}", "false"),
        ("{{ $ }}", "false"),
    ]);
}

#[test]
fn renders_conditionals_and_loops_like_go() {
    check(&[
        (
            "{{ if 0 }}a{{ else if \"\" }}b{{ else if 1 }}c{{ else }}d{{ end }}",
            "c",
        ),
        (
            r#"{{ if env "EMPTY" }}set{{ else }}unset{{ end }}"#,
            "unset",
        ),
        (
            r#"{{ with env "DOMAINNAME" }}[{{ . }}]{{ end }}"#,
            "[example.test]",
        ),
        (
            r#"{{ with env "EMPTY" }}x{{ else with env "PORT" }}{{ . }}{{ end }}"#,
            "8080",
        ),
        (
            r#"{{ if and 1 "" (fail "not evaluated") }}y{{ else }}n{{ end }}"#,
            "n",
        ),
        (r#"{{ or "" 0 "first" (fail "not evaluated") }}"#, "first"),
        ("{{ and 1 2 }} {{ or 0 false }}", "2 false"),
        (
            "{{ if eq 1 2 3 1 }}yes{{ end }} {{ ne \"a\" \"b\" }} {{ lt 1 2 }} {{ ge 2.5 3 }}",
            "yes true true false",
        ),
        ("{{ not 0 }}", "true"),
        // range
        (
            "{{ range $i, $e := list \"a\" \"b\" }}{{ $i }}={{ $e }};{{ end }}",
            "0=a;1=b;",
        ),
        ("{{ range until 3 }}{{ . }}{{ end }}", "012"),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        (
            "{{ range $k, $v := dict \"b\" 2 \"a\" 1 }}{{ $k }}{{ $v }}{{ end }}",
            "a1b2",
        ),
        ("{{ range list }}x{{ else }}empty{{ end }}", "empty"),
        (
            "{{ range $i := until 10 }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ end }}",
            "02",
        ),
    ]);
}

#[test]
fn renders_maps_and_sprig_functions_like_go_and_sprig() {
    check(&[
        // dict access and missing keys
        (
            "{{ $d := dict \"a\" (dict \"b\" \"c\") }}{{ $d.a.b }}|{{ $d.nope }}|{{ $d.nope.deeper }}",
            "c|<no value>|<no value>",
        ),
        ("{{ (dict \"k\" 5).k }}", "5"),
        (
            "{{ index (list 1 2 3) 1 }} {{ index (dict \"a\" 1) \"b\" }}",
            "2 <nil>",
        ),
        (
            "{{ get (dict \"a\" 1) \"a\" }}{{ get (dict) \"x\" }}|{{ hasKey (dict \"a\" 1) \"a\" }}",
            "1|true",
        ),
        (
            "{{ keys (dict \"b\" 1 \"a\" 2) }} {{ len (dict \"a\" 1) }} {{ len \"héllo\" }}",
            "[a b] 1 6",
        ),
        // sprig strings
        (
            r#"{{ quote "a\"b" 1 }} {{ squote "x" }}"#,
            "\"a\\\"b\" \"1\" 'x'",
        ),
        (
            r#"{{ upper "ab" }}{{ lower "CD" }}{{ trim "  e  " }}{{ title "f g" }}"#,
            "ABcdeF G",
        ),
        (
            r#"{{ split "a,b,,c" "," }} {{ join "-" (list "x" "y" 3) }}"#,
            "[a b  c] x-y-3",
        ),
        (
            r#"{{ splitList "," "a,b" }} {{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }}"#,
            "[a b] true true",
        ),
        (
            r#"{{ trimPrefix "www." "www.a.test" }} {{ trimSuffix ".test" "a.test" }} {{ trimAll "-" "--a--" }}"#,
            "a.test a a",
        ),
        (
            r#"{{ repeat 3 "ab" }} {{ substr 1 3 "abcd" }} {{ trunc 2 "abc" }} {{ nospace "a b c" }}"#,
            "ababab bc ab abc",
        ),
        (
            r#"{{ cat "a" 1 nil "b" }}{{ indent 2 "x\ny" }}{{ nindent 1 "z" }}"#,
            "a 1 b  x\n  y\n z",
        ),
        (r#"{{ normalize "My App_v2.0" }}"#, "My-App-v2-0"),
        (
            r#"{{ b64enc "user:pass" }} {{ b64dec "dXNlcjpwYXNz" }}"#,
            "dXNlcjpwYXNz user:pass",
        ),
        (
            r#"{{ expandenv "https://${DOMAINNAME}:$PORT/" }}"#,
            "https://example.test:8080/",
        ),
    ]);
}

#[test]
fn renders_sprig_lists_numbers_and_go_builtins() {
    check(&[
        // sprig defaults, lists, numbers
        (
            r#"{{ default "dflt" (env "EMPTY") }} {{ env "PORT" | default "80" }} {{ default "d" }}"#,
            "dflt 8080 d",
        ),
        (
            r#"{{ empty "" }} {{ empty (list 1) }} {{ coalesce "" 0 "z" }} {{ ternary "y" "n" true }}"#,
            "true false z y",
        ),
        (
            "{{ first (list 1 2) }}{{ last (list 1 2) }}{{ rest (list 1 2 3) }}{{ initial (list 1 2 3) }}",
            "12[2 3][1 2]",
        ),
        (
            "{{ append (list 1) 2 }}{{ prepend (list 1) 0 }}{{ has 2 (list 1 2) }}{{ uniq (list 1 1 2) }}",
            "[1 2][0 1]true[1 2]",
        ),
        (
            "{{ without (list 1 2 3) 2 }}{{ compact (list 0 1 \"\") }}{{ reverse (list 1 2) }}{{ concat (list 1) (list 2) }}",
            "[1 3][1][2 1][1 2]",
        ),
        (
            "{{ untilStep 0 10 4 }} {{ add 1 2 3 }} {{ sub 5 7 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }}",
            "[0 4 8] 6 -2 6 3 1",
        ),
        (
            "{{ max 1 5 3 }} {{ min 4 2 }} {{ add1 9 }} {{ int \"42\" }} {{ float64 2 }} {{ round 2.567 2 }}",
            "5 2 10 42 2 2.57",
        ),
        (
            "{{ pick (dict \"a\" 1 \"b\" 2) \"a\" }} {{ omit (dict \"a\" 1 \"b\" 2) \"a\" }} {{ set (dict) \"k\" 1 }}",
            "map[a:1] map[b:2] map[k:1]",
        ),
        // Go built-ins
        (
            r#"{{ printf "%s:%d" "port" 80 }} {{ print 1 2 "a" 3 }} {{ println "x" }}"#,
            "port:80 1 2a3 x\n",
        ),
        (
            r#"{{ html "<a href='x'>&</a>" }} {{ urlquery "a b&c" }} {{ js "a'b<" }}"#,
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt; a+b%26c a\\'b\\u003C",
        ),
        (
            "{{ slice \"abcdef\" 1 3 }} {{ slice (list 1 2 3) 1 }}",
            "bc [2 3]",
        ),
    ]);
}

#[test]
fn guide_secure_headers_line_renders_into_valid_yaml() {
    let src = "        customFrameOptionsValue: \"allow-from https:{{env \"DOMAINNAME\"}}\" #CSP takes care of this\r\n        # sslHost: \"{{env \"DOMAINNAME\"}}\"\r\n";
    assert_eq!(
        ok(src),
        "        customFrameOptionsValue: \"allow-from https:example.test\" #CSP takes care of this\r\n        # sslHost: \"example.test\"\r\n"
    );
}

#[test]
fn variables_are_scoped_to_their_block() {
    let e = err("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}");
    assert!(e.message().contains("undefined variable \"$x\""), "{e}");
    assert_eq!(
        ok("{{ range $i := until 2 }}{{ $i }}{{ end }}{{ $y := 3 }}{{ $y }}"),
        "013"
    );
}

#[test]
fn parse_errors_name_the_position() {
    let cases: &[(&str, u32, u32, &str)] = &[
        ("a\n  {{ nope 1 }}", 2, 6, "function \"nope\" not defined"),
        ("{{ $x }}", 1, 4, "undefined variable \"$x\""),
        ("{{ if true }}open", 1, 4, "has no {{end}}"),
        ("{{ end }}", 1, 4, "unexpected {{end}}"),
        ("x{{ .a", 1, 2, "unclosed action"),
        ("{{ \"abc }}", 1, 4, "unterminated quoted string"),
        ("{{ (1 }}", 1, 7, "unclosed left paren"),
        ("{{ 1) }}", 1, 5, "unexpected right paren"),
        ("{{ break }}", 1, 4, "{{break}} outside {{range}}"),
        ("{{ define \"x\" }}{{ end }}", 1, 4, "not supported"),
        (
            "{{ 1 | 2 }}",
            1,
            8,
            "non executable command in pipeline stage 2",
        ),
        ("{{ }}", 1, 4, "missing value for command"),
        ("{{/* open", 1, 1, "unclosed comment"),
        ("{{ 1x }}", 1, 4, "bad number syntax"),
        ("{{ a ! }}", 1, 6, "unrecognized character in action"),
        (
            "{{ with 1 }}{{ else if 2 }}{{ end }}",
            1,
            4,
            "{{else if}} inside {{with}}",
        ),
    ];
    for (src, line, column, message) in cases {
        let e = err(src);
        assert!(matches!(e, TemplateError::Parse { .. }), "{src:?}: {e:?}");
        assert!(e.message().contains(message), "{src:?}: {e}");
        assert_eq!((e.line(), e.column()), (*line, *column), "{src:?}: {e}");
    }
}

#[test]
fn exec_errors_name_the_position() {
    let cases: &[(&str, u32, u32, &str)] = &[
        (
            "\n{{ .Foo }}",
            2,
            4,
            "can't evaluate field Foo in type bool",
        ),
        ("{{ fail \"stop\" }}", 1, 4, "error calling fail: stop"),
        ("{{ div 1 0 }}", 1, 4, "integer divide by zero"),
        ("{{ index (list 1) 5 }}", 1, 4, "index out of range: 5"),
        (
            "{{ upper 1 2 }}",
            1,
            4,
            "wrong number of args for upper: want 1 got 2",
        ),
        ("{{ 1 2 }}", 1, 4, "can't give argument to non-function 1"),
        ("{{ nil }}", 1, 4, "nil is not a command"),
        (
            "{{ range true }}{{ end }}",
            1,
            10,
            "range can't iterate over true",
        ),
        ("{{ b64dec \"***\" }}", 1, 4, "not base64"),
        ("{{ eq (list) 1 }}", 1, 4, "non-comparable"),
        ("{{ lt 1 \"a\" }}", 1, 4, "incompatible types"),
    ];
    for (src, line, column, message) in cases {
        let e = err(src);
        assert!(matches!(e, TemplateError::Exec { .. }), "{src:?}: {e:?}");
        assert!(e.message().contains(message), "{src:?}: {e}");
        assert_eq!((e.line(), e.column()), (*line, *column), "{src:?}: {e}");
    }
}

#[test]
fn runaway_templates_are_stopped() {
    // Nested loops: 10^9 iterations would hang; the step budget stops them.
    let e = err("{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}");
    assert!(e.message().contains("too much work"), "{e}");
    let e = err("{{ until 100000000 }}");
    assert!(e.message().contains("too long"), "{e}");
    let e = err("{{ untilStep -9223372036854775807 9223372036854775807 1 }}");
    assert!(e.message().contains("too long"), "{e}");
    assert_eq!(
        ok("{{ untilStep 10 0 -3 }} {{ untilStep 0 10 -1 }} {{ until -2 }}"),
        "[10 7 4 1] [] []"
    );
    let e = err("{{ repeat 100000000 \"abcdefgh\" }}");
    assert!(e.message().contains("too large"), "{e}");
    let e = err(&format!(
        "{}{}",
        "{{ range until 1000 }}".repeat(70),
        "{{ end }}".repeat(70)
    ));
    assert!(e.message().contains("nested too deeply"), "{e}");
    let e = err(&format!(
        "{{{{ {}1{} }}}}",
        "(".repeat(200),
        ")".repeat(200)
    ));
    assert!(e.message().contains("nested too deeply"), "{e}");
    // A huge printf width is capped rather than allocated.
    assert_eq!(ok("{{ printf \"%999999999d\" 1 }}").len(), 4096);
}

#[test]
fn text_without_actions_is_returned_as_is() {
    let text = "http:\r\n  routers: {}\r\n";
    assert_eq!(ok(text), text);
    // A lone brace pair is text too.
    assert_eq!(ok("a { b } }} c"), "a { b } }} c");
}

#[test]
fn a_parsed_template_renders_with_each_environment() {
    let t = Template::parse(r#"{{ env "V" }}"#).unwrap();
    let one = BTreeMap::from([("V".to_owned(), "1".to_owned())]);
    let two = BTreeMap::from([("V".to_owned(), "2".to_owned())]);
    assert_eq!(t.render(&one).unwrap(), "1");
    assert_eq!(t.render(&two).unwrap(), "2");
}
