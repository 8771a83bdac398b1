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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hazard {
    Earthquake { intensity: Intensity },
    Warning { code: String, name: String },
    Landslide,
}

impl Hazard {
    fn is_quake(&self) -> bool {
        matches!(self, Hazard::Earthquake { .. })
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
            (was, new) => was == new || (c.event_id.is_some() && c.event_id == report.event_id),
        });
    match joined {
        Some(c) => Decision::Join { campaign: c.id },
        None => Decision::Open { hazard, drill },
    }
}
