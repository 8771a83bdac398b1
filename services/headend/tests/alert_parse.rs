//! `engawa-headend alert parse` on JMA's official samples and on files that
//! are not reports: one JSON line per good file, the file and the reason for
//! each bad one, and a non-zero exit when any was bad.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn samples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/jma");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

fn parse(files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args(["alert", "parse"])
        .args(files)
        .output()
        .unwrap()
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn by_name<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["file"].as_str().unwrap().ends_with(name))
        .unwrap()
}

#[test]
fn every_sample_gives_one_line_with_its_fields() {
    let files = samples();
    let out = parse(&files);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = lines(&out);
    assert_eq!(lines.len(), files.len());
    for l in &lines {
        for key in ["status", "info_type", "event_id", "serial"] {
            assert!(l[key].is_string() || l[key].is_null(), "{key} in {l}");
            assert_ne!(l[key], "", "{key} in {l}: empty is null");
        }
        let cities: Vec<&str> = l["cities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(cities.windows(2).all(|w| w[0] < w[1]), "sorted, once: {l}");
        assert!(cities.iter().all(|c| c.len() == 7), "{l}");
    }
    let quake = by_name(&lines, "32-35_01_03_240613_VXSE53.xml");
    assert_eq!(quake["status"], "訓練");
    assert_eq!(quake["info_type"], "発表");
    assert_eq!(quake["event_id"], "20091001134500");
    assert_eq!(quake["serial"], "1");
    let cities = quake["cities"].as_array().unwrap();
    assert!(cities.contains(&"2230600".into()), "西伊豆町, 震度５弱");
    assert!(!cities.contains(&"2230630".into()), "a station, not a city");
    let flash = by_name(&lines, "32-35_01_01_100806_VXSE51.xml");
    assert_eq!(flash["serial"], Value::Null);
    assert_eq!(flash["cities"], serde_json::json!([]));
    let rain = by_name(&lines, "15_14_01_170216_VPWW54.xml");
    assert_eq!(rain["event_id"], Value::Null);
    assert_eq!(
        rain["cities"],
        serde_json::json!(["1310400", "1311800", "1312100", "1330800"])
    );
    let cancelled = lines.iter().filter(|l| l["info_type"] == "取消").count();
    assert_eq!(cancelled, 4);
}

#[test]
fn bad_files_are_named_with_the_reason_and_the_rest_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let good = samples().into_iter().next().unwrap();
    let whole = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.xml");
    // Cut at a line's end: cut inside a character it would be "not UTF-8".
    let half = whole[..whole.len() / 2]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap();
    std::fs::write(&cut, &whole[..half]).unwrap();
    let laughs = dir.path().join("laughs.xml");
    std::fs::write(
        &laughs,
        r#"<?xml version="1.0"?><!DOCTYPE Report [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Report>&b;</Report>"#,
    )
    .unwrap();
    let feed = dir.path().join("feed.xml");
    std::fs::write(&feed, r#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#).unwrap();
    let missing = dir.path().join("missing.xml");
    let out = parse(&[
        cut.clone(),
        good,
        laughs.clone(),
        feed.clone(),
        missing.clone(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out).len(), 1, "the good one still reads");
    let err = String::from_utf8_lossy(&out.stderr);
    for (file, why) in [
        (&cut, "not closed"),
        (&laughs, "DOCTYPE"),
        (&feed, "not a JMA <Report>"),
        (&missing, "cannot read"),
    ] {
        let line = err
            .lines()
            .find(|l| l.starts_with(&file.display().to_string()))
            .unwrap_or_else(|| panic!("{} not named in {err}", file.display()));
        assert!(line.contains(why), "{line}");
    }
    assert!(err.contains("4 of 5 files"), "{err}");
}
