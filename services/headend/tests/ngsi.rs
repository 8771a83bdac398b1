//! NGSI-LD, end to end over real HTTP: entities by type, id, q and near,
//! pages and counts, both forms and both media types, the @context and the
//! JSON Schemas the head-end serves, per-district counts that never point
//! at a household; a third-party client (ngsildclient, PyPI) driving it and
//! every entity checked against its schema; subscriptions notifying a real
//! receiver, again after it failed, and never outside the operator's
//! address for the client.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Headend;
use engawa_core::Clock;
use engawa_disaster::policy::{Order, Policy, ShelterUse};
use engawa_headend::city::Scope;
use engawa_headend::db::NewHousehold;
use engawa_headend::disaster::db::{Municipality, NewShelter, ShelterState};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MIDORI: &str = "209961";
const AOBA: &str = "209971";
const PEOPLE: [(&str, &str, &str, &str); 5] = [
    ("緑 一郎", "上組", "みどり町 上組 1-1", "0265-10-0001"),
    ("緑 二郎", "上組", "みどり町 上組 1-2", "0265-10-0002"),
    ("緑 三郎", "上組", "みどり町 上組 1-3", "0265-10-0003"),
    ("緑 四郎", "下組", "みどり町 下組 9-9", "0265-10-0004"),
    ("青葉 花子", "本村", "あおば村 本村 1", "0265-20-0001"),
];

struct Town {
    shelters: Vec<i64>,
    order: i64,
}

async fn town(h: &Headend) -> Town {
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
    let square = |lon: f64, lat: f64| {
        vec![vec![
            (lon, lat),
            (lon + 0.01, lat),
            (lon + 0.01, lat + 0.01),
            (lon, lat + 0.01),
        ]]
    };
    h.db.set_district_shapes(
        MIDORI,
        &[
            ("上組".into(), square(137.80, 35.50)),
            ("下組".into(), square(137.90, 35.50)),
        ],
    )
    .await
    .unwrap();
    let shelter = |id: &str, name: &str, lon: f64, capacity: i64| NewShelter {
        source_id: id.into(),
        name: name.into(),
        address: format!("{name}の 住所"),
        lat: Some(35.505),
        lon: Some(lon),
        capacity: Some(capacity),
        uses: [ShelterUse::Flood, ShelterUse::Earthquake].into(),
    };
    h.db.import_shelters(
        MIDORI,
        &[
            shelter("M1", "みどり小学校", 137.805, 300),
            shelter("M2", "上組 公民館", 137.806, 40),
            shelter("M3", "遠くの 体育館", 137.95, 500),
        ],
        h.clock.now(),
    )
    .await
    .unwrap();
    h.db.import_shelters(
        AOBA,
        &[shelter("A1", "あおば村 集会所", 137.7, 50)],
        h.clock.now(),
    )
    .await
    .unwrap();
    let shelters: Vec<i64> =
        h.db.shelters(MIDORI)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
    h.db.set_shelter_state(MIDORI, shelters[0], ShelterState::Open, h.clock.now())
        .await
        .unwrap();
    let mut households = Vec::new();
    for (name, district, address, phone) in PEOPLE {
        let town = if district == "本村" { AOBA } else { MIDORI };
        let id =
            h.db.add_household(
                &NewHousehold {
                    name: name.into(),
                    address: address.into(),
                    phone: phone.into(),
                    lat: Some(35.505),
                    lon: Some(137.805),
                    shop: true,
                    ride: true,
                    district: district.into(),
                    eligibility: "65歳以上".into(),
                    municipality: Some(town.into()),
                },
                h.clock.now(),
            )
            .await
            .unwrap();
        households.push(id);
    }
    let order =
        h.db.issue_order(
            MIDORI,
            Order::Evacuate,
            ShelterUse::Flood,
            &["上組".into()],
            &[shelters[0]],
            false,
            None,
            h.clock.now(),
        )
        .await
        .unwrap();
    // One of 上組 answers 無事です from the TV.
    let token = h.pair("EGW-NGSI-1", households[0]).await;
    let (s, v) = h
        .post_keyed(
            engawa_disaster::api::ANSWER_PATH,
            json!({"campaign_id": order, "answer": "safe", "answered_at": h.clock.now()}),
            Some(&token),
            "ngsi-answer-0001",
        )
        .await;
    assert!(s.is_success(), "{s} {v}");
    // Two orders delivered today (and one cancelled) and a ride, by SQL.
    let box_id = h.db.boxes().await.unwrap()[0].id;
    let mut c = common::sql_connection(&h.location).await;
    let now = h.clock.now().timestamp();
    for (household, cancelled) in [
        (households[1], false),
        (households[2], false),
        (households[1], true),
    ] {
        sqlx::query(
            "INSERT INTO orders (household_id, box_id, placed_at, delivery_day, cancel_until, cancelled_at, total_yen)
             VALUES ($1, $2, $3, '2026-11-25', $3, $4, 500)",
        )
        .bind(household)
        .bind(box_id)
        .bind(now)
        .bind(if cancelled { Some(now) } else { None })
        .execute(&mut c)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO rides (household_id, day, people, pickup_from, pickup_to, arrive_at, fare_yen, state, created_at)
         VALUES ($1, '2026-11-25', 1, 600, 630, 660, 500, 'booked', $2)",
    )
    .bind(households[2])
    .bind(now)
    .execute(&mut c)
    .await
    .unwrap();
    Town { shelters, order }
}

