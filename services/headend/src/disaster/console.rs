//! Console: 防災 — the disaster headquarters' board. The campaigns (open
//! first) and the JMA feeds' health; per campaign the tally by district and
//! in total (無事 / たすけが必要 / 応答なし / 機械が つながらない), the
//! households with 要支援者 first, a printable patrol list ordered by need,
//! and CSV. The headquarters issues and lifts evacuation orders and opens or
//! closes shelters. Pages refresh themselves (`meta refresh`), no JavaScript.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use engawa_disaster::policy::{Hazard, Order, ShelterUse};
use engawa_disaster::words;
use serde::Deserialize;

use super::db::{Board, BoardRow, ShelterState, Standing, Tally};
use crate::AppState;
use crate::console::access::{self, DISASTER, Owner};
use crate::console::{
    CsrfForm, CsrfOnly, Operator, checked, csrf_field, page, short_time, try_db, try_page,
};
use crate::db::{Scope, Session};
use crate::html::{Markup, err, html, ok, warn};

/// How often the board reloads itself.
pub const REFRESH_S: u32 = 30;

/// Who may use the disaster board (see `console::access`).
pub(crate) const ACCESS: &[access::Access] = &[
    access::get("/console/disaster", DISASTER),
    access::get("/console/disaster/order", DISASTER),
    access::post("/console/disaster/order", DISASTER),
    access::get("/console/disaster/{id}", DISASTER).of(Owner::Campaign),
    access::get("/console/disaster/{id}/patrol", DISASTER).of(Owner::Campaign),
    access::get("/console/disaster/{id}/answers.csv", DISASTER).of(Owner::Campaign),
    access::post("/console/disaster/{id}/close", DISASTER).of(Owner::Campaign),
    access::get("/console/disaster/shelters/{code}", DISASTER).of(Owner::Town),
    access::post("/console/disaster/shelters/{code}/{id}", DISASTER).of(Owner::Town),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/disaster", get(overview))
        .route("/console/disaster/order", get(order_form).post(issue_order))
        .route("/console/disaster/{id}", get(board))
        .route("/console/disaster/{id}/patrol", get(patrol))
        .route("/console/disaster/{id}/answers.csv", get(csv))
        .route("/console/disaster/{id}/close", post(close))
        .route("/console/disaster/shelters/{code}", get(shelters))
        .route("/console/disaster/shelters/{code}/{id}", post(set_shelter))
}

fn hazard_words(h: &Hazard) -> String {
    match h {
        Hazard::Earthquake { intensity } => format!("地震（{}）", intensity.to_ja()),
        Hazard::Warning { name, .. } => name.clone(),
        Hazard::Landslide => "土砂災害警戒情報".into(),
        Hazard::Tsunami { major: true } => "大津波警報".into(),
        Hazard::Tsunami { major: false } => "津波警報".into(),
        Hazard::Order { order, danger } => {
            format!(
                "{}（警戒レベル{}・{}）",
                order.to_ja(),
                order.level(),
                danger.to_ja()
            )
        }
    }
}

fn tally_cells(t: &Tally) -> Markup {
    html! {
        td.n { (t.safe) } td.n { (t.help) } td.n { (t.no_answer) } td.n { (t.offline) } td.n { (t.total()) }
        td.n { (format!("{:.0}%", t.answered_share() * 100.0)) }
    }
}

fn tally_head() -> Markup {
    html! {
        th { "無事" } th { "たすけが必要" } th { "応答なし" } th { "機械が つながらない" } th { "世帯" } th { "応答" }
    }
}

async fn overview(State(s): State<AppState>, Operator(session): Operator) -> Response {
    overview_page(&s, &session, html! {}).await
}

