//! The Atom feeds JMA announces its reports in (高頻度フィード `extra.xml`,
//! `eqvol.xml`, …): each entry's id, time and the address of its report.
//! Read with the same hostile-input reader as the reports.

use std::fmt;

use crate::xml::{self, Limits, XmlError};

/// One feed entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `id`: what the head-end remembers an entry by.
    pub id: String,
    pub title: String,
    /// `updated`, as written.
    pub updated: String,
    /// The report's address (`link[@href]`, the `alternate` one where there
    /// are several).
    pub link: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedError {
    Xml(XmlError),
    NotAFeed(String),
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Xml(e) => write!(f, "not well-formed XML: {e}"),
            FeedError::NotAFeed(root) => write!(f, "not an Atom feed (its root is <{root}>)"),
        }
    }
}

impl std::error::Error for FeedError {}

/// Reads a feed. Entries without an id or a link are left out (a feed is
/// never refused for one bad entry); they are counted in `skipped`.
pub fn parse(bytes: &[u8]) -> Result<(Vec<Entry>, usize), FeedError> {
    let root = xml::parse(bytes, Limits::JMA).map_err(FeedError::Xml)?;
    if root.name != "feed" {
        return Err(FeedError::NotAFeed(root.name));
    }
    let mut entries = Vec::new();
    let mut skipped = 0;
    for e in root.children_named("entry") {
        let text = |name: &str| e.value_at(&[name]).unwrap_or_default().to_string();
        let link = e
            .children_named("link")
            .find(|l| l.attr("rel").is_none_or(|r| r == "alternate"))
            .and_then(|l| l.attr("href"))
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        let id = text("id");
        if id.is_empty() || link.is_empty() {
            skipped += 1;
            continue;
        }
        entries.push(Entry {
            id,
            title: text("title"),
            updated: text("updated"),
            link,
        });
    }
    Ok((entries, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_gives_its_entries_and_skips_broken_ones() {
        let feed = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" lang="ja">
  <title>高頻度（随時）</title>
  <updated>2026-12-03T01:00:00+09:00</updated>
  <entry>
    <title>震度速報</title>
    <id>urn:uuid:1</id>
    <updated>2026-12-03T00:59:00Z</updated>
    <link type="application/xml" href=" http://127.0.0.1/a.xml "/>
  </entry>
  <entry><title>no link</title><id>urn:uuid:2</id></entry>
</feed>"#;
        let (entries, skipped) = parse(feed.as_bytes()).unwrap();
        assert_eq!(skipped, 1);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].link, "http://127.0.0.1/a.xml");
        assert_eq!(entries[0].title, "震度速報");
        assert!(matches!(parse(b"<html/>"), Err(FeedError::NotAFeed(_))));
        assert!(matches!(
            parse(b"<!DOCTYPE x [<!ENTITY a \"b\">]><feed/>"),
            Err(FeedError::Xml(_))
        ));
    }
}
