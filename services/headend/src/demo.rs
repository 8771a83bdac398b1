//! A head-end with demo data: the demo catalogue's sellers and ~300 items, one
//! household registered for shopping, and a box token for it — so that
//! `packaging/dev/demo` can order within a minute of starting.

use chrono::{DateTime, Utc};

use crate::Db;
use crate::db::NewHousehold;

/// Where the box's demo serves its head-end, so the console has an address a
/// newcomer can type (README); another free port if this one is taken.
pub const PORT: u16 = 8090;
/// The demo's console login (the demo database only).
pub const OPERATOR: &str = "demo";
pub const PASSWORD: &str = "engawa-demo";

/// The demo operator, unless it is there already.
pub async fn operator(db: &Db, now: DateTime<Utc>) -> anyhow::Result<()> {
    if db.operator_login(OPERATOR).await?.is_none() {
        let hash = crate::console::hash_password(PASSWORD)?;
        db.add_operator(OPERATOR, &hash, &crate::db::Grant::admin(), now)
            .await?;
    }
    Ok(())
}

/// Seed an empty database (a seeded one is left as it is). Returns the demo
/// household.
pub async fn seed(db: &Db, now: DateTime<Utc>) -> anyhow::Result<i64> {
    if let Some(id) = db.first_household().await? {
        return Ok(id);
    }
    for (name, phone) in engawa_shop::demo::SELLERS {
        db.add_seller(name, phone, now).await?;
    }
    let rows = crate::shop::catalogue::parse(engawa_shop::demo::csv().as_bytes()).map_err(|e| {
        anyhow::anyhow!(
            "the demo catalogue does not import: {}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let n = db
        .import_items(&rows, now)
        .await?
        .map_err(|e| anyhow::anyhow!("the demo catalogue does not import: {} bad rows", e.len()))?;
    let household = db
        .add_household(
            &NewHousehold {
                name: "山田 花子".into(),
                address: "長野県 みどり町 上沢 1234".into(),
                phone: "0265-12-3456".into(),
                lat: Some(35.6178),
                lon: Some(137.9312),
                shop: true,
                ride: true,
                district: "上沢".into(),
                eligibility: "65歳以上".into(),
                municipality: None,
            },
            now,
        )
        .await?;
    // Generated pictures, one per item, so the photo path is used in the demo too.
    let categories = crate::shop::catalogue::CATEGORIES;
    for (i, it) in db.items().await?.iter().enumerate() {
        let cat = categories
            .iter()
            .position(|c| *c == it.category)
            .unwrap_or(0);
        let png = engawa_shop::photo::placeholder(cat, i as u64 * 7919);
        db.set_photo(it.id, &png, now).await?;
    }
    // Two cars and the places of a small town around the household.
    for (name, wheelchair) in [("1号車", false), ("2号車", true)] {
        db.add_vehicle(
            name,
            &engawa_ride::service::Vehicle {
                seats: 3,
                wheelchair,
                shift: (8 * 60, 17 * 60),
                depot: (35.6110, 137.9350),
            },
        )
        .await?;
    }
    for (i, (name, kind, at)) in [
        ("みどり病院", "病院", (35.6050, 137.9420)),
        ("スーパーみどり", "スーパー", (35.6090, 137.9380)),
        ("みどり町役場", "役場", (35.6102, 137.9361)),
        ("みどり駅", "駅", (35.6125, 137.9330)),
        ("ふれあい温泉", "温泉", (35.6300, 137.9200)),
    ]
    .into_iter()
    .enumerate()
    {
        let id = db.add_place(name, kind, at, "").await?;
        if i < 2 {
            db.add_favourite(household, id).await?;
        }
    }
    disaster(db, household, now).await?;
    tracing::info!(items = n, household, "demo head-end seeded");
    Ok(household)
}

/// The demo town as a municipality for 防災: its rules (震度5弱 and more,
/// 洪水警報 and 大雨特別警報, landslide alerts), the household in it, and two
/// open shelters, so an order issued on the console reaches the demo box.
async fn disaster(db: &Db, household: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    use crate::disaster::db::{Municipality, NewShelter, ShelterState};
    use engawa_disaster::policy::{Policy, ShelterUse};
    db.set_municipality(&Municipality::new(
        DEMO_MUNICIPALITY,
        "みどり町",
        [DEMO_JMA_CITY.to_string()].into(),
        Policy {
            quake_from: Some(engawa_disaster::Intensity::I5Lower),
            warnings: ["04".to_string(), "33".to_string()].into(),
            landslide: true,
            ..Default::default()
        },
    ))
    .await?;
    db.set_household_disaster(
        household,
        Some(DEMO_MUNICIPALITY),
        Some(DEMO_JMA_CITY),
        None,
    )
    .await?;
    let shelter = |id: &str, name: &str, at: (f64, f64), uses: &[ShelterUse]| NewShelter {
        source_id: id.into(),
        name: name.into(),
        address: format!("長野県 みどり町 {name}"),
        lat: Some(at.0),
        lon: Some(at.1),
        capacity: Some(200),
        uses: uses.iter().copied().collect(),
    };
    let all = [
        ShelterUse::Flood,
        ShelterUse::Landslide,
        ShelterUse::Earthquake,
        ShelterUse::Fire,
    ];
    db.import_shelters(
        DEMO_MUNICIPALITY,
        &[
            shelter("S1", "みどり小学校 体育館", (35.6150, 137.9330), &all),
            shelter("S2", "みどり町 公民館", (35.6102, 137.9365), &all),
        ],
        now,
    )
    .await?;
    for s in db.shelters(DEMO_MUNICIPALITY).await? {
        db.set_shelter_state(DEMO_MUNICIPALITY, s.id, ShelterState::Open, now)
            .await?;
    }
    Ok(())
}

/// The demo town's municipal code and its JMA city code (fictional).
pub const DEMO_MUNICIPALITY: &str = "209996";
pub const DEMO_JMA_CITY: &str = "2099900";
