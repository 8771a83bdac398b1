//! The shop's box routes (`/v1/shop/...`, contract in `engawa_shop::api`). Every
//! query is scoped to the household of the calling box's token: an order id of
//! another household is answered exactly like one that does not exist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engawa_core::api::codes as core_codes;
use engawa_shop::api::{OrderRequest, Settled, codes};
use engawa_shop::order::{self, CheckedOrder, Refusal};

use super::db::OrderRefusal;
use crate::AppState;
use crate::db::BoxAuth;
use crate::error::ApiError;
use crate::http::{ApiJson, IdempotencyKey, check_idempotency_key};
use crate::shop::catalogue::CATEGORIES;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/shop/catalogue", get(catalogue))
        .route("/v1/shop/orders", get(orders).post(place_order))
        .route("/v1/shop/orders/{id}/cancel", post(cancel_order))
        .route("/v1/shop/attempts/{key}/settle", post(settle))
        .route("/v1/shop/photos/{id}", get(photo))
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        core_codes::NOT_FOUND,
        "その 注文は 見つかりませんでした。",
    )
}

async fn catalogue(State(s): State<AppState>, auth: BoxAuth) -> Result<Response, ApiError> {
    let c = s.db.catalogue(auth.household_id, CATEGORIES).await?;
    Ok(Json(c).into_response())
}

async fn orders(State(s): State<AppState>, auth: BoxAuth) -> Result<Response, ApiError> {
    let list = s.db.orders_for(auth.household_id, s.clock.now()).await?;
    Ok(Json(list).into_response())
}

async fn place_order(
    State(s): State<AppState>,
    auth: BoxAuth,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(req): ApiJson<OrderRequest>,
) -> Result<Response, ApiError> {
    let body = serde_json::to_string(&req).map_err(ApiError::internal)?;
    let hash = crate::secret::hash(&body);
    let order = CheckedOrder::try_from(req).map_err(|why| {
        tracing::info!(%why, "refused an order request");
        ApiError::bad_request(
            core_codes::INVALID_INPUT,
            "注文の 内容を 読めませんでした。",
        )
    })?;
    let now = s.clock.now();
    let outcome =
        s.db.place_order(
            (auth.box_id, auth.household_id),
            &key,
            &hash,
            &order.item_ids(),
            now,
            |stock, rules| order::price(&order, stock, rules, now),
        )
        .await?;
    match outcome {
        Ok((order, replayed)) => {
            if replayed {
                tracing::info!(
                    order = order.id,
                    "order request replayed; same order answered"
                );
                Ok(Json(order).into_response())
            } else {
                tracing::info!(
                    order = order.id,
                    household = auth.household_id,
                    total = order.total_yen.0,
                    "order placed"
                );
                Ok((StatusCode::CREATED, Json(order)).into_response())
            }
        }
        Err(refusal) => Err(refusal_error(refusal)),
    }
}

fn refusal_error(r: OrderRefusal) -> ApiError {
    let conflict = |code, msg: &str, items: Vec<i64>| {
        let mut e = ApiError::new(StatusCode::CONFLICT, code, msg);
        e.items = items;
        e
    };
    match r {
        OrderRefusal::Refused(Refusal::OffSale(items)) => conflict(
            codes::ITEM_OFF_SALE,
            "売り切れに なった 品が あります。",
            items,
        ),
        OrderRefusal::Refused(Refusal::PriceChanged(items)) => conflict(
            codes::PRICE_CHANGED,
            "ねだんが かわった 品が あります。",
            items,
        ),
        OrderRefusal::NotRegistered => ApiError::new(
            StatusCode::FORBIDDEN,
            codes::NOT_REGISTERED,
            "買い物の お申し込みが ありません。お電話ください。",
        ),
        OrderRefusal::KeyReused => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::KEY_REUSED,
            "送られた内容を 読めませんでした。",
        ),
        OrderRefusal::KeyVoid => conflict(
            codes::KEY_VOID,
            "この 注文は 取り消し済みです。",
            Vec::new(),
        ),
        OrderRefusal::Refused(Refusal::NoDeliveryDay) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            core_codes::INTERNAL,
            "いまは お届けの 予定が ありません。お電話ください。",
        ),
    }
}

async fn cancel_order(
    State(s): State<AppState>,
    auth: BoxAuth,
    IdempotencyKey(_): IdempotencyKey,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    match s
        .db
        .cancel_order(auth.household_id, id, s.clock.now())
        .await?
    {
        None => Err(not_found()),
        Some(Ok(order)) => {
            tracing::info!(order = order.id, "order cancelled");
            Ok(Json(order).into_response())
        }
        Some(Err(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            codes::TOO_LATE,
            "しめきりを 過ぎたので 取り消せません。",
        )),
    }
}

async fn settle(
    State(s): State<AppState>,
    auth: BoxAuth,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = check_idempotency_key(&key)?;
    let order =
        s.db.settle_attempt((auth.box_id, auth.household_id), &key, s.clock.now())
            .await?;
    tracing::info!(placed = order.is_some(), "order attempt settled");
    Ok(Json(Settled { order }).into_response())
}

async fn photo(
    State(s): State<AppState>,
    _auth: BoxAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    match s.db.photo(id).await? {
        Some(png) => Ok((
            [
                (axum::http::header::CONTENT_TYPE, "image/png"),
                (axum::http::header::CACHE_CONTROL, "private, max-age=86400"),
            ],
            png,
        )
            .into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            core_codes::NOT_FOUND,
            "写真は ありません。",
        )),
    }
}
