//! The operator's web console under `/console`: server-rendered Japanese HTML
//! that works without JavaScript and prints cleanly.
//!
//! Security: operators log in with a name and a password (argon2id hashes); the
//! session cookie is random, stored only as a hash, `HttpOnly; Secure;
//! SameSite=Strict`, and expires after 12 hours; every form carries the session's
//! CSRF token, checked before anything changes; failed logins are rate-limited.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, Utc};
use engawa_core::{TOKYO, Yen};
use serde::Deserialize;

use crate::AppState;
use crate::db::{ApproveRefusal, Scope, Session};
use crate::html::{self, Look, Markup, err, html, ok};

/// `__Host-`: the browser keeps it only if it came over HTTPS with `Path=/`
/// and no domain, so no sibling site can plant or overwrite it.
const COOKIE: &str = "__Host-engawa_session";
const SESSION_TTL_S: i64 = 12 * 3600;

pub mod access;

use access::{OFFICE, Owner, Who};

/// Who may use the console's own pages (see `access`).
pub(crate) const ACCESS: &[access::Access] = &[
    access::get("/console", Who::LoggedIn),
    access::get("/console/login", Who::Anyone),
    access::post("/console/login", Who::Anyone),
    access::post("/console/logout", Who::LoggedIn),
    access::get("/console/households", OFFICE),
    access::post("/console/households", OFFICE),
    access::get("/console/pairing", OFFICE),
    access::post("/console/pairing", OFFICE),
    access::post("/console/boxes/{id}/revoke", OFFICE).of(Owner::Box),
    access::get("/console/billing", OFFICE),
    access::get("/console/billing/{file}", OFFICE),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(dashboard))
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", post(logout))
        .route("/console/households", get(households).post(add_household))
        .route("/console/pairing", get(pairing).post(approve_pairing))
        .route("/console/boxes/{id}/revoke", post(revoke_box))
        .route("/console/billing", get(billing))
        .route("/console/billing/{file}", get(billing_csv))
}

/// Hash a new operator password (argon2id, random salt).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?
        .to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The console's pages, in its navigation bar.
const NAV: [(&str, &str); 14] = [
    ("/console", "ホーム"),
    ("/console/orders", "きょうの注文"),
    ("/console/picking", "ピッキング"),
    ("/console/delivery", "配達"),
    ("/console/households", "世帯"),
    ("/console/watch", "見守り"),
    ("/console/ride", "タクシー"),
    ("/console/disaster", "防災"),
    ("/console/pairing", "機械の登録"),
    ("/console/sellers", "お店"),
    ("/console/catalogue", "品ぞろえ"),
    ("/console/billing", "請求"),
    ("/console/rules", "お届けの きまり"),
    ("/console/audit", "記録"),
];

/// A console page; with a session, the navigation and the logout button.
pub(crate) fn page(title: &str, session: Option<&Session>, body: Markup) -> Html<String> {
    let header = match session {
        Some(s) => html! {
            nav {
                @for (k, (href, label)) in NAV.iter().filter(|(href, _)| access::allows(s.role, href, &axum::http::Method::GET)).enumerate() {
                    @if k > 0 { " · " }
                    a href=(href) { (label) }
                }
            }
            form method="post" action="/console/logout" {
                (csrf_field(s))
                span { (s.operator) " さん" }
                " "
                button type="submit" { "ログアウト" }
            }
        },
        None => html! {},
    };
    Html(html::page(Look::Console, title, header, body).into_string())
}

pub(crate) fn csrf_field(s: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf); }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        page(
            "エラー",
            None,
            err("センターの システムで 問題が おきました。記録を 確認してください。"),
        ),
    )
        .into_response()
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

/// The logged-in operator, or a redirect to the login page.
pub(crate) async fn session(s: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    let Some(token) = cookie_token(headers) else {
        return Err(Redirect::to("/console/login").into_response());
    };
    match s
        .db
        .session(&crate::secret::hash(&token), s.clock.now())
        .await
    {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(Redirect::to("/console/login").into_response()),
        Err(e) => Err(internal(e)),
    }
}

