//! OASIS Common Alerting Protocol 1.2 (CAP): an evacuation order the
//! headquarters issued, as the city platform and any CAP aggregator read it,
//! and an Atom feed of them (each entry carries the whole alert, as the CAP
//! feeds of weather services do). Written with quick-xml's writer, which
//! escapes every text and attribute; the element order is the OASIS schema's
//! (tests in the head-end validate against it with xmllint and read the
//! output back with an independent CAP library).
//!
//! An order lifted is a second message, `Cancel`, whose `references` name
//! the first (CAP 1.2 §3.2.1).

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::policy::{Hazard, Order, ShelterUse};
use crate::words;

pub const CAP_NS: &str = "urn:oasis:names:tc:emergency:cap:1.2";
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// What a CAP message is served as.
pub const CAP_MEDIA_TYPE: &str = "application/cap+xml";
/// The geocode naming a municipality by its 全国地方公共団体コード.
pub const GEOCODE_NAME: &str = "JP-LGCode";

/// What the head-end knows of an order, in its own terms.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFacts {
    /// The campaign's number: unique within one head-end.
    pub id: i64,
    /// The head-end's domain (its mail domain): with the id, unique anywhere.
    pub domain: String,
    pub municipality_code: String,
    pub municipality_name: String,
    /// The districts it is for; empty: the whole municipality.
    pub districts: Vec<String>,
    pub order: Order,
    pub danger: ShelterUse,
    pub drill: bool,
    pub issued_at: DateTime<Utc>,
    pub lifted_at: Option<DateTime<Utc>>,
    /// The shelters the order lists, by name.
    pub shelters: Vec<String>,
    /// The municipality's telephone for residents, when it has one.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgType {
    Alert,
    Cancel,
}

/// One CAP message.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub identifier: String,
    pub sender: String,
    pub sent: DateTime<FixedOffset>,
    /// `Exercise` for a drill (訓練), else `Actual`.
    pub exercise: bool,
    pub msg_type: MsgType,
    /// `sender,identifier,sent` of the message a Cancel ends.
    pub references: Option<String>,
    pub info: Info,
}

/// The `<info>` block: one, in Japanese.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    pub category: &'static str,
    pub event: String,
    pub response_type: &'static str,
    pub urgency: &'static str,
    pub severity: &'static str,
    pub certainty: &'static str,
    pub sender_name: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub contact: Option<String>,
    pub parameters: Vec<(String, String)>,
    pub area_desc: String,
    pub geocodes: Vec<(String, String)>,
}

/// CAP's `sent`: seconds and an explicit offset (the schema refuses `Z`),
/// in Japan's time.
pub fn cap_time(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset"))
}

fn cap_time_text(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// CAP's category for the hazard the shelters must suit.
fn category(danger: ShelterUse) -> &'static str {
    match danger {
        ShelterUse::Flood | ShelterUse::StormSurge | ShelterUse::InlandFlood => "Met",
        ShelterUse::Landslide
        | ShelterUse::Earthquake
        | ShelterUse::Tsunami
        | ShelterUse::Volcano => "Geo",
        ShelterUse::Fire => "Fire",
    }
}

impl OrderFacts {
    fn identifier(&self) -> String {
        format!("engawa.{}.order.{}", self.domain, self.id)
    }

    fn sender(&self) -> String {
        format!("hq.{}@{}", self.municipality_code, self.domain)
    }

    /// Where, as the card says it.
    fn place(&self) -> String {
        if self.districts.is_empty() {
            self.municipality_name.clone()
        } else {
            self.districts.join("・")
        }
    }

    fn info(&self) -> Info {
        let hazard = Hazard::Order {
            order: self.order,
            danger: self.danger,
        };
        let place = self.place();
        let mut description = words::what(&hazard, &place);
        description.push('。');
        if !self.shelters.is_empty() {
            description.push_str(&format!(
                "避難所: {}（{}に 向いています）。",
                self.shelters.join("、"),
                self.danger.to_ja()
            ));
        }
        let (urgency, response_type) = match self.order {
            Order::ElderlyFirst => ("Expected", "Prepare"),
            Order::Evacuate => ("Immediate", "Evacuate"),
            Order::Emergency => ("Immediate", "Shelter"),
        };
        let severity = match self.order {
            Order::ElderlyFirst => "Moderate",
            Order::Evacuate => "Severe",
            Order::Emergency => "Extreme",
        };
        let area_desc = if self.districts.is_empty() {
            self.municipality_name.clone()
        } else {
            format!("{} {}", self.municipality_name, self.districts.join("、"))
        };
        Info {
            category: category(self.danger),
            event: self.order.to_ja().to_string(),
            response_type,
            urgency,
            severity,
            certainty: "Likely",
            sender_name: format!("{} 災害対策本部", self.municipality_name),
            headline: words::what(&hazard, &place),
            description,
            instruction: words::todo(&hazard).to_string(),
            contact: self.phone.clone(),
            parameters: vec![
                ("警戒レベル".into(), self.order.level().to_string()),
                ("危険".into(), self.danger.key().to_string()),
            ],
            area_desc,
            geocodes: vec![(GEOCODE_NAME.into(), self.municipality_code.clone())],
        }
    }

