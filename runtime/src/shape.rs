//! Response manipulation of one backend's data (spec: docs/spec/manipulation.md §1–§2).
//!
//! Each function is one step; generated code calls the steps a backend uses, in KrakenD's order
//! (`target`, then `allow` or else `deny`, then `mapping`, then `group`). Dot paths are split at
//! build time, so a path is a slice of segments.

use serde_json::{Map, Value};

/// Backend data: always a JSON object once decoded.
pub type Data = Map<String, Value>;

/// `target`: the object at `path`; `{}` when a segment is missing or not an object.
///
/// An empty `path` leaves the data unchanged.
pub fn target(mut data: Data, path: &[&str]) -> Data {
    for segment in path {
        match data.remove(*segment) {
            Some(Value::Object(inner)) => data = inner,
            _ => return Data::new(),
        }
    }
    data
}

/// `allow`: keep only the listed paths (objects only; arrays are never entered).
///
/// When a listed path is a prefix of another, the one listed later wins (as KrakenD builds its
/// allow tree). An empty list keeps nothing; empty paths are ignored.
pub fn allow(mut data: Data, paths: &[&[&str]]) -> Data {
    if has_conflicts(paths) {
        let effective: Vec<&[&str]> = paths
            .iter()
            .enumerate()
            .filter(|&(i, p)| !paths[i + 1..].iter().any(|q| related(p, q)))
            .map(|(_, p)| *p)
            .collect();
        select(&mut data, &effective, &[])
    } else {
        select(&mut data, paths, &[])
    }
}

/// Whether one of `a`, `b` is a prefix of the other (equal included). Empty paths never relate.
fn related(a: &[&str], b: &[&str]) -> bool {
    let n = a.len().min(b.len());
    n > 0 && a[..n] == b[..n]
}

/// Whether some listed path is overridden by a later, related one.
fn has_conflicts(paths: &[&[&str]]) -> bool {
    paths
        .iter()
        .enumerate()
        .any(|(i, p)| paths[i + 1..].iter().any(|q| related(p, q)))
}

/// Moves out of `src` (the object at `prefix`) what `paths` keep below `prefix`.
///
/// `paths` hold no two related entries, so a key is either a leaf of exactly one path or an
/// intermediate of some: the first path naming an intermediate key handles all paths through it.
fn select(src: &mut Data, paths: &[&[&str]], prefix: &[&str]) -> Data {
    let depth = prefix.len();
    let mut out = Data::new();
    for path in paths {
        if path.len() <= depth || path[..depth] != *prefix {
            continue;
        }
        let Some((key, value)) = src.remove_entry(path[depth]) else {
            continue;
        };
        if path.len() == depth + 1 {
            out.insert(key, value);
        } else if let Value::Object(mut inner) = value {
            let kept = select(&mut inner, paths, &path[..=depth]);
            if !kept.is_empty() {
                out.insert(key, Value::Object(kept));
            }
        }
    }
    out
}

/// `deny`: remove the listed paths; parents stay, even empty.
///
/// Intermediate segments must be objects (arrays are not entered); missing paths are ignored.
pub fn deny(data: &mut Data, paths: &[&[&str]]) {
    for path in paths {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        if let Some(parent) = object_at(data, parents) {
            parent.remove(*last);
        }
    }
}

/// The object reached from `data` through `path` (every segment an object), if any.
fn object_at<'a>(data: &'a mut Data, path: &[&str]) -> Option<&'a mut Data> {
    let mut node = data;
    for segment in path {
        node = match node.get_mut(*segment) {
            Some(Value::Object(inner)) => inner,
            _ => return None,
        };
    }
    Some(node)
}

/// `mapping`: simultaneous rename of top-level keys (`new` is already cut at its first `.`).
///
/// Every listed source is taken out first, then each is inserted under its new name (so swaps
/// work and a moved value overwrites an existing key). Two sources renamed to the same name:
/// the later pair wins.
pub fn mapping(data: &mut Data, pairs: &[(&str, &str)]) {
    match pairs {
        [] => {}
        [(old, new)] => {
            if old != new {
                if let Some(value) = data.remove(*old) {
                    data.insert((*new).to_owned(), value);
                }
            }
        }
        _ => {
            let mut moved = Vec::with_capacity(pairs.len());
            for (old, new) in pairs {
                if let Some(value) = data.remove(*old) {
                    moved.push((*new, value));
                }
            }
            for (new, value) in moved {
                data.insert(new.to_owned(), value);
            }
        }
    }
}

