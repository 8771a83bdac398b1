//! Console: タクシー — today's plan per vehicle as a printable driver's manifest
//! (time, pick up or set down, rider, address, phone, people, fare to collect),
//! the day's figures (bookings, success rate, passengers per vehicle-hour,
//! shared rides), every refused request with its reason, and the fleet and
//! places with forms to add them.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use engawa_core::{TOKYO, Yen};
use engawa_ride::api::hhmm;
use engawa_ride::booking::Channel;
use serde::Deserialize;

use crate::AppState;
use crate::checks;
use crate::console::access::{self, DRIVING, OFFICE, PLATFORM};
use crate::console::tokyo_today;
use crate::console::{
    CsrfForm, DayQuery, Operator, checked, csrf_field, day_form, day_of, page, try_db, try_page,
};
use crate::db::{Role, Scope, Session};
use crate::html::{Markup, err, html, ok};
use crate::ride::db::RideRow;
use crate::ride::figures::Figures;

/// Who may use the taxi's console pages (see `console::access`): a driver
/// sees today's manifest of their own car and records its stops. The cars,
/// places, fares and zones are the platform's for now (管理者 changes them).
pub(crate) const ACCESS: &[access::Access] = &[
    access::get("/console/ride", DRIVING),
    access::post("/console/ride/stop", DRIVING),
    access::get("/console/ride/setup", OFFICE),
    access::post("/console/ride/setup", PLATFORM),
    access::get("/console/ride/month", OFFICE),
    access::get("/console/ride/book", OFFICE),
    access::post("/console/ride/book", OFFICE),
    access::post("/console/ride/book/confirm", OFFICE),
    access::get("/console/ride/rider", OFFICE),
    access::post("/console/ride/rider", OFFICE),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/ride", get(plan))
        .route("/console/ride/setup", get(setup).post(add))
        .route("/console/ride/month", get(month))
        .route("/console/ride/stop", axum::routing::post(stop))
        .route("/console/ride/book", get(book_page).post(quote))
        .route("/console/ride/book/confirm", axum::routing::post(confirm))
        .route("/console/ride/rider", get(rider_page).post(save_rider))
}

fn refusal_words(code: &str) -> &str {
    match code {
        "too_many_people" => "人数が 多すぎる",
        "same_place" => "行き先が 同じ場所",
        "unknown_place" => "行けない 場所",
        "out_of_hours" => "受付時間の 外",
        "fully_booked" => "車が いっぱい",
        "no_longer_possible" => "予約の 直前に うまった",
        "no_service" => "車が 動いていない",
        "not_eligible" => "利用区分が ない",
        "outside_area" => "区域の 外",
        "no_suitable_vehicle" => "合う 車が ない",
        "unmet_no_show" => "乗れなかった（お客さまが 来なかった）",
        "unmet_late" => "乗れなかった（車が 間に合わなかった）",
        other => other,
    }
}

async fn plan(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<DayQuery>,
) -> Response {
    if session.role == Role::Driver {
        return driver_manifest(&s, &session).await;
    }
    let now = s.clock.now();
    let day: NaiveDate = day_of(&q, now);
    let key = day.to_string();
    let state = try_db!(s.db.ride_day(&key).await);
    let schedule = state.schedule(&*s.travel);
    // Figures of the day.
    let start = midnight(day).unwrap_or(now);
    let end = start + Duration::days(1);
    let all_refusals = try_db!(s.db.ride_refusals_between(start, end, &Scope::All).await);
    let cancelled = try_db!(s.db.cancelled_rides(&key).await);
    let refused = all_refusals.iter().filter(|r| !is_unmet(&r.2)).count();
    // The figures are the whole service's (the cars are shared for now); the
    // riders, their stops and the log only the login's municipality's.
    let figures = Figures::of_day(&state, &schedule, refused, cancelled, start);
    let scope = Scope::of(&session);
    let (refusals, town) = match &scope {
        Scope::All => (all_refusals, None),
        Scope::Town(_) => (
            try_db!(s.db.ride_refusals_between(start, end, &scope).await),
            Some(
                try_db!(s.db.households_in(&scope).await)
                    .into_iter()
                    .map(|h| h.id)
                    .collect::<std::collections::HashSet<i64>>(),
            ),
        ),
    };
    let shown = |r: &RideRow| town.as_ref().is_none_or(|t| t.contains(&r.household_id));
    // Ways there from home still without a way back: the rider phones when
    // ready (「帰りは あとで」).
    let open: Vec<_> = state
        .rides
        .iter()
        .filter(|r| shown(r))
        .filter(|r| r.from_place.is_none() && r.to_place.is_some())
        .filter(|r| !state.rides.iter().any(|b| b.return_of == Some(r.id)))
        .collect();
    let body = html! {
        (day_form("/console/ride", "運行日", day))
        table {
            (figures_head())
            (figures_row(html! { "この日" }, &figures))
        }
        @for (k, v) in state.vehicles.iter().enumerate() {
            (car_manifest(&session, &key, &state, v, schedule.get(k).cloned().unwrap_or_default(), &shown))
        }
        @if state.vehicles.is_empty() {
            (err("車が 登録されていません。「車と 場所」で 加えてください。"))
        }
        @if !open.is_empty() {
            h2 { "帰りが まだの 方" }
            table {
                tr { th { "お名前" } th { "電話" } th { "行き先" } th { "着く" } th {} }
                @for r in open {
                    tr {
                        td { (r.rider) " 様" } td { (r.phone) } td { (r.to_name) }
                        td { (hhmm(r.arrive_at)) "ごろ" }
                        td.noprint {
                            a href={ "/console/ride/book?household=" (r.household_id) "&return_of=" (r.id) } {
                                "帰りを 予約"
                            }
                        }
                    }
                }
            }
        }
        h2 { "お断りした・乗れなかった 依頼" }
        @if refusals.is_empty() {
            p { "ありません。" }
        } @else {
            table {
                tr { th { "時刻" } th { "世帯" } th { "理由" } th { "くわしく" } }
                @for (at, who, code, detail) in &refusals {
                    tr {
                        td { (at.with_timezone(&TOKYO).format("%H:%M")) } td { (who) }
                        td { (refusal_words(code)) } td { (detail) }
                    }
                }
            }
        }
        p.noprint {
            a href="/console/ride/book" { "電話で 予約" } " · "
            a href="/console/ride/setup" { "車と 場所" } " · "
            a href={ "/console/ride/month?month=" (day.format("%Y-%m")) } { "月の 数字" }
        }
    };
    page("タクシー", Some(&session), body).into_response()
}