async fn client(
    h: &Headend,
    name: &str,
    scopes: &[Scope],
    town: Option<&str>,
    notify: Option<&str>,
) -> String {
    let secret =
        h.db.add_city_client(name, scopes, town, notify, h.clock.now())
            .await
            .unwrap();
    let r = h
        .http
        .post(format!("{}/oauth/token", h.base))
        .basic_auth(name, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn get(h: &Headend, path: &str, token: Option<&str>, accept: &str) -> reqwest::Response {
    let mut r = h
        .http
        .get(format!("{}{path}", h.base))
        .header("accept", accept);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

const LD: &str = "application/ld+json";

async fn entities(h: &Headend, token: &str, query: &str) -> Vec<Value> {
    let r = get(h, &format!("/ngsi-ld/v1/entities?{query}"), Some(token), LD).await;
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    r.json().await.unwrap()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

fn shelter_id(n: i64) -> String {
    format!("urn:ngsi-ld:Shelter:{MIDORI}:{n}")
}

#[tokio::test]
async fn entities_answer_queries_within_the_clients_town_and_scopes() {
    let h = Headend::start().await;
    let t = town(&h).await;
    let tok = client(&h, "midori", &Scope::ALL, Some(MIDORI), None).await;

    // By type, normalized, JSON-LD with the head-end's own context first.
    let r = get(&h, "/ngsi-ld/v1/entities?type=Shelter", Some(&tok), LD).await;
    assert_eq!(r.headers()["content-type"], LD);
    let all: Vec<Value> = r.json().await.unwrap();
    assert_eq!(
        ids(&all),
        t.shelters
            .iter()
            .map(|&n| shelter_id(n))
            .collect::<Vec<_>>()
    );
    let ctx = format!("{}/ngsi-ld/context.jsonld", h.state.public_url);
    assert_eq!(all[0]["@context"][0], ctx.as_str());
    assert_eq!(
        all[0]["status"],
        json!({"type": "Property", "value": "open"})
    );
    assert_eq!(all[0]["location"]["type"], "GeoProperty");

    // q, near, pages, counts, key-values, projections.
    let open = entities(
        &h,
        &tok,
        "type=Shelter&q=status==%22open%22;capacity%3E=100",
    )
    .await;
    assert_eq!(ids(&open), [shelter_id(t.shelters[0])]);
    let big_or_closed =
        entities(&h, &tok, "type=Shelter&q=capacity%3E400|status==%22open%22").await;
    assert_eq!(big_or_closed.len(), 2);
    let near = entities(
        &h,
        &tok,
        "type=Shelter&georel=near;maxDistance==2000&geometry=Point&coordinates=[137.805,35.505]",
    )
    .await;
    assert_eq!(
        ids(&near),
        [shelter_id(t.shelters[0]), shelter_id(t.shelters[1])]
    );
    let page = entities(&h, &tok, "type=Shelter&limit=1&offset=1").await;
    assert_eq!(ids(&page), [shelter_id(t.shelters[1])]);
    let r = get(
        &h,
        "/ngsi-ld/v1/entities?type=Shelter&limit=0&count=true",
        Some(&tok),
        LD,
    )
    .await;
    assert_eq!(r.headers()["ngsild-results-count"], "3");
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    let kv = entities(&h, &tok, "type=Shelter&options=keyValues&attrs=capacity").await;
    assert_eq!(
        kv[0],
        json!({"id": shelter_id(t.shelters[0]), "type": "Shelter", "capacity": 300, "@context": [ctx, "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"]})
    );

    // Plain JSON: the context in a Link header instead.
    let r = get(
        &h,
        "/ngsi-ld/v1/entities?type=Shelter",
        Some(&tok),
        "application/json",
    )
    .await;
    assert_eq!(r.headers()["content-type"], "application/json");
    let link = r.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains(&ctx) && link.contains("json-ld#context"),
        "{link}"
    );
    assert!(
        r.json::<Vec<Value>>().await.unwrap()[0]
            .get("@context")
            .is_none()
    );

    // The order as an Alert, where its district lies: near 上組, not near 下組 only.
    let alerts = entities(&h, &tok, "type=Alert&options=keyValues").await;
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a["category"], "naturalDisaster");
    assert_eq!(a["subCategory"], "flood");
    assert_eq!(a["severity"], "high");
    assert_eq!(a["alertSource"], "みどり町 災害対策本部");
    assert_eq!(a["location"]["type"], "MultiPolygon");
    assert!(a.get("validTo").is_none(), "in force");
    let near_alert = |lon: f64| {
        format!("type=Alert&georel=near;maxDistance==100&geometry=Point&coordinates=[{lon},35.505]")
    };
    assert_eq!(entities(&h, &tok, &near_alert(137.805)).await.len(), 1);
    assert_eq!(entities(&h, &tok, &near_alert(137.905)).await.len(), 0);

    // One entity by id; another town's is not there for this client.
    let one = get(
        &h,
        &format!("/ngsi-ld/v1/entities/{}", shelter_id(t.shelters[2])),
        Some(&tok),
        LD,
    )
    .await;
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(
        one.json::<Value>().await.unwrap()["name"]["value"],
        "遠くの 体育館"
    );
    let wide = client(&h, "platform", &Scope::ALL, None, None).await;
    let theirs = entities(
        &h,
        &wide,
        &format!("type=Shelter&q=municipality==%22{AOBA}%22"),
    )
    .await;
    let their_id = theirs[0]["id"].as_str().unwrap().to_string();
    let r = get(
        &h,
        &format!("/ngsi-ld/v1/entities/{their_id}"),
        Some(&tok),
        LD,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        r.json::<Value>().await.unwrap()["type"]
            .as_str()
            .unwrap()
            .ends_with("ResourceNotFound")
    );
    assert_eq!(entities(&h, &tok, "type=Shelter").await.len(), 3);
    assert_eq!(entities(&h, &wide, "type=Shelter").await.len(), 4);

    // Counts per district: 上組 has three households, 下組 one — left out.
    let answers = entities(&h, &tok, "type=CampaignDistrictAnswers&options=keyValues").await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    let a = &answers[0];
    assert_eq!(a["district"], "上組");
    assert_eq!(a["refAlert"], alerts[0]["id"]);
    assert_eq!(
        (a["households"].as_i64(), a["safe"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(a["answeredShare"], 0.333);
    let normal = entities(&h, &tok, "type=CampaignDistrictAnswers").await;
    assert_eq!(normal[0]["refAlert"]["type"], "Relationship");
    let days = entities(&h, &tok, "type=DistrictDailyActivity&options=keyValues").await;
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(
        (
            days[0]["date"].as_str(),
            days[0]["orders"].as_i64(),
            days[0]["rides"].as_i64()
        ),
        (Some("2026-11-25"), Some(2), Some(1))
    );
    // Never a person: no name, address or phone of anyone, anywhere.
    let everything = entities(&h, &wide, "q=municipality&limit=1000&options=keyValues").await;
    assert!(everything.len() >= 7, "{}", everything.len());
    let text = serde_json::to_string(&everything).unwrap();
    for (name, _, address, phone) in PEOPLE {
        assert!(
            !text.contains(name) && !text.contains(address) && !text.contains(phone),
            "{name}"
        );
    }

    // Types, as far as the token's scopes go.
    let r = get(&h, "/ngsi-ld/v1/types", Some(&tok), "application/json").await;
    let types: Value = r.json().await.unwrap();
    assert_eq!(types["type"], "EntityTypeList");
    assert_eq!(
        types["typeList"],
        json!([
            "Alert",
            "CampaignDistrictAnswers",
            "DistrictDailyActivity",
            "Shelter"
        ])
    );
    let shelters_only = client(&h, "shelters", &[Scope::Shelters], Some(MIDORI), None).await;
    let r = get(
        &h,
        "/ngsi-ld/v1/types",
        Some(&shelters_only),
        "application/json",
    )
    .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["typeList"],
        json!(["Shelter"])
    );
    // A type the token does not cover is refused; no type covers nothing.
    let r = get(
        &h,
        "/ngsi-ld/v1/entities?type=Alert",
        Some(&shelters_only),
        LD,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("alerts:read")
    );
    let r = get(
        &h,
        &format!("/ngsi-ld/v1/entities/{}", alerts[0]["id"].as_str().unwrap()),
        Some(&shelters_only),
        LD,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let mine = entities(&h, &shelters_only, "q=municipality").await;
    assert!(mine.iter().all(|e| e["type"] == "Shelter"));
    assert_eq!(entities(&h, &tok, "type=Person").await, Vec::<Value>::new());

    // Bad requests are said back.
    for bad in [
        "",
        "type=Shelter&q=status==",
        "type=Shelter&q=(status==1",
        "type=Shelter&georel=within&geometry=Point&coordinates=[1,2]",
        "type=Shelter&georel=near;maxDistance==5&geometry=Point&coordinates=[1]",
        "type=Shelter&limit=x",
    ] {
        let r = get(&h, &format!("/ngsi-ld/v1/entities?{bad}"), Some(&tok), LD).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["type"].as_str().unwrap().ends_with("BadRequestData"),
            "{bad}: {body}"
        );
    }
    let r = get(
        &h,
        "/ngsi-ld/v1/entities?type=Shelter&limit=5000",
        Some(&tok),
        LD,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = get(
        &h,
        "/ngsi-ld/v1/entities?type=Shelter",
        Some(&tok),
        "text/html",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    let r = get(&h, "/ngsi-ld/v1/entities?type=Shelter", None, LD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The context and the schemas are public documents.
    let r = get(&h, "/ngsi-ld/context.jsonld", None, LD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(
        doc["@context"]["Alert"],
        "https://smartdatamodels.org/dataModel.Alert/Alert"
    );
    for t in [
        "Alert",
        "Shelter",
        "CampaignDistrictAnswers",
        "DistrictDailyActivity",
    ] {
        let r = get(&h, &format!("/ngsi-ld/schemas/{t}.json"), None, "*/*").await;
        assert_eq!(r.status(), StatusCode::OK, "{t}");
        assert_eq!(r.json::<Value>().await.unwrap()["title"], t);
    }
    let _ = t.order;
}

/// A receiver of notifications on 127.0.0.1: what it was sent, and how many
/// of the next ones it refuses (500).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
    refuse: Arc<Mutex<u32>>,
}

async fn receiver() -> (Receiver, String) {
    use axum::routing::post;
    let r = Receiver::default();
    let state = r.clone();
    let app = axum::Router::new().route(
        "/notify/{name}",
        post(move |body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                let mut refuse = state.refuse.lock().unwrap();
                if *refuse > 0 {
                    *refuse -= 1;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                state
                    .got
                    .lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (r, base)
}

async fn post_subscription(h: &Headend, token: &str, body: Value) -> reqwest::Response {
    h.http
        .post(format!("{}/ngsi-ld/v1/subscriptions", h.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn subscriptions_notify_what_changed_again_after_a_failure_and_only_where_agreed() {
    let h = Headend::start().await;
    let t = town(&h).await;
    let (rx, base) = receiver().await;
    let tok = client(
        &h,
        "midori",
        &Scope::ALL,
        Some(MIDORI),
        Some(&format!("{base}/notify/")),
    )
    .await;
    let sub = |uri: String| {
        json!({
            "type": "Subscription",
            "entities": [{"type": "Shelter"}],
            "watchedAttributes": ["status"],
            "notification": {"format": "keyValues", "attributes": ["status", "name"],
                             "endpoint": {"uri": uri, "accept": "application/json"}},
        })
    };

    // Refused: elsewhere than agreed, unknown or unoffered parts, a scope not held.
    let no_notify = client(&h, "quiet", &Scope::ALL, Some(MIDORI), None).await;
    let shelters_only = client(
        &h,
        "shelters",
        &[Scope::Shelters],
        Some(MIDORI),
        Some(&format!("{base}/notify/")),
    )
    .await;
    let mut alert_sub = sub(format!("{base}/notify/a"));
    alert_sub["entities"] = json!([{"type": "Alert"}]);
    for (token, body, says) in [
        (
            &tok,
            sub("http://10.0.0.1/notify/x".into()),
            "notified only under",
        ),
        (
            &tok,
            sub(format!("{base}/elsewhere")),
            "notified only under",
        ),
        (
            &no_notify,
            sub(format!("{base}/notify/x")),
            "no notification address",
        ),
        (
            &tok,
            {
                let mut b = sub(format!("{base}/notify/x"));
                b["throttling"] = json!(5);
                b
            },
            "throttling",
        ),
        (
            &tok,
            {
                let mut b = sub(format!("{base}/notify/x"));
                b["entities"] = json!([{"idPattern": ".*"}]);
                b
            },
            "idPattern",
        ),
        (
            &tok,
            {
                let mut b = sub(format!("{base}/notify/x"));
                b["q"] = json!("status==");
                b
            },
            "q:",
        ),
        (&shelters_only, alert_sub, "alerts:read"),
    ] {
        let r = post_subscription(&h, token, body).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let detail = r.json::<Value>().await.unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(detail.contains(says), "{says}: {detail}");
    }

    // Made: its Location, then the first notification tells all three.
    let r = post_subscription(&h, &tok, sub(format!("{base}/notify/one"))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id = location.rsplit('/').next().unwrap().to_string();
    assert!(id.starts_with("urn:ngsi-ld:Subscription:"));
    let told = |n: usize| {
        let rx = rx.clone();
        async move {
            common::wait_for("the notifications", || {
                let rx = rx.clone();
                async move { rx.got.lock().unwrap().len() >= n }
            })
            .await;
            rx.got.lock().unwrap()[n - 1].clone()
        }
    };
    let first = told(1).await;
    assert_eq!(first["type"], "Notification");
    assert_eq!(first["subscriptionId"], id.as_str());
    let data = first["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(
        data[0],
        json!({"id": shelter_id(t.shelters[0]), "type": "Shelter", "status": "open", "name": "みどり小学校"})
    );

    // A watched change: only that shelter is told of.
    h.db.set_shelter_state(MIDORI, t.shelters[1], ShelterState::Crowded, h.clock.now())
        .await
        .unwrap();
    let second = told(2).await;
    assert_eq!(
        second["data"],
        json!([{"id": shelter_id(t.shelters[1]), "type": "Shelter", "status": "crowded", "name": "上組 公民館"}])
    );

    // The receiver fails twice: the change is told once it takes it again.
    *rx.refuse.lock().unwrap() = 2;
    h.db.set_shelter_state(MIDORI, t.shelters[2], ShelterState::Open, h.clock.now())
        .await
        .unwrap();
    let third = told(3).await;
    assert_eq!(third["data"][0]["id"], shelter_id(t.shelters[2]));
    assert_eq!(third["data"][0]["status"], "open");
    let r = get(
        &h,
        &format!("/ngsi-ld/v1/subscriptions/{id}"),
        Some(&tok),
        "application/json",
    )
    .await;
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["notification"]["timesSent"], 3);
    assert_eq!(status["notification"]["status"], "ok");
    assert!(
        status["notification"]["lastFailure"].is_string(),
        "{status}"
    );
    assert_eq!(status["watchedAttributes"], json!(["status"]));

    // Listed for its client only; deleted, it tells nothing more.
    let r = get(
        &h,
        "/ngsi-ld/v1/subscriptions",
        Some(&tok),
        "application/json",
    )
    .await;
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 1);
    let r = get(
        &h,
        "/ngsi-ld/v1/subscriptions",
        Some(&no_notify),
        "application/json",
    )
    .await;
    assert_eq!(r.json::<Vec<Value>>().await.unwrap(), Vec::<Value>::new());
    let r = get(
        &h,
        &format!("/ngsi-ld/v1/subscriptions/{id}"),
        Some(&no_notify),
        "application/json",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = h
        .http
        .delete(format!("{}/ngsi-ld/v1/subscriptions/{id}", h.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    h.db.set_shelter_state(MIDORI, t.shelters[0], ShelterState::Closed, h.clock.now())
        .await
        .unwrap();
    // The notifier looks every 2 s: two looks at least.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(rx.got.lock().unwrap().len(), 3, "nothing after the delete");
    // Each notification was sent once: their ids are all different.
    let ids: std::collections::BTreeSet<String> = rx
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3);
}

/// ngsildclient's Python, with jsonschema beside it (install-deps makes it).
const PEER_PYTHON: &str = "/opt/engawa-test/ngsi/bin/python";

#[tokio::test]
async fn a_third_party_ngsi_ld_client_reads_every_type_and_each_entity_fits_its_schema() {
    let h = Headend::start().await;
    town(&h).await;
    let (rx, base) = receiver().await;
    let tok = client(
        &h,
        "peer",
        &Scope::ALL,
        None,
        Some(&format!("{base}/notify/")),
    )
    .await;
    let port = h.base.rsplit(':').next().unwrap().to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ngsi_peer.py");
    let notify = format!("{base}/notify/peer");
    let out = tokio::process::Command::new(PEER_PYTHON)
        .args([script, "127.0.0.1", &port, &tok, &notify])
        .output()
        .await
        .unwrap_or_else(|e| panic!("{PEER_PYTHON} (packaging/dev/install-deps makes it): {e}"));
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said: Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("{said}");
    assert_eq!(
        said["types"],
        json!([
            "Alert",
            "CampaignDistrictAnswers",
            "DistrictDailyActivity",
            "Shelter"
        ])
    );
    assert_eq!(
        said["counts"],
        json!({"Alert": 1, "CampaignDistrictAnswers": 1, "DistrictDailyActivity": 1, "Shelter": 4})
    );
    assert_eq!(said["validated"], 7);
    assert_eq!(said["open_shelters"], 1);
    // Its subscription, made with its own builder, is notified here.
    let sid = said["subscription"].as_str().unwrap().to_string();
    common::wait_for("the peer's notification", || {
        let rx = rx.clone();
        async move { !rx.got.lock().unwrap().is_empty() }
    })
    .await;
    let n = rx.got.lock().unwrap()[0].clone();
    assert_eq!(n["subscriptionId"], sid.as_str());
    assert_eq!(n["data"].as_array().unwrap().len(), 4);
}
