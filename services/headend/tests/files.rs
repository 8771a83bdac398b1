//! What the head-end writes to disk is the operator's alone: the database (with
//! its -wal and -shm files) and the billing exports are mode 0600; a mail file
//! whose SMTP credentials others can read stops `serve` at start.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use engawa_core::{Clock, SystemClock};
use engawa_headend::Db;
use engawa_headend::db::NewHousehold;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn side(db: &std::path::Path, s: &str) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(s);
    p.into()
}

#[tokio::test]
async fn the_database_and_its_journal_are_the_operators_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("headend.db");
    let db = Db::open(&path).await.unwrap();
    db.add_household(
        &NewHousehold {
            name: "山田 花子".into(),
            address: "みどり町 1-2".into(),
            phone: "0265-11-2222".into(),
            ..Default::default()
        },
        SystemClock.now(),
    )
    .await
    .unwrap();
    for p in [path.clone(), side(&path, "-wal"), side(&path, "-shm")] {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    drop(db);
    // A file someone made readable by all is tightened when it is opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _db = Db::open(&path).await.unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn billing_exports_are_written_0600() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // An export there before, readable by all, is replaced as 0600.
    let old = out.join("households-2026-11.csv");
    std::fs::write(&old, "old").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args(["billing", "export", "--month", "2026-11", "--db"])
        .arg(dir.path().join("headend.db"))
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for name in ["households-2026-11.csv", "sellers-2026-11.csv"] {
        assert_eq!(mode(&out.join(name)), 0o600, "{name}");
    }
}

#[test]
fn serve_refuses_smtp_credentials_others_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("smtp-credentials");
    std::fs::write(&creds, "mimamori\nsecret\n").unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mail = dir.path().join("mail.toml");
    std::fs::write(
        &mail,
        format!(
            "[mail]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\ncredentials_file = \"{}\"\nfrom = \"見守り <mimamori@example.jp>\"\n",
            creds.display()
        ),
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("headend.db"))
        .arg("--mail")
        .arg(&mail)
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("chmod 600"), "{err}");
}