/// A changing request from a logged-in operator whose form carries the session's
/// CSRF token.
pub(crate) async fn checked(
    s: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Session, Response> {
    let session = session(s, headers).await?;
    if csrf.is_empty() || csrf != session.csrf {
        tracing::warn!(operator = %session.operator, "console form without a valid CSRF token");
        return Err((
            StatusCode::FORBIDDEN,
            page(
                "受け付けられません",
                Some(&session),
                err("この 画面は 古くなっています。ページを 開きなおして もういちど おためしください。"),
            ),
        )
            .into_response());
    }
    Ok(session)
}

/// A logged-in operator: the handler's argument `Operator(session)` replaces
/// reading the cookie by hand. Without a valid session the request is sent to
/// the login page.
pub struct Operator(pub Session);

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        // The guard read it already.
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(Operator(session.clone()));
        }
        session(s, &parts.headers).await.map(Operator)
    }
}

/// A changing request from a logged-in operator: the session, and the form `T`
/// once its `csrf` field has matched the session's token (403 otherwise).
/// Replaces `Form<T>` plus the check in every handler; the session is checked
/// before the form is read.
pub struct CsrfForm<T>(pub Session, pub T);

/// The largest console form (the upload pages use multipart instead).
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, s: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let session = match parts.extensions.get::<Session>() {
            Some(session) => session.clone(),
            None => session(s, &parts.headers).await?,
        };
        let refused = |status: StatusCode, why: &str| {
            (status, page("受け付けられません", Some(&session), err(why))).into_response()
        };
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return Err(refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "入力が 長すぎます。",
            ));
        };
        let token = serde_urlencoded::from_bytes::<CsrfOnly>(&bytes)
            .map(|c| c.csrf)
            .unwrap_or_default();
        if token.is_empty() || token != session.csrf {
            tracing::warn!(operator = %session.operator, "console form without a valid CSRF token");
            return Err(refused(
                StatusCode::FORBIDDEN,
                "この 画面は 古くなっています。ページを 開きなおして もういちど おためしください。",
            ));
        }
        match serde_urlencoded::from_bytes::<T>(&bytes) {
            Ok(form) => Ok(CsrfForm(session, form)),
            Err(e) => {
                tracing::info!(operator = %session.operator, error = %e, "console form unreadable");
                Err(refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "入力を 読めませんでした。ページを 開きなおして もういちど おためしください。",
                ))
            }
        }
    }
}

macro_rules! try_page {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

macro_rules! try_db {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $crate::console::internal(e),
        }
    };
}
pub(crate) use {try_db, try_page};

pub(crate) fn tokyo_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&TOKYO).date_naive()
}

// ---- login ----------------------------------------------------------------

/// The login form's own CSRF token (there is no session yet): a random value
/// in a cookie and in the form, which must agree — another site can make a
/// browser post the form, but cannot read or set this cookie.
const LOGIN_COOKIE: &str = "__Host-engawa_login";
/// Password checks at once: each argon2 run takes 19 MiB and a core for a
/// fraction of a second; more logins than this wait their turn.
const MAX_VERIFIES: usize = 4;
static VERIFIES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_VERIFIES);
/// How long a login waits for its turn before the operator is asked to try again.
const VERIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A hash to check unknown names against, so an unknown name takes as long as
/// a known one with a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("engawa: no such operator").unwrap_or_default())
}

async fn login_form() -> Response {
    login_page(StatusCode::OK, html! {})
}

