//! Past capacity and when the database refuses: heartbeats are written by
//! group commit (many in one transaction, each answered only once it is
//! written), a heartbeat the database will not take is answered 503 with
//! Retry-After and written when it takes writes again, and a request past the
//! head-end's room is refused at once (503 + Retry-After) while the alert
//! streams stay open. Both engines.

mod common;

use std::time::{Duration, Instant};

use common::Headend;
use engawa_core::Clock;
use reqwest::StatusCode;
use serde_json::json;

async fn beat(h: &Headend, token: &str, key: &str) -> (StatusCode, Option<String>, f64) {
    let t = Instant::now();
    let r = h
        .http
        .post(format!("{}/v1/heartbeat", h.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"software_version": "0.1.0", "uptime_s": 60, "last_activity_at": null}))
        .send()
        .await
        .unwrap();
    let after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (r.status(), after, t.elapsed().as_secs_f64())
}

/// Makes the database refuse every update of `boxes` (a full disk, as the
/// head-end sees it), or take them again.
async fn refuse_box_updates(h: &Headend, refuse: bool) {
    let mut sql = common::sql_connection(&h.location).await;
    let statements: &[&str] = match (common::postgres_server().is_some(), refuse) {
        (false, true) => &[
            "CREATE TRIGGER full_disk BEFORE UPDATE ON boxes BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
        ],
        (false, false) => &["DROP TRIGGER full_disk"],
        (true, true) => &[
            "CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$",
            "CREATE TRIGGER full_disk BEFORE UPDATE ON boxes FOR EACH ROW EXECUTE FUNCTION full_disk()",
        ],
        (true, false) => &["DROP TRIGGER full_disk ON boxes"],
    };
    for s in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*s))
            .execute(&mut sql)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn heartbeats_arriving_together_are_written_together_and_each_is_in_the_database() {
    let h = Headend::start().await;
    let mut tokens = Vec::new();
    for i in 0..200 {
        let household = h.household(&format!("世帯 {i}")).await;
        let serial = format!("EGW-{i:04}");
        tokens.push(
            h.db.issue_token(household, &serial, h.clock.now())
                .await
                .unwrap(),
        );
    }
    let batches_before = h.state.heartbeats.batches();
    let mut set = tokio::task::JoinSet::new();
    for (i, t) in tokens.iter().enumerate() {
        let (h2, t) = (h.http.clone(), t.clone());
        let url = format!("{}/v1/heartbeat", h.base);
        set.spawn(async move {
            h2.post(url)
                .bearer_auth(t)
                .header("Idempotency-Key", format!("together-{i:04}"))
                .json(
                    &json!({"software_version": "0.2.0", "uptime_s": 7, "last_activity_at": null}),
                )
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(s) = set.join_next().await {
        assert_eq!(s.unwrap(), StatusCode::OK);
    }
    // Answered only once written: every box's row has it now.
    let boxes = h.db.boxes().await.unwrap();
    assert_eq!(boxes.len(), 200);
    assert!(
        boxes.iter().all(
            |b| b.software_version.as_deref() == Some("0.2.0") && b.last_heartbeat_at.is_some()
        ),
        "{boxes:?}"
    );
    let batches = h.state.heartbeats.batches() - batches_before;
    eprintln!("200 heartbeats at once: {batches} transactions");
    assert!(batches < 200, "written together: {batches} transactions");
}

#[tokio::test]
async fn a_heartbeat_the_database_refuses_is_answered_503_and_written_once_it_can_be() {
    let h = Headend::start().await;
    let household = h.household("山田 花子").await;
    let token = h.pair("EGW-FULL", household).await;
    refuse_box_updates(&h, true).await;
    let (status, after, took) = beat(&h, &token, "full-0001").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let after: u32 = after.expect("Retry-After").parse().unwrap();
    assert!((1..=5).contains(&after), "{after}");
    eprintln!("refused after {took:.1} s");
    assert!(h.db.boxes().await.unwrap()[0].last_heartbeat_at.is_none());
    // The disk has room again: the heartbeat that waited is written.
    refuse_box_updates(&h, false).await;
    common::wait_for("the refused heartbeat written", || async {
        h.db.boxes().await.unwrap()[0].last_heartbeat_at.is_some()
    })
    .await;
}

#[tokio::test]
async fn past_its_room_the_head_end_refuses_at_once_and_the_streams_stay_open() {
    let h = Headend::start_with(|s| s.with_max_in_flight(2)).await;
    let household = h.household("山田 花子").await;
    let token = h.pair("EGW-BUSY", household).await;
    // Two heartbeats held up by a database that will not write.
    refuse_box_updates(&h, true).await;
    let held: Vec<_> = (0..2)
        .map(|i| {
            let (http, token) = (h.http.clone(), token.clone());
            let url = format!("{}/v1/heartbeat", h.base);
            tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", format!("held-beat-{i:04}"))
                    .json(&json!({"software_version": "0.1.0", "uptime_s": 1, "last_activity_at": null}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The third heartbeat is refused at once, with the envelope and a time.
    let (status, after, took) = beat(&h, &token, "third-0001").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(after.is_some());
    assert!(took < 1.0, "refused at once, not after waiting: {took}");
    // What a resident does has room of its own: heartbeats do not take it.
    let (s, v) = h.get("/v1/me", Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = h.get("/v1/shop/catalogue", Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The alert stream is not a request that ends: it opens anyway.
    let stream = h
        .http
        .get(format!("{}/v1/alert/stream", h.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    // The console is not the boxes' room either.
    let c = h.console().await;
    let (s, _) = c.get("/console").await;
    assert_eq!(s, StatusCode::OK);
    refuse_box_updates(&h, false).await;
    for t in held {
        // Each held heartbeat either waited its 5 s (503) or was written when
        // the database took writes again (200); none was lost.
        let s = t.await.unwrap();
        assert!(
            s == StatusCode::OK || s == StatusCode::SERVICE_UNAVAILABLE,
            "{s}"
        );
    }
    common::wait_for("the held heartbeat written", || async {
        h.db.boxes().await.unwrap()[0].last_heartbeat_at.is_some()
    })
    .await;
    let (s, _) = h.get("/v1/me", Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "room again");
}
