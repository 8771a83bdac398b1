//! Power cuts: the real `engawa` binary in a real X window (Xvfb), driven with
//! real key presses (xdotool), killed with SIGKILL at the worst moments. The SQLite
//! file must show every reminder occurrence exactly once and every answer kept.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, Timelike, Utc};
use engawa::store::Store;
use engawa_core::TOKYO;
use engawa_remind::{Phrase, Repeat, Schedule};

struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian package xvfb; tests/run installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Xvfb {
            child,
            display: format!(":{}", line.trim()),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Box_ {
    child: Child,
}

impl Box_ {
    fn start(x: &Xvfb, config: &Path) -> Box_ {
        let child = Command::new(env!("CARGO_BIN_EXE_engawa"))
            .arg("--config")
            .arg(config)
            .env("DISPLAY", &x.display)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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
    let status = Command::new("xdotool")
        .args([
            "search",
            "--sync",
            "--name",
            "^engawa$",
            "windowfocus",
            "--sync",
            "key",
            "Return",
        ])
        .env("DISPLAY", &x.display)
        .status()
        .expect("xdotool (Debian package xdotool; tests/run installs it)");
    assert!(status.success());
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

fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
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
    wait_for("the missed reminder", Duration::from_secs(20), || {
        due_rows(&db).len() == 1
    });
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
    wait_for("the answer stored", Duration::from_secs(10), || {
        due_rows(&db).is_empty()
    });
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
