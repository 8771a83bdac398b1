//! The entities the head-end shows the city platform, made from what is
//! stored, in NGSI-LD's key-values form (`normalized` turns one into the
//! normalized form). Never a person or a household: alerts, shelters and
//! per-district counts, and a district's counts only where it has at least
//! [`MIN_HOUSEHOLDS`] households, so that no count points at one home.
//!
//! | type | from | scope |
//! |---|---|---|
//! | `Alert` (Smart Data Models `dataModel.Alert`) | every campaign: JMA reports and the headquarters' orders | alerts:read |
//! | `Shelter` (ours, `schemas/Shelter.json`) | the imported shelters with what the headquarters set | shelters:read |
//! | `CampaignDistrictAnswers` (ours) | a campaign's answers per district | aggregates:read |
//! | `DistrictDailyActivity` (ours) | orders and taxi rides per district and day | aggregates:read |

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use engawa_disaster::policy::Hazard;
use engawa_disaster::words;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::city::Scope;
use crate::db::Scope as Reach;
use crate::disaster::db::{CampaignRow, ShelterRow};

/// A district with fewer households is left out of the counts.
pub const MIN_HOUSEHOLDS: i64 = 3;
/// How many of the newest campaigns are shown.
pub const ALERTS: i64 = 200;
/// Campaigns whose answers are counted per district (the newest).
pub const ANSWER_CAMPAIGNS: i64 = 20;
/// Days of daily activity, up to today.
pub const DAYS: i64 = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Alert,
    Shelter,
    CampaignDistrictAnswers,
    DistrictDailyActivity,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Alert,
        Kind::Shelter,
        Kind::CampaignDistrictAnswers,
        Kind::DistrictDailyActivity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Alert => "Alert",
            Kind::Shelter => "Shelter",
            Kind::CampaignDistrictAnswers => "CampaignDistrictAnswers",
            Kind::DistrictDailyActivity => "DistrictDailyActivity",
        }
    }

    /// A type as a client names it: the short name, or its full URI in our
    /// context.
    pub fn from_name(s: &str) -> Option<Kind> {
        let short = s.rsplit(['/', '#']).next().unwrap_or(s);
        Kind::ALL.into_iter().find(|k| k.name() == short)
    }

    /// The type an entity id names (`urn:ngsi-ld:TYPE:…`).
    pub fn of_id(id: &str) -> Option<Kind> {
        let rest = id.strip_prefix("urn:ngsi-ld:")?;
        Kind::from_name(rest.split(':').next()?)
    }

    pub fn scope(self) -> Scope {
        match self {
            Kind::Alert => Scope::Alerts,
            Kind::Shelter => Scope::Shelters,
            Kind::CampaignDistrictAnswers | Kind::DistrictDailyActivity => Scope::Aggregates,
        }
    }
}

