//! A JMA disaster report (気象庁防災情報XML): what every report carries
//! (Control and Head) and the municipalities it names.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::xml::{self, Element, Limits, XmlError};

/// The code type JMA gives municipality codes (市町村等).
pub const CITY_CODE_TYPE: &str = "気象・地震・火山情報／市町村等";

/// `Control/Status`: only 通常 is real; 訓練 is a drill, 試験 a test that
/// never reaches a screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Status {
    Normal,
    Drill,
    Test,
}

impl Status {
    pub fn from_ja(s: &str) -> Option<Status> {
        Some(match s {
            "通常" => Status::Normal,
            "訓練" => Status::Drill,
            "試験" => Status::Test,
            _ => return None,
        })
    }
}

/// `Head/InfoType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum InfoType {
    Issued,
    Corrected,
    Cancelled,
}

impl InfoType {
    pub fn from_ja(s: &str) -> Option<InfoType> {
        Some(match s {
            "発表" => InfoType::Issued,
            "訂正" => InfoType::Corrected,
            "取消" => InfoType::Cancelled,
            _ => return None,
        })
    }
}

/// Seismic intensity on JMA's scale (震度), ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Intensity {
    I1,
    I2,
    I3,
    I4,
    I5Lower,
    I5Upper,
    I6Lower,
    I6Upper,
    I7,
}

impl Intensity {
    /// The XML's form: `1` … `4`, `5-`, `5+`, `6-`, `6+`, `7`.
    pub fn from_code(s: &str) -> Option<Intensity> {
        Some(match s.trim() {
            "1" => Intensity::I1,
            "2" => Intensity::I2,
            "3" => Intensity::I3,
            "4" => Intensity::I4,
            "5-" => Intensity::I5Lower,
            "5+" => Intensity::I5Upper,
            "6-" => Intensity::I6Lower,
            "6+" => Intensity::I6Upper,
            "7" => Intensity::I7,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Intensity::I1 => "1",
            Intensity::I2 => "2",
            Intensity::I3 => "3",
            Intensity::I4 => "4",
            Intensity::I5Lower => "5-",
            Intensity::I5Upper => "5+",
            Intensity::I6Lower => "6-",
            Intensity::I6Upper => "6+",
            Intensity::I7 => "7",
        }
    }

    /// As the TV says it: 震度５強.
    pub fn to_ja(self) -> &'static str {
        match self {
            Intensity::I1 => "震度１",
            Intensity::I2 => "震度２",
            Intensity::I3 => "震度３",
            Intensity::I4 => "震度４",
            Intensity::I5Lower => "震度５弱",
            Intensity::I5Upper => "震度５強",
            Intensity::I6Lower => "震度６弱",
            Intensity::I6Upper => "震度６強",
            Intensity::I7 => "震度７",
        }
    }
}

/// One warning kind in force (or lifted) for a municipality: a `Kind` of a
/// `Warning` whose type names 市町村等 (気象警報・注意報（市町村等）) or of
/// 土砂災害警戒情報.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub name: String,
    pub code: String,
    /// 発表, 継続, 解除, 特別警報から警報 …
    pub status: String,
    /// From 土砂災害警戒情報 (whose kind is just 警戒).
    pub landslide: bool,
}

impl Warning {
    /// Issued, continued or changed into this kind (not 解除, not なし).
    pub fn in_force(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "" | "解除" | "なし" | "発表警報・注意報はなし"
        )
    }
}

/// A municipality's observed intensity in an earthquake report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CityIntensity {
    pub name: String,
    /// `None` when the report names the city without a value (震度５弱以上未入電).
    pub intensity: Option<Intensity>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// `Control/Title`, e.g. 震度速報.
    pub title: String,
    pub status: Option<String>,
    pub info_type: Option<String>,
    pub event_id: Option<String>,
    pub serial: Option<String>,
    /// `Head/ReportDateTime` as written (ISO 8601 with offset).
    pub reported_at: Option<String>,
    /// `Head/Headline/Text`.
    pub headline: Option<String>,
    /// Every 7-digit municipality code the report names.
    pub cities: BTreeSet<String>,
    /// Earthquake reports: intensity by municipality code.
    pub intensities: BTreeMap<String, CityIntensity>,
    /// Warning reports: the kinds each municipality code is given.
    pub warnings: BTreeMap<String, Vec<Warning>>,
    /// Tsunami reports (津波警報・注意報・予報): the kind each 津波予報区
    /// code is given.
    pub tsunami: BTreeMap<String, TsunamiKind>,
}

/// A 津波予報区's kind in a tsunami report (`Body/Tsunami/Forecast/Item`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TsunamiKind {
    /// 大津波警報：発表, 津波警報, 津波注意報, 警報解除 …
    pub name: String,
    /// 52/53 大津波警報, 51 津波警報, 62 津波注意報, 50/60 解除, 7x 予報, 00 なし.
    pub code: String,
}

impl TsunamiKind {
    /// 大津波警報 or 津波警報: leave the coast for high ground now.
    pub fn is_warning(&self) -> bool {
        matches!(self.code.as_str(), "51" | "52" | "53")
    }

