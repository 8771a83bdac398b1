//! The family page, `/family/{link}`: reached from the link in every watch-over
//! mail. The link is the contact's own secret (256 random bits), revocable by the
//! operator; nothing else is needed to use it, so the page never shows more
//! than the family should know — the time of the last key press (never what was
//! watched), the watch-over state and the rule in force — and it lets them pause
//! alerts and set reminders that appear on the TV at the next sync.
//!
//! Responses carry `Referrer-Policy: no-referrer` and `Cache-Control: no-store`
//! so the link does not leak to other sites or shared caches.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use engawa_core::{TOKYO, jp};
use engawa_remind::{PHRASES, Phrase, Repeat, Schedule, WeekdaySet};
use engawa_watch::api::WatchState;
use engawa_watch::mail::time_words;
use engawa_watch::policy::MAX_AWAY;
use serde::Deserialize;

use crate::AppState;
use crate::html::{self, Look, Markup, err, html, warn};
use crate::watch::db::{ContactRow, MAX_PAUSED_DAYS, PauseRefusal, WatchOverview};

/// Reminders one household's family may keep on the box.
pub const MAX_FAMILY_REMINDERS: usize = 20;
/// The pauses offered, in days.
const PAUSE_DAYS: [i64; 4] = [1, 3, 7, 14];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/family/{link}", get(show))
        .route("/family/{link}/pause", post(pause))
        .route("/family/{link}/resume", post(resume))
        .route("/family/{link}/reminders", post(add_reminder))
        .route(
            "/family/{link}/reminders/{id}/delete",
            post(remove_reminder),
        )
}

/// A family page: the shared shell in the family's look, never cached and
/// never sending the link on as a referrer.
fn page(title: &str, body: Markup) -> Response {
    let mut r = Html(html::page(Look::Family, title, html! {}, body).into_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn gone() -> Response {
    let mut r = page(
        "このページは 使えません",
        html! { p { "この リンクは 使えなくなりました。新しい リンクは ケーブルテレビ局に おたずねください。" } },
    );
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "family page failed");
    let mut r = page(
        "エラー",
        err("センターで 問題が おきました。少し たってから もういちど おためしください。"),
    );
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// The contact behind a link, or the response to give instead.
async fn contact(s: &AppState, link: &str) -> Result<ContactRow, Response> {
    if link.len() > 100
        || !link
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(gone());
    }
    match s.db.contact_by_link(link).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(gone()),
        Err(e) => Err(internal(e)),
    }
}

/// 「11月25日(水) 午前9時12分」, with 「きょう」/「きのう」 where it helps.
fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let day = t.with_timezone(&TOKYO).date_naive();
    let today = now.with_timezone(&TOKYO).date_naive();
    let d = match (today - day).num_days() {
        0 => "きょう".to_string(),
        1 => "きのう".to_string(),
        _ => jp::date_ja(day),
    };
    format!("{d} {}", time_words(t))
}

/// The rule in force, in words (shared with the console).
pub fn rule_words(o: &WatchOverview) -> String {
    match (o.threshold_min, o.adaptive) {
        (Some(m), true) => format!(
            "ふだんの 様子から 決めています（いまは {} 操作が ないとき）",
            hours_words(m)
        ),
        (Some(m), false) => format!("{} リモコンの 操作が ないとき", hours_words(m)),
        (None, _) => format!(
            "{} リモコンの 操作が ないとき",
            hours_words(o.policy.threshold.num_minutes())
        ),
    }
}

pub fn hours_words(minutes: i64) -> String {
    jp::duration_ja(minutes)
}

/// The state in words, for family and operator alike.
pub fn state_words(o: &WatchOverview, now: DateTime<Utc>) -> String {
    if let Some(u) = o.paused_until.filter(|u| *u > now) {
        return format!("おしらせを 止めています（{}まで）", when(u, now));
    }
    match o.state {
        Some(WatchState::Away) => match o.away_until {
            Some(u) => format!(
                "留守に なっています（{}まで、自動で もどります）",
                when(u, now)
            ),
            None => "留守に なっています".into(),
        },
        Some(WatchState::Prompting) => "テレビの 画面で 「お元気ですか？」と おたずね中です".into(),
        Some(WatchState::Alerted) => "ご家族に お知らせしました。まだ 操作が ありません".into(),
        Some(WatchState::Watching) => "見守り中です".into(),
        None => "機械からの 報告を 待っています".into(),
    }
}

async fn show(State(s): State<AppState>, Path(link): Path<String>) -> Response {
    let c = match contact(&s, &link).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    render(&s, &c, &link, html! {}).await
}