async fn overview_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let now = s.clock.now();
    let scope = Scope::of(session);
    let mut campaigns = try_db!(s.db.campaigns(50).await);
    campaigns.retain(|c| scope.admits(Some(&c.municipality)));
    let feeds = try_db!(s.db.feeds().await);
    let municipalities = try_db!(towns(s, &scope).await);
    let mut rows = Vec::new();
    for c in &campaigns {
        if c.closed_at.is_none() {
            let b = try_db!(s.db.board_summary(c.id, now, 0).await);
            rows.push((c, b.map(|b| b.total)));
        } else {
            rows.push((c, None));
        }
    }
    let body = html! {
        meta http-equiv="refresh" content=(REFRESH_S);
        (message)
        @if municipalities.is_empty() {
            (warn("市町村が 登録されていません（engawa-headend alert municipality）。JMA の 情報で 安否確認は はじまりません。"))
        }
        p { a href="/console/disaster/order" { "避難情報を 出す" } }
        h2 { "安否確認" }
        @if rows.is_empty() {
            p { "まだ ありません。" }
        } @else {
            table {
                tr { th { "番号" } th { "市町村" } th { "地区" } th { "内容" } th { "はじまり" } th { "状態" } (tally_head()) }
                @for (c, t) in &rows {
                    tr {
                        td { a href=(format!("/console/disaster/{}", c.id)) { (c.id) } }
                        td { (c.municipality_name) }
                        td { @if c.districts.is_empty() { "全部" } @else { (c.districts.join("・")) } }
                        td { @if c.drill { b { "【訓練】" } } (hazard_words(&c.hazard)) }
                        td { (short_time(Some(c.opened_at))) }
                        td {
                            @match c.closed_at {
                                None => b { "実施中" },
                                Some(t) => { "終了 " (short_time(Some(t))) @if let Some(w) = &c.closed_why { "（" (w) "）" } },
                            }
                        }
                        @match t {
                            Some(t) => (tally_cells(t)),
                            None => td colspan="6" { "—" },
                        }
                    }
                }
            }
        }
        h2 { "気象庁の 情報（フィード）" }
        @if feeds.is_empty() {
            p { "フィードは まだ 読まれていません（serve --jma-feed URL）。" }
        } @else {
            table {
                tr { th { "フィード" } th { "最後に 読めた" } th { "最後の エラー" } th { "新しい 情報" } }
                @for f in &feeds {
                    @let failing = f.last_error_at.is_some_and(|e| f.last_ok_at.is_none_or(|o| e >= o));
                    tr {
                        td { (f.url) }
                        td { (short_time(f.last_ok_at)) }
                        td {
                            @if failing { b { "読めていません: " } }
                            (short_time(f.last_error_at)) " " (f.last_error.as_deref().unwrap_or(""))
                        }
                        td.n { (f.entries) }
                    }
                }
            }
        }
        h2 { "市町村と 避難所" }
        table {
            tr { th { "コード" } th { "市町村" } th { "気象庁の 地域コード" } th { "震度" } th { "避難所" } }
            @for m in &municipalities {
                tr {
                    td { (m.code) } td { (m.name) }
                    td { (m.jma_cities.iter().cloned().collect::<Vec<_>>().join(", ")) }
                    td { (m.policy.quake_from.map(|i| format!("{}以上", i.to_ja())).unwrap_or_else(|| "聞かない".into())) }
                    td { a href=(format!("/console/disaster/shelters/{}", m.code)) { "避難所" } }
                }
            }
        }
    };
    page("防災", Some(session), body).into_response()
}

fn standing_cell(r: &BoardRow) -> Markup {
    let text = r.standing.to_ja();
    html! {
        @match r.standing {
            Standing::Help => td { b { "⚠ " (text) } },
            _ => td { (text) },
        }
    }
}

