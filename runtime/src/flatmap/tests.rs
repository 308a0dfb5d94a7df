#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;

fn base() -> Value {
    json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2,"k":1},"l":[9]})
}

fn split(p: &str) -> Vec<&str> {
    p.split('.').collect()
}

fn mv(data: Value, from: &str, to: &str) -> Value {
    let (f, t) = (split(from), split(to));
    apply(data, &[Op::Move { from: &f, to: &t }])
}

fn del(data: Value, paths: &[&str]) -> Value {
    let owned: Vec<Vec<&str>> = paths.iter().map(|p| split(p)).collect();
    let refs: Vec<&[&str]> = owned.iter().map(Vec::as_slice).collect();
    apply(data, &[Op::Del { paths: &refs }])
}

fn app(data: Value, from: &str, to: &str) -> Value {
    let (f, t) = (split(from), split(to));
    apply(data, &[Op::Append { from: &f, to: &t }])
}

// Generated code declares its operations as statics.
static STATIC_OPS: [Op; 2] = [
    Op::Move {
        from: &["z", "k"],
        to: &["l"],
    },
    Op::Del {
        paths: &[&["a"], &["z", "*"]],
    },
];

#[test]
fn static_ops() {
    assert_eq!(apply(base(), &STATIC_OPS), json!({"z":null,"l":1}));
}

// manipulation.md §3, worked examples.

#[test]
fn spec_del_wildcard_middle() {
    assert_eq!(
        del(base(), &["a.*.c"]),
        json!({"a":[{"b":1},{"b":3}],"z":{"j":2,"k":1},"l":[9]})
    );
}

#[test]
fn spec_del_array_index() {
    assert_eq!(
        del(base(), &["a.0"]),
        json!({"a":[{"b":3}],"z":{"j":2,"k":1},"l":[9]})
    );
}

#[test]
fn spec_del_final_wildcard() {
    assert_eq!(
        del(base(), &["z.*"]),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":null,"l":[9]})
    );
}

#[test]
fn spec_move_rename_in_array_elements() {
    assert_eq!(
        mv(base(), "a.*.b", "a.*.x"),
        json!({"a":[{"c":2,"x":1},{"x":3}],"z":{"j":2,"k":1},"l":[9]})
    );
}

#[test]
fn spec_move_promote_one() {
    assert_eq!(
        mv(base(), "a.0.b", "first"),
        json!({"a":[{"c":2},{"b":3}],"z":{"j":2,"k":1},"l":[9],"first":1})
    );
}

#[test]
fn spec_move_promote_many_last_wins() {
    assert_eq!(
        mv(base(), "a.*.b", "bs"),
        json!({"a":[{"c":2},null],"z":{"j":2,"k":1},"l":[9],"bs":3})
    );
}

#[test]
fn spec_move_equal_length_renames_last_segment_only() {
    assert_eq!(
        mv(base(), "z.k", "q.w"),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2,"w":1},"l":[9]})
    );
}

#[test]
fn spec_move_embed_ignores_leading_dst_segments() {
    assert_eq!(
        mv(base(), "z.k", "other.y.w"),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2,"y":{"w":1}},"l":[9]})
    );
}

#[test]
fn spec_move_promote_overwrites() {
    assert_eq!(
        mv(base(), "z.k", "l"),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2},"l":1})
    );
}

#[test]
fn spec_append() {
    assert_eq!(
        app(base(), "a", "l"),
        json!({"z":{"j":2,"k":1},"l":[9,{"b":1,"c":2},{"b":3}]})
    );
}

// del

#[test]
fn del_several_args_and_missing_paths() {
    assert_eq!(
        del(base(), &["nope", "z.j", "a.5", "a.0.b.deeper", "l.0.x"]),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"k":1},"l":[9]})
    );
}

#[test]
fn del_array_labels_are_not_renumbered_within_one_apply() {
    let data = json!({"l":[1,2,3]});
    assert_eq!(del(data.clone(), &["l.0", "l.0"]), json!({"l":[2,3]}));
    assert_eq!(del(data.clone(), &["l.0", "l.1"]), json!({"l":[3]}));
    assert_eq!(del(data.clone(), &["l.2", "l.1", "l.0"]), json!({"l":null}));
    // Only Go's exact index spelling matches.
    assert_eq!(del(data, &["l.01", "l.+1", "l. 1"]), json!({"l":[1,2,3]}));
}

