//! Console: the shop — お店 (sellers), 品ぞろえ (the catalogue: CSV import,
//! photos, on and off sale), the day's きょうの注文, ピッキング (per seller: item
//! totals and who gets what) and 配達 (per district), and お届けの きまり (the
//! cut-off, delivery weekdays, holidays).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use engawa_core::{TOKYO, Yen};
use serde::Deserialize;

use crate::AppState;
use crate::console::access::{self, OFFICE, PLATFORM};
use crate::console::{
    CsrfForm, DayQuery, Operator, checked, csrf_field, day_form, day_of, internal, mark, page,
    try_db, try_page,
};
use crate::db::{Scope, Session};
use crate::html::{Markup, err, html, ok};

/// A catalogue file of a few thousand items.
const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// Who may use the shop's console pages (see `console::access`). The sellers,
/// the catalogue and the delivery rules are the whole platform's for now:
/// changed by 管理者 only, until each municipality has its own.
pub(crate) const ACCESS: &[access::Access] = &[
    access::get("/console/sellers", OFFICE),
    access::post("/console/sellers", PLATFORM),
    access::get("/console/catalogue", OFFICE),
    access::post("/console/catalogue", PLATFORM),
    access::post("/console/catalogue/photo", PLATFORM),
    access::post("/console/catalogue/{id}/sale", PLATFORM),
    access::get("/console/orders", OFFICE),
    access::get("/console/picking", OFFICE),
    access::get("/console/delivery", OFFICE),
    access::get("/console/rules", OFFICE),
    access::post("/console/rules", PLATFORM),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/sellers", get(sellers).post(add_seller))
        .route("/console/catalogue", get(catalogue).post(import_catalogue))
        .route("/console/catalogue/photo", post(upload_photo))
        .route("/console/catalogue/{id}/sale", post(set_sale))
        .route("/console/orders", get(orders))
        .route("/console/picking", get(picking))
        .route("/console/delivery", get(delivery))
        .route("/console/rules", get(rules).post(save_rules))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

async fn sellers(State(s): State<AppState>, Operator(session): Operator) -> Response {
    sellers_page(&s, &session, html! {}).await
}

async fn sellers_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let rows = try_db!(s.db.sellers().await);
    let body = html! {
        (message)
        table {
            tr { th { "番号" } th { "お店" } th { "電話" } th { "品数" } }
            @for r in &rows {
                tr { td.n { (r.id) } td { (r.name) } td { (r.phone) } td.n { (r.items) } }
            }
        }
        h2 { "お店を 登録する" }
        form.box method="post" action="/console/sellers" {
            (csrf_field(session))
            p { label for="s-name" { "お店の名前" } input id="s-name" name="name" required maxlength="60"; }
            p { label for="s-phone" { "電話" } input id="s-phone" name="phone" required maxlength="20"; }
            p { button type="submit" { "登録する" } }
        }
    };
    page("お店", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct SellerForm {
    name: String,
    phone: String,
}

async fn add_seller(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<SellerForm>,
) -> Response {
    let (name, phone) = match crate::checks::seller(&f.name, &f.phone) {
        Ok(v) => v,
        Err(why) => return sellers_page(&s, &session, err(&why.ja)).await,
    };
    match s.db.add_seller(&name, &phone, s.clock.now()).await {
        Ok(id) => {
            tracing::info!(operator = %session.operator, seller = id, "seller registered");
            sellers_page(&s, &session, ok(&format!("「{name}」を 登録しました。"))).await
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            sellers_page(
                &s,
                &session,
                err(&format!("「{name}」は もう 登録されています。")),
            )
            .await
        }
        Err(e) => internal(e),
    }
}

async fn catalogue(State(s): State<AppState>, Operator(session): Operator) -> Response {
    catalogue_page(&s, &session, html! {}).await
}

async fn catalogue_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let items = try_db!(s.db.items().await);
    let side = engawa_shop::photo::MAX_SIDE;
    let body = html! {
        (message)
        form.box method="post" action="/console/catalogue" enctype="multipart/form-data" {
            (csrf_field(session))
            p {
                "CSV ファイル（列: seller,category,name,price_yen,unit,on_sale　UTF-8）。"
                "まちがいの ある 行が ひとつでも あれば、何も 取り込みません。"
            }
            p {
                label for="csv" { "ファイル" }
                input id="csv" type="file" name="file" accept=".csv,text/csv" required;
            }
            p { button type="submit" { "取り込む" } }
        }
        form.box method="post" action="/console/catalogue/photo" enctype="multipart/form-data" {
            (csrf_field(session))
            p { "写真（PNG、" (engawa_shop::photo::MAX_BYTES / 1024) " KB まで、" (side) "×" (side) " 画素まで）" }
            p {
                label for="photo-item" { "品の番号" }
                input id="photo-item" name="item" type="number" min="1" required;
            }
            p {
                label for="photo" { "ファイル" }
                input id="photo" type="file" name="file" accept="image/png" required;
            }
            p { button type="submit" { "写真を 登録" } }
        }
        h2 { "品ぞろえ（" (items.len()) " 品）" }
        table {
            tr {
                th { "番号" } th { "分類" } th { "品名" } th { "単位" } th { "値段（税込）" }
                th { "お店" } th { "写真" } th { "販売" }
            }
            @for it in &items {
                tr {
                    td.n { (it.id) } td { (it.category) } td { (it.name) } td { (it.unit) }
                    td.n { (Yen(it.price_yen).to_ja()) } td { (it.seller) } td { (mark(it.photo)) }
                    td {
                        form.noprint method="post" action={ "/console/catalogue/" (it.id) "/sale" } {
                            (csrf_field(session))
                            input type="hidden" name="on_sale" value=(if it.on_sale { 0 } else { 1 });
                            (if it.on_sale { "販売中" } else { "停止中" })
                            " "
                            button type="submit" { (if it.on_sale { "止める" } else { "再開" }) }
                        }
                    }
                }
            }
        }
    };
    page("品ぞろえ", Some(session), body).into_response()
}

async fn import_catalogue(
    State(s): State<AppState>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let fields = multipart_fields(form).await;
    let csrf = String::from_utf8_lossy(field(&fields, "csrf").unwrap_or_default()).into_owned();
    let file = field(&fields, "file").map(<[u8]>::to_vec);
    let session = try_page!(checked(&s, &headers, &csrf).await);
    let Some(data) = file else {
        return catalogue_page(&s, &session, err("ファイルが 読めませんでした。")).await;
    };
    let errors = match crate::shop::catalogue::parse(&data) {
        Ok(rows) => match try_db!(s.db.import_items(&rows, s.clock.now()).await) {
            Ok(n) => {
                tracing::info!(operator = %session.operator, items = n, "catalogue imported");
                return catalogue_page(&s, &session, ok(&format!("{n} 品を 取り込みました。")))
                    .await;
            }
            Err(errors) => errors,
        },
        Err(errors) => errors,
    };
    let msg = html! {
        (err(&format!(
            "まちがいが {} 行 あります。何も 取り込んでいません。直して もういちど 取り込んでください。",
            errors.len()
        )))
        table {
            tr { th { "行" } th { "列" } th { "内容" } }
            @for e in &errors {
                tr { td.n { (e.line) } td { (e.column) } td { (e.message) } }
            }
        }
    };
    catalogue_page(&s, &session, msg).await
}

/// The fields of a multipart form, as bytes (small forms: a token, a number, a file).
async fn multipart_fields(mut form: Multipart) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                match field.bytes().await {
                    Ok(b) => out.push((name, b.to_vec())),
                    Err(e) => {
                        tracing::info!(error = %e, "unreadable upload");
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                tracing::info!(error = %e, "unreadable upload");
                break;
            }
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
}

async fn upload_photo(State(s): State<AppState>, headers: HeaderMap, form: Multipart) -> Response {
    let fields = multipart_fields(form).await;
    let csrf = String::from_utf8_lossy(field(&fields, "csrf").unwrap_or_default()).into_owned();
    let session = try_page!(checked(&s, &headers, &csrf).await);
    let item: Option<i64> = field(&fields, "item")
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| t.trim().parse().ok());
    let (Some(item), Some(png)) = (item, field(&fields, "file")) else {
        return catalogue_page(&s, &session, err("品の番号と ファイルを 入れてください。")).await;
    };
    if let Err(why) = engawa_shop::photo::check(png) {
        return catalogue_page(&s, &session, err(&format!("この 写真は 使えません: {why}"))).await;
    }
    match try_db!(s.db.set_photo(item, png, s.clock.now()).await) {
        Some(_) => {
            tracing::info!(operator = %session.operator, item, "item photo stored");
            catalogue_page(
                &s,
                &session,
                ok(&format!("品 {item} の 写真を 登録しました。")),
            )
            .await
        }
        None => catalogue_page(&s, &session, err(&format!("品 {item} は ありません。"))).await,
    }
}

