//! The city platform's CAP routes: the headquarters' evacuation orders as
//! OASIS CAP 1.2 messages (an order, and its Cancel once lifted) and an
//! Atom feed of them, each within the client's municipality (or all, for a
//! platform-wide client). The messages are made from the campaign as stored,
//! each time: nothing to keep in step.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use engawa_disaster::cap::{self, FeedEntry, FeedHead, OrderFacts};
use engawa_disaster::policy::Hazard;

use super::CityAuth;
use crate::AppState;
use crate::disaster::db::CampaignRow;

pub const CAP_FEED_PATH: &str = "/city/v1/cap/alerts.atom";
/// How many orders the feed lists.
pub const FEED_ORDERS: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(CAP_FEED_PATH, get(feed))
        .route("/city/v1/cap/alerts/{id}", get(alert))
        .route("/city/v1/cap/alerts/{id}/cancel", get(cancel))
}

/// A city call that failed: RFC 9457 problem details.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "city call failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "the head-end could not answer; see its log",
    )
}

fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not Found", "no such order")
}

fn facts(s: &AppState, c: &CampaignRow, shelters: Vec<String>) -> Option<OrderFacts> {
    let Hazard::Order { order, danger } = c.hazard else {
        return None;
    };
    Some(OrderFacts {
        id: c.id,
        domain: s.mail_domain.to_string(),
        municipality_code: c.municipality.clone(),
        municipality_name: c.municipality_name.clone(),
        districts: c.districts.clone(),
        order,
        danger,
        drill: c.drill,
        issued_at: c.opened_at,
        lifted_at: c.closed_at,
        shelters,
        phone: None,
    })
}

fn message_url(s: &AppState, id: i64, cancel: bool) -> String {
    format!(
        "{}/city/v1/cap/alerts/{id}{}",
        s.public_url,
        if cancel { "/cancel" } else { "" }
    )
}

fn cap_xml(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn feed(State(s): State<AppState>, Extension(auth): Extension<CityAuth>) -> Response {
    let orders = match s
        .db
        .campaigns_in(&auth.scope(), None, true, FEED_ORDERS)
        .await
    {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
    let mut entries = Vec::new();
    for (c, shelters) in orders {
        let Some(f) = facts(&s, &c, shelters) else {
            continue;
        };
        for alert in f.messages() {
            let is_cancel = alert.msg_type == cap::MsgType::Cancel;
            entries.push(FeedEntry {
                url: message_url(&s, c.id, is_cancel),
                alert,
            });
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.alert.sent));
    let updated = entries
        .first()
        .map(|e| e.alert.sent.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| s.clock.now());
    let head = FeedHead {
        url: format!("{}{CAP_FEED_PATH}", s.public_url),
        title: "避難情報（災害対策本部）".into(),
        updated,
    };
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        cap::feed(&head, &entries),
    )
        .into_response()
}

async fn one(s: &AppState, auth: &CityAuth, id: &str) -> Result<OrderFacts, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(not_found());
    };
    let orders =
        s.db.campaigns_in(&auth.scope(), Some(id), true, 1)
            .await
            .map_err(internal)?;
    orders
        .into_iter()
        .next()
        .and_then(|(c, shelters)| facts(s, &c, shelters))
        .ok_or_else(not_found)
}

async fn alert(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    Path(id): Path<String>,
) -> Response {
    match one(&s, &auth, &id).await {
        Ok(f) => cap_xml(f.alert().to_xml()),
        Err(r) => r,
    }
}

async fn cancel(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    Path(id): Path<String>,
) -> Response {
    match one(&s, &auth, &id).await {
        Ok(f) => match f.cancel() {
            Some(c) => cap_xml(c.to_xml()),
            None => problem(
                StatusCode::NOT_FOUND,
                "Not Found",
                "the order has not been lifted",
            ),
        },
        Err(r) => r,
    }
}
