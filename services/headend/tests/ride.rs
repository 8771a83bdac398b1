//! Booking a shared taxi over HTTP against the real head-end: places, quotes
//! with pickup windows, idempotent bookings, cancellation freeing the seat, one
//! household never seeing another's rides, refusals with reasons (and logged).

mod common;

use common::{Headend, code};
use engawa_core::Clock;
use engawa_core::clock::tokyo;
use engawa_headend::db::NewHousehold;
use engawa_ride::api::{Booking, Places, Quote};
use engawa_ride::service::Vehicle;
use reqwest::StatusCode;
use serde_json::json;

const DEPOT: (f64, f64) = (35.515, 137.821);

/// Book from home to `to` for `people` at `pickup` with this key.
async fn book(
    h: &Headend,
    token: &str,
    key: &str,
    to: i64,
    people: u8,
    pickup: &str,
) -> (StatusCode, serde_json::Value) {
    h.post_keyed(
        "/v1/ride/bookings",
        json!({"from": null, "to": to, "people": people, "pickup_from": pickup}),
        Some(token),
        key,
    )
    .await
}

/// Another car, 08:00–17:00 at the depot.
async fn car(h: &Headend, name: &str, seats: i32, wheelchair: bool) {
    h.db.add_vehicle(
        name,
        &Vehicle {
            seats,
            wheelchair,
            shift: (8 * 60, 17 * 60),
            depot: DEPOT,
        },
    )
    .await
    .unwrap();
}

