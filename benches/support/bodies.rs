//! Deterministic JSON bodies: what the mock backend serves and what the micro-benchmarks parse.
//!
//! Every body is compact JSON of an exact byte size (a `padding` string fills the rest), built
//! from fixed data only, so two runs and two machines serve the very same bytes.

// Each bench includes this file with `#[path]` and uses a different part of it.
#![allow(dead_code)]

use serde_json::{json, Map, Value};

/// Exact sizes of the bodies the load benchmark serves.
pub const KB: usize = 1024;
pub const KB_100: usize = 100 * 1024;
pub const MB: usize = 1024 * 1024;

/// Size of each aggregation body (`/a`, `/b`, `/c`).
pub const AGGREGATION_BODY: usize = 1024;

/// A catalogue page of exactly `size` bytes (when `size` is at least ~300): top-level `id`,
/// `name`, `status`, `count` and `page` (the fields the 1 MB scenario's `allow` keeps some of),
/// then as many `items` as fit.
pub fn catalogue(size: usize) -> Vec<u8> {
    let mut doc = Map::new();
    doc.insert("id".into(), json!(42));
    doc.insert("name".into(), json!("Krustd bench catalogue"));
    doc.insert("status".into(), json!("active"));
    doc.insert("page".into(), json!(1));
    doc.insert("padding".into(), json!(""));
    doc.insert("items".into(), json!([]));
    doc.insert("count".into(), json!(0));
    // Headroom for the `count` digits and a little padding.
    let mut used = to_len(&doc) + 16;
    let mut items = Vec::new();
    for i in 0.. {
        let item = catalogue_item(i);
        let len = value_len(&item) + usize::from(i > 0);
        if used + len > size {
            break;
        }
        used += len;
        items.push(item);
    }
    doc.insert("count".into(), json!(items.len()));
    doc.insert("items".into(), Value::Array(items));
    pad_to(doc, size)
}

fn catalogue_item(i: u64) -> Value {
    const TAGS: [&str; 4] = ["outdoor", "kitchen", "garden", "office"];
    json!({
        "id": i,
        "sku": format!("SKU-{i:07}"),
        "title": format!("Catalogue item number {i}"),
        "description": "A deterministic item of the Krustd benchmark catalogue, with some text.",
        "price_cents": 1299 + (i * 37) % 5000,
        "currency": "EUR",
        "qty": i % 17,
        "available": i % 3 != 0,
        "tags": ["bench", TAGS[(i % 4) as usize]],
        "dimensions": { "w": i % 50, "h": (i * 7) % 90, "d": (i * 13) % 40 },
    })
}

/// `/a`: a user profile.
pub fn profile() -> Vec<u8> {
    let doc = json!({
        "id": 7,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "address": {
            "street": "12 St James's Square",
            "city": "London",
            "zip": "SW1Y 4JH",
            "country": "GB"
        },
        "roles": ["admin", "author", "reviewer"],
        "created_at": "2024-01-02T03:04:05Z",
        "last_login": "2025-06-07T08:09:10Z",
        "bio": "Mathematician and writer, known for her work on the Analytical Engine.",
        "padding": ""
    });
    pad_object(doc, AGGREGATION_BODY)
}

/// `/b`: a customer's recent orders.
pub fn orders() -> Vec<u8> {
    const STATUS: [&str; 3] = ["paid", "shipped", "delivered"];
    let orders: Vec<Value> = (0..6)
        .map(|i| {
            json!({
                "id": format!("ord-{:05}", 1000 + i),
                "status": STATUS[i % 3],
                "amount_cents": 2599 + i * 1000,
                "items": i + 1
            })
        })
        .collect();
    let doc = json!({
        "customer_id": 7,
        "currency": "EUR",
        "total": 33594,
        "orders": orders,
        "next_page": null,
        "padding": ""
    });
    pad_object(doc, AGGREGATION_BODY)
}

/// `/c`: user preferences.
pub fn preferences() -> Vec<u8> {
    let doc = json!({
        "theme": "dark",
        "language": "en-GB",
        "timezone": "Europe/London",
        "notifications": { "email": true, "sms": false, "push": true, "digest": "weekly" },
        "flags": { "beta": true, "new_checkout": false, "compact_lists": true },
        "layout": { "sidebar": "left", "density": "comfortable", "columns": 3 },
        "padding": ""
    });
    pad_object(doc, AGGREGATION_BODY)
}

fn pad_object(doc: Value, size: usize) -> Vec<u8> {
    match doc {
        Value::Object(map) => pad_to(map, size),
        other => serde_json::to_vec(&other).unwrap_or_default(),
    }
}

/// The compact JSON of `doc`, its `padding` string lengthened so the whole is `size` bytes
/// (or as it is, if it is already larger).
fn pad_to(mut doc: Map<String, Value>, size: usize) -> Vec<u8> {
    let base = to_len(&doc);
    let fill = size.saturating_sub(base);
    doc.insert("padding".into(), Value::String("x".repeat(fill)));
    to_vec(&doc)
}

fn to_len(map: &Map<String, Value>) -> usize {
    to_vec(map).len()
}

fn value_len(v: &Value) -> usize {
    // Serialising a plain `Value` cannot fail.
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

fn to_vec(map: &Map<String, Value>) -> Vec<u8> {
    // Serialising a plain map cannot fail.
    serde_json::to_vec(map).unwrap_or_default()
}
