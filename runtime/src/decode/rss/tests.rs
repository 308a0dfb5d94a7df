//! Unit tests of the feed decoder.

#![allow(clippy::unwrap_used)]
use super::date::{parse_date, GoTime};
use super::rss::parse_name_address;
use super::*;
use serde_json::json;

const W3SCHOOLS: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0">

<channel>
  <title>W3Schools Home Page</title>
  <link>https://www.w3schools.com</link>
  <description>Free web building tutorials</description>
  <image>
<url>https://www.w3schools.com/pretty_image.png</url>
<description>Free web building tutorials</description>
  </image>
  <language>en_us</language>
  <item>
<title>RSS Tutorial</title>
<link>https://www.w3schools.com/xml/xml_rss.asp</link>
<description>New RSS tutorial on W3Schools</description>
  </item>
  <item>
<title>XML Tutorial</title>
<link>https://www.w3schools.com/xml</link>
<description>New XML tutorial on W3Schools</description>
  </item>
</channel>

</rss>"#;

#[test]
fn krakend_rss_test_feed() {
    let got = Value::Object(decode(W3SCHOOLS.as_bytes()).unwrap());
    assert_eq!(
        got,
        json!({
            "items": [
                {"title":"RSS Tutorial","link":"https://www.w3schools.com/xml/xml_rss.asp",
                 "links":["https://www.w3schools.com/xml/xml_rss.asp"],
                 "description":"New RSS tutorial on W3Schools"},
                {"title":"XML Tutorial","link":"https://www.w3schools.com/xml",
                 "links":["https://www.w3schools.com/xml"],
                 "description":"New XML tutorial on W3Schools"}
            ],
            "author": null, "categories": null, "custom": null, "copyright": "",
            "description": "Free web building tutorials", "type": "rss", "language": "en_us",
            "title": "W3Schools Home Page", "published": "", "updated": "",
            "img_url": "https://www.w3schools.com/pretty_image.png"
        })
    );
}

#[test]
fn empty_and_unknown_inputs_fail() {
    assert_eq!(decode(b"").unwrap_err(), NOT_DETECTED);
    assert_eq!(decode(b"   ").unwrap_err(), NOT_DETECTED);
    assert_eq!(decode(b"<html><body/></html>").unwrap_err(), NOT_DETECTED);
    assert!(decode(b"<rss><channel>")
        .unwrap_err()
        .contains("unexpected EOF"));
    assert!(decode(b"{\"a\":1}").is_err());
    assert!(decode(b"{not json").is_err());
}

#[test]
fn rss_details() {
    let xml = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:content="http://purl.org/rss/1.0/modules/content/"
        xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
      <channel>
        <title><![CDATA[My <b>feed</b>]]></title>
        <description>A &amp; B &lt;x&gt; &nbsp;</description>
        <managingEditor>editor@example.com (Ed Itor)</managingEditor>
        <pubDate>Mon, 02 Jan 2006 15:04:05 -0700</pubDate>
        <lastBuildDate>Tue, 03 Jan 2006 10:00:00 GMT</lastBuildDate>
        <category>one</category>
        <category>two</category>
        <dc:rights>CC</dc:rights>
        <itunes:image href="https://img/x.png"/>
        <item>
          <title>Hello</title>
          <description><p>raw &amp; html</p></description>
          <content:encoded><![CDATA[<p>full</p>]]></content:encoded>
          <author>Jane Doe</author>
          <guid isPermaLink="false">abc-1</guid>
          <pubDate>Wed, 4 Jan 2006 08:00 +0100</pubDate>
          <category>c1</category>
          <dc:subject>s1</dc:subject>
          <enclosure url="https://x/a.mp3" length="123" type="audio/mpeg"/>
        </item>
        <item>
          <dc:title>DC title</dc:title>
          <dc:creator>John (john@example.com)</dc:creator>
          <dc:date>2006-01-05T10:00:00+02:00</dc:date>
        </item>
      </channel>
    </rss>"#;
    let got = Value::Object(decode(xml.as_bytes()).unwrap());
    assert_eq!(
        got,
        json!({
            "items": [
                {"title":"Hello","description":"<p>raw & html</p>","content":"<p>full</p>",
                 "author":{"name":"Jane Doe"},"authors":[{"name":"Jane Doe"}],
                 "guid":"abc-1","published":"Wed, 4 Jan 2006 08:00 +0100",
                 "publishedParsed":"2006-01-04T07:00:00Z","categories":["c1","s1"],
                 "enclosures":[{"url":"https://x/a.mp3","length":"123","type":"audio/mpeg"}]},
                {"title":"DC title",
                 "author":{"name":"John","email":"john@example.com"},
                 "authors":[{"name":"John","email":"john@example.com"}],
                 "published":"2006-01-05T10:00:00+02:00",
                 "publishedParsed":"2006-01-05T10:00:00+02:00"}
            ],
            "author": {"name":"Ed Itor","email":"editor@example.com"},
            "categories": ["one","two"], "custom": null, "copyright": "CC",
            "description": "A & B <x> &nbsp;", "type": "rss", "language": "",
            "title": "My <b>feed</b>", "published": "Mon, 02 Jan 2006 15:04:05 -0700",
            "updated": "Tue, 03 Jan 2006 10:00:00 GMT", "img_url": "https://img/x.png"
        })
    );
}