/// A quote that must succeed.
async fn quote(h: &Headend, token: &str, body: serde_json::Value) -> Quote {
    let (s, v) = h.post("/v1/ride/quote", body, Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    serde_json::from_value(v).unwrap()
}

/// 山田 ハナ (65歳以上), registered and paired: (household, box token).
async fn hana(h: &Headend) -> (i64, String) {
    let a = rider(h, "山田 ハナ", (35.505, 137.805), "65歳以上").await;
    (a, h.pair("EGW-A", a).await)
}

async fn rider(h: &Headend, name: &str, at: (f64, f64), eligibility: &str) -> i64 {
    h.db.add_household(
        &NewHousehold {
            name: name.into(),
            address: "みどり町".into(),
            phone: "0265-11-2222".into(),
            lat: Some(at.0),
            lon: Some(at.1),
            ride: true,
            eligibility: eligibility.into(),
            ..Default::default()
        },
        h.clock.now(),
    )
    .await
    .unwrap()
}

struct Town {
    h: Headend,
    hospital: i64,
    station: i64,
}

async fn town(seats: i32) -> Town {
    let h = Headend::start().await;
    h.clock.set(tokyo(2026, 11, 25, 8, 30));
    car(&h, "1号車", seats, false).await;
    let hospital =
        h.db.add_place("みどり病院", "病院", (35.530, 137.840), "")
            .await
            .unwrap();
    let station =
        h.db.add_place("みどり駅", "駅", (35.518, 137.823), "")
            .await
            .unwrap();
    Town {
        h,
        hospital,
        station,
    }
}

#[tokio::test]
async fn quote_book_list_cancel_and_the_seat_is_free_again() {
    let t = town(3).await;
    let h = &t.h;
    let a = rider(h, "山田 ハナ", (35.505, 137.805), "65歳以上").await;
    let b = rider(h, "佐藤 トメ", (35.509, 137.810), "障害").await;
    h.db.add_favourite(a, t.hospital).await.unwrap();
    let (ta, tb) = (h.pair("EGW-A", a).await, h.pair("EGW-B", b).await);

    let (s, v) = h.get("/v1/ride/places", Some(&ta)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let places: Places = serde_json::from_value(v).unwrap();
    assert_eq!(places.places[0].name, "みどり病院");
    assert!(places.places[0].favourite);
    assert_eq!(
        (
            places.opens.as_str(),
            places.closes.as_str(),
            places.fare_yen.0
        ),
        ("08:00", "17:00", 500)
    );
    let (_, v) = h.get("/v1/ride/places", Some(&tb)).await;
    assert_eq!(v["fare_yen"], 250, "reduced fare by eligibility");

    // いますぐ: the first window starts 15 minutes from now (8:30 → 8:45).
    let q = quote(
        h,
        &ta,
        json!({"from": null, "to": t.hospital, "people": 2, "when": "asap"}),
    )
    .await;
    assert_eq!(q.offers.len(), 3);
    assert_eq!(
        (
            q.offers[0].pickup_from.as_str(),
            q.offers[0].pickup_to.as_str()
        ),
        ("08:45", "09:00")
    );
    assert_eq!(q.offers[1].pickup_from, "09:00");
    assert_eq!(q.offers[0].fare_yen.0, 1000);
    assert!(q.offers[0].arrive_at.as_str() > "08:45");

    let body = json!({"from": null, "to": t.hospital, "people": 2, "pickup_from": "08:45"});
    let (s, v) = h
        .post_keyed(
            "/v1/ride/bookings",
            body.clone(),
            Some(&ta),
            "ride-key-0001",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let booked: Booking = serde_json::from_value(v).unwrap();
    assert_eq!(
        (booked.from_name.as_str(), booked.to_name.as_str()),
        ("家", "みどり病院")
    );
    // The same key again: the same booking, not a second one.
    let (s, v) = h
        .post_keyed(
            "/v1/ride/bookings",
            body.clone(),
            Some(&ta),
            "ride-key-0001",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["id"], booked.id);
    let (s, v) = book(h, &ta, "ride-key-0001", t.station, 1, "08:45").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&v), "idempotency_key_reused");
    let (_, v) = h.get("/v1/ride/bookings", Some(&ta)).await;
    assert_eq!(v.as_array().unwrap().len(), 1);

    // The car has 3 seats; B (2 people) wants the same window: the seat count
    // says no, and the offers move on.
    let q = quote(
        h,
        &tb,
        json!({"from": null, "to": t.hospital, "people": 2, "when": {"at": "08:45"}}),
    )
    .await;
    assert!(q.offers.iter().all(|o| o.pickup_from != "08:45"), "{q:?}");
    let (s, v) = book(h, &tb, "ride-key-b001", t.hospital, 2, "08:45").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(code(&v), "no_longer_possible");

    // B cannot see or cancel A's ride.
    let (_, v) = h.get("/v1/ride/bookings", Some(&tb)).await;
    assert!(v.as_array().unwrap().is_empty());
    let (s, v) = h
        .post(
            &format!("/v1/ride/bookings/{}/cancel", booked.id),
            json!({}),
            Some(&tb),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    // A cancels: the seat is free, and B's booking at 08:45 goes through.
    let (s, v) = h
        .post(
            &format!("/v1/ride/bookings/{}/cancel", booked.id),
            json!({}),
            Some(&ta),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "cancelled");
    let (s, v) = book(h, &tb, "ride-key-b002", t.hospital, 2, "08:45").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["fare_yen"], 500, "2 × 250 yen");
    // The driver's manifest: B's pickup at home and drop at the hospital.
    let m = engawa_headend::ride::dispatch::manifest(&h.db, "2026-11-25", &*h.state.travel)
        .await
        .unwrap();
    assert!(m.contains("1号車 （3席、08:00〜17:00）"), "{m}");
    assert!(
        m.contains("お迎え  佐藤 トメ 様（2人）  みどり町  電話 0265-11-2222  500円 請求済み"),
        "{m}"
    );
    assert!(m.contains("おろす  佐藤 トメ 様（2人）  みどり病院"), "{m}");
    assert!(
        !m.contains("山田 ハナ"),
        "cancelled rides are not driven: {m}"
    );
    // The same in the console, with the day's figures.
    let console = h.console().await;
    let (s, page) = console.get("/console/ride?day=2026-11-25").await;
    assert_eq!(s, StatusCode::OK);
    for part in [
        "1号車 （3席、08:00〜17:00）",
        "<td>お迎え</td><td>佐藤 トメ 様</td>",
        "<td>おろす</td><td>佐藤 トメ 様</td><td>みどり病院</td>",
        "予約の 直前に うまった",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    let vehicle = |at: &'static str| {
        vec![
            ("what", "vehicle"),
            ("name", "2号車"),
            ("seats", "4"),
            ("from", "09:00"),
            ("to", "16:00"),
            ("at", at),
        ]
    };
    let (_, page) = console.form("/console/ride/setup", &vehicle("north")).await;
    assert!(page.contains("緯度,経度を"), "{page}");
    let (_, page) = console
        .form("/console/ride/setup", &vehicle("35.51,137.82"))
        .await;
    assert!(page.contains("2号車 を 加えました"), "{page}");
    assert_eq!(h.db.vehicles().await.unwrap().len(), 2);
    // The month's bill: B's ride (2 × 250 yen), none for A (cancelled).
    let (first, last) = engawa_headend::billing::month_bounds("2026-11").unwrap();
    let month = h.db.billing_month(first, last).await.unwrap();
    let e = engawa_headend::billing::export("2026-11", &month, false).unwrap();
    let csv = String::from_utf8(e.households_csv).unwrap();
    assert!(
        csv.contains(&format!("2026-11,{b},佐藤 トメ,0,0,0,1,500,500\r\n")),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("2026-11,{a},山田 ハナ,0,0,0,0,0,0\r\n"))
            || !csv.contains("山田 ハナ"),
        "{csv}"
    );
    // Too late to cancel once the window has opened.
    h.clock.set(tokyo(2026, 11, 25, 8, 50));
    let (s, v) = h
        .post(
            &format!("/v1/ride/bookings/{}/cancel", v["id"]),
            json!({}),
            Some(&tb),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(code(&v), "too_late_to_cancel");
    // The driver taps 乗った on the tablet at 08:50; a second tap later changes
    // nothing. The month's figures count it on time.
    let day = h.db.ride_day("2026-11-25").await.unwrap();
    assert_eq!(day.rides.len(), 1, "B's ride");
    let ride = day.rides[0].id;
    let tap = |drop: &'static str| {
        let id = ride.to_string();
        let console = &console;
        async move {
            console
                .form(
                    "/console/ride/stop",
                    &[("ride", id.as_str()), ("drop", drop), ("day", "2026-11-25")],
                )
                .await
        }
    };
    assert_eq!(tap("0").await.0, StatusCode::SEE_OTHER);
    h.clock.set(tokyo(2026, 11, 25, 9, 30));
    tap("0").await;
    let (_, page) = console.get("/console/ride?day=2026-11-25").await;
    assert!(page.contains("08:50 乗った"), "{page}");
    let (_, page) = console.get("/console/ride/month?month=2026-11").await;
    assert!(page.contains("月の 合計"), "{page}");
    assert!(page.contains("100 %（記録 1件）"), "{page}");
    assert!(page.contains("11月25日"), "{page}");
}

