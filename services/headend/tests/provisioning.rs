//! Box provisioning against the real head-end on 127.0.0.1:0 with a temporary
//! SQLite file, over real HTTP.

use chrono::Duration;
mod common;

use common::{Headend, code};
use engawa_core::Clock;
use engawa_core::api::{Heartbeat, PairingGrant, TokenGrant};
use engawa_core::clock::tokyo;
use engawa_headend::db::{ApproveRefusal, MAX_FAILED_APPROVALS};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_box_pairs_by_code_and_gets_its_token_exactly_once() {
    let h = Headend::start().await;
    let household = h.household("山田 花子").await;
    let (s, grant) = h
        .post(
            "/v1/pairing",
            json!({"serial": "EGW-0042", "software_version": "0.1.0"}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let grant: PairingGrant = serde_json::from_value(grant).unwrap();
    assert_eq!(grant.user_code.len(), 7);

    // Not approved yet: pending, then too fast.
    let poll = json!({"device_code": grant.device_code});
    let (s, body) = h.post("/v1/pairing/token", poll.clone(), None).await;
    assert_eq!(
        (s, code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "authorization_pending")
    );
    let (_, body) = h.post("/v1/pairing/token", poll.clone(), None).await;
    assert_eq!(code(&body), "slow_down");

    // The operator types the code as people do: lower case, spaces.
    let typed = grant.user_code.to_lowercase().replace('-', " ");
    let approved =
        h.db.approve_pairing(&typed, household, h.clock.now())
            .await
            .unwrap();
    assert_eq!(approved, Ok("EGW-0042".to_string()));

    h.clock.advance(Duration::seconds(5));
    let (s, tok) = h.post("/v1/pairing/token", poll.clone(), None).await;
    assert_eq!(s, StatusCode::OK, "{tok}");
    let tok: TokenGrant = serde_json::from_value(tok).unwrap();
    assert_eq!(tok.household_id, household);

    // Once only.
    h.clock.advance(Duration::seconds(5));
    let (_, body) = h.post("/v1/pairing/token", poll, None).await;
    assert_eq!(code(&body), "already_issued");

    // The token works; the database holds only its hash.
    let me: Value = h
        .http
        .get(format!("{}/v1/me", h.base))
        .bearer_auth(&tok.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["household_id"], household);
    let stored = h.stored_bytes();
    for bytes in stored {
        assert!(
            !bytes
                .windows(tok.token.len())
                .any(|w| w == tok.token.as_bytes()),
            "raw token stored"
        );
    }
}

#[tokio::test]
async fn codes_expire_and_guessing_is_rate_limited() {
    let h = Headend::start().await;
    let household = h.household("佐藤 一郎").await;
    let (_, grant) = h
        .post(
            "/v1/pairing",
            json!({"serial": "EGW-0001", "software_version": "0.1.0"}),
            None,
        )
        .await;
    let grant: PairingGrant = serde_json::from_value(grant).unwrap();

    // Ten wrong guesses, then even the right code is refused for a while.
    for i in 0..MAX_FAILED_APPROVALS {
        let guess = format!("22{}-ABC", (b'2' + (i % 8) as u8) as char);
        if guess == grant.user_code {
            continue;
        }
        assert_eq!(
            h.db.approve_pairing(&guess, household, h.clock.now())
                .await
                .unwrap(),
            Err(ApproveRefusal::UnknownCode)
        );
    }
    assert_eq!(
        h.db.approve_pairing(&grant.user_code, household, h.clock.now())
            .await
            .unwrap(),
        Err(ApproveRefusal::TooManyAttempts)
    );
    h.clock.advance(Duration::minutes(11));
    assert!(
        h.db.approve_pairing(&grant.user_code, household, h.clock.now())
            .await
            .unwrap()
            .is_ok()
    );

    // A second request's code expires after 15 minutes, approved or not.
    let (_, grant) = h
        .post(
            "/v1/pairing",
            json!({"serial": "EGW-0002", "software_version": "0.1.0"}),
            None,
        )
        .await;
    let grant: PairingGrant = serde_json::from_value(grant).unwrap();
    h.clock.advance(Duration::minutes(16));
    assert_eq!(
        h.db.approve_pairing(&grant.user_code, household, h.clock.now())
            .await
            .unwrap(),
        Err(ApproveRefusal::UnknownCode)
    );
    let (_, body) = h
        .post(
            "/v1/pairing/token",
            json!({"device_code": grant.device_code}),
            None,
        )
        .await;
    assert_eq!(code(&body), "expired_token");
    // A household that does not exist.
    assert_eq!(
        h.db.approve_pairing("234-ABC", 9999, h.clock.now())
            .await
            .unwrap(),
        Err(ApproveRefusal::NoSuchHousehold)
    );
}

#[tokio::test]
async fn heartbeats_need_a_live_token_and_an_idempotency_key() {
    let h = Headend::start().await;
    let a = h.household("A").await;
    let token = h.pair("EGW-A", a).await;
    let hb = serde_json::to_value(Heartbeat {
        software_version: "0.1.0".into(),
        uptime_s: 3600,
        last_activity_at: Some(tokyo(2026, 11, 25, 9, 55)),
    })
    .unwrap();

    let (s, answer) = h.post("/v1/heartbeat", hb.clone(), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(answer["watch_version"], 1, "{answer}");
    let boxes = h.db.boxes().await.unwrap();
    assert_eq!(boxes[0].last_activity_at, Some(tokyo(2026, 11, 25, 9, 55)));
    assert_eq!(boxes[0].last_heartbeat_at, Some(h.clock.now()));

    // No key → refused.
    let resp = h
        .http
        .post(format!("{}/v1/heartbeat", h.base))
        .bearer_auth(&token)
        .json(&hb)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&resp.json().await.unwrap()), "missing_idempotency_key");

    // No token, a wrong token, a revoked token → 401 in the envelope.
    for t in [None, Some("not-a-token")] {
        let (s, body) = h.post("/v1/heartbeat", hb.clone(), t).await;
        assert_eq!(
            (s, code(&body).as_str()),
            (StatusCode::UNAUTHORIZED, "unauthorized")
        );
    }
    assert!(h.db.revoke_box(boxes[0].id, h.clock.now()).await.unwrap());
    let (s, _) = h.post("/v1/heartbeat", hb, Some(&token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_and_store_nothing() {
    let h = Headend::start().await;
    let url = format!("{}/v1/pairing", h.base);
    let cases: Vec<(&str, String)> = vec![
        ("malformed JSON", "{\"serial\": ".into()),
        (
            "unknown field",
            json!({"serial": "EGW-1", "software_version": "0.1", "admin": true}).to_string(),
        ),
        (
            "SQL in a serial",
            json!({"serial": "'; DROP TABLE boxes;--", "software_version": "0.1"}).to_string(),
        ),
        (
            "empty serial",
            json!({"serial": "", "software_version": "0.1"}).to_string(),
        ),
        (
            "wrong type",
            json!({"serial": 42, "software_version": "0.1"}).to_string(),
        ),
        (
            "oversized body",
            json!({"serial": "x".repeat(20_000), "software_version": "0.1"}).to_string(),
        ),
    ];
    for (what, body) in cases {
        let resp = h
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert!(status.is_client_error(), "{what}: {status}");
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(!code(&body).is_empty(), "{what}: {body}");
        assert!(
            body["error"]["message_ja"]
                .as_str()
                .unwrap()
                .is_char_boundary(0)
        );
    }
    // Nothing was stored: the next code is the first pairing in the table.
    let (s, _) = h
        .post(
            "/v1/pairing",
            json!({"serial": "EGW-OK", "software_version": "0.1.0"}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Unknown paths answer in the envelope too.
    let resp = h
        .http
        .get(format!("{}/v2/nothing", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(code(&resp.json().await.unwrap()), "not_found");
}