#[derive(Deserialize)]
struct SaleForm {
    on_sale: u8,
}

async fn set_sale(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(session, f): CsrfForm<SaleForm>,
) -> Response {
    let on = f.on_sale == 1;
    if try_db!(s.db.set_on_sale(id, on, s.clock.now()).await) {
        tracing::info!(operator = %session.operator, item = id, on_sale = on, "item sale changed");
        let msg = if on {
            format!("品 {id} の 販売を 再開しました。")
        } else {
            format!("品 {id} の 販売を 止めました。テレビの 品ぞろえから 消えます。")
        };
        catalogue_page(&s, &session, ok(&msg)).await
    } else {
        catalogue_page(&s, &session, err(&format!("品 {id} は ありません。"))).await
    }
}

/// The day picker, and 「ありません」 when there is nothing that day.
fn day_header(action: &str, day: NaiveDate, empty: bool) -> Markup {
    html! {
        (day_form(action, "お届けの日", day))
        @if empty { (ok(&format!("{day} お届けの 注文は ありません。"))) }
    }
}

async fn orders(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<DayQuery>,
) -> Response {
    let day = day_of(&q, s.clock.now());
    let list = try_db!(s.db.orders_in(day, &Scope::of(&session)).await);
    let total: Yen = list.iter().map(|o| o.order.total_yen).sum();
    let body = html! {
        (day_form("/console/orders", "お届けの日", day))
        p { (day) " お届け: " (list.len()) " 件　合計 " (total.to_ja()) }
        table {
            tr { th { "注文" } th { "注文の時刻" } th { "地区" } th { "世帯" } th { "品" } th { "合計" } }
            @for d in &list {
                tr {
                    td.n { (d.order.id) }
                    td { (d.order.placed_at.with_timezone(&TOKYO).format("%m/%d %H:%M")) }
                    td { (d.district) }
                    td { (d.name) }
                    td {
                        @for (k, l) in d.order.lines.iter().enumerate() {
                            @if k > 0 { br; }
                            (l.name) " " (l.unit) "×" (l.qty)
                        }
                    }
                    td.n { (d.order.total_yen.to_ja()) }
                }
            }
        }
    };
    page("注文", Some(&session), body).into_response()
}