#[tokio::test]
async fn impossible_requests_are_refused_with_a_reason_and_logged() {
    let t = town(3).await;
    let h = &t.h;
    let (_, ta) = hana(h).await;
    let not_rider = h.household("買い物だけ").await;
    let tn = h.pair("EGW-N", not_rider).await;
    let q = |body: serde_json::Value, token: String| {
        let h = &t.h;
        async move { h.post("/v1/ride/quote", body, Some(&token)).await }
    };
    let cases = [
        (
            json!({"from": null, "to": t.hospital, "people": 4, "when": "asap"}),
            "too_many_people",
            "3人まで",
        ),
        (
            json!({"from": null, "to": null, "people": 1, "when": "asap"}),
            "same_place",
            "同じ",
        ),
        (
            json!({"from": null, "to": 999, "people": 1, "when": "asap"}),
            "unknown_place",
            "行けません",
        ),
        (
            json!({"from": null, "to": t.hospital, "people": 1, "when": {"at": "08:00"}}),
            "out_of_hours",
            "いちばん 早いのは 午前8時45分",
        ),
        (
            json!({"from": null, "to": t.hospital, "people": 1, "when": {"at": "17:30"}}),
            "out_of_hours",
            "えらべません",
        ),
    ];
    for (body, want, words) in cases {
        let (s, v) = q(body.clone(), ta.clone()).await;
        assert!(s.is_client_error(), "{body}: {s}");
        assert_eq!(code(&v), want, "{body}");
        assert!(
            v["error"]["message_ja"].as_str().unwrap().contains(words),
            "{v}"
        );
    }
    let (s, v) = q(
        json!({"from": null, "to": t.hospital, "people": 1, "when": "asap"}),
        tn.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(code(&v), "not_registered_for_ride");
    let (s, _) = q(
        json!({"from": null, "to": t.hospital, "people": 1, "when": {"at": "10:07"}}),
        ta.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "15-minute steps only");
    // After closing time nothing more today.
    h.clock.set(tokyo(2026, 11, 25, 16, 50));
    let (_, v) = q(
        json!({"from": null, "to": t.hospital, "people": 1, "when": "asap"}),
        ta.clone(),
    )
    .await;
    assert_eq!(code(&v), "out_of_hours");
    assert!(
        v["error"]["message_ja"]
            .as_str()
            .unwrap()
            .contains("受付は 終わりました"),
        "{v}"
    );
    let log = h.db.ride_refusals().await.unwrap();
    let codes: Vec<&str> = log.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        codes,
        [
            "too_many_people",
            "same_place",
            "unknown_place",
            "out_of_hours",
            "out_of_hours",
            "out_of_hours"
        ]
    );
}

