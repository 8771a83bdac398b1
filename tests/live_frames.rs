//! The live path, frame after frame: the screen is redrawn the way a display
//! backend redraws it (only what changed, into the buffer that already holds the
//! previous frame), through long key sequences over every service, with several
//! events sometimes arriving between two frames (as on a busy box). After
//! every frame the screen must equal a fresh render of the same state in a new
//! window. (The walk is seeded and rendering is synchronous, so the result
//! does not depend on the machine's load: no threads burn the CPUs.)
//!
//! This is the test for "the header title went stale" (issue 11): every
//! screenshot test renders one state into a fresh window, so a redraw that
//! misses a changed region can only be seen here, in the Xvfb window test and
//! in the VM test (tests/box-vm).

use std::cell::RefCell;
use std::rc::Rc;

use engawa::app::{Effect, Event, Key};
use engawa::demo;
use engawa::view::headless::{Headless, Rgb8Pixel};
use engawa::view::model::frame;
use engawa::view::{BoxInfo, Lang, Presenter, bridge};
use slint::ComponentHandle;

const W: u32 = 1920;
const H: u32 = 1080;
const STEPS: usize = 400;

/// xorshift64*: the same walk on every run for a seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn info() -> BoxInfo {
    BoxInfo {
        serial: "EGW-TEST-0001".into(),
        operator_name: "みどり町ケーブルテレビ".into(),
        operator_phone: "0265-00-0000".into(),
        version: "test".into(),
        connected: true,
    }
}

fn differing(a: &[Rgb8Pixel], b: &[Rgb8Pixel]) -> usize {
    a.iter()
        .zip(b)
        .filter(|(p, q)| p.r.abs_diff(q.r) > 24 || p.g.abs_diff(q.g) > 24 || p.b.abs_diff(q.b) > 24)
        .count()
}

fn write_png(path: &std::path::Path, px: &[Rgb8Pixel]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), W, H);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let bytes: Vec<u8> = px.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    enc.write_header()
        .unwrap()
        .write_image_data(&bytes)
        .unwrap();
}

#[test]
fn partial_redraws_equal_fresh_renders_through_long_key_sequences() {
    engawa::fonts::ensure_system_font().unwrap();
    let mut headless = Headless::install(W, H).unwrap();
    let screen = engawa_ui::AppWindow::new().unwrap();
    screen.show().unwrap();
    let pending: Rc<RefCell<Vec<Effect>>> = Rc::default();
    let sink = pending.clone();
    let mut p = Presenter::new(
        demo::live_app(),
        info(),
        Lang::Ja,
        screen.clone_strong(),
        Box::new(move |e| sink.borrow_mut().push(e)),
    );
    headless.render();

    use Key::*;
    let keys = [
        Digit(1),
        Digit(2),
        Digit(3),
        Digit(4),
        Digit(1),
        Digit(2),
        Up,
        Down,
        Left,
        Right,
        Down,
        Right,
        Ok,
        Ok,
        Back,
        Back,
        Home,
        Green,
        Yellow,
        Red,
        Blue,
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut now = demo::scene_time();
    let mut log: Vec<String> = Vec::new();
    let mut pages = std::collections::BTreeSet::new();
    for step in 0..STEPS {
        // One to three events before the next frame.
        for _ in 0..1 + rng.below(3) {
            let ev = if rng.below(8) == 0 {
                now += chrono::Duration::seconds(37);
                Event::Tick(now)
            } else {
                Event::Key(keys[rng.below(keys.len())])
            };
            log.push(format!("{ev:?}").chars().take(60).collect());
            p.dispatch(ev);
            // The head-end answers what was asked, in order.
            loop {
                let fx: Vec<Effect> = pending.borrow_mut().drain(..).collect();
                if fx.is_empty() {
                    break;
                }
                for e in &fx {
                    if let Some(answer) = demo::answer(e) {
                        p.dispatch(answer);
                    }
                }
            }
        }
        let drew = headless.render();

        let f = frame(&p.app, &p.info, p.lang);
        pages.insert(f.title.clone());
        let fresh_window = engawa_ui::AppWindow::new().unwrap();
        fresh_window.show().unwrap();
        bridge::apply(&fresh_window, &f);
        let fresh = headless.render_fresh().expect("a fresh window");
        drop(fresh_window);
        let bad = differing(headless.buffer(), &fresh);
        if bad > 0 {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            write_png(&dir.join("live-screen.png"), headless.buffer());
            write_png(&dir.join("live-fresh.png"), &fresh);
            let tail = log[log.len().saturating_sub(12)..].join("\n  ");
            panic!(
                "step {step}: the screen differs from a fresh render of the same state in {bad} pixels \
                 (title {:?}, frame drawn: {drew}, region {:?}); see {}/live-screen.png and live-fresh.png; last events:\n  {tail}",
                f.title,
                headless.last_region(),
                dir.display()
            );
        }
    }
    // The walk must have gone through the services, not stayed on one page.
    assert!(pages.len() >= 12, "only saw {pages:?}");
}
