//! Console: 見守り — every household's watch-over state at a glance, and per
//! household the policy (refused when it could never fire), the contacts
//! (addresses checked at entry; a mailbox that refuses mail is flagged), their
//! family-page links (renewing one revokes the old) and the alert log. Plus the
//! operator's own settings for box-offline alerts.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveTime};
use engawa_watch::api::MAX_CONTACTS;
use engawa_watch::{Bounds, Policy};
use serde::Deserialize;

use crate::AppState;
use crate::checks::clean;
use crate::console::access::{self, OFFICE, Owner, PLATFORM};
use crate::console::{CsrfForm, CsrfOnly, Operator, csrf_field, page, short_time, try_db};
use crate::db::{Scope, Session};
use crate::html::{Markup, err, html, ok};
use crate::watch::db::{ContactRefusal, WatchSettings};
use crate::watch::family::{hours_words, rule_words, schedule_words, state_words};

/// Who may use the watch-over console pages (see `console::access`). The
/// settings (the centre's address, the defaults) are the platform's for now.
pub(crate) const ACCESS: &[access::Access] = &[
    access::get("/console/watch", OFFICE),
    access::get("/console/watch/settings", OFFICE),
    access::post("/console/watch/settings", PLATFORM),
    access::get("/console/watch/{id}", OFFICE).of(Owner::Household),
    access::post("/console/watch/{id}/policy", OFFICE).of(Owner::Household),
    access::post("/console/watch/{id}/contacts", OFFICE).of(Owner::Household),
    access::post("/console/watch/{id}/contacts/{cid}/remove", OFFICE).of(Owner::Household),
    access::post("/console/watch/{id}/contacts/{cid}/link", OFFICE).of(Owner::Household),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/watch", get(overview))
        .route("/console/watch/settings", get(settings).post(save_settings))
        .route("/console/watch/{id}", get(household))
        .route("/console/watch/{id}/policy", post(save_policy))
        .route("/console/watch/{id}/contacts", post(add_contact))
        .route(
            "/console/watch/{id}/contacts/{cid}/remove",
            post(remove_contact),
        )
        .route("/console/watch/{id}/contacts/{cid}/link", post(renew_link))
}

async fn overview(State(s): State<AppState>, Operator(session): Operator) -> Response {
    let now = s.clock.now();
    let settings = try_db!(s.db.watch_settings().await);
    let mut rows = Vec::new();
    for h in try_db!(s.db.households_in(&Scope::of(&session)).await) {
        if let Some(o) = try_db!(s.db.watch_overview(h.id).await) {
            rows.push((h, o));
        }
    }
    let body = html! {
        @if settings.operator_email.is_empty() {
            (err("機械の 連絡が とだえたときの 知らせ先が ありません。「見守りの 設定」で 入れてください。"))
        }
        p { a href="/console/watch/settings" { "見守りの 設定（センターの 知らせ先）" } }
        table {
            tr {
                th { "番号" } th { "世帯" } th { "いまの 様子" } th { "最後の 操作" } th { "機械の 連絡" }
                th { "決まり" } th { "知らせ先" }
            }
            @for (h, o) in &rows {
                @let offline = o.last_heartbeat_at.is_some_and(|t| now - t >= settings.offline_after);
                @let bounced = o.contacts.iter().filter(|c| c.bounced.is_some()).count();
                tr {
                    td.n { (h.id) }
                    td { a href={ "/console/watch/" (h.id) } { (h.name) } }
                    td { (state_words(o, now)) }
                    td { (short_time(o.last_activity_at)) }
                    td { (short_time(o.last_heartbeat_at)) @if offline { " " b { "とだえ" } } }
                    td { (rule_words(o)) }
                    td {
                        (o.contacts.len()) "人"
                        @if bounced > 0 { " " b { "（" (bounced) "人 メールが 届きません）" } }
                    }
                }
            }
        }
    };
    page("見守り", Some(&session), body).into_response()
}

async fn household(
    State(s): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
) -> Response {
    household_page(&s, &session, id, html! {}, None).await
}