#[tokio::test]
async fn eligibility_fares_zones_and_seats_are_the_operators_data() {
    let t = town(2).await;
    let h = &t.h;
    let asap =
        |to: i64, people: u8| json!({"from": null, "to": to, "people": people, "when": "asap"});
    // Registered for the taxi but in no category the fare table knows.
    let student = rider(h, "学生 さん", (35.505, 137.805), "学生").await;
    let ts = h.pair("EGW-S", student).await;
    let (s, v) = h.get("/v1/ride/places", Some(&ts)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(code(&v), "not_eligible");
    let words = v["error"]["message_ja"].as_str().unwrap();
    assert!(words.contains("区分（65歳以上 など）"), "{words}");
    // Until the operator adds the category, with its fare.
    h.db.set_category("学生", 300).await.unwrap();
    let (_, v) = h.get("/v1/ride/places", Some(&ts)).await;
    assert_eq!(v["fare_yen"], 300);
    // Booked from the TV it costs less when the operator says so; the lowest
    // category applies.
    h.db.set_tv_discount(100).await.unwrap();
    let returner = rider(h, "返納 さん", (35.505, 137.805), "65歳以上、免許返納").await;
    let tr = h.pair("EGW-R", returner).await;
    let (_, v) = h
        .post("/v1/ride/quote", asap(t.hospital, 2), Some(&tr))
        .await;
    assert_eq!(v["offers"][0]["fare_yen"], 2 * (250 - 100), "{v}");
    // Three people, but the only car has two seats.
    let (_, v) = h
        .post("/v1/ride/quote", asap(t.hospital, 3), Some(&tr))
        .await;
    assert_eq!(code(&v), "too_many_people");
    assert!(
        v["error"]["message_ja"]
            .as_str()
            .unwrap()
            .contains("2人まで"),
        "{v}"
    );
    // Zones: the hospital is in the centre, a spa up north; the north is
    // linked to the centre only, and the rider lives in the south.
    let spa =
        h.db.add_place("ふれあい温泉", "温泉", (35.540, 137.850), "北部")
            .await
            .unwrap();
    h.db.link_zones("北部", "中心部", true).await.unwrap();
    h.db.link_zones("南部", "中心部", true).await.unwrap();
    let south =
        h.db.add_household(
            &NewHousehold {
                name: "南 さん".into(),
                address: "南町".into(),
                phone: "0265-11-3333".into(),
                lat: Some(35.50),
                lon: Some(137.80),
                ride: true,
                district: "南部".into(),
                eligibility: "65歳以上".into(),
                ..Default::default()
            },
            h.clock.now(),
        )
        .await
        .unwrap();
    let tsouth = h.pair("EGW-SOUTH", south).await;
    let (_, v) = h.get("/v1/ride/places", Some(&tsouth)).await;
    let names: Vec<&str> = v["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"ふれあい温泉"), "not offered: {names:?}");
    assert!(names.contains(&"みどり病院"), "no district: every zone's");
    let (s, v) = h.post("/v1/ride/quote", asap(spa, 1), Some(&tsouth)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&v), "outside_area");
    assert!(
        v["error"]["message_ja"]
            .as_str()
            .unwrap()
            .contains("南部から 北部へは"),
        "{v}"
    );
    let (s, _) = h
        .post("/v1/ride/quote", asap(t.hospital, 1), Some(&tsouth))
        .await;
    assert_eq!(s, StatusCode::OK);
    let log = h.db.ride_refusals().await.unwrap();
    let codes: Vec<&str> = log.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(codes, ["not_eligible", "too_many_people", "outside_area"]);
}

#[tokio::test]
async fn the_operator_keeps_categories_fares_and_zones_in_the_console() {
    let t = town(3).await;
    let h = &t.h;
    let c = h.console().await;
    let steps: [(&[(&str, &str)], &str); 6] = [
        (
            &[("what", "category"), ("name", "学生"), ("fare", "300")],
            "学生: 1人 1回 300円",
        ),
        (
            &[("what", "category"), ("name", "a,b"), ("fare", "300")],
            "何も 変えていません",
        ),
        (
            &[("what", "discount"), ("name", "tv"), ("fare", "50")],
            "50円 安く",
        ),
        (
            &[("what", "link"), ("name", "北部"), ("district", "中心部")],
            "<td>中心部</td><td>北部</td>",
        ),
        (
            &[("what", "link"), ("name", "北部"), ("district", "北部")],
            "ちがう 地区を ふたつ",
        ),
        (
            &[("what", "remove-category"), ("name", "難病")],
            "区分「難病」を 消しました",
        ),
    ];
    for (fields, want) in steps {
        let (_, page) = c.form("/console/ride/setup", fields).await;
        assert!(page.contains(want), "{fields:?}: {page}");
    }
    let f = h.db.fares().await.unwrap();
    assert!(
        f.categories
            .contains(&("学生".into(), engawa_core::Yen(300)))
    );
    assert!(!f.categories.iter().any(|c| c.0 == "難病"));
    assert_eq!(f.tv_discount, engawa_core::Yen(50));
    assert_eq!(h.db.zones().await.unwrap().links.len(), 1);
    // A household with a category the table does not have is refused at entry.
    let (_, page) = c
        .form(
            "/console/households",
            &[
                ("name", "新しい 世帯"),
                ("address", "みどり町"),
                ("phone", "0265-11-9999"),
                ("ride", "1"),
                ("eligibility", "65歳以上,難病"),
            ],
        )
        .await;
    assert!(
        page.contains("タクシーの区分「難病」は ありません"),
        "{page}"
    );
    assert!(
        !c.get("/console/households").await.1.contains("新しい 世帯"),
        "nothing registered"
    );
}

#[tokio::test]
async fn twenty_concurrent_bookings_never_overfill_the_car() {
    let t = town(3).await;
    let h = &t.h;
    let mut tokens = Vec::new();
    for k in 0..20 {
        let hh = rider(
            h,
            &format!("世帯{k}"),
            (35.50 + 0.002 * f64::from(k), 137.80),
            "65歳以上",
        )
        .await;
        tokens.push(h.pair(&format!("EGW-{k}"), hh).await);
    }
    let mut tasks = Vec::new();
    for (k, tok) in tokens.iter().enumerate() {
        let (base, tok, hosp) = (h.base.clone(), tok.clone(), t.hospital);
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/v1/ride/bookings"))
                .bearer_auth(tok)
                .header("Idempotency-Key", format!("concurrent-{k:04}"))
                .json(&json!({"from": null, "to": hosp, "people": 1, "pickup_from": "09:00"}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "{s}");
        created += usize::from(s == StatusCode::CREATED);
    }
    assert!(
        (1..=3).contains(&created),
        "{created} booked into one 3-seat car's 15 minutes"
    );
}

#[tokio::test]
async fn booking_by_arrival_time_keeps_the_arrival_promise() {
    let t = town(3).await;
    let h = &t.h;
    let (_, ta) = hana(h).await;
    // 「病院に 10時30分までに」 at 8:30.
    let q = quote(
        h,
        &ta,
        json!({"from": null, "to": t.hospital, "people": 1, "when": {"arrive_by": "10:30"}}),
    )
    .await;
    assert_eq!(q.offers.len(), 3);
    assert!(
        q.offers
            .windows(2)
            .all(|w| w[0].pickup_from < w[1].pickup_from),
        "{q:?}"
    );
    assert!(
        q.offers.iter().all(|o| o.arrive_at.as_str() <= "10:30"),
        "{q:?}"
    );
    let last = q.offers.last().unwrap().clone();
    let (s, v) = h
        .post_keyed(
            "/v1/ride/bookings",
            json!({"from": null, "to": t.hospital, "people": 1, "pickup_from": last.pickup_from, "arrive_by": "10:30"}),
            Some(&ta),
            "ride-arrive-001",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["arrive_by"], "10:30");
    // The promise is part of the plan: the day stays feasible with it.
    let state = h.db.ride_day("2026-11-25").await.unwrap();
    assert_eq!(state.rides[0].ride.arrive_by, Some(10 * 60 + 30));
    // Too early to be reached: refused with the earliest possible arrival.
    let (s, v) = h
        .post(
            "/v1/ride/quote",
            json!({"from": null, "to": t.hospital, "people": 1, "when": {"arrive_by": "08:45"}}),
            Some(&ta),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&v), "out_of_hours");
    assert!(
        v["error"]["message_ja"]
            .as_str()
            .unwrap()
            .contains("いちばん 早く 着けるのは 午前9時"),
        "{v}"
    );
}

#[tokio::test]
async fn the_operator_books_by_phone_once_even_if_the_form_is_sent_twice() {
    let t = town(3).await;
    let h = &t.h;
    let a = rider(h, "山田 ハナ", (35.505, 137.805), "65歳以上").await;
    h.household("買い物だけの 家").await;
    let console = h.console().await;
    // Search by name and by phone digits; shopping-only households are not riders.
    let (_, page) = console.get("/console/ride/book?q=%E5%B1%B1%E7%94%B0").await;
    assert!(
        page.contains(&format!("/console/ride/book?household={a}")),
        "{page}"
    );
    let (_, page) = console.get("/console/ride/book?q=11-2222").await;
    assert!(
        page.contains("山田 ハナ") && !page.contains("買い物だけ"),
        "{page}"
    );
    let (_, page) = console
        .get(&format!("/console/ride/book?household={a}"))
        .await;
    assert!(page.contains("山田 ハナ</b> 様"), "{page}");
    let hosp = t.hospital.to_string();
    let hh = a.to_string();
    let (_, page) = console
        .form(
            "/console/ride/book",
            &[
                ("household", &hh),
                ("from", ""),
                ("to", &hosp),
                ("people", "2"),
                ("mode", "at"),
                ("time", "10:00"),
            ],
        )
        .await;
    assert!(page.contains("この 時間で 予約"), "{page}");
    let field = |name: &str| {
        page.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string()
    };
    let (key, pickup) = (field("key"), field("pickup_from"));
    assert_eq!(pickup, "10:00");
    let confirm = [
        ("household", hh.as_str()),
        ("from", ""),
        ("to", hosp.as_str()),
        ("people", "2"),
        ("pickup_from", pickup.as_str()),
        ("arrive_by", ""),
        ("key", key.as_str()),
    ];
    let (_, page) = console.form("/console/ride/book/confirm", &confirm).await;
    assert!(page.contains("予約しました"), "{page}");
    let (_, page) = console.form("/console/ride/book/confirm", &confirm).await;
    assert!(
        page.contains("予約しました"),
        "a resend answers the same booking: {page}"
    );
    let rides = h.db.rides_of(a, "2026-11-25").await.unwrap();
    assert_eq!(rides.len(), 1, "booked once");
    assert_eq!(rides[0].people, 2);
    // Refusals reach the operator in words.
    let (_, page) = console
        .form(
            "/console/ride/book",
            &[
                ("household", &hh),
                ("from", ""),
                ("to", ""),
                ("people", "1"),
                ("mode", "asap"),
                ("time", ""),
            ],
        )
        .await;
    assert!(page.contains("行き先が 乗る場所と 同じです"), "{page}");
}

#[tokio::test]
async fn a_wheelchair_rider_gets_a_car_with_a_place_and_the_manifest_says_so() {
    let t = town(3).await;
    let h = &t.h;
    let a = rider(h, "山田 ハナ", (35.505, 137.805), "65歳以上").await;
    assert!(
        h.db.set_rider_profile(a, None, "車いす,玄関まで介助", 5)
            .await
            .unwrap()
    );
    let ta = h.pair("EGW-A", a).await;
    let ask = json!({"from": null, "to": t.hospital, "people": 1, "when": "asap"});
    let (s, v) = h.post("/v1/ride/quote", ask.clone(), Some(&ta)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&v), "no_suitable_vehicle");
    car(h, "福祉車", 2, true).await;
    let q = quote(h, &ta, ask).await;
    let (s, v) = book(
        h,
        &ta,
        "ride-wheel-01",
        t.hospital,
        1,
        &q.offers[0].pickup_from,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let m = engawa_headend::ride::dispatch::manifest(&h.db, "2026-11-25", &*h.state.travel)
        .await
        .unwrap();
    let wheelchair_car = m.split("福祉車").nth(1).unwrap_or_default();
    assert!(
        wheelchair_car.contains("お迎え  山田 ハナ 様（1人）  【車いす,玄関まで介助】"),
        "{m}"
    );
}

#[tokio::test]
async fn the_plan_improves_in_the_background_without_breaking_a_promise() {
    let t = town(3).await;
    let h = &t.h;
    car(h, "2号車", 3, false).await;
    // Sixteen households book one after another, each placed where it fit at
    // the time.
    let mut booked = 0;
    for k in 0..16u32 {
        let at = (
            35.48 + 0.004 * f64::from((k * 7) % 16),
            137.78 + 0.005 * f64::from((k * 11) % 16),
        );
        let hh = rider(h, &format!("世帯{k}"), at, "65歳以上").await;
        let tok = h.pair(&format!("EGW-I{k}"), hh).await;
        let pickup = format!("{:02}:{:02}", 9 + (k * 5) % 6, 15 * ((k * 3) % 4));
        let (s, _) = book(h, &tok, &format!("improve-{k:04}"), t.hospital, 1, &pickup).await;
        if s == StatusCode::CREATED {
            booked += 1;
        }
    }
    assert!(booked >= 12, "{booked}");
    let before = h.db.ride_day("2026-11-25").await.unwrap();
    let (from, to) = engawa_headend::ride::improve_today(&h.state, 400)
        .await
        .unwrap()
        .expect("a shorter plan");
    assert!(to < from, "{from} → {to}");
    eprintln!("plan: {from:.1} → {to:.1} driving minutes");
    let after = h.db.ride_day("2026-11-25").await.unwrap();
    assert_ne!(after.routes, before.routes);
    // The same rides, each with the window it was promised, all in a
    // feasible plan.
    let windows = |d: &engawa_headend::ride::db::DayRows| {
        d.rides
            .iter()
            .map(|r| (r.id, r.pickup_from, r.pickup_to))
            .collect::<Vec<_>>()
    };
    assert_eq!(windows(&after), windows(&before));
    let (vehicles, rides) = after.parts();
    let day = engawa_ride::service::Day {
        vehicles: &vehicles,
        rides: &rides,
        routes: &after.routes,
    };
    assert!(day.feasible(&*h.state.travel));
    let mut stops: Vec<_> = after.routes.0.concat();
    stops.sort_unstable();
    assert_eq!(stops.len(), 2 * after.rides.len(), "each ride once");
    stops.dedup();
    assert_eq!(stops.len(), 2 * after.rides.len());
    // An improvement computed against an older plan is dropped.
    assert!(
        !h.db
            .replace_plan("2026-11-25", &before.routes, &before.routes)
            .await
            .unwrap()
    );
    assert_eq!(
        h.db.ride_day("2026-11-25").await.unwrap().routes,
        after.routes
    );
}

#[tokio::test]
async fn a_way_back_is_linked_to_its_way_there_and_open_ones_are_listed_for_the_phone() {
    let t = town(3).await;
    let h = &t.h;
    let (a, ta) = hana(h).await;
    let b = rider(h, "佐藤 トメ", (35.509, 137.810), "65歳以上").await;
    let tb = h.pair("EGW-B", b).await;
    let (s, there) = book(h, &ta, "there-0001", t.hospital, 2, "09:00").await;
    assert_eq!(s, StatusCode::CREATED, "{there}");
    let there_id = there["id"].as_i64().unwrap();
    // Not yet back: the console lists it, with the rider's phone and a link
    // that opens the phone form for the way back.
    let c = h.console().await;
    let (_, page) = c.get("/console/ride?day=2026-11-25").await;
    let link = format!("/console/ride/book?household={a}&amp;return_of={there_id}");
    assert!(
        page.contains("帰りが まだの 方") && page.contains(&link),
        "{page}"
    );
    let (_, form) = c
        .get(&format!(
            "/console/ride/book?household={a}&return_of={there_id}"
        ))
        .await;
    assert!(form.contains("みどり病院から 家への 帰り"), "{form}");
    assert!(
        form.contains(&format!("name=\"return_of\" value=\"{there_id}\"")),
        "{form}"
    );
    assert!(
        form.contains("<option selected>2</option>"),
        "same people: {form}"
    );
    let way_back = |token: &str, key: &str, people: u8| {
        let body = json!({"from": t.hospital, "to": null, "people": people,
                          "pickup_from": "11:00", "return_of": there_id});
        let (token, key) = (token.to_string(), key.to_string());
        async move {
            h.post_keyed("/v1/ride/bookings", body, Some(&token), &key)
                .await
        }
    };
    // Another household cannot hang its ride on A's.
    let (s, v) = way_back(&tb, "back-b-0001", 1).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    // A books the way back (from the TV, or the operator on the phone).
    let (s, back) = way_back(&ta, "back-a-0001", 2).await;
    assert_eq!(s, StatusCode::CREATED, "{back}");
    let day = h.db.ride_day("2026-11-25").await.unwrap();
    let row = day.rides.iter().find(|r| r.id == back["id"]).unwrap();
    assert_eq!(row.return_of, Some(there_id));
    let (_, page) = c.get("/console/ride?day=2026-11-25").await;
    assert!(!page.contains("帰りが まだの 方"), "{page}");
}

#[tokio::test]
async fn the_operator_edits_a_riders_categories_and_needs_in_the_console() {
    let t = town(3).await;
    let h = &t.h;
    let (a, ta) = hana(h).await;
    let c = h.console().await;
    let (_, page) = c.get(&format!("/console/ride/rider?household={a}")).await;
    assert!(
        page.contains("name=\"c0\" value=\"65歳以上\" checked"),
        "{page}"
    );
    // Licence returned (250 yen), a wheelchair, help to the door, 10 minutes.
    let hh = a.to_string();
    let (_, page) = c
        .form(
            "/console/ride/rider",
            &[
                ("household", hh.as_str()),
                ("c0", "65歳以上"),
                ("c1", "免許返納"),
                ("n0", "車いす"),
                ("n3", "玄関まで介助"),
                ("other", "酸素ボンベ"),
                ("extra", "10"),
            ],
        )
        .await;
    assert!(page.contains("保存しました"), "{page}");
    let r = h.db.rider(a).await.unwrap().unwrap();
    assert_eq!(r.eligibility, "65歳以上,免許返納");
    assert_eq!(r.needs, "車いす,玄関まで介助,酸素ボンベ");
    assert_eq!(r.extra_minutes, 10);
    // The fare follows; the only car has no wheelchair place.
    let (_, v) = h.get("/v1/ride/places", Some(&ta)).await;
    assert_eq!(v["fare_yen"], 250);
    let (_, v) = h
        .post(
            "/v1/ride/quote",
            json!({"from": null, "to": t.hospital, "people": 1, "when": "asap"}),
            Some(&ta),
        )
        .await;
    assert_eq!(code(&v), "no_suitable_vehicle");
    // Nonsense is refused and nothing changes; no category means no taxi.
    let (_, page) = c
        .form(
            "/console/ride/rider",
            &[
                ("household", hh.as_str()),
                ("c0", "65歳以上"),
                ("extra", "90"),
            ],
        )
        .await;
    assert!(page.contains("何も 変えていません"), "{page}");
    assert_eq!(h.db.rider(a).await.unwrap().unwrap().extra_minutes, 10);
    let (_, page) = c
        .form(
            "/console/ride/rider",
            &[("household", hh.as_str()), ("extra", "0")],
        )
        .await;
    assert!(page.contains("タクシーは 使えません"), "{page}");
    let (s, v) = h.get("/v1/ride/places", Some(&ta)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(code(&v), "not_eligible");
}

#[tokio::test]
async fn a_ride_the_car_could_not_serve_is_recorded_once_and_logged_as_unmet() {
    let t = town(3).await;
    let h = &t.h;
    let (_, ta) = hana(h).await;
    let (s, v) = book(h, &ta, "unmet-0001", t.hospital, 1, "09:00").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].to_string();
    let c = h.console().await;
    let (_, page) = c.get("/console/ride?day=2026-11-25").await;
    assert!(page.contains(">来なかった</button>"), "{page}");
    h.clock.set(tokyo(2026, 11, 25, 9, 20));
    let tap = |unmet: &'static str| {
        let (c, id) = (&c, id.clone());
        async move {
            c.form(
                "/console/ride/stop",
                &[
                    ("ride", id.as_str()),
                    ("drop", "0"),
                    ("unmet", unmet),
                    ("day", "2026-11-25"),
                ],
            )
            .await
        }
    };
    tap("no_show").await;
    // A second tap, of the other kind, changes nothing.
    tap("late").await;
    let (_, page) = c.get("/console/ride?day=2026-11-25").await;
    assert!(page.contains("乗れなかった（来なかった）"), "{page}");
    assert!(
        page.contains("乗れなかった（お客さまが 来なかった）"),
        "in the log: {page}"
    );
    let log = h.db.ride_refusals().await.unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].1, "unmet_no_show");
    // The month: booked and not refused, unmet, and nobody carried.
    let (_, page) = c.get("/console/ride/month?month=2026-11").await;
    let total = page.split("月の 合計").nth(1).unwrap_or_default();
    assert!(
        total
            .starts_with("</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">0</td>"),
        "{total}"
    );
    assert!(total.contains("<td class=\"n\">0人</td>"), "{total}");
    assert!(
        total.contains("（記録 0件）</td><td class=\"n\">1</td>"),
        "{total}"
    );
}

