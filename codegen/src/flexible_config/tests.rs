use super::*;

/// A scratch directory with a contract template, settings, partials and sub-templates.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let root = std::env::temp_dir().join(format!("krustd-fc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["settings", "partials", "templates"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Fixture { root }
    }

    fn file(&self, rel: &str, text: &str) -> &Fixture {
        std::fs::write(self.root.join(rel), text).unwrap();
        self
    }

    fn fc(&self) -> FlexConfig {
        FlexConfig::from_dir(&self.root)
    }

    fn render(&self, main: &str) -> Result<Rendered, FcError> {
        self.file("krakend.json", main);
        render(&self.fc(), &self.root.join("krakend.json"), &self.root)
    }

    fn text(&self, main: &str) -> String {
        match self.render(main) {
            Ok(r) => r.text,
            Err(e) => panic!("{e}"),
        }
    }

    fn error(&self, main: &str) -> String {
        match self.render(main) {
            Ok(r) => panic!("rendered: {}", r.text),
            Err(e) => e.to_string(),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn settings_are_dot_basename_and_marshal_writes_go_json() {
    let f = Fixture::new("marshal");
    f.file(
        "settings/service.json",
        r#"{"name": "api", "port": 8080, "ratio": 0.5, "cfg": {"b": [1, "<x>"], "a": null}}"#,
    )
    .file("settings/ignored.txt", "not a settings file");
    assert_eq!(
        f.text(r#"{{ .service.name }}:{{ .service.port }}:{{ .service.ratio }} {{ marshal .service.cfg }}"#),
        r#"api:8080:0.5 {"a":null,"b":[1,"\u003cx\u003e"]}"#
    );
    assert_eq!(f.text("{{ .ignored }}"), "<no value>");
    assert_eq!(
        f.text(r#"{{ toPrettyJson (dict "k" (list 1 2)) }}"#),
        "{\n  \"k\": [\n    1,\n    2\n  ]\n}"
    );
}

#[test]
fn range_over_a_map_is_sorted_and_printing_a_map_is_go_like() {
    let f = Fixture::new("range");
    let keys: Vec<String> = (0..40).map(|i| format!("\"k{i:02}\": {i}")).collect();
    f.file("settings/m.json", &format!("{{{}}}", keys.join(", ")));
    let expected: String = (0..40).map(|i| format!("k{i:02}={i};")).collect();
    assert_eq!(
        f.text("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}"),
        expected
    );
    assert_eq!(
        f.text(r#"{{ dict "b" 2 "a" (list 1 "x") }}"#),
        "map[a:[1 x] b:2]"
    );
}

#[test]
fn include_inserts_a_partial_verbatim_and_template_renders_a_sub_template() {
    let f = Fixture::new("include");
    f.file(
        "partials/cors.json",
        r#"{"allow_origins": ["{{ not evaluated }}"]}"#,
    )
    .file(
        "templates/endpoint.tmpl",
        r#"{"endpoint": "{{ .path }}"{{ if .extra }}, "x": {{ include "cors.json" }}{{ end }}}"#,
    )
    .file(
        "settings/e.json",
        r#"{"list": [{"path": "/a"}, {"path": "/b", "extra": true}]}"#,
    );
    let r = f
        .render(r#"[{{ range $i, $e := .e.list }}{{ if $i }},{{ end }}{{ template "endpoint.tmpl" $e }}{{ end }}]"#)
        .unwrap();
    assert_eq!(
        r.text,
        r#"[{"endpoint": "/a"},{"endpoint": "/b", "x": {"allow_origins": ["{{ not evaluated }}"]}}]"#
    );
    // Every file read is an input of the build.
    for rel in [
        "settings/e.json",
        "templates/endpoint.tmpl",
        "partials/cors.json",
    ] {
        assert!(r.files.contains(&f.root.join(rel)), "{rel}: {:?}", r.files);
    }
}

#[test]
fn sprig_subset() {
    let f = Fixture::new("sprig");
    f.file(
        "settings/s.json",
        r#"{"empty": "", "name": "Api", "n": 7, "list": ["b", "a"]}"#,
    );
    let cases = [
        (
            r#"{{ default "x" .s.empty }}|{{ .s.name | default "x" }}|{{ .s.missing | default 3 }}"#,
            "x|Api|3",
        ),
        (
            r#"{{ upper .s.name }} {{ lower .s.name }} {{ trim "  t  " }}"#,
            "API api t",
        ),
        (
            r#"{{ replace "-" "_" "a-b-c" }} {{ trimPrefix "/v1" "/v1/x" }} {{ trimSuffix ".json" "a.json" }}"#,
            "a_b_c /x a",
        ),
        (
            r#"{{ contains "p" .s.name }} {{ hasPrefix "A" .s.name }} {{ hasSuffix "z" .s.name }}"#,
            "true true false",
        ),
        (
            r#"{{ quote .s.name "b\"" }} {{ squote .s.name }} {{ repeat 3 "ab" }}"#,
            r#""Api" "b\"" 'Api' ababab"#,
        ),
        (
            r#"{{ join "," (sortAlpha .s.list) }} {{ join "+" (splitList "." "a.b.c") }}"#,
            "a,b a+b+c",
        ),
        (
            r#"{{ add 1 2 .s.n }} {{ sub 10 .s.n }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 2 }} {{ add1 .s.n }}"#,
            "10 3 24 3 1 8",
        ),
        (
            r#"{{ max 1 9 3 }} {{ min 4 2 }} {{ int "42" }} {{ atoi "x" }}"#,
            "9 2 42 0",
        ),
        (
            r#"{{ b64enc "user:pass" }} {{ b64dec "dXNlcjpwYXNz" }}"#,
            "dXNlcjpwYXNz user:pass",
        ),
        (
            r#"{{ empty .s.empty }} {{ empty .s.name }} {{ coalesce .s.empty .s.missing "c" }} {{ ternary "y" "n" true }}"#,
            "true false c y",
        ),
        (
            r#"{{ $d := dict "a" 1 "b" 2 }}{{ hasKey $d "a" }} {{ get $d "b" }} {{ keys $d }} {{ toJson $d }}"#,
            r#"true 2 [a b] {"a":1,"b":2}"#,
        ),
        (
            r#"{{ first .s.list }} {{ last .s.list }} {{ append .s.list "c" }} {{ concat .s.list (list "z") }} {{ has "a" .s.list }}"#,
            "b a [b a c] [b a z] true",
        ),
        (
            r#"{{ range until 3 }}{{ . }}{{ end }} {{ toString 5 }} {{ (fromJson "{\"k\": [1]}").k }}"#,
            "012 5 [1]",
        ),
        (
            r#"{{ len .s.list }} {{ index .s.list 1 }} {{ printf "%s-%d" "a" 3 }} {{ if and (eq .s.n 7) (ne .s.name "x") }}ok{{ end }}"#,
            "2 a a-3 ok",
        ),
    ];
    for (tmpl, want) in cases {
        assert_eq!(f.text(tmpl), want, "{tmpl}");
    }
    // Every function listed is in the table, once.
    let table = funcs::table();
    assert_eq!(table.len(), SUPPORTED.len());
    for (i, (name, _)) in table.iter().enumerate() {
        assert_eq!(*name, SUPPORTED[i]);
    }
}

#[test]
fn env_reads_the_build_environment_and_is_recorded() {
    let f = Fixture::new("env");
    // cargo sets CARGO_PKG_NAME for the test binary it runs.
    let r = f
        .render(r#"{{ env "CARGO_PKG_NAME" }}|{{ env "KRUSTD_FC_TEST_SURELY_UNSET" }}|"#)
        .unwrap();
    assert_eq!(r.text, "krustd-codegen||");
    let names: Vec<&str> = r.env.iter().map(String::as_str).collect();
    assert_eq!(names, ["CARGO_PKG_NAME", "KRUSTD_FC_TEST_SURELY_UNSET"]);
}

#[test]
fn an_unsupported_function_is_an_error_naming_it_at_its_line() {
    let f = Fixture::new("unsupported");
    let e = f.error("{\n  \"a\": \"{{ now }}\"\n}");
    assert!(
        e.contains("krakend.json:2: template: function `now` is not supported"),
        "{e}"
    );
    f.file("templates/bad.tmpl", "ok\n{{ randAlpha 3 }}");
    let e = f.error("{}");
    assert!(
        e.contains("templates/bad.tmpl:2: template: function `randAlpha`"),
        "{e}"
    );
}

#[test]
fn execution_errors_point_at_the_failing_line() {
    let f = Fixture::new("exec");
    f.file("settings/s.json", r#"{"list": [1, 2]}"#);
    let e = f.error("{\n  \"a\": 1,\n  \"b\": {{ .nothing.here }}\n}");
    assert!(
        e.contains("krakend.json:3: error executing the template"),
        "{e}"
    );
    let e = f.error("[\n{{ range .s.list }}\n  {{ . }},\n  {{ fail \"no\" }}\n{{ end }}]");
    assert!(
        e.contains("krakend.json:4: error executing the template"),
        "{e}"
    );
    assert!(e.contains("fail: no"), "{e}");
    // In a sub-template, after a multi-line comment and a string holding `}}`.
    f.file(
        "templates/t.tmpl",
        "{{/* a\ncomment }} */}}\n{{ \"}}\" }}\n{{ include \"missing.json\" }}\n",
    );
    let e = f.error("{\n{{ template \"t.tmpl\" . }}\n}");
    assert!(
        e.contains("templates/t.tmpl:4: error executing the template"),
        "{e}"
    );
    assert!(e.contains("missing.json"), "{e}");
}

#[test]
fn invalid_settings_are_reported_with_their_position() {
    let f = Fixture::new("settings");
    f.file("settings/a.json", "{\n  \"x\": 1,\n}")
        .file("settings/b.json", "[1]");
    let e = f.error("{}");
    assert!(e.contains("loading flexible-config settings:"), "{e}");
    assert!(e.contains("settings/a.json:3:1: invalid JSON"), "{e}");
    assert!(
        e.contains("settings/b.json:1:1: a settings file must hold a JSON object"),
        "{e}"
    );
    std::fs::remove_dir_all(f.root.join("settings")).unwrap();
    let e = f.error("{}");
    assert!(e.contains("cannot read the directory settings"), "{e}");
}

#[test]
fn fc_out_receives_the_flattened_contract() {
    let f = Fixture::new("out");
    f.file("settings/s.json", r#"{"port": 9000}"#);
    let mut fc = f.fc();
    fc.out = Some(f.root.join("out/flat.json"));
    f.file("krakend.json", r#"{"port": {{ .s.port }}}"#);
    let r = render(&fc, &f.root.join("krakend.json"), &f.root).unwrap();
    let written = std::fs::read_to_string(f.root.join("out/flat.json")).unwrap();
    assert_eq!(written, r#"{"port": 9000}"#);
    assert_eq!(written, r.text);
    fc.out = Some(f.root.join("flat.yaml"));
    let e = render(&fc, &f.root.join("krakend.json"), &f.root).unwrap_err();
    assert!(e.0.contains("flat.yaml names a .yaml file"), "{e}");
}

#[test]
fn fc_enable_switches_it_on_with_any_non_empty_value() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert_eq!(FlexConfig::from_lookup(env(&[("FC_SETTINGS", "s")])), None);
    assert_eq!(FlexConfig::from_lookup(env(&[("FC_ENABLE", "")])), None);
    let fc = FlexConfig::from_lookup(env(&[
        ("FC_ENABLE", "0"),
        ("FC_SETTINGS", "cfg/settings"),
        ("FC_PARTIALS", ""),
        ("FC_OUT", "out.json"),
    ]))
    .unwrap();
    assert_eq!(fc.settings, Some(PathBuf::from("cfg/settings")));
    assert_eq!(fc.partials, None);
    assert_eq!(fc.out, Some(PathBuf::from("out.json")));
}

#[test]
fn instrumentation_marks_lines_outside_actions() {
    let t = "a\n{{ if x\n }}b{{ end }}\n{{/* c\n */}}\n";
    assert_eq!(
        locate::instrument(t, 2),
        "{{__krustd_line 2 1}}a\n{{__krustd_line 2 2}}{{ if x\n }}b{{ end }}\n\
         {{__krustd_line 2 4}}{{/* c\n */}}\n"
    );
}