/// The district map: each imported boundary filled by the share answered,
/// its name and share written on it; grey where no household lives.
fn district_map(b: &Board, shapes: &[(String, engawa_disaster::geo::Rings)]) -> Markup {
    let (w, h) = (720.0, 480.0);
    let drawn = engawa_disaster::geo::draw(shapes, w - 20.0, h - 20.0);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(w) height=(h) viewBox=(format!("-10 -10 {w} {h}")) role="img" aria-label="地区ごとの 応答の 割合の 地図" {
            @for d in &drawn {
                @let tally = b.districts.iter().find(|(n, _)| *n == d.name).map(|(_, t)| t);
                path d=(d.d) fill=(tally.map_or("#cccccc", |t| share_colour(t.answered_share()))) fill-rule="evenodd" stroke="#222" stroke-width="1.5" {}
            }
            @for d in &drawn {
                @let tally = b.districts.iter().find(|(n, _)| *n == d.name).map(|(_, t)| t);
                text x=(format!("{:.0}", d.label.0)) y=(format!("{:.0}", d.label.1)) font-size="18" text-anchor="middle" font-weight="bold" fill="#000" stroke="#fff" stroke-width="4" paint-order="stroke" {
                    (d.name) @if let Some(t) = tally { " " (format!("{:.0}%", t.answered_share() * 100.0)) }
                }
            }
        }
    }
}

/// The districts, coloured by the share answered (no tiles, no JavaScript):
/// one bar per district while no boundaries are imported.
fn district_bars(b: &Board) -> Markup {
    let h = 28 * b.districts.len().max(1) + 8;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width="640" height=(h) role="img" aria-label="地区ごとの 応答の 割合" {
            @for (i, (d, t)) in b.districts.iter().enumerate() {
                @let y = 4 + 28 * i;
                @let share = t.answered_share();
                text x="0" y=(y + 19) font-size="18" { (d) }
                rect x="140" y=(y) width="400" height="22" fill="#eee" stroke="#555" {}
                rect x="140" y=(y) width=(format!("{:.0}", 400.0 * share)) height="22" fill=(share_colour(share)) {}
                text x="550" y=(y + 19) font-size="18" { (format!("{:.0}%", share * 100.0)) }
            }
        }
    }
}

/// Red below a third answered, amber below two thirds, green above.
pub fn share_colour(share: f64) -> &'static str {
    if share < 1.0 / 3.0 {
        "#c0392b"
    } else if share < 2.0 / 3.0 {
        "#e0a100"
    } else {
        "#2e7d32"
    }
}

/// 404: no campaign with that number.
fn no_campaign(session: &Session) -> Response {
    (
        StatusCode::NOT_FOUND,
        page(
            "見つかりません",
            Some(session),
            err("その 安否確認は ありません。"),
        ),
    )
        .into_response()
}

async fn board(
    State(s): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
) -> Response {
    board_page(&s, &session, id, html! {}).await
}

/// Households listed on the board page; the patrol list and the CSV have all.
pub const BOARD_LIST: i64 = 200;

