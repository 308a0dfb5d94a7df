//! RSS 0.9x/2.0 and RSS 1.0 (RDF) to the universal feed, as gofeed's translator does it.

use super::date::{parse_date, GoTime};
use super::dom::{Ctx, Elem};
use super::feed::{Enclosure, Feed, Image, Item, Person};

pub(super) fn rss_feed(ctx: &Ctx, root: &Elem) -> Feed {
    let channel = ctx.child(root, "", "channel");
    let empty = Elem {
        prefix: String::new(),
        local: String::new(),
        attrs: Vec::new(),
        children: Vec::new(),
        inner: (0, 0),
    };
    let ch = channel.unwrap_or(&empty);
    let dc = |local: &str| ctx.child_texts(ch, "dc", local);
    let first = |v: Vec<String>| v.into_iter().next();

    let mut feed = Feed {
        kind: "rss",
        ..Feed::default()
    };
    feed.title = non_empty(ctx.child_text(ch, "", "title"))
        .or_else(|| first(dc("title")))
        .unwrap_or_default();
    feed.description = ctx.child_text(ch, "", "description");
    feed.published = ctx.child_text(ch, "", "pubdate");
    feed.updated = non_empty(ctx.child_text(ch, "", "lastbuilddate"))
        .or_else(|| first(dc("date")))
        .unwrap_or_default();
    feed.language = non_empty(ctx.child_text(ch, "", "language"))
        .or_else(|| first(dc("language")))
        .unwrap_or_default();
    feed.copyright = non_empty(ctx.child_text(ch, "", "copyright"))
        .or_else(|| first(dc("rights")))
        .unwrap_or_default();
    let itunes_author = ctx.child_text(ch, "itunes", "author");
    feed.author = [
        ctx.child_text(ch, "", "managingeditor"),
        ctx.child_text(ch, "", "webmaster"),
        first(dc("author")).unwrap_or_default(),
        first(dc("creator")).unwrap_or_default(),
        itunes_author,
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .map(|s| person(&s));
    feed.image = match ctx.child(ch, "", "image") {
        Some(img) => Some(Image {
            url: ctx.child_text(img, "", "url"),
            title: ctx.child_text(img, "", "title"),
        }),
        None => itunes_image(ctx, ch).map(|url| Image {
            url,
            title: String::new(),
        }),
    };
    let mut cats = ctx.child_texts(ch, "", "category");
    cats.extend(itunes_keywords(ctx, ch));
    for c in ctx.children(ch, "itunes", "category") {
        cats.push(c.attr("text").unwrap_or_default().to_owned());
        if let Some(sub) = ctx.child(c, "itunes", "category") {
            cats.push(sub.attr("text").unwrap_or_default().to_owned());
        }
    }
    cats.extend(dc("subject"));
    feed.categories = cats;

    // RSS 2.0 items live in the channel, RSS 1.0 items next to it.
    let items = ch
        .children
        .iter()
        .chain(root.children.iter())
        .filter(|e| ctx.is(e, "", "item"));
    feed.items = items.map(|e| rss_item(ctx, e)).collect();
    feed
}

pub(super) fn rss_item(ctx: &Ctx, e: &Elem) -> Item {
    let dc = |local: &str| ctx.child_texts(e, "dc", local);
    let first = |v: Vec<String>| v.into_iter().next();
    let mut item = Item {
        title: non_empty(ctx.child_text(e, "", "title"))
            .or_else(|| first(dc("title")))
            .unwrap_or_default(),
        description: non_empty(ctx.child_text(e, "", "description"))
            .or_else(|| first(dc("description")))
            .unwrap_or_default(),
        content: ctx.child_text(e, "content", "encoded"),
        link: ctx.child_text(e, "", "link"),
        links: ctx.child_texts(e, "", "link"),
        ..Item::default()
    };
    let pub_date = ctx.child_text(e, "", "pubdate");
    let dc_date = first(dc("date"));
    if !pub_date.is_empty() {
        item.published_parsed = parse_date(&pub_date).map(GoTime::utc);
        item.published = pub_date;
    } else if let Some(date) = dc_date {
        item.published_parsed = parse_date(&date);
        item.published = date;
    }
    let author = [
        ctx.child_text(e, "", "author"),
        first(dc("author")).unwrap_or_default(),
        first(dc("creator")).unwrap_or_default(),
        ctx.child_text(e, "itunes", "author"),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .map(|s| person(&s));
    if let Some(a) = &author {
        item.authors = vec![Person {
            name: a.name.clone(),
            email: a.email.clone(),
        }];
    }
    item.author = author;
    item.guid = ctx.child_text(e, "", "guid");
    item.image = itunes_image(ctx, e).map(|url| Image {
        url,
        title: String::new(),
    });
    let mut cats = ctx.child_texts(e, "", "category");
    cats.extend(itunes_keywords(ctx, e));
    cats.extend(dc("subject"));
    item.categories = cats;
    item.enclosures = ctx
        .children(e, "", "enclosure")
        .map(|enc| Enclosure {
            url: enc.attr("url").unwrap_or_default().to_owned(),
            length: enc.attr("length").unwrap_or_default().to_owned(),
            kind: enc.attr("type").unwrap_or_default().to_owned(),
        })
        .collect();
    item
}

pub(super) fn itunes_image(ctx: &Ctx, e: &Elem) -> Option<String> {
    let img = ctx.child(e, "itunes", "image")?;
    let href = img
        .attr("href")
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.text(img));
    non_empty(href)
}

pub(super) fn itunes_keywords(ctx: &Ctx, e: &Elem) -> Vec<String> {
    let keywords = ctx.child_text(e, "itunes", "keywords");
    if keywords.is_empty() {
        return Vec::new();
    }
    keywords.split(',').map(str::to_owned).collect()
}

pub(super) fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// gofeed's `ParseNameAddress`.
pub(super) fn person(text: &str) -> Person {
    let (name, email) = parse_name_address(text);
    Person { name, email }
}

pub(super) fn parse_name_address(s: &str) -> (String, String) {
    // Go's RE2 `\s` is ASCII white space.
    let ws = |c: char| c.is_ascii_whitespace();
    let no = |t: &str, chars: &[char]| !t.is_empty() && !t.contains(chars);
    if let Some(inner) = s.strip_suffix(')') {
        // ^([^@]+@[^\s]+)\s+\(([^@]+)\)$
        if let Some(at) = s.find('@').filter(|&at| at > 0) {
            let after = s.get(at + 1..).unwrap_or_default();
            if let Some(w) = after.find(ws).filter(|&w| w > 0) {
                let addr_end = at + 1 + w;
                let rest = s.get(addr_end..).unwrap_or_default().trim_start_matches(ws);
                if let Some(name) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
                    if no(name, &['@']) {
                        let addr = s.get(..addr_end).unwrap_or_default();
                        return (name.to_owned(), addr.to_owned());
                    }
                }
            }
        }
        // ^([^@]+)\s+\(([^@]+@[^)]+)\)$ — the greedy name keeps all but one white space
        // character before the last workable '('.
        for (open, _) in inner.char_indices().rev().filter(|&(_, c)| c == '(') {
            let name_part = s.get(..open).unwrap_or_default();
            let Some(name) = name_part.strip_suffix(ws) else {
                continue;
            };
            let addr = inner.get(open + 1..).unwrap_or_default();
            let valid_addr = addr
                .find('@')
                .is_some_and(|at| at > 0 && addr.get(at + 1..).is_some_and(|t| no(t, &[')'])));
            if no(name, &['@']) && valid_addr {
                return (name.to_owned(), addr.to_owned());
            }
        }
    }
    // ^([^@()]+)$
    if no(s, &['@', '(', ')']) {
        return (s.to_owned(), String::new());
    }
    // ^([^@()]+@[^@()]+)$
    if let Some((a, b)) = s.split_once('@') {
        if no(a, &['@', '(', ')']) && no(b, &['@', '(', ')']) {
            return (String::new(), s.to_owned());
        }
    }
    (String::new(), String::new())
}
