//! Which JMA reports open a 安否確認 campaign for a municipality, and the
//! aftershock rule: an earthquake within six hours of one that already asked
//! does not ask again unless the intensity rises.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::jma::{InfoType, Intensity, Report, Status};

/// How long after an earthquake campaign opened a weaker or equal one joins it.
pub const AFTERSHOCK_WINDOW: Duration = Duration::hours(6);

/// A municipality's rules (operator data).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The weakest intensity in one of its cities that asks; `None`:
    /// earthquakes never ask.
    pub quake_from: Option<Intensity>,
    /// JMA warning kind codes (`Kind/Code` in 気象警報・注意報（市町村等）),
    /// e.g. "33" 大雨特別警報, that ask when issued or continued for one of
    /// its cities.
    pub warnings: BTreeSet<String>,
    /// 土砂災害警戒情報 for one of its cities asks.
    pub landslide: bool,
    /// The 津波予報区 codes (3 digits, e.g. 380 静岡県伊豆) its coast lies
    /// in: a 大津波警報 or 津波警報 for one of them asks (a 津波注意報 does
    /// not: it keeps people off the beach, not out of their homes).
    #[serde(default)]
    pub tsunami_areas: BTreeSet<String>,
    /// The districts by the sea a tsunami campaign asks; empty: all of them.
    #[serde(default)]
    pub coastal_districts: BTreeSet<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hazard {
    Earthquake {
        intensity: Intensity,
    },
    Warning {
        code: String,
        name: String,
    },
    Landslide,
    /// 大津波警報 or 津波警報 for one of its 津波予報区.
    Tsunami {
        major: bool,
    },
    /// Issued by the municipality's headquarters for chosen districts, with
    /// the hazard its shelters must suit.
    Order {
        order: Order,
        danger: ShelterUse,
    },
}

impl Hazard {
    fn is_quake(&self) -> bool {
        matches!(self, Hazard::Earthquake { .. })
    }

    /// 警戒レベル (or its 相当) for the card's colour; `None` for an
    /// earthquake and for warnings without one (wind, snow, waves).
    pub fn level(&self) -> Option<u8> {
        match self {
            // A tsunami has no 警戒レベル: its card is the emergency colour.
            Hazard::Earthquake { .. } | Hazard::Tsunami { .. } => None,
            Hazard::Landslide => Some(4),
            Hazard::Order { order, .. } => Some(order.level()),
            Hazard::Warning { code, .. } => match code.as_str() {
                // 大雨特別警報, 高潮特別警報.
                "33" | "38" => Some(5),
                // 高潮警報.
                "08" => Some(4),
                // 大雨警報, 洪水警報.
                "03" | "04" => Some(3),
                _ => None,
            },
        }
    }

    /// Which kind of shelter this hazard needs; `None`: any open shelter.
    pub fn shelter_use(&self) -> Option<ShelterUse> {
        match self {
            Hazard::Earthquake { .. } => Some(ShelterUse::Earthquake),
            Hazard::Tsunami { .. } => Some(ShelterUse::Tsunami),
            Hazard::Landslide => Some(ShelterUse::Landslide),
            Hazard::Order { danger, .. } => Some(*danger),
            Hazard::Warning { code, .. } => match code.as_str() {
                "03" | "04" | "33" => Some(ShelterUse::Flood),
                "08" | "38" => Some(ShelterUse::StormSurge),
                _ => None,
            },
        }
    }
}

/// The three evacuation orders a municipality issues (避難情報).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    /// 高齢者等避難 (警戒レベル３)
    ElderlyFirst,
    /// 避難指示 (警戒レベル４)
    Evacuate,
    /// 緊急安全確保 (警戒レベル５)
    Emergency,
}

impl Order {
    pub const ALL: [Order; 3] = [Order::ElderlyFirst, Order::Evacuate, Order::Emergency];

    pub fn level(self) -> u8 {
        match self {
            Order::ElderlyFirst => 3,
            Order::Evacuate => 4,
            Order::Emergency => 5,
        }
    }

    pub fn to_ja(self) -> &'static str {
        match self {
            Order::ElderlyFirst => "高齢者等避難",
            Order::Evacuate => "避難指示",
            Order::Emergency => "緊急安全確保",
        }
    }

    /// The form's value.
    pub fn key(self) -> &'static str {
        match self {
            Order::ElderlyFirst => "elderly",
            Order::Evacuate => "evacuate",
            Order::Emergency => "emergency",
        }
    }

    pub fn from_key(s: &str) -> Option<Order> {
        Order::ALL.into_iter().find(|o| o.key() == s)
    }
}

/// The hazards a designated emergency evacuation site (指定緊急避難場所) is
/// fit for: the hazard columns of the 自治体標準オープンデータセット.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ShelterUse {
    Flood,
    Landslide,
    StormSurge,
    Earthquake,
    Tsunami,
    Fire,
    InlandFlood,
    Volcano,
}