/// Backend `flatmap_filter` (manipulation.md §3). A root that stops being an object leaves no
/// data (`{}`).
pub fn flatmap(data: Data, ops: &[crate::flatmap::Op<'_>]) -> Data {
    match crate::flatmap::apply(Value::Object(data), ops) {
        Value::Object(m) => m,
        _ => Data::new(),
    }
}

/// `group`: wrap the data under `name` (also when it is empty).
pub fn group(data: Data, name: &str) -> Data {
    let mut out = Data::new();
    out.insert(name.to_owned(), Value::Object(data));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn data(value: Value) -> Data {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn split(paths: &[&'static str]) -> Vec<Vec<&'static str>> {
        paths.iter().map(|p| p.split('.').collect()).collect()
    }

    fn run_allow(input: Value, paths: &[&'static str]) -> Value {
        let split = split(paths);
        let refs: Vec<&[&str]> = split.iter().map(Vec::as_slice).collect();
        Value::Object(allow(data(input), &refs))
    }

    fn run_deny(input: Value, paths: &[&'static str]) -> Value {
        let split = split(paths);
        let refs: Vec<&[&str]> = split.iter().map(Vec::as_slice).collect();
        let mut d = data(input);
        deny(&mut d, &refs);
        Value::Object(d)
    }

    fn run_mapping(input: Value, pairs: &[(&str, &str)]) -> Value {
        let mut d = data(input);
        mapping(&mut d, pairs);
        Value::Object(d)
    }

    fn example() -> Value {
        json!({"a":{"b":1,"c":2},"d":[{"b":1}],"e":3})
    }

    // ---- target ----

    #[test]
    fn target_extracts_nested_object() {
        let input = json!({"x":{"y":{"z":1,"w":[1]}},"o":2});
        assert_eq!(
            target(data(input.clone()), &["x", "y"]),
            data(json!({"z":1,"w":[1]}))
        );
        assert_eq!(
            target(data(input), &["x"]),
            data(json!({"y":{"z":1,"w":[1]}}))
        );
    }

    #[test]
    fn target_missing_or_non_object_is_empty() {
        let input = json!({"a":{"b":[1]},"s":"x","n":null,"num":1,"c":{"collection":[1]}});
        assert!(target(data(input.clone()), &["missing"]).is_empty());
        assert!(target(data(input.clone()), &["a", "missing"]).is_empty());
        assert!(target(data(input.clone()), &["a", "b"]).is_empty());
        assert!(target(data(input.clone()), &["s"]).is_empty());
        assert!(target(data(input.clone()), &["n"]).is_empty());
        assert!(target(data(input.clone()), &["num"]).is_empty());
        assert!(target(data(input.clone()), &["c", "collection"]).is_empty());
        assert!(target(data(input), &["s", "deeper"]).is_empty());
    }

    #[test]
    fn target_empty_object_and_empty_path() {
        assert!(target(data(json!({"a":{}})), &["a"]).is_empty());
        assert_eq!(target(data(json!({"a":1})), &[]), data(json!({"a":1})));
        assert!(target(Data::new(), &["a"]).is_empty());
    }

    #[test]
    fn target_is_case_sensitive() {
        assert!(target(data(json!({"A":{"b":1}})), &["a"]).is_empty());
    }

    // ---- allow ----

    #[test]
    fn allow_spec_example() {
        assert_eq!(run_allow(example(), &["a.b", "d.b"]), json!({"a":{"b":1}}));
    }

    #[test]
    fn allow_leaf_keeps_any_type() {
        let input = json!({"a":[1,2],"b":{"c":1},"s":"x","n":null,"z":0});
        assert_eq!(
            run_allow(input, &["a", "b", "s", "n"]),
            json!({"a":[1,2],"b":{"c":1},"s":"x","n":null})
        );
    }

    #[test]
    fn allow_intermediate_rules() {
        // array / scalar / null at an intermediate position → removed
        let input = json!({"a":[{"b":1}],"s":"x","n":null,"k":1});
        assert_eq!(
            run_allow(input, &["a.b", "s.b", "n.b", "k"]),
            json!({"k":1})
        );
        // object with nothing surviving (or originally empty) → removed
        let input = json!({"a":{"c":1},"e":{},"k":1});
        assert_eq!(run_allow(input, &["a.b", "e.b", "k"]), json!({"k":1}));
        // nested survivors
        let input = json!({"a":{"b":{"c":{"d":1,"e":2},"f":3},"g":4}});
        assert_eq!(
            run_allow(input, &["a.b.c.d", "a.g", "a.b.x.y"]),
            json!({"a":{"b":{"c":{"d":1}},"g":4}})
        );
    }

    #[test]
    fn allow_nothing_survives() {
        assert_eq!(run_allow(example(), &["x", "y.z"]), json!({}));
        assert_eq!(run_allow(example(), &[]), json!({}));
        assert_eq!(run_allow(json!({}), &["a"]), json!({}));
    }

    #[test]
    fn allow_siblings_share_parent() {
        let input = json!({"a":{"b":1,"c":2,"d":3},"e":{"f":{"g":1,"h":2}}});
        assert_eq!(
            run_allow(input, &["a.b", "e.f.h", "a.d", "e.f.g"]),
            json!({"a":{"b":1,"d":3},"e":{"f":{"g":1,"h":2}}})
        );
    }

    #[test]
    fn allow_prefix_conflict_later_wins() {
        let input = json!({"a":{"b":1,"c":2},"z":1});
        assert_eq!(
            run_allow(input.clone(), &["a", "a.b"]),
            json!({"a":{"b":1}})
        );
        assert_eq!(
            run_allow(input.clone(), &["a.b", "a"]),
            json!({"a":{"b":1,"c":2}})
        );
        assert_eq!(
            run_allow(input.clone(), &["a.b", "a", "a.c"]),
            json!({"a":{"c":2}})
        );
        assert_eq!(run_allow(input.clone(), &["a", "a.x"]), json!({}));
        assert_eq!(
            run_allow(input.clone(), &["a.b", "a.b"]),
            json!({"a":{"b":1}})
        );
        assert_eq!(
            run_allow(input.clone(), &["a.b", "z", "a.c"]),
            json!({"a":{"b":1,"c":2},"z":1})
        );
        // A later deeper path replaces an earlier leaf even when it finds nothing.
        let deep = json!({"a":{"b":{"c":1,"d":2},"e":3}});
        assert_eq!(
            run_allow(deep.clone(), &["a.b", "a.b.c"]),
            json!({"a":{"b":{"c":1}}})
        );
        assert_eq!(
            run_allow(deep.clone(), &["a.b.c", "a.b"]),
            json!({"a":{"b":{"c":1,"d":2}}})
        );
        assert_eq!(
            run_allow(deep, &["a.b.c", "a", "a.b.d", "a.e"]),
            json!({"a":{"b":{"d":2},"e":3}})
        );
    }

    #[test]
    fn allow_is_case_sensitive() {
        assert_eq!(run_allow(json!({"A":1,"a":2}), &["a"]), json!({"a":2}));
    }

    #[test]
    fn allow_deep_nesting() {
        let depth = 100;
        let mut value = json!({"leaf":1,"other":2});
        for _ in 0..depth {
            value = json!({"n": value, "x": 0});
        }
        let mut path = vec!["n"; depth];
        path.push("leaf");
        let d = allow(data(value), &[&path]);
        let mut expected = json!({"leaf":1});
        for _ in 0..depth {
            expected = json!({ "n": expected });
        }
        assert_eq!(Value::Object(d), expected);
    }

    // ---- deny ----

    #[test]
    fn deny_spec_example() {
        assert_eq!(
            run_deny(example(), &["a.b"]),
            json!({"a":{"c":2},"d":[{"b":1}],"e":3})
        );
    }

    #[test]
    fn deny_top_level_and_nested() {
        let input = json!({"a":{"b":{"c":1,"d":2}},"e":3,"f":[1]});
        assert_eq!(
            run_deny(input, &["e", "a.b.c", "f"]),
            json!({"a":{"b":{"d":2}}})
        );
    }

    #[test]
    fn deny_keeps_empty_parents() {
        assert_eq!(
            run_deny(json!({"a":{"b":{"c":1}}}), &["a.b.c"]),
            json!({"a":{"b":{}}})
        );
    }

    #[test]
    fn deny_missing_and_non_objects_ignored() {
        let input = json!({"a":{"b":1},"d":[{"b":1}],"s":"x","n":null});
        assert_eq!(
            run_deny(
                input.clone(),
                &["x", "a.x", "a.b.c", "d.b", "d.0", "s.b", "n.b", "x.y.z"]
            ),
            input
        );
        assert_eq!(run_deny(input.clone(), &[]), input);
    }

    #[test]
    fn deny_any_order_with_prefixes() {
        let input = json!({"a":{"b":1,"c":2},"e":3});
        assert_eq!(run_deny(input.clone(), &["a", "a.b"]), json!({"e":3}));
        assert_eq!(run_deny(input, &["a.b", "a"]), json!({"e":3}));
    }

    #[test]
    fn deny_removes_any_value_type() {
        let input = json!({"a":{"arr":[1],"obj":{"x":1},"nul":null,"k":1}});
        assert_eq!(
            run_deny(input, &["a.arr", "a.obj", "a.nul"]),
            json!({"a":{"k":1}})
        );
    }

    // ---- mapping ----

    #[test]
    fn mapping_renames_top_level() {
        assert_eq!(
            run_mapping(
                json!({"collection":[1,2],"x":1}),
                &[("collection", "items")]
            ),
            json!({"items":[1,2],"x":1})
        );
        assert_eq!(
            run_mapping(
                json!({"a":1,"b":{"c":2}}),
                &[("a", "x"), ("b", "y"), ("missing", "z")]
            ),
            json!({"x":1,"y":{"c":2}})
        );
    }

    #[test]
    fn mapping_missing_source_is_noop() {
        let input = json!({"a":1});
        assert_eq!(run_mapping(input.clone(), &[("b", "c")]), input);
        assert_eq!(run_mapping(input.clone(), &[]), input);
        assert_eq!(run_mapping(input.clone(), &[("a", "a")]), input);
        assert_eq!(run_mapping(input.clone(), &[("a", "a"), ("q", "r")]), input);
    }

    #[test]
    fn mapping_overwrites_existing() {
        assert_eq!(
            run_mapping(json!({"a":1,"b":2,"c":3}), &[("a", "b")]),
            json!({"b":1,"c":3})
        );
        assert_eq!(
            run_mapping(json!({"a":1,"b":2,"c":3}), &[("a", "c"), ("q", "r")]),
            json!({"b":2,"c":1})
        );
    }

    #[test]
    fn mapping_is_simultaneous() {
        assert_eq!(
            run_mapping(json!({"a":1,"b":2}), &[("a", "b"), ("b", "a")]),
            json!({"a":2,"b":1})
        );
        // chain: a→b, b→c moves both, nothing lost
        assert_eq!(
            run_mapping(json!({"a":1,"b":2}), &[("a", "b"), ("b", "c")]),
            json!({"b":1,"c":2})
        );
        assert_eq!(
            run_mapping(json!({"a":1,"b":2}), &[("b", "c"), ("a", "b")]),
            json!({"b":1,"c":2})
        );
        // rotation
        assert_eq!(
            run_mapping(
                json!({"a":1,"b":2,"c":3}),
                &[("a", "b"), ("b", "c"), ("c", "a")]
            ),
            json!({"a":3,"b":1,"c":2})
        );
        // chain where the middle source is missing: b (not present) doesn't hide a's move
        assert_eq!(
            run_mapping(json!({"a":1}), &[("a", "b"), ("b", "c")]),
            json!({"b":1})
        );
        // two sources to one name: the later pair wins
        assert_eq!(
            run_mapping(json!({"a":1,"b":2}), &[("a", "x"), ("b", "x")]),
            json!({"x":2})
        );
    }

    #[test]
    fn mapping_dotted_old_is_literal_and_top_level_only() {
        let input = json!({"a":{"b":1},"a.b":2});
        assert_eq!(
            run_mapping(input, &[("a.b", "x")]),
            json!({"a":{"b":1},"x":2})
        );
        // no literal "p.q" key: nothing happens, nested keys are never renamed
        let input = json!({"p":{"q":1}});
        assert_eq!(run_mapping(input.clone(), &[("p.q", "x")]), input);
        assert_eq!(run_mapping(input.clone(), &[("q", "x")]), input);
    }

    // ---- group ----

    #[test]
    fn group_wraps_even_empty() {
        assert_eq!(Value::Object(group(Data::new(), "g")), json!({"g":{}}));
        assert_eq!(
            Value::Object(group(data(json!({"a":1})), "g")),
            json!({"g":{"a":1}})
        );
    }

    #[test]
    fn full_pipeline() {
        let input = json!({"res":{"id":1,"name":"n","secret":"s","meta":{"x":1}},"other":1});
        let d = target(data(input), &["res"]);
        let d = allow(d, &[&["id"], &["name"], &["meta", "x"]]);
        let mut d = d;
        mapping(&mut d, &[("name", "title")]);
        let d = group(d, "item");
        assert_eq!(
            Value::Object(d),
            json!({"item":{"id":1,"title":"n","meta":{"x":1}}})
        );
    }
}