#[test]
fn rdf_items_next_to_the_channel() {
    let xml = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
      <channel><title>T</title></channel>
      <item><title>I1</title><link>http://l/1</link></item>
    </rdf:RDF>"#;
    let got = decode(xml.as_bytes()).unwrap();
    assert_eq!(got["title"], json!("T"));
    assert_eq!(
        got["items"],
        json!([{"title":"I1","link":"http://l/1","links":["http://l/1"]}])
    );
}

#[test]
fn atom_feed_is_translated() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
      <title>Example Feed</title>
      <subtitle type="html">&lt;b&gt;Sub&lt;/b&gt;</subtitle>
      <updated>2003-12-13T18:30:02Z</updated>
      <author><name>John Doe</name><email>j@d.com</email></author>
      <rights>(c) me</rights>
      <logo>http://example.org/logo.png</logo>
      <category term="tech"/>
      <entry>
        <title>Atom-Powered Robots Run Amok</title>
        <link href="http://example.org/2003/12/13/atom03"/>
        <link rel="enclosure" href="http://e/f.mp3" length="9" type="audio/mpeg"/>
        <id>urn:uuid:1225c695</id>
        <updated>2003-12-13T18:30:02.25+01:00</updated>
        <summary>Some text.</summary>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content>
      </entry>
    </feed>"#;
    let got = Value::Object(decode(xml.as_bytes()).unwrap());
    assert_eq!(
        got,
        json!({
            "items": [{
                "title": "Atom-Powered Robots Run Amok",
                "description": "Some text.",
                "content": "<p>Hi</p>",
                "link": "http://example.org/2003/12/13/atom03",
                "links": ["http://example.org/2003/12/13/atom03"],
                "updated": "2003-12-13T18:30:02.25+01:00",
                "updatedParsed": "2003-12-13T17:30:02.25Z",
                "guid": "urn:uuid:1225c695",
                "enclosures": [{"url":"http://e/f.mp3","length":"9","type":"audio/mpeg"}]
            }],
            "author": {"name":"John Doe","email":"j@d.com"},
            "categories": ["tech"], "custom": null, "copyright": "(c) me",
            "description": "<b>Sub</b>", "type": "atom", "language": "en",
            "title": "Example Feed", "published": "", "updated": "2003-12-13T18:30:02Z",
            "img_url": "http://example.org/logo.png"
        })
    );
}

