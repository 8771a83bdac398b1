//! A small element tree built from quick-xml's events, for XML from outside.
//!
//! JMA's disaster reports come over the network, so the reader treats them as
//! hostile: a document type declaration is refused (so no entity can be
//! declared, let alone expanded), only XML's five predefined entities and
//! character references are resolved, and the input's size, nesting depth and
//! element count are capped before anything is kept. Names lose their
//! namespace prefix (`jmx_eb:Magnitude` is `Magnitude`): JMA never uses one
//! local name for two things in one report.
//!
//! Why not the `jmaxml` crate (0.3.2, generated from JMA's schemas): it parsed
//! all 88 official samples, and refuses declared entities, but it is 12,600
//! generated lines on a second serde XML stack (3 min 14 s to build here), a
//! report outside its schema version fails whole where we still need its
//! Control and Head, and what we read — every municipality code by its
//! `codeType`, the intensity per city, the warnings per city — is spread over
//! dozens of its types but is one walk over this tree.

use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// How much of a document the reader accepts.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_elements: usize,
}

impl Limits {
    /// For JMA reports: the largest official sample (a warning for all of
    /// Tokyo's municipalities) is 548 KB with 21,000 elements, 11 deep.
    pub const JMA: Limits = Limits {
        max_bytes: 4 << 20,
        max_depth: 32,
        max_elements: 200_000,
    };
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Local name, without a namespace prefix.
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// The element's own text (its text children joined), untrimmed.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// Trimmed text, `None` when empty.
    pub fn value(&self) -> Option<&str> {
        let t = self.text.trim();
        (!t.is_empty()).then_some(t)
    }

    /// Trimmed text of the element at `path`, `None` when absent or empty.
    pub fn value_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path).and_then(Element::value)
    }

    /// This element and everything under it, depth first.
    pub fn descendants(&self) -> impl Iterator<Item = &Element> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let e = stack.pop()?;
            stack.extend(e.children.iter().rev());
            Some(e)
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XmlError {
    TooLarge {
        bytes: usize,
        limit: usize,
    },
    NotUtf8,
    /// `<!DOCTYPE …>`: refused whatever it holds.
    DocType,
    UnknownEntity(String),
    TooDeep(usize),
    TooManyElements(usize),
    NoRoot,
    /// Something after the root element other than comments and blanks.
    AfterRoot,
    Syntax {
        at: u64,
        message: String,
    },
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::TooLarge { bytes, limit } => {
                write!(f, "{bytes} bytes is more than the {limit} accepted")
            }
            XmlError::NotUtf8 => write!(f, "not UTF-8"),
            XmlError::DocType => write!(f, "a document type declaration (DOCTYPE) is refused"),
            XmlError::UnknownEntity(name) => write!(f, "unknown entity &{name};"),
            XmlError::TooDeep(d) => write!(f, "elements nested deeper than {d}"),
            XmlError::TooManyElements(n) => write!(f, "more than {n} elements"),
            XmlError::NoRoot => write!(f, "no root element"),
            XmlError::AfterRoot => write!(f, "content after the root element"),
            XmlError::Syntax { at, message } => {
                write!(f, "not well-formed XML at byte {at}: {message}")
            }
        }
    }
}

impl std::error::Error for XmlError {}

fn open(e: &BytesStart<'_>, at: u64) -> Result<Element, XmlError> {
    let syntax = |message: String| XmlError::Syntax { at, message };
    let name = e.local_name().as_ref().to_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| syntax(err.to_string()))?;
        let key = a.key.local_name().as_ref().to_owned();
        let value =
            a.normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| match err {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => XmlError::UnknownEntity(name),
                    other => syntax(other.to_string()),
                })?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Reads one document into its root element.
