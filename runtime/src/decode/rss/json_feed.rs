//! JSON Feed 1.x to the universal feed.

use super::date::parse_date;
use super::feed::{Enclosure, Feed, Image, Item, Person};
use super::rss::non_empty;
use super::NOT_DETECTED;
use serde_json::{Map, Value};

pub(super) fn json_feed(body: &[u8]) -> Result<Feed, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Value::Object(obj) = v else {
        return Err(NOT_DETECTED.to_owned());
    };
    let version = str_of(&obj, "version");
    if !version.contains("jsonfeed.org/version/") {
        return Err(NOT_DETECTED.to_owned());
    }
    let mut feed = Feed {
        kind: "json",
        title: str_of(&obj, "title"),
        description: str_of(&obj, "description"),
        language: str_of(&obj, "language"),
        ..Feed::default()
    };
    feed.author = json_author(&obj);
    let icon = str_of(&obj, "icon");
    let favicon = str_of(&obj, "favicon");
    feed.image = non_empty(icon)
        .or_else(|| non_empty(favicon))
        .map(|url| Image {
            url,
            title: String::new(),
        });
    if let Some(Value::Array(items)) = obj.get("items") {
        feed.items = items
            .iter()
            .filter_map(Value::as_object)
            .map(json_item)
            .collect();
    }
    Ok(feed)
}

pub(super) fn json_item(o: &Map<String, Value>) -> Item {
    let content = non_empty(str_of(o, "content_html")).unwrap_or_else(|| str_of(o, "content_text"));
    let mut item = Item {
        title: str_of(o, "title"),
        description: str_of(o, "summary"),
        content,
        link: str_of(o, "url"),
        guid: str_of(o, "id"),
        published: str_of(o, "date_published"),
        updated: str_of(o, "date_modified"),
        ..Item::default()
    };
    item.published_parsed = parse_date(&item.published);
    item.updated_parsed = parse_date(&item.updated);
    item.author = json_author(o);
    if let Some(a) = &item.author {
        item.authors = vec![Person {
            name: a.name.clone(),
            email: a.email.clone(),
        }];
    }
    let image = non_empty(str_of(o, "image")).or_else(|| non_empty(str_of(o, "banner_image")));
    item.image = image.map(|url| Image {
        url,
        title: String::new(),
    });
    if let Some(Value::Array(tags)) = o.get("tags") {
        item.categories = tags
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    if let Some(Value::Array(atts)) = o.get("attachments") {
        item.enclosures = atts
            .iter()
            .filter_map(Value::as_object)
            .map(|a| Enclosure {
                url: str_of(a, "url"),
                length: a
                    .get("size_in_bytes")
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
                kind: str_of(a, "mime_type"),
            })
            .collect();
    }
    item
}

pub(super) fn json_author(o: &Map<String, Value>) -> Option<Person> {
    let author = o.get("author").and_then(Value::as_object).or_else(|| {
        o.get("authors")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_object)
    })?;
    Some(Person {
        name: str_of(author, "name"),
        email: String::new(),
    })
}

pub(super) fn str_of(o: &Map<String, Value>, key: &str) -> String {
    o.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
