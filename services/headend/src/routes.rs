//! HTTP routes for boxes (`/v1/...`): JSON in, JSON out, every failure in the
//! shared error envelope. Bodies are capped, unknown fields refused, and each box
//! sees only its own household.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engawa_core::api::{Heartbeat, HeartbeatAnswer, PairingRequest, TokenRequest, codes};
use serde::Serialize;

use crate::AppState;
use crate::db::{BoxAuth, PairingRefusal, PollRefusal};
use crate::error::ApiError;
use crate::http::{ApiJson, ClientAddr, IdempotencyKey, box_api};

/// Every console route with who may use it: the console's own and each
/// slice's `ACCESS`, for the console's guard.
pub fn access_table() -> Vec<crate::console::access::Access> {
    [
        crate::console::ACCESS,
        crate::shop::console::ACCESS,
        crate::watch::console::ACCESS,
        crate::ride::console::ACCESS,
        crate::disaster::console::ACCESS,
        crate::platform::console::ACCESS,
    ]
    .concat()
}

pub fn router(state: AppState) -> Router {
    crate::console::access::install(access_table());
    let boxes = box_api(
        Router::new()
            .route("/v1/pairing", post(start_pairing))
            .route("/v1/pairing/token", post(poll_pairing))
            .route("/v1/heartbeat", post(heartbeat))
            .route("/v1/me", get(me)),
    );
    boxes
        .merge(crate::shop::router())
        .merge(crate::watch::router())
        .merge(crate::ride::router())
        .merge(crate::disaster::router())
        .merge(crate::console::router())
        .merge(crate::platform::console::router())
        .merge(crate::city::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::console::access::guard,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::city::auth::guard,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::admit,
        ))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                "見つかりませんでした。",
            )
        })
        .with_state(state)
}

/// Serials and version strings: letters, digits and `. _ + -` only.
fn check_ident(field: &'static str, value: &str, max: usize) -> Result<(), ApiError> {
    let ok = (1..=max).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
    if !ok {
        tracing::info!(field, "refused an identifier");
        return Err(ApiError::bad_request(
            codes::INVALID_INPUT,
            "送られた内容を 読めませんでした。",
        ));
    }
    Ok(())
}

fn created<T: Serialize>(body: T) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// A box without credentials (RFC 8628 device authorization request). Not
/// idempotency-keyed on purpose: a retry just gets a fresh code, and the unused
/// one expires.
async fn start_pairing(
    State(s): State<AppState>,
    from: ClientAddr,
    ApiJson(req): ApiJson<PairingRequest>,
) -> Result<Response, ApiError> {
    check_ident("serial", &req.serial, 40)?;
    check_ident("software_version", &req.software_version, 40)?;
    let grant =
        s.db.start_pairing(
            &req.serial,
            &req.software_version,
            &from.key(),
            s.clock.now(),
        )
        .await?;
    match grant {
        Ok(grant) => {
            // The code itself is a credential until approved: not logged at info.
            tracing::info!(serial = %req.serial, "pairing requested");
            tracing::debug!(user_code = %grant.user_code, "pairing code issued");
            Ok(created(grant))
        }
        Err(PairingRefusal::TooMany) => {
            tracing::warn!(source = %from.key(), "too many pairing requests from one address");
            Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::TOO_MANY_ATTEMPTS,
                "しばらく してから もう一度 ためします。",
            ))
        }
    }
}

async fn poll_pairing(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Response, ApiError> {
    check_ident("device_code", &req.device_code, 64)?;
    match s.db.poll_pairing(&req.device_code, s.clock.now()).await? {
        Ok(grant) => {
            tracing::info!(household = grant.household_id, "box paired; token issued");
            Ok(Json(grant).into_response())
        }
        Err(refusal) => {
            let (status, code, msg) = match refusal {
                PollRefusal::Pending => (
                    StatusCode::BAD_REQUEST,
                    codes::AUTHORIZATION_PENDING,
                    "センターの 登録を お待ちください。",
                ),
                PollRefusal::SlowDown => (
                    StatusCode::BAD_REQUEST,
                    codes::SLOW_DOWN,
                    "センターの 登録を お待ちください。",
                ),
                PollRefusal::Expired => (
                    StatusCode::BAD_REQUEST,
                    codes::EXPIRED_TOKEN,
                    "せつぞくコードの 期限が 切れました。",
                ),
                PollRefusal::AlreadyIssued => (
                    StatusCode::BAD_REQUEST,
                    codes::ALREADY_ISSUED,
                    "この せつぞくコードは もう 使われました。",
                ),
                PollRefusal::Unknown => return Err(ApiError::unauthorized()),
            };
            Err(ApiError::new(status, code, msg))
        }
    }
}

async fn heartbeat(
    State(s): State<AppState>,
    auth: BoxAuth,
    _: IdempotencyKey,
    ApiJson(hb): ApiJson<Heartbeat>,
) -> Result<Json<HeartbeatAnswer>, ApiError> {
    check_ident("software_version", &hb.software_version, 40)?;
    s.heartbeats
        .record(auth.box_id, &hb, s.clock.now())
        .await
        .map_err(|_| ApiError::busy())?;
    let (watch_version, alert_version) = s.db.box_versions(auth.household_id).await?;
    Ok(Json(HeartbeatAnswer {
        watch_version,
        alert_version,
    }))
}

#[derive(Serialize)]
struct Me {
    box_id: i64,
    household_id: i64,
}

async fn me(auth: BoxAuth) -> Json<Me> {
    Json(Me {
        box_id: auth.box_id,
        household_id: auth.household_id,
    })
}