async fn render(s: &AppState, c: &ContactRow, link: &str, message: Markup) -> Response {
    let now = s.clock.now();
    let o = match s.db.watch_overview(c.household_id).await {
        Ok(Some(o)) => o,
        Ok(None) => return gone(),
        Err(e) => return internal(e),
    };
    let settings = match s.db.watch_settings().await {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let offline_since = o
        .last_heartbeat_at
        .filter(|hb| now - *hb >= settings.offline_after);
    let body = html! {
        (message)
        p { (c.name) " 様 専用の ページです。この リンクは ほかの 方に 教えないでください。" }
        h2 { "いまの 様子" }
        p {
            @match o.last_activity_at {
                Some(t) => { "最後の リモコン操作: " span.big { (when(t, now)) } }
                None => { "まだ リモコン操作の 記録が ありません。" }
            }
        }
        p { (state_words(&o, now)) }
        p { "お知らせする 決まり: " (rule_words(&o)) }
        @if let Some(hb) = offline_since {
            (warn(&format!(
                "機械からの 連絡が {}から とだえています。電源や ケーブルを たしかめてください。",
                when(hb, now)
            )))
        }
        p { "見ていた 番組などは わかりません。わかるのは リモコンを 操作した 時刻だけです。" }
        h2 { "おしらせを 止める" }
        @if o.paused_until.is_some_and(|u| u > now) {
            form method="post" action={ "/family/" (link) "/resume" } {
                button type="submit" { "おしらせを 再開する" }
            }
        } @else {
            p { "入院や 旅行で 家を あけるときに。決めた日に 自動で もどります。" }
            form method="post" action={ "/family/" (link) "/pause" } {
                label for="days" { "止める 期間" }
                " "
                select id="days" name="days" {
                    @for d in PAUSE_DAYS { option value=(d) { (d) "日" } }
                }
                " "
                button type="submit" { "止める" }
            }
        }
        h2 { "テレビに 出す リマインダー" }
        @if o.reminders.is_empty() {
            p { "まだ ありません。" }
        } @else {
            ul {
                @for r in &o.reminders {
                    li {
                        (schedule_words(&r.schedule)) " — " (r.phrase) " "
                        form method="post" action={ "/family/" (link) "/reminders/" (r.id) "/delete" } style="display:inline" {
                            button type="submit" { "消す" }
                        }
                    }
                }
            }
        }
        form method="post" action={ "/family/" (link) "/reminders" } {
            p {
                label for="phrase" { "ことば" }
                br;
                select id="phrase" name="phrase" {
                    @for p in PHRASES { option { (p) } }
                }
                br;
                label for="own" { "または 自分の ことばで（40字まで）" }
                br;
                input id="own" name="own" maxlength="40" size="30";
            }
            p {
                label for="time" { "時刻" } " "
                input id="time" name="time" type="time" value="09:00" required;
            }
            p {
                label for="repeat" { "くりかえし" } " "
                select id="repeat" name="repeat" {
                    option value="daily" { "毎日" }
                    option value="weekly" { "毎週（曜日を えらぶ）" }
                    option value="monthly" { "毎月（日を えらぶ）" }
                    option value="once" { "一度だけ（日付）" }
                }
            }
            p {
                "曜日: "
                @for (i, d) in jp::WEEKDAYS_JA.iter().enumerate() {
                    input type="checkbox" id={ "wd" (i) } name={ "wd" (i) } value="1";
                    label for={ "wd" (i) } { (d) }
                    " "
                }
            }
            p {
                label for="day" { "毎月の 日" } " "
                input id="day" name="day" type="number" min="1" max="31" size="3";
                " "
                label for="date" { "日付" } " "
                input id="date" name="date" type="date";
            }
            p { button type="submit" { "テレビに 出す" } "（次の 連絡で テレビに 届きます）" }
        }
        h2 { "お問い合わせ" }
        p {
            (settings.operator_name)
            @if !settings.operator_phone.is_empty() { "（電話 " (settings.operator_phone) "）" }
        }
    };
    page(&format!("{} さんの 見守り", o.household), body)
}

/// 「毎日 午前9:00」「毎週 月・木 午後2:00」
pub fn schedule_words(s: &Schedule) -> String {
    s.words_ja()
}

fn again(link: &str) -> Response {
    Redirect::to(&format!("/family/{link}")).into_response()
}

#[derive(Deserialize)]
struct PauseForm {
    days: i64,
}

async fn pause(
    State(s): State<AppState>,
    Path(link): Path<String>,
    Form(f): Form<PauseForm>,
) -> Response {
    let c = match contact(&s, &link).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let now = s.clock.now();
    if !PAUSE_DAYS.contains(&f.days) {
        return render(&s, &c, &link, err("止める 期間を えらんでください。")).await;
    }
    let until = (now + Duration::days(f.days)).min(now + MAX_AWAY);
    let pause = match s.db.pause_by_family(c.household_id, c.id, until, now).await {
        Ok(Ok(id)) => id,
        Ok(Err(PauseRefusal::OverMonthlyCap { left_days })) => {
            let why = if left_days > 0 {
                format!(
                    "この 1か月で 止められるのは あと {left_days}日 です（1か月に {MAX_PAUSED_DAYS}日まで）。"
                )
            } else {
                format!(
                    "この 1か月は もう {MAX_PAUSED_DAYS}日 止めたため、止められません。長く 留守に するときは センターに ご連絡ください。"
                )
            };
            return render(&s, &c, &link, err(&why)).await;
        }
        Err(e) => return internal(e),
    };
    tracing::info!(household = c.household_id, contact = c.id, %until, "family paused alerts");
    // Every contact hears of it, the one who paused too: someone holding a
    // forwarded mail cannot silence watch-over unseen.
    let by = c.name.clone();
    if let Err(e) =
        crate::watch::tell_contacts(&s, c.household_id, &format!("pause.{pause}"), now, |ctx| {
            engawa_watch::mail::paused(ctx, &by, until, now)
        })
        .await
    {
        tracing::error!(error = %e, household = c.household_id, "cannot queue the pause notices");
    }
    again(&link)
}

async fn resume(State(s): State<AppState>, Path(link): Path<String>) -> Response {
    let c = match contact(&s, &link).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(e) = s.db.resume_by_family(c.household_id, s.clock.now()).await {
        return internal(e);
    }
    tracing::info!(
        household = c.household_id,
        contact = c.id,
        "family resumed alerts"
    );
    again(&link)
}

#[derive(Deserialize)]
struct ReminderForm {
    #[serde(default)]
    phrase: String,
    #[serde(default)]
    own: String,
    time: String,
    repeat: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    date: String,
    wd0: Option<String>,
    wd1: Option<String>,
    wd2: Option<String>,
    wd3: Option<String>,
    wd4: Option<String>,
    wd5: Option<String>,
    wd6: Option<String>,
}

/// The same rules as on the box: a phrase of 1–40 characters, a valid schedule.
fn reminder_of(f: &ReminderForm) -> Result<(Phrase, Schedule), &'static str> {
    let text = if f.own.trim().is_empty() {
        &f.phrase
    } else {
        &f.own
    };
    if text.chars().any(char::is_control) {
        return Err("ことばに 使えない 文字が あります。");
    }
    let phrase = Phrase::parse(text).map_err(|_| "ことばは 1〜40字で 入れてください。")?;
    let time = NaiveTime::parse_from_str(f.time.trim(), "%H:%M")
        .map_err(|_| "時刻は 9:00 の 形で 入れてください。")?;
    let repeat = match f.repeat.as_str() {
        "daily" => Repeat::Daily,
        "weekly" => {
            let days = [&f.wd0, &f.wd1, &f.wd2, &f.wd3, &f.wd4, &f.wd5, &f.wd6];
            Repeat::Weekly(WeekdaySet::from_flags(days.map(Option::is_some)))
        }
        "monthly" => Repeat::Monthly(
            f.day
                .trim()
                .parse()
                .map_err(|_| "毎月の 日を 1〜31で 入れてください。")?,
        ),
        "once" => Repeat::Once(
            f.date
                .trim()
                .parse::<NaiveDate>()
                .map_err(|_| "日付を 入れてください。")?,
        ),
        _ => return Err("くりかえしを えらんでください。"),
    };
    let schedule = Schedule { time, repeat };
    schedule.validate().map_err(|e| match e {
        engawa_remind::ScheduleError::NoWeekday => {
            "毎週の ときは 曜日を ひとつ以上 えらんでください。"
        }
        engawa_remind::ScheduleError::BadMonthDay(_) => "毎月の 日は 1〜31で 入れてください。",
    })?;
    Ok((phrase, schedule))
}

