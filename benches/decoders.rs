//! Micro-benchmarks of the XML and RSS backend decoders (`encoding: "xml"` / `"rss"`): the body
//! decoded into KrakenD's data, as every such backend answer is. `cargo bench --bench decoders`.
//!
//! The bodies are generated here (deterministic): a ~100 KB XML catalogue with attributes,
//! entities, CDATA and repeated siblings, and an RSS 2.0 feed of 200 items with dates, authors
//! and categories (~90 KB).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use krustd_runtime::decode::decode;
use krustd_runtime::spec::Decode;
use std::fmt::Write as _;
use std::hint::black_box;

fn xml_catalogue(items: usize) -> Vec<u8> {
    let mut s =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<catalog xmlns:x=\"urn:x\">\n");
    for i in 0..items {
        let _ = write!(
            s,
            "  <book id=\"b{i}\" x:lang=\"en\">\n    <title>Book &amp; title {i}</title>\n    \
             <author>Author {a}</author>\n    <price currency=\"EUR\">{p}.95</price>\n    \
             <tags><tag>t{t1}</tag><tag>t{t2}</tag></tags>\n    \
             <summary><![CDATA[Some <b>bold</b> summary {i}]]></summary>\n  </book>\n",
            a = i % 17,
            p = 10 + i % 40,
            t1 = i % 5,
            t2 = i % 7,
        );
    }
    s.push_str("</catalog>\n");
    s.into_bytes()
}

fn rss_feed(items: usize) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>Feed</title>\n\
         <link>https://example.com/</link>\n<description>A feed</description>\n\
         <language>en</language>\n<pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate>\n",
    );
    for i in 0..items {
        let _ = write!(
            s,
            "<item>\n  <title>Item {i}</title>\n  <link>https://example.com/{i}</link>\n  \
             <description>Description of item {i} &amp; more</description>\n  \
             <author>a{a}@example.com (Author {a})</author>\n  <category>c{c}</category>\n  \
             <guid>https://example.com/{i}</guid>\n  \
             <pubDate>Tue, {d:02} Mar 2021 10:{m:02}:00 +0100</pubDate>\n</item>\n",
            a = i % 11,
            c = i % 6,
            d = 1 + i % 28,
            m = i % 60,
        );
    }
    s.push_str("</channel>\n</rss>\n");
    s.into_bytes()
}

fn decoders(c: &mut Criterion) {
    let xml = xml_catalogue(400);
    let mut group = c.benchmark_group("decode_xml");
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.bench_function("catalogue", |b| {
        b.iter(|| decode(Decode::Xml { collection: false }, black_box(&xml)).map(|d| d.len()))
    });
    group.finish();

    let rss = rss_feed(200);
    let mut group = c.benchmark_group("decode_rss");
    group.throughput(Throughput::Bytes(rss.len() as u64));
    group.bench_function("rss2_feed", |b| {
        b.iter(|| decode(Decode::Rss, black_box(&rss)).map(|d| d.len()))
    });
    group.finish();
}

criterion_group!(benches, decoders);
criterion_main!(benches);