/// One car's stops of the day, in order, with the buttons that record them.
fn car_manifest(
    session: &Session,
    key: &str,
    state: &crate::ride::db::DayRows,
    v: &crate::ride::db::VehicleRow,
    stops: Vec<((i64, bool), f64)>,
    shown: &dyn Fn(&RideRow) -> bool,
) -> Markup {
    html! {
    h2 {
        (v.name) " （" (v.vehicle.seats) "席、" (hhmm(v.vehicle.shift.0)) "〜"
        (hhmm(v.vehicle.shift.1)) "）"
    }
    @if stops.is_empty() {
        p { "予約は ありません。" }
    } @else {
        table {
            tr {
                th { "時刻" } th {} th { "お名前" } th { "場所" } th { "電話" } th { "人数" }
                th { "料金" } th { "記録" }
            }
            @for ((id, drop), t) in stops {
                @if let Some(r) = state.rides.iter().find(|r| r.id == id && shown(r)) {
                    @let place = if drop { &r.to_name } else { &r.from_name };
                    @let place = if place == "家" { &r.address } else { place };
                    tr {
                        td { (hhmm(t.round() as i64)) }
                        td { (if drop { "おろす" } else { "お迎え" }) }
                        td {
                            (r.rider) " 様"
                            @if !r.needs.is_empty() { br; b { "【" (r.needs) "】" } }
                        }
                        td { (place) }
                        td { (r.phone) }
                        td.n { (r.people) "人" }
                        td.n { @if !drop { (Yen(r.fare_yen).to_ja()) " 請求済み" } }
                        td { (record_cell(session, key, r, drop)) }
                    }
                }
            }
        }
    }
    }
}

/// A driver's page: today's stops of their own car, nothing else.
async fn driver_manifest(s: &AppState, session: &Session) -> Response {
    let today = tokyo_today(s.clock.now());
    let key = today.to_string();
    let state = try_db!(s.db.ride_day(&key).await);
    let schedule = state.schedule(&*s.travel);
    let mine = state
        .vehicles
        .iter()
        .position(|v| Some(v.id) == session.vehicle_id);
    let body = html! {
        p { (today.format("%-m月%-d日")) "の 運行表" }
        @match mine {
            Some(k) => (car_manifest(session, &key, &state, &state.vehicles[k], schedule.get(k).cloned().unwrap_or_default(), &|_| true)),
            None => (err("この ログインの 車が 見つかりません。センターに お電話ください。")),
        }
    };
    page("運行表", Some(session), body).into_response()
}

/// Whether `ride` is a stop of `vehicle_id`'s car today (a driver records
/// only their own).
async fn on_my_car(s: &AppState, vehicle_id: Option<i64>, ride: i64) -> Result<bool, sqlx::Error> {
    let key = tokyo_today(s.clock.now()).to_string();
    let state = s.db.ride_day(&key).await?;
    let schedule = state.schedule(&*s.travel);
    Ok(state
        .vehicles
        .iter()
        .position(|v| Some(v.id) == vehicle_id)
        .and_then(|k| schedule.get(k))
        .is_some_and(|stops| stops.iter().any(|((id, _), _)| *id == ride)))
}