    /// The order as it was issued.
    pub fn alert(&self) -> Alert {
        Alert {
            identifier: self.identifier(),
            sender: self.sender(),
            sent: cap_time(self.issued_at),
            exercise: self.drill,
            msg_type: MsgType::Alert,
            references: None,
            info: self.info(),
        }
    }

    /// The order lifted, when it was.
    pub fn cancel(&self) -> Option<Alert> {
        let lifted = self.lifted_at?;
        let first = self.alert();
        let mut info = self.info();
        let lifted_words = format!(
            "{}の {}（警戒レベル{}）は 解除されました",
            self.place(),
            self.order.to_ja(),
            words::wide(self.order.level())
        );
        info.headline = lifted_words.clone();
        info.description = format!("{lifted_words}。");
        info.instruction = "これからの 情報に 気をつけてください。".into();
        info.response_type = "AllClear";
        info.urgency = "Past";
        info.certainty = "Observed";
        Some(Alert {
            identifier: format!("{}.cancel", first.identifier),
            references: Some(format!(
                "{},{},{}",
                first.sender,
                first.identifier,
                cap_time_text(&first.sent)
            )),
            sent: cap_time(lifted),
            msg_type: MsgType::Cancel,
            info,
            ..first
        })
    }

    /// Its messages, newest first: the Cancel (if lifted), then the Alert.
    pub fn messages(&self) -> Vec<Alert> {
        self.cancel().into_iter().chain([self.alert()]).collect()
    }
}

