//! What an operator types, checked once for both ways in: the console's forms
//! and the command line. Each check turns raw text into the value the database
//! stores, or a [`Refused`] that names the field and says why in Japanese (the
//! console shows it) and in English (the command line prints it).

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime};
use engawa_ride::service::Vehicle;

use crate::db::NewHousehold;
use crate::ride::db::Fares;

/// A field the operator must correct; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The form field, which is also the command line's option name.
    pub field: &'static str,
    /// For the console.
    pub ja: String,
    /// For the command line.
    pub en: String,
}

impl Refused {
    pub(crate) fn new(
        field: &'static str,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> Refused {
        Refused {
            field,
            ja: ja.into(),
            en: en.into(),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--{}: {}", self.field, self.en)
    }
}

impl std::error::Error for Refused {}

/// Trimmed text of at most `max` characters without control characters.
pub fn clean(v: &str, max: usize) -> Option<String> {
    let v = v.trim();
    (v.chars().count() <= max && !v.chars().any(char::is_control)).then(|| v.to_string())
}

/// [`clean`], or the field refused.
fn text(field: &'static str, label: &str, v: &str, max: usize) -> Result<String, Refused> {
    clean(v, max).ok_or_else(|| {
        Refused::new(
            field,
            format!("{label}は {max}字までで 入れてください。"),
            format!("up to {max} characters, without control characters"),
        )
    })
}

/// Like [`text`], and not empty.
fn required(field: &'static str, label: &str, v: &str, max: usize) -> Result<String, Refused> {
    let v = text(field, label, v, max)?;
    if v.is_empty() {
        return Err(Refused::new(
            field,
            format!("{label}を 入れてください。"),
            "required",
        ));
    }
    Ok(v)
}

/// A household as typed: every field as text, the coordinates too.
#[derive(Debug, Default, Clone)]
pub struct HouseholdInput {
    pub name: String,
    pub district: String,
    pub address: String,
    pub phone: String,
    pub lat: String,
    pub lon: String,
    pub shop: bool,
    pub ride: bool,
    pub eligibility: String,
}

/// A new household, its taxi categories checked against the fare table.
pub fn household(h: &HouseholdInput, fares: &Fares) -> Result<NewHousehold, Refused> {
    let coordinate = |field: &'static str, v: &str, limit: f64| -> Result<Option<f64>, Refused> {
        match v.trim() {
            "" => Ok(None),
            t => t
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && x.abs() <= limit)
                .map(Some)
                .ok_or_else(|| {
                    Refused::new(
                        field,
                        "緯度・経度は 35.611 の ような 数字で 入れてください。",
                        format!("a number from -{limit} to {limit}, such as 35.611"),
                    )
                }),
        }
    };
    let lat = coordinate("lat", &h.lat, 90.0)?;
    let lon = coordinate("lon", &h.lon, 180.0)?;
    if lat.is_some() != lon.is_some() {
        return Err(Refused::new(
            "lon",
            "緯度と 経度は ふたつとも 入れてください。",
            "give both --lat and --lon, or neither",
        ));
    }
    let eligibility = text("eligibility", "タクシーの区分", &h.eligibility, 120)?;
    let unknown = fares.unknown(&eligibility);
    if !unknown.is_empty() {
        return Err(Refused::new(
            "eligibility",
            format!(
                "タクシーの区分「{}」は ありません（あるのは {}）。",
                unknown.join("、"),
                fares.names()
            ),
            format!(
                "unknown categories {}; the fare table has {} (ride fares --category NAME --fare YEN adds one)",
                unknown.join(", "),
                fares.names()
            ),
        ));
    }
    Ok(NewHousehold {
        name: required("name", "名前", &h.name, 60)?,
        district: text("district", "地区", &h.district, 40)?,
        address: required("address", "住所", &h.address, 120)?,
        phone: required("phone", "電話", &h.phone, 20)?,
        lat,
        lon,
        shop: h.shop,
        ride: h.ride,
        eligibility,
        municipality: None,
    })
}

/// A seller: its name and phone.
pub fn seller(name: &str, phone: &str) -> Result<(String, String), Refused> {
    Ok((
        required("name", "お店の名前", name, 60)?,
        required("phone", "電話", phone, 20)?,
    ))
}

/// "35.611,137.935" → a place on Earth.
pub fn lat_lon(field: &'static str, v: &str) -> Result<(f64, f64), Refused> {
    let refused = || {
        Refused::new(
            field,
            "緯度,経度を 35.6110,137.9350 の 形で 入れてください。",
            "LATITUDE,LONGITUDE on Earth, such as 35.611,137.935",
        )
    };
    let (a, b) = v.split_once(',').ok_or_else(refused)?;
    let (lat, lon): (f64, f64) = (
        a.trim().parse().map_err(|_| refused())?,
        b.trim().parse().map_err(|_| refused())?,
    );
    if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
        return Err(refused());
    }
    Ok((lat, lon))
}