async fn picking(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<DayQuery>,
) -> Response {
    let day = day_of(&q, s.clock.now());
    let lines = try_db!(s.db.picking_in(day, &Scope::of(&session)).await);
    let mut sellers: Vec<&str> = lines.iter().map(|l| l.seller.as_str()).collect();
    sellers.dedup();
    // Per seller: its lines, and each item's total quantity and amount.
    let per_seller = sellers.into_iter().map(|seller| {
        let mine: Vec<_> = lines.iter().filter(|l| l.seller == seller).collect();
        let mut items: Vec<(&str, &str)> = mine
            .iter()
            .map(|l| (l.item.as_str(), l.unit.as_str()))
            .collect();
        items.dedup();
        let totals: Vec<_> = items
            .into_iter()
            .map(|(item, unit)| {
                let (qty, amount) = mine
                    .iter()
                    .filter(|l| l.item == item && l.unit == unit)
                    .fold((0, 0), |(q, a), l| (q + l.qty, a + l.amount_yen));
                (item, unit, qty, amount)
            })
            .collect();
        (seller, mine, totals)
    });
    let body = html! {
        (day_header("/console/picking", day, lines.is_empty()))
        @for (seller, mine, totals) in per_seller {
            section {
                h2 { (seller) "　" (day) " お届け分" }
                table {
                    tr { th { "品" } th { "単位" } th { "数" } th { "金額" } }
                    @for (item, unit, qty, amount) in totals {
                        tr { td { (item) } td { (unit) } td.n { (qty) } td.n { (Yen(amount).to_ja()) } }
                    }
                }
                table {
                    tr { th { "地区" } th { "世帯" } th { "品" } th { "数" } }
                    @for l in &mine {
                        tr {
                            td { (l.district) } td { (l.household_id) " " (l.household) }
                            td { (l.item) } td.n { (l.qty) }
                        }
                    }
                }
            }
        }
    };
    page("ピッキングリスト", Some(&session), body).into_response()
}

