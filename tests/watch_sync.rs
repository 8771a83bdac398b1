//! The box and the real head-end together: contacts, policy and family reminders
//! set on the head-end reach the box on its heartbeat and replace the
//! configuration file's contacts; the alert mail goes to them (with each one's
//! family-page link) through a real SMTP server; the box's state, alerts and the
//! mailbox that refused reach the head-end; a pause set on the family page puts
//! the box in away mode and lifting it ends it.

#[path = "support/boxed.rs"]
mod boxed;
#[path = "support/smtp.rs"]
mod smtp;

use std::sync::Arc;
use std::time::Duration;

use boxed::{TestBox, wait};
use engawa::app::Key;
use engawa::runtime::{self, HeadendSettings, RuntimeConfig, WatchMail};
use engawa::store::Store;
use engawa_core::clock::tokyo;
use engawa_core::{Clock, ManualClock};
use engawa_headend::db::NewHousehold;
use engawa_headend::{AppState, Db};
use engawa_mail::{MailSettings, Security};
use engawa_remind::{Repeat, Schedule};
use engawa_watch::api::WatchState;

#[test]
fn head_end_settings_reach_the_box_and_the_box_reports_back() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp::Smtp::start(smtp::free_port(), &dir.path().join("maildir"));
    let start = tokyo(2026, 11, 25, 9, 0);
    let he_clock = Arc::new(ManualClock::new(start));
    let (db, url) = rt.block_on(async {
        let db = Db::open(&dir.path().join("headend.db")).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(db.clone(), he_clock.clone())
            .with_public_url("https://center.example.jp");
        tokio::spawn(engawa_headend::serve(
            listener,
            state,
            std::future::pending(),
        ));
        (db, url)
    });
    let (household, token, taro) = rt.block_on(async {
        let h = db
            .add_household(
                &NewHousehold {
                    name: "山田 ハナ".into(),
                    address: "みどり町 1-2".into(),
                    phone: "0265-11-2222".into(),
                    ..Default::default()
                },
                start,
            )
            .await
            .unwrap();
        let taro = db
            .add_contact(h, "山田 太郎", "taro@example.jp", start)
            .await
            .unwrap()
            .unwrap();
        db.add_contact(h, "山田 花子", "nobody.hanako@example.jp", start)
            .await
            .unwrap()
            .unwrap();
        db.add_family_reminder(
            h,
            taro,
            "お薬を飲む",
            &Schedule {
                time: chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
                repeat: Repeat::Daily,
            },
            start,
        )
        .await
        .unwrap();
        let token = db.issue_token(h, "EGW-0042", start).await.unwrap();
        (h, token, taro)
    });

    let state = dir.path().join("box");
    std::fs::create_dir_all(&state).unwrap();
    runtime::headend::save_token(&state, &token).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let mut b = TestBox::spawn(
        Store::open(&state.join("engawa.db")).unwrap(),
        clock.clone(),
        RuntimeConfig {
            chime_command: vec![],
            state_dir: state.clone(),
            tick: Duration::from_millis(20),
            headend: Some(HeadendSettings {
                url,
                serial: "EGW-0042".into(),
                heartbeat: Duration::from_millis(100),
            }),
            mail: Some(MailSettings {
                host: "127.0.0.1".into(),
                port: smtp.port,
                security: Security::None,
                credentials_file: None,
                from: "みどり町 見守り <mimamori@example.jp>".into(),
                reply_to: String::new(),
            }),
            // The file's contact is replaced by the head-end's.
            watch_mail: Some(WatchMail {
                contacts: vec![("古い 連絡先".into(), "old@example.jp".into())],
                operator: "みどり町ケーブルテレビ".into(),
                operator_phone: "0265-00-0000".into(),
                serial: "EGW-0042".into(),
                domain: "example.jp".into(),
            }),
        },
    );
    b.until(10, "the head-end's contacts", |a| {
        a.watch_info.contacts == ["山田 太郎", "山田 花子"]
    });
    b.until(10, "the family reminder", |a| {
        a.reminders
            .iter()
            .any(|r| r.phrase.as_str() == "お薬を飲む")
    });
    // The TV says who set it: in the list, and on the card when it comes.
    assert!(b.app.reminders.iter().all(|r| r.from_family));
    b.keys(&[Key::Digit(3), Key::Digit(1)]);
    let info = engawa::view::model::BoxInfo {
        serial: "EGW-0042".into(),
        operator_name: String::new(),
        operator_phone: String::new(),
        version: String::new(),
        connected: true,
    };
    let list = engawa::view::model::frame(&b.app, &info, engawa::view::model::Lang::Ja);
    assert!(
        list.rows
            .iter()
            .any(|r| r.text == "お薬を飲む" && r.detail.ends_with("（家族から）")),
        "{:?}",
        list.rows
    );
    b.keys(&[Key::Home]);
    assert_eq!(b.app.watch_info.threshold_min, 24 * 60);

    // A key, then a day and the grace period without one.
    b.keys(&[Key::Down]);
    std::thread::sleep(Duration::from_millis(300));
    clock.set(clock.now() + chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    b.until(10, "the safety check", |a| a.safety_check);
    clock.set(clock.now() + chrono::Duration::hours(1) + chrono::Duration::minutes(1));
    wait("the alert to taro", 15, || {
        !smtp::delivered(&smtp.maildir).is_empty()
    });
    std::thread::sleep(Duration::from_millis(300));
    let got = smtp::delivered(&smtp.maildir);
    assert_eq!(
        got.len(),
        1,
        "taro only; the missing mailbox refused: {got:?}"
    );
    assert!(got[0].to.contains("taro@example.jp"));
    assert!(
        got[0].body.contains("https://center.example.jp/family/"),
        "{}",
        got[0].body
    );
    assert!(
        got[0].message_id.contains(&format!(".c{taro}.")),
        "{}",
        got[0].message_id
    );
    // What the head-end learns: the state, the alert, the refusing mailbox.
    wait("the box's report", 15, || {
        let o = rt.block_on(db.watch_overview(household)).unwrap().unwrap();
        o.state == Some(WatchState::Alerted)
            && o.alerts.iter().any(|a| a.kind == "inactive")
            && o.contacts[1].bounced.is_some()
    });
    let o = rt.block_on(db.watch_overview(household)).unwrap().unwrap();
    assert!(o.contacts[0].bounced.is_none());
    assert_eq!(o.alerts.iter().filter(|a| a.kind == "inactive").count(), 1);

    // The family pauses alerts for three days on their page: the box is away.
    b.keys(&[Key::Ok]);
    let until = he_clock.now() + chrono::Duration::days(3);
    rt.block_on(db.set_paused(household, Some(until))).unwrap();
    b.until(10, "away mode from the pause", |a| {
        a.away_until == Some(until)
    });
    rt.block_on(db.set_paused(household, None)).unwrap();
    b.until(10, "the pause lifted", |a| a.away_until.is_none());
    // The family's reminder is in the box's own database: it works offline.
    let kept = Store::open(&state.join("engawa.db"))
        .unwrap()
        .reminders()
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].phrase.as_str(), "お薬を飲む");
    assert!(kept[0].from_family);
}
