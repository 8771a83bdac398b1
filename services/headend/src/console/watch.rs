//! Console: 見守り — every household's watch-over state at a glance, and per
//! household the policy (refused when it could never fire), the contacts
//! (addresses checked at entry; a mailbox that refuses mail is flagged), their
//! family-page links (renewing one revokes the old) and the alert log. Plus the
//! operator's own settings for box-offline alerts.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveTime};
use engawa_watch::api::MAX_CONTACTS;
use engawa_watch::{Bounds, Policy};
use serde::Deserialize;

use super::{CsrfForm, CsrfOnly, Operator, clean, csrf_field, err, esc, internal, ok, page};
use crate::AppState;
use crate::db::Session;
use crate::db::watch::{ContactRefusal, WatchSettings};
use crate::family::{hours_words, rule_words, schedule_words, state_words};

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

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| {
        t.with_timezone(&engawa_core::TOKYO)
            .format("%m/%d %H:%M")
            .to_string()
    })
    .unwrap_or_else(|| "—".into())
}

async fn overview(State(s): State<AppState>, Operator(session): Operator) -> Response {
    let now = s.clock.now();
    let settings = try_db!(s.db.watch_settings().await);
    let mut body = String::new();
    if settings.operator_email.is_empty() {
        body.push_str(&err(
            "機械の 連絡が とだえたときの 知らせ先が ありません。「見守りの 設定」で 入れてください。",
        ));
    }
    body.push_str(
        "<p><a href=\"/console/watch/settings\">見守りの 設定（センターの 知らせ先）</a></p>\
         <table><tr><th>番号</th><th>世帯</th><th>いまの 様子</th><th>最後の 操作</th><th>機械の 連絡</th>\
         <th>決まり</th><th>知らせ先</th></tr>",
    );
    for h in try_db!(s.db.households().await) {
        let Some(o) = try_db!(s.db.watch_overview(h.id).await) else {
            continue;
        };
        let offline = o
            .last_heartbeat_at
            .is_some_and(|t| now - t >= settings.offline_after);
        let bounced = o.contacts.iter().filter(|c| c.bounced.is_some()).count();
        let _ = write!(
            body,
            "<tr><td class=\"n\">{}</td><td><a href=\"/console/watch/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}{}</td>\
             <td>{}</td><td>{}人{}</td></tr>",
            h.id,
            h.id,
            esc(&h.name),
            esc(&state_words(&o, now)),
            when(o.last_activity_at),
            when(o.last_heartbeat_at),
            if offline { " <b>とだえ</b>" } else { "" },
            esc(&rule_words(&o)),
            o.contacts.len(),
            if bounced > 0 {
                format!(" <b>（{bounced}人 メールが 届きません）</b>")
            } else {
                String::new()
            }
        );
    }
    body.push_str("</table>");
    page("見守り", Some(&session), &body).into_response()
}

