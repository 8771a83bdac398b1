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
use engawa_ride::api::{
    BookRequest, Booking, MAX_PEOPLE, Offer, Place, Places, Quote, RideRequest, When, codes, hhmm,
    minutes,
};
use engawa_ride::service::{Day, Ride, Routes};
use engawa_ride::travel::TravelTime;

use crate::AppState;
use crate::db::BoxAuth;
use crate::db::ride::{BookOutcome, Channel, DayState, NEW_RIDE, NewRide, RideRow, Rider};
use crate::error::ApiError;
use crate::http::{ApiJson, IdempotencyKey};

/// The pickup window promised: 15 minutes.
pub const WINDOW: i64 = 15;
/// The earliest pickup: this long after asking.
pub const LEAD: i64 = 15;
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

/// Log a refused request for the operator, then answer it: the error to return.
async fn refused(
    s: &AppState,
    household: i64,
    status: StatusCode,
    code: &'static str,
    detail: &str,
    msg: String,
) -> Result<ApiError, ApiError> {
    s.db.log_ride_refusal(household, code, detail, s.clock.now())
        .await?;
    Ok(refuse(status, code, msg))
}

/// 「午前10時15分」
fn time_words(m: i64) -> String {
    engawa_core::jp::minutes_spoken(m)
}

/// The operator books with box id 0 (by phone); anything else is the TV.
fn channel(auth: &BoxAuth) -> Channel {
    if auth.box_id == 0 {
        Channel::Phone
    } else {
        Channel::Tv
    }
}

/// The rider and their fare per person: registered, and in a category the
/// operator's fare table knows.
async fn rider(s: &AppState, auth: &BoxAuth) -> Result<(Rider, i64), ApiError> {
    let Some(r) =
        s.db.rider(auth.household_id)
            .await?
            .filter(|r| r.registered)
    else {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            codes::NOT_REGISTERED,
            "タクシーの 登録が ありません。ケーブルテレビ局に ご相談ください。".into(),
        ));
    };
    let fares = s.db.fares().await?;
    match fares.for_rider(&r.eligibility, channel(auth)) {
        Some(fare) => Ok((r, fare)),
        None => Err(refused(
            s,
            auth.household_id,
            StatusCode::FORBIDDEN,
            codes::NOT_ELIGIBLE,
            &format!("categories {:?}", r.eligibility),
            format!(
                "タクシーを 使う 区分（{} など）が まだ 登録されていません。\nケーブルテレビ局に ご相談ください。",
                fares.categories.first().map_or("65歳以上", |c| c.0.as_str())
            ),
        )
        .await?),
    }
}

/// Service hours: the vehicles' earliest and latest shift.
fn hours(day: &DayState) -> Option<(i64, i64)> {
    let open = day.vehicles.iter().map(|v| v.vehicle.shift.0).min()?;
    let close = day.vehicles.iter().map(|v| v.vehicle.shift.1).max()?;
    Some((open, close))
}

