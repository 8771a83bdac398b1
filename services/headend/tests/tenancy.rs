//! Two municipalities on one head-end: staff of one (and its disaster board)
//! see and change nothing of the other's on any console page. Every console
//! route is walked by みどり町's staff with あおば村's objects in its
//! parameters (households, boxes, contacts, campaigns, shelters, rides); no
//! page shows あおば村's resident, and every change aimed at あおば村's
//! objects leaves them as they were. 管理者 sees both.

mod common;

use common::{Console, Headend};
use engawa_core::Clock;
use engawa_disaster::policy::{Order, Policy, ShelterUse};
use engawa_headend::console::access::{self, REFUSED, Who};
use engawa_headend::db::{Grant, NewHousehold, Role};
use engawa_headend::disaster::db::{Municipality, NewShelter, ShelterState};
use engawa_ride::service::Vehicle;
use reqwest::StatusCode;
use serde_json::json;

const MIDORI: &str = "209996";
const AOBA: &str = "209997";
/// あおば村's resident: none of these may show on a みどり町 page.
const THEIR_NAME: &str = "青葉 次郎";
const THEIR_PHONE: &str = "0299-98-7654";
const THEIR_ADDRESS: &str = "あおば村 奥沢 9-9";

/// What belongs to あおば村.
struct Theirs {
    household: i64,
    box_id: i64,
    contact: i64,
    campaign: i64,
    shelter: i64,
    ride: i64,
}

