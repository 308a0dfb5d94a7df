//! Atom 1.0 to the universal feed, as gofeed's translator does it.

use super::date::{parse_date, GoTime};
use super::dom::{Ctx, Elem};
use super::feed::{Enclosure, Feed, Image, Item, Person};

pub(super) fn atom_feed(ctx: &Ctx, root: &Elem) -> Feed {
    let mut feed = Feed {
        kind: "atom",
        ..Feed::default()
    };
    feed.title = ctx
        .child(root, "", "title")
        .map(|e| ctx.atom_text(e))
        .unwrap_or_default();
    feed.description = ctx
        .child(root, "", "subtitle")
        .or_else(|| ctx.child(root, "", "tagline"))
        .map(|e| ctx.atom_text(e))
        .unwrap_or_default();
    feed.updated = ctx
        .child(root, "", "updated")
        .or_else(|| ctx.child(root, "", "modified"))
        .map(|e| ctx.text(e))
        .unwrap_or_default();
    feed.author = ctx.child(root, "", "author").map(|a| atom_person(ctx, a));
    feed.language = root.attr("lang").unwrap_or_default().to_owned();
    feed.image = ctx.child(root, "", "logo").map(|l| Image {
        url: ctx.text(l),
        title: String::new(),
    });
    feed.copyright = ctx
        .child(root, "", "rights")
        .or_else(|| ctx.child(root, "", "copyright"))
        .map(|e| ctx.atom_text(e))
        .unwrap_or_default();
    feed.categories = ctx
        .children(root, "", "category")
        .map(|c| c.attr("term").unwrap_or_default().to_owned())
        .collect();
    feed.items = ctx
        .children(root, "", "entry")
        .map(|e| atom_entry(ctx, e))
        .collect();
    feed
}

pub(super) fn atom_entry(ctx: &Ctx, e: &Elem) -> Item {
    let mut item = Item {
        title: ctx
            .child(e, "", "title")
            .map(|t| ctx.atom_text(t))
            .unwrap_or_default(),
        description: ctx
            .child(e, "", "summary")
            .map(|t| ctx.atom_text(t))
            .unwrap_or_default(),
        content: ctx
            .child(e, "", "content")
            .map(|t| ctx.atom_text(t))
            .unwrap_or_default(),
        guid: ctx.child_text(e, "", "id"),
        ..Item::default()
    };
    for link in ctx.children(e, "", "link") {
        let href = link.attr("href").unwrap_or_default().to_owned();
        let rel = link.attr("rel").unwrap_or("alternate");
        let rel = if rel.is_empty() { "alternate" } else { rel };
        if rel == "alternate" && item.link.is_empty() {
            item.link = href.clone();
        }
        if rel == "alternate" || rel == "self" {
            item.links.push(href.clone());
        }
        if rel == "enclosure" {
            item.enclosures.push(Enclosure {
                url: href,
                length: link.attr("length").unwrap_or_default().to_owned(),
                kind: link.attr("type").unwrap_or_default().to_owned(),
            });
        }
    }
    if let Some(updated) = ctx
        .child(e, "", "updated")
        .or_else(|| ctx.child(e, "", "modified"))
    {
        item.updated = ctx.text(updated);
        item.updated_parsed = parse_date(&item.updated).map(GoTime::utc);
    }
    if let Some(published) = ctx
        .child(e, "", "published")
        .or_else(|| ctx.child(e, "", "issued"))
    {
        item.published = ctx.text(published);
        item.published_parsed = parse_date(&item.published).map(GoTime::utc);
    }
    item.authors = ctx
        .children(e, "", "author")
        .map(|a| atom_person(ctx, a))
        .collect();
    item.author = item.authors.first().map(|a| Person {
        name: a.name.clone(),
        email: a.email.clone(),
    });
    item.categories = ctx
        .children(e, "", "category")
        .map(|c| c.attr("term").unwrap_or_default().to_owned())
        .collect();
    item
}

pub(super) fn atom_person(ctx: &Ctx, e: &Elem) -> Person {
    Person {
        name: ctx.child_text(e, "", "name"),
        email: ctx.child_text(e, "", "email"),
    }
}
