//! Watch-over on the head-end, over real HTTP and a real SMTP server: the console
//! sets policy and contacts (bad ones refused), the box fetches them, the family
//! page shows the last key press and pauses or adds reminders, box reports land
//! once, a silent box alerts the operator then the family, the daily digest goes
//! out once a day.

mod common;
#[path = "../../../tests/support/smtp.rs"]
mod smtp;

use chrono::{DateTime, Duration, Utc};
use common::{Headend, code};
use engawa_core::Clock;
use engawa_core::clock::tokyo;
use engawa_headend::watch::db::WatchSettings;
use engawa_mail::{MailSettings, Security};
use engawa_watch::api::WatchConfig;
use reqwest::StatusCode;
use serde_json::json;

async fn heartbeat(h: &Headend, token: &str, last: Option<DateTime<Utc>>) -> i64 {
    let (s, answer) = h
        .post_keyed(
            "/v1/heartbeat",
            json!({"software_version": "0.1.0", "uptime_s": 60, "last_activity_at": last}),
            Some(token),
            &format!("hb-{}", h.clock.now().timestamp()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    answer["watch_version"].as_i64().unwrap()
}

async fn config(h: &Headend, token: &str) -> WatchConfig {
    let (s, v) = h.get("/v1/watch", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    serde_json::from_value(v).unwrap()
}

fn policy_form<'a>(threshold: &'a str, grace: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("threshold_h", threshold),
        ("grace_min", grace),
        ("realert_h", "6"),
        ("check_time", "09:00"),
    ]
}

#[tokio::test]
async fn console_policy_and_contacts_reach_the_box_and_bad_ones_change_nothing() {
    let h = Headend::start().await;
    let a = h.household("山田 ハナ").await;
    let b = h.household("佐藤 トメ").await;
    let token = h.pair("EGW-A", a).await;
    let token_b = h.pair("EGW-B", b).await;
    assert_eq!(heartbeat(&h, &token, None).await, 1);
    let c = config(&h, &token).await;
    assert_eq!(c.policy, engawa_watch::Policy::default());
    assert!(c.contacts.is_empty());

    let console = h.console().await;
    let path = format!("/console/watch/{a}/policy");
    // Policies that could never fire are refused, each with its reason.
    for (fields, why) in [
        (policy_form("1", "90"), "画面で たずねる時間より 長く"),
        (policy_form("abc", "60"), "時間の 数で"),
        (
            [
                policy_form("24", "60"),
                vec![("quiet_from", "22:00"), ("quiet_to", "22:00")],
            ]
            .concat(),
            "一日じゅう",
        ),
        (
            [
                policy_form("24", "60"),
                vec![("adaptive", "1"), ("min_h", "12"), ("max_h", "6")],
            ]
            .concat(),
            "最小が 最大より",
        ),
    ] {
        let (s, page) = console.form(&path, &fields).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(why), "{why}: {page}");
        assert!(page.contains("何も 変えていません"));
    }
    assert_eq!(heartbeat(&h, &token, None).await, 1, "nothing changed");

    let good = [
        policy_form("12", "30"),
        vec![
            ("quiet_from", "22:00"),
            ("quiet_to", "06:00"),
            ("adaptive", "1"),
            ("min_h", "6"),
            ("max_h", "24"),
            ("digest", "1"),
        ],
    ]
    .concat();
    let (_, page) = console.form(&path, &good).await;
    assert!(page.contains("保存しました。12時間"), "{page}");
    assert_eq!(heartbeat(&h, &token, None).await, 2);
    let c = config(&h, &token).await;
    assert_eq!(c.version, 2);
    assert_eq!(c.policy.threshold, Duration::hours(12));
    assert_eq!(c.policy.grace, Duration::minutes(30));
    assert!(c.policy.daily_digest);
    assert!(c.policy.quiet.is_some());

    // Contacts: addresses checked at entry.
    let contacts = format!("/console/watch/{a}/contacts");
    for bad in [
        "taro@",
        "たろう@example.jp",
        "taro@localhost",
        "taro example.jp",
    ] {
        let (_, page) = console
            .form(&contacts, &[("name", "山田 太郎"), ("email", bad)])
            .await;
        assert!(page.contains("メールアドレス"), "{bad}: {page}");
    }
    let (_, page) = console
        .form(&contacts, &[("name", " "), ("email", "taro@example.jp")])
        .await;
    assert!(page.contains("名前を"), "{page}");
    assert!(h.db.contacts(a).await.unwrap().is_empty());
    for (name, email) in [
        ("山田 太郎", "taro@example.jp"),
        ("<b>花子</b>", "hanako@example.jp"),
        ("山田 次郎", "jiro@example.jp"),
        ("鈴木 さち", "sachi@example.jp"),
    ] {
        let (_, page) = console
            .form(&contacts, &[("name", name), ("email", email)])
            .await;
        assert!(page.contains("加えました"), "{page}");
        assert!(!page.contains("<b>花子</b>"), "names are escaped");
    }
    let (_, page) = console
        .form(
            &contacts,
            &[("name", "五人目"), ("email", "five@example.jp")],
        )
        .await;
    assert!(page.contains("4人までです"), "{page}");
    let c = config(&h, &token).await;
    let names: Vec<&str> = c.contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["山田 太郎", "<b>花子</b>", "山田 次郎", "鈴木 さち"]
    );
    assert!(
        c.contacts[0]
            .link
            .starts_with("http://127.0.0.1:8080/family/")
    );
    // Another household's box sees none of it.
    let other = config(&h, &token_b).await;
    assert!(other.contacts.is_empty());
    assert_eq!(other.policy, engawa_watch::Policy::default());

    // Removing a contact retires their link.
    let jiro = &h.db.contacts(a).await.unwrap()[2];
    let (_, page) = console
        .form(
            &format!("/console/watch/{a}/contacts/{}/remove", jiro.id),
            &[],
        )
        .await;
    assert!(page.contains("はずしました"));
    assert_eq!(config(&h, &token).await.contacts.len(), 3);
    let r = h
        .http
        .get(format!("{}/family/{}", h.base, jiro.link_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Another household's contact cannot be removed through this one.
    let b_contact =
        h.db.add_contact(b, "佐藤 一郎", "ichiro@example.jp", h.clock.now())
            .await
            .unwrap()
            .unwrap();
    console
        .form(
            &format!("/console/watch/{a}/contacts/{b_contact}/remove"),
            &[],
        )
        .await;
    assert_eq!(h.db.contacts(b).await.unwrap().len(), 1);
    // Without the CSRF token nothing changes.
    let r = console
        .http
        .post(format!("{}{contacts}", h.base))
        .header("cookie", &console.cookie)
        .form(&[("name", "x"), ("email", "x@example.jp")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(h.db.contacts(a).await.unwrap().len(), 3);
}

#[tokio::test]
async fn the_family_page_shows_the_last_key_press_pauses_and_sets_reminders() {
    let h = Headend::start().await;
    let a = h.household("山田 ハナ").await;
    let b = h.household("佐藤 トメ").await;
    let token = h.pair("EGW-A", a).await;
    let taro =
        h.db.add_contact(a, "山田 太郎", "taro@example.jp", h.clock.now())
            .await
            .unwrap()
            .unwrap();
    h.db.add_contact(b, "佐藤 一郎", "ichiro@example.jp", h.clock.now())
        .await
        .unwrap()
        .unwrap();
    let link = |hh: i64| {
        let db = h.db.clone();
        async move { db.contacts(hh).await.unwrap()[0].link_token.clone() }
    };
    let (la, lb) = (link(a).await, link(b).await);
    heartbeat(&h, &token, Some(tokyo(2026, 11, 25, 9, 12))).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = |l: String| {
        let (http, base) = (http.clone(), h.base.clone());
        async move {
            let r = http.get(format!("{base}/family/{l}")).send().await.unwrap();
            let status = r.status();
            let referrer = r
                .headers()
                .get("referrer-policy")
                .map(|v| v.to_str().unwrap().to_string());
            (status, referrer, r.text().await.unwrap())
        }
    };
    let (s, referrer, text) = page(la.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(referrer.as_deref(), Some("no-referrer"));
    for part in [
        "山田 ハナ さんの 見守り",
        "山田 太郎 様 専用",
        "きょう 午前9時12分",
        "機械からの 報告を 待っています",
        "24時間 リモコンの 操作が ないとき",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    assert!(
        !text.contains("taro@example.jp"),
        "no addresses on the page"
    );
    for bad in ["nope", "x%27%20OR%201=1", &"a".repeat(200)] {
        assert_eq!(
            page(bad.to_string()).await.0,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }

    let post = |path: String, form: Vec<(&'static str, String)>| {
        let (http, base) = (http.clone(), h.base.clone());
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    // Pause: 7 days, synced to the box; 30 days is not offered and refused.
    let v0 = heartbeat(&h, &token, None).await;
    let (s, _) = post(format!("/family/{la}/pause"), vec![("days", "7".into())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let c = config(&h, &token).await;
    assert!(c.version > v0);
    assert_eq!(c.paused_until, Some(h.clock.now() + Duration::days(7)));
    let (_, text) = post(format!("/family/{la}/pause"), vec![("days", "30".into())]).await;
    assert!(text.contains("期間を えらんで"));
    assert!(page(la.clone()).await.2.contains("おしらせを 止めています"));
    post(format!("/family/{la}/resume"), vec![]).await;
    assert_eq!(config(&h, &token).await.paused_until, None);

    // Reminders, with the box's rules.
    let reminder = |phrase: &str, own: &str, repeat: &str| {
        vec![
            ("phrase", phrase.to_string()),
            ("own", own.to_string()),
            ("time", "08:00".to_string()),
            ("repeat", repeat.to_string()),
        ]
    };
    let path = format!("/family/{la}/reminders");
    let (s, _) = post(path.clone(), reminder("お薬を飲む", "", "daily")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    for (form, why) in [
        (reminder("お薬を飲む", "", "weekly"), "曜日を ひとつ以上"),
        (reminder("", &"あ".repeat(41), "daily"), "1〜40字"),
        (
            [
                reminder("病院の日", "", "once"),
                vec![("date", "2026-11-24".into())],
            ]
            .concat(),
            "過ぎた",
        ),
        (reminder("お薬を飲む", "", "monthly"), "毎月の 日"),
    ] {
        let (s, text) = post(path.clone(), form).await;
        assert_eq!(s, StatusCode::OK);
        assert!(text.contains(why), "{why}: {text}");
    }
    let (s, _) = post(
        path.clone(),
        [
            reminder("", "<script>電話して</script>", "weekly"),
            vec![("wd0", "1".into()), ("wd3", "1".into())],
        ]
        .concat(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let c = config(&h, &token).await;
    assert_eq!(c.reminders.len(), 2);
    assert_eq!(c.reminders[0].phrase, "お薬を飲む");
    assert_eq!(c.reminders[0].schedule.repeat, engawa_remind::Repeat::Daily);
    let text = page(la.clone()).await.2;
    assert!(text.contains("毎日 午前8:00 — お薬を飲む"), "{text}");
    assert!(text.contains("毎週 月・木"), "{text}");
    assert!(text.contains("&lt;script&gt;") && !text.contains("<script>電話"));
    // Another family cannot remove this household's reminder.
    let id = c.reminders[0].id;
    post(format!("/family/{lb}/reminders/{id}/delete"), vec![]).await;
    assert_eq!(config(&h, &token).await.reminders.len(), 2);
    post(format!("/family/{la}/reminders/{id}/delete"), vec![]).await;
    assert_eq!(config(&h, &token).await.reminders.len(), 1);

    // The operator renews the link: the old one stops working at once.
    assert!(h.db.renew_contact_link(a, taro).await.unwrap());
    assert_eq!(page(la).await.0, StatusCode::NOT_FOUND);
    assert_eq!(page(link(a).await).await.0, StatusCode::OK);
}

#[tokio::test]
async fn box_reports_land_once_and_a_refusing_mailbox_is_flagged() {
    let h = Headend::start().await;
    let a = h.household("山田 ハナ").await;
    let token = h.pair("EGW-A", a).await;
    h.db.add_contact(a, "山田 太郎", "taro@example.jp", h.clock.now())
        .await
        .unwrap()
        .unwrap();
    let at = tokyo(2026, 11, 25, 9, 40);
    let report = json!({
        "state": "alerted", "threshold_min": 540, "adaptive": true, "away_until": null,
        "alerts": [{"id": 1, "kind": "inactive", "n": 1, "at": at}],
        "bounces": [{"id": 7, "email": "taro@example.jp", "reason": "550 5.1.1 <taro@example.jp>: no such mailbox", "at": at}],
    });
    for key in ["report-0000001", "report-0000002"] {
        let (s, v) = h
            .post_keyed("/v1/watch/report", report.clone(), Some(&token), key)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    }
    let console = h.console().await;
    let (_, page) = console.get(&format!("/console/watch/{a}")).await;
    assert!(page.contains("メールが 届きません"), "{page}");
    // The family-page links are never shown in full.
    for c in h.db.contacts(a).await.unwrap() {
        assert!(!page.contains(&c.link_token), "{page}");
        assert!(
            page.contains(&format!("/family/{}…", &c.link_token[..4])),
            "{page}"
        );
    }
    assert!(page.contains("no such mailbox"));
    assert_eq!(
        page.matches("家族に 1回目の メール").count(),
        1,
        "once: {page}"
    );
    assert!(page.contains("いまは 9時間"), "{page}");
    let (_, list) = console.get("/console/watch").await;
    assert!(list.contains("1人 メールが 届きません"), "{list}");
    assert!(list.contains("ご家族に お知らせしました"));

    // Nonsense is refused and changes nothing; no token, no entry.
    for bad in [
        json!({"state": "alerted", "threshold_min": 0, "adaptive": false, "away_until": null, "alerts": [], "bounces": []}),
        json!({"state": "asleep", "threshold_min": 60, "adaptive": false, "away_until": null, "alerts": [], "bounces": []}),
        json!({"state": "watching", "threshold_min": 60, "adaptive": false, "away_until": null,
               "alerts": [{"id": 2, "kind": "hack", "n": 1, "at": at}], "bounces": []}),
        json!({"state": "watching", "threshold_min": 60, "adaptive": false, "away_until": null, "alerts": [], "bounces": [], "log": []}),
    ] {
        let (s, v) = h
            .post_keyed("/v1/watch/report", bad, Some(&token), "report-0000003")
            .await;
        assert!(s.is_client_error(), "{s} {v}");
    }
    let (s, v) = h.post("/v1/watch/report", report, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&v), "unauthorized");
    let (_, page) = console.get(&format!("/console/watch/{a}")).await;
    assert!(page.contains("ご家族に お知らせしました"));
}

/// One pass of the watch-over monitor now. The head-end's own monitor runs
/// beside the test on the same clock and may make the same pass: with the
/// same Message-ID domain a mail is queued once, whichever made it first.
async fn monitor(h: &Headend) {
    engawa_headend::watch::tick(&h.state, &h.state.mail_domain, h.clock.now())
        .await
        .unwrap();
}

fn mail_settings(port: u16) -> MailSettings {
    MailSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        credentials_file: None,
        from: "みどり町 見守り <mimamori@example.jp>".into(),
        reply_to: String::new(),
    }
}

async fn send_all(h: &Headend, settings: &MailSettings) {
    let transport = engawa_mail::transport(settings).unwrap();
    let mut db = h.db.clone();
    while engawa_mail::send_due(&mut db, settings, &transport, h.clock.now()).await > 0 {
        if h.db
            .outbox()
            .await
            .unwrap()
            .iter()
            .all(|m| m.2 != "pending")
        {
            break;
        }
    }
}

#[tokio::test]
async fn a_silent_box_tells_the_operator_then_the_family_then_that_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp::Smtp::start(smtp::free_port(), &dir.path().join("maildir"));
    let settings = mail_settings(smtp.port);
    let h = Headend::start().await;
    h.db.set_watch_settings(&WatchSettings {
        operator_email: "center@example.jp".into(),
        operator_name: "みどり町ケーブルテレビ".into(),
        operator_phone: "0265-00-0000".into(),
        offline_after: Duration::hours(2),
        family_after: Duration::hours(12),
    })
    .await
    .unwrap();
    let a = h.household("山田 ハナ").await;
    let away = h.household("佐藤 トメ").await;
    let token = h.pair("EGW-A", a).await;
    let token_away = h.pair("EGW-B", away).await;
    for (hh, name, email) in [
        (a, "山田 太郎", "taro@example.jp"),
        (a, "山田 花子", "nobody.hanako@example.jp"),
        (away, "佐藤 一郎", "ichiro@example.jp"),
    ] {
        h.db.add_contact(hh, name, email, h.clock.now())
            .await
            .unwrap()
            .unwrap();
    }
    let start = h.clock.now();
    heartbeat(&h, &token, Some(start)).await;
    heartbeat(&h, &token_away, Some(start)).await;
    // The second household is away for a week: its family is not worried by a
    // box that is unplugged meanwhile.
    let (s, _) = h
        .post_keyed(
            "/v1/watch/report",
            json!({"state": "away", "threshold_min": 1440, "adaptive": false,
                   "away_until": start + Duration::days(7), "alerts": [], "bounces": []}),
            Some(&token_away),
            "report-away-01",
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let tick = |t: DateTime<Utc>| {
        h.clock.set(t);
        monitor(&h)
    };
    let queued = || async { h.db.outbox().await.unwrap() };

    tick(start + Duration::minutes(119)).await;
    assert!(queued().await.is_empty(), "not yet");
    tick(start + Duration::minutes(121)).await;
    tick(start + Duration::minutes(125)).await;
    let q = queued().await;
    assert_eq!(q.len(), 2, "the operator, once per silent box: {q:?}");
    assert!(q.iter().all(|m| m.1 == "center@example.jp"));
    tick(start + Duration::hours(11)).await;
    assert_eq!(queued().await.len(), 2);
    tick(start + Duration::hours(12) + Duration::minutes(1)).await;
    tick(start + Duration::hours(12) + Duration::minutes(2)).await;
    let q = queued().await;
    assert_eq!(
        q.len(),
        4,
        "the family of the box at home, not the one away: {q:?}"
    );
    send_all(&h, &settings).await;
    let got = smtp::delivered(&smtp.maildir);
    assert_eq!(
        got.len(),
        3,
        "operator ×2 and taro; the missing mailbox refused"
    );
    let op = got.iter().find(|m| m.to.contains("center@")).unwrap();
    assert!(op.subject.contains("機械の 連絡 とだえ"), "{}", op.subject);
    assert!(op.body.contains("ご本人の 様子では なく"));
    let fam = got.iter().find(|m| m.to.contains("taro@")).unwrap();
    assert!(
        fam.subject.contains("機械からの 連絡が とだえています"),
        "{}",
        fam.subject
    );
    assert!(
        !fam.body.contains("リモコン操作が ありません"),
        "not the inactivity wording"
    );
    assert!(fam.body.contains("/family/"), "{}", fam.body);
    // The refusing mailbox is flagged for the operator.
    let contacts = h.db.contacts(a).await.unwrap();
    assert!(contacts[0].bounced.is_none());
    let (_, why) = contacts[1].bounced.clone().expect("flagged");
    assert!(why.contains("550"), "{why}");

    // Back: whoever was told hears so, once.
    h.clock.set(start + Duration::hours(13));
    heartbeat(&h, &token, Some(start + Duration::hours(13))).await;
    tick(start + Duration::hours(13) + Duration::minutes(1)).await;
    tick(start + Duration::hours(13) + Duration::minutes(2)).await;
    send_all(&h, &settings).await;
    let got = smtp::delivered(&smtp.maildir);
    let back: Vec<_> = got
        .iter()
        .filter(|m| m.subject.contains("もどりました"))
        .collect();
    assert_eq!(back.len(), 2, "operator and taro: {back:?}");
    let mut ids: Vec<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "no Message-ID twice");
    let console = h.console().await;
    let (_, page) = console.get(&format!("/console/watch/{a}")).await;
    for part in [
        "機械の 連絡 とだえ: センターに 知らせた",
        "家族に 知らせた",
        "機械の 連絡 もどった",
        "メールが 届きません",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
}

#[tokio::test]
async fn the_daily_digest_goes_out_once_a_day_at_the_check_time() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp::Smtp::start(smtp::free_port(), &dir.path().join("maildir"));
    let settings = mail_settings(smtp.port);
    let h = Headend::start().await;
    let a = h.household("山田 ハナ").await;
    let token = h.pair("EGW-A", a).await;
    h.db.add_contact(a, "山田 太郎", "taro@example.jp", h.clock.now())
        .await
        .unwrap()
        .unwrap();
    let policy = engawa_watch::Policy {
        daily_digest: true,
        ..Default::default()
    };
    // Before the check time: the head-end's own monitor (running beside the
    // test on the same clock) would rightly send the 25th's digest if the
    // policy were set at 10:00 on the 25th.
    h.clock.set(tokyo(2026, 11, 26, 8, 50));
    h.db.set_watch_policy(a, &policy).await.unwrap();
    heartbeat(&h, &token, Some(tokyo(2026, 11, 26, 8, 40))).await;
    for t in [
        tokyo(2026, 11, 26, 8, 59),
        tokyo(2026, 11, 26, 9, 0),
        tokyo(2026, 11, 26, 9, 5),
    ] {
        h.clock.set(t);
        monitor(&h).await;
    }
    send_all(&h, &settings).await;
    let got = smtp::delivered(&smtp.maildir);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].subject, "見守り: きょうも お元気です");
    assert!(
        got[0].body.contains("きょう 午前8時40分"),
        "{}",
        got[0].body
    );
    // Not again the same day; again the next day; not hours late.
    // The box stays online (so no offline alert), the resident goes quiet.
    for t in [
        tokyo(2026, 11, 26, 14, 0),
        tokyo(2026, 11, 27, 9, 1),
        tokyo(2026, 11, 28, 16, 0),
    ] {
        h.clock.set(t);
        heartbeat(&h, &token, Some(tokyo(2026, 11, 26, 8, 40))).await;
        monitor(&h).await;
    }
    send_all(&h, &settings).await;
    let got = smtp::delivered(&smtp.maildir);
    assert_eq!(got.len(), 2, "{got:#?}");
    let second = got
        .iter()
        .find(|m| m.message_id.contains("2026-11-27"))
        .unwrap();
    assert!(
        second.subject.contains("操作が ありません"),
        "{}",
        second.subject
    );
}

/// A household with two contacts and a paired box; the contacts' family links.
async fn family_of_two(h: &Headend) -> (i64, String, Vec<String>) {
    let a = h.household("山田 ハナ").await;
    let token = h.pair("EGW-P", a).await;
    for (name, mail) in [
        ("山田 太郎", "taro@example.jp"),
        ("山田 花江", "hanae@example.jp"),
    ] {
        h.db.add_contact(a, name, mail, h.clock.now())
            .await
            .unwrap()
            .unwrap();
    }
    (a, token, links_of(h, a).await)
}

/// The family-page links of `household`'s contacts, in order.
async fn links_of(h: &Headend, household: i64) -> Vec<String> {
    h.db.contacts(household)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.link_token)
        .collect()
}

async fn family_post(h: &Headend, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", h.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn any_pause_from_the_family_page_is_told_to_every_contact() {
    let h = Headend::start().await;
    let (_, _, links) = family_of_two(&h).await;
    // The shortest pause, by 太郎's (perhaps forwarded) link.
    let (s, _) = family_post(&h, &format!("/family/{}/pause", links[0]), &[("days", "1")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let mails = h.db.outbox().await.unwrap();
    let to: Vec<&str> = mails.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(to, ["taro@example.jp", "hanae@example.jp"]);
    for m in &mails {
        assert!(m.3.contains("おしらせを 止めました"), "{}", m.3);
        assert!(m.4.contains("山田 太郎 様の ページ"), "{}", m.4);
        assert!(m.4.contains("再開"), "{}", m.4);
    }
    // Each is told with their own link, to undo it.
    assert!(mails[1].4.contains(&links[1]) && !mails[1].4.contains(&links[0]));
}

#[tokio::test]
async fn the_family_cannot_pause_more_than_fourteen_days_a_month() {
    let h = Headend::start().await;
    let (a, token, links) = family_of_two(&h).await;
    let pause = |days: &'static str| {
        let path = format!("/family/{}/pause", links[1]);
        let h = &h;
        async move { family_post(h, &path, &[("days", days)]).await }
    };
    // Seven days, then seven more from the end of the first: fourteen.
    assert_eq!(pause("7").await.0, StatusCode::SEE_OTHER);
    h.clock.advance(Duration::days(7));
    assert_eq!(pause("7").await.0, StatusCode::SEE_OTHER);
    // At the end of the second, pausing again for one more day is refused.
    h.clock.advance(Duration::days(7));
    let (s, page) = pause("1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("もう 14日 止めたため"), "{page}");
    assert!(config(&h, &token).await.paused_until <= Some(h.clock.now()));
    // A month on, the window has moved: fourteen days again.
    h.clock.advance(Duration::days(31));
    assert_eq!(pause("14").await.0, StatusCode::SEE_OTHER);
    // Resumed after three, the rest is given back: seven more are fine…
    h.clock.advance(Duration::days(3));
    family_post(&h, &format!("/family/{}/resume", links[1]), &[]).await;
    assert_eq!(config(&h, &token).await.paused_until, None);
    assert_eq!(pause("7").await.0, StatusCode::SEE_OTHER);
    // …and after them, only four days are left.
    h.clock.advance(Duration::days(7));
    let (s, page) = pause("7").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("あと 4日"), "{page}");
    assert_eq!(pause("3").await.0, StatusCode::SEE_OTHER);
    assert!(h.db.watch_overview(a).await.unwrap().unwrap().paused_until > Some(h.clock.now()));
}

#[tokio::test]
async fn revoking_the_box_renews_every_family_link_and_tells_the_family() {
    let h = Headend::start().await;
    let (a, _, old) = family_of_two(&h).await;
    let c = h.console().await;
    let box_id = h.db.boxes().await.unwrap()[0].id;
    let (s, page) = c
        .form(&format!("/console/boxes/{box_id}/revoke"), &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("家族の ページの アドレスも 新しく"), "{page}");
    for l in &old {
        let r = reqwest::get(format!("{}/family/{l}", h.base))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "the old link is dead");
    }
    let new = links_of(&h, a).await;
    let mails = h.db.outbox().await.unwrap();
    assert_eq!(mails.len(), 2);
    for (m, l) in mails.iter().zip(&new) {
        assert!(m.3.contains("アドレスが かわりました"), "{}", m.3);
        assert!(m.4.contains(l.as_str()), "{}", m.4);
        let r = reqwest::get(format!("{}/family/{l}", h.base))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
