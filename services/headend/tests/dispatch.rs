//! `engawa-headend dispatch …` as an operator runs it: solve writes a solution
//! the independent verifier accepts; the verifier names every violation of a
//! broken one and fails; malformed files are refused with their line number.

use std::path::{Path, PathBuf};
use std::process::Command;

fn headend() -> Command {
    Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ride/tests/data")
        .join(name)
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn solve_then_verify_and_the_published_optimum_checks_out() {
    let (ok, text) = run(headend()
        .args(["dispatch", "verify", "--instance"])
        .arg(data("a2-16.txt"))
        .arg("--solution")
        .arg(data("a2-16.json")));
    assert!(ok, "{text}");
    assert!(text.contains("feasible, cost 294.2480"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a2-16.json");
    let (ok, text) = run(headend()
        .args(["dispatch", "solve", "--instance"])
        .arg(data("a2-16.txt"))
        .args(["--time-limit", "1", "--seed", "3", "--out"])
        .arg(&out));
    assert!(ok, "{text}");
    assert!(text.contains("feasible"), "{text}");
    let (ok, text) = run(headend()
        .args(["dispatch", "verify", "--instance"])
        .arg(data("a2-16.txt"))
        .arg("--solution")
        .arg(&out));
    assert!(ok, "{text}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["instance"], "a2-16");
    assert!(written["routes"].as_array().unwrap().len() <= 2);
}

#[test]
fn a_broken_solution_is_refused_with_every_violation() {
    let dir = tempfile::tempdir().unwrap();
    let mut sol: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("a2-16.json")).unwrap()).unwrap();
    // Move request 10's pickup after its drop-off, and serve request 5 twice.
    let r0 = sol["routes"][0].as_array_mut().unwrap();
    let p = r0.remove(0);
    r0.push(p);
    sol["routes"][1]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(5));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, sol.to_string()).unwrap();
    let (ok, text) = run(headend()
        .args(["dispatch", "verify", "--instance"])
        .arg(data("a2-16.txt"))
        .arg("--solution")
        .arg(&bad));
    assert!(!ok);
    assert!(
        text.contains("request 10: dropped off before it is picked up"),
        "{text}"
    );
    assert!(text.contains("node 5 is visited twice"), "{text}");
    assert!(text.contains("violation(s)"), "{text}");
}

#[test]
fn malformed_files_are_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("a2-16.txt")).unwrap();
    let broken: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 5 {
                "5 1.0 2.0 3\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let f = dir.path().join("broken.txt");
    std::fs::write(&f, broken).unwrap();
    let (ok, out) = run(headend()
        .args(["dispatch", "verify", "--instance"])
        .arg(&f)
        .arg("--solution")
        .arg(data("a2-16.json")));
    assert!(!ok);
    assert!(out.contains("line 6: 4 fields, expected 7"), "{out}");
    let j = dir.path().join("broken.json");
    std::fs::write(
        &j,
        "{\"instance\": \"a2-16\",\n \"cost\": 1,\n \"routes\": [[1, 17,]]}",
    )
    .unwrap();
    let (ok, out) = run(headend()
        .args(["dispatch", "verify", "--instance"])
        .arg(data("a2-16.txt"))
        .arg("--solution")
        .arg(&j));
    assert!(!ok);
    assert!(out.contains("line 3"), "{out}");
    let (ok, out) = run(headend()
        .args(["dispatch", "solve", "--instance"])
        .arg(data("a2-16.txt"))
        .args(["--time-limit", "soon", "--out", "x.json"]));
    assert!(!ok);
    assert!(out.contains("--time-limit"), "{out}");
}

#[test]
fn a_malformed_travel_matrix_stops_the_server_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("matrix.txt");
    std::fs::write(&m, "2\n35.51 137.82\n35.52 137.83\n0 4\n5 zero\n").unwrap();
    let (ok, out) = run(headend()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("h.db"))
        .arg("--travel-matrix")
        .arg(&m));
    assert!(!ok);
    assert!(out.contains("line 5"), "{out}");
}

#[test]
fn a_simulated_day_prints_bookings_quote_times_and_driving() {
    let (ok, out) = run(headend().args([
        "dispatch",
        "day",
        "--requests",
        "30",
        "--vehicles",
        "2",
        "--improve-rounds",
        "20",
    ]));
    assert!(ok, "{out}");
    for part in [
        "30 requests, 2 cars × 3 seats (seed 1)",
        "booked ",
        "quote (up to 3 offers): p50 ",
        "with background improvement: ",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
    let (ok, out) = run(headend().args(["dispatch", "day", "--requests", "many"]));
    assert!(
        !ok && out.contains("invalid value 'many' for '--requests"),
        "{out}"
    );
}

#[test]
fn a_generated_instance_is_solved_and_verified_like_a_published_one() {
    let dir = tempfile::tempdir().unwrap();
    let inst = dir.path().join("ga2-16.txt");
    let (ok, out) = run(headend()
        .args(["dispatch", "generate", "--like"])
        .arg(data("a2-16.txt"))
        .args(["--seed", "3", "--out"])
        .arg(&inst));
    assert!(ok, "{out}");
    assert!(out.contains("16 requests like a2-16 (seed 3)"), "{out}");
    let sol = dir.path().join("ga2-16.json");
    let (ok, out) = run(headend()
        .args(["dispatch", "solve", "--instance"])
        .arg(&inst)
        .args(["--time-limit", "1", "--out"])
        .arg(&sol));
    assert!(ok, "{out}");
    let (ok, out) = run(headend()
        .args(["dispatch", "verify", "--instance"])
        .arg(&inst)
        .arg("--solution")
        .arg(&sol));
    assert!(ok && out.contains("feasible"), "{out}");
    // pr files have their depot elsewhere and another layout: not a template.
    let (ok, out) = run(headend()
        .args(["dispatch", "generate", "--like"])
        .arg(data("pr01.txt"))
        .args(["--out"])
        .arg(dir.path().join("x.txt")));
    assert!(!ok && out.contains("an `a` or `b` file"), "{out}");
}
