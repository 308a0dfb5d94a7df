//! The shaping decision: which backends get their response shaping compiled into the parse,
//! and the `'static` projection tree they get (runtime: `krustd_runtime::projection`).
//!
//! A backend whose `target`, `allow` or `deny` is known at build time only needs part of its
//! body: its steps become a [`Projection`] that the runtime follows while reading, skipping what
//! nobody keeps. The runtime's generic path (decode everything, then `shape::*`) stays the
//! reference; a backend stays on it when nothing can be skipped (no `target`/`allow`/`deny`),
//! when its body is not JSON, or, from a `flatmap_filter` on, for the steps that follow.

use crate::plan::ir::{Decode, Field, Projection, Select, ShapeStep, Shaping};

const FLATMAP: &str = "`flatmap_filter` rewrites the whole tree, arrays included";

/// Decides how a backend with `decode` and `steps` (in KrakenD's order, as `plan` lowers them)
/// is shaped.
pub fn shaping(decode: Decode, steps: &[ShapeStep]) -> Shaping {
    if steps.is_empty() {
        return Shaping::Unshaped;
    }
    match decode {
        Decode::JsonObject | Decode::JsonCollection | Decode::SafeJson => {}
        Decode::String | Decode::Xml { .. } | Decode::Rss | Decode::Discard | Decode::Stream => {
            return Shaping::Generic("the body is not JSON, so the reader has nothing to skip");
        }
    }
    let mut projection = Projection {
        decode,
        target: Vec::new(),
        select: Select::All,
        mapping: Vec::new(),
        group: None,
    };
    // The runtime applies target, allow/deny, mapping, group in this order: each step must
    // come after the ones before it in that order.
    let mut next_rank = 0;
    let mut covers = 0;
    let mut rest = None;
    for step in steps {
        let rank = match step {
            ShapeStep::Target(_) => 0,
            ShapeStep::Allow(_) | ShapeStep::Deny(_) => 1,
            ShapeStep::Mapping(_) => 2,
            ShapeStep::Group(_) => 3,
            ShapeStep::Flatmap(_) => {
                rest = Some(FLATMAP);
                break;
            }
        };
        if rank < next_rank {
            rest = Some("the steps are not in KrakenD's order");
            break;
        }
        next_rank = rank + 1;
        match step {
            ShapeStep::Target(path) => projection.target = path.clone(),
            ShapeStep::Allow(paths) => projection.select = Select::Allow(allow_tree(paths)),
            ShapeStep::Deny(paths) => projection.select = Select::Deny(deny_tree(paths)),
            ShapeStep::Mapping(pairs) => projection.mapping = pairs.clone(),
            ShapeStep::Group(g) => projection.group = Some(g.clone()),
            ShapeStep::Flatmap(_) => {}
        }
        covers += 1;
    }
    if projection.target.is_empty() && projection.select == Select::All {
        return Shaping::Generic(match rest {
            Some(FLATMAP) => FLATMAP,
            _ => "every field is kept (no `target`, `allow` or `deny`), nothing to skip",
        });
    }
    Shaping::Projected {
        projection,
        covers,
        rest,
    }
}

/// Whether one of `a`, `b` is a prefix of the other (equal included); as `shape::allow` decides.
fn related(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    n > 0 && a[..n] == b[..n]
}

/// The tree of the `allow` paths that count: of two related paths (`a` and `a.b`), KrakenD
/// keeps the one listed later. No path of the result is a prefix of another, so a field is
/// either a leaf (keep the value) or an intermediate (descend into an object).
pub fn allow_tree(paths: &[Vec<String>]) -> Vec<Field> {
    let mut root = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let overridden = paths
            .get(i + 1..)
            .unwrap_or_default()
            .iter()
            .any(|later| related(path, later));
        if !overridden {
            insert(&mut root, path, false);
        }
    }
    sort(&mut root);
    root
}

/// The tree of the `deny` paths: removing a key makes every path below it moot, whichever
/// order they were listed in.
pub fn deny_tree(paths: &[Vec<String>]) -> Vec<Field> {
    let mut root = Vec::new();
    for path in paths {
        insert(&mut root, path, true);
    }
    sort(&mut root);
    root
}

