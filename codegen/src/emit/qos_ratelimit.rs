//! `qos/ratelimit/router` (+ `krustd/ratelimit/redis`) and `qos/ratelimit/proxy`: the limiter
//! statics and the statements that consult them. One static per limiter, so one budget covers
//! every core of the process.

use super::duration;
use crate::naming as ident;
use crate::plan::{Bucket, ClientKey, RateLimit};
use proc_macro2::TokenStream;
use quote::quote;

/// The name the service-level limiters' statics derive from.
pub(crate) const SERVICE: &str = "__service";

fn token_bucket(b: &Bucket) -> TokenStream {
    let (fill, cap) = (b.fill_ns, b.capacity);
    quote! { __rt::ratelimit::TokenBucket::new(#fill, #cap) }
}

/// The statics of an endpoint's limiters, and the statements of the generated handler that
/// answer 429 (client bucket) then 503 (endpoint bucket), before the endpoint call starts.
pub(crate) fn endpoint(base: &str, rl: &RateLimit) -> (TokenStream, TokenStream) {
    let mut items = TokenStream::new();
    let mut checks = TokenStream::new();
    let redis_id = ident::static_ident(base, "_RATE_REDIS");
    if let Some(r) = &rl.redis {
        let name = &r.name;
        let timeout = duration(r.timeout);
        items.extend(quote! {
            static #redis_id: __rt::ratelimit::redis::RedisLimit = __rt::ratelimit::redis::RedisLimit {
                name: #name,
                timeout: #timeout,
            };
        });
    }
    if let Some(c) = &rl.clients {
        let id = ident::static_ident(base, "_RATE_CLIENTS");
        let key = match &c.key {
            ClientKey::Ip => quote! { __rt::ratelimit::ClientKey::Ip },
            ClientKey::IpHeader(h) => {
                quote! { __rt::ratelimit::ClientKey::IpHeader(__rt::HeaderName::from_static(#h)) }
            }
            ClientKey::Header(h) => {
                quote! { __rt::ratelimit::ClientKey::Header(__rt::HeaderName::from_static(#h)) }
            }
            ClientKey::Param(i) => quote! { __rt::ratelimit::ClientKey::Param(#i) },
        };
        let (fill, cap) = (c.bucket.fill_ns, c.bucket.capacity);
        let (ttl, cleanup, shards) = (c.ttl_s, c.cleanup_s, c.shards);
        items.extend(quote! {
            static #id: __rt::ratelimit::ClientLimit = __rt::ratelimit::ClientLimit {
                key: #key,
                buckets: __rt::ratelimit::ClientBuckets::new(
                    #fill, #cap, #ttl, #cleanup, #shards, __rt::ratelimit::DEFAULT_MAX_KEYS,
                ),
            };
        });
        checks.extend(if rl.redis.is_some() {
            quote! {
                let __key = #id.key.of(&__state, &__req).map(|k| k.into_owned());
                if !__rt::ratelimit::redis::allow_client(&__state, &#redis_id, &#id, __key).await {
                    return __rt::ratelimit::too_many_requests();
                }
            }
        } else {
            quote! {
                if !#id.allow(&__state, &__req) {
                    return __rt::ratelimit::too_many_requests();
                }
            }
        });
    }
    if let Some(b) = &rl.endpoint {
        let id = ident::static_ident(base, "_RATE_BUCKET");
        let bucket = token_bucket(b);
        items.extend(quote! {
            static #id: __rt::ratelimit::TokenBucket = #bucket;
        });
        checks.extend(if rl.redis.is_some() {
            quote! {
                if !__rt::ratelimit::redis::allow_endpoint(&__state, &#redis_id, &#id).await {
                    return __rt::ratelimit::service_unavailable();
                }
            }
        } else {
            quote! {
                if !#id.allow() {
                    return __rt::ratelimit::service_unavailable();
                }
            }
        });
    }
    (items, checks)
}

/// `qos/ratelimit/proxy`: the backend's bucket, and `call` run only when it has a token.
pub(crate) fn backend(base: &str, b: &Bucket, call: TokenStream) -> (TokenStream, TokenStream) {
    let id = ident::static_ident(base, "_RATE");
    let bucket = token_bucket(b);
    (
        quote! { static #id: __rt::ratelimit::TokenBucket = #bucket; },
        quote! { __rt::ratelimit::limited(&#id, #call) },
    )
}
