//! `static` items of plain data, read from their tokens into a small tree and written as text
//! with prettyplease's layout, without `syn`.
//!
//! The subset: `#[doc = "one line"]` attributes, `pub` or no visibility, a type made of paths,
//! arrays `[T; N]`, slices and references, and an expression made of literals, paths, `&`,
//! arrays, tuples, calls of a path and struct literals with named fields. Anything else (a
//! method call, an operator, a generic argument, a multi-line doc, ...) makes `Static::parse`
//! answer `None`, and the item takes the `syn` + prettyplease path. Each construct is printed
//! with the boxes and breaks prettyplease gives it (`expr_array`, `call_args`, `expr_struct`,
//! `expr_tuple`, `item_static` in its source), so the layout is the same; the tests compare
//! both on every static of every contract and on random trees.

use super::printer::{Printer, INDENT};
use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use std::fmt::Write as _;

/// A `static` item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Static {
    pub docs: Vec<String>,
    pub public: bool,
    pub name: String,
    /// The type, as prettyplease writes it (it never breaks inside a type of the subset).
    pub ty: String,
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A literal as written; `simple` for those that keep an array on one box (integers,
    /// bytes, chars, `true`/`false`).
    Lit {
        text: String,
        simple: bool,
    },
    /// `a::b::C` or `::a::B`.
    Path(String),
    Ref(Box<Expr>),
    Array(Vec<Expr>),
    Tuple(Vec<Expr>),
    Call(String, Vec<Expr>),
    Struct(String, Vec<(String, Expr)>),
}

impl Static {
    /// The item whose tokens are `trees` (up to its `;`), if it is in the subset.
    pub(crate) fn parse(trees: &[TokenTree]) -> Option<Static> {
        let mut at = 0;
        let mut docs = Vec::new();
        while let Some(TokenTree::Punct(p)) = trees.get(at) {
            if p.as_char() != '#' {
                return None;
            }
            let TokenTree::Group(g) = trees.get(at + 1)? else {
                return None;
            };
            if g.delimiter() != Delimiter::Bracket {
                return None;
            }
            docs.push(doc(g.stream())?);
            at += 2;
        }
        let public = is_ident(trees.get(at)?, "pub");
        if public {
            at += 1;
        }
        if !is_ident(trees.get(at)?, "static") {
            return None;
        }
        let TokenTree::Ident(name) = trees.get(at + 1)? else {
            return None;
        };
        let name = name.to_string();
        if name == "mut" || !is_punct(trees.get(at + 2)?, ':') {
            return None;
        }
        let rest = &trees[at + 3..];
        let eq = rest.iter().position(|t| is_punct(t, '='))?;
        let (ty_trees, rest) = rest.split_at(eq);
        let (last, expr_trees) = rest[1..].split_last()?;
        if !is_punct(last, ';') {
            return None;
        }
        let mut ty = String::new();
        let mut c = Cursor::new(ty_trees);
        write_type(&mut c, &mut ty)?;
        if !c.done() {
            return None;
        }
        let mut c = Cursor::new(expr_trees);
        let expr = parse_expr(&mut c)?;
        c.done().then_some(Static {
            docs,
            public,
            name,
            ty,
            expr,
        })
    }

    /// The item as prettyplease writes it, appended to `out`.
    pub(crate) fn write(&self, out: &mut String) {
        let mut p = Printer::new(out);
        // prettyplease's `file` box, around the items.
        p.cbox(0);
        for d in &self.docs {
            p.word("///");
            p.word(d.trim_end_matches(' '));
            p.hardbreak();
        }
        p.cbox(0);
        if self.public {
            p.word("pub ");
        }
        p.word("static ");
        p.word(&self.name);
        p.word(": ");
        p.word(&self.ty);
        p.word(" = ");
        p.neverbreak();
        expr(&mut p, &self.expr);
        p.word(";");
        p.end();
        p.hardbreak();
        p.end();
        p.finish();
    }
}

