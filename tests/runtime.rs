//! The runtime thread against a real SQLite file, with a clock the test moves:
//! effects in, events out, exactly as the window would see them.

#[path = "support/boxed.rs"]
mod boxed;

use std::sync::Arc;
use std::time::Duration;

use boxed::TestBox;
use chrono::NaiveTime;
use engawa::input::Key;
use engawa::runtime::RuntimeConfig;
use engawa::store::Store;
use engawa_core::ManualClock;
use engawa_core::clock::tokyo;
use engawa_remind::{Phrase, Repeat, Schedule};

/// A box without a head-end, on `dir`'s database, with the test's clock.
fn start_box(dir: &std::path::Path, clock: Arc<ManualClock>) -> TestBox {
    TestBox::spawn(
        Store::open(&dir.join("engawa.db")).unwrap(),
        clock,
        RuntimeConfig {
            chime_command: vec!["true".into()],
            state_dir: dir.to_path_buf(),
            tick: Duration::from_millis(20),
            headend: None,
            mail: None,
            watch_mail: None,
        },
    )
}

#[test]
fn a_reminder_made_with_the_remote_fires_and_is_answered_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(tokyo(2026, 11, 25, 7, 50)));
    let mut h = start_box(dir.path(), clock.clone());
    h.until(5, "first tick", |a| a.now == tokyo(2026, 11, 25, 7, 50));
    // 3 → 決定 (new) → 緑: お薬を飲む, daily at 8:00.
    for k in [Key::Digit(3), Key::Digit(1), Key::Ok, Key::Green] {
        h.keys(&[k]);
    }
    h.until(5, "the new reminder is listed", |a| a.reminders.len() == 1);
    clock.set(tokyo(2026, 11, 25, 8, 0));
    h.until(5, "the overlay", |a| a.overlay().is_some());
    assert_eq!(h.app.overlay().unwrap().phrase, "お薬を飲む");
    assert!(!h.app.overlay().unwrap().late);
    h.keys(&[Key::Ok]);
    assert!(h.app.overlay().is_none());
    // Many ticks later it has not come back.
    clock.set(tokyo(2026, 11, 25, 8, 5));
    h.until(5, "ticks at 8:05", |a| a.now == tokyo(2026, 11, 25, 8, 5));
    for _ in 0..10 {
        if let Ok(ev) = h.rx.recv_timeout(Duration::from_millis(30)) {
            h.app.handle(ev);
        }
    }
    assert!(h.app.overlay().is_none());
}

#[test]
fn a_snoozed_reminder_returns_ten_minutes_later() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = tokyo(2026, 11, 25, 14, 0);
    {
        let mut s = Store::open(&dir.path().join("engawa.db")).unwrap();
        s.run_scheduler(t0).unwrap();
        let sched = Schedule {
            time: NaiveTime::from_hms_opt(15, 0, 0).unwrap(),
            repeat: Repeat::Daily,
        };
        s.save_reminder(None, &Phrase::parse("水分をとる").unwrap(), &sched, t0)
            .unwrap();
    }
    let clock = Arc::new(ManualClock::new(tokyo(2026, 11, 25, 15, 0)));
    let mut h = start_box(dir.path(), clock.clone());
    h.until(5, "the overlay", |a| a.overlay().is_some());
    h.keys(&[Key::Yellow]);
    clock.set(tokyo(2026, 11, 25, 15, 9));
    h.until(5, "9 minutes later", |a| {
        a.now == tokyo(2026, 11, 25, 15, 9)
    });
    assert!(h.app.overlay().is_none());
    clock.set(tokyo(2026, 11, 25, 15, 10));
    h.until(5, "back after 10 minutes", |a| a.overlay().is_some());
}

#[test]
fn a_text_size_choice_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(tokyo(2026, 11, 25, 9, 0)));
    {
        let mut h = start_box(dir.path(), clock.clone());
        h.keys(&[Key::Digit(4)]);
        h.keys(&[Key::Right]);
        // Read the file beside the running runtime until the choice is on disk.
        let db = dir.path().join("engawa.db");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let conn = rusqlite::Connection::open(&db).unwrap();
            let v: Option<String> = conn
                .query_row(
                    "SELECT value FROM settings WHERE key='text_size'",
                    [],
                    |r| r.get(0),
                )
                .ok();
            if v.as_deref() == Some("large") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "text size never stored"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let mut h = start_box(dir.path(), clock.clone());
    h.until(5, "stored text size", |a| {
        a.text_size == engawa::app::TextSize::Large
    });
}