/// The policy form's fields, as typed (so a refused form comes back as it was).
#[derive(Deserialize, Default, Clone)]
struct PolicyForm {
    threshold_h: String,
    grace_min: String,
    realert_h: String,
    check_time: String,
    #[serde(default)]
    quiet_from: String,
    #[serde(default)]
    quiet_to: String,
    adaptive: Option<String>,
    #[serde(default)]
    min_h: String,
    #[serde(default)]
    max_h: String,
    digest: Option<String>,
}

fn hours(v: Duration) -> String {
    let m = v.num_minutes();
    if m % 60 == 0 {
        (m / 60).to_string()
    } else {
        format!("{:.1}", m as f64 / 60.0)
    }
}

impl PolicyForm {
    fn of(p: &Policy) -> PolicyForm {
        PolicyForm {
            threshold_h: hours(p.threshold),
            grace_min: p.grace.num_minutes().to_string(),
            realert_h: hours(p.realert),
            check_time: p.check_time.format("%H:%M").to_string(),
            quiet_from: p
                .quiet
                .map(|q| q.0.format("%H:%M").to_string())
                .unwrap_or_default(),
            quiet_to: p
                .quiet
                .map(|q| q.1.format("%H:%M").to_string())
                .unwrap_or_default(),
            adaptive: p.adaptive.map(|_| "1".into()),
            min_h: p
                .adaptive
                .map(|b| hours(b.min))
                .unwrap_or_else(|| "6".into()),
            max_h: p
                .adaptive
                .map(|b| hours(b.max))
                .unwrap_or_else(|| "24".into()),
            digest: p.daily_digest.then(|| "1".into()),
        }
    }

    /// The policy, or what is wrong with the form in Japanese.
    fn policy(&self) -> Result<Policy, String> {
        fn hours(v: &str, what: &str) -> Result<Duration, String> {
            let h: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("{what}を 時間の 数で 入れてください。"))?;
            if !(0.0..=24.0 * 14.0).contains(&h) {
                return Err(format!("{what}は 0〜336時間で 入れてください。"));
            }
            Ok(Duration::minutes((h * 60.0).round() as i64))
        }
        fn time(v: &str, what: &str) -> Result<NaiveTime, String> {
            NaiveTime::parse_from_str(v.trim(), "%H:%M")
                .map_err(|_| format!("{what}は 9:00 の 形で 入れてください。"))
        }
        let grace: i64 = self
            .grace_min
            .trim()
            .parse()
            .map_err(|_| "画面で たずねる時間を 分の 数で 入れてください。".to_string())?;
        let quiet = match (self.quiet_from.trim(), self.quiet_to.trim()) {
            ("", "") => None,
            (f, t) => Some((
                time(f, "メールを 送らない時間の はじめ")?,
                time(t, "メールを 送らない時間の おわり")?,
            )),
        };
        let p = Policy {
            threshold: hours(&self.threshold_h, "知らせるまでの 時間")?,
            check_time: time(&self.check_time, "毎日の 確認時刻")?,
            grace: Duration::minutes(grace.clamp(-1, 24 * 60)),
            realert: hours(&self.realert_h, "二度目の メールまでの 時間")?,
            quiet,
            adaptive: match self.adaptive {
                Some(_) => Some(Bounds {
                    min: hours(&self.min_h, "自動の 最小")?,
                    max: hours(&self.max_h, "自動の 最大")?,
                }),
                None => None,
            },
            daily_digest: self.digest.is_some(),
        };
        p.validate().map_err(|e| e.message_ja().to_string())?;
        Ok(p)
    }
}

/// What an alert-log entry says happened.
fn alert_words(kind: &str, n: i64) -> String {
    match kind {
        "inactive" => format!("操作なし: 家族に {n}回目の メール"),
        "all_clear" => "操作あり: 「ご安心ください」".into(),
        "away" => "留守（3日より 長い）を 家族に 知らせた".into(),
        "offline" => "機械の 連絡 とだえ: センターに 知らせた".into(),
        "offline_family" => "機械の 連絡 とだえ: 家族に 知らせた".into(),
        "online" => "機械の 連絡 もどった".into(),
        other => other.to_string(),
    }
}