impl ShelterUse {
    pub const ALL: [ShelterUse; 8] = [
        ShelterUse::Flood,
        ShelterUse::Landslide,
        ShelterUse::StormSurge,
        ShelterUse::Earthquake,
        ShelterUse::Tsunami,
        ShelterUse::Fire,
        ShelterUse::InlandFlood,
        ShelterUse::Volcano,
    ];

    /// The open-data CSV's column heading.
    pub fn column(self) -> &'static str {
        match self {
            ShelterUse::Flood => "洪水",
            ShelterUse::Landslide => "崖崩れ、土石流及び地滑り",
            ShelterUse::StormSurge => "高潮",
            ShelterUse::Earthquake => "地震",
            ShelterUse::Tsunami => "津波",
            ShelterUse::Fire => "大規模な火事",
            ShelterUse::InlandFlood => "内水氾濫",
            ShelterUse::Volcano => "火山現象",
        }
    }

    /// Short, for the console.
    pub fn to_ja(self) -> &'static str {
        match self {
            ShelterUse::Landslide => "土砂災害",
            other => other.column(),
        }
    }

    /// As stored and in forms.
    pub fn key(self) -> &'static str {
        match self {
            ShelterUse::Flood => "flood",
            ShelterUse::Landslide => "landslide",
            ShelterUse::StormSurge => "storm_surge",
            ShelterUse::Earthquake => "earthquake",
            ShelterUse::Tsunami => "tsunami",
            ShelterUse::Fire => "fire",
            ShelterUse::InlandFlood => "inland_flood",
            ShelterUse::Volcano => "volcano",
        }
    }

    pub fn from_key(s: &str) -> Option<ShelterUse> {
        ShelterUse::ALL.into_iter().find(|u| u.key() == s)
    }
}

/// What in a report concerns the municipality, strongest first.
pub fn hazards(report: &Report, policy: &Policy, cities: &BTreeSet<String>) -> Vec<Hazard> {
    let mut out = Vec::new();
    if let Some(from) = policy.quake_from
        && let Some(intensity) = report.strongest_in(cities.iter().map(String::as_str))
        && intensity >= from
    {
        out.push(Hazard::Earthquake { intensity });
    }
    let tsunami: Vec<_> = policy
        .tsunami_areas
        .iter()
        .filter_map(|a| report.tsunami.get(a))
        .filter(|k| k.is_warning())
        .collect();
    if !tsunami.is_empty() {
        // The strongest first: a tsunami outranks the earthquake behind it.
        out.insert(
            0,
            Hazard::Tsunami {
                major: tsunami.iter().any(|k| k.is_major()),
            },
        );
    }
    for city in cities {
        for w in report.warnings.get(city).into_iter().flatten() {
            if !w.in_force() {
                continue;
            }
            if w.landslide {
                if policy.landslide && !out.contains(&Hazard::Landslide) {
                    out.push(Hazard::Landslide);
                }
            } else if policy.warnings.contains(&w.code) {
                let h = Hazard::Warning {
                    code: w.code.clone(),
                    name: w.name.clone(),
                };
                if !out.contains(&h) {
                    out.push(h);
                }
            }
        }
    }
    out
}

/// A campaign as the aftershock rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub drill: bool,
    pub hazard: Hazard,
    pub event_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing for this municipality's screens.
    Ignore,
    /// A new campaign: every household is asked.
    Open { hazard: Hazard, drill: bool },
    /// The report belongs to a campaign already asking; nobody is asked again.
    Join { campaign: i64 },
}

/// What a report does for one municipality, given its campaigns still open.
/// 試験 never reaches a screen; a drill never joins a real campaign nor a real
/// report a drill.
pub fn decide(
    report: &Report,
    policy: &Policy,
    cities: &BTreeSet<String>,
    open: &[Campaign],
    now: DateTime<Utc>,
) -> Decision {
    let drill = match report.status_kind() {
        Some(Status::Normal) => false,
        Some(Status::Drill) => true,
        Some(Status::Test) | None => return Decision::Ignore,
    };
    if report.info_type_kind() == Some(InfoType::Cancelled) {
        return Decision::Ignore;
    }
    let Some(hazard) = hazards(report, policy, cities).into_iter().next() else {
        return Decision::Ignore;
    };
    let same_kind = |c: &&Campaign| c.drill == drill && c.hazard.is_quake() == hazard.is_quake();
    let joined = open
        .iter()
        .filter(same_kind)
        .find(|c| match (&c.hazard, &hazard) {
            (Hazard::Earthquake { intensity: was }, Hazard::Earthquake { intensity: now_int }) => {
                now_int <= was && now - c.opened_at < AFTERSHOCK_WINDOW
            }
            // 津波警報 raised to 大津波警報: asked again, in the new words.
            (Hazard::Tsunami { major: false }, Hazard::Tsunami { major: true }) => false,
            (was, new) => was == new || (c.event_id.is_some() && c.event_id == report.event_id),
        });
    match joined {
        Some(c) => Decision::Join { campaign: c.id },
        None => Decision::Open { hazard, drill },
    }
}