#[test]
fn no_key_for_a_day_asks_on_screen_then_records_one_alert_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let start = tokyo(2026, 11, 25, 9, 0);
    let clock = Arc::new(ManualClock::new(start));
    let mut h = start_box(dir.path(), clock.clone());
    h.until(5, "first tick", |a| a.now == start);
    h.keys(&[Key::Down]);
    std::thread::sleep(Duration::from_millis(200)); // the key reaches the runtime at 9:00
    // 24 hours without a key (the fixed rule while learning): the question.
    clock.set(start + chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    h.until(5, "the safety check", |a| a.safety_check);
    h.keys(&[Key::Digit(5)]);
    assert!(!h.app.safety_check);
    std::thread::sleep(Duration::from_millis(200)); // answered at 9:01 the next day
    // Nobody answers the next one: after the 60-minute grace the family alert is
    // recorded — once, even when the box restarts.
    let asked = start + chrono::Duration::hours(48) + chrono::Duration::minutes(2);
    clock.set(asked);
    h.until(5, "the second safety check", |a| a.safety_check);
    clock.set(asked + chrono::Duration::minutes(61));
    h.until(5, "a tick after the grace", |a| {
        a.now == asked + chrono::Duration::minutes(61)
    });
    std::thread::sleep(Duration::from_millis(200));
    drop(h);
    std::thread::sleep(Duration::from_millis(200));
    let alerts = |dir: &std::path::Path| {
        Store::open(&dir.join("engawa.db"))
            .unwrap()
            .alerts()
            .unwrap()
    };
    assert_eq!(alerts(dir.path()).len(), 1, "{:?}", alerts(dir.path()));
    let mut h = start_box(dir.path(), clock.clone());
    h.until(5, "still asking after the restart", |a| a.safety_check);
    clock.set(asked + chrono::Duration::minutes(90));
    h.until(5, "a later tick", |a| {
        a.now == asked + chrono::Duration::minutes(90)
    });
    std::thread::sleep(Duration::from_millis(200));
    h.keys(&[Key::Ok]);
    std::thread::sleep(Duration::from_millis(300));
    drop(h);
    std::thread::sleep(Duration::from_millis(200));
    let got = alerts(dir.path());
    let kinds: Vec<&str> = got.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(kinds, ["inactive", "all_clear"], "{got:?}");
    // The activity log holds minutes, not what was watched.
    let store = Store::open(&dir.path().join("engawa.db")).unwrap();
    assert_eq!(store.activity_since(start).unwrap().len(), 3);
}

#[test]
fn away_mode_keeps_the_watch_over_silent_and_ends_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let start = tokyo(2026, 11, 25, 9, 0);
    let clock = Arc::new(ManualClock::new(start));
    let mut h = start_box(dir.path(), clock.clone());
    h.until(5, "first tick", |a| a.now == start);
    // 安心 → 留守にします → 2 days (▶) → 緑.
    for k in [Key::Digit(3), Key::Digit(2), Key::Right, Key::Green] {
        h.keys(&[k]);
    }
    let until = start + chrono::Duration::days(2);
    assert_eq!(h.app.away_until, Some(until));
    std::thread::sleep(Duration::from_millis(200));
    // Two days without a key: no question on screen.
    clock.set(until - chrono::Duration::minutes(1));
    h.until(5, "a tick while away", |a| {
        a.now == until - chrono::Duration::minutes(1)
    });
    std::thread::sleep(Duration::from_millis(200));
    h.until(5, "still quiet", |a| {
        a.now == until - chrono::Duration::minutes(1)
    });
    assert!(!h.app.safety_check);
    // It ends by itself and watching resumes from its end.
    clock.set(until + chrono::Duration::minutes(1));
    h.until(5, "away over", |a| a.away_until.is_none());
    clock.set(until + chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    h.until(5, "watching again", |a| a.safety_check);
}
