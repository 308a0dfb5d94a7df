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
mod tests;