/// The name of a vehicle or a place.
fn ride_name(name: &str) -> Result<String, Refused> {
    required("name", "名前", name, 30)
}

/// A taxi: its name, seats (1–20), shift (start before end, HH:MM) and depot.
pub fn vehicle(
    name: &str,
    seats: &str,
    from: &str,
    to: &str,
    depot: &str,
    wheelchair: bool,
) -> Result<(String, Vehicle), Refused> {
    let name = ride_name(name)?;
    let seats = seats
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (1..=20).contains(n))
        .ok_or_else(|| Refused::new("seats", "席は 1〜20 です。", "a whole number, 1 to 20"))?;
    let shift = engawa_ride::api::minutes(from)
        .zip(engawa_ride::api::minutes(to))
        .filter(|(a, b)| a < b)
        .ok_or_else(|| {
            Refused::new(
                "shift",
                "時間は 08:00 と 17:00 の 形で、はじめ < おわり に してください。",
                "HH:MM-HH:MM with the start first, such as 08:00-17:00",
            )
        })?;
    let depot = lat_lon("depot", depot)?;
    Ok((
        name,
        Vehicle {
            seats,
            wheelchair,
            shift,
            depot,
        },
    ))
}

/// A place riders go to or come from.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlace {
    pub name: String,
    pub kind: String,
    pub at: (f64, f64),
    pub district: String,
}

/// A place: its name, kind (その他 when empty), position and district.
pub fn place(name: &str, kind: &str, at: &str, district: &str) -> Result<NewPlace, Refused> {
    let kind = text("kind", "種類", kind, 10)?;
    Ok(NewPlace {
        name: ride_name(name)?,
        kind: if kind.is_empty() {
            "その他".into()
        } else {
            kind
        },
        at: lat_lon("at", at)?,
        district: text("district", "地区", district, 40)?,
    })
}

/// Yen the operator sets in the fare table: 0 to 100,000.
pub fn fare(field: &'static str, v: &str) -> Result<i64, Refused> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|y| (0..=100_000).contains(y))
        .ok_or_else(|| {
            Refused::new(
                field,
                "料金を 0〜100000円で 入れてください。",
                "yen, 0 to 100000",
            )
        })
}

/// A fare category's name: up to 20 characters, no list separators.
pub fn category(name: &str) -> Result<String, Refused> {
    let name = required("category", "区分の 名前", name, 20)?;
    if name.contains([',', '、']) {
        return Err(Refused::new(
            "category",
            "区分の 名前は 20字までで、「,」「、」なしで 入れてください。",
            "up to 20 characters without commas",
        ));
    }
    Ok(name)
}

/// Two different districts whose riders may share a taxi.
pub fn zone_pair(a: &str, b: &str) -> Result<(String, String), Refused> {
    let (a, b) = (
        text("district", "地区", a, 40)?,
        text("district", "地区", b, 40)?,
    );
    if a.is_empty() || b.is_empty() || a == b {
        return Err(Refused::new(
            "district",
            "ちがう 地区を ふたつ 入れてください。",
            "two different districts, such as 北部,中心部",
        ));
    }
    Ok((a, b))
}

/// A rider's needs: each up to 30 characters, all together up to 60; the
/// stored form is comma separated.
pub fn needs<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<String, Refused> {
    let mut out = Vec::new();
    for item in items {
        let item = text("needs", "要ること", item, 30)?;
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    let joined = out.join(",");
    if joined.chars().count() > 60 {
        return Err(Refused::new(
            "needs",
            "要ることは あわせて 60字までです。",
            "up to 60 characters in all, such as 車いす,玄関まで介助",
        ));
    }
    Ok(joined)
}

/// Minutes added at each of a rider's stops: 0 to 30.
pub fn extra_minutes(v: &str) -> Result<i64, Refused> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (0..=30).contains(m))
        .ok_or_else(|| {
            Refused::new(
                "extra-minutes",
                "足す 時間は 0〜30分です。",
                "minutes, 0 to 30",
            )
        })
}

/// The shop's order cut-off, HH:MM.
pub fn cutoff(v: &str) -> Result<NaiveTime, Refused> {
    NaiveTime::parse_from_str(v.trim(), "%H:%M").map_err(|_| {
        Refused::new(
            "cutoff",
            "しめきりは 10:30 の 形で 入れてください。",
            format!("expected HH:MM, got {v:?}"),
        )
    })
}

/// Delivery weekdays (Monday first): at least one.
pub fn weekdays(days: [bool; 7]) -> Result<[bool; 7], Refused> {
    if !days.iter().any(|d| *d) {
        return Err(Refused::new(
            "weekdays",
            "お届けの 曜日を ひとつ以上 えらんでください。",
            "at least one day, 1 (Monday) to 7 (Sunday)",
        ));
    }
    Ok(days)
}