impl ToTokens for Expr {
    fn to_tokens(&self, out: &mut TokenStream) {
        let path = |p: &str| p.parse::<TokenStream>().unwrap_or_default();
        out.extend(match self {
            Expr::Lit { text, .. } => path(text),
            Expr::Path(p) => path(p),
            Expr::Ref(e) => quote! { &#e },
            Expr::Array(items) => quote! { [#(#items),*] },
            Expr::Tuple(items) if items.len() == 1 => {
                let item = &items[0];
                quote! { (#item,) }
            }
            Expr::Tuple(items) => quote! { (#(#items),*) },
            Expr::Call(f, args) => {
                let f = path(f);
                quote! { #f(#(#args),*) }
            }
            Expr::Struct(p, fields) => {
                let p = path(p);
                let fields = fields.iter().map(|(k, v)| {
                    let k = proc_macro2::Ident::new(k, proc_macro2::Span::call_site());
                    quote! { #k: #v }
                });
                quote! { #p { #(#fields),* } }
            }
        });
    }
}

fn expr(p: &mut Printer, e: &Expr) {
    match e {
        Expr::Lit { text, .. } | Expr::Path(text) => p.word(text),
        Expr::Ref(e) => {
            p.word("&");
            expr(p, e);
        }
        Expr::Array(items) if items.is_empty() => p.word("[]"),
        Expr::Array(items)
            if items
                .iter()
                .all(|e| matches!(e, Expr::Lit { simple: true, .. })) =>
        {
            p.cbox(INDENT);
            p.word("[");
            p.zerobreak();
            p.ibox(0);
            for (i, e) in items.iter().enumerate() {
                expr(p, e);
                if i + 1 < items.len() {
                    p.word(",");
                    p.space();
                }
            }
            p.end();
            p.trailing_comma(true);
            p.offset(-INDENT);
            p.word("]");
            p.end();
        }
        Expr::Array(items) => {
            p.word("[");
            p.cbox(INDENT);
            p.zerobreak();
            for (i, e) in items.iter().enumerate() {
                expr(p, e);
                p.trailing_comma(i + 1 == items.len());
            }
            p.offset(-INDENT);
            p.end();
            p.word("]");
        }
        Expr::Tuple(items) => {
            p.word("(");
            p.cbox(INDENT);
            p.zerobreak();
            for (i, e) in items.iter().enumerate() {
                expr(p, e);
                if items.len() == 1 {
                    p.word(",");
                    p.zerobreak();
                } else {
                    p.trailing_comma(i + 1 == items.len());
                }
            }
            p.offset(-INDENT);
            p.end();
            p.word(")");
        }
        Expr::Call(f, args) => {
            p.word(f);
            p.word("(");
            match args.as_slice() {
                // A lone array, tuple or struct literal: no box of its own.
                [e @ (Expr::Array(_) | Expr::Tuple(_) | Expr::Struct(..))] => expr(p, e),
                _ => {
                    p.cbox(INDENT);
                    p.zerobreak();
                    for (i, e) in args.iter().enumerate() {
                        expr(p, e);
                        p.trailing_comma(i + 1 == args.len());
                    }
                    p.offset(-INDENT);
                    p.end();
                }
            }
            p.word(")");
        }
        Expr::Struct(path, fields) => {
            p.cbox(INDENT);
            p.ibox(-INDENT);
            p.word(path);
            p.end();
            p.word(" {");
            p.space_if_nonempty();
            for (i, (k, v)) in fields.iter().enumerate() {
                p.word(k);
                p.word(": ");
                p.ibox(0);
                expr(p, v);
                p.end();
                p.trailing_comma_or_space(i + 1 == fields.len());
            }
            p.offset(-INDENT);
            p.end_with_max_width(34);
            p.word("}");
        }
    }
}

/// The text of `doc = "..."` when prettyplease writes it as a `///` line.
fn doc(attr: TokenStream) -> Option<String> {
    let trees: Vec<TokenTree> = attr.into_iter().collect();
    let [name, eq, TokenTree::Literal(lit)] = trees.as_slice() else {
        return None;
    };
    if !is_ident(name, "doc") || !is_punct(eq, '=') {
        return None;
    }
    let repr = lit.to_string();
    let text = match repr.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        // No escape: the text is what is written (`syn` takes ~3000 instructions per doc).
        Some(inner) if !inner.contains('\\') && !inner.contains('"') => inner.to_owned(),
        _ => match syn::Lit::new(lit.clone()) {
            syn::Lit::Str(s) => s.value(),
            _ => return None,
        },
    };
    (!text.contains('\n') && !text.starts_with('/')).then_some(text)
}

fn is_ident(t: &TokenTree, word: &str) -> bool {
    matches!(t, TokenTree::Ident(i) if i == word)
}

fn is_punct(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c)
}

struct Cursor<'a> {
    trees: &'a [TokenTree],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(trees: &'a [TokenTree]) -> Self {
        Cursor { trees, at: 0 }
    }
    fn peek(&self) -> Option<&'a TokenTree> {
        self.trees.get(self.at)
    }
    fn next(&mut self) -> Option<&'a TokenTree> {
        let t = self.trees.get(self.at);
        self.at += 1;
        t
    }
    fn done(&self) -> bool {
        self.at >= self.trees.len()
    }
    /// `::` (two joint colons).
    fn eat_path_sep(&mut self) -> bool {
        match (self.peek(), self.trees.get(self.at + 1)) {
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':' =>
            {
                self.at += 2;
                true
            }
            _ => false,
        }
    }
}

/// `a::b::C`, `::a::B` into `out`; no generic arguments.
fn write_path(c: &mut Cursor, out: &mut String) -> Option<()> {
    if c.eat_path_sep() {
        out.push_str("::");
    }
    loop {
        let TokenTree::Ident(i) = c.next()? else {
            return None;
        };
        // Writing into a String cannot fail.
        let _ = write!(out, "{i}");
        if !c.eat_path_sep() {
            return Some(());
        }
        out.push_str("::");
    }
}

fn write_type(c: &mut Cursor, out: &mut String) -> Option<()> {
    match c.peek()? {
        TokenTree::Punct(p) if p.as_char() == '&' => {
            c.next();
            out.push('&');
            if let Some(TokenTree::Punct(q)) = c.peek() {
                if q.as_char() != '\'' {
                    return None;
                }
                c.next();
                let TokenTree::Ident(l) = c.next()? else {
                    return None;
                };
                out.push('\'');
                out.push_str(&l.to_string());
                out.push(' ');
            }
            if c.peek().is_some_and(|t| is_ident(t, "mut")) {
                return None;
            }
            write_type(c, out)
        }
        TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
            c.next();
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            let mut ic = Cursor::new(&inner);
            out.push('[');
            write_type(&mut ic, out)?;
            if !ic.done() {
                if !is_punct(ic.next()?, ';') {
                    return None;
                }
                let Expr::Lit { text, .. } = parse_expr(&mut ic)? else {
                    return None;
                };
                out.push_str("; ");
                out.push_str(&text);
            }
            out.push(']');
            ic.done().then_some(())
        }
        TokenTree::Ident(_) | TokenTree::Punct(_) => write_path(c, out),
        _ => None,
    }
}

fn parse_expr(c: &mut Cursor) -> Option<Expr> {
    match c.peek()? {
        TokenTree::Literal(l) => {
            c.next();
            let text = l.to_string();
            if text.starts_with('-') {
                return None;
            }
            if text.starts_with('"') {
                // The common case, without `syn`.
                return Some(Expr::Lit {
                    text,
                    simple: false,
                });
            }
            let simple = match syn::Lit::new(l.clone()) {
                syn::Lit::Int(_) | syn::Lit::Byte(_) | syn::Lit::Char(_) => true,
                syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_) => false,
                syn::Lit::Float(_) => false,
                _ => return None,
            };
            Some(Expr::Lit { text, simple })
        }
        TokenTree::Ident(i) if i == "true" || i == "false" => {
            let text = i.to_string();
            c.next();
            Some(Expr::Lit { text, simple: true })
        }
        TokenTree::Punct(p) if p.as_char() == '&' => {
            c.next();
            if c.peek().is_some_and(|t| is_ident(t, "mut")) {
                return None;
            }
            Some(Expr::Ref(Box::new(parse_expr(c)?)))
        }
        TokenTree::Group(g) => {
            c.next();
            let (items, trailing) = parse_list(g.stream())?;
            match g.delimiter() {
                Delimiter::Bracket => Some(Expr::Array(items)),
                // `(x)` is a parenthesized expression, `(x,)` a tuple.
                Delimiter::Parenthesis if items.len() != 1 || trailing => Some(Expr::Tuple(items)),
                _ => None,
            }
        }
        TokenTree::Ident(_) | TokenTree::Punct(_) => {
            let mut path = String::new();
            write_path(c, &mut path)?;
            match c.peek() {
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                    c.next();
                    let (args, _) = parse_list(g.stream())?;
                    Some(Expr::Call(path, args))
                }
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                    c.next();
                    Some(Expr::Struct(path, parse_fields(g.stream())?))
                }
                _ => Some(Expr::Path(path)),
            }
        }
    }
}

/// `a, b, c` with an optional trailing comma (and whether there was one).
fn parse_list(stream: TokenStream) -> Option<(Vec<Expr>, bool)> {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    let mut c = Cursor::new(&trees);
    let mut items = Vec::new();
    let mut trailing = false;
    while !c.done() {
        items.push(parse_expr(&mut c)?);
        trailing = false;
        if !c.done() {
            if !is_punct(c.next()?, ',') {
                return None;
            }
            trailing = true;
        }
    }
    Some((items, trailing))
}

/// `name: expr, ...` of a struct literal (no shorthand, no `..rest`).
fn parse_fields(stream: TokenStream) -> Option<Vec<(String, Expr)>> {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    let mut c = Cursor::new(&trees);
    let mut fields = Vec::new();
    while !c.done() {
        let TokenTree::Ident(k) = c.next()? else {
            return None;
        };
        let colon = c.next()?;
        if !is_punct(colon, ':')
            || matches!(colon, TokenTree::Punct(p) if p.spacing() == Spacing::Joint)
        {
            return None;
        }
        fields.push((k.to_string(), parse_expr(&mut c)?));
        if !c.done() && !is_punct(c.next()?, ',') {
            return None;
        }
    }
    Some(fields)
}
