//! Shared taxi box routes (`/v1/ride/...`, contract in `engawa_ride::api`).
//!
//! A quote places the request against today's plan for a few 15-minute pickup
//! windows and offers up to three; nothing is reserved. A booking places the
//! chosen window again inside one write transaction (a seat taken meanwhile is
//! `no_longer_possible`, with fresh offers a quote away). Every promise is a
//! time window of the plan, so no later booking can break it. Every refusal is
//! logged with its reason for the operator.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Timelike, Utc};
use engawa_core::api::codes as core_codes;
use engawa_core::{TOKYO, Yen};
use engawa_ride::api::{BookRequest, Booking, Place, Places, Quote, RideRequest, codes, hhmm};
use engawa_ride::booking::{self, Channel, Refusal};

use crate::AppState;
use crate::db::BoxAuth;
use crate::error::ApiError;
use crate::http::{ApiJson, IdempotencyKey};
use crate::ride::db::{BookOutcome, BookingAsk, KnownPlace, RideRow, Rider, Zones};

pub use engawa_ride::booking::{LEAD, WINDOW};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/ride/places", get(places))
        .route("/v1/ride/quote", post(quote))
        .route("/v1/ride/bookings", get(bookings).post(book))
        .route("/v1/ride/bookings/{id}/cancel", post(cancel))
}

fn today(now: DateTime<Utc>) -> (String, i64) {
    let l = now.with_timezone(&TOKYO);
    (
        l.date_naive().to_string(),
        i64::from(l.hour() * 60 + l.minute()),
    )
}

fn refuse(status: StatusCode, code: &'static str, msg: String) -> ApiError {
    ApiError::new(status, code, msg)
}

/// A refusal decided by `engawa_ride::booking`, as the box hears it: logged
/// for the operator (most are), then answered with its code and words.
async fn refused(s: &AppState, household: i64, r: Refusal) -> Result<ApiError, ApiError> {
    if r.logged() {
        s.db.log_ride_refusal(household, r.code(), &r.detail(), s.clock.now())
            .await?;
    }
    let status = match r {
        Refusal::NotRegistered | Refusal::NotEligible { .. } => StatusCode::FORBIDDEN,
        Refusal::NoLongerPossible { .. } => StatusCode::CONFLICT,
        Refusal::Unreadable => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(refuse(status, r.code(), r.message_ja()))
}

/// A refusal as the handler's error.
async fn refusal<T>(s: &AppState, household: i64, r: Refusal) -> Result<T, ApiError> {
    Err(refused(s, household, r).await?)
}

/// Who asks from a box: the resident on their TV.
fn tv(auth: &BoxAuth) -> Channel {
    Channel::Tv {
        box_id: auth.box_id,
    }
}

/// The household as the taxi sees it (no household: not registered).
async fn rider(s: &AppState, household: i64) -> Result<Rider, ApiError> {
    match s.db.rider(household).await? {
        Some(r) => Ok(r),
        None => refusal(s, household, Refusal::NotRegistered).await,
    }
}

/// What a decision about a household's request reads besides the day.
struct Asking {
    rider: Rider,
    places: Vec<KnownPlace>,
    zones: Zones,
    fares: crate::ride::db::Fares,
}

impl Asking {
    async fn of(s: &AppState, household: i64) -> Result<Asking, ApiError> {
        Ok(Asking {
            rider: rider(s, household).await?,
            places: s.db.places_for(household).await?,
            zones: s.db.zones().await?,
            fares: s.db.fares().await?,
        })
    }

    fn request<'a>(
        &'a self,
        channel: &'a Channel,
        from: Option<i64>,
        to: Option<i64>,
        people: u8,
    ) -> booking::Request<'a> {
        booking::Request {
            channel,
            rider: &self.rider,
            places: &self.places,
            zones: &self.zones,
            from,
            to,
            people,
        }
    }
}

