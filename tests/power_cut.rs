//! Power cuts: the real `engawa` binary in a real X window (Xvfb), driven with
//! real key presses (xdotool), killed with SIGKILL at the worst moments. The SQLite
//! file must show every reminder occurrence exactly once and every answer kept.

#[path = "support/boxed.rs"]
mod boxed;
#[path = "support/smtp.rs"]
mod smtp;
#[path = "support/xwin.rs"]
mod xwin;
use boxed::wait;
use xwin::{Xvfb, press};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Timelike, Utc};
use engawa::store::Store;
use engawa_core::TOKYO;
use engawa_remind::{Phrase, Repeat, Schedule};

struct Box_ {
    child: Child,
}

impl Box_ {
    fn start(x: &Xvfb, config: &Path) -> Box_ {
        Box_::start_logged(x, config, None)
    }

    /// With `log`, the box's info log is appended to that file.
    fn start_logged(x: &Xvfb, config: &Path, log: Option<&Path>) -> Box_ {
        let stderr = match log {
            Some(p) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .unwrap(),
            ),
            None => Stdio::null(),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_engawa"))
            .arg("--config")
            .arg(config)
            .env("DISPLAY", &x.display)
            .env("RUST_LOG", if log.is_some() { "info" } else { "warn" })
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        Box_ { child }
    }

    /// The power cut.
    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    fn assert_running(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "engawa exited by itself"
        );
    }
}

impl Drop for Box_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn press_ok(x: &Xvfb) {
    press(x, &["Return"]);
}

/// (due time, state, late) of every occurrence, read beside the running box.
fn occurrences(db: &Path) -> Vec<(i64, String, bool)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(Duration::from_secs(2)).unwrap();
    let mut stmt = match conn.prepare("SELECT due_at, state, late FROM occurrences ORDER BY due_at")
    {
        Ok(s) => s,
        Err(_) => return Vec::new(), // not migrated yet
    };
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let config = dir.join("box.toml");
    std::fs::write(
        &config,
        format!(
            "[box]\nstate_dir = \"{}\"\n\n[chime]\ncommand = []\n",
            state.display()
        ),
    )
    .unwrap();
    let db = state.join("engawa.db");
    // The box was last on three days ago; its daily medicine reminder is set two
    // hours before now, so it was due three times while the box was off.
    let now = Utc::now();
    let off_since = now - ChronoDuration::days(3);
    let mut store = Store::open(&db).unwrap();
    store.run_scheduler(off_since).unwrap();
    let local = (now - ChronoDuration::hours(2))
        .with_timezone(&TOKYO)
        .time();
    let schedule = Schedule {
        time: local.with_second(0).unwrap().with_nanosecond(0).unwrap(),
        repeat: Repeat::Daily,
    };
    store
        .save_reminder(
            None,
            &Phrase::parse("お薬を飲む").unwrap(),
            &schedule,
            off_since,
        )
        .unwrap();
    (config, db)
}

#[test]
fn a_reminder_missed_while_off_is_shown_once_and_its_answer_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = setup(dir.path());
    let x = Xvfb::start();
    let due_rows = |db: &Path| {
        occurrences(db)
            .into_iter()
            .filter(|o| o.1 == "due")
            .collect::<Vec<_>>()
    };

    // 1. Power on: the latest missed occurrence is due (late), the older ones skipped.
    let mut b = Box_::start(&x, &config);
    wait("the missed reminder", 20, || due_rows(&db).len() == 1);
    std::thread::sleep(Duration::from_millis(1500)); // a few scheduler ticks
    b.assert_running();
    let before = occurrences(&db);
    assert_eq!(due_rows(&db).len(), 1, "{before:?}");
    assert!(due_rows(&db)[0].2, "marked late: {before:?}");
    assert!(
        before.iter().filter(|o| o.1 == "skipped").count() >= 2,
        "{before:?}"
    );

    // 2. Power cut before anyone answered; power on again: the same occurrence,
    //    still once — nothing duplicated, nothing lost.
    b.kill9();
    let mut b = Box_::start(&x, &config);
    std::thread::sleep(Duration::from_millis(2000));
    b.assert_running();
    assert_eq!(occurrences(&db), before);

    // 3. 決定 answers it; cut the power the moment the answer is on disk.
    press_ok(&x);
    wait("the answer stored", 10, || due_rows(&db).is_empty());
    b.kill9();
    let answered = occurrences(&db);
    assert_eq!(
        answered.iter().filter(|o| o.1 == "done").count(),
        1,
        "{answered:?}"
    );

    // 4. Power on: not shown again, nothing new recorded.
    let mut b = Box_::start(&x, &config);
    std::thread::sleep(Duration::from_millis(2000));
    b.assert_running();
    assert_eq!(occurrences(&db), answered);
    b.kill9();
}

