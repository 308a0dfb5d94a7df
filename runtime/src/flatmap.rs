//! KrakenD's `flatmap_filter` (`extra_config.proxy.flatmap_filter`, manipulation.md §3).
//!
//! KrakenD (lura `proxy/formatter.go`, `flatmapFormatter`) runs these operations on a tree built
//! by `github.com/krakendio/flatmap/tree`; this module reimplements that tree so that every
//! observable behaviour matches, including the odd ones:
//!
//! - Objects are keyed by name and arrays by index (`"0"`, `"1"`, …); a node keeps its children
//!   as an *ordered list of labelled edges*. Array labels are **not** renumbered after a `del` or a
//!   `move` during one [`apply`] (after `del a.0`, a second `del a.0` finds nothing); only the
//!   output lists an array's remaining children in order.
//! - Labels may repeat in a node (a value moved onto an existing name is appended next to it).
//!   Output keeps the **last** edge of a name; lookups (`del`, `move`, `append`, walking a path)
//!   use the **first**. When an `n = m` rename hits an existing name of the same object, the
//!   renamed value is the one output (manipulation.md §3: "the moved value wins"; KrakenD's order
//!   there depends on Go's random map iteration).
//! - A container whose children are all removed renders as `null`; a container that was empty in
//!   the input (`{}`/`[]`) stays as it was. A scalar node that gains children (a `move` through it)
//!   renders as an object, and renders as its old scalar again if they are all removed.
//! - `append` re-adds `dst ++ src` at `dst` the way KrakenD does: element `i` is merged into the
//!   child labelled `i` (first match) or appended; `src` is then deleted. A `*` in `dst` is a
//!   wildcard when reading `dst` but a literal `*` key when writing it.
//! - A `move` whose destination (`n > m`) uses `*` takes the label from the source path of each
//!   match; like KrakenD (a Go slice aliasing quirk in `collectMoveCandidates`), position `i ≥ 3`
//!   that is not a power of two holds the label of the *last* sibling matched at that position.
//! - Object keys are visited in sorted order (serde_json's `Map` is a `BTreeMap`) where KrakenD's
//!   order is random (Go map iteration): wildcard matches of object children, "last one wins".
//!
//! # What codegen must decide (KrakenD config parsing, lura `newFlatmapFormatter`)
//!
//! - `extra_config.proxy.flatmap_filter` must be a JSON array, else the feature is absent. An
//!   empty array → absent (`allow`/`deny`/`mapping` apply).
//! - Each entry that is not an object, or whose `type` is missing or not a string, is skipped.
//! - **An entry with an unknown string `type` is NOT skipped by lura**: it is kept as a no-op, so a
//!   list whose only entries have unknown types still enables flatmap (and so disables
//!   `allow`/`deny`/`mapping` on a backend). manipulation.md §3 says unknown types are skipped like
//!   missing types; the two disagree only for such all-unknown lists.
//! - `args` not an array → no paths: `del` does nothing; `move`/`append` index `args[0]`/`args[1]`
//!   and panic in Go (the request fails). Fewer than 2 args for `move`/`append` → same panic.
//!   A non-string arg becomes an empty path: in `del` it does nothing; as `append` source or
//!   destination it resolves to the root (an object, so a no-op); as a `move` source or
//!   destination Go panics (index/slice out of range) unless nothing matches.
//!   [`apply`] treats an empty path as a no-op everywhere; it never panics.
//! - `move`/`append` use only `args[0]` and `args[1]` (extra args ignored); `del` uses every arg.
//! - Paths are split with Go's `strings.Split(arg, ".")`: `""` is one empty segment, `"a..b"` has
//!   an empty middle segment, `"*"` is only special as a whole segment. Codegen must split the
//!   same way (`str::split('.')`).
//! - Backend flatmap runs after `target` and before `group`; the endpoint-level one only under
//!   the conditions of manipulation.md §3 — both are the caller's business.

use serde_json::{Map, Value};

const WILDCARD: &str = "*";