async fn places(State(s): State<AppState>, auth: BoxAuth) -> Result<Response, ApiError> {
    let (r, fare_yen) = rider(&s, &auth).await?;
    let (day, _) = today(s.clock.now());
    let state = s.db.ride_day(&day).await?;
    let (open, close) = hours(&state).unwrap_or((0, 0));
    let zones = s.db.zones().await?;
    let places =
        s.db.places_for(auth.household_id)
            .await?
            .into_iter()
            .filter(|p| zones.allows(&r.district, &p.district))
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
        fare_yen: Yen(fare_yen),
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
        let (vehicles, rides) = state.parts();
        Day {
            vehicles: &vehicles,
            rides: &rides,
            routes: &state.routes,
        }
        .improve(now_min, &*travel, rounds, seed)
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

/// A request made concrete: where from and to, how many.
struct Trip {
    from_place: Option<i64>,
    to_place: Option<i64>,
    from: (f64, f64),
    to: (f64, f64),
    people: u8,
    fare_yen: i64,
    needs: engawa_ride::service::Needs,
}

async fn trip(
    s: &AppState,
    auth: &BoxAuth,
    from: Option<i64>,
    to: Option<i64>,
    people: u8,
) -> Result<Trip, ApiError> {
    let (r, fare) = rider(s, auth).await?;
    if people == 0 || people > MAX_PEOPLE {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::TOO_MANY_PEOPLE,
            &format!("{people} people"),
            format!("ひとつの 予約で 乗れるのは {MAX_PEOPLE}人までです。"),
        )
        .await?);
    }
    if from == to {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::SAME_PLACE,
            &format!("{from:?} → {to:?}"),
            "行き先が 乗る場所と 同じです。".into(),
        )
        .await?);
    }
    let places = s.db.places_for(auth.household_id).await?;
    let place = |p: Option<i64>| match p {
        None => r.home.map(|h| (h, r.district.as_str())),
        Some(id) => places
            .iter()
            .find(|x| x.id == id)
            .map(|x| (x.at, x.district.as_str())),
    };
    let (Some((a, da)), Some((b, db))) = (place(from), place(to)) else {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::UNKNOWN_PLACE,
            &format!("{from:?} → {to:?}"),
            "その 場所には 行けません。ケーブルテレビ局に ご相談ください。".into(),
        )
        .await?);
    };
    if !s.db.zones().await?.allows(da, db) {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::OUTSIDE_AREA,
            &format!("{da} → {db}"),
            format!(
                "{da}から {db}へは タクシーの 区域の 外です。ケーブルテレビ局に ご相談ください。"
            ),
        )
        .await?);
    }
    let needs = crate::db::ride::needs_of(&r.needs, r.extra_minutes);
    let vehicles = s.db.vehicles().await?;
    let seats = vehicles
        .iter()
        .filter(|v| v.vehicle.wheelchair || !needs.wheelchair)
        .map(|v| v.vehicle.seats)
        .max();
    if !vehicles.is_empty() && seats.is_some_and(|m| m < i32::from(people)) {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::TOO_MANY_PEOPLE,
            &format!("{people} people, at most {} seats", seats.unwrap_or(0)),
            format!(
                "{people}人で 乗れる 車が ありません。{}人までで ご予約ください。",
                seats.unwrap_or(0)
            ),
        )
        .await?);
    }
    if needs.wheelchair && !vehicles.iter().any(|v| v.vehicle.wheelchair) {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::NO_SUITABLE_VEHICLE,
            "wheelchair",
            "車いすで 乗れる 車が ありません。ケーブルテレビ局に ご相談ください。".into(),
        )
        .await?);
    }
    Ok(Trip {
        from_place: from,
        to_place: to,
        from: a,
        to: b,
        people,
        fare_yen: fare * i64::from(people),
        needs,
    })
}

/// Offers for the pickup windows starting at `starts` (tried in that order),
/// at most `want`, arriving by `arrive_by` if given.
fn offers(
    state: &DayState,
    t: &Trip,
    starts: impl Iterator<Item = i64>,
    arrive_by: Option<i64>,
    now: i64,
    want: usize,
    travel: &dyn TravelTime,
) -> Vec<(Offer, Routes, f64)> {
    let (vehicles, rides) = state.parts();
    let day = Day {
        vehicles: &vehicles,
        rides: &rides,
        routes: &state.routes,
    };
    let ride = Ride {
        id: NEW_RIDE,
        from: t.from,
        to: t.to,
        people: i32::from(t.people),
        window: (0, WINDOW),
        arrive_by,
        needs: t.needs,
    };
    let mut out = Vec::new();
    let Some(mut placer) = day.placer(&ride, travel) else {
        return out;
    };
    for start in starts {
        if out.len() >= want {
            break;
        }
        if let Some(p) = placer.place((start, start + WINDOW), arrive_by, now) {
            out.push((
                Offer {
                    pickup_from: hhmm(start),
                    pickup_to: hhmm(start + WINDOW),
                    arrive_at: hhmm(p.arrive_at.ceil() as i64),
                    fare_yen: Yen(t.fare_yen),
                },
                p.routes,
                p.arrive_at,
            ));
        }
    }
    out
}

