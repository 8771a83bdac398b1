//! The disaster service's box routes: the stream of alert versions
//! (server-sent events), the alert to show, and the resident's answer
//! (paths in `engawa_disaster::api`).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use engawa_core::api::codes;
use engawa_disaster::api::{self, AlertNow, AnswerReceipt, AnswerRequest};
use futures_util::Stream;

use super::db::AnswerRefusal;
use crate::AppState;
use crate::db::BoxAuth;
use crate::error::ApiError;
use crate::http::{ApiJson, IdempotencyKey};

/// A comment this often keeps proxies and the box's own timer from
/// thinking the line dead.
pub const KEEP_ALIVE: Duration = Duration::from_secs(20);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(api::ALERT_STREAM_PATH, get(stream))
        .route(api::ALERT_PATH, get(alert))
        .route(api::ANSWER_PATH, post(answer))
}

async fn alert(State(s): State<AppState>, auth: BoxAuth) -> Result<Json<AlertNow>, ApiError> {
    Ok(Json(s.db.alert_now(auth.household_id).await?))
}

/// `alert` events carrying `{"version":N}`: the first at once, then one
/// whenever the household's municipality's version moves.
async fn stream(
    State(s): State<AppState>,
    auth: BoxAuth,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let municipality = s.db.household_municipality(auth.household_id).await?;
    let rx = s.alerts.subscribe();
    let closing = s.alerts.closing();
    // The hub may not have read the database yet (a fresh start).
    if !rx
        .borrow()
        .contains_key(municipality.as_deref().unwrap_or_default())
    {
        s.alerts.refresh(&s.db).await?;
    }
    let events = futures_util::stream::unfold(
        (rx, None::<i64>, municipality, closing),
        |(mut rx, last, m, closing)| async move {
            loop {
                let now = m
                    .as_deref()
                    .and_then(|m| rx.borrow_and_update().get(m).copied())
                    .unwrap_or(0);
                if last != Some(now) {
                    let event = Event::default()
                        .event("alert")
                        .data(format!("{{\"version\":{now}}}"));
                    return Some((Ok(event), (rx, Some(now), m, closing)));
                }
                tokio::select! {
                    changed = rx.changed() => if changed.is_err() { return None },
                    _ = closing.cancelled() => return None,
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

async fn answer(
    State(s): State<AppState>,
    auth: BoxAuth,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> Result<Json<AnswerReceipt>, ApiError> {
    match s.db.record_answer(auth, &key, &req, s.clock.now()).await? {
        Ok(receipt) => {
            tracing::info!(
                campaign = req.campaign_id,
                household = auth.household_id,
                answer = receipt.answer.as_str(),
                "安否 answer recorded"
            );
            Ok(Json(receipt))
        }
        Err(AnswerRefusal::UnknownCampaign) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            "見つかりませんでした。",
        )),
        Err(AnswerRefusal::KeyReused) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_INPUT,
            "送られた内容を 読めませんでした。",
        )),
    }
}