/// The log's entries for booked rides the car did not serve.
fn is_unmet(code: &str) -> bool {
    code.starts_with("unmet_")
}

/// The heading row of a table of [`figures_row`]s.
fn figures_head() -> Markup {
    html! {
        tr {
            th {} th { "予約" } th { "取り消し" } th { "お断り" } th { "予約できた 割合" }
            th { "乗った人" } th { "1台1時間あたり" } th { "相乗りの 割合" } th { "時間どおりの 割合" }
            th { "乗れなかった" }
        }
    }
}

fn figures_row(label: Markup, f: &Figures) -> Markup {
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |p| format!("{p:.0} %"));
    html! {
        tr {
            td { (label) }
            td.n { (f.booked) }
            td.n { (f.cancelled) }
            td.n { (f.refused) }
            td.n { (pct(f.success_pct())) }
            td.n { (f.passengers) "人" }
            td.n { (f.per_vehicle_hour().map_or("—".to_string(), |v| format!("{v:.1}人"))) }
            td.n { (pct(f.shared_pct())) }
            td.n { (pct(f.on_time_pct())) "（記録 " (f.recorded) "件）" }
            td.n { (f.unmet) }
        }
    }
}

/// The start of a Tokyo day.
fn midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    TOKYO
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The manifest's record column: the time the driver recorded, or (on a
/// tablet) the button that records it now.
fn record_cell(session: &Session, day: &str, r: &RideRow, drop: bool) -> Markup {
    match r.unmet.as_deref() {
        Some("no_show") => return html! { "乗れなかった（来なかった）" },
        Some(_) => return html! { "乗れなかった（間に合わなかった）" },
        None => {}
    }
    let at = if drop { r.dropped_at } else { r.picked_up_at };
    let button = |unmet: &str, words: &str| {
        html! {
            form.noprint method="post" action="/console/ride/stop" {
                (csrf_field(session))
                input type="hidden" name="ride" value=(r.id);
                input type="hidden" name="drop" value=(u8::from(drop));
                input type="hidden" name="unmet" value=(unmet);
                input type="hidden" name="day" value=(day);
                button type="submit" { (words) }
            }
        }
    };
    match at {
        Some(t) => html! {
            (t.with_timezone(&TOKYO).format("%H:%M")) " " (if drop { "おりた" } else { "乗った" })
        },
        None if drop => button("", "おりた"),
        None => html! {
            (button("", "乗った"))
            (button("no_show", "来なかった"))
            (button("late", "間に合わなかった"))
        },
    }
}

#[derive(Deserialize)]
struct StopForm {
    ride: i64,
    drop: u8,
    day: String,
    /// `no_show` or `late`: the ride was not served.
    #[serde(default)]
    unmet: String,
}

