//! The live path in a real window: the `engawa` binary in an X window (Xvfb),
//! driven key by key with xdotool through a long seeded walk over the box's
//! own screens, while two threads keep the CPUs busy. After every key the
//! window's pixels, read back from the X server, must equal a fresh render
//! (`engawa screenshot --frame`) of the frame the box says it shows.
//!
//! tests/live_frames.rs walks the same way through the headless renderer; this
//! one goes through winit, the window's own redraw scheduling and X (the stale
//! header title of issue 11 was first seen in this window). tests/box-vm does
//! the same on DRM.

#[path = "support/xwin.rs"]
mod xwin;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use xwin::{Xvfb, press, window_pixels};

const STEPS: usize = 100;
/// A pixel differs beyond this per channel; a frame fails beyond this share.
const TOLERANCE: u8 = 24;
const MAX_DIFFERENT: f64 = 0.002;

/// The remote's keys on the PC keyboard, as the walk draws them: the digits
/// open things, the arrows move, 戻る and ホーム come back (so the walk does
/// not stay in one form), 決定 and 緑 save what a form holds.
const KEYS: &[&str] = &[
    "1",
    "2",
    "3",
    "4",
    "1",
    "2",
    "3",
    "Up",
    "Down",
    "Left",
    "Right",
    "Down",
    "Up",
    "Return",
    "BackSpace",
    "BackSpace",
    "Home",
    "F1",
    "F3",
];

struct Engawa(Child);

impl Drop for Engawa {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// xorshift64*: the same walk for a seed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// The box's frame file: (sequence number, the whole text).
fn frame_file(path: &Path) -> Option<(u64, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some((v["seq"].as_u64()?, text))
}

/// Until the frame file has a new frame and has stayed the same for a moment;
/// a key that changes nothing (▲ at the top) is given a second and a half.
fn settle(path: &Path, before: u64) {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(5) {
        let now = frame_file(path).map(|(s, _)| s);
        if now == last
            && now.is_some_and(|s| s != before || started.elapsed() > Duration::from_millis(1500))
        {
            return;
        }
        last = now;
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn read_ppm(path: &Path) -> (u32, u32, Vec<u8>) {
    let data = std::fs::read(path).unwrap();
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    let (w, h): (u32, u32) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, data[i + 1..].to_vec())
}

fn write_ppm(path: &Path, w: u32, h: u32, rgb: &[u8]) {
    let mut out = format!("P6\n{w} {h}\n255\n").into_bytes();
    out.extend_from_slice(rgb);
    std::fs::write(path, out).unwrap();
}

fn differing(a: &[u8], b: &[u8]) -> usize {
    a.chunks_exact(3)
        .zip(b.chunks_exact(3))
        .filter(|(p, q)| {
            p.iter()
                .zip(q.iter())
                .any(|(x, y)| x.abs_diff(*y) > TOLERANCE)
        })
        .count()
}

#[test]
fn the_window_shows_every_frame_of_a_long_walk_as_a_fresh_render_would() {
    let x = Xvfb::start();
    let dir = tempfile::tempdir().unwrap();
    let frame = dir.path().join("frame.json");
    let config = dir.path().join("box.toml");
    std::fs::write(
        &config,
        format!(
            "[box]\nstate_dir = \"{}\"\nframe_file = \"{}\"\n\n[chime]\ncommand = []\n",
            dir.path().join("state").display(),
            frame.display()
        ),
    )
    .unwrap();
    let _engawa = Engawa(
        Command::new(env!("CARGO_BIN_EXE_engawa"))
            .arg("--config")
            .arg(&config)
            .env("DISPLAY", &x.display)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while frame_file(&frame).is_none() {
        assert!(Instant::now() < deadline, "engawa wrote no frame in 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }

    // The CPUs kept busy, as on a box that is also syncing and mailing.
    let stop = Arc::new(AtomicBool::new(false));
    let burners: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n = n.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
                n
            })
        })
        .collect();

    let reference = dir.path().join("ref.ppm");
    let shown = dir.path().join("shown.json");
    let failed_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("live-window");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut pages = std::collections::BTreeSet::new();
    let mut failure = None;
    'walk: for step in 0..STEPS {
        let key = KEYS[rng.below(KEYS.len())];
        let before = frame_file(&frame).map_or(0, |(s, _)| s);
        press(&x, &[key]);
        settle(&frame, before);
        // The clock may turn between the pixels and the frame file: look again.
        for attempt in 0..3 {
            let (w, h, pixels) = window_pixels(&x);
            let Some((seq, text)) = frame_file(&frame) else {
                continue;
            };
            std::fs::write(&shown, &text).unwrap();
            let status = Command::new(env!("CARGO_BIN_EXE_engawa"))
                .args(["screenshot", "--frame"])
                .arg(&shown)
                .arg("--out")
                .arg(&reference)
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "engawa screenshot --frame failed");
            let (rw, rh, fresh) = read_ppm(&reference);
            assert_eq!((w, h), (rw, rh), "the window and its frame differ in size");
            let bad = differing(&pixels, &fresh);
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let title = v["frame"]["title"].as_str().unwrap_or("").to_string();
            if bad as f64 / f64::from(w * h) <= MAX_DIFFERENT {
                pages.insert(title);
                continue 'walk;
            }
            if attempt == 2 {
                std::fs::create_dir_all(&failed_dir).unwrap();
                write_ppm(&failed_dir.join("window.ppm"), w, h, &pixels);
                write_ppm(&failed_dir.join("fresh.ppm"), w, h, &fresh);
                failure = Some(format!(
                    "step {step} (key {key}, frame {seq}, 「{title}」): {bad} pixels of the window \
                     differ from a fresh render; see {}",
                    failed_dir.display()
                ));
                break 'walk;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for b in burners {
        b.join().unwrap();
    }
    if let Some(f) = failure {
        panic!("{f}");
    }
    // The walk went somewhere: not one screen all along.
    assert!(pages.len() >= 5, "the walk saw only {pages:?}");
}
