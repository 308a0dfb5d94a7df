//! gofeed's universal feed, and its JSON as KrakenD keeps it.

use super::date::GoTime;
use serde_json::{Map, Value};

#[derive(Default)]
pub(super) struct Person {
    pub(super) name: String,
    pub(super) email: String,
}

impl Person {
    pub(super) fn to_json(&self) -> Value {
        let mut m = Map::new();
        put_str(&mut m, "name", &self.name);
        put_str(&mut m, "email", &self.email);
        Value::Object(m)
    }
}

#[derive(Default)]
pub(super) struct Image {
    pub(super) url: String,
    pub(super) title: String,
}

#[derive(Default)]
pub(super) struct Enclosure {
    pub(super) url: String,
    pub(super) length: String,
    pub(super) kind: String,
}

#[derive(Default)]
pub(super) struct Item {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) content: String,
    pub(super) link: String,
    pub(super) links: Vec<String>,
    pub(super) updated: String,
    pub(super) updated_parsed: Option<GoTime>,
    pub(super) published: String,
    pub(super) published_parsed: Option<GoTime>,
    pub(super) author: Option<Person>,
    pub(super) authors: Vec<Person>,
    pub(super) guid: String,
    pub(super) image: Option<Image>,
    pub(super) categories: Vec<String>,
    pub(super) enclosures: Vec<Enclosure>,
}

impl Item {
    pub(super) fn to_json(&self) -> Value {
        let mut m = Map::new();
        put_str(&mut m, "title", &self.title);
        put_str(&mut m, "description", &self.description);
        put_str(&mut m, "content", &self.content);
        put_str(&mut m, "link", &self.link);
        put_strs(&mut m, "links", &self.links);
        put_str(&mut m, "updated", &self.updated);
        put_time(&mut m, "updatedParsed", self.updated_parsed);
        put_str(&mut m, "published", &self.published);
        put_time(&mut m, "publishedParsed", self.published_parsed);
        if let Some(author) = &self.author {
            m.insert("author".to_owned(), author.to_json());
        }
        if !self.authors.is_empty() {
            let authors = self.authors.iter().map(Person::to_json).collect();
            m.insert("authors".to_owned(), Value::Array(authors));
        }
        put_str(&mut m, "guid", &self.guid);
        if let Some(image) = &self.image {
            let mut i = Map::new();
            put_str(&mut i, "url", &image.url);
            put_str(&mut i, "title", &image.title);
            m.insert("image".to_owned(), Value::Object(i));
        }
        put_strs(&mut m, "categories", &self.categories);
        if !self.enclosures.is_empty() {
            let list = self
                .enclosures
                .iter()
                .map(|e| {
                    let mut o = Map::new();
                    put_str(&mut o, "url", &e.url);
                    put_str(&mut o, "length", &e.length);
                    put_str(&mut o, "type", &e.kind);
                    Value::Object(o)
                })
                .collect();
            m.insert("enclosures".to_owned(), Value::Array(list));
        }
        Value::Object(m)
    }
}

#[derive(Default)]
pub(super) struct Feed {
    pub(super) kind: &'static str,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) updated: String,
    pub(super) published: String,
    pub(super) author: Option<Person>,
    pub(super) language: String,
    pub(super) image: Option<Image>,
    pub(super) copyright: String,
    pub(super) categories: Vec<String>,
    pub(super) items: Vec<Item>,
}

impl Feed {
    pub(super) fn into_krakend(self) -> Map<String, Value> {
        let mut m = Map::new();
        let items = self.items.iter().map(Item::to_json).collect();
        m.insert("items".to_owned(), Value::Array(items));
        m.insert(
            "author".to_owned(),
            self.author.as_ref().map_or(Value::Null, Person::to_json),
        );
        m.insert(
            "categories".to_owned(),
            if self.categories.is_empty() {
                Value::Null
            } else {
                Value::Array(self.categories.into_iter().map(Value::String).collect())
            },
        );
        m.insert("custom".to_owned(), Value::Null);
        m.insert("copyright".to_owned(), Value::String(self.copyright));
        m.insert("description".to_owned(), Value::String(self.description));
        m.insert("type".to_owned(), Value::String(self.kind.to_owned()));
        m.insert("language".to_owned(), Value::String(self.language));
        m.insert("title".to_owned(), Value::String(self.title));
        m.insert("published".to_owned(), Value::String(self.published));
        m.insert("updated".to_owned(), Value::String(self.updated));
        if let Some(image) = self.image {
            m.insert("img_url".to_owned(), Value::String(image.url));
        }
        m
    }
}

pub(super) fn put_str(m: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        m.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

pub(super) fn put_strs(m: &mut Map<String, Value>, key: &str, values: &[String]) {
    if !values.is_empty() {
        let list = values.iter().cloned().map(Value::String).collect();
        m.insert(key.to_owned(), Value::Array(list));
    }
}

pub(super) fn put_time(m: &mut Map<String, Value>, key: &str, t: Option<GoTime>) {
    if let Some(text) = t.and_then(GoTime::rfc3339) {
        m.insert(key.to_owned(), Value::String(text));
    }
}