async fn slow_orders(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let order = req.method() == axum::http::Method::POST && req.uri().path() == "/v1/shop/orders";
    if order {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let resp = next.run(req).await;
    if order {
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    resp
}

/// (state, result) of every order attempt in the box's outbox.
fn outbox(db: &Path) -> Vec<(String, Option<String>)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(Duration::from_secs(2)).unwrap();
    let Ok(mut stmt) = conn.prepare("SELECT state, result FROM outbox ORDER BY id") else {
        return Vec::new(); // not migrated yet
    };
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn catalogue_cached(db: &Path) -> bool {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return false;
    };
    conn.query_row(
        "SELECT COUNT(*) FROM settings WHERE key = 'shop.catalogue'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .is_ok_and(|n| n == 1)
}

#[test]
fn an_order_cut_off_by_kill_9_is_placed_once_or_not_at_all_and_the_box_says_which() {
    use engawa_core::Clock;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    // The real head-end with the demo catalogue, this box provisioned.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let now = engawa_core::SystemClock.now();
    let (hdb, url) = rt.block_on(async {
        let db = engawa_headend::Db::open(&dir.path().join("headend.db"))
            .await
            .unwrap();
        let household = engawa_headend::demo::seed(&db, now).await.unwrap();
        let token = db
            .issue_token(household, "EGW-KILL-0001", now)
            .await
            .unwrap();
        engawa::runtime::headend::save_token(&state, &token).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = engawa_headend::AppState::new(
            db.clone(),
            std::sync::Arc::new(engawa_core::SystemClock),
        );
        // A slow head-end, so that the cuts land while the order is in flight:
        // 200 ms before it is handled, 400 ms after it is committed.
        let headend = engawa_headend::startup::start(
            app,
            engawa_headend::startup::Tasks::default(),
            engawa_headend::startup::CancellationToken::new(),
        );
        tokio::spawn(headend.serve_wrapped(
            listener,
            engawa_headend::http::server::Limits::default(),
            |r| r.layer(axum::middleware::from_fn(slow_orders)),
        ));
        (db, url)
    });
    let config = dir.path().join("box.toml");
    std::fs::write(
        &config,
        format!(
            "[box]\nstate_dir = \"{}\"\nserial = \"EGW-KILL-0001\"\n\n[chime]\ncommand = []\n\n[headend]\nurl = \"{url}\"\n",
            state.display()
        ),
    )
    .unwrap();
    let db = state.join("engawa.db");
    let log = dir.path().join("box.log");
    let x = Xvfb::start();
    let pending = |db: &Path| outbox(db).iter().filter(|o| o.0 == "pending").count();
    let mut left_pending = 0;
    // The power is cut at different moments after 緑: before the request leaves,
    // while the head-end works, after it answered.
    for delay_ms in [0u64, 100, 300, 450, 900] {
        let mut b = Box_::start_logged(&x, &config, Some(&log));
        wait("the catalogue and a settled outbox", 20, || {
            catalogue_cached(&db) && pending(&db) == 0
        });
        std::thread::sleep(Duration::from_millis(400));
        b.assert_running();
        // Close any 「さきほどの ご注文…」 notices, go home, then: 買い物 → やさい →
        // the first item → 緑 (into the cart) → 緑 (order).
        press(
            &x,
            &["Escape", "Escape", "Escape", "Home", "1", "2", "1", "F3"],
        );
        std::thread::sleep(Duration::from_millis(300));
        press(&x, &["F3"]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        b.kill9();
        left_pending += pending(&db);
    }
    // Power on once more: everything interrupted is settled with the head-end.
    let mut b = Box_::start_logged(&x, &config, Some(&log));
    wait("every attempt settled", 20, || pending(&db) == 0);
    std::thread::sleep(Duration::from_millis(300));
    b.assert_running();
    b.kill9();

    let rows = outbox(&db);
    let done: Vec<i64> = rows
        .iter()
        .filter(|r| r.0 == "done")
        .map(|r| r.1.as_deref().unwrap().parse().unwrap())
        .collect();
    let (orders, _, keyed) = rt.block_on(hdb.order_counts()).unwrap();
    assert!(!rows.is_empty(), "no order was ever attempted");
    assert_eq!(
        orders as usize,
        done.len(),
        "box and head-end agree: {rows:?}"
    );
    assert_eq!(keyed, orders, "every order came from exactly one key");
    let mut unique = done.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        done.len(),
        "no order recorded twice: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| ["done", "void", "refused"].contains(&r.0.as_str()))
    );
    // Every attempt found pending after a cut was settled, and the resident told.
    let text = std::fs::read_to_string(&log).unwrap();
    let told = text.matches("interrupted order settled").count();
    eprintln!(
        "{} attempts: {} placed, {} void/refused; {left_pending} left pending by a cut",
        rows.len(),
        done.len(),
        rows.len() - done.len()
    );
    assert!(!done.is_empty(), "the keys never placed an order: {rows:?}");
    assert_eq!(told, left_pending, "one notice per interrupted attempt");
}

/// Message-IDs of the mails in a Maildir (every delivery, resends included).
fn delivered_ids(maildir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for f in rd.flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        {
            ids.push(line[11..].trim().to_string());
        }
    }
    ids
}

#[test]
fn family_mail_survives_kill_9_of_the_sender_at_random_points() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let maildir = dir.path().join("maildir");
    let port = smtp::free_port();
    let smtp = smtp::Smtp::start(port, &maildir);
    // Thirty family mails queued (as the watch-over queues them).
    let db = state.join("engawa.db");
    let mut queued = Vec::new();
    {
        let mut store = Store::open(&db).unwrap();
        for i in 0..30 {
            let id = format!("<watch.test.{i}.EGW-0042@example.jp>");
            store
                .enqueue_mail(
                    &id,
                    ("山田 太郎", "taro@example.jp"),
                    "見守り: テスト",
                    "本文",
                    Utc::now(),
                )
                .unwrap();
            queued.push(id);
        }
    }
    let config = dir.path().join("box.toml");
    std::fs::write(
        &config,
        format!(
            "[box]\nstate_dir = \"{}\"\n\n[chime]\ncommand = []\n\n[mail]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"見守り <mimamori@example.jp>\"\n",
            state.display()
        ),
    )
    .unwrap();
    let x = Xvfb::start();
    let pending = |db: &Path| {
        let conn =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        conn.busy_timeout(Duration::from_secs(2)).unwrap();
        conn.query_row(
            "SELECT COUNT(*) FROM mail_outbox WHERE state = 'pending'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };
    // Cut the power again and again while it sends.
    let mut seed: u64 = 7;
    for _ in 0..8 {
        if pending(&db) == 0 {
            break;
        }
        let b = Box_::start(&x, &config);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(300 + (seed >> 33) % 700));
        b.kill9();
    }
    // Power on for good: everything goes out.
    let mut b = Box_::start(&x, &config);
    wait("every mail sent", 30, || pending(&db) == 0);
    b.assert_running();
    b.kill9();
    smtp.stop();
    let got = delivered_ids(&maildir);
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    let mut want = queued.clone();
    want.sort();
    assert_eq!(
        unique, want,
        "every queued mail arrived, with its own Message-ID"
    );
    eprintln!(
        "{} mails queued, {} deliveries ({} resent after a cut, same Message-ID)",
        queued.len(),
        got.len(),
        got.len() - unique.len()
    );
}
