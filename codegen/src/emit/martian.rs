//! `modifier/martian`: a backend's martian config as straight-line code. One function per
//! side (`fn <backend>_martian_request(&mut Request)`, `…_response(&mut Response)`) whose
//! body is the config's tree unrolled: groups become sequences of calls, filters `if`/`else`,
//! `aggregateErrors` a local error list. The runtime supplies the primitives
//! (`krustd_runtime::martian`); it never sees the config.

use crate::naming as ident;
use crate::plan::martian_ir::{Cond, Martian, PortOp, Step};
use crate::plan::Backend;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// What a failing step does where it stands.
#[derive(Clone)]
enum Mode {
    /// `?`: the side's function fails.
    Return,
    /// Collected by an `aggregateErrors` group.
    Push(proc_macro2::Ident),
    /// Ends the enclosing labeled block with the error.
    Break(syn::Lifetime),
}

struct Emitter<'a> {
    backend: &'a str,
    side: Side,
    items: Vec<TokenStream>,
    next: usize,
}

/// The items of a backend's martian config and the `&'static Martian` expression its spec
/// holds.
pub fn emit(b: &Backend, m: &Martian) -> (TokenStream, TokenStream) {
    let mut items = Vec::new();
    let mut side_fn = |side: Side, step: &Option<Step>| -> TokenStream {
        let Some(step) = step else {
            return quote! { ::core::option::Option::None };
        };
        let mut e = Emitter {
            backend: &b.ident,
            side,
            items: Vec::new(),
            next: 0,
        };
        let body = e.step(step, &Mode::Return);
        let (name, param, doc) = match side {
            Side::Request => (
                format!("{}_martian_request", b.ident),
                quote! { __m: &mut __rt::martian::Request },
                " modifier/martian, request side: runs on the final backend request.",
            ),
            Side::Response => (
                format!("{}_martian_response", b.ident),
                quote! { __m: &mut __rt::martian::Response<'_> },
                " modifier/martian, response side: runs on the raw answer, before the status check.",
            ),
        };
        let f = ident::fn_ident(&name);
        items.extend(e.items);
        items.push(quote! {
            #[doc = #doc]
            fn #f(#param) -> ::core::result::Result<(), __rt::martian::Error> {
                #body
                ::core::result::Result::Ok(())
            }
        });
        quote! { ::core::option::Option::Some(#f) }
    };
    let request = side_fn(Side::Request, &m.request);
    let response = side_fn(Side::Response, &m.response);
    let spec = ident::static_ident(&b.ident, "_MARTIAN");
    let doc = format!(" modifier/martian of {} (contract {})", b.ident, b.pointer);
    let items = quote! {
        #(#items)*
        #[doc = #doc]
        static #spec: __rt::martian::Martian = __rt::martian::Martian {
            request: #request,
            response: #response,
        };
    };
    (items, quote! { ::core::option::Option::Some(&#spec) })
}

fn name(n: &str) -> TokenStream {
    quote! { const { __rt::http::HeaderName::from_static(#n) } }
}

fn value(v: &str) -> TokenStream {
    quote! { const { __rt::http::HeaderValue::from_static(#v) } }
}

fn fallible(s: &Step) -> bool {
    match s {
        Step::Port(_) => true,
        Step::Seq { steps, .. } => steps.iter().any(fallible),
        Step::Filter {
            cond,
            then,
            otherwise,
        } => {
            matches!(cond, Cond::Port(_))
                || then.as_deref().is_some_and(fallible)
                || otherwise.as_deref().is_some_and(fallible)
        }
        _ => false,
    }
}

fn on_err(mode: &Mode, e: TokenStream) -> TokenStream {
    match mode {
        Mode::Return => quote! { return ::core::result::Result::Err(#e); },
        Mode::Push(v) => quote! { #v.push(::core::result::Result::Err(#e)); },
        Mode::Break(l) => quote! { break #l ::core::result::Result::Err(#e); },
    }
}

/// A call returning `Result<(), Error>`, in `mode`.
fn try_call(mode: &Mode, call: TokenStream) -> TokenStream {
    match mode {
        Mode::Return => quote! { #call?; },
        Mode::Push(v) => quote! { #v.push(#call); },
        Mode::Break(_) => {
            let err = on_err(mode, quote! { __e });
            quote! { if let ::core::result::Result::Err(__e) = #call { #err } }
        }
    }
}

impl Emitter<'_> {
    fn fresh(&mut self) -> usize {
        self.next += 1;
        self.next - 1
    }

    /// The headers a header modifier changes on this side.
    fn headers(&self) -> TokenStream {
        match self.side {
            Side::Request => quote! { __m.headers },
            Side::Response => quote! { __m.answer.headers },
        }
    }

    /// The request, for conditions (on the response side, the request that got the answer).
    fn request(&self) -> TokenStream {
        match self.side {
            Side::Request => quote! { __m },
            Side::Response => quote! { __m.request },
        }
    }

    fn regex(&mut self, pattern: &str) -> TokenStream {
        let n = self.fresh();
        let id = ident::static_ident(self.backend, &format!("_MARTIAN_RE_{n}"));
        self.items.push(quote! {
            static #id: __rt::martian::Regex = __rt::martian::Regex::new(#pattern);
        });
        quote! { &#id }
    }

    fn step(&mut self, s: &Step, mode: &Mode) -> TokenStream {
        let h = self.headers();
        match s {
            Step::Seq {
                steps,
                aggregate_errors,
            } => {
                if !steps.iter().any(fallible) {
                    let inner = steps.iter().map(|c| self.step(c, mode));
                    return quote! { #(#inner)* };
                }
                if *aggregate_errors {
                    let v = format_ident!("__errs{}", self.fresh());
                    let inner: Vec<_> = steps
                        .iter()
                        .map(|c| self.step(c, &Mode::Push(v.clone())))
                        .collect();
                    let finish = try_call(mode, quote! { #v.finish() });
                    return quote! {
                        {
                            let mut #v = __rt::martian::Errors::new();
                            #(#inner)*
                            #finish
                        }
                    };
                }
                match mode {
                    Mode::Return | Mode::Break(_) => {
                        let inner = steps.iter().map(|c| self.step(c, mode));
                        quote! { #(#inner)* }
                    }
                    Mode::Push(v) => {
                        let l = syn::Lifetime::new(
                            &format!("'__group{}", self.fresh()),
                            proc_macro2::Span::call_site(),
                        );
                        let inner: Vec<_> = steps
                            .iter()
                            .map(|c| self.step(c, &Mode::Break(l.clone())))
                            .collect();
                        quote! {
                            #v.push(#l: {
                                #(#inner)*
                                ::core::result::Result::Ok(())
                            });
                        }
                    }
                }
            }
            Step::HeaderSet { name: n, value: v } => {
                let (n, v) = (name(n), value(v));
                quote! { __rt::martian::header_set(&mut #h, #n, #v); }
            }
            Step::HeaderAppend { name: n, value: v } => {
                let (n, v) = (name(n), value(v));
                quote! { __rt::martian::header_append(&mut #h, #n, #v); }
            }
            Step::HeaderCopy { from, to } => {
                let (f, t) = (name(from), name(to));
                quote! { __rt::martian::header_copy(&mut #h, #f, #t); }
            }
            Step::HeaderRemove(n) => {
                let n = name(n);
                quote! { __rt::martian::header_remove(&mut #h, #n); }
            }
            Step::HeaderId(n) => {
                let n = name(n);
                quote! { __rt::martian::header_id(&mut #h, #n); }
            }
            Step::QuerySet { name: n, value: v } => {
                quote! { __rt::martian::query_set(__m, #n, #v); }
            }
            Step::Url {
                scheme,
                host,
                path,
                query,
            } => quote! { __rt::martian::url_set(__m, #scheme, #host, #path, #query); },
            Step::Body { body, content_type } => {
                let lit = Literal::byte_string(body);
                let ct = value(content_type);
                match self.side {
                    Side::Request => quote! { __rt::martian::body_request(__m, #lit, #ct); },
                    Side::Response => quote! { __rt::martian::body_response(__m, #lit, #ct); },
                }
            }
            Step::CookieRequest(pair) => {
                quote! { __rt::martian::cookie_request(&mut __m.headers, #pair); }
            }
            Step::Stash(n) => {
                let n = name(n);
                match self.side {
                    Side::Request => quote! { __rt::martian::stash_request(__m, #n); },
                    Side::Response => quote! { __rt::martian::stash_response(__m, #n); },
                }
            }
            Step::Port(op) => {
                let op = match op {
                    PortOp::To(p) => quote! { __rt::martian::Port::To(#p) },
                    PortOp::DefaultForScheme => quote! { __rt::martian::Port::DefaultForScheme },
                    PortOp::Remove => quote! { __rt::martian::Port::Remove },
                };
                try_call(mode, quote! { __rt::martian::port_set(__m, #op) })
            }
            Step::Status(code) => quote! { __rt::martian::status_set(__m, #code); },
            Step::StaticRequest => quote! { __rt::martian::static_request(__m); },
            Step::StaticResponse(files) => {
                let n = self.fresh();
                let f = ident::fn_ident(&format!("{}_martian_static_{n}", self.backend));
                let arms = files.iter().map(|(path, bytes, ct)| {
                    let lit = Literal::byte_string(bytes);
                    quote! { #path => ::core::option::Option::Some((#lit, #ct)), }
                });
                self.items.push(quote! {
                    /// The files of a `static.Modifier`, read at build time: request path → body
                    /// and content type.
                    fn #f(__p: &str) -> ::core::option::Option<(&'static [u8], &'static str)> {
                        match __p {
                            #(#arms)*
                            _ => ::core::option::Option::None,
                        }
                    }
                });
                quote! { __rt::martian::static_response(__m, #f); }
            }
            Step::Filter {
                cond,
                then,
                otherwise,
            } => {
                let then = then
                    .as_deref()
                    .map(|t| self.step(t, mode))
                    .unwrap_or_default();
                let otherwise = otherwise
                    .as_deref()
                    .map(|o| self.step(o, mode))
                    .unwrap_or_default();
                let req = self.request();
                let c = match cond {
                    Cond::Port(p) => {
                        let f = match self.side {
                            Side::Request => quote! { __rt::martian::port_in_request },
                            Side::Response => quote! { __rt::martian::port_in_response },
                        };
                        let err = on_err(mode, quote! { __e });
                        return quote! {
                            match #f(#req, #p) {
                                ::core::result::Result::Ok(true) => { #then }
                                ::core::result::Result::Ok(false) => { #otherwise }
                                ::core::result::Result::Err(__e) => { #err }
                            }
                        };
                    }
                    Cond::Header { name: n, value: v } => {
                        let n = name(n);
                        quote! { __rt::martian::header_is(&#h, &#n, #v) }
                    }
                    Cond::HeaderRegex { name: n, regex } => {
                        let n = name(n);
                        let re = self.regex(regex);
                        quote! { __rt::martian::header_matches(&#req.headers, &#n, #re) }
                    }
                    Cond::Query { name: n, value: v } => {
                        quote! { __rt::martian::query_has(#req, #n, #v) }
                    }
                    Cond::Url {
                        scheme,
                        host,
                        path,
                        query,
                    } => quote! { __rt::martian::url_is(#req, #scheme, #host, #path, #query) },
                    Cond::UrlRegex(regex) => {
                        let re = self.regex(regex);
                        quote! { __rt::martian::url_matches(#req, #re) }
                    }
                    Cond::Cookie { name: n, value: v } => match self.side {
                        Side::Request => {
                            quote! { __rt::martian::cookie_in_request(&#h, #n, #v) }
                        }
                        Side::Response => {
                            quote! { __rt::martian::cookie_in_response(&#h, #n, #v) }
                        }
                    },
                };
                if then.is_empty() && otherwise.is_empty() {
                    return TokenStream::new();
                }
                if otherwise.is_empty() {
                    quote! { if #c { #then } }
                } else {
                    quote! { if #c { #then } else { #otherwise } }
                }
            }
        }
    }
}