/// One `flatmap_filter` operation; paths are pre-split on `.` (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// `{"type":"move","args":[from, to]}`.
    Move {
        from: &'a [&'a str],
        to: &'a [&'a str],
    },
    /// `{"type":"del","args":paths}`: each path is deleted in order.
    Del { paths: &'a [&'a [&'a str]] },
    /// `{"type":"append","args":[from, to]}`.
    Append {
        from: &'a [&'a str],
        to: &'a [&'a str],
    },
}

/// Applies the operations in order to the data. The root may stop being an object: then the
/// result is `Value::Null`.
pub fn apply(data: Value, ops: &[Op<'_>]) -> Value {
    if ops.is_empty() {
        return into_object_or_null(data);
    }
    let mut tree = Tree {
        root: Node::default(),
        batches: 0,
    };
    tree.root.flatten(data, &mut tree.batches);
    for op in ops {
        match *op {
            Op::Move { from, to } => tree.move_edges(from, to),
            Op::Del { paths } => {
                for path in paths {
                    tree.root.del(path);
                }
            }
            Op::Append { from, to } => tree.append(from, to),
        }
    }
    into_object_or_null(tree.root.into_value())
}

fn into_object_or_null(v: Value) -> Value {
    match v {
        Value::Object(_) => v,
        _ => Value::Null,
    }
}

/// An edge label: a key of the input, an array index, or a segment of an operation's path.
#[derive(Debug, Clone)]
enum Label<'a> {
    Key(String),
    Index(usize),
    Seg(&'a str),
}

impl Label<'_> {
    fn matches(&self, seg: &str) -> bool {
        match self {
            Label::Key(k) => k == seg,
            Label::Seg(s) => *s == seg,
            Label::Index(i) => is_index(seg, *i),
        }
    }

    fn same(&self, other: &Label<'_>) -> bool {
        match other {
            Label::Key(k) => self.matches(k),
            Label::Seg(s) => self.matches(s),
            Label::Index(i) => match self {
                Label::Index(j) => i == j,
                Label::Key(k) => is_index(k, *i),
                Label::Seg(s) => is_index(s, *i),
            },
        }
    }

    fn into_key(self) -> String {
        match self {
            Label::Key(k) => k,
            Label::Index(i) => i.to_string(),
            Label::Seg(s) => s.to_owned(),
        }
    }
}

/// Whether `s` is exactly Go's `strconv.Itoa(i)`.
fn is_index(s: &str, i: usize) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter().all(u8::is_ascii_digit)
        && (b.len() == 1 || b[0] != b'0')
        && s.parse::<usize>() == Ok(i)
}

struct Edge<'a> {
    label: Label<'a>,
    node: Node<'a>,
    /// Edges created together from one object (whose relative order is Go's random map order)
    /// share a batch; every other edge has its own.
    batch: usize,
}

/// A tree node: `value` is what a node without children renders as (a scalar, `null`, or a
/// container that was empty in the input); a node with children renders them as an array
/// (`is_collection`) or an object.
#[derive(Default)]
struct Node<'a> {
    value: Value,
    is_collection: bool,
    edges: Vec<Edge<'a>>,
}

fn next_batch(batches: &mut usize) -> usize {
    *batches = batches.wrapping_add(1);
    *batches
}

impl<'a> Node<'a> {
    fn find(&self, seg: &str) -> Option<usize> {
        self.edges.iter().position(|e| e.label.matches(seg))
    }

