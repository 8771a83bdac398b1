//! A new box pairs with the real head-end on 127.0.0.1:0: it shows a pairing code,
//! the operator approves it, the box stores its token (0600) and shows home; after
//! a restart it is connected at once. Head-end down: the box says so and keeps
//! trying.

#[path = "support/boxed.rs"]
mod boxed;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boxed::{TestBox, headend_config};
use engawa::app::{Event, Key, Screen};
use engawa::store::Store;
use engawa_core::{Clock, ManualClock, SystemClock};
use engawa_headend::db::NewHousehold;
use engawa_headend::{AppState, Db};

fn start_box(state: &std::path::Path, url: &str) -> TestBox {
    TestBox::spawn(
        Store::open(&state.join("engawa.db")).unwrap(),
        Arc::new(SystemClock),
        headend_config(
            state,
            url,
            "EGW-TEST-0007",
            Duration::from_millis(50),
            Duration::from_millis(200),
        ),
    )
}

#[test]
fn a_new_box_pairs_and_remembers_its_token() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = rt.block_on(async {
        let db = Db::open(&dir.path().join("headend.db")).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(db.clone(), Arc::new(ManualClock::new(SystemClock.now())));
        tokio::spawn(engawa_headend::serve(
            listener,
            state,
            std::future::pending(),
        ));
        (db, url)
    });
    let household = rt
        .block_on(db.add_household(
            &NewHousehold {
                name: "山田 花子".into(),
                address: "みどり町 1-2".into(),
                phone: "0265-11-2222".into(),
                lat: None,
                lon: None,
                shop: true,
                ride: false,
                ..Default::default()
            },
            SystemClock.now(),
        ))
        .unwrap();
    let state = dir.path().join("box");
    std::fs::create_dir_all(&state).unwrap();

    let mut bx = start_box(&state, &url);
    bx.until(10, "a pairing code on screen", |a| {
        a.pairing.as_ref().is_some_and(|p| p.user_code.is_some())
    });
    // Keys do nothing but help while waiting.
    bx.feed(Event::Key(Key::Digit(3)));
    assert_eq!(bx.app.page().screen, Screen::Home);
    let code = bx.app.pairing.as_ref().unwrap().user_code.clone().unwrap();
    let serial = rt
        .block_on(db.approve_pairing(&code, household, SystemClock.now()))
        .unwrap()
        .unwrap();
    assert_eq!(serial, "EGW-TEST-0007");
    bx.until(15, "paired", |a| a.connected);
    assert!(bx.app.pairing.is_none());
    let token_file = state.join("token");
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let boxes = rt.block_on(db.boxes()).unwrap();
    assert_eq!((boxes.len(), boxes[0].household_id), (1, household));
    // Heartbeats arrive, carrying the time of the last key press (and nothing else).
    let wait_for_box = |what: &str, cond: &dyn Fn(&engawa_headend::db::BoxRow) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let b = rt.block_on(db.boxes()).unwrap().pop().unwrap();
            if cond(&b) {
                return b;
            }
            assert!(Instant::now() < deadline, "timed out waiting for: {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for_box("a heartbeat", &|b| b.last_heartbeat_at.is_some());
    bx.keys(&[Key::Down]);
    let b = wait_for_box("the activity time", &|b| b.last_activity_at.is_some());
    assert_eq!(
        b.software_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    bx.stop();

    // Restart: connected at once, no new pairing.
    let mut bx = start_box(&state, &url);
    bx.until(5, "connected after restart", |a| a.connected);
    assert!(bx.app.pairing.is_none());
    assert_eq!(rt.block_on(db.boxes()).unwrap().len(), 1);

    // The operator revokes the box (swapped, lost): it forgets its token and shows
    // a new pairing code.
    let id = rt.block_on(db.boxes()).unwrap()[0].id;
    assert!(rt.block_on(db.revoke_box(id, SystemClock.now())).unwrap());
    bx.until(10, "a new pairing code", |a| {
        a.pairing.as_ref().is_some_and(|p| p.user_code.is_some())
    });
    assert!(!bx.app.connected);
    assert!(!token_file.exists());
}

#[test]
fn an_unreachable_head_end_is_said_plainly_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut bx = start_box(dir.path(), &format!("http://127.0.0.1:{port}"));
    bx.until(10, "offline notice", |a| {
        a.pairing.as_ref().is_some_and(|p| p.offline)
    });
    assert!(!bx.app.connected);
    assert!(!dir.path().join("token").exists());
}