/// Pickup windows from `first` on, every 15 minutes, while one fits the day.
fn forward(first: i64, close: i64) -> impl Iterator<Item = i64> {
    (0..)
        .map(move |k| first + WINDOW * k)
        .take_while(move |s| s + WINDOW <= close)
}

/// The first pickup window to try: now + 15 minutes, on a 5-minute mark.
fn first_window(now: i64) -> i64 {
    (now + LEAD + 4) / 5 * 5
}

async fn quote(
    State(s): State<AppState>,
    auth: BoxAuth,
    ApiJson(req): ApiJson<RideRequest>,
) -> Result<Response, ApiError> {
    Ok(Json(quote_for(&s, auth, &req).await?).into_response())
}

/// Offers for a request (the box's, or the operator's on a rider's behalf).
pub async fn quote_for(s: &AppState, auth: BoxAuth, req: &RideRequest) -> Result<Quote, ApiError> {
    let t = trip(s, &auth, req.from, req.to, req.people).await?;
    let now = s.clock.now();
    let (day, now_min) = today(now);
    let state = s.db.ride_day(&day).await?;
    let Some((open, close)) = hours(&state) else {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::NO_SERVICE,
            "no vehicles",
            "きょうは タクシーが 動いていません。".into(),
        )
        .await?);
    };
    let earliest = first_window(now_min).max(open);
    let unreadable =
        || ApiError::bad_request(core_codes::INVALID_INPUT, "時刻を 読めませんでした。");
    if let When::ArriveBy(hm) = &req.when {
        let deadline = minutes(hm).filter(|m| m % 15 == 0).ok_or_else(unreadable)?;
        return arrive_by_offers(s, &auth, &state, &t, deadline, (earliest, close), now).await;
    }
    let start = match &req.when {
        When::At(hm) => minutes(hm).filter(|m| m % 15 == 0).ok_or_else(unreadable)?,
        _ => earliest,
    };
    if start < earliest || start + WINDOW > close {
        let detail = format!(
            "pickup {} outside {}–{}",
            hhmm(start),
            hhmm(earliest),
            hhmm(close)
        );
        let msg = if earliest + WINDOW > close {
            format!(
                "きょうの 受付は 終わりました（{}から {}まで）。",
                time_words(open),
                time_words(close)
            )
        } else {
            format!(
                "その 時間は えらべません。いちばん 早いのは {}ごろです。",
                time_words(earliest)
            )
        };
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::OUT_OF_HOURS,
            &detail,
            msg,
        )
        .await?);
    }
    let found = offers(
        &state,
        &t,
        forward(start, close),
        None,
        now_min,
        3,
        &*s.travel,
    );
    if found.is_empty() {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::FULLY_BOOKED,
            &format!("from {} on", hhmm(start)),
            format!(
                "{}から あとは いっぱいです。\nほかの 時間か、ケーブルテレビ局に お電話ください。",
                time_words(start)
            ),
        )
        .await?);
    }
    Ok(Quote {
        offers: found.into_iter().map(|o| o.0).collect(),
    })
}