/// Adds `path` below `fields`. With `leaf_wins`, an existing leaf on the way absorbs the path
/// and a path ending at an intermediate turns it into a leaf (deny); allow trees never meet
/// either case.
fn insert(fields: &mut Vec<Field>, path: &[String], leaf_wins: bool) {
    let Some((key, rest)) = path.split_first() else {
        return;
    };
    let existing = fields.iter().position(|f| f.key == *key);
    let field = match existing {
        Some(at) => fields.get_mut(at),
        None => {
            fields.push(Field {
                key: key.clone(),
                below: Vec::new(),
            });
            fields.last_mut()
        }
    };
    let Some(field) = field else {
        return;
    };
    if leaf_wins && existing.is_some() && field.below.is_empty() {
        return;
    }
    if rest.is_empty() {
        field.below.clear();
    } else {
        insert(&mut field.below, rest, leaf_wins);
    }
}

fn sort(fields: &mut [Field]) {
    fields.sort_by(|a, b| a.key.cmp(&b.key));
    for f in fields {
        sort(&mut f.below);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<Vec<String>> {
        list.iter()
            .map(|p| p.split('.').map(str::to_owned).collect())
            .collect()
    }

    /// A tree as `key(below...)` text, siblings in order.
    fn show(fields: &[Field]) -> String {
        fields
            .iter()
            .map(|f| {
                if f.below.is_empty() {
                    f.key.clone()
                } else {
                    format!("{}({})", f.key, show(&f.below))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn allow_tree_keeps_the_later_of_related_paths() {
        assert_eq!(show(&allow_tree(&paths(&["a", "a.b"]))), "a(b)");
        assert_eq!(show(&allow_tree(&paths(&["a.b", "a"]))), "a");
        assert_eq!(show(&allow_tree(&paths(&["a.b", "a", "a.c"]))), "a(c)");
        assert_eq!(
            show(&allow_tree(&paths(&["z", "a.c.d", "a.b", "a.c.e", "z"]))),
            "a(b c(d e)) z"
        );
        assert_eq!(show(&allow_tree(&paths(&["é", "B", "a", ""]))), " B a é");
    }

    #[test]
    fn deny_tree_lets_a_denied_key_absorb_paths_below_it() {
        assert_eq!(show(&deny_tree(&paths(&["a", "a.b"]))), "a");
        assert_eq!(show(&deny_tree(&paths(&["a.b", "a"]))), "a");
        assert_eq!(
            show(&deny_tree(&paths(&["a.b.c", "a.d", "x"]))),
            "a(b(c) d) x"
        );
    }

    #[test]
    fn which_backends_are_projected() {
        let allow = ShapeStep::Allow(paths(&["a"]));
        let group = ShapeStep::Group("g".into());
        let target = ShapeStep::Target(vec!["t".into()]);
        assert_eq!(shaping(Decode::JsonObject, &[]), Shaping::Unshaped);
        assert!(matches!(
            shaping(Decode::JsonObject, std::slice::from_ref(&group)),
            Shaping::Generic(_)
        ));
        assert!(matches!(
            shaping(Decode::String, std::slice::from_ref(&allow)),
            Shaping::Generic(_)
        ));
        assert!(matches!(
            shaping(Decode::JsonCollection, &[allow.clone(), group.clone()]),
            Shaping::Projected {
                covers: 2,
                rest: None,
                ..
            }
        ));
        // Out of KrakenD's order: only the prefix that is in order.
        assert!(matches!(
            shaping(Decode::JsonObject, &[allow.clone(), target.clone()]),
            Shaping::Projected {
                covers: 1,
                rest: Some(_),
                ..
            }
        ));
        // flatmap_filter: what comes before it is projected, it and the rest are not.
        let flatmap = ShapeStep::Flatmap(Vec::new());
        assert!(matches!(
            shaping(
                Decode::JsonObject,
                &[target, flatmap.clone(), group.clone()]
            ),
            Shaping::Projected {
                covers: 1,
                rest: Some(FLATMAP),
                ..
            }
        ));
        assert_eq!(
            shaping(Decode::JsonObject, &[flatmap, group]),
            Shaping::Generic(FLATMAP)
        );
    }
}