/// The driver taps 乗った / おりた on the manifest: the time is recorded once.
async fn stop(State(s): State<AppState>, CsrfForm(session, f): CsrfForm<StopForm>) -> Response {
    let drop = f.drop == 1;
    let now = s.clock.now();
    let allowed = match session.role {
        Role::Driver => try_db!(on_my_car(&s, session.vehicle_id, f.ride).await),
        _ => match try_db!(s.db.ride_household(f.ride).await) {
            Some(h) => try_db!(mine(&s, &session, h).await),
            None => true, // nothing to record; the handler says so
        },
    };
    if !allowed {
        tracing::warn!(operator = %session.operator, ride = f.ride, "a stop of another car or municipality refused");
        return (
            axum::http::StatusCode::FORBIDDEN,
            page(
                "受け付けられません",
                Some(&session),
                err("ほかの 車の 記録は できません。"),
            ),
        )
            .into_response();
    }
    let found = match f.unmet.as_str() {
        "" => try_db!(s.db.record_ride_stop(f.ride, drop, now).await),
        why @ ("no_show" | "late") if !drop => try_db!(s.db.record_unmet(f.ride, why, now).await),
        _ => false,
    };
    tracing::info!(operator = %session.operator, ride = f.ride, drop, unmet = %f.unmet, found, "ride stop recorded");
    let day = f
        .day
        .parse::<NaiveDate>()
        .map(|d| d.to_string())
        .unwrap_or_default();
    Redirect::to(&format!("/console/ride?day={day}")).into_response()
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

/// The month's figures, day by day, and the month's total.
async fn month(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<MonthQuery>,
) -> Response {
    let now = s.clock.now();
    let first = q
        .month
        .as_deref()
        .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .unwrap_or_else(|| {
            let today = now.with_timezone(&TOKYO).date_naive();
            today.with_day(1).unwrap_or(today)
        });
    let mut days = Vec::new();
    let mut total = Figures::default();
    let mut day = first;
    while day.month() == first.month() {
        let key = day.to_string();
        let state = try_db!(s.db.ride_day(&key).await);
        let cancelled = try_db!(s.db.cancelled_rides(&key).await);
        let start = midnight(day).unwrap_or(now);
        let refused = try_db!(
            s.db.ride_refusals_between(start, start + Duration::days(1), &Scope::All)
                .await
        )
        .iter()
        .filter(|r| !is_unmet(&r.2))
        .count();
        if !state.rides.is_empty() || cancelled > 0 || refused > 0 {
            let schedule = state.schedule(&*s.travel);
            let f = Figures::of_day(&state, &schedule, refused, cancelled, start);
            total += f.clone();
            days.push((day, f));
        }
        day += Duration::days(1);
    }
    let body = html! {
        form.noprint method="get" action="/console/ride/month" {
            label for="month" { "月" }
            input id="month" type="month" name="month" value=(first.format("%Y-%m"));
            " "
            button type="submit" { "表示" }
        }
        table {
            (figures_head())
            @for (day, f) in &days {
                (figures_row(html! { a href={ "/console/ride?day=" (day) } { (day.format("%-m月%-d日")) } }, f))
            }
            (figures_row(html! { "月の 合計" }, &total))
        }
        p {
            "時間どおり: 運転手が 「乗った」を 記録した 予約のうち、お迎えの 時間内に 乗り、"
            "着く 約束の ある 予約は その 時刻までに おりた 割合。"
        }
    };
    page("タクシー ＞ 月の 数字", Some(&session), body).into_response()
}

async fn setup(State(s): State<AppState>, Operator(session): Operator) -> Response {
    setup_page(&s, &session, html! {}).await
}

async fn setup_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let vehicles = try_db!(s.db.vehicles().await);
    let places = try_db!(s.db.places_for(0).await);
    let fares = try_db!(s.db.fares().await);
    let zones = try_db!(s.db.zones().await);
    // A form of the setup page: what it changes, and its fields.
    let setup_form = |class: &str, what: &str, fields: Markup| {
        html! {
            form class=[(!class.is_empty()).then_some(class)] method="post" action="/console/ride/setup" {
                (csrf_field(session))
                input type="hidden" name="what" value=(what);
                (fields)
            }
        }
    };
    let body = html! {
        (message)
        h2 { "車" }
        table {
            tr { th { "番号" } th { "名前" } th { "席" } th { "車いす" } th { "時間" } th { "車庫" } }
            @for v in &vehicles {
                tr {
                    td.n { (v.id) } td { (v.name) } td.n { (v.vehicle.seats) }
                    td { (if v.vehicle.wheelchair { "○" } else { "—" }) }
                    td { (hhmm(v.vehicle.shift.0)) "〜" (hhmm(v.vehicle.shift.1)) }
                    td { (format!("{:.4}, {:.4}", v.vehicle.depot.0, v.vehicle.depot.1)) }
                }
            }
        }
        (setup_form("box", "vehicle", html! {
            p { label for="v-name" { "名前" } input id="v-name" name="name" required maxlength="30"; }
            p {
                label for="v-seats" { "席" }
                input id="v-seats" name="seats" value="3" size="3";
                " "
                input type="checkbox" id="v-wc" name="wheelchair" value="1";
                " " label for="v-wc" { "車いすの 席が ある" }
            }
            p {
                label for="v-from" { "時間" }
                input id="v-from" name="from" type="time" value="08:00";
                " 〜 "
                input name="to" type="time" value="17:00" aria-label="おわり";
            }
            p {
                label for="v-at" { "車庫（緯度,経度）" }
                input id="v-at" name="at" placeholder="35.6110,137.9350" size="24";
            }
            p { button type="submit" { "車を 加える" } }
        }))
        h2 { "場所" }
        table {
            tr { th { "番号" } th { "名前" } th { "種類" } th { "地区" } th { "緯度,経度" } }
            @for p in &places {
                tr {
                    td.n { (p.id) } td { (p.name) } td { (p.kind) }
                    td { (if p.district.is_empty() { "（どこからでも）" } else { &p.district }) }
                    td { (format!("{:.4}, {:.4}", p.at.0, p.at.1)) }
                }
            }
        }
        (setup_form("box", "place", html! {
            p { label for="p-name" { "名前" } input id="p-name" name="name" required maxlength="30"; }
            p { label for="p-kind" { "種類" } input id="p-kind" name="kind" placeholder="病院" maxlength="10"; }
            p { label for="p-at" { "緯度,経度" } input id="p-at" name="at" placeholder="35.6050,137.9420" size="24"; }
            p {
                label for="p-district" { "地区" }
                input id="p-district" name="district" placeholder="空なら どの 地区からでも" maxlength="40";
            }
            p { button type="submit" { "場所を 加える" } }
        }))
        h2 { "利用区分と 料金" }
        table {
            tr { th { "区分" } th { "1人 1回" } th {} }
            @for (name, fare) in &fares.categories {
                tr {
                    td { (name) } td.n { (fare.to_ja()) }
                    td {
                        (setup_form("", "remove-category", html! {
                            input type="hidden" name="name" value=(name);
                            button type="submit" { "区分を 消す" }
                        }))
                    }
                }
            }
        }
        p { "どれかの 区分に ある 人が 乗れます。区分が いくつか ある 人は いちばん 安い 料金です。" }
        (setup_form("box", "category", html! {
            p {
                label for="c-name" { "区分" }
                input id="c-name" name="name" required maxlength="20" placeholder="免許返納";
            }
            p { label for="c-fare" { "1人 1回（円）" } input id="c-fare" name="fare" size="6" value="500"; }
            p { button type="submit" { "区分を 加える・料金を 変える" } }
        }))
        (setup_form("box", "discount", html! {
            input type="hidden" name="name" value="tv";
            p {
                label for="c-tv" { "テレビで 予約すると 1人 1回" }
                input id="c-tv" name="fare" size="6" value=(fares.tv_discount.0);
                " 円 安く"
            }
            p { button type="submit" { "変える" } }
        }))
        h2 { "区域" }
        @if zones.links.is_empty() {
            p { "つながりが ないので、区域全体が ひとつです。" }
        } @else {
            p { "同じ 地区の 中と、つながった 地区の 間を 走ります。" }
            table {
                tr { th { "地区" } th { "地区" } th {} }
                @for (a, b) in &zones.links {
                    tr {
                        td { (a) } td { (b) }
                        td {
                            (setup_form("", "unlink", html! {
                                input type="hidden" name="name" value=(a);
                                input type="hidden" name="district" value=(b);
                                button type="submit" { "つながりを 消す" }
                            }))
                        }
                    }
                }
            }
        }
        (setup_form("box", "link", html! {
            p {
                label for="z-a" { "地区" }
                input id="z-a" name="name" required maxlength="40" placeholder="北部";
                " ↔ "
                input name="district" required maxlength="40" placeholder="中心部" aria-label="つなぐ 地区";
            }
            p { button type="submit" { "地区を つなぐ" } }
        }))
    };
    page("タクシー ＞ 車と 場所", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct AddForm {
    what: String,
    name: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    fare: String,
    wheelchair: Option<String>,
}

async fn add(State(s): State<AppState>, CsrfForm(session, f): CsrfForm<AddForm>) -> Response {
    let message = match change_setup(&s, &f).await {
        Ok(Ok(done)) => {
            tracing::info!(operator = %session.operator, what = %f.what, "taxi setup changed");
            ok(&done)
        }
        Ok(Err(why)) => err(&format!("{} 何も 変えていません。", why.ja)),
        Err(e) => {
            tracing::error!(error = %e, "taxi setup not saved");
            err("保存できませんでした。もう一度 おためしください。")
        }
    };
    setup_page(&s, &session, message).await
}

/// One change to the taxi's setup (a vehicle, a place, a fare category, the
/// TV discount, a zone link), checked as the command line checks it: what was
/// done, or why nothing was.
async fn change_setup(
    s: &AppState,
    f: &AddForm,
) -> Result<Result<String, checks::Refused>, sqlx::Error> {
    let refused = |field, ja: &str| checks::Refused::new(field, ja, ja);
    Ok(Ok(match f.what.as_str() {
        "vehicle" => {
            let (name, vehicle) = match checks::vehicle(
                &f.name,
                &f.seats,
                &f.from,
                &f.to,
                &f.at,
                f.wheelchair.is_some(),
            ) {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            s.db.add_vehicle(&name, &vehicle).await?;
            format!("{name} を 加えました。")
        }
        "place" => {
            let p = match checks::place(&f.name, &f.kind, &f.at, &f.district) {
                Ok(p) => p,
                Err(why) => return Ok(Err(why)),
            };
            s.db.add_place(&p.name, &p.kind, p.at, &p.district).await?;
            format!("{} を 加えました。", p.name)
        }
        "category" => {
            let (name, fare) = match checks::category(&f.name)
                .and_then(|n| Ok((n, checks::fare("fare", &f.fare)?)))
            {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            s.db.set_category(&name, fare).await?;
            format!("{name}: 1人 1回 {}。", Yen(fare).to_ja())
        }
        "remove-category" => {
            if !s.db.remove_category(f.name.trim()).await? {
                return Ok(Err(refused("name", "その 区分は ありません。")));
            }
            format!("区分「{}」を 消しました。", f.name.trim())
        }
        "discount" => {
            let y = match checks::fare("fare", &f.fare) {
                Ok(y) => y,
                Err(why) => return Ok(Err(why)),
            };
            s.db.set_tv_discount(y).await?;
            format!(
                "テレビで 予約すると 1人 1回 {} 安く なります。",
                Yen(y).to_ja()
            )
        }
        "link" | "unlink" => {
            let (a, b) = match checks::zone_pair(&f.name, &f.district) {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            let link = f.what == "link";
            s.db.link_zones(&a, &b, link).await?;
            let words = if link {
                "つなぎました"
            } else {
                "つながりを 消しました"
            };
            format!("{a} と {b} を {words}。")
        }
        _ => return Ok(Err(refused("what", "何を 加えるか わかりません。"))),
    }))
}

// ---- a rider's profile: eligibility and needs ------------------------------

/// Needs the form offers as boxes; anything else goes in 「その他」.
const NEEDS: [&str; 4] = ["車いす", "杖", "歩行器", "玄関まで介助"];

#[derive(Deserialize)]
struct RiderQuery {
    household: i64,
}

async fn rider_page(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<RiderQuery>,
) -> Response {
    rider_form(&s, &session, q.household, html! {}).await
}

/// Whether the login may book for and edit `household` (its municipality's).
async fn mine(s: &AppState, session: &Session, household: i64) -> Result<bool, sqlx::Error> {
    s.db.household_in(&Scope::of(session), household).await
}

async fn rider_form(s: &AppState, session: &Session, household: i64, message: Markup) -> Response {
    if !try_db!(mine(s, session, household).await) {
        return search(s, session, "").await;
    }
    let Some(rider) = try_db!(s.db.rider(household).await) else {
        return search(s, session, "").await;
    };
    let fares = try_db!(s.db.fares().await);
    let has: Vec<&str> = crate::ride::db::categories_of(&rider.eligibility).collect();
    let needs: Vec<&str> = crate::ride::db::categories_of(&rider.needs).collect();
    let other: Vec<&str> = needs
        .iter()
        .copied()
        .filter(|n| !NEEDS.contains(n))
        .collect();
    let body = html! {
        (message)
        p { b { (rider.name) } " 様" }
        form.box method="post" action="/console/ride/rider" {
            (csrf_field(session))
            input type="hidden" name="household" value=(household);
            fieldset {
                legend { "利用区分" }
                @for (k, (name, fare)) in fares.categories.iter().enumerate() {
                    p {
                        input type="checkbox" id={ "c" (k) } name={ "c" (k) } value=(name) checked[has.contains(&name.as_str())];
                        " "
                        label for={ "c" (k) } { (name) "（" (fare.to_ja()) "）" }
                    }
                }
            }
            fieldset {
                legend { "乗るときに 要ること" }
                @for (k, need) in NEEDS.iter().enumerate() {
                    p {
                        input type="checkbox" id={ "n" (k) } name={ "n" (k) } value=(need) checked[needs.contains(need)];
                        " "
                        label for={ "n" (k) } { (need) }
                    }
                }
                p {
                    label for="n-other" { "その他" }
                    input id="n-other" name="other" value=(other.join("、")) maxlength="30";
                }
                p {
                    label for="n-min" { "乗り降りに 足す 時間" }
                    select id="n-min" name="extra" {
                        @for m in [0, 3, 5, 10, 15, 20, 30] {
                            option value=(m) selected[m == rider.extra_minutes] { (m) "分" }
                        }
                    }
                }
            }
            p {
                button type="submit" { "保存する" } " "
                a href={ "/console/ride/book?household=" (household) } { "予約する" }
            }
        }
    };
    page("タクシー ＞ 利用者の 情報", Some(session), body).into_response()
}

/// Save a rider's categories (only the fare table's) and needs.
async fn save_rider(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let csrf = f.get("csrf").cloned().unwrap_or_default();
    let session = try_page!(checked(&s, &headers, &csrf).await);
    let Some(household) = f.get("household").and_then(|h| h.parse::<i64>().ok()) else {
        return search(&s, &session, "").await;
    };
    if !try_db!(mine(&s, &session, household).await) {
        return search(&s, &session, "").await;
    }
    let refuse = |m: &str| err(&format!("{m} 何も 変えていません。"));
    let fares = try_db!(s.db.fares().await);
    let categories: Vec<&str> = (0..fares.categories.len())
        .filter_map(|k| f.get(&format!("c{k}")))
        .map(String::as_str)
        .filter(|c| fares.categories.iter().any(|k| k.0 == *c))
        .collect();
    let chosen = (0..NEEDS.len())
        .filter_map(|k| f.get(&format!("n{k}")))
        .map(String::as_str)
        .filter(|n| NEEDS.contains(n));
    let other = f.get("other").map(String::as_str).unwrap_or_default();
    let checked =
        checks::needs(chosen.chain(crate::ride::db::categories_of(other))).and_then(|needs| {
            Ok((
                needs,
                checks::extra_minutes(f.get("extra").map_or("", String::as_str))?,
            ))
        });
    let (needs, extra) = match checked {
        Ok(v) => v,
        Err(why) => return rider_form(&s, &session, household, refuse(&why.ja)).await,
    };
    let eligibility = categories.join(",");
    try_db!(
        s.db.set_rider_profile(household, Some(&eligibility), &needs, extra)
            .await
    );
    tracing::info!(operator = %session.operator, household, %eligibility, %needs, extra, "rider profile changed");
    let msg = if categories.is_empty() {
        err("保存しました。利用区分が ないので、タクシーは 使えません。")
    } else {
        ok("保存しました。")
    };
    rider_form(&s, &session, household, msg).await
}

// ---- booking on a rider's behalf (phone calls) ------------------------------

#[derive(Deserialize)]
struct BookQuery {
    #[serde(default)]
    q: String,
    household: Option<i64>,
    /// The way back of this ride (from the 「帰りが まだ」 list).
    return_of: Option<i64>,
}

async fn book_page(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<BookQuery>,
) -> Response {
    match q.household {
        Some(h) => booking_form(&s, &session, h, q.return_of, html! {}).await,
        None => search(&s, &session, &q.q).await,
    }
}

async fn search(s: &AppState, session: &Session, q: &str) -> Response {
    let typed = q.trim();
    let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    let found: Vec<_> = if typed.is_empty() {
        Vec::new()
    } else {
        try_db!(s.db.households_in(&Scope::of(session)).await)
            .into_iter()
            .filter(|h| h.ride)
            .filter(|h| {
                h.name.contains(typed)
                    || (!digits(typed).is_empty() && digits(&h.phone).contains(&digits(typed)))
            })
            .collect()
    };
    let body = html! {
        form.box method="get" action="/console/ride/book" {
            p {
                label for="q" { "名前か 電話" }
                input id="q" name="q" value=(q) autofocus;
                " "
                button type="submit" { "さがす" }
            }
        }
        @if !typed.is_empty() && found.is_empty() {
            (err("タクシーに 登録された 世帯が 見つかりません。"))
        }
        @if !found.is_empty() {
            table {
                tr { th { "名前" } th { "電話" } th { "住所" } th {} }
                @for h in &found {
                    tr {
                        td { (h.name) } td { (h.phone) } td { (h.address) }
                        td {
                            a href={ "/console/ride/book?household=" (h.id) } { "予約する" } " · "
                            a href={ "/console/ride/rider?household=" (h.id) } { "利用者の 情報" }
                        }
                    }
                }
            }
        }
    };
    page("タクシー ＞ 電話で 予約", Some(session), body).into_response()
}

fn place_options(places: &[crate::ride::db::KnownPlace], selected: Option<i64>) -> Markup {
    html! {
        option value="" selected[selected.is_none()] { "家" }
        @for p in places {
            option value=(p.id) selected[selected == Some(p.id)] { (p.name) }
        }
    }
}

/// The booking form; for a way back (`return_of`), from where the way there
/// went, home, with as many people.
async fn booking_form(
    s: &AppState,
    session: &Session,
    household: i64,
    return_of: Option<i64>,
    message: Markup,
) -> Response {
    if !try_db!(mine(s, session, household).await) {
        return search(s, session, "").await;
    }
    let Some(rider) = try_db!(s.db.rider(household).await) else {
        return search(s, session, "").await;
    };
    let places = try_db!(s.db.places_for(household).await);
    let today = crate::console::tokyo_today(s.clock.now()).to_string();
    let there = match return_of {
        Some(id) => try_db!(s.db.rides_of(household, &today).await)
            .into_iter()
            .find(|r| r.id == id && r.state == "booked"),
        None => None,
    };
    let (from, to) = match &there {
        Some(r) => (r.to_place, r.from_place),
        None => (None, places.first().map(|p| p.id)),
    };
    let people = there.as_ref().map_or(1, |r| r.people);
    let body = html! {
        (message)
        p {
            b { (rider.name) } " 様 "
            a href={ "/console/ride/rider?household=" (household) } { "利用者の 情報" }
        }
        form.box method="post" action="/console/ride/book" {
            (csrf_field(session))
            input type="hidden" name="household" value=(household);
            @if let Some(r) = &there {
                p {
                    (r.to_name) "から 家への 帰り（行き: " (hhmm(r.pickup_from)) "〜" (hhmm(r.pickup_to))
                    " お迎え、" (hhmm(r.arrive_at)) "ごろ 着）"
                }
                input type="hidden" name="return_of" value=(r.id);
            }
            p {
                label for="b-from" { "乗る 場所" }
                select id="b-from" name="from" { (place_options(&places, from)) }
            }
            p {
                label for="b-to" { "行き先" }
                select id="b-to" name="to" { (place_options(&places, to)) }
            }
            p {
                label for="b-people" { "人数" }
                select id="b-people" name="people" {
                    @for n in 1..=3 { option selected[n == people] { (n) } }
                }
            }
            p {
                label for="b-mode" { "決め方" }
                select id="b-mode" name="mode" {
                    option value="asap" { "いますぐ" }
                    option value="at" { "お迎えの 時間" }
                    option value="arrive" { "着く 時間" }
                }
                " "
                input name="time" type="time" step="900" aria-label="時間";
            }
            p { button type="submit" { "空きを さがす" } }
        }
    };
    page("タクシー ＞ 電話で 予約", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct QuoteForm {
    household: i64,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    people: u8,
    mode: String,
    #[serde(default)]
    time: String,
    return_of: Option<i64>,
}

fn place_id(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

async fn quote(State(s): State<AppState>, CsrfForm(session, f): CsrfForm<QuoteForm>) -> Response {
    use engawa_ride::api::{RideRequest, When};
    if !try_db!(mine(&s, &session, f.household).await) {
        return search(&s, &session, "").await;
    }
    let when = match f.mode.as_str() {
        "at" => When::At(f.time.trim().to_string()),
        "arrive" => When::ArriveBy(f.time.trim().to_string()),
        _ => When::Asap,
    };
    let arrive_by = matches!(when, When::ArriveBy(_)).then(|| f.time.trim().to_string());
    let req = RideRequest {
        from: place_id(&f.from),
        to: place_id(&f.to),
        people: f.people,
        when,
    };
    let phone = Channel::Phone {
        operator: session.operator.clone(),
    };
    let quote = match crate::ride::quote_for(&s, f.household, &phone, &req).await {
        Ok(q) => q,
        Err(e) => {
            return booking_form(&s, &session, f.household, f.return_of, err(&e.message_ja)).await;
        }
    };
    let key = format!("console-{}", crate::secret::new_secret().replace('_', "x"));
    let body = html! {
        h2 { "空いている 時間" }
        table {
            tr { th { "お迎え" } th { "着く" } th { "料金" } th {} }
            @for o in &quote.offers {
                tr {
                    td { (o.pickup_from) "〜" (o.pickup_to) }
                    td { (o.arrive_at) "ごろ" }
                    td.n { (o.fare_yen.to_ja()) }
                    td {
                        form method="post" action="/console/ride/book/confirm" {
                            (csrf_field(&session))
                            input type="hidden" name="household" value=(f.household);
                            input type="hidden" name="from" value=(f.from);
                            input type="hidden" name="to" value=(f.to);
                            input type="hidden" name="people" value=(f.people);
                            input type="hidden" name="pickup_from" value=(o.pickup_from);
                            input type="hidden" name="arrive_by" value=(arrive_by.as_deref().unwrap_or(""));
                            input type="hidden" name="key" value=(key);
                            @if let Some(id) = f.return_of {
                                input type="hidden" name="return_of" value=(id);
                            }
                            button type="submit" { "この 時間で 予約" }
                        }
                    }
                }
            }
        }
    };
    page("タクシー ＞ 電話で 予約", Some(&session), body).into_response()
}

#[derive(Deserialize)]
struct ConfirmForm {
    household: i64,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    people: u8,
    pickup_from: String,
    #[serde(default)]
    arrive_by: String,
    key: String,
    return_of: Option<i64>,
}

async fn confirm(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<ConfirmForm>,
) -> Response {
    if !try_db!(mine(&s, &session, f.household).await) {
        return search(&s, &session, "").await;
    }
    let req = engawa_ride::api::BookRequest {
        from: place_id(&f.from),
        to: place_id(&f.to),
        people: f.people,
        pickup_from: f.pickup_from.clone(),
        arrive_by: Some(f.arrive_by.trim().to_string()).filter(|a| !a.is_empty()),
        return_of: f.return_of,
    };
    let phone = Channel::Phone {
        operator: session.operator.clone(),
    };
    let key: String = f
        .key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(100)
        .collect();
    let msg = match crate::ride::book_for(&s, f.household, &phone, &key, &req).await {
        Ok((_, b)) => ok(&format!(
            "予約しました（番号 {}）: {} → {}、お迎え {}〜{}、{}ごろ 着、{}人、{}。",
            b.id,
            b.from_name,
            b.to_name,
            b.pickup_from,
            b.pickup_to,
            b.arrive_at,
            b.people,
            b.fare_yen.to_ja()
        )),
        Err(e) => err(&e.message_ja),
    };
    booking_form(&s, &session, f.household, None, msg).await
}