/// Days without delivery, one date (YYYY-MM-DD) per item.
pub fn holidays<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeSet<NaiveDate>, Refused> {
    let mut out = BTreeSet::new();
    for item in items.into_iter().map(str::trim).filter(|d| !d.is_empty()) {
        let day = item.parse::<NaiveDate>().map_err(|_| {
            Refused::new(
                "holidays",
                format!("「{item}」は 日付に なっていません（2026-12-31 の形）。"),
                format!("not a date: {item:?} (YYYY-MM-DD)"),
            )
        })?;
        out.insert(day);
    }
    Ok(out)
}

/// A new operator's password: at least 10 characters.
pub fn password(v: &str) -> Result<&str, Refused> {
    if v.chars().count() < 10 {
        return Err(Refused::new(
            "password",
            "パスワードは 10字以上に してください。",
            "the password must have at least 10 characters",
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fares() -> Fares {
        Fares {
            categories: vec![
                ("65歳以上".into(), engawa_core::Yen(300)),
                ("免許返納".into(), engawa_core::Yen(200)),
            ],
            tv_discount: engawa_core::Yen(100),
        }
    }

    fn hanako() -> HouseholdInput {
        HouseholdInput {
            name: " 山田 花子 ".into(),
            address: "みどり町 1-2".into(),
            phone: "0265-11-2222".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_household_is_trimmed_and_its_categories_must_exist() {
        let h = household(&hanako(), &fares()).unwrap();
        assert_eq!((h.name.as_str(), h.lat, h.lon), ("山田 花子", None, None));
        let mut typo = hanako();
        typo.eligibility = "65歳以上,学生".into();
        let r = household(&typo, &fares()).unwrap_err();
        assert_eq!(r.field, "eligibility");
        assert!(r.ja.contains("「学生」は ありません"), "{}", r.ja);
        assert!(r.en.contains("学生"), "{}", r.en);
    }

    #[test]
    fn a_household_without_name_or_with_half_a_position_is_refused() {
        for (change, field) in [
            (
                (|h: &mut HouseholdInput| h.name = "  ".into()) as fn(&mut HouseholdInput),
                "name",
            ),
            (|h| h.phone = "0".repeat(21), "phone"),
            (|h| h.address = "a\u{7}b".into(), "address"),
            (|h| h.lat = "北".into(), "lat"),
            (|h| h.lat = "95".into(), "lat"),
            (|h| h.lat = "35.6".into(), "lon"),
        ] {
            let mut h = hanako();
            change(&mut h);
            assert_eq!(household(&h, &fares()).unwrap_err().field, field);
        }
    }

    #[test]
    fn vehicles_places_and_fares_are_checked_in_one_place() {
        let (name, v) = vehicle("1号車", "3", "08:00", "17:00", "35.6,137.9", true).unwrap();
        assert_eq!((name.as_str(), v.seats, v.shift), ("1号車", 3, (480, 1020)));
        assert_eq!(
            vehicle("1号車", "0", "08:00", "17:00", "35.6,137.9", false)
                .unwrap_err()
                .field,
            "seats"
        );
        assert_eq!(
            vehicle("1号車", "3", "17:00", "08:00", "35.6,137.9", false)
                .unwrap_err()
                .field,
            "shift"
        );
        assert_eq!(
            vehicle("1号車", "3", "08:00", "17:00", "135,0", false)
                .unwrap_err()
                .field,
            "depot"
        );
        assert_eq!(place("病院", "", "35.6,137.9", "").unwrap().kind, "その他");
        assert_eq!(
            place(&"長".repeat(31), "", "35.6,137.9", "")
                .unwrap_err()
                .field,
            "name"
        );
        assert_eq!(fare("fare", "100001").unwrap_err().field, "fare");
        assert_eq!(category("a,b").unwrap_err().field, "category");
        assert!(zone_pair("北部", "北部").is_err());
        assert_eq!(
            needs(["車いす", " 杖 ", "車いす", ""]).unwrap(),
            "車いす,杖"
        );
        assert!(needs(["長".repeat(31).as_str()]).is_err());
        assert!(extra_minutes("31").is_err());
    }

    #[test]
    fn delivery_rules_need_a_day_and_real_dates() {
        assert!(weekdays([false; 7]).is_err());
        assert_eq!(
            holidays(["2026-12-31", " ", "2027-01-01"]).unwrap().len(),
            2
        );
        let r = holidays(["2026-13-01"]).unwrap_err();
        assert!(r.ja.contains("「2026-13-01」"), "{}", r.ja);
        assert_eq!(cutoff("10:30").unwrap().to_string(), "10:30:00");
        assert!(password("short").is_err());
    }
}
