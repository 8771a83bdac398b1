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