#[test]
fn json_feed_is_translated() {
    let body = br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","icon":"http://i",
        "items":[{"id":"1","url":"http://u","content_text":"txt","date_published":"2020-01-02T03:04:05Z","tags":["a"]}]}"#;
    let got = Value::Object(decode(body).unwrap());
    assert_eq!(got["type"], json!("json"));
    assert_eq!(got["img_url"], json!("http://i"));
    assert_eq!(
        got["items"],
        json!([{"guid":"1","link":"http://u","content":"txt","published":"2020-01-02T03:04:05Z",
                "publishedParsed":"2020-01-02T03:04:05Z","categories":["a"]}])
    );
}

#[test]
fn name_address_forms() {
    let cases = [
        ("joe@x.com (Joe Smith)", ("Joe Smith", "joe@x.com")),
        ("Joe Smith (joe@x.com)", ("Joe Smith", "joe@x.com")),
        ("Joe Smith", ("Joe Smith", "")),
        ("joe@x.com", ("", "joe@x.com")),
        ("a@b@c", ("", "")),
    ];
    for (input, (name, email)) in cases {
        assert_eq!(
            parse_name_address(input),
            (name.to_owned(), email.to_owned()),
            "{input}"
        );
    }
}

#[test]
fn dates() {
    let cases = [
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            Some("2006-01-02T15:04:05Z"),
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 -0700",
            Some("2006-01-02T15:04:05-07:00"),
        ),
        ("2 Jan 06 15:04 +0000", Some("2006-01-02T15:04:00Z")),
        ("02 January 2006", Some("2006-01-02T00:00:00Z")),
        ("2006-01-02", Some("2006-01-02T00:00:00Z")),
        (
            "2006-01-02T15:04:05.123456789+05:30",
            Some("2006-01-02T15:04:05.123456789+05:30"),
        ),
        ("2006-01-02T15:04:05Z", Some("2006-01-02T15:04:05Z")),
        ("2006-01-02t15:04:05.5z", Some("2006-01-02T15:04:05.5Z")),
        ("2006-01-02 15:04 +0100", Some("2006-01-02T15:04:00+01:00")),
        ("2006-01-02T15:04:05-07", Some("2006-01-02T15:04:05-07:00")),
        ("2006-01-02T15:04:05 CEST", Some("2006-01-02T15:04:05Z")),
        (
            "Tue, 2 Jan 2006 15:04:05 GMT+0100",
            Some("2006-01-02T15:04:05+01:00"),
        ),
        (
            "Monday, 02-Jan-06 15:04:05 PST",
            Some("2006-01-02T15:04:05Z"),
        ),
        (
            "  02 Jan 2006 15:04:05.25 +0000  ",
            Some("2006-01-02T15:04:05.25Z"),
        ),
        ("02 Jan 2006 15:04:05 Europe/Paris", None),
        ("02 Jan 2006 15:04:60 +0000", None),
        (
            "Mon,  2  Jan  2006  15:04:05  -0700",
            Some("2006-01-02T15:04:05-07:00"),
        ),
        ("2006-13-02", None),
        ("2006-02-30", None),
        ("yesterday", None),
        ("", None),
    ];
    for (input, want) in cases {
        assert_eq!(
            parse_date(input).and_then(GoTime::rfc3339).as_deref(),
            want,
            "{input}"
        );
    }
}

#[test]
fn never_panics_on_prefixes() {
    for end in 0..=W3SCHOOLS.len() {
        let _ = decode(&W3SCHOOLS.as_bytes()[..end]);
    }
}

#[test]
fn base64_like_go_std_encoding() {
    use super::dom::base64_decode;
    assert_eq!(base64_decode("aGk=").as_deref(), Some("hi"));
    assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some("hello"));
    assert_eq!(base64_decode("").as_deref(), Some(""));
    // Trailing bits are ignored (Go's non-strict decoding).
    assert_eq!(base64_decode("aGl=").as_deref(), Some("hi"));
    // Padding is required; no URL alphabet, no white space, no invalid UTF-8.
    for bad in ["aGk", "aG=k", "aGk==", "a===", "aGk-", "aG k=", "/w=="] {
        assert_eq!(base64_decode(bad), None, "{bad}");
    }
}