/// The login page with a fresh form token (also in its cookie).
fn login_page(status: StatusCode, message: Markup) -> Response {
    let token = crate::secret::new_secret();
    let page = page(
        "ログイン",
        None,
        html! {
            (message)
            form.box method="post" action="/console/login" {
                input type="hidden" name="csrf" value=(token);
                p {
                    label for="name" { "名前" }
                    input id="name" name="name" required autocomplete="username";
                }
                p {
                    label for="password" { "パスワード" }
                    input id="password" name="password" type="password" required autocomplete="current-password";
                }
                p { button type="submit" { "ログイン" } }
            }
        },
    );
    let mut resp = (status, page).into_response();
    let cookie = format!("{LOGIN_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    name: String,
    password: String,
}

async fn login(
    State(s): State<AppState>,
    from: crate::http::ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let now = s.clock.now();
    let source = from.key();
    if f.csrf.is_empty() || cookie_value(&headers, LOGIN_COOKIE).as_deref() != Some(&f.csrf) {
        tracing::warn!(%source, "console login without its form token");
        return login_page(
            StatusCode::FORBIDDEN,
            err("この 画面は 古くなっています。もういちど ログインして ください。"),
        );
    }
    // The name is hashed before it is stored: a password typed into the
    // name field must not end up in the database (nor in the log).
    let account = crate::secret::hash(&f.name);
    let attempt = match try_db!(s.db.reserve_login(&account, &source, now).await) {
        Ok(id) => id,
        Err(why) => {
            tracing::warn!(%source, limit = ?why, "console login refused: too many attempts");
            return login_page(
                StatusCode::TOO_MANY_REQUESTS,
                err("まちがいが 続いたため、10分間 ログインできません。"),
            );
        }
    };
    let Ok(Ok(turn)) = tokio::time::timeout(VERIFY_WAIT, VERIFIES.acquire()).await else {
        tracing::warn!(%source, "console login refused: too many logins at once");
        return login_page(
            StatusCode::SERVICE_UNAVAILABLE,
            err("ただいま 混み合っています。しばらくして もういちど おためしください。"),
        );
    };
    let found = try_db!(s.db.operator_login(&f.name).await);
    let (operator_id, hash) = match found {
        Some((id, hash)) => (Some(id), hash),
        None => (None, dummy_hash().to_string()),
    };
    let password = f.password;
    let right = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    drop(turn);
    let Some(operator_id) = operator_id.filter(|_| right) else {
        tracing::info!(%source, "console login failed");
        return login_page(
            StatusCode::UNAUTHORIZED,
            err("名前か パスワードが ちがいます。"),
        );
    };
    try_db!(s.db.login_succeeded(attempt).await);
    let token = crate::secret::new_secret();
    let csrf = crate::secret::new_secret();
    try_db!(
        s.db.create_session(
            &crate::secret::hash(&token),
            operator_id,
            &csrf,
            now,
            SESSION_TTL_S
        )
        .await
    );
    tracing::info!(operator_id, "operator logged in");
    let mut resp = Redirect::to("/console").into_response();
    for cookie in [
        format!(
            "{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={SESSION_TTL_S}"
        ),
        format!("{LOGIN_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_, _): CsrfForm<CsrfOnly>,
) -> Response {
    if let Some(token) = cookie_token(&headers) {
        try_db!(s.db.end_session(&crate::secret::hash(&token)).await);
    }
    let mut resp = Redirect::to("/console/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "__Host-engawa_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
        ),
    );
    resp
}

// ---- dashboard --------------------------------------------------------------

async fn dashboard(State(s): State<AppState>, Operator(session): Operator) -> Response {
    // The home page is the office's: a driver's is the car's manifest, the
    // disaster board's its board.
    match session.role {
        crate::db::Role::Driver => return Redirect::to("/console/ride").into_response(),
        crate::db::Role::Hq => return Redirect::to("/console/disaster").into_response(),
        crate::db::Role::Admin | crate::db::Role::Staff => {}
    }
    let now = s.clock.now();
    let today = tokyo_today(now);
    let scope = Scope::of(&session);
    let orders = try_db!(s.db.orders_in(today, &scope).await);
    let boxes = try_db!(s.db.boxes_in(&scope).await);
    let (_, pending) = try_db!(s.db.pending_pairings(now, 0, 0).await);
    let live = boxes
        .iter()
        .filter(|b| !b.revoked)
        .filter(|b| {
            b.last_heartbeat_at
                .is_some_and(|t| now - t < chrono::Duration::minutes(15))
        })
        .count();
    let total: Yen = orders.iter().map(|o| o.order.total_yen).sum();
    let body = html! {
        table {
            tr {
                th { "きょう（" (today) "）お届けの注文" }
                td.n { (orders.len()) " 件　" (total.to_ja()) }
            }
            tr {
                th { "動いている 機械（15分以内に 連絡あり）" }
                td.n { (live) " / " (boxes.iter().filter(|b| !b.revoked).count()) " 台" }
            }
            tr { th { "登録を 待っている 機械" } td.n { (pending) " 台" } }
        }
        p {
            a href="/console/picking" { "ピッキングリスト" } " · "
            a href="/console/delivery" { "配達リスト" } " · "
            a href="/console/billing" { "今月の 請求" }
        }
    };
    page("ホーム", Some(&session), body).into_response()
}

// ---- households -------------------------------------------------------------

async fn households(State(s): State<AppState>, Operator(session): Operator) -> Response {
    households_page(&s, &session, html! {}).await
}

/// 「○」 for a service the household uses.
pub(crate) fn mark(on: bool) -> &'static str {
    if on { "○" } else { "" }
}

/// A time as the console's lists show it: 「12/24 09:05」, or 「—」.
pub(crate) fn short_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.with_timezone(&TOKYO).format("%m/%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

async fn households_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let rows = try_db!(s.db.households_in(&Scope::of(session)).await);
    let body = html! {
        (message)
        table {
            tr {
                th { "番号" } th { "地区" } th { "名前" } th { "住所" } th { "電話" }
                th { "買い物" } th { "タクシー" } th { "タクシーの区分" } th { "機械" } th { "最後の連絡" }
            }
            @for h in &rows {
                tr {
                    td.n { (h.id) } td { (h.district) } td { (h.name) } td { (h.address) } td { (h.phone) }
                    td { (mark(h.shop)) } td { (mark(h.ride)) } td { (h.eligibility) }
                    td.n { (h.boxes) } td { (short_time(h.last_heartbeat_at)) }
                }
            }
        }
        h2 { "世帯を 登録する" }
        form.box method="post" action="/console/households" {
            (csrf_field(session))
            p { label for="h-name" { "名前" } input id="h-name" name="name" required maxlength="60"; }
            p { label for="h-district" { "地区" } input id="h-district" name="district" maxlength="40"; }
            p { label for="h-address" { "住所" } input id="h-address" name="address" required maxlength="120" size="40"; }
            p { label for="h-phone" { "電話" } input id="h-phone" name="phone" required maxlength="20"; }
            p {
                label for="h-lat" { "緯度・経度" }
                input id="h-lat" name="lat" size="10";
                " "
                input name="lon" size="10" aria-label="経度";
            }
            p {
                label { "サービス" }
                input type="checkbox" id="h-shop" name="shop" value="1" checked;
                " " label for="h-shop" { "買い物" } " "
                input type="checkbox" id="h-ride" name="ride" value="1";
                " " label for="h-ride" { "タクシー" }
            }
            p {
                label for="h-elig" { "タクシーの区分" }
                input id="h-elig" name="eligibility" placeholder="65歳以上,免許返納" size="30";
            }
            p { button type="submit" { "登録する" } }
        }
    };
    page("世帯", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct HouseholdForm {
    name: String,
    #[serde(default)]
    district: String,
    address: String,
    phone: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    shop: Option<String>,
    #[serde(default)]
    ride: Option<String>,
    #[serde(default)]
    eligibility: String,
}

async fn add_household(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<HouseholdForm>,
) -> Response {
    let fares = try_db!(s.db.fares().await);
    let input = crate::checks::HouseholdInput {
        name: f.name,
        district: f.district,
        address: f.address,
        phone: f.phone,
        lat: f.lat,
        lon: f.lon,
        shop: f.shop.is_some(),
        ride: f.ride.is_some(),
        eligibility: f.eligibility,
    };
    let mut h = match crate::checks::household(&input, &fares) {
        Ok(h) => h,
        Err(why) => {
            return households_page(
                &s,
                &session,
                err(&format!("{} 何も 登録していません。", why.ja)),
            )
            .await;
        }
    };
    // A municipality's staff register its households.
    if let Scope::Town(m) = Scope::of(&session) {
        h.municipality = Some(m);
    }
    let id = try_db!(s.db.add_household(&h, s.clock.now()).await);
    tracing::info!(operator = %session.operator, household = id, "household registered");
    households_page(
        &s,
        &session,
        ok(&format!(
            "{} さんを 世帯 {id} として 登録しました。",
            h.name
        )),
    )
    .await
}

// ---- sellers and catalogue --------------------------------------------------

// ---- pairing ------------------------------------------------------------------

/// Waiting boxes shown per page of the pairing list.
const PAIRINGS_PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
struct PageQuery {
    /// 1-based page of the waiting boxes.
    p: Option<i64>,
}

async fn pairing(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<PageQuery>,
) -> Response {
    pairing_page(&s, &session, html! {}, q.p.unwrap_or(1)).await
}

async fn pairing_page(s: &AppState, session: &Session, message: Markup, page_no: i64) -> Response {
    let page_no = page_no.max(1);
    let (waiting, total) = try_db!(
        s.db.pending_pairings(
            s.clock.now(),
            (page_no - 1).saturating_mul(PAIRINGS_PER_PAGE),
            PAIRINGS_PER_PAGE
        )
        .await
    );
    let scope = Scope::of(session);
    let households = try_db!(s.db.households_in(&scope).await);
    let boxes = try_db!(s.db.boxes_in(&scope).await);
    let pages = (total + PAIRINGS_PER_PAGE - 1) / PAIRINGS_PER_PAGE;
    let body = html! {
        (message)
        p { "テレビに 出ている 「せつぞくコード」と 世帯を えらんで 登録します。" }
        h2 { "登録を 待っている 機械（" (total) " 台）" }
        table {
            tr { th { "せつぞくコード" } th { "機械の番号" } th { "時刻" } }
            @for p in &waiting {
                tr {
                    td { (p.user_code) } td { (p.serial) }
                    td { (p.created_at.with_timezone(&TOKYO).format("%H:%M")) }
                }
            }
        }
        @if pages > 1 {
            p.noprint {
                @if page_no > 1 {
                    a href={ "/console/pairing?p=" (page_no - 1) } { "← 前" } " "
                }
                (page_no) " / " (pages) " ページ"
                @if page_no < pages {
                    " " a href={ "/console/pairing?p=" (page_no + 1) } { "次 →" }
                }
            }
        }
        form.box method="post" action="/console/pairing" {
            (csrf_field(session))
            p {
                label for="code" { "せつぞくコード" }
                input id="code" name="code" required maxlength="12" placeholder="4K7-P2Q";
            }
            p {
                label for="household" { "世帯" }
                select id="household" name="household" {
                    @for h in &households {
                        option value=(h.id) { (h.id) " " (h.name) "（" (h.district) "）" }
                    }
                }
            }
            p { button type="submit" { "たしかめる" } }
        }
        h2 { "登録ずみの 機械" }
        p {
            "機械を 取りかえた・なくしたときは「使えなくする」を 押します。"
            "その機械の 鍵は すぐに 使えなくなり、新しい機械は せつぞくコードで 登録します。"
        }
        table {
            tr {
                th { "番号" } th { "機械の番号" } th { "世帯" } th { "ソフトの版" } th { "最後の連絡" } th {}
            }
            @for b in &boxes {
                tr {
                    td.n { (b.id) } td { (b.serial) } td.n { (b.household_id) }
                    td { (b.software_version.as_deref().unwrap_or("—")) }
                    td { (short_time(b.last_heartbeat_at)) }
                    td {
                        @if b.revoked {
                            "使えなくしました"
                        } @else {
                            form.noprint method="post" action={ "/console/boxes/" (b.id) "/revoke" } {
                                (csrf_field(session))
                                button type="submit" { "使えなくする" }
                            }
                        }
                    }
                }
            }
        }
    };
    page("機械の登録", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct PairingForm {
    code: String,
    household: i64,
    /// Set by the confirmation form: the operator has seen the serial.
    #[serde(default)]
    confirm: bool,
}

/// Two steps: the first shows which box (its serial) would be given to which
/// household, and warns if that household already has a box in use; only the
/// second, confirmed, approves.
async fn approve_pairing(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<PairingForm>,
) -> Response {
    let now = s.clock.now();
    let refused = |r: ApproveRefusal| match r {
        ApproveRefusal::UnknownCode => {
            err("その コードの 機械は ありません（打ちまちがい か、15分で 期限切れ）。")
        }
        ApproveRefusal::NoSuchHousehold => err("その 世帯は ありません。"),
        ApproveRefusal::TooManyAttempts => err("まちがいが 続いたため、10分間 登録できません。"),
    };
    let scope = Scope::of(&session);
    // Another municipality's household is no household of this login's.
    if !try_db!(s.db.household_in(&scope, f.household).await) {
        return pairing_page(&s, &session, refused(ApproveRefusal::NoSuchHousehold), 1).await;
    }
    if !f.confirm {
        let waiting = match try_db!(s.db.pairing_to_approve(&f.code, f.household, now).await) {
            Ok(w) => w,
            Err(r) => return pairing_page(&s, &session, refused(r), 1).await,
        };
        let name = try_db!(s.db.households_in(&scope).await)
            .into_iter()
            .find(|h| h.id == f.household)
            .map(|h| h.name)
            .unwrap_or_default();
        let live: Vec<_> = try_db!(s.db.boxes_in(&scope).await)
            .into_iter()
            .filter(|b| b.household_id == f.household && !b.revoked)
            .collect();
        let body = html! {
            p {
                "機械 " strong { (waiting.serial) } "（せつぞくコード " (waiting.user_code) "、"
                (waiting.created_at.with_timezone(&TOKYO).format("%H:%M")) " に 表示）を 世帯 "
                (f.household) " " (name) " に 登録します。"
                "テレビに 出ている 機械の番号と 同じか たしかめてください。"
            }
            @if !live.is_empty() {
                (err("この 世帯には もう 使っている 機械が あります。取りかえなら、登録のあとで 古い 機械を「使えなくする」で 止めてください。"))
                ul {
                    @for b in &live {
                        li { "機械 " (b.id) "（" (b.serial) "）最後の連絡 " (short_time(b.last_heartbeat_at)) }
                    }
                }
            }
            form.box method="post" action="/console/pairing" {
                (csrf_field(&session))
                input type="hidden" name="code" value=(waiting.user_code);
                input type="hidden" name="household" value=(f.household);
                input type="hidden" name="confirm" value="true";
                p { button type="submit" { "登録する" } " " a href="/console/pairing" { "やめる" } }
            }
        };
        return page("機械の登録を たしかめる", Some(&session), body).into_response();
    }
    let msg = match try_db!(s.db.approve_pairing(&f.code, f.household, now).await) {
        Ok(serial) => {
            tracing::info!(operator = %session.operator, %serial, household = f.household, "pairing approved");
            ok(&format!(
                "機械 {serial} を 世帯 {} に 登録しました。まもなく テレビが ホーム画面に なります。",
                f.household
            ))
        }
        Err(r) => refused(r),
    };
    pairing_page(&s, &session, msg, 1).await
}

async fn revoke_box(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(session, _): CsrfForm<CsrfOnly>,
) -> Response {
    let now = s.clock.now();
    let household = try_db!(s.db.box_household_in(&Scope::of(&session), id).await);
    // Only a box of a household in the login's scope.
    let msg = if household.is_some() && try_db!(s.db.revoke_box(id, now).await) {
        tracing::info!(operator = %session.operator, box_id = id, "box revoked; family links renewed");
        if let Some(h) = household
            && let Err(e) = crate::watch::tell_contacts(&s, h, &format!("relink.{id}"), now, |c| {
                engawa_watch::mail::new_link(c)
            })
            .await
        {
            tracing::error!(error = %e, household = h, "cannot queue the new family links");
        }
        ok(&format!(
            "機械 {id} を 使えなくしました。家族の ページの アドレスも 新しくし、家族に メールで お知らせします。"
        ))
    } else {
        err(&format!("機械 {id} は ないか、もう 使えなくなっています。"))
    };
    pairing_page(&s, &session, msg, 1).await
}

// ---- the day's lists ----------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct DayQuery {
    pub day: Option<String>,
}

pub(crate) fn day_of(q: &DayQuery, now: DateTime<Utc>) -> NaiveDate {
    q.day
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| tokyo_today(now))
}

/// The day picker of a list; `label` names the day (お届けの日, 運行日).
pub(crate) fn day_form(action: &str, label: &str, day: NaiveDate) -> Markup {
    html! {
        form.noprint method="get" action=(action) {
            label for="day" { (label) }
            input id="day" type="date" name="day" value=(day);
            " "
            button type="submit" { "表示" }
        }
    }
}

// ---- delivery rules -------------------------------------------------------

// ---- billing -------------------------------------------------------------------

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
    bom: Option<String>,
}

fn month_of(q: &MonthQuery, now: DateTime<Utc>) -> String {
    q.month
        .clone()
        .filter(|m| crate::billing::month_bounds(m).is_some())
        .unwrap_or_else(|| now.with_timezone(&TOKYO).format("%Y-%m").to_string())
}

async fn billing(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<MonthQuery>,
) -> Response {
    let month = month_of(&q, s.clock.now());
    let Some((first, last)) = crate::billing::month_bounds(&month) else {
        return internal("month bounds");
    };
    let b = try_db!(
        s.db.billing_month_in(first, last, &Scope::of(&session))
            .await
    );
    let e = try_db!(crate::billing::export(&month, &b, false));
    let t = e.totals;
    let csv = |file: &str, bom: bool| {
        format!(
            "/console/billing/{file}.csv?month={month}{}",
            if bom { "&bom=1" } else { "" }
        )
    };
    let body = html! {
        form.noprint method="get" action="/console/billing" {
            label for="month" { "月" }
            input id="month" type="month" name="month" value=(month);
            " "
            button type="submit" { "表示" }
        }
        @if t.reconciles() {
            (ok("合計は 一致しています（品物の代金 = お店の売上 = 手数料 + 支払い）。"))
        } @else {
            (err("合計が 一致しません。出力しないでください。"))
        }
        table {
            tr { th { "世帯（月額 1,000円）" } td.n { (t.households) " 世帯　" (Yen(t.monthly_fees).to_ja()) } }
            tr { th { "品物の 代金" } td.n { (Yen(t.goods).to_ja()) } }
            tr { th { "タクシーの 料金" } td.n { (t.rides) " 回　" (Yen(t.ride_yen).to_ja()) } }
            tr { th { "お店の 売上（合計）" } td.n { (Yen(t.gross).to_ja()) } }
            tr { th { "手数料 10%（お店ごとに 月の売上から 切り捨て）" } td.n { (Yen(t.fees).to_ja()) } }
            tr { th { "お店への 支払い" } td.n { (Yen(t.payouts).to_ja()) } }
        }
        p {
            a href=(csv("households", false)) { "世帯ごとの 請求 CSV" } " · "
            a href=(csv("sellers", false)) { "お店ごとの 精算 CSV" } " · "
            "BOM つき（表計算ソフト用）: "
            a href=(csv("households", true)) { "世帯" } " · "
            a href=(csv("sellers", true)) { "お店" }
        }
        (try_db!(contributions_section(&s, &month, first, last).await))
    };
    page(&format!("請求 {month}"), Some(&session), body).into_response()
}

/// 負担金: the platform's cost of the month split among the municipalities
/// (the cost and the key are the platform operator's, set with the CLI).
async fn contributions_section(
    s: &AppState,
    month: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Markup, sqlx::Error> {
    use crate::platform::contributions;
    let key = s.db.contribution_key().await?;
    let Some(cost) = s.db.platform_cost(month).await? else {
        return Ok(html! {
            h2 { "負担金（共同利用の 運用費の 分担）" }
            p { "この月の 運用費は まだ 入力されていません（"
                code { "engawa-headend billing cost --month " (month) " --yen 金額" } "）。" }
            p { "分担の きまり（%）: " (key.describe_ja()) }
        });
    };
    let basis = s.db.contribution_basis(first, last).await?;
    let split = contributions::split(month, cost, key, &basis.municipalities);
    Ok(html! {
        h2 { "負担金（共同利用の 運用費の 分担）" }
        p { "運用費 " (Yen(cost).to_ja()) "　分担の きまり（%）: " (key.describe_ja()) }
        @match &split {
            Err(why) => { (err(&format!("分担できません: {why}"))) }
            Ok(split) => {
                @if split.total() == cost {
                    (ok("分担の 合計は 運用費と 1円まで 一致しています。"))
                } @else {
                    (err("分担の 合計が 運用費と 一致しません。"))
                }
                table {
                    tr { th { "自治体" } th { "世帯" } th { "機械" } th { "注文" } th { "乗車" } th { "負担金" } }
                    @for sh in &split.shares {
                        tr {
                            td { (sh.name) "（" (sh.code) "）" }
                            td.n { (sh.counts[1]) } td.n { (sh.counts[2]) }
                            td.n { (sh.counts[3]) } td.n { (sh.counts[4]) }
                            td.n { (Yen(sh.yen).to_ja()) }
                        }
                    }
                }
                @if !split.shared_equally.is_empty() {
                    p { "この月は だれにも ない 項目（" (split.shared_equally.join("・")) "）の 分は 均等に 分けています。" }
                }
                @if basis.households_without > 0 {
                    p { "自治体の ない 世帯が " (basis.households_without) " 世帯 あります（どの 分担にも 入りません）。" }
                }
                p { a href=(format!("/console/billing/contributions.csv?month={month}")) { "負担金 CSV" } }
            }
        }
    })
}

async fn billing_csv(
    State(s): State<AppState>,
    Operator(session): Operator,
    Path(file): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Response {
    let month = month_of(&q, s.clock.now());
    let Some((first, last)) = crate::billing::month_bounds(&month) else {
        return internal("month bounds");
    };
    let b = try_db!(
        s.db.billing_month_in(first, last, &Scope::of(&session))
            .await
    );
    let e = try_db!(crate::billing::export(&month, &b, q.bom.is_some()));
    if !e.totals.reconciles() {
        return internal(format!(
            "billing {month} does not reconcile: {:?}",
            e.totals
        ));
    }
    let (data, name) = match file.as_str() {
        "households.csv" => (e.households_csv, format!("households-{month}.csv")),
        "sellers.csv" => (e.sellers_csv, format!("sellers-{month}.csv")),
        "contributions.csv" => {
            let Some(cost) = try_db!(s.db.platform_cost(&month).await) else {
                return (StatusCode::NOT_FOUND, "no platform cost for this month").into_response();
            };
            let key = try_db!(s.db.contribution_key().await);
            let basis = try_db!(s.db.contribution_basis(first, last).await);
            let split = match crate::platform::contributions::split(
                &month,
                cost,
                key,
                &basis.municipalities,
            ) {
                Ok(split) => split,
                Err(why) => return (StatusCode::CONFLICT, why).into_response(),
            };
            (
                crate::platform::contributions::csv(&split, q.bom.is_some()).into_bytes(),
                format!("contributions-{month}.csv"),
            )
        }
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        data,
    )
        .into_response()
}