/// 「病院に 9時30分までに」: the latest pickup windows that still arrive in time
/// (less waiting at the other end), up to three, earliest first.
async fn arrive_by_offers(
    s: &AppState,
    auth: &BoxAuth,
    state: &DayState,
    t: &Trip,
    deadline: i64,
    (earliest, close): (i64, i64),
    now: DateTime<Utc>,
) -> Result<Quote, ApiError> {
    let direct = s.travel.time(t.from, t.to);
    let latest = (deadline as f64 - direct - WINDOW as f64).floor() as i64 / 5 * 5;
    let now_min = today(now).1;
    if deadline > close || latest < earliest {
        let detail = format!("arrive by {}", hhmm(deadline));
        let soonest = earliest as f64 + WINDOW as f64 + direct;
        let soonest = ((soonest / 15.0).ceil() * 15.0) as i64;
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::OUT_OF_HOURS,
            &detail,
            if soonest + 15 > close {
                "きょうは もう 間に合いません。".to_string()
            } else {
                format!(
                    "その 時間には 間に合いません。いちばん 早く 着けるのは {}です。",
                    time_words(soonest)
                )
            },
        )
        .await?);
    }
    let starts = (0..)
        .map(|k| latest - WINDOW * k)
        .take_while(|st| *st >= earliest);
    let mut found = offers(state, t, starts, Some(deadline), now_min, 3, &*s.travel);
    if found.is_empty() {
        return Err(refused(
            s,
            auth.household_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::FULLY_BOOKED,
            &format!("arrive by {}", hhmm(deadline)),
            format!(
                "{}までに 着く 車は いっぱいです。\nほかの 時間か、ケーブルテレビ局に お電話ください。",
                time_words(deadline)
            ),
        )
        .await?);
    }
    found.reverse();
    Ok(Quote {
        offers: found.into_iter().map(|o| o.0).collect(),
    })
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
    let (replay, b) = book_for(&s, auth, &key, &req).await?;
    let status = if replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(b)).into_response())
}

/// Book an offer (the box's, or the operator's with `box_id` 0): (a replay of
/// the key?, the booking).
pub async fn book_for(
    s: &AppState,
    auth: BoxAuth,
    key: &str,
    req: &BookRequest,
) -> Result<(bool, Booking), ApiError> {
    let t = trip(s, &auth, req.from, req.to, req.people).await?;
    let Some(start) = minutes(&req.pickup_from) else {
        return Err(ApiError::bad_request(
            core_codes::INVALID_INPUT,
            "時刻を 読めませんでした。",
        ));
    };
    let arrive_by = match &req.arrive_by {
        None => None,
        Some(a) => Some(minutes(a).ok_or_else(|| {
            ApiError::bad_request(core_codes::INVALID_INPUT, "時刻を 読めませんでした。")
        })?),
    };
    let now = s.clock.now();
    let (day, now_min) = today(now);
    if let Some(there) = req.return_of {
        let today_rides = s.db.rides_of(auth.household_id, &day).await?;
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
    let outcome =
        s.db.book_ride(auth, &day, key, &body, now, |state| {
            if start < first_window(now_min) - 5 {
                return Err(());
            }
            let found = offers(
                state,
                &t,
                std::iter::once(start),
                arrive_by,
                now_min,
                1,
                &*s.travel,
            );
            match found.into_iter().next() {
                Some((offer, routes, arrive)) if offer.pickup_from == req.pickup_from => Ok((
                    NewRide {
                        from_place: t.from_place,
                        to_place: t.to_place,
                        people: i64::from(t.people),
                        pickup_from: start,
                        pickup_to: start + WINDOW,
                        arrive_at: arrive.ceil() as i64,
                        arrive_by,
                        fare_yen: t.fare_yen,
                        return_of: req.return_of,
                    },
                    routes,
                )),
                _ => Err(()),
            }
        })
        .await?;
    match outcome {
        Ok(BookOutcome::Booked(id)) | Ok(BookOutcome::Replay(id)) => {
            let replay = matches!(outcome, Ok(BookOutcome::Replay(_)));
            let row =
                s.db.ride(id)
                    .await?
                    .ok_or_else(|| ApiError::internal("ride vanished"))?;
            if !replay {
                tracing::info!(ride = id, household = auth.household_id, pickup = %hhmm(start), "ride booked");
            }
            Ok((replay, booking(&row)))
        }
        Ok(BookOutcome::KeyReused) => Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            engawa_shop::api::codes::KEY_REUSED,
            "送られた内容を 読めませんでした。".into(),
        )),
        Err(()) => Err(refused(
            s,
            auth.household_id,
            StatusCode::CONFLICT,
            codes::NO_LONGER_POSSIBLE,
            &format!("pickup {}", req.pickup_from),
            "その 時間は たったいま うまりました。もういちど えらんでください。".into(),
        )
        .await?),
    }
}

async fn bookings(State(s): State<AppState>, auth: BoxAuth) -> Result<Response, ApiError> {
    rider(&s, &auth).await?;
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
