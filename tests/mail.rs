//! Family mail through a real SMTP server (Debian `python3-aiosmtpd` on 127.0.0.1,
//! writing a Maildir): the alert reaches every contact exactly once after the
//! threshold and the grace period; the all-clear queued while the server is down
//! is delivered once it comes back; no Message-ID twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use engawa::input::Key;
use engawa::runtime::{RuntimeConfig, WatchMail};
use engawa::store::Store;
use engawa_core::ManualClock;
use engawa_core::clock::tokyo;
use engawa_mail::{MailSettings, Security};

#[path = "support/boxed.rs"]
mod boxed;
#[path = "support/smtp.rs"]
mod smtp;
use boxed::{TestBox, wait};
use smtp::{Smtp, delivered};

/// The box runtime with family mail to the SMTP server on `port`.
fn start_box(dir: &Path, port: u16, clock: Arc<ManualClock>) -> TestBox {
    TestBox::spawn(
        Store::open(&dir.join("engawa.db")).unwrap(),
        clock,
        RuntimeConfig {
            chime_command: vec![],
            state_dir: dir.to_path_buf(),
            tick: Duration::from_millis(20),
            headend: None,
            mail: Some(MailSettings {
                host: "127.0.0.1".into(),
                port,
                security: Security::None,
                credentials_file: None,
                from: "みどり町 見守り <mimamori@example.jp>".into(),
                reply_to: "center@example.jp".into(),
            }),
            watch_mail: Some(WatchMail {
                contacts: vec![
                    ("山田 太郎".into(), "taro@example.jp".into()),
                    ("山田 花江".into(), "hanae@example.jp".into()),
                    // A mailbox that does not exist: refused for good (550).
                    ("山田 次郎".into(), "nobody.jiro@example.jp".into()),
                ],
                operator: "みどり町ケーブルテレビ".into(),
                operator_phone: "0265-00-0000".into(),
                serial: "EGW-0042".into(),
                domain: "example.jp".into(),
            }),
        },
    )
}

#[test]
fn family_mail_goes_out_once_and_waits_for_a_server_that_is_down() {
    let dir = tempfile::tempdir().unwrap();
    // Everything the box logs, at every level, to a file read at the end.
    let log_path = dir.path().join("log");
    let log = std::fs::File::create(&log_path).unwrap();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(Arc::new(log))
            .finish(),
    )
    .unwrap();
    let maildir: PathBuf = dir.path().join("maildir");
    let port = smtp::free_port();
    let smtp = Smtp::start(port, &maildir);
    let start = tokyo(2026, 11, 25, 9, 0);
    let clock = Arc::new(ManualClock::new(start));
    let mut b = start_box(dir.path(), port, clock.clone());
    b.until(5, "first tick", |a| a.now == start);
    b.keys(&[Key::Down]);
    std::thread::sleep(Duration::from_millis(200));
    // A day without a key, then the grace period without an answer.
    clock.set(start + chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    b.until(5, "the safety check", |a| a.safety_check);
    clock.set(start + chrono::Duration::hours(25) + chrono::Duration::minutes(2));
    wait("two alert mails", 10, || delivered(&maildir).len() == 2);
    std::thread::sleep(Duration::from_millis(300));
    let mails = delivered(&maildir);
    assert_eq!(mails.len(), 2, "one per contact, once");
    // The missing mailbox was refused for good, with the server's reason.
    wait("the refusal recorded", 10, || {
        Store::open(&dir.path().join("engawa.db"))
            .unwrap()
            .mails()
            .unwrap()
            .iter()
            .any(|m| m.1 == "failed")
    });
    let failed = Store::open(&dir.path().join("engawa.db"))
        .unwrap()
        .bounces_after(0)
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].email, "nobody.jiro@example.jp");
    assert!(failed[0].reason.contains("550"), "{}", failed[0].reason);
    // The refusal is logged without the address the server quoted; no address
    // of the family is in the log at all.
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(logged.contains("mail refused for good"), "{logged}");
    for addr in [
        "nobody.jiro@example.jp",
        "taro@example.jp",
        "hanae@example.jp",
    ] {
        assert!(!logged.contains(addr), "{addr} in the log:\n{logged}");
    }
    let to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    assert!(to[0].contains("taro@example.jp") && to[1].contains("hanae@example.jp"));
    for m in &mails {
        assert_eq!(
            m.subject,
            "見守り: リモコンの 操作が ありません（きのう 午前9時から）"
        );
        assert!(
            m.body.contains("テレビの リモコン操作が ありません"),
            "{}",
            m.body
        );
        assert!(m.message_id.ends_with("@example.jp>"), "{}", m.message_id);
    }

    // The server goes down; the resident presses a key: the all-clear waits.
    drop(smtp);
    b.keys(&[Key::Ok]);
    let db = dir.path().join("engawa.db");
    let pending_tries = |db: &Path| {
        Store::open(db)
            .unwrap()
            .mails()
            .unwrap()
            .iter()
            .filter(|m| m.1 == "pending")
            .map(|m| m.2)
            .collect::<Vec<_>>()
    };
    wait("a failed attempt", 10, || {
        let p = pending_tries(&db);
        p.len() == 3 && p.iter().all(|n| *n >= 1)
    });
    // An hour later the server is back: delivered, once.
    let _smtp = Smtp::start(port, &maildir);
    clock.set(start + chrono::Duration::hours(26) + chrono::Duration::minutes(5));
    wait("the all-clear mails", 10, || delivered(&maildir).len() == 4);
    std::thread::sleep(Duration::from_millis(300));
    let mails = delivered(&maildir);
    assert_eq!(mails.len(), 4);
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "no Message-ID twice");
    assert!(mails[2].subject.contains("ご安心ください"));
    assert!(pending_tries(&db).is_empty());
}

#[test]
fn no_mail_when_the_prompt_is_answered_or_while_away() {
    let dir = tempfile::tempdir().unwrap();
    let maildir: PathBuf = dir.path().join("maildir");
    let port = smtp::free_port();
    let _smtp = Smtp::start(port, &maildir);
    let start = tokyo(2026, 11, 25, 9, 0);
    let clock = Arc::new(ManualClock::new(start));
    let mut b = start_box(dir.path(), port, clock.clone());
    // Keys, then a moment for the runtime to record them.
    let press = |b: &mut TestBox, keys: &[Key]| {
        b.keys(keys);
        std::thread::sleep(Duration::from_millis(200));
    };
    b.until(5, "first tick", |a| a.now == start);
    press(&mut b, &[Key::Down]);
    // The prompt comes and is answered within the grace period: no mail.
    clock.set(start + chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    b.until(5, "the safety check", |a| a.safety_check);
    clock.set(start + chrono::Duration::hours(24) + chrono::Duration::minutes(30));
    press(&mut b, &[Key::Ok]);
    assert!(!b.app.safety_check);
    clock.set(start + chrono::Duration::hours(26));
    std::thread::sleep(Duration::from_millis(500));
    // Away for 3 days (no notice: not more than 3), then 2 silent days.
    press(
        &mut b,
        &[
            Key::Home,
            Key::Digit(3),
            Key::Digit(2),
            Key::Right,
            Key::Right,
            Key::Green,
        ],
    );
    assert!(b.app.away_until.is_some());
    for h in (30..=72).step_by(6) {
        clock.set(start + chrono::Duration::hours(h));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(delivered(&maildir).is_empty(), "{:?}", delivered(&maildir));
    let queued = Store::open(&dir.path().join("engawa.db"))
        .unwrap()
        .mails()
        .unwrap();
    assert!(queued.is_empty(), "{queued:?}");
}