async fn household_page(
    s: &AppState,
    session: &Session,
    id: i64,
    message: Markup,
    form: Option<PolicyForm>,
) -> Response {
    let now = s.clock.now();
    let Some(o) = try_db!(s.db.watch_overview(id).await) else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            page("見守り", Some(session), err("その 世帯は ありません。")),
        )
            .into_response();
    };
    let f = form.unwrap_or_else(|| PolicyForm::of(&o.policy));
    let body = html! {
        (message)
        p {
            "いまの 様子: " b { (state_words(&o, now)) } br;
            "最後の リモコン操作: " (short_time(o.last_activity_at))
            "　機械の 最後の 連絡: " (short_time(o.last_heartbeat_at)) br;
            "お知らせする 決まり: " (rule_words(&o))
        }
        h2 { "知らせる 家族（この順に 知らせます）" }
        table {
            tr { th { "順" } th { "名前" } th { "メール" } th { "家族の ページ" } th {} }
            @for (i, c) in o.contacts.iter().enumerate() {
                tr {
                    td.n { (i + 1) }
                    td { (c.name) }
                    td {
                        (c.email)
                        @if let Some((at, why)) = &c.bounced {
                            br;
                            b.err style="display:inline-block;padding:2px 6px;margin:4px 0" {
                                "メールが 届きません（" (short_time(Some(*at))) "）"
                            }
                            br;
                            small { (why) }
                        }
                    }
                    td {
                        // The link is the family's key to their page: the
                        // console shows only enough to tell links apart.
                        small { (s.public_url) "/family/" (masked(&c.link_token)) }
                        form method="post" action={ "/console/watch/" (id) "/contacts/" (c.id) "/link" } {
                            (csrf_field(session))
                            button type="submit" { "リンクを 作りなおす" }
                        }
                    }
                    td {
                        form method="post" action={ "/console/watch/" (id) "/contacts/" (c.id) "/remove" } {
                            (csrf_field(session))
                            button type="submit" { "はずす" }
                        }
                    }
                }
            }
        }
        @if o.contacts.len() < MAX_CONTACTS {
            form.box method="post" action={ "/console/watch/" (id) "/contacts" } {
                (csrf_field(session))
                p { label for="c-name" { "名前" } input id="c-name" name="name" required maxlength="40"; }
                p {
                    label for="c-email" { "メール" }
                    input id="c-email" name="email" type="text" inputmode="email" required maxlength="254" size="30";
                }
                p { button type="submit" { "家族を 加える" } }
            }
        } @else {
            p { "知らせる 家族は " (MAX_CONTACTS) "人までです。" }
        }
        h2 { "決まり" }
        form.box method="post" action={ "/console/watch/" (id) "/policy" } {
            (csrf_field(session))
            p {
                label for="p-th" { "知らせるまで" }
                input id="p-th" name="threshold_h" value=(f.threshold_h) size="4";
                " 時間 リモコンの 操作が ないとき（ふだんの 様子が わかるまでの 決まり）"
            }
            p {
                label for="p-grace" { "画面で たずねる" }
                input id="p-grace" name="grace_min" value=(f.grace_min) size="4";
                " 分 待ってから メール"
            }
            p {
                label for="p-re" { "二度目の メール" }
                input id="p-re" name="realert_h" value=(f.realert_h) size="4";
                " 時間後"
            }
            p {
                label for="p-qf" { "メールを 送らない" }
                input id="p-qf" name="quiet_from" type="time" value=(f.quiet_from);
                " 〜 "
                input id="p-qt" name="quiet_to" type="time" value=(f.quiet_to) aria-label="おわり";
                "（空なら いつでも 送る）"
            }
            p {
                input type="checkbox" id="p-ad" name="adaptive" value="1" checked[f.adaptive.is_some()];
                " " label for="p-ad" { "ふだんの 様子から 決める" } " "
                "最小 " input name="min_h" value=(f.min_h) size="3" aria-label="最小";
                " 〜 最大 " input name="max_h" value=(f.max_h) size="3" aria-label="最大";
                " 時間"
            }
            p {
                input type="checkbox" id="p-dg" name="digest" value="1" checked[f.digest.is_some()];
                " " label for="p-dg" { "毎日 「お元気です」を 送る" } " "
                label for="p-ct" style="min-width:0" { "時刻" } " "
                input id="p-ct" name="check_time" type="time" value=(f.check_time) required;
            }
            p { button type="submit" { "決まりを 保存する" } }
        }
        h2 { "家族が 入れた リマインダー" }
        @if o.reminders.is_empty() {
            p { "ありません。" }
        } @else {
            ul {
                @for r in &o.reminders {
                    li { (schedule_words(&r.schedule)) " — " (r.phrase) }
                }
            }
        }
        h2 { "記録" }
        table {
            tr { th { "とき" } th { "できごと" } }
            @for a in &o.alerts {
                tr { td { (short_time(Some(a.at))) } td { (alert_words(&a.kind, a.n)) " " (a.detail) } }
            }
        }
    };
    page(&format!("見守り — {}", o.household), Some(session), body).into_response()
}