    fn push(&mut self, label: Label<'a>, node: Node<'a>, batch: usize) -> &mut Node<'a> {
        self.edges.push(Edge { label, node, batch });
        let last = self.edges.len() - 1;
        &mut self.edges[last].node
    }

    /// Sets this node from `v`, merging into existing children by label (KrakenD's `flatten`).
    fn flatten(&mut self, v: Value, batches: &mut usize) {
        match v {
            Value::Object(map) => {
                self.is_collection = false;
                if map.is_empty() {
                    self.value = Value::Object(map);
                    return;
                }
                let batch = next_batch(batches);
                let fresh = self.edges.is_empty();
                for (k, child) in map {
                    let found = if fresh { None } else { self.find(&k) };
                    match found {
                        Some(i) => self.edges[i].node.flatten(child, batches),
                        None => self
                            .push(Label::Key(k), Node::default(), batch)
                            .flatten(child, batches),
                    }
                }
            }
            Value::Array(items) => {
                self.is_collection = true;
                if items.is_empty() {
                    self.value = Value::Array(items);
                    return;
                }
                // Children labelled exactly 0..len in order: label i is at position i.
                let dense = self
                    .edges
                    .iter()
                    .enumerate()
                    .all(|(i, e)| e.label.same(&Label::Index(i)));
                let known = self.edges.len();
                for (i, child) in items.into_iter().enumerate() {
                    let found = if dense {
                        (i < known).then_some(i)
                    } else {
                        self.edges
                            .iter()
                            .position(|e| e.label.same(&Label::Index(i)))
                    };
                    match found {
                        Some(j) => self.edges[j].node.flatten(child, batches),
                        None => {
                            let batch = next_batch(batches);
                            self.push(Label::Index(i), Node::default(), batch)
                                .flatten(child, batches)
                        }
                    }
                }
            }
            other => {
                self.is_collection = false;
                self.value = other;
            }
        }
    }

    fn into_value(self) -> Value {
        if self.edges.is_empty() {
            return self.value;
        }
        if self.is_collection {
            return Value::Array(
                self.edges
                    .into_iter()
                    .map(|e| e.node.into_value())
                    .collect(),
            );
        }
        let mut map = Map::new();
        for e in self.edges {
            map.insert(e.label.into_key(), e.node.into_value());
        }
        Value::Object(map)
    }

    /// The node's rendering; `take` moves the leaves out instead of cloning them.
    fn expand(&mut self, take: bool) -> Value {
        if self.edges.is_empty() {
            return if take {
                std::mem::take(&mut self.value)
            } else {
                self.value.clone()
            };
        }
        if self.is_collection {
            return Value::Array(self.edges.iter_mut().map(|e| e.node.expand(take)).collect());
        }
        let mut map = Map::new();
        for e in &mut self.edges {
            map.insert(e.label.clone().into_key(), e.node.expand(take));
        }
        Value::Object(map)
    }

    /// KrakenD's `Get`: a `*` segment yields the array of every child's result.
    fn get(&mut self, ks: &[&str], take: bool) -> Value {
        let Some((seg, rest)) = ks.split_first() else {
            return self.expand(take);
        };
        if self.edges.is_empty() {
            return Value::Null;
        }
        if *seg == WILDCARD {
            return Value::Array(
                self.edges
                    .iter_mut()
                    .map(|e| e.node.get(rest, take))
                    .collect(),
            );
        }
        match self.find(seg) {
            Some(i) => self.edges[i].node.get(rest, take),
            None => Value::Null,
        }
    }

    /// Whether [`Node::get`] would return an array.
    fn get_is_array(&self, ks: &[&str]) -> bool {
        let Some((seg, rest)) = ks.split_first() else {
            return if self.edges.is_empty() {
                self.value.is_array()
            } else {
                self.is_collection
            };
        };
        if self.edges.is_empty() {
            return false;
        }
        if *seg == WILDCARD {
            return true;
        }
        self.find(seg)
            .is_some_and(|i| self.edges[i].node.get_is_array(rest))
    }

    /// KrakenD's `Add`: walks `ks` (literally, `*` included), creating children as needed, then
    /// flattens `v` into the node reached.
    fn add(&mut self, ks: &[&'a str], v: Value, batches: &mut usize) {
        let mut cur = self;
        for seg in ks {
            match cur.find(seg) {
                Some(i) => cur = &mut cur.edges[i].node,
                None => {
                    let batch = next_batch(batches);
                    cur = cur.push(Label::Seg(seg), Node::default(), batch);
                }
            }
        }
        cur.flatten(v, batches);
    }

    fn del(&mut self, ks: &[&str]) {
        let Some((seg, rest)) = ks.split_first() else {
            return;
        };
        if self.edges.is_empty() {
            return;
        }
        if *seg == WILDCARD {
            if rest.is_empty() {
                self.edges.clear();
            } else {
                for e in &mut self.edges {
                    e.node.del(rest);
                }
            }
            return;
        }
        if let Some(i) = self.find(seg) {
            if rest.is_empty() {
                self.edges.remove(i);
            } else {
                self.edges[i].node.del(rest);
            }
        }
    }

    /// Walks `segs` from this node (first match), creating missing objects.
    fn walk_create(&mut self, segs: &[&'a str], batches: &mut usize) -> &mut Node<'a> {
        let mut cur = self;
        for seg in segs {
            match cur.find(seg) {
                Some(i) => cur = &mut cur.edges[i].node,
                None => {
                    let batch = next_batch(batches);
                    cur = cur.push(Label::Seg(seg), Node::default(), batch);
                }
            }
        }
        cur
    }

    /// Walks `segs` from this node (first match; a `*` reuses the source label at the same
    /// position), stopping at the first missing segment.
    fn walk_existing(&mut self, segs: &[&str], src_path: &[Label<'_>]) -> &mut Node<'a> {
        let mut cur = self;
        for (i, seg) in segs.iter().enumerate() {
            let found = if *seg == WILDCARD {
                src_path
                    .get(i)
                    .and_then(|l| cur.edges.iter().position(|e| e.label.same(l)))
            } else {
                cur.find(seg)
            };
            match found {
                Some(j) => cur = &mut cur.edges[j].node,
                None => break,
            }
        }
        cur
    }

    /// Renames the first child labelled `from` to `to`, in place.
    fn relabel(&mut self, from: &str, to: &'a str) {
        let Some(j) = self.find(from) else {
            return;
        };
        self.edges[j].label = Label::Seg(to);
        if from == to || self.is_collection {
            return;
        }
        // The renamed value wins over an existing same-named key created with it (whose relative
        // order is random in KrakenD): place it after the last such key.
        let batch = self.edges[j].batch;
        let last = self
            .edges
            .iter()
            .rposition(|e| e.batch == batch && e.label.matches(to));
        if let Some(last) = last.filter(|&last| last > j) {
            let edge = self.edges.remove(j);
            self.edges.insert(last, edge);
        }
    }

    /// Removes and returns the first child labelled `seg`.
    fn detach(&mut self, seg: &str) -> Option<Edge<'a>> {
        self.find(seg).map(|i| self.edges.remove(i))
    }
}

/// A node matched by a `move` source prefix, with the labels leading to it as KrakenD sees them.
struct Candidate<'t, 'a> {
    node: &'t mut Node<'a>,
    path: Vec<Label<'a>>,
    /// Candidates sharing Go's path backing array (see [`collect_candidates`]).
    group: usize,
}

/// The nodes matched by `segs` from `root` (`*` = every child, literal = first match), in order.
///
/// With `need_paths`, also the labels leading to each one, reproducing lura/flatmap's Go slice
/// aliasing: each path is `append(parentPath, label)`; when the parent's backing array has spare
/// capacity (length `i ≥ 3` not a power of two) every path sharing that array writes the same
/// slot, so all of them read the label written last.
fn collect_candidates<'t, 'a>(
    root: &'t mut Node<'a>,
    segs: &[&str],
    need_paths: bool,
) -> Vec<Candidate<'t, 'a>> {
    let mut next = vec![Candidate {
        node: root,
        path: Vec::new(),
        group: 0,
    }];
    let mut groups = 0usize;
    for (i, seg) in segs.iter().enumerate() {
        let shared = i >= 3 && !i.is_power_of_two();
        let mut acc = Vec::new();
        for Candidate { node, path, group } in next {
            let mut child = |e: &'t mut Edge<'a>| {
                let path = if need_paths {
                    let mut p = path.clone();
                    p.push(e.label.clone());
                    p
                } else {
                    Vec::new()
                };
                let group = if shared {
                    group
                } else {
                    groups = groups.wrapping_add(1);
                    groups
                };
                Candidate {
                    node: &mut e.node,
                    path,
                    group,
                }
            };
            if *seg == WILDCARD {
                for e in node.edges.iter_mut() {
                    acc.push(child(e));
                }
            } else if let Some(e) = node.edges.iter_mut().find(|e| e.label.matches(seg)) {
                acc.push(child(e));
            }
        }
        if need_paths && shared {
            let mut start = 0;
            while start < acc.len() {
                let group = acc[start].group;
                let end = acc[start..]
                    .iter()
                    .position(|c| c.group != group)
                    .map_or(acc.len(), |k| start + k);
                if let Some(label) = acc[end - 1].path.get(i).cloned() {
                    for c in &mut acc[start..end] {
                        if let Some(slot) = c.path.get_mut(i) {
                            *slot = label.clone();
                        }
                    }
                }
                start = end;
            }
        }
        next = acc;
    }
    next
}

struct Tree<'a> {
    root: Node<'a>,
    batches: usize,
}

impl<'a> Tree<'a> {
    fn move_edges(&mut self, src: &[&'a str], dst: &[&'a str]) {
        let (Some((&last, parents)), Some((&dst_last, dst_init))) =
            (src.split_last(), dst.split_last())
        else {
            return;
        };
        let (n, m) = (src.len(), dst.len());
        if n == m {
            for c in collect_candidates(&mut self.root, parents, false) {
                c.node.relabel(last, dst_last);
            }
        } else if n > m {
            // Promotion: re-attach under the node reached by walking `dst_init` from the root.
            let need_paths = dst_init.contains(&WILDCARD);
            let moved: Vec<(Vec<Label<'a>>, Edge<'a>)> =
                collect_candidates(&mut self.root, parents, need_paths)
                    .into_iter()
                    .filter_map(|c| c.node.detach(last).map(|e| (c.path, e)))
                    .collect();
            for (path, mut edge) in moved {
                edge.label = Label::Seg(dst_last);
                edge.batch = next_batch(&mut self.batches);
                self.root.walk_existing(dst_init, &path).edges.push(edge);
            }
        } else {
            // Embedding: re-attach below the original parent through `dst[n-1..m-1]`.
            let batches = &mut self.batches;
            let mut moved = Vec::new();
            for c in collect_candidates(&mut self.root, parents, false) {
                let parent = c.node;
                if let Some(edge) = parent.detach(last) {
                    moved.push((parent, edge));
                }
            }
            for (parent, mut edge) in moved {
                edge.label = Label::Seg(dst_last);
                edge.batch = next_batch(batches);
                parent
                    .walk_create(&dst_init[n - 1..], batches)
                    .edges
                    .push(edge);
            }
        }
    }

    fn append(&mut self, src: &[&'a str], dst: &[&'a str]) {
        if src.is_empty()
            || dst.is_empty()
            || !self.root.get_is_array(src)
            || !self.root.get_is_array(dst)
        {
            return;
        }
        // `src` is deleted afterwards: its leaves can be moved out unless writing `dst` could
        // touch them (one path a prefix of the other, `*` matching anything).
        let overlap = src
            .iter()
            .zip(dst)
            .all(|(a, b)| a == b || *a == WILDCARD || *b == WILDCARD);
        let (Value::Array(mut combined), Value::Array(tail)) =
            (self.root.get(dst, false), self.root.get(src, !overlap))
        else {
            return;
        };
        combined.extend(tail);
        self.root
            .add(dst, Value::Array(combined), &mut self.batches);
        self.root.del(src);
    }
}

#[cfg(test)]
mod tests {
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
            serde_json::from_str(r#"{"a":{"n":1.50,"big":123456789012345678901234567890}}"#)
                .unwrap();
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
}