type W = Writer<Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn write_alert(w: &mut W, a: &Alert) -> std::io::Result<()> {
    w.create_element("alert")
        .with_attribute(("xmlns", CAP_NS))
        .write_inner_content(|w| {
            text(w, "identifier", &a.identifier)?;
            text(w, "sender", &a.sender)?;
            text(w, "sent", &cap_time_text(&a.sent))?;
            text(w, "status", if a.exercise { "Exercise" } else { "Actual" })?;
            text(
                w,
                "msgType",
                match a.msg_type {
                    MsgType::Alert => "Alert",
                    MsgType::Cancel => "Cancel",
                },
            )?;
            text(w, "scope", "Public")?;
            if a.exercise {
                text(w, "note", "訓練です。実際の 避難情報では ありません。")?;
            }
            if let Some(r) = &a.references {
                text(w, "references", r)?;
            }
            let i = &a.info;
            w.create_element("info").write_inner_content(|w| {
                text(w, "language", "ja-JP")?;
                text(w, "category", i.category)?;
                text(w, "event", &i.event)?;
                text(w, "responseType", i.response_type)?;
                text(w, "urgency", i.urgency)?;
                text(w, "severity", i.severity)?;
                text(w, "certainty", i.certainty)?;
                text(w, "senderName", &i.sender_name)?;
                text(w, "headline", &i.headline)?;
                text(w, "description", &i.description)?;
                text(w, "instruction", &i.instruction)?;
                if let Some(c) = &i.contact {
                    text(w, "contact", c)?;
                }
                for (name, value) in &i.parameters {
                    w.create_element("parameter").write_inner_content(|w| {
                        text(w, "valueName", name)?;
                        text(w, "value", value)
                    })?;
                }
                w.create_element("area").write_inner_content(|w| {
                    text(w, "areaDesc", &i.area_desc)?;
                    for (name, value) in &i.geocodes {
                        w.create_element("geocode").write_inner_content(|w| {
                            text(w, "valueName", name)?;
                            text(w, "value", value)
                        })?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn finish(w: W) -> String {
    String::from_utf8(w.into_inner()).expect("the writer was given only strings")
}

fn start() -> W {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .expect("writing to memory");
    w
}

impl Alert {
    /// The message as a CAP 1.2 document.
    pub fn to_xml(&self) -> String {
        let mut w = start();
        write_alert(&mut w, self).expect("writing to memory");
        finish(w)
    }
}

/// What the feed says of itself.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedHead {
    /// The feed's own address (its `id` and `self` link).
    pub url: String,
    pub title: String,
    pub updated: DateTime<Utc>,
}

/// One entry: a message and where it is served on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    pub url: String,
    pub alert: Alert,
}

/// An Atom feed (RFC 4287) whose entries carry their whole CAP message.
pub fn feed(head: &FeedHead, entries: &[FeedEntry]) -> String {
    let mut w = start();
    let atom_time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    w.create_element("feed")
        .with_attribute(("xmlns", ATOM_NS))
        .write_inner_content(|w| {
            text(w, "id", &head.url)?;
            text(w, "title", &head.title)?;
            text(w, "updated", &atom_time(head.updated))?;
            w.create_element("author")
                .write_inner_content(|w| text(w, "name", "engawa"))?;
            w.create_element("link")
                .with_attribute(("rel", "self"))
                .with_attribute(("href", head.url.as_str()))
                .write_empty()?;
            for e in entries {
                let sent = e.alert.sent.with_timezone(&Utc);
                w.create_element("entry").write_inner_content(|w| {
                    text(w, "id", &e.url)?;
                    text(w, "title", &e.alert.info.headline)?;
                    text(w, "updated", &atom_time(sent))?;
                    w.create_element("link")
                        .with_attribute(("rel", "alternate"))
                        .with_attribute(("type", CAP_MEDIA_TYPE))
                        .with_attribute(("href", e.url.as_str()))
                        .write_empty()?;
                    text(w, "summary", &e.alert.info.instruction)?;
                    w.create_element("content")
                        .with_attribute(("type", CAP_MEDIA_TYPE))
                        .write_inner_content(|w| write_alert(w, &e.alert))?;
                    Ok(())
                })?;
            }
            Ok(())
        })
        .expect("writing to memory");
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{Limits, parse};

    fn facts() -> OrderFacts {
        OrderFacts {
            id: 7,
            domain: "center.example.jp".into(),
            municipality_code: "012345".into(),
            municipality_name: "みどり町".into(),
            districts: vec!["上組".into(), "川向<&>".into()],
            order: Order::Evacuate,
            danger: ShelterUse::Flood,
            drill: false,
            issued_at: "2026-12-03T01:00:00Z".parse().unwrap(),
            lifted_at: Some("2026-12-03T05:30:00Z".parse().unwrap()),
            shelters: vec!["みどり小学校".into()],
            phone: Some("0120-000-000".into()),
        }
    }

    #[test]
    fn an_order_reads_back_with_its_facts_escaped() {
        let xml = facts().alert().to_xml();
        let root = parse(xml.as_bytes(), Limits::JMA).unwrap();
        assert_eq!(root.name, "alert");
        assert_eq!(root.value_at(&["sent"]), Some("2026-12-03T10:00:00+09:00"));
        assert_eq!(root.value_at(&["status"]), Some("Actual"));
        assert_eq!(root.value_at(&["msgType"]), Some("Alert"));
        let info = root.child("info").unwrap();
        assert_eq!(info.value_at(&["event"]), Some("避難指示"));
        assert_eq!(info.value_at(&["severity"]), Some("Severe"));
        let area = info.child("area").unwrap();
        assert_eq!(area.value_at(&["areaDesc"]), Some("みどり町 上組、川向<&>"));
        assert!(xml.contains("川向&lt;&amp;&gt;"), "{xml}");
    }

    #[test]
    fn a_lifted_order_is_a_cancel_naming_the_alert() {
        let f = facts();
        let m = f.messages();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].msg_type, MsgType::Cancel);
        assert_eq!(
            m[0].info.headline,
            "上組・川向<&>の 避難指示（警戒レベル４）は 解除されました"
        );
        assert_eq!(m[0].info.response_type, "AllClear");
        assert_eq!(
            m[0].references.as_deref(),
            Some(
                "hq.012345@center.example.jp,engawa.center.example.jp.order.7,2026-12-03T10:00:00+09:00"
            )
        );
        let open = OrderFacts {
            lifted_at: None,
            drill: true,
            ..f
        };
        let m = open.messages();
        assert_eq!(m.len(), 1);
        assert!(m[0].to_xml().contains("<status>Exercise</status>"));
    }

    #[test]
    fn the_feed_carries_each_message_whole() {
        let f = facts();
        let entries: Vec<FeedEntry> = f
            .messages()
            .into_iter()
            .map(|alert| FeedEntry {
                url: format!("https://center.example.jp/cap/{}", alert.identifier),
                alert,
            })
            .collect();
        let head = FeedHead {
            url: "https://center.example.jp/cap/alerts.atom".into(),
            title: "避難情報".into(),
            updated: f.lifted_at.unwrap(),
        };
        let xml = feed(&head, &entries);
        let root = parse(xml.as_bytes(), Limits::JMA).unwrap();
        let got: Vec<_> = root.children_named("entry").collect();
        assert_eq!(got.len(), 2);
        let alert = got[1].child("content").unwrap().child("alert").unwrap();
        assert_eq!(
            alert.value_at(&["identifier"]),
            Some("engawa.center.example.jp.order.7")
        );
    }
}