    /// 大津波警報.
    pub fn is_major(&self) -> bool {
        matches!(self.code.as_str(), "52" | "53")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportError {
    Xml(XmlError),
    NotAReport(String),
    Missing(&'static str),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Xml(e) => e.fmt(f),
            ReportError::NotAReport(root) => {
                write!(f, "the root element is <{root}>, not a JMA <Report>")
            }
            ReportError::Missing(what) => write!(f, "no {what}"),
        }
    }
}

impl std::error::Error for ReportError {}

impl From<XmlError> for ReportError {
    fn from(e: XmlError) -> Self {
        ReportError::Xml(e)
    }
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

fn is_city_code(s: &str) -> bool {
    s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Collects municipality codes: a `Code` counts when its own code type (its
/// `type` or `codeType`), or else that of the nearest enclosing `Area` or
/// `Areas`, is 市町村等; and a `City`'s `Code` in an intensity observation.
fn walk<'a>(
    e: &'a Element,
    code_type: Option<&'a str>,
    in_intensity: bool,
    cities: &mut BTreeSet<String>,
) {
    let code_type = match e.name.as_str() {
        "Areas" | "Area" => e.attr("codeType").or(code_type),
        _ => code_type,
    };
    let in_intensity = in_intensity || e.name == "Intensity";
    if e.name == "Code" {
        let own = e.attr("type").or(e.attr("codeType")).or(code_type);
        if own == Some(CITY_CODE_TYPE)
            && let Some(code) = e.value()
            && is_city_code(code)
        {
            cities.insert(code.to_owned());
        }
    }
    if e.name == "City"
        && in_intensity
        && let Some(code) = e.value_at(&["Code"])
        && is_city_code(code)
    {
        cities.insert(code.to_owned());
    }
    for c in &e.children {
        walk(c, code_type, in_intensity, cities);
    }
}

impl Report {
    pub fn parse(bytes: &[u8]) -> Result<Report, ReportError> {
        let root = xml::parse(bytes, Limits::JMA)?;
        if root.name != "Report" {
            return Err(ReportError::NotAReport(root.name));
        }
        let control = root
            .child("Control")
            .ok_or(ReportError::Missing("Control"))?;
        let head = root.child("Head").ok_or(ReportError::Missing("Head"))?;
        let title = control
            .value_at(&["Title"])
            .ok_or(ReportError::Missing("Control/Title"))?
            .to_owned();
        let mut cities = BTreeSet::new();
        walk(&root, None, false, &mut cities);
        let mut intensities = BTreeMap::new();
        if let Some(observation) = root.at(&["Body", "Intensity", "Observation"]) {
            for city in observation.descendants().filter(|e| e.name == "City") {
                if let Some(code) = city.value_at(&["Code"]).filter(|c| is_city_code(c)) {
                    intensities.insert(
                        code.to_owned(),
                        CityIntensity {
                            name: city.value_at(&["Name"]).unwrap_or(code).to_owned(),
                            intensity: city.value_at(&["MaxInt"]).and_then(Intensity::from_code),
                        },
                    );
                }
            }
        }
        let mut warnings: BTreeMap<String, Vec<Warning>> = BTreeMap::new();
        for section in root
            .at(&["Body"])
            .into_iter()
            .flat_map(|b| b.children_named("Warning"))
        {
            let kind = section.attr("type").unwrap_or("");
            let landslide = kind == "土砂災害警戒情報";
            if !(kind.ends_with("（市町村等）") || landslide) {
                continue;
            }
            for item in section.children_named("Item") {
                let kinds: Vec<Warning> = item
                    .children_named("Kind")
                    .filter_map(|k| {
                        Some(Warning {
                            name: k.value_at(&["Name"])?.to_owned(),
                            code: k.value_at(&["Code"]).unwrap_or("").to_owned(),
                            status: k.value_at(&["Status"]).unwrap_or("").to_owned(),
                            landslide,
                        })
                    })
                    .collect();
                let areas = item.children_named("Area").chain(
                    item.children_named("Areas")
                        .flat_map(|a| a.children_named("Area")),
                );
                for area in areas {
                    if let Some(code) = area.value_at(&["Code"]).filter(|c| is_city_code(c)) {
                        warnings
                            .entry(code.to_owned())
                            .or_default()
                            .extend(kinds.iter().cloned());
                    }
                }
            }
        }
        let mut tsunami = BTreeMap::new();
        for item in root
            .at(&["Body", "Tsunami", "Forecast"])
            .into_iter()
            .flat_map(|f| f.children_named("Item"))
        {
            let (Some(area), Some(kind)) = (
                item.value_at(&["Area", "Code"]),
                item.at(&["Category", "Kind"]),
            ) else {
                continue;
            };
            if let Some(name) = kind.value_at(&["Name"]) {
                tsunami.insert(
                    area.to_owned(),
                    TsunamiKind {
                        name: name.to_owned(),
                        code: kind.value_at(&["Code"]).unwrap_or("").to_owned(),
                    },
                );
            }
        }
        Ok(Report {
            title,
            status: owned(control.value_at(&["Status"])),
            info_type: owned(head.value_at(&["InfoType"])),
            event_id: owned(head.value_at(&["EventID"])),
            serial: owned(head.value_at(&["Serial"])),
            reported_at: owned(head.value_at(&["ReportDateTime"])),
            headline: owned(head.value_at(&["Headline", "Text"])),
            cities,
            intensities,
            warnings,
            tsunami,
        })
    }

    pub fn status_kind(&self) -> Option<Status> {
        self.status.as_deref().and_then(Status::from_ja)
    }

    pub fn info_type_kind(&self) -> Option<InfoType> {
        self.info_type.as_deref().and_then(InfoType::from_ja)
    }

    /// The strongest intensity the report gives any of these municipalities.
    pub fn strongest_in<'a>(&self, cities: impl IntoIterator<Item = &'a str>) -> Option<Intensity> {
        cities
            .into_iter()
            .filter_map(|c| self.intensities.get(c)?.intensity)
            .max()
    }
}