async fn save_policy(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(session, f): CsrfForm<PolicyForm>,
) -> Response {
    match f.policy() {
        Ok(p) => {
            try_db!(s.db.set_watch_policy(id, &p).await);
            tracing::info!(operator = %session.operator, household = id, "watch-over policy changed");
            household_page(&s, &session, id, ok(&format!(
                    "保存しました。{} 操作が なければ 画面で たずね、{}分 返事が なければ 家族に メールします。",
                    hours_words(p.threshold.num_minutes()),
                    p.grace.num_minutes()
                )),
                None,
            )
            .await
        }
        Err(msg) => {
            let msg = err(&format!("{msg} 何も 変えていません。"));
            household_page(&s, &session, id, msg, Some(f)).await
        }
    }
}

#[derive(Deserialize)]
struct ContactForm {
    name: String,
    email: String,
}

async fn add_contact(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(session, f): CsrfForm<ContactForm>,
) -> Response {
    let Some(name) = clean(&f.name, 40).filter(|n| !n.is_empty()) else {
        return household_page(
            &s,
            &session,
            id,
            err("名前を 40字までで 入れてください。"),
            None,
        )
        .await;
    };
    if let Err(why) = engawa_mail::check_address(&f.email) {
        let msg = err(&format!("「{}」: {why}", f.email.trim()));
        return household_page(&s, &session, id, msg, None).await;
    }
    let msg = match try_db!(
        s.db.add_contact(id, &name, f.email.trim(), s.clock.now())
            .await
    ) {
        Ok(_) => {
            tracing::info!(operator = %session.operator, household = id, "watch-over contact added");
            ok(&format!(
                "{name} さんを 加えました。次の 連絡で 機械に 届きます。"
            ))
        }
        Err(ContactRefusal::TooMany) => err(&format!("知らせる 家族は {MAX_CONTACTS}人までです。")),
        Err(ContactRefusal::NoSuchHousehold) => err("その 世帯は ありません。"),
    };
    household_page(&s, &session, id, msg, None).await
}

async fn remove_contact(
    State(s): State<AppState>,
    Path((id, cid)): Path<(i64, i64)>,
    CsrfForm(session, _): CsrfForm<CsrfOnly>,
) -> Response {
    let done = try_db!(s.db.remove_contact(id, cid, s.clock.now()).await);
    let msg = if done {
        tracing::info!(operator = %session.operator, household = id, contact = cid, "watch-over contact removed");
        ok("はずしました。その方の ページも 使えなくなりました。")
    } else {
        err("その 方は もう いません。")
    };
    household_page(&s, &session, id, msg, None).await
}