#[test]
fn del_wildcard_on_object_and_array_gives_null() {
    let data = json!({"o":{"x":1,"y":{"z":2}},"l":[1,[2]],"s":"str","e":{},"f":[]});
    assert_eq!(
        del(data, &["o.*", "l.*", "s.*", "e.*", "f.*"]),
        json!({"o":null,"l":null,"s":"str","e":{},"f":[]})
    );
}

#[test]
fn emptied_containers_become_null_originally_empty_stay() {
    let data = json!({"o":{"x":1},"l":[1],"e":{},"f":[],"n":null,"d":{"x":{"y":1}}});
    assert_eq!(
        del(data, &["o.x", "l.0", "e.x", "f.0", "n.x", "d.x.y"]),
        json!({"o":null,"l":null,"e":{},"f":[],"n":null,"d":{"x":null}})
    );
}

#[test]
fn root_becoming_non_object_is_null() {
    assert_eq!(del(base(), &["*"]), Value::Null);
    assert_eq!(del(json!({"a":1}), &["a"]), Value::Null);
    // An originally empty root stays an object.
    assert_eq!(del(json!({}), &["*"]), json!({}));
    assert_eq!(mv(json!({}), "a", "b"), json!({}));
    // Not an object to begin with (KrakenD never passes one).
    assert_eq!(apply(json!([1]), &[]), Value::Null);
    assert_eq!(del(json!([1]), &["x"]), Value::Null);
}

#[test]
fn nulls_are_kept() {
    assert_eq!(
        del(json!({"a":null,"b":{"c":null,"d":1}}), &["b.d"]),
        json!({"a":null,"b":{"c":null}})
    );
}

#[test]
fn no_ops_is_identity() {
    assert_eq!(apply(base(), &[]), base());
    assert_eq!(del(base(), &[]), base());
}

#[test]
fn empty_paths_are_noops() {
    let empty: &[&str] = &[];
    let ops = [
        Op::Move {
            from: empty,
            to: &["x"],
        },
        Op::Move {
            from: &["z"],
            to: empty,
        },
        Op::Append {
            from: empty,
            to: &["l"],
        },
        Op::Append {
            from: &["a"],
            to: empty,
        },
        Op::Del { paths: &[empty] },
    ];
    assert_eq!(apply(base(), &ops), base());
}

// move

#[test]
fn move_missing_source_is_noop() {
    assert_eq!(mv(base(), "nope.x", "y"), base());
    assert_eq!(mv(base(), "a.*.nope", "y"), base());
    assert_eq!(mv(base(), "a.*.nope", "a.*.y"), base());
    assert_eq!(mv(base(), "z.k.deeper", "q"), base());
}

#[test]
fn move_rename_onto_existing_key_moved_wins() {
    // "a" sorts before "b": the renamed key must still win.
    assert_eq!(
        mv(json!({"o":{"a":1,"b":2}}), "o.a", "o.b"),
        json!({"o":{"b":1}})
    );
    assert_eq!(
        mv(json!({"o":{"a":1,"b":2}}), "o.b", "o.a"),
        json!({"o":{"a":2}})
    );
    assert_eq!(mv(json!({"a":1,"b":2}), "a", "b"), json!({"b":1}));
}

#[test]
fn move_same_path_is_identity() {
    assert_eq!(mv(base(), "z.k", "z.k"), base());
    assert_eq!(mv(base(), "a.*.b", "a.*.b"), base());
}

#[test]
fn move_final_wildcard_is_literal() {
    assert_eq!(
        mv(json!({"a":{"*":1,"x":2}}), "a.*", "b"),
        json!({"a":{"x":2},"b":1})
    );
    assert_eq!(mv(json!({"a":{"x":2}}), "a.*", "b"), json!({"a":{"x":2}}));
}

#[test]
fn move_whole_subtree_to_root_and_down() {
    assert_eq!(
        mv(base(), "z", "y.w"),
        json!({"a":[{"b":1,"c":2},{"b":3}],"y":{"w":{"j":2,"k":1}},"l":[9]})
    );
    assert_eq!(
        mv(base(), "a.1", "second"),
        json!({"a":[{"b":1,"c":2}],"z":{"j":2,"k":1},"l":[9],"second":{"b":3}})
    );
}

#[test]
fn move_with_wildcard_in_middle() {
    let data = json!({"x":{"p":{"v":1,"o":0},"q":{"v":2}}});
    assert_eq!(
        mv(data.clone(), "x.*.v", "x.*.w"),
        json!({"x":{"p":{"w":1,"o":0},"q":{"w":2}}})
    );
    // Promotion through a `*`: the label comes from each match's own source path.
    let deep = json!({"x":{"p":{"v":{"u":1}},"q":{"v":{"u":2}}}});
    assert_eq!(
        mv(deep, "x.*.v.u", "x.*.u"),
        json!({"x":{"p":{"u":1,"v":null},"q":{"u":2,"v":null}}})
    );
    // Embedding below each original parent.
    assert_eq!(
        mv(data, "x.*.v", "ignored.ignored.new.v2"),
        json!({"x":{"p":{"o":0,"new":{"v2":1}},"q":{"new":{"v2":2}}}})
    );
}

