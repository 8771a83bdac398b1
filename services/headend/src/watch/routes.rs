//! Watch-over's box routes: `GET /v1/watch` (policy, contacts with their
//! family-page links, a pause set by family, family reminders) and
//! `POST /v1/watch/report` (the ladder's state, the rule in force, alerts,
//! refused mails).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use engawa_core::api::codes;
use engawa_watch::api::{CheckedReport, WatchConfig, WatchReport};

use crate::AppState;
use crate::db::BoxAuth;
use crate::error::ApiError;
use crate::http::{ApiJson, IdempotencyKey};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/watch", get(config))
        .route("/v1/watch/report", post(report))
}

async fn config(State(s): State<AppState>, auth: BoxAuth) -> Result<Json<WatchConfig>, ApiError> {
    Ok(Json(
        s.db.watch_config(auth.household_id, &s.public_url).await?,
    ))
}

async fn report(
    State(s): State<AppState>,
    auth: BoxAuth,
    _: IdempotencyKey,
    ApiJson(rep): ApiJson<WatchReport>,
) -> Result<StatusCode, ApiError> {
    let rep = CheckedReport::try_from(rep).map_err(|why| {
        tracing::info!(why, "refused a watch-over report");
        ApiError::bad_request(codes::INVALID_INPUT, "送られた内容を 読めませんでした。")
    })?;
    s.db.record_watch_report(auth.box_id, auth.household_id, rep.report())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