async fn two_towns(h: &Headend) -> Theirs {
    for (code, name, city) in [
        (MIDORI, "みどり町", "2099600"),
        (AOBA, "あおば村", "2099700"),
    ] {
        h.db.set_municipality(&Municipality::new(
            code,
            name,
            [city.to_string()].into(),
            Policy::default(),
        ))
        .await
        .unwrap();
    }
    let add = |name: &str, phone: &str, address: &str, town: &str| NewHousehold {
        name: name.into(),
        address: address.into(),
        phone: phone.into(),
        lat: Some(35.505),
        lon: Some(137.805),
        shop: true,
        ride: true,
        district: "奥沢".into(),
        eligibility: "65歳以上".into(),
        municipality: Some(town.into()),
    };
    h.db.add_household(
        &add("緑 花子", "0265-11-2222", "みどり町 上沢 1-2", MIDORI),
        h.clock.now(),
    )
    .await
    .unwrap();
    let household =
        h.db.add_household(
            &add(THEIR_NAME, THEIR_PHONE, THEIR_ADDRESS, AOBA),
            h.clock.now(),
        )
        .await
        .unwrap();
    let token = h.pair("EGW-AOBA", household).await;
    let box_id = h.db.boxes().await.unwrap()[0].id;
    let contact =
        h.db.add_contact(household, "青葉 一郎", "ichiro@example.jp", h.clock.now())
            .await
            .unwrap()
            .unwrap();
    h.db.import_shelters(
        AOBA,
        &[NewShelter {
            source_id: "A1".into(),
            name: "あおば村 公民館".into(),
            address: "あおば村 1".into(),
            lat: Some(35.5),
            lon: Some(137.8),
            capacity: Some(50),
            uses: [ShelterUse::Flood].into(),
        }],
        h.clock.now(),
    )
    .await
    .unwrap();
    let shelter = h.db.shelters(AOBA).await.unwrap()[0].id;
    let campaign =
        h.db.issue_order(
            AOBA,
            Order::Evacuate,
            ShelterUse::Flood,
            &[],
            &[shelter],
            true,
            None,
            h.clock.now(),
        )
        .await
        .unwrap();
    h.db.add_vehicle(
        "1号車",
        &Vehicle {
            seats: 3,
            wheelchair: false,
            shift: (8 * 60, 17 * 60),
            depot: (35.515, 137.821),
        },
    )
    .await
    .unwrap();
    let to =
        h.db.add_place("みどり病院", "病院", (35.530, 137.840), "")
            .await
            .unwrap();
    let (s, v) = h
        .post_keyed(
            "/v1/ride/bookings",
            json!({"from": null, "to": to, "people": 1, "pickup_from": "11:00"}),
            Some(&token),
            "tenancy-ride-0001",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    Theirs {
        household,
        box_id,
        contact,
        campaign,
        shelter,
        ride: v["id"].as_i64().unwrap(),
    }
}

fn staff(role: Role) -> Grant {
    Grant {
        role,
        municipality: Some(MIDORI.into()),
        vehicle_id: None,
    }
}

/// A route with あおば村's objects in its parameters (and queries).
fn aimed_at(a: &access::Access, t: &Theirs) -> String {
    let id = match a.owner {
        Some(access::Owner::Box) => t.box_id,
        Some(access::Owner::Campaign) => t.campaign,
        _ if a.path.starts_with("/console/disaster/shelters/") => t.shelter,
        _ => t.household,
    };
    let path = a
        .path
        .replace("{id}", &id.to_string())
        .replace("{cid}", &t.contact.to_string())
        .replace("{code}", AOBA)
        .replace("{file}", "households.csv");
    match a.path {
        "/console/ride/book" | "/console/ride/rider" => {
            format!("{path}?household={}", t.household)
        }
        _ => path,
    }
}

/// Everything of あおば村's that a page could change, as it stands.
async fn snapshot(h: &Headend, t: &Theirs) -> String {
    let boxes = h.db.boxes().await.unwrap();
    let contacts = h.db.contacts(t.household).await.unwrap();
    let campaign = h.db.campaign(t.campaign).await.unwrap().unwrap();
    let shelters = h.db.shelters(AOBA).await.unwrap();
    let rides = h.db.ride_day("2026-11-25").await.unwrap().rides;
    let rider = h.db.rider(t.household).await.unwrap();
    let policy = h.db.watch_overview(t.household).await.unwrap();
    format!("{boxes:?}\n{contacts:?}\n{campaign:?}\n{shelters:?}\n{rides:?}\n{rider:?}\n{policy:?}")
}

fn shows_theirs(body: &str) -> bool {
    [
        THEIR_NAME,
        THEIR_PHONE,
        THEIR_ADDRESS,
        "ichiro@example.jp",
        "あおば村 公民館",
    ]
    .iter()
    .any(|w| body.contains(w))
}

/// Posts the fields a real form of this route sends, aimed at あおば村.
async fn post_aimed(c: &Console, a: &access::Access, t: &Theirs) -> (StatusCode, String) {
    let path = aimed_at(a, t);
    let household = t.household.to_string();
    let ride = t.ride.to_string();
    let shelter = ShelterState::Crowded.key();
    let fields: Vec<(&str, &str)> = match a.path {
        "/console/pairing" => vec![
            ("code", "ABC-DEF"),
            ("household", &household),
            ("confirm", "true"),
        ],
        "/console/ride/stop" => vec![
            ("ride", &ride),
            ("drop", "0"),
            ("unmet", ""),
            ("day", "2026-11-25"),
        ],
        "/console/ride/rider" => vec![
            ("household", &household),
            ("c0", "免許返納"),
            ("extra", "10"),
        ],
        "/console/ride/book" => vec![
            ("household", &household),
            ("to", "1"),
            ("people", "1"),
            ("mode", "asap"),
            ("time", ""),
        ],
        "/console/ride/book/confirm" => vec![
            ("household", &household),
            ("to", "1"),
            ("people", "1"),
            ("pickup_from", "12:00"),
            ("key", "tenancy-book-0002"),
        ],
        "/console/watch/{id}/policy" => vec![("threshold_hours", "2")],
        "/console/watch/{id}/contacts" => vec![("name", "他人"), ("email", "other@example.jp")],
        "/console/disaster/shelters/{code}/{id}" => vec![("state", shelter)],
        "/console/disaster/order" => vec![
            ("municipality", AOBA),
            ("order", "evacuate"),
            ("danger", "flood"),
        ],
        _ => vec![],
    };
    c.form(&path, &fields).await
}

#[tokio::test]
async fn one_municipalitys_staff_see_and_change_nothing_of_anothers() {
    let h = Headend::start().await;
    h.clock.set(engawa_core::clock::tokyo(2026, 11, 25, 9, 0));
    let t = two_towns(&h).await;
    let before = snapshot(&h, &t).await;
    let campaigns_before = h.db.campaigns(50).await.unwrap().len();
    let mut walked = 0;
    for (name, grant) in [
        ("midori-shokuin", staff(Role::Staff)),
        ("midori-honbu", staff(Role::Hq)),
    ] {
        let c = h.console_as(name, &grant).await;
        for a in engawa_headend::routes::access_table() {
            if a.path == "/console/logout" || a.path.starts_with("/console/login") {
                continue;
            }
            let allowed = match a.who {
                Who::Anyone | Who::LoggedIn => true,
                Who::Roles(r) => r.contains(&grant.role),
            };
            let (status, body) = if a.method == axum::http::Method::GET {
                c.get(&aimed_at(&a, &t)).await
            } else {
                post_aimed(&c, &a, &t).await
            };
            let what = format!("{} {} as {:?}", a.method, aimed_at(&a, &t), grant.role);
            assert!(
                !shows_theirs(&body),
                "{what} shows あおば村's resident:\n{body}"
            );
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}\n{body}");
            if !allowed {
                assert!(body.contains(REFUSED), "{what}");
            }
            walked += 1;
        }
    }
    assert!(walked > 80, "{walked}");
    assert_eq!(snapshot(&h, &t).await, before, "あおば村's data changed");
    assert_eq!(
        h.db.campaigns(50).await.unwrap().len(),
        campaigns_before,
        "no order for あおば村"
    );

    // みどり町's own resident is on its pages; a household its staff add is
    // みどり町's.
    let c = h.console_as("midori-shokuin", &staff(Role::Staff)).await;
    let (_, page) = c.get("/console/households").await;
    assert!(page.contains("緑 花子"), "{page}");
    let (s, page) = c
        .form(
            "/console/households",
            &[
                ("name", "緑 三郎"),
                ("address", "みどり町 2"),
                ("phone", "0265-33-4444"),
                ("district", ""),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let added = h.db.households().await.unwrap();
    let added = added.iter().find(|x| x.name == "緑 三郎").unwrap();
    assert_eq!(added.municipality.as_deref(), Some(MIDORI));

    // 管理者 sees both municipalities.
    let admin = h.console().await;
    let (_, page) = admin.get("/console/households").await;
    assert!(
        page.contains(THEIR_NAME) && page.contains("緑 花子"),
        "{page}"
    );
    let (s, page) = admin.get(&format!("/console/watch/{}", t.household)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(THEIR_NAME), "{page}");
}