#[test]
fn move_promote_walk_stops_at_first_missing_segment() {
    // `y` is missing: attach at the root under `w`.
    assert_eq!(
        mv(base(), "a.0.b", "y.w"),
        json!({"a":[{"c":2},{"b":3}],"z":{"j":2,"k":1},"l":[9],"w":1})
    );
    // `z` exists, `nope` does not: attach at `z`.
    assert_eq!(
        mv(base(), "a.0.b.c", "z.nope.w"),
        base(),
        "a.0.b is a scalar: nothing to move"
    );
    assert_eq!(
        mv(
            json!({"s":{"t":{"u":{"v":1}}},"z":{}}),
            "s.t.u.v",
            "z.nope.w"
        ),
        json!({"s":{"t":{"u":null}},"z":{"w":1}})
    );
}

#[test]
fn move_promote_onto_array_appends_element() {
    assert_eq!(
        mv(base(), "z.k", "l.x"),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2,"x":1},"l":[9]}),
        "n = m: only relabels within z"
    );
    assert_eq!(
        mv(json!({"s":{"t":{"k":1}},"l":[9]}), "s.t.k", "l.x"),
        json!({"s":{"t":null},"l":[9,1]})
    );
}

#[test]
fn move_embed_creates_objects_and_goes_through_scalars() {
    assert_eq!(mv(json!({"k":1}), "k", "a.b.c"), json!({"a":{"b":{"c":1}}}));
    assert_eq!(
        mv(json!({"z":{"j":2,"k":1}}), "z.k", "z.j.w"),
        json!({"z":{"j":{"w":1}}})
    );
    // Removing the added child brings the scalar back.
    let (f, t, d) = (split("z.k"), split("z.j.w"), split("z.j.w"));
    assert_eq!(
        apply(
            json!({"z":{"j":2,"k":1}}),
            &[Op::Move { from: &f, to: &t }, Op::Del { paths: &[&d] }]
        ),
        json!({"z":{"j":2}})
    );
    // Existing intermediate objects are reused.
    assert_eq!(
        mv(json!({"k":1,"a":{"x":0}}), "k", "a.y"),
        json!({"a":{"x":0,"y":1}})
    );
}

#[test]
fn move_several_sources_to_one_name_last_wins() {
    assert_eq!(
        mv(json!({"o":{"p":{"v":1},"q":{"v":2}}}), "o.*.v", "v"),
        json!({"o":{"p":null,"q":null},"v":2})
    );
}

#[test]
fn move_then_del_finds_the_original_first() {
    // KrakenD appends the moved edge next to the existing `l`; lookups find the original
    // first, so the following `del l` removes the original and the moved value remains.
    let (f, t, d) = (split("z.k"), split("l"), split("l"));
    assert_eq!(
        apply(
            base(),
            &[Op::Move { from: &f, to: &t }, Op::Del { paths: &[&d] }]
        ),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2},"l":1})
    );
}

#[test]
fn move_relabel_inside_array_changes_its_label() {
    // `l.0` renamed to `x` stays in place; `l.0` no longer exists afterwards.
    let (f, t, d) = (split("l.0"), split("l.x"), split("l.0"));
    assert_eq!(
        apply(
            json!({"l":[1,2]}),
            &[Op::Move { from: &f, to: &t }, Op::Del { paths: &[&d] }]
        ),
        json!({"l":[1,2]})
    );
}

#[test]
fn move_promote_wildcard_label_go_slice_aliasing() {
    // Source paths r.a.b.<s1|s2>.c share Go's backing array at position 3: both read "s2".
    let data = json!({"r":{"a":{"b":{"s1":{"c":{"d":1}},"s2":{"c":{"d":2}}}}}});
    assert_eq!(
        mv(data.clone(), "r.a.b.*.c.d", "r.a.b.*.d"),
        json!({"r":{"a":{"b":{"s1":{"c":null},"s2":{"c":null,"d":2}}}}})
    );
    // Position 2 is never shared.
    assert_eq!(
        mv(data, "r.a.*.c.d", "r.a.*.d"),
        json!({"r":{"a":{"b":{"s1":{"c":{"d":1}},"s2":{"c":{"d":2}}}}}}),
        "b.c does not exist"
    );
    let shallow = json!({"r":{"a":{"s1":{"c":{"d":1}},"s2":{"c":{"d":2}}}}});
    assert_eq!(
        mv(shallow, "r.a.*.c.d", "r.a.*.d"),
        json!({"r":{"a":{"s1":{"c":null,"d":1},"s2":{"c":null,"d":2}}}})
    );
}