async fn delivery(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<DayQuery>,
) -> Response {
    let day = day_of(&q, s.clock.now());
    let list = try_db!(s.db.orders_in(day, &Scope::of(&session)).await);
    let mut districts: Vec<&str> = list.iter().map(|d| d.district.as_str()).collect();
    districts.dedup();
    let body = html! {
        (day_header("/console/delivery", day, list.is_empty()))
        @for district in districts {
            section {
                h2 { (if district.is_empty() { "（地区なし）" } else { district }) "　" (day) " 夕方" }
                table {
                    tr { th { "世帯" } th { "住所" } th { "電話" } th { "品" } th { "合計" } th { "お支払い" } }
                    @for d in list.iter().filter(|d| d.district == district) {
                        tr {
                            td { (d.name) } td { (d.address) } td { (d.phone) }
                            td {
                                @for (k, l) in d.order.lines.iter().enumerate() {
                                    @if k > 0 { "、" }
                                    (l.name) "×" (l.qty)
                                }
                            }
                            td.n { (d.order.total_yen.to_ja()) }
                            td { "請求済み" }
                        }
                    }
                }
            }
        }
    };
    page("配達リスト", Some(&session), body).into_response()
}

async fn rules(State(s): State<AppState>, Operator(session): Operator) -> Response {
    rules_page(&s, &session, html! {}).await
}

async fn rules_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let r = try_db!(s.db.delivery_rules().await);
    let holidays: Vec<String> = r.holidays.iter().map(|d| d.to_string()).collect();
    let body = html! {
        (message)
        form.box method="post" action="/console/rules" {
            (csrf_field(session))
            p {
                label for="cutoff" { "しめきり" }
                input id="cutoff" name="cutoff" type="time" value=(r.cutoff.format("%H:%M")) required;
                "（この時刻までの 注文は その日の 夕方に お届け）"
            }
            p {
                label { "お届けの 曜日" }
                @for (i, name) in engawa_core::jp::WEEKDAYS_JA.iter().enumerate() {
                    input type="checkbox" id={ "wd" (i) } name={ "wd" (i) } value="1" checked[r.weekdays[i]];
                    " "
                    label for={ "wd" (i) } style="min-width:2em" { (name) }
                    " "
                }
            }
            p {
                label for="holidays" { "お休みの日" }
                br;
                textarea id="holidays" name="holidays" rows="6" cols="14" style="font-size:20px" {
                    (holidays.join("\n"))
                }
                br;
                "（1行に 1日、2026-12-31 の形）"
            }
            p { button type="submit" { "保存する" } }
        }
    };
    page("お届けの きまり", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct RulesForm {
    cutoff: String,
    #[serde(default)]
    holidays: String,
    wd0: Option<String>,
    wd1: Option<String>,
    wd2: Option<String>,
    wd3: Option<String>,
    wd4: Option<String>,
    wd5: Option<String>,
    wd6: Option<String>,
}

async fn save_rules(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<RulesForm>,
) -> Response {
    let weekdays = [&f.wd0, &f.wd1, &f.wd2, &f.wd3, &f.wd4, &f.wd5, &f.wd6].map(Option::is_some);
    let checked = crate::checks::cutoff(&f.cutoff).and_then(|cutoff| {
        Ok((
            cutoff,
            crate::checks::weekdays(weekdays)?,
            crate::checks::holidays(f.holidays.lines())?,
        ))
    });
    let (cutoff, weekdays, holidays) = match checked {
        Ok(v) => v,
        Err(why) => {
            return rules_page(
                &s,
                &session,
                err(&format!("{} 何も 変えていません。", why.ja)),
            )
            .await;
        }
    };
    let rules = engawa_shop::delivery::DeliveryRules {
        cutoff,
        weekdays,
        holidays,
    };
    try_db!(s.db.set_delivery_rules(&rules).await);
    tracing::info!(operator = %session.operator, cutoff = %rules.cutoff, "delivery rules changed");
    rules_page(
        &s,
        &session,
        ok(&format!(
            "保存しました。しめきりは {} です。",
            engawa_core::jp::time_ja(rules.cutoff)
        )),
    )
    .await
}