async fn renew_link(
    State(s): State<AppState>,
    Path((id, cid)): Path<(i64, i64)>,
    CsrfForm(session, _): CsrfForm<CsrfOnly>,
) -> Response {
    let done = try_db!(s.db.renew_contact_link(id, cid).await);
    let msg = if done {
        tracing::info!(operator = %session.operator, household = id, contact = cid, "family link renewed");
        ok("新しい リンクを 作りました。前の リンクは もう 使えません。")
    } else {
        err("その 方は もう いません。")
    };
    household_page(&s, &session, id, msg, None).await
}

async fn settings(State(s): State<AppState>, Operator(session): Operator) -> Response {
    settings_page(&s, &session, html! {}).await
}

async fn settings_page(s: &AppState, session: &Session, message: Markup) -> Response {
    let w = try_db!(s.db.watch_settings().await);
    let body = html! {
        (message)
        form.box method="post" action="/console/watch/settings" {
            (csrf_field(session))
            p {
                label for="w-name" { "センターの 名前" }
                input id="w-name" name="operator_name" value=(w.operator_name) maxlength="60" required;
            }
            p {
                label for="w-phone" { "電話（メールに 書きます）" }
                input id="w-phone" name="operator_phone" value=(w.operator_phone) maxlength="20";
            }
            p {
                label for="w-email" { "知らせ先 メール" }
                input id="w-email" name="operator_email" value=(w.operator_email) maxlength="254" size="30";
            }
            p {
                label for="w-off" { "機械の 連絡が" }
                input id="w-off" name="offline_after_h" value=(hours(w.offline_after)) size="4";
                " 時間 とだえたら センターに 知らせる"
            }
            p {
                label for="w-fam" { "さらに" }
                input id="w-fam" name="family_after_h" value=(hours(w.family_after)) size="4";
                " 時間 とだえたままなら 家族にも 知らせる（とだえてからの 時間）"
            }
            p { button type="submit" { "保存する" } }
        }
    };
    page("見守りの 設定", Some(session), body).into_response()
}

#[derive(Deserialize)]
struct SettingsForm {
    operator_name: String,
    #[serde(default)]
    operator_phone: String,
    #[serde(default)]
    operator_email: String,
    offline_after_h: String,
    family_after_h: String,
}

async fn save_settings(
    State(s): State<AppState>,
    CsrfForm(session, f): CsrfForm<SettingsForm>,
) -> Response {
    let refuse = |msg: String| {
        let s = s.clone();
        let session = session.clone();
        async move {
            settings_page(&s, &session, err(&format!("{msg} 何も 変えていません。"))).await
        }
    };
    let (Some(name), Some(phone)) = (clean(&f.operator_name, 60), clean(&f.operator_phone, 20))
    else {
        return refuse("名前か 電話に 使えない 文字が あります。".into()).await;
    };
    let email = f.operator_email.trim().to_string();
    if !email.is_empty()
        && let Err(why) = engawa_mail::check_address(&email)
    {
        return refuse(format!("「{email}」: {why}")).await;
    }
    let hours = |v: &str| -> Option<Duration> {
        let h: f64 = v.trim().parse().ok()?;
        (0.25..=24.0 * 7.0)
            .contains(&h)
            .then(|| Duration::minutes((h * 60.0).round() as i64))
    };
    let (Some(offline_after), Some(family_after)) =
        (hours(&f.offline_after_h), hours(&f.family_after_h))
    else {
        return refuse("時間は 0.25〜168 の 数で 入れてください。".into()).await;
    };
    if family_after <= offline_after {
        return refuse("家族に 知らせるのは センターより あとに してください。".into()).await;
    }
    let w = WatchSettings {
        operator_email: email,
        operator_name: name,
        operator_phone: phone,
        offline_after,
        family_after,
    };
    try_db!(s.db.set_watch_settings(&w).await);
    tracing::info!(operator = %session.operator, "watch-over settings changed");
    settings_page(&s, &session, ok("保存しました。")).await
}

/// 「AbCd…」: the first four characters of a family-page token.
fn masked(token: &str) -> String {
    let head: String = token.chars().take(4).collect();
    format!("{head}…")
}