async fn board_page(s: &AppState, session: &Session, id: i64, message: Markup) -> Response {
    let Some(b) = try_db!(s.db.board_summary(id, s.clock.now(), BOARD_LIST).await) else {
        return no_campaign(session);
    };
    let shapes = try_db!(s.db.district_shapes(&b.campaign.municipality).await);
    let c = &b.campaign;
    let title = format!(
        "{}安否確認 {} — {}",
        if c.drill { "【訓練】" } else { "" },
        c.id,
        hazard_words(&c.hazard)
    );
    let body = html! {
        @if c.closed_at.is_none() { meta http-equiv="refresh" content=(REFRESH_S); }
        (message)
        @if c.drill { p.warn.big { (words::DRILL) "です。数は 本当の 災害に 数えません。" } }
        p.big { (words::what(&c.hazard, &c.place())) }
        p {
            "はじまり " (short_time(Some(c.opened_at)))
            @if let Some(t) = c.closed_at { "・終了 " (short_time(Some(t))) @if let Some(w) = &c.closed_why { "（" (w) "）" } }
            " ・" a href=(format!("/console/disaster/{id}/patrol")) { "見回りの 名簿（印刷用）" }
            " ・" a href=(format!("/console/disaster/{id}/answers.csv")) { "CSV" }
        }
        @if c.closed_at.is_none() {
            form.box method="post" action=(format!("/console/disaster/{id}/close")) {
                (csrf_field(session))
                button type="submit" {
                    @if matches!(c.hazard, Hazard::Order { .. }) { "この 避難情報を 解除する" } @else { "この 安否確認を 終える" }
                }
            }
        }
        h2 { "合計" }
        table { tr { (tally_head()) } tr { (tally_cells(&b.total)) } }
        h2 { "地区ごと" }
        @if shapes.is_empty() { (district_bars(&b)) } @else { (district_map(&b, &shapes)) }
        p { "色: 応答が 3割未満は 赤、6割台までは 黄、それより 多いと 緑。" @if !shapes.is_empty() { "灰色は 対象の 世帯が ない 地区。" } }
        table {
            tr { th { "地区" } (tally_head()) }
            @for (d, t) in &b.districts { tr { td { (d) } (tally_cells(t)) } }
        }
        h2 { "世帯（たすけが必要、避難行動要支援者が 先）" }
        @let all = b.total.safe + b.total.help + b.total.no_answer + b.total.offline;
        @if all > b.households.len() as i64 {
            p { "必要の 高い 順に " (b.households.len()) " 世帯（全 " (all) " 世帯）。ぜんぶは "
                a href=(format!("/console/disaster/{id}/patrol")) { "見回りの 名簿" } " と "
                a href=(format!("/console/disaster/{id}/answers.csv")) { "CSV" } " に。" }
        }
        table {
            tr { th { "世帯" } th { "地区" } th { "要支援者" } th { "状態" } th { "答えた 時刻" } th { "電話" } }
            @for r in &b.households {
                tr {
                    td { (r.name) } td { (r.district) }
                    td { @if r.needs_support { b { "要支援" } } }
                    (standing_cell(r))
                    td { (short_time(r.answered_at)) }
                    td { (r.phone) }
                }
            }
        }
    };
    page(&title, Some(session), body).into_response()
}

async fn patrol(
    State(s): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
) -> Response {
    let Some(mut b) = try_db!(s.db.board(id, s.clock.now()).await) else {
        return no_campaign(&session);
    };
    b.households.sort_by_key(BoardRow::need);
    let c = &b.campaign;
    let body = html! {
        p {
            @if c.drill { b { "【訓練】" } }
            (words::what(&c.hazard, &c.place())) " ・" (short_time(Some(s.clock.now()))) " 現在"
        }
        table {
            tr { th { "順" } th { "状態" } th { "世帯" } th { "住所" } th { "電話" } th { "支援する人" } th { "確認" } }
            @for (i, r) in b.households.iter().filter(|r| r.standing != Standing::Safe).enumerate() {
                tr {
                    td.n { (i + 1) }
                    td { (r.standing.to_ja()) @if r.needs_support { br; b { "要支援者" } } }
                    td { (r.name) }
                    td { (r.address) }
                    td { (r.phone) }
                    td {
                        @for h in &r.helpers {
                            (h.name) @if !h.role.is_empty() { "（" (h.role) "）" } " " (h.phone) br;
                        }
                    }
                    td { "□" }
                }
            }
        }
    };
    page("見回りの 名簿", Some(&session), body).into_response()
}

async fn csv(State(s): State<AppState>, _: Operator, Path(id): Path<i64>) -> Response {
    let Some(b) = try_db!(s.db.board(id, s.clock.now()).await) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let cell = crate::billing::text_cell;
    let header = [
        "世帯番号",
        "世帯",
        "地区",
        "住所",
        "電話",
        "要支援者",
        "状態",
        "答えた時刻",
    ];
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for r in &b.households {
        rows.push(vec![
            r.household_id.to_string(),
            cell(&r.name),
            cell(&r.district),
            cell(&r.address),
            cell(&r.phone),
            if r.needs_support { "1" } else { "" }.into(),
            r.standing.to_ja().into(),
            r.answered_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ]);
    }
    for row in rows {
        if let Err(e) = w.write_record(&row) {
            return crate::console::internal(e);
        }
    }
    let data = match w.into_inner() {
        Ok(d) => d,
        Err(e) => return crate::console::internal(e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"anpi-{id}.csv\""),
            ),
        ],
        data,
    )
        .into_response()
}