#[tokio::test]
async fn a_driver_sees_todays_stops_of_their_own_car_and_records_only_those() {
    use engawa_headend::db::{Grant, Role};
    let t = town(1).await;
    let h = &t.h;
    car(h, "2号車", 1, false).await;
    let cars = h.db.vehicles().await.unwrap();
    let (_, ta) = hana(h).await;
    let b = rider(h, "川上 トメ", (35.507, 137.806), "65歳以上").await;
    let tb = h.pair("EGW-B", b).await;
    // One seat per car, both at nine: one rider on each car.
    let (s, va) = book(h, &ta, "driver-0001", t.hospital, 1, "09:00").await;
    assert_eq!(s, StatusCode::CREATED, "{va}");
    let (s, vb) = book(h, &tb, "driver-0002", t.hospital, 1, "09:00").await;
    assert_eq!(s, StatusCode::CREATED, "{vb}");
    let grant = Grant {
        role: Role::Driver,
        municipality: None,
        vehicle_id: Some(cars[0].id),
    };
    let c = h.console_as("untenshu", &grant).await;
    // Whatever day is asked, the driver's page is today's, of their car only.
    let (s, page) = c.get("/console/ride?day=2026-11-26").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("11月25日の 運行表"), "{page}");
    assert!(page.contains("1号車"), "{page}");
    assert!(!page.contains("2号車"), "{page}");
    assert!(!page.contains("お断りした"), "the office's log: {page}");
    let (mine, theirs) = if page.contains("山田 ハナ") {
        assert!(!page.contains("川上 トメ"), "{page}");
        (va["id"].to_string(), vb["id"].to_string())
    } else {
        assert!(page.contains("川上 トメ"), "{page}");
        (vb["id"].to_string(), va["id"].to_string())
    };
    let tap = |ride: String| {
        let c = &c;
        async move {
            c.form(
                "/console/ride/stop",
                &[
                    ("ride", ride.as_str()),
                    ("drop", "0"),
                    ("unmet", ""),
                    ("day", "2026-11-25"),
                ],
            )
            .await
        }
    };
    h.clock.set(tokyo(2026, 11, 25, 9, 5));
    let (s, body) = tap(theirs.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("ほかの 車の 記録は できません。"), "{body}");
    let (s, _) = tap(mine.clone()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let rides = h.db.ride_day("2026-11-25").await.unwrap().rides;
    let picked = |id: &str| {
        rides
            .iter()
            .find(|r| r.id.to_string() == id)
            .unwrap()
            .picked_up_at
            .is_some()
    };
    assert!(picked(&mine), "their own stop is recorded");
    assert!(!picked(&theirs), "the other car's is not");
    // The office's pages are not the driver's.
    let (s, _) = c.get("/console/ride/book").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
