//! `engawa-headend bench` runs end to end (tiny sizes; the real numbers come from
//! a release build, see the README).

use std::process::Command;

#[test]
fn the_benchmark_runs_and_counts_every_order_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args([
            "bench",
            "--boxes",
            "30",
            "--seconds",
            "1",
            "--rates",
            "50,100",
            "--orders",
            "30",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("highest sustained rate"), "{stdout}");
    assert!(
        stdout.contains("30 orders, 30 idempotency keys"),
        "{stdout}"
    );
    assert!(stdout.contains("none lost, none duplicated"), "{stdout}");
}

/// `--db postgres://…`: the same load on SQLite, PostgreSQL ×1 and ×2,
/// printed side by side (in the suite's PostgreSQL pass).
#[test]
fn the_benchmark_compares_sqlite_and_postgresql_with_two_instances() {
    let Some(server) = std::env::var("ENGAWA_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!("no ENGAWA_TEST_PG: the comparison runs in the PostgreSQL pass");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args([
            "bench",
            "--boxes",
            "20",
            "--seconds",
            "1",
            "--rates",
            "50,100",
        ])
        .args(["--orders", "20", "--db", &server, "--instances", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for part in ["SQLite ×1", "PostgreSQL ×1", "PostgreSQL ×2", "2× goodput"] {
        assert!(stdout.contains(part), "{part}: {stdout}");
    }
    assert_eq!(
        stdout.matches("none lost, none duplicated").count(),
        3,
        "{stdout}"
    );
}
