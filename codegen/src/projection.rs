//! Response shaping compiled into the parse: which backends get it, and the `'static`
//! projection they get (runtime: `krustd_runtime::projection`).
//!
//! A backend whose `target`, `allow` or `deny` is known at build time only needs part of its
//! body: its steps become a [`Projection`] that the runtime follows while reading, skipping what
//! nobody keeps. The runtime's generic path (decode everything, then `shape::*`) stays the
//! reference; a backend stays on it when nothing can be skipped (no `target`/`allow`/`deny`),
//! when its body is not JSON, or, from a `flatmap_filter` on, for the steps that follow.

use crate::emit::ident;
use crate::plan::{Backend, Decode, ShapeStep};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// How a backend's data gets shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shaping {
    /// No manipulation steps at all.
    Unshaped,
    /// Every step on the generic path, for the reason given (said in the generated code).
    Generic(&'static str),
    /// The first `covers` steps compiled into the parse; the others, if any, on the generic
    /// path for the reason given.
    Projected {
        projection: Projection,
        covers: usize,
        rest: Option<&'static str>,
    },
}

/// What the runtime's `projection::Projection` holds, in plan form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// `JsonObject`, `JsonCollection` or `SafeJson`.
    pub decode: Decode,
    pub target: Vec<String>,
    pub select: Select,
    pub mapping: Vec<(String, String)>,
    pub group: Option<String>,
}

/// Which keys of the targeted object survive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    All,
    /// The effective `allow` paths as a tree (see [`allow_tree`]).
    Allow(Vec<Field>),
    /// The `deny` paths as a tree (see [`deny_tree`]).
    Deny(Vec<Field>),
}

/// One key of a tree; siblings are unique and sorted by key (byte order), as the runtime
/// searches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    /// Empty: a path ends here.
    pub below: Vec<Field>,
}

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

/// What `emit::backend` adds for a backend's shaping.
pub(crate) struct Emitted<'a> {
    /// The projection `static`, if any.
    pub items: TokenStream,
    /// The body decoder to call the backend with; `None`: the generic decoder.
    pub decoder: Option<TokenStream>,
    /// The steps left to the generic path (`BackendResult::shape`).
    pub rest: &'a [ShapeStep],
    /// A doc line for the backend's function saying which path its shaping takes.
    pub doc: Option<String>,
}

pub(crate) fn emit(b: &Backend) -> Emitted<'_> {
    match &b.shaping {
        Shaping::Unshaped => Emitted {
            items: TokenStream::new(),
            decoder: None,
            rest: &b.steps,
            doc: None,
        },
        Shaping::Generic(why) => Emitted {
            items: TokenStream::new(),
            decoder: None,
            rest: &b.steps,
            doc: Some(format!(" Shaping on the generic path: {why}.")),
        },
        Shaping::Projected {
            projection,
            covers,
            rest,
        } => {
            let name = ident::static_ident(&b.ident, "_PROJECTION");
            let item_doc = format!(
                " Backend {}: the response shaping compiled into the parse of its body.",
                b.index
            );
            let names =
                |steps: &[ShapeStep]| steps.iter().map(step_name).collect::<Vec<_>>().join(", ");
            let (done, left) = b.steps.split_at((*covers).min(b.steps.len()));
            let doc = match rest {
                Some(why) => format!(
                    " Shaping: {} compiled into the parse (`{name}`); {} on the generic path: {why}.",
                    names(done),
                    names(left)
                ),
                None => format!(" Shaping compiled into the parse (`{name}`)."),
            };
            Emitted {
                items: emit_static(&name, projection, &item_doc),
                decoder: Some(quote! {
                    |__body| __rt::projection::decode(__body, &#name)
                }),
                rest: left,
                doc: Some(doc),
            }
        }
    }
}

/// A step's name in the contract, for comments.
fn step_name(step: &ShapeStep) -> &'static str {
    match step {
        ShapeStep::Target(_) => "`target`",
        ShapeStep::Allow(_) => "`allow`",
        ShapeStep::Deny(_) => "`deny`",
        ShapeStep::Mapping(_) => "`mapping`",
        ShapeStep::Group(_) => "`group`",
        ShapeStep::Flatmap(_) => "`flatmap_filter`",
    }
}

/// The `static` of a projected backend, named `name`.
fn emit_static(name: &Ident, p: &Projection, doc: &str) -> TokenStream {
    let decode = match p.decode {
        Decode::JsonCollection => quote! { __rt::Decode::JsonCollection },
        Decode::SafeJson => quote! { __rt::Decode::SafeJson },
        _ => quote! { __rt::Decode::JsonObject },
    };
    let target = &p.target;
    let select = match &p.select {
        Select::All => quote! { __rt::projection::Select::All },
        Select::Allow(fields) => {
            let f = fields_tokens(fields);
            quote! { __rt::projection::Select::Allow(#f) }
        }
        Select::Deny(fields) => {
            let f = fields_tokens(fields);
            quote! { __rt::projection::Select::Deny(#f) }
        }
    };
    let mapping = p.mapping.iter().map(|(a, b)| quote! { (#a, #b) });
    let group = match &p.group {
        Some(g) => quote! { ::core::option::Option::Some(#g) },
        None => quote! { ::core::option::Option::None },
    };
    quote! {
        #[doc = #doc]
        static #name: __rt::projection::Projection = __rt::projection::Projection {
            decode: #decode,
            target: &[#(#target),*],
            select: #select,
            mapping: &[#(#mapping),*],
            group: #group,
        };
    }
}

fn fields_tokens(fields: &[Field]) -> TokenStream {
    let items = fields.iter().map(|f| {
        let key = &f.key;
        let below = fields_tokens(&f.below);
        quote! { __rt::projection::Field { key: #key, below: #below } }
    });
    quote! { &[#(#items),*] }
}

/// Puts every shaped backend of `plan` on the generic path: a build with the compiled shaping
/// switched off, for measuring what it buys end to end (BENCHMARKS.md).
pub fn disable(plan: &mut crate::plan::Plan) {
    for backend in plan
        .endpoints
        .iter_mut()
        .flat_map(|e| e.backends.iter_mut())
    {
        if !backend.steps.is_empty() {
            backend.shaping = Shaping::Generic("compiled shaping is switched off in this build");
        }
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
