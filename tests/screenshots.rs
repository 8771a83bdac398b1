//! Every page and overlay, rendered headless by the real `engawa screenshot`
//! command, compared with the reference PNGs in tests/screenshots/.
//!
//! Regenerate the references after an intended change (then look at every one):
//!     ENGAWA_UPDATE_SCREENSHOTS=1 cargo test --test screenshots

use std::path::{Path, PathBuf};
use std::process::Command;

/// A pixel counts as different when a channel differs by more than this…
const CHANNEL_TOLERANCE: u8 = 24;
/// …and a page fails when more than this share of its pixels differ.
const MAX_DIFFERENT: f64 = 0.002;

fn engawa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_engawa"))
}

fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn scenes() -> Vec<String> {
    let out = engawa().args(["screenshot", "--list"]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect()
}

fn render(scene: &str, lang: &str, out: &Path) {
    let status = engawa()
        .args(["screenshot", "--page", scene, "--lang", lang, "--out"])
        .arg(out)
        .env("RUST_LOG", "warn")
        .status()
        .unwrap();
    assert!(status.success(), "engawa screenshot --page {scene} failed");
}

fn compare(name: &str, actual: &Path, reference: &Path) -> Result<(), String> {
    if std::env::var_os("ENGAWA_UPDATE_SCREENSHOTS").is_some() {
        std::fs::copy(actual, reference).unwrap();
        return Ok(());
    }
    if !reference.exists() {
        return Err(format!(
            "{name}: no reference {}; regenerate (see this file's doc)",
            reference.display()
        ));
    }
    let (w, h, a) = read_png(actual);
    let (rw, rh, r) = read_png(reference);
    if (w, h) != (rw, rh) {
        return Err(format!("{name}: size {w}x{h}, reference {rw}x{rh}"));
    }
    let different = a
        .chunks(3)
        .zip(r.chunks(3))
        .filter(|(p, q)| {
            p.iter()
                .zip(q.iter())
                .any(|(x, y)| x.abs_diff(*y) > CHANNEL_TOLERANCE)
        })
        .count();
    let share = different as f64 / (w * h) as f64;
    if share > MAX_DIFFERENT {
        let keep = reference.with_extension("actual.png");
        std::fs::copy(actual, &keep).unwrap();
        return Err(format!(
            "{name}: {:.2} % of pixels differ (allowed {:.2} %); see {}",
            share * 100.0,
            MAX_DIFFERENT * 100.0,
            keep.display()
        ));
    }
    Ok(())
}

#[test]
fn every_page_matches_its_reference() {
    let refs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots");
    let tmp = tempfile::tempdir().unwrap();
    let scenes = scenes();
    assert!(scenes.len() >= 15, "{scenes:?}");
    let mut failures = Vec::new();
    for scene in &scenes {
        let actual = tmp.path().join(format!("{scene}.png"));
        render(scene, "ja", &actual);
        if let Err(e) = compare(scene, &actual, &refs.join(format!("{scene}.png"))) {
            failures.push(e);
        }
    }
    // The developers' English, for two pages.
    for scene in ["home", "remind-edit"] {
        let actual = tmp.path().join(format!("{scene}.en.png"));
        render(scene, "en", &actual);
        if let Err(e) = compare(scene, &actual, &refs.join(format!("{scene}.en.png"))) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_home_screen_is_not_blank() {
    // Guards the comparison itself: a broken renderer producing one colour fails.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("home.png");
    render("home", "ja", &out);
    let (_, _, px) = read_png(&out);
    let mut colours: Vec<&[u8]> = px.chunks(3).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 50, "only {} colours", colours.len());
}

#[test]
fn bad_screenshot_arguments_are_refused_clearly() {
    let out = engawa()
        .args(["screenshot", "--page", "nope", "--out", "/tmp/x.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no page called \"nope\""));
    let out = engawa()
        .args([
            "screenshot",
            "--page",
            "home",
            "--size",
            "big",
            "--out",
            "/tmp/x.png",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected WIDTHxHEIGHT"));
}