async fn add_reminder(
    State(s): State<AppState>,
    Path(link): Path<String>,
    Form(f): Form<ReminderForm>,
) -> Response {
    let c = match contact(&s, &link).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let now = s.clock.now();
    let (phrase, schedule) = match reminder_of(&f) {
        Ok(v) => v,
        Err(msg) => return render(&s, &c, &link, err(msg)).await,
    };
    if let Repeat::Once(d) = schedule.repeat
        && schedule.due_on(d).is_none_or(|t| t <= now)
    {
        return render(&s, &c, &link, err("過ぎた 日時は えらべません。")).await;
    }
    match s.db.watch_overview(c.household_id).await {
        Ok(Some(o)) if o.reminders.len() >= MAX_FAMILY_REMINDERS => {
            let msg = format!(
                "リマインダーは {MAX_FAMILY_REMINDERS}個までです。使わないものを 消してください。"
            );
            return render(&s, &c, &link, err(&msg)).await;
        }
        Ok(_) => {}
        Err(e) => return internal(e),
    }
    if let Err(e) =
        s.db.add_family_reminder(c.household_id, c.id, phrase.as_str(), &schedule, now)
            .await
    {
        return internal(e);
    }
    tracing::info!(
        household = c.household_id,
        contact = c.id,
        "family added a reminder"
    );
    again(&link)
}

async fn remove_reminder(
    State(s): State<AppState>,
    Path((link, id)): Path<(String, i64)>,
) -> Response {
    let c = match contact(&s, &link).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match s
        .db
        .remove_family_reminder(c.household_id, id, s.clock.now())
        .await
    {
        Ok(_) => again(&link),
        Err(e) => internal(e),
    }
}
