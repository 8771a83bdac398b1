//! The disaster service on the head-end, end to end over real HTTP: a
//! loopback Atom server announces JMA's sample reports, the head-end's feed
//! pass fetches and ingests them into campaigns, the boxes' stream says the
//! alert version moved, the box fetches the card and answers (once per
//! key), and the board counts it — an offline box never as "no answer".
//! Faults: the feed down or sending garbage, a report that is garbage, a
//! duplicate, a drill, a 試験, a 取消, and two staff lifting one order.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxStatus, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Duration;
use common::{Headend, wait_for};
use engawa_core::Clock;
use engawa_disaster::api::{AlertNow, Answer};
use engawa_disaster::jma::Intensity;
use engawa_disaster::policy::{Order, Policy, ShelterUse};
use engawa_headend::db::NewHousehold;
use engawa_headend::disaster::db::{Ingested, Municipality, NewShelter, ShelterState, Standing};
use engawa_headend::disaster::feed;
use reqwest::StatusCode;
use serde_json::json;

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/bench/jma")
        .join(name);
    std::fs::read(path).unwrap()
}

/// What the loopback feed serves.
#[derive(Default)]
struct FeedServer {
    /// (entry id, report bytes), oldest first.
    entries: Vec<(String, Vec<u8>)>,
    /// Bumped with every change: the feed's Last-Modified.
    generation: u32,
    down: bool,
    garbage: bool,
    /// Feed requests that came with the current If-Modified-Since.
    not_modified: u32,
    /// An entry listed whose report answers 404.
    missing: Option<String>,
    /// The feed answers only after this long.
    slow: Option<std::time::Duration>,
}

type Shared = Arc<Mutex<FeedServer>>;

impl FeedServer {
    fn last_modified(&self) -> String {
        format!("Thu, 03 Dec 2026 00:{:02}:00 GMT", self.generation % 60)
    }
}

async fn serve_feed(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let slow = s.lock().unwrap().slow;
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    let mut f = s.lock().unwrap();
    if f.down {
        return AxStatus::SERVICE_UNAVAILABLE.into_response();
    }
    if f.garbage {
        return "<feed><entry>".into_response();
    }
    let lm = f.last_modified();
    if headers
        .get(header::IF_MODIFIED_SINCE)
        .is_some_and(|v| v.to_str().ok() == Some(lm.as_str()))
    {
        f.not_modified += 1;
        return AxStatus::NOT_MODIFIED.into_response();
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" lang=\"ja\"><title>高頻度（随時）</title>",
    );
    for (id, _) in f.entries.iter().rev() {
        xml.push_str(&format!(
            "<entry><title>report</title><id>urn:engawa:{id}</id><updated>2026-12-03T00:00:00Z</updated><link type=\"application/xml\" href=\"/r/{id}\"/></entry>"
        ));
    }
    xml.push_str("</feed>");
    ([(header::LAST_MODIFIED, lm)], xml).into_response()
}

async fn serve_report(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let f = s.lock().unwrap();
    if f.missing.as_deref() == Some(id.as_str()) {
        return AxStatus::NOT_FOUND.into_response();
    }
    match f.entries.iter().find(|(i, _)| *i == id) {
        Some((_, bytes)) => bytes.clone().into_response(),
        None => AxStatus::NOT_FOUND.into_response(),
    }
}

async fn feed_server() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/feed.xml", get(serve_feed))
        .route("/r/{id}", get(serve_report))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, shared)
}

fn publish(feed: &Shared, id: &str, bytes: Vec<u8>) {
    let mut f = feed.lock().unwrap();
    f.entries.push((id.to_string(), bytes));
    f.generation += 1;
}

/// 西伊豆町 (JMA city 2230600): 震度５弱 or more, 大雨特別警報, landslides.
async fn nishiizu(h: &Headend) {
    h.db.set_municipality(&Municipality::new(
        "223069",
        "西伊豆町",
        ["2230600".to_string()].into(),
        Policy {
            quake_from: Some(Intensity::I5Lower),
            warnings: ["33".to_string()].into(),
            landslide: true,
            ..Default::default()
        },
    ))
    .await
    .unwrap();
}