async fn household(
    State(s): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
) -> Response {
    household_page(&s, &session, id, "", None).await
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

async fn household_page(
    s: &AppState,
    session: &Session,
    id: i64,
    message: &str,
    form: Option<PolicyForm>,
) -> Response {
    let now = s.clock.now();
    let Some(o) = try_db!(s.db.watch_overview(id).await) else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            page("見守り", Some(session), &err("その 世帯は ありません。")),
        )
            .into_response();
    };
    let f = form.unwrap_or_else(|| PolicyForm::of(&o.policy));
    let mut body = String::from(message);
    let _ = write!(
        body,
        "<p>いまの 様子: <b>{}</b><br>最後の リモコン操作: {}　機械の 最後の 連絡: {}<br>お知らせする 決まり: {}</p>",
        esc(&state_words(&o, now)),
        when(o.last_activity_at),
        when(o.last_heartbeat_at),
        esc(&rule_words(&o))
    );

    body.push_str("<h2>知らせる 家族（この順に 知らせます）</h2>");
    body.push_str(
        "<table><tr><th>順</th><th>名前</th><th>メール</th><th>家族の ページ</th><th></th></tr>",
    );
    for (i, c) in o.contacts.iter().enumerate() {
        let flag = match &c.bounced {
            Some((at, why)) => format!(
                "<br><b class=\"err\" style=\"display:inline-block;padding:2px 6px;margin:4px 0\">メールが 届きません（{}）</b><br><small>{}</small>",
                when(Some(*at)),
                esc(why)
            ),
            None => String::new(),
        };
        let _ = write!(
            body,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}{}</td><td><small>{}/family/{}</small>\
             <form method=\"post\" action=\"/console/watch/{id}/contacts/{cid}/link\">{csrf}\
             <button type=\"submit\">リンクを 作りなおす</button></form></td>\
             <td><form method=\"post\" action=\"/console/watch/{id}/contacts/{cid}/remove\">{csrf}\
             <button type=\"submit\">はずす</button></form></td></tr>",
            i + 1,
            esc(&c.name),
            esc(&c.email),
            flag,
            esc(&s.public_url),
            esc(&c.link_token),
            cid = c.id,
            csrf = csrf_field(session)
        );
    }
    body.push_str("</table>");
    if o.contacts.len() < MAX_CONTACTS {
        let _ = write!(
            body,
            "<form class=\"box\" method=\"post\" action=\"/console/watch/{id}/contacts\">{}\
             <p><label for=\"c-name\">名前</label><input id=\"c-name\" name=\"name\" required maxlength=\"40\"></p>\
             <p><label for=\"c-email\">メール</label><input id=\"c-email\" name=\"email\" type=\"text\" inputmode=\"email\" required maxlength=\"254\" size=\"30\"></p>\
             <p><button type=\"submit\">家族を 加える</button></p></form>",
            csrf_field(session)
        );
    } else {
        let _ = write!(body, "<p>知らせる 家族は {MAX_CONTACTS}人までです。</p>");
    }

    let _ = write!(
        body,
        "<h2>決まり</h2><form class=\"box\" method=\"post\" action=\"/console/watch/{id}/policy\">{csrf}\
         <p><label for=\"p-th\">知らせるまで</label><input id=\"p-th\" name=\"threshold_h\" value=\"{th}\" size=\"4\"> 時間 リモコンの 操作が ないとき（ふだんの 様子が わかるまでの 決まり）</p>\
         <p><label for=\"p-grace\">画面で たずねる</label><input id=\"p-grace\" name=\"grace_min\" value=\"{grace}\" size=\"4\"> 分 待ってから メール</p>\
         <p><label for=\"p-re\">二度目の メール</label><input id=\"p-re\" name=\"realert_h\" value=\"{re}\" size=\"4\"> 時間後</p>\
         <p><label for=\"p-qf\">メールを 送らない</label><input id=\"p-qf\" name=\"quiet_from\" type=\"time\" value=\"{qf}\"> 〜 \
         <input id=\"p-qt\" name=\"quiet_to\" type=\"time\" value=\"{qt}\" aria-label=\"おわり\">（空なら いつでも 送る）</p>\
         <p><input type=\"checkbox\" id=\"p-ad\" name=\"adaptive\" value=\"1\"{ad}> <label for=\"p-ad\">ふだんの 様子から 決める</label> \
         最小 <input name=\"min_h\" value=\"{min}\" size=\"3\" aria-label=\"最小\"> 〜 最大 <input name=\"max_h\" value=\"{max}\" size=\"3\" aria-label=\"最大\"> 時間</p>\
         <p><input type=\"checkbox\" id=\"p-dg\" name=\"digest\" value=\"1\"{dg}> <label for=\"p-dg\">毎日 「お元気です」を 送る</label> \
         <label for=\"p-ct\" style=\"min-width:0\">時刻</label> <input id=\"p-ct\" name=\"check_time\" type=\"time\" value=\"{ct}\" required></p>\
         <p><button type=\"submit\">決まりを 保存する</button></p></form>",
        csrf = csrf_field(session),
        th = esc(&f.threshold_h),
        grace = esc(&f.grace_min),
        re = esc(&f.realert_h),
        qf = esc(&f.quiet_from),
        qt = esc(&f.quiet_to),
        ad = if f.adaptive.is_some() { " checked" } else { "" },
        min = esc(&f.min_h),
        max = esc(&f.max_h),
        dg = if f.digest.is_some() { " checked" } else { "" },
        ct = esc(&f.check_time),
    );

    body.push_str("<h2>家族が 入れた リマインダー</h2>");
    if o.reminders.is_empty() {
        body.push_str("<p>ありません。</p>");
    } else {
        body.push_str("<ul>");
        for r in &o.reminders {
            let _ = write!(
                body,
                "<li>{} — {}</li>",
                esc(&schedule_words(&r.schedule)),
                esc(&r.phrase)
            );
        }
        body.push_str("</ul>");
    }

    body.push_str("<h2>記録</h2><table><tr><th>とき</th><th>できごと</th></tr>");
    for a in &o.alerts {
        let what = match a.kind.as_str() {
            "inactive" => format!("操作なし: 家族に {}回目の メール", a.n),
            "all_clear" => "操作あり: 「ご安心ください」".into(),
            "away" => "留守（3日より 長い）を 家族に 知らせた".into(),
            "offline" => "機械の 連絡 とだえ: センターに 知らせた".into(),
            "offline_family" => "機械の 連絡 とだえ: 家族に 知らせた".into(),
            "online" => "機械の 連絡 もどった".into(),
            other => other.to_string(),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{} {}</td></tr>",
            when(Some(a.at)),
            esc(&what),
            esc(&a.detail)
        );
    }
    body.push_str("</table>");
    page(&format!("見守り — {}", o.household), Some(session), &body).into_response()
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
            household_page(
                &s,
                &session,
                id,
                &ok(&format!(
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
            household_page(&s, &session, id, &msg, Some(f)).await
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
            &err("名前を 40字までで 入れてください。"),
            None,
        )
        .await;
    };
    if let Err(why) = engawa_mail::check_address(&f.email) {
        let msg = err(&format!("「{}」: {why}", f.email.trim()));
        return household_page(&s, &session, id, &msg, None).await;
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
    household_page(&s, &session, id, &msg, None).await
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
    household_page(&s, &session, id, &msg, None).await
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
    household_page(&s, &session, id, &msg, None).await
}

async fn settings(State(s): State<AppState>, Operator(session): Operator) -> Response {
    settings_page(&s, &session, "").await
}

async fn settings_page(s: &AppState, session: &Session, message: &str) -> Response {
    let w = try_db!(s.db.watch_settings().await);
    let body = format!(
        "{message}<form class=\"box\" method=\"post\" action=\"/console/watch/settings\">{}\
         <p><label for=\"w-name\">センターの 名前</label><input id=\"w-name\" name=\"operator_name\" value=\"{}\" maxlength=\"60\" required></p>\
         <p><label for=\"w-phone\">電話（メールに 書きます）</label><input id=\"w-phone\" name=\"operator_phone\" value=\"{}\" maxlength=\"20\"></p>\
         <p><label for=\"w-email\">知らせ先 メール</label><input id=\"w-email\" name=\"operator_email\" value=\"{}\" maxlength=\"254\" size=\"30\"></p>\
         <p><label for=\"w-off\">機械の 連絡が</label><input id=\"w-off\" name=\"offline_after_h\" value=\"{}\" size=\"4\"> 時間 とだえたら センターに 知らせる</p>\
         <p><label for=\"w-fam\">さらに</label><input id=\"w-fam\" name=\"family_after_h\" value=\"{}\" size=\"4\"> 時間 とだえたままなら 家族にも 知らせる（とだえてからの 時間）</p>\
         <p><button type=\"submit\">保存する</button></p></form>",
        csrf_field(session),
        esc(&w.operator_name),
        esc(&w.operator_phone),
        esc(&w.operator_email),
        hours(w.offline_after),
        hours(w.family_after),
    );
    page("見守りの 設定", Some(session), &body).into_response()
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
            settings_page(&s, &session, &err(&format!("{msg} 何も 変えていません。"))).await
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
    settings_page(&s, &session, &ok("保存しました。")).await
}