async fn places(State(s): State<AppState>, auth: BoxAuth) -> Result<Response, ApiError> {
    let a = Asking::of(&s, auth.household_id).await?;
    let fare = match booking::fare(&a.fares, &a.rider, &tv(&auth)) {
        Ok(f) => f,
        Err(r) => return refusal(&s, auth.household_id, r).await,
    };
    let (day, _) = today(s.clock.now());
    let (open, close) = s.db.ride_day(&day).await?.plan().hours().unwrap_or((0, 0));
    let places = a
        .places
        .into_iter()
        .filter(|p| a.zones.allows(&a.rider.district, &p.district))
        .map(|p| Place {
            id: p.id,
            name: p.name,
            kind: p.kind,
            favourite: p.favourite,
        })
        .collect();
    Ok(Json(Places {
        places,
        opens: hhmm(open),
        closes: hhmm(close),
        fare_yen: fare,
    })
    .into_response())
}

/// One pass of the background improvement of today's plan: rides not yet
/// picked up are moved where the day's driving is shorter, every promise kept
/// (see `Day::improve`). The better plan is written only if no booking or
/// cancellation came meanwhile. Returns the driving minutes before and after
/// when the plan changed.
pub async fn improve_today(s: &AppState, rounds: usize) -> Result<Option<(f64, f64)>, sqlx::Error> {
    let now = s.clock.now();
    let (day, now_min) = today(now);
    let state = s.db.ride_day(&day).await?;
    if state.rides.is_empty() {
        return Ok(None);
    }
    let travel = s.travel.clone();
    let from = state.routes.clone();
    let seed = now.timestamp().unsigned_abs();
    let found = tokio::task::spawn_blocking(move || {
        state.plan().day().improve(now_min, &*travel, rounds, seed)
    })
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("improvement task failed: {e}")))?;
    let Some((better, before, after)) = found else {
        return Ok(None);
    };
    if !s.db.replace_plan(&day, &from, &better).await? {
        tracing::debug!(day, "plan changed meanwhile; improvement dropped");
        return Ok(None);
    }
    tracing::info!(day, before, after, "taxi plan improved");
    Ok(Some((before, after)))
}

/// Improve today's plan every `every`, for as long as the server runs.
pub async fn run_improver(
    s: AppState,
    every: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(e) = improve_today(&s, 300).await {
            tracing::error!(error = %e, "taxi plan improvement failed");
        }
    }
}

async fn quote(
    State(s): State<AppState>,
    auth: BoxAuth,
    ApiJson(req): ApiJson<RideRequest>,
) -> Result<Response, ApiError> {
    Ok(Json(quote_for(&s, auth.household_id, &tv(&auth), &req).await?).into_response())
}

/// Offers for a household's request, from its TV or by the operator on the
/// phone (decided by `engawa_ride::booking::quote`).
pub async fn quote_for(
    s: &AppState,
    household: i64,
    channel: &Channel,
    req: &RideRequest,
) -> Result<Quote, ApiError> {
    let a = Asking::of(s, household).await?;
    let (day, now) = today(s.clock.now());
    let state = s.db.ride_day(&day).await?.plan();
    let ask = a.request(channel, req.from, req.to, req.people);
    match booking::quote(&state, &a.fares, &ask, &req.when, now, &*s.travel) {
        Ok(offers) => Ok(Quote { offers }),
        Err(r) => refusal(s, household, r).await,
    }
}

fn booking(r: &RideRow) -> Booking {
    Booking {
        id: r.id,
        from_name: r.from_name.clone(),
        to_name: r.to_name.clone(),
        people: r.people as u8,
        pickup_from: hhmm(r.pickup_from),
        pickup_to: hhmm(r.pickup_to),
        arrive_at: hhmm(r.arrive_at),
        arrive_by: r.ride.arrive_by.map(hhmm),
        fare_yen: Yen(r.fare_yen),
        state: r.state.clone(),
    }
}

async fn book(
    State(s): State<AppState>,
    auth: BoxAuth,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(req): ApiJson<BookRequest>,
) -> Result<Response, ApiError> {
    let (replay, b) = book_for(&s, auth.household_id, &tv(&auth), &key, &req).await?;
    let status = if replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(b)).into_response())
}