// append

#[test]
fn append_wildcard_source() {
    assert_eq!(
        app(base(), "a.*.b", "l"),
        json!({"a":[{"c":2},null],"z":{"j":2,"k":1},"l":[9,1,3]})
    );
    // Missing matches contribute nulls.
    assert_eq!(
        app(base(), "a.*.c", "l"),
        json!({"a":[{"b":1},{"b":3}],"z":{"j":2,"k":1},"l":[9,2,null]})
    );
}

#[test]
fn append_requires_two_arrays() {
    assert_eq!(app(base(), "z", "l"), base());
    assert_eq!(app(base(), "a", "z"), base());
    assert_eq!(app(base(), "a", "nope"), base());
    assert_eq!(app(base(), "nope", "l"), base());
    // An emptied array is null, not an array.
    let (d, f, t) = (split("l.0"), split("a"), split("l"));
    assert_eq!(
        apply(
            base(),
            &[Op::Del { paths: &[&d] }, Op::Append { from: &f, to: &t }]
        ),
        json!({"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2,"k":1},"l":null})
    );
}

#[test]
fn append_to_and_from_originally_empty_arrays() {
    assert_eq!(app(json!({"s":[1,2],"d":[]}), "s", "d"), json!({"d":[1,2]}));
    assert_eq!(app(json!({"s":[],"d":[1]}), "s", "d"), json!({"d":[1]}));
    assert_eq!(app(json!({"s":[],"d":[]}), "s", "d"), json!({"d":[]}));
}

#[test]
fn append_to_itself_removes_it() {
    assert_eq!(app(json!({"l":[1],"k":0}), "l", "l"), json!({"k":0}));
}

#[test]
fn append_merges_into_renumbered_children() {
    // After `del d.0` the remaining child keeps label 1; re-adding [20, "x"] puts 20 under a
    // new label 0 (appended) and "x" under label 1: KrakenD renders ["x", 20].
    let (del_path, f, t) = (split("d.0"), split("s"), split("d"));
    assert_eq!(
        apply(
            json!({"s":["x"],"d":[10,20]}),
            &[
                Op::Del {
                    paths: &[&del_path]
                },
                Op::Append { from: &f, to: &t }
            ]
        ),
        json!({"d":["x",20]})
    );
}

#[test]
fn append_wildcard_destination_writes_literal_star() {
    assert_eq!(
        app(json!({"s":[9],"d":[{"b":1},{"b":2}]}), "s", "d.*.b"),
        json!({"d":[{"b":1},{"b":2},{"b":[1,2,9]}]})
    );
}

#[test]
fn append_nested_source_in_destination() {
    assert_eq!(
        app(json!({"d":[{"s":[1]},2]}), "d.0.s", "d"),
        json!({"d":[null,2,1]})
    );
}

#[test]
fn append_wildcard_final_source() {
    assert_eq!(
        app(json!({"o":{"x":1,"y":2},"d":[0]}), "o.*", "d"),
        json!({"o":null,"d":[0,1,2]})
    );
}

#[test]
fn numbers_keep_their_text() {
    let data: Value =
        serde_json::from_str(r#"{"a":{"n":1.50,"big":123456789012345678901234567890}}"#).unwrap();
    let out = mv(data, "a.n", "n");
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"a":{"big":123456789012345678901234567890},"n":1.50}"#
    );
}

mod props {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    const SEGS: &[&str] = &["a", "b", "c", "0", "1", "2", "*"];

    fn json_tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0i64..100).prop_map(|n| json!(n)),
            Just(json!({})),
            Just(json!([])),
        ];
        leaf.prop_recursive(4, 48, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(&SEGS[..6]).prop_map(str::to_owned),
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn object_tree() -> impl Strategy<Value = Value> {
        prop::collection::btree_map(
            prop::sample::select(&SEGS[..6]).prop_map(str::to_owned),
            json_tree(),
            0..4,
        )
        .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    fn path() -> impl Strategy<Value = Vec<&'static str>> {
        prop::collection::vec(prop::sample::select(SEGS), 1..5)
    }

    #[derive(Debug, Clone)]
    enum OwnedOp {
        Move(Vec<&'static str>, Vec<&'static str>),
        Del(Vec<Vec<&'static str>>),
        Append(Vec<&'static str>, Vec<&'static str>),
    }

    fn owned_op() -> impl Strategy<Value = OwnedOp> {
        prop_oneof![
            (path(), path()).prop_map(|(a, b)| OwnedOp::Move(a, b)),
            prop::collection::vec(path(), 0..3).prop_map(OwnedOp::Del),
            (path(), path()).prop_map(|(a, b)| OwnedOp::Append(a, b)),
        ]
    }

    fn run(data: Value, ops: &[OwnedOp]) -> Value {
        let dels: Vec<Vec<&[&str]>> = ops
            .iter()
            .map(|op| match op {
                OwnedOp::Del(ps) => ps.iter().map(Vec::as_slice).collect(),
                _ => Vec::new(),
            })
            .collect();
        let ops: Vec<Op> = ops
            .iter()
            .zip(&dels)
            .map(|(op, d)| match op {
                OwnedOp::Move(a, b) => Op::Move { from: a, to: b },
                OwnedOp::Append(a, b) => Op::Append { from: a, to: b },
                OwnedOp::Del(_) => Op::Del { paths: d },
            })
            .collect();
        apply(data, &ops)
    }

    /// `del` of one path on freshly built data, straight on the `Value`.
    fn reference_del(v: &mut Value, path: &[&str]) {
        let Some((seg, rest)) = path.split_first() else {
            return;
        };
        let has_children = match v {
            Value::Object(m) => !m.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => false,
        };
        if !has_children {
            return;
        }
        if *seg == WILDCARD {
            if rest.is_empty() {
                *v = Value::Null;
            } else {
                match v {
                    Value::Object(m) => m.values_mut().for_each(|c| reference_del(c, rest)),
                    Value::Array(a) => a.iter_mut().for_each(|c| reference_del(c, rest)),
                    _ => {}
                }
            }
            return;
        }
        let emptied = match v {
            Value::Object(m) => {
                if rest.is_empty() {
                    m.remove(*seg);
                } else if let Some(c) = m.get_mut(*seg) {
                    reference_del(c, rest);
                }
                m.is_empty()
            }
            Value::Array(a) => {
                if let Some(i) = (0..a.len()).find(|&i| is_index(seg, i)) {
                    if rest.is_empty() {
                        a.remove(i);
                    } else {
                        reference_del(&mut a[i], rest);
                    }
                }
                a.is_empty()
            }
            _ => false,
        };
        if emptied {
            *v = Value::Null;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn random_ops_never_panic_and_yield_object_or_null(
            data in object_tree(),
            ops in prop::collection::vec(owned_op(), 0..6),
        ) {
            let out = run(data, &ops);
            prop_assert!(out.is_object() || out.is_null());
        }

        #[test]
        fn no_ops_is_identity(data in object_tree()) {
            prop_assert_eq!(run(data.clone(), &[]), data.clone());
            prop_assert_eq!(run(data.clone(), &[OwnedOp::Del(Vec::new())]), data);
        }

        #[test]
        fn del_of_missing_root_key_is_identity(data in object_tree(), tail in path()) {
            let mut p = vec!["missing"];
            p.extend(tail);
            prop_assert_eq!(run(data.clone(), &[OwnedOp::Del(vec![p])]), data);
        }

        #[test]
        fn move_onto_itself_is_identity(data in object_tree(), p in path()) {
            prop_assert_eq!(run(data.clone(), &[OwnedOp::Move(p.clone(), p)]), data);
        }

        #[test]
        fn single_del_matches_reference(data in object_tree(), p in path()) {
            let mut expected = data.clone();
            reference_del(&mut expected, &p);
            if !expected.is_object() {
                expected = Value::Null;
            }
            prop_assert_eq!(run(data, &[OwnedOp::Del(vec![p])]), expected);
        }

        #[test]
        fn promote_to_root_then_back_round_trips_a_key(data in object_tree(), k in prop::sample::select(&SEGS[..6])) {
            // Moving a top-level key into a fresh object and back restores the data.
            let out = run(
                data.clone(),
                &[OwnedOp::Move(vec![k], vec!["tmp", "v"]), OwnedOp::Move(vec!["tmp", "v"], vec![k])],
            );
            let mut expected = data;
            if let Some(m) = expected.as_object_mut() {
                if m.contains_key(k) {
                    m.insert("tmp".to_owned(), Value::Null);
                }
            }
            prop_assert_eq!(out, expected);
        }
    }
}
