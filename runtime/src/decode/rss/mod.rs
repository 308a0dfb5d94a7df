//! Backend `encoding: "rss"`: krakend-rss's decoder, i.e. gofeed's universal `Feed` (v1.2 shape)
//! reduced to the keys KrakenD keeps:
//!
//! `{"items", "author", "categories", "custom", "copyright", "description", "type", "language",
//! "title", "published", "updated"}` plus `"img_url"` when the feed has an image.
//!
//! Values are what Go's `encoding/json` makes of gofeed's structs, since that is what a client
//! sees: `items` is an array of objects with gofeed's `Item` JSON names (`title`, `description`,
//! `content`, `link`, `links`, `updated`, `updatedParsed`, `published`, `publishedParsed`,
//! `author` `{name,email}`, `authors`, `guid`, `image` `{url,title}`, `categories`, `enclosures`
//! `[{url,length,type}]`), empty fields omitted; `author` is a person object or `null`;
//! `categories` an array of strings or `null`; `custom` is always `null` (gofeed never fills the
//! feed-level map); `type` is `rss`, `atom` or `json`; the rest are strings (`""` when absent).
//! `*Parsed` dates are RFC 3339 strings in UTC (gofeed converts parsed RSS/Atom dates to UTC;
//! Dublin Core dates keep their offset).
//!
//! Covered: RSS 0.9x/2.0 and RSS 1.0 (RDF) with the Dublin Core (`dc:`), `content:encoded` and
//! iTunes (`itunes:author`, `itunes:image`, `itunes:keywords`, `itunes:category`) fallbacks that
//! gofeed's translator uses; Atom 1.0 (text constructs by `type`, links, persons, categories,
//! enclosures); JSON Feed 1.x (basic fields). Text follows gofeed's `ParseText` (inner XML
//! trimmed, CDATA unwrapped, the five XML entities and numeric references decoded; unknown
//! entities are kept as they are). Dates: RFC 3339 / ISO 8601 forms and RFC 822/1123 forms
//! (optional weekday, 2- or 4-digit year, optional seconds, numeric or named zone; named zones
//! other than a numeric offset count as UTC, as Go does for abbreviations it does not know).
//! Not covered: extension objects (`dcExt`, `itunesExt`, `extensions`), per-item `custom`,
//! `xml:base` resolution of relative links.

mod atom;
mod date;
mod dom;
mod feed;
mod json_feed;
#[allow(clippy::module_inception)]
mod rss;
#[cfg(test)]
mod tests;

use super::xml::{Document, XmlError};
use atom::atom_feed;
use dom::{parse_dom, Ctx};
use json_feed::json_feed;
use rss::rss_feed;
use serde_json::{Map, Value};

/// Elements nested deeper than this are rejected.
const MAX_DEPTH: usize = 128;

/// gofeed's `ErrFeedTypeNotDetected`.
const NOT_DETECTED: &str = "Failed to detect feed type";

/// Decodes an RSS, Atom or JSON feed body into KrakenD's data.
pub fn decode(body: &[u8]) -> Result<Map<String, Value>, String> {
    let trimmed = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|i| body.get(i..))
        .unwrap_or_default();
    let trimmed = trimmed.strip_prefix(b"\xef\xbb\xbf").unwrap_or(trimmed);
    let feed = if trimmed.first() == Some(&b'{') {
        json_feed(trimmed)?
    } else {
        let doc = Document::prepare(body).map_err(|e| e.go())?;
        let root = parse_dom(&doc).map_err(|e| match e {
            XmlError::Eof => NOT_DETECTED.to_owned(),
            other => other.go(),
        })?;
        let ctx = Ctx::new(&doc, &root);
        match root.local.as_str() {
            "rss" | "rdf" => rss_feed(&ctx, &root),
            "feed" => atom_feed(&ctx, &root),
            _ => return Err(NOT_DETECTED.to_owned()),
        }
    };
    Ok(feed.into_krakend())
}