/// Book an offer for a household, from its TV or by the operator on the
/// phone: (a replay of the key?, the booking). The decision
/// (`engawa_ride::booking::book`) runs inside the write transaction against
/// the day as it is then.
pub async fn book_for(
    s: &AppState,
    household: i64,
    channel: &Channel,
    key: &str,
    req: &BookRequest,
) -> Result<(bool, Booking), ApiError> {
    let a = Asking::of(s, household).await?;
    let (day, now) = today(s.clock.now());
    if let Some(there) = req.return_of {
        let today_rides = s.db.rides_of(household, &day).await?;
        if !today_rides
            .iter()
            .any(|r| r.id == there && r.state == "booked")
        {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                core_codes::NOT_FOUND,
                "行きの 予約が 見つかりません。",
            ));
        }
    }
    let body = serde_json::to_string(req).map_err(ApiError::internal)?;
    let ask = a.request(channel, req.from, req.to, req.people);
    let outcome =
        s.db.book_ride(
            &BookingAsk {
                box_id: channel.box_id(),
                household_id: household,
                day: &day,
                key,
                request: &body,
                return_of: req.return_of,
            },
            s.clock.now(),
            |rows| {
                booking::book(
                    &rows.plan(),
                    &a.fares,
                    &ask,
                    &req.pickup_from,
                    req.arrive_by.as_deref(),
                    now,
                    &*s.travel,
                )
            },
        )
        .await?;
    match outcome {
        Ok(BookOutcome::Booked(id)) | Ok(BookOutcome::Replay(id)) => {
            let replay = matches!(outcome, Ok(BookOutcome::Replay(_)));
            let row =
                s.db.ride(id)
                    .await?
                    .ok_or_else(|| ApiError::internal("ride vanished"))?;
            if !replay {
                match channel {
                    Channel::Tv { box_id } => {
                        tracing::info!(ride = id, household, box_id, pickup = %req.pickup_from, "ride booked");
                    }
                    Channel::Phone { operator } => {
                        tracing::info!(ride = id, household, %operator, pickup = %req.pickup_from, "ride booked by phone");
                    }
                }
            }
            Ok((replay, booking(&row)))
        }
        Ok(BookOutcome::KeyReused) => Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            engawa_shop::api::codes::KEY_REUSED,
            "送られた内容を 読めませんでした。".into(),
        )),
        Err(r) => refusal(s, household, r).await,
    }
}

async fn bookings(State(s): State<AppState>, auth: BoxAuth) -> Result<Response, ApiError> {
    // Only who may ride is needed here, not the places and zones of a request.
    let rider = rider(&s, auth.household_id).await?;
    if let Err(r) = booking::fare(&s.db.fares().await?, &rider, &tv(&auth)) {
        return refusal(&s, auth.household_id, r).await;
    }
    let (day, _) = today(s.clock.now());
    let list: Vec<Booking> =
        s.db.rides_of(auth.household_id, &day)
            .await?
            .iter()
            .map(booking)
            .collect();
    Ok(Json(list).into_response())
}

async fn cancel(
    State(s): State<AppState>,
    auth: BoxAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let now = s.clock.now();
    let (day, now_min) = today(now);
    let done =
        s.db.cancel_ride(auth.household_id, id, now, |r| {
            // Until the pickup window opens, on the day itself.
            r.pickup_from > now_min
                && s.clock.now().with_timezone(&TOKYO).date_naive().to_string() == day
        })
        .await?;
    match done {
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            core_codes::NOT_FOUND,
            "その 予約は 見つかりませんでした。",
        )),
        Some(Err(())) => Err(refuse(
            StatusCode::CONFLICT,
            codes::TOO_LATE_TO_CANCEL,
            "もう お迎えの 時間です。取り消すときは ケーブルテレビ局に お電話ください。".into(),
        )),
        Some(Ok(())) => {
            tracing::info!(ride = id, household = auth.household_id, "ride cancelled");
            let row =
                s.db.ride(id)
                    .await?
                    .ok_or_else(|| ApiError::internal("ride vanished"))?;
            Ok(Json(booking(&row)).into_response())
        }
    }
}