/// Percent-encodes what is not a URN-safe character (district names are
/// Japanese).
pub fn urn_part(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Two ids the same once percent-decoded: a client may send an id's `%XX`
/// as it got them or decoded (the path decodes them once more).
pub fn same_id(a: &str, b: &str) -> bool {
    let decode = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    a == b || decode(a) == decode(b)
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Smart Data Models' Alert category and subCategory.
fn categories(h: &Hazard) -> (&'static str, &'static str) {
    use engawa_disaster::policy::ShelterUse as U;
    match h {
        Hazard::Earthquake { .. } => ("naturalDisaster", "earthquake"),
        Hazard::Tsunami { .. } => ("naturalDisaster", "tsunami"),
        Hazard::Landslide => ("naturalDisaster", "landslide"),
        Hazard::Warning { code, .. } => match code.as_str() {
            "03" | "33" => ("weather", "heavyRain"),
            "04" => ("weather", "flood"),
            "08" | "38" => ("weather", "stormSurge"),
            "05" | "35" => ("weather", "highWind"),
            "06" | "36" | "32" => ("weather", "snow"),
            _ => ("weather", "weatherWarning"),
        },
        Hazard::Order { danger, .. } => (
            "naturalDisaster",
            match danger {
                U::Flood | U::InlandFlood => "flood",
                U::Landslide => "landslide",
                U::StormSurge => "stormSurge",
                U::Earthquake => "earthquake",
                U::Tsunami => "tsunami",
                U::Fire => "fire",
                U::Volcano => "volcano",
            },
        ),
    }
}

/// Smart Data Models' severity: informational, low, medium, high, critical.
fn severity(h: &Hazard) -> &'static str {
    match (h, h.level()) {
        (_, Some(5)) | (Hazard::Tsunami { major: true }, _) => "critical",
        (_, Some(4)) | (Hazard::Tsunami { .. }, _) | (Hazard::Earthquake { .. }, _) => "high",
        (_, Some(3)) => "medium",
        _ => "low",
    }
}

fn closed(ring: &[(f64, f64)]) -> Vec<[f64; 2]> {
    let mut r: Vec<[f64; 2]> = ring.iter().map(|&(lon, lat)| [lon, lat]).collect();
    if r.len() >= 3 && r.first() != r.last() {
        r.push(r[0]);
    }
    r
}

/// Where an alert is: its districts' shapes (the whole municipality's when
/// it names none), else the middle of the municipality's shelters.
fn alert_location(
    c: &CampaignRow,
    shapes: &[(String, engawa_disaster::geo::Rings)],
    shelters: &[ShelterRow],
) -> Option<Value> {
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = shapes
        .iter()
        .filter(|(d, _)| c.districts.is_empty() || c.districts.contains(d))
        .flat_map(|(_, rings)| rings.iter())
        .map(|r| closed(r))
        .filter(|r| r.len() >= 4)
        .map(|r| vec![r])
        .collect();
    if !polygons.is_empty() {
        return Some(json!({"type": "MultiPolygon", "coordinates": polygons}));
    }
    let points: Vec<(f64, f64)> = shelters
        .iter()
        .filter_map(|s| Some((s.lon?, s.lat?)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let n = points.len() as f64;
    let (lon, lat) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    Some(json!({"type": "Point", "coordinates": [lon / n, lat / n]}))
}

pub fn alert_id(domain: &str, campaign: i64) -> String {
    format!("urn:ngsi-ld:Alert:{}:{campaign}", urn_part(domain))
}

fn alert(
    domain: &str,
    c: &CampaignRow,
    shapes: &[(String, engawa_disaster::geo::Rings)],
    shelters: &[ShelterRow],
) -> Value {
    let (category, sub) = categories(&c.hazard);
    let place = c.place();
    let mut e = json!({
        "id": alert_id(domain, c.id),
        "type": "Alert",
        "name": words::what(&c.hazard, &place),
        "description": format!("{}。{}", words::what(&c.hazard, &place), words::todo(&c.hazard)),
        "category": category,
        "subCategory": sub,
        "severity": severity(&c.hazard),
        "alertSource": if c.event_id.is_some() {
            "気象庁".to_string()
        } else {
            format!("{} 災害対策本部", c.municipality_name)
        },
        "dateIssued": time(c.opened_at),
        "validFrom": time(c.opened_at),
        "address": {"addressLocality": c.municipality_name, "addressCountry": "JP"},
        "municipality": c.municipality,
        "districts": c.districts,
        "drill": c.drill,
    });
    if let Some(level) = c.hazard.level() {
        e["warningLevel"] = json!(level);
    }
    if let Some(t) = c.closed_at {
        e["validTo"] = json!(time(t));
    }
    if let Some(loc) = alert_location(c, shapes, shelters) {
        e["location"] = loc;
    }
    e
}

pub fn shelter_id(s: &ShelterRow) -> String {
    format!("urn:ngsi-ld:Shelter:{}:{}", urn_part(&s.municipality), s.id)
}

fn shelter(s: &ShelterRow) -> Value {
    let mut e = json!({
        "id": shelter_id(s),
        "type": "Shelter",
        "name": s.name,
        "address": {"streetAddress": s.address, "addressCountry": "JP"},
        "status": s.state.key(),
        "suitableFor": s.uses.iter().map(|u| u.key()).collect::<Vec<_>>(),
        "municipality": s.municipality,
        "sourceId": s.source_id,
    });
    if let Some(c) = s.capacity {
        e["capacity"] = json!(c);
    }
    if let (Some(lon), Some(lat)) = (s.lon, s.lat) {
        e["location"] = json!({"type": "Point", "coordinates": [lon, lat]});
    }
    e
}

/// Every entity of `kinds` the client may see (its municipality, or all),
/// in key-values form, by id.
pub async fn load(
    s: &AppState,
    reach: &Reach,
    kinds: &BTreeSet<Kind>,
) -> Result<Vec<Value>, sqlx::Error> {
    let now = s.clock.now();
    let towns: Vec<String> =
        s.db.municipalities()
            .await?
            .into_iter()
            .map(|m| m.code)
            .filter(|c| reach.admits(Some(c)))
            .collect();
    let mut shelters: BTreeMap<String, Vec<ShelterRow>> = BTreeMap::new();
    if kinds.contains(&Kind::Shelter) || kinds.contains(&Kind::Alert) {
        for t in &towns {
            shelters.insert(t.clone(), s.db.shelters(t).await?);
        }
    }
    let mut out = Vec::new();
    if kinds.contains(&Kind::Alert) {
        let mut shapes = BTreeMap::new();
        for t in &towns {
            shapes.insert(t.clone(), s.db.district_shapes(t).await?);
        }
        for (c, _) in s.db.campaigns_in(reach, None, false, ALERTS).await? {
            let none = Vec::new();
            out.push(alert(
                &s.mail_domain,
                &c,
                shapes.get(&c.municipality).unwrap_or(&none),
                shelters.get(&c.municipality).unwrap_or(&Vec::new()),
            ));
        }
    }
    if kinds.contains(&Kind::Shelter) {
        out.extend(shelters.values().flatten().map(shelter));
    }
    let counted = if kinds.contains(&Kind::CampaignDistrictAnswers)
        || kinds.contains(&Kind::DistrictDailyActivity)
    {
        s.db.households_per_district(reach).await?
    } else {
        BTreeMap::new()
    };
    let big_enough = |town: &str, d: &str| {
        counted
            .get(&(town.to_string(), d.to_string()))
            .copied()
            .unwrap_or(0)
            >= MIN_HOUSEHOLDS
    };
    if kinds.contains(&Kind::CampaignDistrictAnswers) {
        for (c, _) in
            s.db.campaigns_in(reach, None, false, ANSWER_CAMPAIGNS)
                .await?
        {
            let Some(board) = s.db.board_summary(c.id, now, 0).await? else {
                continue;
            };
            for (district, t) in &board.districts {
                if !big_enough(&c.municipality, district) {
                    continue;
                }
                out.push(json!({
                    "id": format!("urn:ngsi-ld:CampaignDistrictAnswers:{}:{}:{}",
                        urn_part(&s.mail_domain), c.id, urn_part(district)),
                    "type": "CampaignDistrictAnswers",
                    "refAlert": alert_id(&s.mail_domain, c.id),
                    "municipality": c.municipality,
                    "district": district,
                    "households": t.total(),
                    "safe": t.safe,
                    "help": t.help,
                    "noAnswer": t.no_answer,
                    "offline": t.offline,
                    "answeredShare": (t.answered_share() * 1000.0).round() / 1000.0,
                    "dateObserved": time(now),
                }));
            }
        }
    }
    if kinds.contains(&Kind::DistrictDailyActivity) {
        let today = now.with_timezone(&engawa_core::TOKYO).date_naive();
        let since = today - Duration::days(DAYS - 1);
        let days = s.db.activity_per_district_day(reach, since).await?;
        for ((town, district, day), (orders, rides)) in days {
            if !big_enough(&town, &district) {
                continue;
            }
            out.push(json!({
                "id": format!("urn:ngsi-ld:DistrictDailyActivity:{}:{}:{}",
                    urn_part(&town), urn_part(&district), day),
                "type": "DistrictDailyActivity",
                "municipality": town,
                "district": district,
                "date": day,
                "households": counted.get(&(town.clone(), district.clone())).copied().unwrap_or(0),
                "orders": orders,
                "rides": rides,
            }));
        }
    }
    out.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    Ok(out)
}

/// NGSI-LD's normalized form: every attribute a Property (`location` a
/// GeoProperty, `ref…` a Relationship).
pub fn normalized(kv: &Value) -> Value {
    let mut out = Map::new();
    for (k, v) in kv.as_object().into_iter().flatten() {
        let attr = match k.as_str() {
            "id" | "type" | "@context" => v.clone(),
            "location" => json!({"type": "GeoProperty", "value": v}),
            _ if k.starts_with("ref") => json!({"type": "Relationship", "object": v}),
            _ => json!({"type": "Property", "value": v}),
        };
        out.insert(k.clone(), attr);
    }
    Value::Object(out)
}

/// Only the attributes asked for (`attrs=`), with id and type.
pub fn project(kv: &Value, attrs: &[String]) -> Value {
    let mut out = Map::new();
    for (k, v) in kv.as_object().into_iter().flatten() {
        if k == "id" || k == "type" || attrs.iter().any(|a| a == k) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_named_short_or_by_uri_and_ids_name_their_type() {
        assert_eq!(Kind::from_name("Alert"), Some(Kind::Alert));
        assert_eq!(
            Kind::from_name("https://smartdatamodels.org/dataModel.Alert/Alert"),
            Some(Kind::Alert)
        );
        assert_eq!(Kind::from_name("Person"), None);
        assert_eq!(
            Kind::of_id("urn:ngsi-ld:Shelter:209961:3"),
            Some(Kind::Shelter)
        );
        assert_eq!(Kind::of_id("urn:x:Shelter"), None);
        assert_eq!(urn_part("上組 1"), "%E4%B8%8A%E7%B5%84%201");
        assert!(same_id(
            "urn:ngsi-ld:X:%E4%B8%8A%E7%B5%84",
            "urn:ngsi-ld:X:上組"
        ));
        assert!(!same_id("urn:ngsi-ld:X:%E4%B8%8A", "urn:ngsi-ld:X:上組"));
    }

    #[test]
    fn the_normalized_form_says_what_each_attribute_is() {
        let kv = json!({"id": "urn:ngsi-ld:X:1", "type": "X", "n": 3,
                        "location": {"type": "Point", "coordinates": [1.0, 2.0]},
                        "refAlert": "urn:ngsi-ld:Alert:1"});
        let n = normalized(&kv);
        assert_eq!(n["n"], json!({"type": "Property", "value": 3}));
        assert_eq!(n["location"]["type"], "GeoProperty");
        assert_eq!(
            n["refAlert"],
            json!({"type": "Relationship", "object": "urn:ngsi-ld:Alert:1"})
        );
        assert_eq!(
            project(&kv, &["n".into()]),
            json!({"id": "urn:ngsi-ld:X:1", "type": "X", "n": 3})
        );
    }
}