pub fn parse(bytes: &[u8], limits: Limits) -> Result<Element, XmlError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|err| XmlError::Syntax {
            at: reader.error_position(),
            message: err.to_string(),
        })?;
        if matches!(event, Event::Start(_) | Event::Empty(_)) {
            if root.is_some() {
                return Err(XmlError::AfterRoot);
            }
            count += 1;
            if count > limits.max_elements {
                return Err(XmlError::TooManyElements(limits.max_elements));
            }
            if stack.len() >= limits.max_depth {
                return Err(XmlError::TooDeep(limits.max_depth));
            }
        }
        match event {
            Event::Start(e) => stack.push(open(&e, at)?),
            Event::Empty(e) => {
                let element = open(&e, at)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                // quick-xml checks that the end tag matches its start.
                let element = stack.pop().ok_or(XmlError::Syntax {
                    at,
                    message: "an end tag with no start".into(),
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(e) => e.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None if root.is_some() => return Err(XmlError::AfterRoot),
                    None => {
                        return Err(XmlError::Syntax {
                            at,
                            message: "text before the root element".into(),
                        });
                    }
                }
            }
            Event::CData(c) => {
                let content = c.into_inner().into_owned();
                match stack.last_mut() {
                    Some(e) => e.text.push_str(&content),
                    None => {
                        return Err(XmlError::Syntax {
                            at,
                            message: "CDATA outside the root element".into(),
                        });
                    }
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => entity(&r).ok_or_else(|| XmlError::UnknownEntity(r.to_string()))?,
                    Err(err) => {
                        return Err(XmlError::Syntax {
                            at,
                            message: err.to_string(),
                        });
                    }
                };
                match stack.last_mut() {
                    Some(e) => e.text.push(c),
                    None => return Err(XmlError::AfterRoot),
                }
            }
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding()
                    && !enc.eq_ignore_ascii_case("utf-8")
                {
                    return Err(XmlError::NotUtf8);
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax {
            at: reader.buffer_position(),
            message: format!(
                "<{}> is not closed",
                stack.last().map(|e| e.name.as_str()).unwrap_or("")
            ),
        });
    }
    root.ok_or(XmlError::NoRoot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Element, XmlError> {
        parse(s.as_bytes(), Limits::JMA)
    }

    #[test]
    fn a_tree_with_prefixes_dropped_and_entities_resolved() {
        let root = p(r#"<?xml version="1.0" encoding="UTF-8"?>
<a:Report xmlns:a="urn:x"><Head t="&lt;1&gt;"><Title>震度 &amp; &#x6C34;</Title><Empty/></Head></a:Report>"#)
        .unwrap();
        assert_eq!(root.name, "Report");
        assert_eq!(root.at(&["Head"]).unwrap().attr("t"), Some("<1>"));
        assert_eq!(root.value_at(&["Head", "Title"]), Some("震度 & 水"));
        assert_eq!(root.value_at(&["Head", "Empty"]), None);
        assert_eq!(root.descendants().count(), 4);
    }

    #[test]
    fn hostile_input_is_refused() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>"#;
        assert_eq!(p(laughs), Err(XmlError::DocType));
        assert_eq!(
            p("<r>&nbsp;</r>"),
            Err(XmlError::UnknownEntity("nbsp".into()))
        );
        assert_eq!(
            p(r#"<r a="&x;"/>"#),
            Err(XmlError::UnknownEntity("x".into()))
        );
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(p(&deep), Err(XmlError::TooDeep(32)));
        let many = format!("<r>{}</r>", "<a/>".repeat(200_001));
        assert_eq!(p(&many), Err(XmlError::TooManyElements(200_000)));
        let big = vec![b' '; (4 << 20) + 1];
        assert!(matches!(
            parse(&big, Limits::JMA),
            Err(XmlError::TooLarge { .. })
        ));
        assert_eq!(parse(b"<r>\xff</r>", Limits::JMA), Err(XmlError::NotUtf8));
        assert!(matches!(p("<r><a></r>"), Err(XmlError::Syntax { .. })));
        assert!(matches!(p("<r><a>"), Err(XmlError::Syntax { .. })));
        assert_eq!(p("<r/><s/>"), Err(XmlError::AfterRoot));
        assert_eq!(p("   "), Err(XmlError::NoRoot));
        assert_eq!(
            p(r#"<?xml version="1.0" encoding="Shift_JIS"?><r/>"#),
            Err(XmlError::NotUtf8)
        );
    }
}