struct Town {
    /// Paired, heartbeating, on the 要支援者 list.
    a: (i64, String),
    /// Paired, heartbeating.
    b: (i64, String),
    /// Paired, silent for hours: 機械が つながらない.
    c: (i64, String),
    /// No box at all.
    d: i64,
}

async fn town(h: &Headend) -> Town {
    nishiizu(h).await;
    let mut ids = Vec::new();
    for (name, district) in [
        ("A", "仁科"),
        ("B", "仁科"),
        ("C", "宇久須"),
        ("D", "宇久須"),
    ] {
        let id = household(h, name, district).await;
        let consent = (name == "A").then(|| chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert!(
            h.db.set_household_disaster(id, Some("223069"), Some("2230600"), consent)
                .await
                .unwrap()
        );
        ids.push(id);
    }
    let c_token = h.pair("serial-c", ids[2]).await;
    heartbeat(h, &c_token).await;
    h.clock.advance(Duration::hours(3));
    let a_token = h.pair("serial-a", ids[0]).await;
    let b_token = h.pair("serial-b", ids[1]).await;
    heartbeat(h, &a_token).await;
    heartbeat(h, &b_token).await;
    h.db.add_helper(
        ids[0],
        "民生 花子",
        "民生委員",
        "0558-00-1111",
        "",
        h.clock.now(),
    )
    .await
    .unwrap();
    Town {
        a: (ids[0], a_token),
        b: (ids[1], b_token),
        c: (ids[2], c_token),
        d: ids[3],
    }
}

async fn household(h: &Headend, name: &str, district: &str) -> i64 {
    let n = NewHousehold {
        name: name.into(),
        address: format!("静岡県 西伊豆町 {district} 1"),
        phone: "0558-11-2222".into(),
        lat: Some(35.5),
        lon: Some(137.8),
        district: district.into(),
        ..Default::default()
    };
    h.db.add_household(&n, h.clock.now()).await.unwrap()
}

/// The headquarters' 避難指示 (flood) as operator 1.
async fn evacuate(h: &Headend, districts: &[&str], drill: bool) -> Result<i64, sqlx::Error> {
    let districts: Vec<String> = districts.iter().map(|d| d.to_string()).collect();
    h.db.issue_order(
        "223069",
        Order::Evacuate,
        ShelterUse::Flood,
        &districts,
        &[],
        drill,
        Some(1),
        h.clock.now(),
    )
    .await
}

async fn heartbeat(h: &Headend, token: &str) -> i64 {
    let (s, v) = h
        .post_keyed(
            "/v1/heartbeat",
            json!({"software_version": "0.1.0", "uptime_s": 60, "last_activity_at": null}),
            Some(token),
            &format!(
                "hb-{}-{}",
                token
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(8)
                    .collect::<String>(),
                h.clock.now().timestamp()
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["alert_version"].as_i64().unwrap()
}

async fn alert(h: &Headend, token: &str) -> AlertNow {
    let (s, v) = h.get("/v1/alert", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    serde_json::from_value(v).unwrap()
}

async fn answer(
    h: &Headend,
    token: &str,
    campaign: i64,
    a: &str,
    key: &str,
) -> (StatusCode, serde_json::Value) {
    h.post_keyed(
        "/v1/alert/answer",
        json!({"campaign_id": campaign, "answer": a, "answered_at": h.clock.now()}),
        Some(token),
        key,
    )
    .await
}

/// The versions an open stream has sent so far.
struct Stream {
    versions: Arc<Mutex<Vec<i64>>>,
}

async fn open_stream(h: &Headend, token: &str) -> Stream {
    let resp = h
        .http
        .get(format!("{}/v1/alert/stream", h.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[reqwest::header::CONTENT_TYPE],
        "text/event-stream"
    );
    Stream {
        versions: common::alert_versions(resp),
    }
}

impl Stream {
    fn last(&self) -> Option<i64> {
        self.versions.lock().unwrap().last().copied()
    }
}

#[tokio::test]
async fn a_feed_entry_reaches_the_boxes_and_their_answers_reach_the_board() {
    let h = Headend::start().await;
    let t = town(&h).await;
    h.db.import_shelters(
        "223069",
        &[
            NewShelter {
                source_id: "1".into(),
                name: "仁科小学校".into(),
                address: "西伊豆町仁科 1".into(),
                lat: Some(35.501),
                lon: Some(137.8),
                capacity: Some(300),
                uses: [ShelterUse::Earthquake, ShelterUse::Flood].into(),
            },
            NewShelter {
                source_id: "2".into(),
                name: "高台公園".into(),
                address: "西伊豆町仁科 9".into(),
                lat: Some(35.6),
                lon: Some(137.8),
                capacity: None,
                uses: [ShelterUse::Tsunami].into(),
            },
        ],
        h.clock.now(),
    )
    .await
    .unwrap();
    let school = h.db.shelters("223069").await.unwrap()[0].id;
    h.db.set_shelter_state("223069", school, ShelterState::Open, h.clock.now())
        .await
        .unwrap();

    let before = heartbeat(&h, &t.a.1).await;
    let stream = open_stream(&h, &t.a.1).await;
    wait_for("the stream's first event", || async {
        stream.last() == Some(before)
    })
    .await;
    assert_eq!(alert(&h, &t.a.1).await.alert, None);

    let (base, server) = feed_server().await;
    let url = format!("{base}/feed.xml");
    let http = feed::client(std::time::Duration::from_secs(5));
    publish(&server, "quake-1", sample("32-35_01_03_240613_VXSE53.xml"));
    let pass = feed::poll(&h.state, &http, &url).await.unwrap();
    assert_eq!((pass.new_entries, pass.ingested), (1, 1));

    // The stream moved on by itself; the heartbeat says the same.
    wait_for("the stream to announce the alert", || async {
        stream.last().is_some_and(|v| v > before)
    })
    .await;
    assert_eq!(heartbeat(&h, &t.a.1).await, stream.last().unwrap());
    let card = alert(&h, &t.a.1).await.alert.expect("a card");
    assert!(card.drill, "the sample is a drill (訓練)");
    assert_eq!(card.what, "震度５弱の 地震が ありました");
    assert_eq!(card.place, "西伊豆町");
    assert_eq!(card.level, None);
    // Only the open shelter fit for an earthquake, ~111 m away.
    assert_eq!(card.shelters.len(), 1, "{:?}", card.shelters);
    assert_eq!(card.shelters[0].name, "仁科小学校");
    assert!((100..=120).contains(&card.shelters[0].distance_m.unwrap()));
    assert_eq!(card.answer, None);

    // Nothing new: the feed answers 304 to If-Modified-Since.
    let pass = feed::poll(&h.state, &http, &url).await.unwrap();
    assert!(pass.not_modified);
    assert_eq!(server.lock().unwrap().not_modified, 1);

    // A's answer, sent twice with one key (a retry), and once more with the
    // same key but another answer (refused).
    let campaign = card.campaign_id;
    let (s, v) = answer(&h, &t.a.1, campaign, "help", "answer-key-0001").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["answer"], "help");
    let (s, _) = answer(&h, &t.a.1, campaign, "help", "answer-key-0001").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = answer(&h, &t.a.1, campaign, "safe", "answer-key-0001").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = answer(&h, &t.b.1, campaign, "safe", "answer-key-0002").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        alert(&h, &t.b.1).await.alert.unwrap().answer,
        Some(Answer::Safe)
    );
    // Another household's box cannot answer a campaign not its own.
    let (s, _) = answer(&h, &t.b.1, campaign + 100, "safe", "answer-key-0003").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let board = h.db.board(campaign, h.clock.now()).await.unwrap().unwrap();
    assert_eq!(
        (
            board.total.safe,
            board.total.help,
            board.total.no_answer,
            board.total.offline
        ),
        (1, 1, 0, 2),
        "C's box is silent, D has none: neither is 'no answer'"
    );
    let standing = |id: i64| {
        board
            .households
            .iter()
            .find(|r| r.household_id == id)
            .unwrap()
            .standing
    };
    assert_eq!(standing(t.a.0), Standing::Help);
    assert_eq!(standing(t.c.0), Standing::Offline);
    assert_eq!(standing(t.d), Standing::Offline);
    assert_eq!(board.households[0].household_id, t.a.0, "要支援者 first");
    assert_eq!(board.households[0].helpers[0].name, "民生 花子");
    let nishina = board.districts.iter().find(|(d, _)| d == "仁科").unwrap().1;
    assert_eq!((nishina.safe, nishina.help), (1, 1));

    // The same report again, under another entry: recorded once.
    publish(
        &server,
        "quake-1-again",
        sample("32-35_01_03_240613_VXSE53.xml"),
    );
    let pass = feed::poll(&h.state, &http, &url).await.unwrap();
    assert_eq!((pass.new_entries, pass.duplicates), (1, 1));

    // 取消: the card goes.
    let cancel = String::from_utf8(sample("32-35_01_03_240613_VXSE53.xml"))
        .unwrap()
        .replace("<InfoType>発表</InfoType>", "<InfoType>取消</InfoType>")
        .replace("<Serial>1</Serial>", "<Serial>2</Serial>");
    publish(&server, "quake-1-cancel", cancel.into_bytes());
    let moved = stream.last().unwrap();
    feed::poll(&h.state, &http, &url).await.unwrap();
    wait_for("the stream to announce the cancellation", || async {
        stream.last().is_some_and(|v| v > moved)
    })
    .await;
    assert_eq!(alert(&h, &t.a.1).await.alert, None);
    let closed = h.db.campaign(campaign).await.unwrap().unwrap();
    assert_eq!(closed.closed_why.as_deref(), Some("取消"));
    // C's box comes back: nothing to show any more.
    assert_eq!(alert(&h, &t.c.1).await.alert, None);
}

#[tokio::test]
async fn a_feed_that_is_down_slow_or_garbage_is_logged_retried_and_shown() {
    let h = Headend::start().await;
    nishiizu(&h).await;
    let (base, server) = feed_server().await;
    let url = format!("{base}/feed.xml");
    let http = feed::client(std::time::Duration::from_secs(5));

    server.lock().unwrap().down = true;
    let e = feed::poll(&h.state, &http, &url).await.unwrap_err();
    assert!(e.contains("503"), "{e}");
    let row = &h.db.feeds().await.unwrap()[0];
    assert!(row.last_ok_at.is_none());
    assert!(row.last_error.as_deref().unwrap().contains("503"));

    // Slower than the request's timeout: given up, recorded, tried next pass.
    server.lock().unwrap().down = false;
    server.lock().unwrap().slow = Some(std::time::Duration::from_secs(3));
    let impatient = feed::client(std::time::Duration::from_secs(1));
    let started = std::time::Instant::now();
    let e = feed::poll(&h.state, &impatient, &url).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "{e}");
    let row = &h.db.feeds().await.unwrap()[0];
    assert_eq!(row.last_error.as_deref(), Some(e.as_str()));
    server.lock().unwrap().slow = None;

    server.lock().unwrap().garbage = true;
    let e = feed::poll(&h.state, &http, &url).await.unwrap_err();
    assert!(e.contains("not readable"), "{e}");

    // A good feed whose one report is garbage: the entry is refused for good
    // (not fetched again), the pass goes on to the next one, the console
    // hears of it.
    server.lock().unwrap().garbage = false;
    publish(&server, "bad", b"<Report><Control>".to_vec());
    publish(&server, "big", vec![b' '; 5 * 1024 * 1024]);
    publish(&server, "rain", sample("15_08_01_130412_VPWW53.xml"));
    let pass = feed::poll(&h.state, &http, &url).await.unwrap();
    assert_eq!((pass.new_entries, pass.refused, pass.ingested), (3, 2, 1));
    let row = &h.db.feeds().await.unwrap()[0];
    assert!(row.last_ok_at.is_some());
    assert!(
        row.last_error.as_deref().unwrap().contains("/r/bad"),
        "{row:?}"
    );
    server.lock().unwrap().generation += 1;
    let pass = feed::poll(&h.state, &http, &url).await.unwrap();
    assert_eq!(pass.new_entries, 0, "refused entries are not fetched again");

    // A report the feed lists but cannot serve yet is tried again next
    // pass, so nothing is lost.
    publish(&server, "later", sample("17_02_01_190529_VXWW50.xml"));
    server.lock().unwrap().missing = Some("later".into());
    let e = feed::poll(&h.state, &http, &url).await.unwrap_err();
    assert!(e.contains("404"), "{e}");
    server.lock().unwrap().missing = None;
    let pass = feed::poll(&h.state, &http, &url).await.unwrap();
    assert_eq!((pass.new_entries, pass.ingested), (1, 1));
}

#[tokio::test]
async fn tests_never_reach_a_screen_and_two_staff_lifting_one_order_see_one_win() {
    let h = Headend::start().await;
    let t = town(&h).await;
    // A 試験 report for the town's city is recorded and ignored.
    let test = String::from_utf8(sample("32-35_01_03_240613_VXSE53.xml"))
        .unwrap()
        .replace("<Status>訓練</Status>", "<Status>試験</Status>");
    let r = engawa_disaster::Report::parse(test.as_bytes()).unwrap();
    assert_eq!(
        h.db.ingest_report(&r, h.clock.now()).await.unwrap(),
        Ingested::Done(vec![])
    );
    assert_eq!(alert(&h, &t.a.1).await.alert, None);

    // The headquarters orders 仁科 to evacuate; 宇久須 is not asked.
    h.operator().await;
    let id = evacuate(&h, &["仁科"], false).await.unwrap();
    let card = alert(&h, &t.b.1).await.alert.unwrap();
    assert_eq!(card.what, "仁科に 避難指示（警戒レベル４）");
    assert_eq!(card.level, Some(4));
    assert!(!card.drill);
    assert_eq!(
        alert(&h, &t.c.1).await.alert,
        None,
        "宇久須 is not in the order"
    );
    let board = h.db.board(id, h.clock.now()).await.unwrap().unwrap();
    assert_eq!(board.total.total(), 2);

    let (x, y) = tokio::join!(
        h.db.close_campaign(id, None, "解除", h.clock.now()),
        h.db.close_campaign(id, None, "解除", h.clock.now()),
    );
    assert_eq!([x.unwrap(), y.unwrap()].iter().filter(|w| **w).count(), 1);
    assert_eq!(alert(&h, &t.b.1).await.alert, None);
}

#[tokio::test]
async fn the_headquarters_issue_an_order_watch_the_board_print_the_patrol_list_and_lift_it() {
    let h = Headend::start().await;
    let t = town(&h).await;
    let c = h.console().await;
    let (s, page) = c.get("/console/disaster/order").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("value=\"仁科\""),
        "the town's districts to choose"
    );
    let (s, page) = c
        .form(
            "/console/disaster/order",
            &[
                ("municipality", "223069"),
                ("order", "evacuate"),
                ("danger", "flood"),
                ("district", "仁科"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("出しました"), "{page}");
    let (s, page) = c
        .form(
            "/console/disaster/order",
            &[
                ("municipality", "223069"),
                ("order", "evacuate"),
                ("danger", "flood"),
                ("district", "どこか"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("「どこか」という 地区は ありません"),
        "{page}"
    );
    assert_eq!(
        h.db.campaigns(10).await.unwrap().len(),
        1,
        "the refused order made nothing"
    );
    let id = h.db.campaigns(1).await.unwrap()[0].id;
    let (s, _) = answer(&h, &t.a.1, id, "help", "answer-key-1001").await;
    assert_eq!(s, StatusCode::OK);

    let (_, board) = c.get(&format!("/console/disaster/{id}")).await;
    assert!(
        board.contains("<rect"),
        "bars while no boundaries are imported"
    );
    let square = |x: f64| {
        vec![vec![
            (x, 35.0),
            (x + 0.1, 35.0),
            (x + 0.1, 35.1),
            (x, 35.1),
            (x, 35.0),
        ]]
    };
    h.db.set_district_shapes(
        "223069",
        &[
            ("仁科".into(), square(138.0)),
            ("宇久須".into(), square(138.1)),
        ],
    )
    .await
    .unwrap();
    let (_, board) = c.get(&format!("/console/disaster/{id}")).await;
    assert_eq!(board.matches("<path").count(), 2, "the map: {board}");
    // 仁科: one of two answered (amber); 宇久須 is not in the order (grey).
    assert!(board.contains("fill=\"#e0a100\""), "{board}");
    assert!(board.contains("fill=\"#cccccc\""), "{board}");
    assert!(board.contains("http-equiv=\"refresh\""), "refreshes itself");
    assert!(board.contains("仁科に 避難指示（警戒レベル４）"), "{board}");
    assert!(board.contains("⚠ たすけが必要"));
    let (_, overview) = c.get("/console/disaster").await;
    assert!(overview.contains("実施中"), "{overview}");

    let (_, patrol) = c.get(&format!("/console/disaster/{id}/patrol")).await;
    let a = patrol.find(">A<").expect("A on the list");
    let b = patrol.find(">B<").expect("B on the list");
    assert!(a < b, "たすけが必要 first");
    assert!(patrol.contains("民生 花子"), "A's helper");
    assert!(!patrol.contains(">C<"), "宇久須 is not in the order");

    let r = c
        .http
        .get(format!("{}/console/disaster/{id}/answers.csv", c.base))
        .header("cookie", &c.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()[reqwest::header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains(",A,") && l.contains("たすけが必要")),
        "{text}"
    );

    // Two staff press 解除 on the same board.
    let path = format!("/console/disaster/{id}/close");
    let (one, two) = tokio::join!(c.form(&path, &[]), c.form(&path, &[]));
    let pages = [one.1, two.1];
    assert_eq!(
        pages.iter().filter(|p| p.contains("解除しました")).count(),
        1
    );
    assert_eq!(pages.iter().filter(|p| p.contains("すでに")).count(), 1);
    assert_eq!(alert(&h, &t.a.1).await.alert, None);
}

#[tokio::test]
async fn family_hear_after_thirty_minutes_helpers_after_sixty_and_answers_at_once_each_once() {
    let h = Headend::start().await;
    let t = town(&h).await;
    h.db.add_contact(t.a.0, "山田 太郎", "taro@example.jp", h.clock.now())
        .await
        .unwrap()
        .unwrap();
    h.db.add_contact(t.b.0, "佐藤 一郎", "ichiro@example.jp", h.clock.now())
        .await
        .unwrap()
        .unwrap();
    h.db.add_helper(
        t.b.0,
        "隣の 鈴木",
        "近所",
        "",
        "suzuki@example.jp",
        h.clock.now(),
    )
    .await
    .unwrap();
    let mails = || async { h.db.outbox().await.unwrap() };
    // A drill sends nothing, however long it runs.
    let drill = evacuate(&h, &[], true).await;
    assert!(drill.is_err(), "no operator 1 yet");
    h.operator().await;
    let drill = evacuate(&h, &[], true).await.unwrap();
    h.clock.advance(Duration::hours(2));
    engawa_headend::disaster::mails::pass(&h.state, h.clock.now())
        .await
        .unwrap();
    assert!(mails().await.is_empty());
    h.db.close_campaign(drill, None, "終了", h.clock.now())
        .await
        .unwrap();

    let id = evacuate(&h, &["仁科"], false).await.unwrap();
    let (s, _) = answer(&h, &t.a.1, id, "safe", "answer-key-2001").await;
    assert_eq!(s, StatusCode::OK);
    engawa_headend::disaster::mails::pass(&h.state, h.clock.now())
        .await
        .unwrap();
    let m = mails().await;
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].1, "taro@example.jp");
    assert!(m[0].3.contains("無事です"), "{}", m[0].3);

    h.clock.advance(Duration::minutes(29));
    engawa_headend::disaster::mails::pass(&h.state, h.clock.now())
        .await
        .unwrap();
    assert_eq!(mails().await.len(), 1, "B's family not yet");
    h.clock.advance(Duration::minutes(1));
    engawa_headend::disaster::mails::pass(&h.state, h.clock.now())
        .await
        .unwrap();
    engawa_headend::disaster::mails::pass(&h.state, h.clock.now())
        .await
        .unwrap();
    let m = mails().await;
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[1].1, "ichiro@example.jp");
    assert!(m[1].3.contains("まだ 応答が ありません"), "{}", m[1].3);
    assert!(m[1].4.contains("30分たっても"), "{}", m[1].4);

    h.clock.advance(Duration::minutes(30));
    engawa_headend::disaster::mails::pass(&h.state, h.clock.now())
        .await
        .unwrap();
    let m = mails().await;
    assert_eq!(m.len(), 3, "{m:?}");
    assert_eq!(m[2].1, "suzuki@example.jp");
    assert!(
        m[2].4.contains("静岡県 西伊豆町 仁科 1"),
        "the helper gets the address: {}",
        m[2].4
    );
    // C and D are in 宇久須, outside the order: nobody hears of them.
    assert!(
        !m.iter()
            .any(|x| x.3.contains("Cさん") || x.3.contains("Dさん"))
    );
    engawa_headend::disaster::mails::pass(&h.state, h.clock.now())
        .await
        .unwrap();
    assert_eq!(mails().await.len(), 3, "each mail once");
}

/// A head-end of our own on a listener we choose, stoppable.
async fn serve_on(
    state: engawa_headend::AppState,
    listener: tokio::net::TcpListener,
) -> (
    engawa_headend::startup::CancellationToken,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let stop = engawa_headend::startup::CancellationToken::new();
    let started = engawa_headend::startup::start(
        state,
        engawa_headend::startup::Tasks::default(),
        stop.clone(),
    );
    let served = tokio::spawn(started.serve(listener, Default::default()));
    (stop, served)
}

#[tokio::test]
async fn a_head_end_restarted_mid_campaign_keeps_every_answer_and_the_streams_come_back() {
    let h = Headend::start().await;
    let t = town(&h).await;
    h.operator().await;
    // A second head-end process on the same database file (as after a
    // restart); the test's own one stays up for setting up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let db = common::open_db(&h.location).await;
    let state = engawa_headend::AppState::new(db.clone(), h.clock.clone());
    let (stop, served) = serve_on(state.clone(), listener).await;
    let base = format!("http://{addr}");
    let mut box_a = clone_of(&h, db.clone(), state.clone());
    box_a.base = base;

    let id = evacuate(&h, &["仁科"], false).await.unwrap();
    let stream = open_stream(&box_a, &t.a.1).await;
    // The order came from the other process: this one's hub reads it within
    // its refresh (a second).
    let version = db.alert_version(t.a.0).await.unwrap();
    wait_for("the stream to carry the order's version", || async {
        stream.last() == Some(version)
    })
    .await;
    let (s, _) = answer(&box_a, &t.a.1, id, "help", "answer-key-3001").await;
    assert_eq!(s, StatusCode::OK);

    // Stopping ends the open streams at once: the server does not wait out
    // its drain for them.
    let stopping = std::time::Instant::now();
    stop.cancel();
    served.await.unwrap().unwrap();
    assert!(
        stopping.elapsed() < std::time::Duration::from_secs(5),
        "stopped in {:?}",
        stopping.elapsed()
    );

    // Back on the same address and file: the stream reconnects to the same
    // version, the card still knows the answer, the board still counts it,
    // and the retried answer (same key) is still one answer.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let (_stop, _served) = serve_on(state.clone(), listener).await;
    let again = open_stream(&box_a, &t.a.1).await;
    wait_for("the stream after the restart", || async {
        again.last().is_some()
    })
    .await;
    assert_eq!(again.last(), Some(version));
    assert_eq!(
        alert(&box_a, &t.a.1).await.alert.unwrap().answer,
        Some(Answer::Help)
    );
    let (s, _) = answer(&box_a, &t.a.1, id, "help", "answer-key-3001").await;
    assert_eq!(s, StatusCode::OK);
    let board = db.board(id, h.clock.now()).await.unwrap().unwrap();
    assert_eq!((board.total.help, board.total.no_answer), (1, 1));
}

/// The test's client pointed at another head-end on the same file.
fn clone_of(h: &Headend, db: engawa_headend::Db, state: engawa_headend::AppState) -> Headend {
    Headend {
        base: h.base.clone(),
        db,
        location: h.location.clone(),
        clock: h.clock.clone(),
        http: reqwest::Client::new(),
        dir: tempfile::tempdir().unwrap(),
        state,
    }
}

#[tokio::test]
async fn a_tsunami_warning_asks_the_coastal_districts_only_and_the_last_forecast_ends_it() {
    let h = Headend::start().await;
    let t = town(&h).await;
    // As if 西伊豆町's coast were in 宮城県 (220), which the 2011 samples cover:
    // 仁科 by the sea, 宇久須 not.
    let mut m = Municipality::new(
        "223069",
        "西伊豆町",
        ["2230600".to_string()].into(),
        Policy {
            quake_from: Some(Intensity::I5Lower),
            tsunami_areas: ["220".to_string()].into(),
            coastal_districts: ["仁科".to_string()].into(),
            ..Default::default()
        },
    );
    m.family_after_min = 30;
    h.db.set_municipality(&m).await.unwrap();
    let warning = engawa_disaster::Report::parse(&sample("32-39_11_02_250206_VTSE41.xml")).unwrap();
    let Ingested::Done(actions) = h.db.ingest_report(&warning, h.clock.now()).await.unwrap() else {
        panic!("a new report")
    };
    let [(code, engawa_headend::disaster::db::Action::Opened(campaign))] = &actions[..] else {
        panic!("{actions:?}")
    };
    let campaign = *campaign;
    assert_eq!(code, "223069");
    let card = alert(&h, &t.a.1).await.alert.expect("仁科 is asked");
    assert_eq!(card.campaign_id, campaign);
    assert_eq!(card.what, "仁科に 大津波警報が 出ました");
    assert_eq!(card.level, None, "no 警戒レベル: the emergency colour");
    assert!(card.todo.contains("高い ところへ"), "{}", card.todo);
    assert!(
        alert(&h, &t.c.1).await.alert.is_none(),
        "宇久須 is not by the sea"
    );
    let board = h.db.board(campaign, h.clock.now()).await.unwrap().unwrap();
    let counted = board.total.safe + board.total.help + board.total.no_answer + board.total.offline;
    assert_eq!(counted, 2, "A and B of 仁科 only");
    // The event's last report: only 津波予報 left for 220.
    let over = engawa_disaster::Report::parse(&sample("32-39_11_13_250206_VTSE41.xml")).unwrap();
    let Ingested::Done(actions) = h.db.ingest_report(&over, h.clock.now()).await.unwrap() else {
        panic!("a new report")
    };
    assert!(
        actions.contains(&(
            "223069".to_string(),
            engawa_headend::disaster::db::Action::Closed(campaign)
        )),
        "{actions:?}"
    );
    assert!(alert(&h, &t.a.1).await.alert.is_none());
}

#[tokio::test]
async fn the_board_counts_in_sql_and_lists_households_by_need() {
    let h = Headend::start().await;
    let t = town(&h).await;
    h.operator().await;
    let all = evacuate(&h, &[], false).await.unwrap();
    let (s, _) = answer(&h, &t.b.1, all, "help", "answer-key-board-b").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = answer(&h, &t.c.1, all, "safe", "answer-key-board-c").await;
    assert_eq!(s, StatusCode::OK);
    let only = evacuate(&h, &["宇久須"], false).await.unwrap();
    let tally = |safe, help, no_answer, offline| engawa_headend::disaster::db::Tally {
        safe,
        help,
        no_answer,
        offline,
    };
    // A: 要支援者, box alive, no answer. B: たすけ. C: 無事 (its box silent
    // for hours, but it answered). D: no box.
    let b = h.db.board(all, h.clock.now()).await.unwrap().unwrap();
    assert_eq!(b.total, tally(1, 1, 1, 1));
    assert_eq!(
        b.districts,
        [
            ("仁科".to_string(), tally(0, 1, 1, 0)),
            ("宇久須".to_string(), tally(1, 0, 0, 1)),
        ]
        .into_iter()
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    let order: Vec<i64> = b.households.iter().map(|r| r.household_id).collect();
    assert_eq!(order, [t.b.0, t.a.0, t.d, t.c.0], "by need");
    assert_eq!(b.households[1].helpers.len(), 1, "A's helper comes along");
    let b = h.db.board(only, h.clock.now()).await.unwrap().unwrap();
    assert_eq!(
        b.total,
        tally(0, 0, 0, 2),
        "宇久須 only: C (its box silent, no answer to this one) and D"
    );
    // The page lists the neediest first and counts them all.
    let page =
        h.db.board_summary(all, h.clock.now(), 1)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(page.households.len(), 1);
    assert_eq!(page.households[0].household_id, t.b.0);
    assert_eq!(page.households[0].standing, Standing::Help);
    assert_eq!(page.total, tally(1, 1, 1, 1));
}