async fn close(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(session, _): CsrfForm<CsrfOnly>,
) -> Response {
    let Some(c) = try_db!(s.db.campaign(id).await) else {
        return no_campaign(&session);
    };
    let why = if matches!(c.hazard, Hazard::Order { .. }) {
        "解除"
    } else {
        "終了"
    };
    let won = try_db!(
        s.db.close_campaign(id, Some(session.operator_id), why, s.clock.now())
            .await
    );
    if let Err(e) = s.alerts.refresh(&s.db).await {
        tracing::warn!(error = %e, "cannot refresh the alert versions");
    }
    let message = if won {
        tracing::info!(campaign = id, operator = %session.operator, why, "campaign closed");
        ok(&format!("{why}しました。テレビの 知らせは 消えます。"))
    } else {
        let at = short_time(c.closed_at);
        warn(&format!(
            "すでに {at} に 終わっています。ほかの 方が 先に 操作しました。"
        ))
    };
    board_page(&s, &session, id, message).await
}

async fn order_form(State(s): State<AppState>, Operator(session): Operator) -> Response {
    order_page(&s, &session, html! {}).await
}

/// The municipalities a login may see.
async fn towns(
    s: &AppState,
    scope: &Scope,
) -> Result<Vec<crate::disaster::db::Municipality>, sqlx::Error> {
    let mut all = s.db.municipalities().await?;
    all.retain(|m| scope.admits(Some(&m.code)));
    Ok(all)
}

async fn order_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let municipalities = try_db!(towns(s, &Scope::of(session)).await);
    let mut districts = Vec::new();
    let mut shelters = Vec::new();
    for m in &municipalities {
        districts.push((m, try_db!(s.db.districts(&m.code).await)));
        shelters.push((m, try_db!(s.db.shelters(&m.code).await)));
    }
    let body = html! {
        (message)
        @for ((m, ds), (_, ss)) in districts.iter().zip(&shelters) {
            form.box method="post" action="/console/disaster/order" {
                (csrf_field(session))
                input type="hidden" name="municipality" value=(m.code);
                h2 { (m.name) }
                p {
                    label { "避難情報" }
                    " "
                    select name="order" {
                        @for o in Order::ALL { option value=(o.key()) { (o.to_ja()) "（警戒レベル" (o.level()) "）" } }
                    }
                }
                p {
                    label { "災害の 種類" }
                    select name="danger" {
                        @for u in ShelterUse::ALL { option value=(u.key()) { (u.to_ja()) } }
                    }
                }
                fieldset {
                    legend { "地区（えらばないと 全部）" }
                    @for d in ds {
                        label { input type="checkbox" name="district" value=(d); " " (d) }
                    }
                }
                fieldset {
                    legend { "案内する 避難所（えらばないと 開いている 所から 近い 順。閉鎖の 所は テレビに 出ません）" }
                    @for sh in ss {
                        label { input type="checkbox" name="shelter" value=(sh.id); " " (sh.name) "（" (sh.state.to_ja()) "）" }
                    }
                }
                p { label { input type="checkbox" name="drill" value="1"; " 訓練" } }
                button type="submit" { "この 内容で 出す" }
            }
        }
        @if municipalities.is_empty() { (warn("市町村が 登録されていません。")) }
    };
    page("避難情報を 出す", Some(session), body).into_response()
}

