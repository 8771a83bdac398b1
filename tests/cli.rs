//! The `engawa` binary from the outside: keymap checks over every remote Debian
//! ships, clear refusals of bad configuration and damaged databases, and the real
//! window under Xvfb.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn engawa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_engawa"));
    c.env("RUST_LOG", "warn");
    c
}

const DEBIAN_KEYMAPS: &str = "/lib/udev/rc_keymaps";

#[test]
fn every_keymap_debian_ships_loads() {
    let mut files: Vec<_> = std::fs::read_dir(DEBIAN_KEYMAPS)
        .expect("ir-keytable's keymaps (Debian package ir-keytable; tests/run installs it)")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 100, "only {} keymaps", files.len());
    let out = engawa()
        .args(["keymap", "check"])
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches(": ok\n").count(), files.len());
    // The Windows Media Center remote: numbers, OK and arrows all reach engawa.
    assert!(stdout.contains("0x800f0400 KEY_NUMERIC_0"), "{stdout}");
    assert!(stdout.contains("-> Digit(0)"));
    assert!(stdout.contains("ignored: "));
}

#[test]
fn a_malformed_keymap_is_named_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &good,
        "[[protocols]]\nprotocol = \"nec\"\n[protocols.scancodes]\n0x10 = \"KEY_OK\"\n",
    )
    .unwrap();
    std::fs::write(
        &bad,
        "[[protocols]]\nprotocol = \"nec\"\n[protocols.scancodes]\n0x10 = \"KEY_WHATEVER\"\n",
    )
    .unwrap();
    let out = engawa()
        .args(["keymap", "check"])
        .arg(&good)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:4: `KEY_WHATEVER`"), "{err}");
    assert!(err.contains("1 of 2 files are malformed"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("good.toml: ok"));
}

#[test]
fn a_bad_config_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("box.toml");
    std::fs::write(
        &cfg,
        "[box]\nlanguage = \"ja\"\n\n[operator]\nphone = \"ask the neighbours\"\n",
    )
    .unwrap();
    let out = engawa().arg("--config").arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("box.toml:5: field `operator.phone`"), "{err}");
}

fn config_in(dir: &Path) -> std::path::PathBuf {
    let cfg = dir.join("box.toml");
    std::fs::write(
        &cfg,
        format!(
            "[box]\nstate_dir = \"{}\"\n\n[chime]\ncommand = []\n",
            dir.join("state").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    cfg
}

#[test]
fn a_damaged_database_is_reported_at_start_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let db = dir.path().join("state/engawa.db");
    std::fs::write(&db, vec![0x42u8; 8192]).unwrap();
    let out = engawa().arg("--config").arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("engawa.db") && err.contains("damaged"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), vec![0x42u8; 8192]);
}

#[test]
fn the_window_runs_under_xvfb() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let mut child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1920x1080x24"])
        .arg(env!("CARGO_BIN_EXE_engawa"))
        .arg("--config")
        .arg(&cfg)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("xvfb-run (Debian package xvfb; tests/run installs it)");
    // Alive after three seconds with its database created: it started and runs.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("engawa exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(dir.path().join("state/engawa.db").exists());
    // xvfb-run is a shell script: end the whole process group politely.
    let _ = Command::new("pkill")
        .args(["-f", &cfg.display().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn a_malformed_configured_keymap_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let km = dir.path().join("remote.toml");
    std::fs::write(
        &km,
        "[[protocols]]\nprotocol = \"nec\"\n[protocols.scancodes]\n0xZZ = \"KEY_OK\"\n",
    )
    .unwrap();
    let cfg = dir.path().join("box.toml");
    std::fs::write(&cfg, format!("[input]\nkeymap = \"{}\"\n", km.display())).unwrap();
    let out = engawa().arg("--config").arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("remote.toml:4: `0xZZ` is not a scancode"),
        "{err}"
    );
}

#[test]
fn the_ui_bench_runs_and_prints_its_numbers() {
    // Numbers are for people (release build); here only that it runs and reports.
    let out = engawa()
        .args(["bench", "ui", "--keys", "40"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "key→frame  p50",
        "p99",
        "first frame after process start",
        "peak RSS",
    ] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
}

#[test]
fn diag_reports_every_fact_and_says_why_the_headend_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("box.toml");
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[box]\nserial = \"EGW-DIAG-0001\"\nstate_dir = \"{}\"\n\n[headend]\nurl = \"http://127.0.0.1:{port}\"\n",
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    // A damaged database is a line of the report, not a failure.
    std::fs::write(dir.path().join("state/engawa.db"), vec![0x42u8; 8192]).unwrap();
    let out = engawa()
        .args(["diag", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success(), "diag always exits 0");
    let text = String::from_utf8_lossy(&out.stdout);
    for fact in [
        "version: engawa ",
        "serial: EGW-DIAG-0001",
        "pairing: まだ 登録されていません",
        "cannot connect",
        "keymap: /usr/share/engawa/keymaps/engawa-remote.toml",
        "database:",
        "disk free:",
        "display output:",
    ] {
        assert!(text.contains(fact), "no {fact:?} in:\n{text}");
    }
    assert!(
        text.contains("damaged") || text.contains("unreadable") || text.contains("cannot open"),
        "{text}"
    );
}

#[test]
fn keymap_path_is_the_configured_one_or_the_packages() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let out = engawa()
        .args(["keymap", "path", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "/usr/share/engawa/keymaps/engawa-remote.toml"
    );
    let mine = dir.path().join("remote.toml");
    std::fs::write(
        &cfg,
        format!(
            "[box]\nstate_dir = \"{}\"\n\n[input]\nkeymap = \"{}\"\n",
            dir.path().join("state").display(),
            mine.display()
        ),
    )
    .unwrap();
    let out = engawa()
        .args(["keymap", "path", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        mine.display().to_string()
    );
}

#[test]
fn the_packaged_keymap_maps_every_key_a_resident_needs() {
    let out = engawa()
        .args([
            "keymap",
            "check",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/packaging/keymaps/engawa-remote.toml"
            ),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("note: no key for"), "{text}");
    assert!(text.contains("0x00001405 KEY_OK"), "{text}");
}
