//! Retention: the bookkeeping the head-end only needs for a while (sessions,
//! attempts, pairing requests, idempotency keys, finished mails, refused taxi
//! requests, alerts) is deleted after its documented time by the background task;
//! records of the service, pending mails and open alerts stay.

mod common;

use chrono::Duration;
use common::{Headend, login};
use engawa_core::Clock;
use engawa_headend::retention;
async fn sql(h: &Headend) -> sqlx::AnyConnection {
    common::sql_connection(&h.location).await
}

/// One row of each kind of bookkeeping at the clock's time, through the real
/// API where it is cheap, by SQL where it needs a whole flow; returns the box.
async fn bookkeeping(h: &Headend, household: i64, tag: &str) {
    let now = h.clock.now().timestamp();
    let http = reqwest::Client::new();
    // A wrong login (an attempt) and a pairing request nobody approves.
    login(&http, &h.base, "nobody", "wrong", Some("198.51.100.1")).await;
    h.post(
        "/v1/pairing",
        serde_json::json!({"serial": format!("EGW-{tag}"), "software_version": "0.1.0"}),
        None,
    )
    .await;
    h.db.approve_pairing("ZZZ-ZZZ", household, h.clock.now())
        .await
        .unwrap()
        .unwrap_err();
    let mut c = sql(h).await;
    let box_id: i64 = sqlx::query_scalar("SELECT id FROM boxes ORDER BY id LIMIT 1")
        .fetch_one(&mut c)
        .await
        .unwrap();
    for (q, n) in [
        (
            "INSERT INTO idempotency (box_id, key, created_at) VALUES ($1, 'k-' || $3, $2)",
            1,
        ),
        (
            "INSERT INTO rides (household_id, box_id, day, people, pickup_from, pickup_to, arrive_at, fare_yen, state, created_at)
             VALUES ($4, $1, '2026-01-01', 1, $2, $2, $2, 300, 'booked', $2)",
            1,
        ),
        (
            "INSERT INTO ride_keys (box_id, key, request, ride_id) VALUES ($1, 'r-' || $3, '{}', (SELECT MAX(id) FROM rides))",
            1,
        ),
        (
            "INSERT INTO mail_outbox (message_id, to_name, to_addr, subject, body, created_at, state, next_at)
             VALUES ('sent-' || $3, 'a', 'a@example.jp', 's', 'b', $2, 'sent', $2),
                    ('pending-' || $3, 'a', 'a@example.jp', 's', 'b', $2, 'pending', $2)",
            2,
        ),
        (
            "INSERT INTO ride_refusals (household_id, at, code, detail) VALUES ($4, $2, 'full', '')",
            1,
        ),
        (
            "INSERT INTO watch_alerts (household_id, kind, n, at) VALUES ($4, 'no_activity', 1, $2)",
            1,
        ),
        (
            "INSERT INTO offline_alerts (box_id, since, operator_at, resolved_at) VALUES ($1, $2, $2, $2)",
            1,
        ),
    ] {
        let r = sqlx::query(q)
            .bind(box_id)
            .bind(now)
            .bind(tag)
            .bind(household)
            .execute(&mut c)
            .await
            .unwrap();
        assert_eq!(r.rows_affected(), n, "{q}");
    }
}

async fn count(h: &Headend, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&mut sql(h).await)
        .await
        .unwrap()
}

#[tokio::test]
async fn old_bookkeeping_goes_after_its_time_and_records_stay() {
    let h = Headend::start().await;
    let household = h.household("山田 花子").await;
    let _token = h.pair("EGW-R-0001", household).await;
    let _session = h.console().await;
    bookkeeping(&h, household, "old").await;
    // Nothing is due yet.
    let none = retention::prune(&h.state, h.clock.now()).await.unwrap();
    assert_eq!(none, retention::Pruned::default());

    // A little over 400 days later, the same again, fresh.
    h.clock.advance(Duration::days(401));
    bookkeeping(&h, household, "new").await;
    // An alert still open is kept however old.
    sqlx::query("UPDATE offline_alerts SET resolved_at = NULL WHERE id = 1")
        .execute(&mut sql(&h).await)
        .await
        .unwrap();

    // The task: one pass at start, then it stops at the shutdown signal.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(retention::run(
        h.state.clone(),
        std::time::Duration::from_secs(3600),
        async move {
            let _ = stop_rx.await;
        },
    ));
    common::wait_for("the first pruning pass", || async {
        count(&h, "ride_refusals").await == 1
    })
    .await;
    stop_tx.send(()).unwrap();
    task.await.unwrap();

    for (table, left) in [
        ("sessions", 0), // the console session expired after 12 h
        ("login_attempts", 1),
        ("approval_failures", 1),
        ("pairings", 1), // the fresh request; the old one and the paired box's went
        ("idempotency", 1),
        ("ride_keys", 1),
        ("mail_outbox", 1 + 2), // the old pending one and both fresh
        ("ride_refusals", 1),
        ("watch_alerts", 1),
        ("offline_alerts", 1 + 1), // the old open one and the fresh one
        ("rides", 2),
        ("boxes", 1),
        ("households", 1),
    ] {
        assert_eq!(count(&h, table).await, left, "{table}");
    }
}