/// The order form repeats `district` and `shelter`, so it is read as pairs
/// (the CSRF token checked first, as `CsrfForm` does).
async fn issue_order(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let all = |k: &str| {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .collect::<Vec<_>>()
    };
    let session = try_page!(checked(&s, &headers, one("csrf")).await);
    let municipality = one("municipality");
    let known = try_db!(towns(&s, &Scope::of(&session)).await);
    let Some(m) = known.iter().find(|m| m.code == municipality) else {
        return order_page(&s, &session, err("市町村を 読めませんでした。")).await;
    };
    let (Some(order), Some(danger)) = (
        Order::from_key(one("order")),
        ShelterUse::from_key(one("danger")),
    ) else {
        return order_page(
            &s,
            &session,
            err("避難情報と 災害の 種類を えらんでください。"),
        )
        .await;
    };
    let districts = try_db!(s.db.districts(&m.code).await);
    let chosen = all("district");
    if let Some(bad) = chosen.iter().find(|d| !districts.contains(d)) {
        return order_page(
            &s,
            &session,
            err(&format!("「{bad}」という 地区は ありません。")),
        )
        .await;
    }
    let mut shelters = Vec::new();
    for v in all("shelter") {
        match v.parse::<i64>() {
            Ok(id) => shelters.push(id),
            Err(_) => return order_page(&s, &session, err("避難所を 読めませんでした。")).await,
        }
    }
    let drill = one("drill") == "1";
    let id = try_db!(
        s.db.issue_order(
            &m.code,
            order,
            danger,
            &chosen,
            &shelters,
            drill,
            Some(session.operator_id),
            s.clock.now()
        )
        .await
    );
    if let Err(e) = s.alerts.refresh(&s.db).await {
        tracing::warn!(error = %e, "cannot refresh the alert versions");
    }
    tracing::info!(campaign = id, municipality = %m.code, order = order.key(), drill, operator = %session.operator, "evacuation order issued");
    board_page(
        &s,
        &session,
        id,
        ok("出しました。テレビに 知らせが 出ます。"),
    )
    .await
}

async fn shelters(
    State(s): State<AppState>,
    Operator(session): Operator,
    Path(code): Path<String>,
) -> Response {
    shelters_page(&s, &session, &code, html! {}).await
}

async fn shelters_page(s: &AppState, session: &Session, code: &str, message: Markup) -> Response {
    let list = try_db!(s.db.shelters(code).await);
    let body = html! {
        (message)
        table {
            tr { th { "ID" } th { "名称" } th { "所在地" } th { "収容" } th { "使える 災害" } th { "状態" } th { "変える" } }
            @for sh in &list {
                tr {
                    td { (sh.source_id) } td { (sh.name) } td { (sh.address) }
                    td.n { (sh.capacity.map(|c| c.to_string()).unwrap_or_default()) }
                    td { (sh.uses.iter().map(|u| u.to_ja()).collect::<Vec<_>>().join("・")) }
                    td { b { (sh.state.to_ja()) } }
                    td {
                        form.noprint method="post" action=(format!("/console/disaster/shelters/{code}/{}", sh.id)) {
                            (csrf_field(session))
                            @for st in [ShelterState::Open, ShelterState::Crowded, ShelterState::Closed] {
                                @if st != sh.state {
                                    button type="submit" name="state" value=(st.key()) { (st.to_ja()) } " "
                                }
                            }
                        }
                    }
                }
            }
        }
        @if list.is_empty() { p { "避難所が ありません（engawa-headend alert shelters CODE FILE.csv）。" } }
    };
    page("避難所", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct StateForm {
    state: String,
}

async fn set_shelter(
    State(s): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm(session, f): CsrfForm<StateForm>,
) -> Response {
    let message = match ShelterState::from_key(&f.state) {
        None => err("状態を 読めませんでした。"),
        Some(st) => {
            if try_db!(s.db.set_shelter_state(&code, id, st, s.clock.now()).await) {
                let _ = s.alerts.refresh(&s.db).await;
                tracing::info!(shelter = id, state = st.key(), operator = %session.operator, "shelter state set");
                ok(&format!("{}に しました。", st.to_ja()))
            } else {
                err("その 避難所は ありません。")
            }
        }
    };
    shelters_page(&s, &session, &code, message).await
}
