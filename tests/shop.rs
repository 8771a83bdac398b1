//! The box shop end to end: the real runtime and box database against the real
//! head-end on 127.0.0.1:0 (demo catalogue), driven by key presses through the app
//! core. Orders arrive exactly once; an attempt interrupted by a power cut is
//! settled after restart and the resident is told which way it went; with the
//! head-end gone the cart is kept and nothing is charged.

use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use engawa::app::shop::ShopNotice;
use engawa::app::{App, Dialog, Event, Key, Screen};
use engawa::runtime::{self, HeadendSettings, RuntimeConfig, RuntimeHandle};
use engawa::store::Store;
use engawa_core::{Clock, SystemClock};
use engawa_headend::{AppState, Db};

struct Headend {
    rt: tokio::runtime::Runtime,
    db: Db,
    url: String,
    household: i64,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Headend {
    fn start(dir: &std::path::Path) -> Headend {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (db, url, household) = rt.block_on(async {
            let db = Db::open(&dir.join("headend.db")).await.unwrap();
            let household = engawa_headend::demo::seed(&db, SystemClock.now())
                .await
                .unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let state = AppState::new(db.clone(), Arc::new(SystemClock));
            tokio::spawn(engawa_headend::serve(listener, state, async {
                let _ = stop_rx.await;
            }));
            (db, url, household)
        });
        Headend {
            rt,
            db,
            url,
            household,
            stop: Some(stop_tx),
        }
    }

    fn counts(&self) -> (i64, i64, i64) {
        self.rt.block_on(self.db.order_counts()).unwrap()
    }

    fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A box: its runtime (own thread), and the app core fed by the test.
struct BoxUnderTest {
    app: App,
    rx: mpsc::Receiver<Event>,
    handle: RuntimeHandle,
    join: std::thread::JoinHandle<()>,
}

impl BoxUnderTest {
    fn start(state: &std::path::Path, url: &str) -> BoxUnderTest {
        let store = Store::open(&state.join("engawa.db")).unwrap();
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let (handle, join) = runtime::spawn(
            store,
            Arc::new(SystemClock),
            RuntimeConfig {
                chime_command: vec![],
                state_dir: state.to_path_buf(),
                tick: Duration::from_millis(100),
                headend: Some(HeadendSettings {
                    url: url.into(),
                    serial: "EGW-SHOP-0001".into(),
                    heartbeat: Duration::from_secs(60),
                }),
                mail: None,
                watch_mail: None,
            },
            Arc::new(move |ev| {
                let _ = tx.lock().unwrap().send(ev);
            }),
        )
        .unwrap();
        BoxUnderTest {
            app: App::new(SystemClock.now()),
            rx,
            handle,
            join,
        }
    }

    fn feed(&mut self, ev: Event) {
        for fx in self.app.handle(ev) {
            self.handle.send(fx);
        }
    }

    fn keys(&mut self, keys: &[Key]) {
        for k in keys {
            self.feed(Event::Key(*k));
        }
    }

    fn until(&mut self, secs: u64, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            let ev = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
            self.feed(ev);
        }
    }

    /// Power off: the runtime stops (the effect channel closes).
    fn stop(self) {
        drop(self.handle);
        let _ = self.join.join();
    }
}

fn provision(h: &Headend, state: &std::path::Path) {
    std::fs::create_dir_all(state).unwrap();
    let token =
        h.rt.block_on(h.db.issue_token(h.household, "EGW-SHOP-0001", SystemClock.now()))
            .unwrap();
    runtime::headend::save_token(state, &token).unwrap();
}

fn dialog(app: &App) -> Option<&ShopNotice> {
    match &app.dialog {
        Some(Dialog::Shop(n)) => Some(n),
        _ => None,
    }
}

#[test]
fn an_order_from_the_remote_arrives_once_and_the_cart_empties() {
    let dir = tempfile::tempdir().unwrap();
    let h = Headend::start(dir.path());
    let state = dir.path().join("box");
    provision(&h, &state);
    let mut b = BoxUnderTest::start(&state, &h.url);
    b.until(10, "the catalogue", |a| a.shop.catalogue.is_some());
    assert!(b.app.shop.catalogue.as_ref().unwrap().items.len() >= 280);

    // 買い物 → やさい・くだもの → だいこん, ▲ (2 本), 緑 (cart), 緑 (order).
    use Key::*;
    b.keys(&[Digit(1), Digit(2), Digit(1), Up, Green]);
    assert_eq!(b.app.page().screen, Screen::Cart);
    // The item's photo (generated by the demo head-end) came from the head-end.
    b.keys(&[Ok]);
    b.until(10, "the item's photo", |a| a.shop.photo.is_some());
    assert_eq!(b.app.shop.photo.as_ref().unwrap().1.width, 240);
    b.keys(&[Ok]);
    assert_eq!(b.app.page().screen, Screen::Cart);
    b.keys(&[Green]);
    b.until(10, "the receipt", |a| {
        matches!(a.page().screen, Screen::OrderDone(_))
    });
    let Screen::OrderDone(order) = b.app.page().screen.clone() else {
        unreachable!()
    };
    assert_eq!(order.lines[0].name, "だいこん");
    assert_eq!((order.lines[0].qty, order.total_yen), (2, 360));
    assert_eq!(h.counts(), (1, 1, 1));
    assert!(b.app.shop.cart.is_empty());

    // The history shows it; cancel it before the cut-off (if it is still open).
    b.keys(&[Back, Back, Digit(1)]);
    b.until(5, "shop home", |a| a.shop.catalogue.is_some());
    let history = b.app.shop.tiles().len();
    b.app.handle(Event::Key(Home));
    b.keys(&[Digit(1)]);
    for _ in 0..(history - 1) / 3 {
        b.keys(&[Down]);
    }
    while b.app.page().focus < history - 1 {
        b.keys(&[Right]);
    }
    b.keys(&[Ok]);
    b.until(5, "the order history", |a| a.shop.orders.is_some());
    assert_eq!(b.app.shop.orders.as_ref().unwrap()[0].id, order.id);
    if order.can_cancel(SystemClock.now()) {
        b.keys(&[Red, Ok]);
        b.until(5, "cancelled", |a| {
            matches!(dialog(a), Some(ShopNotice::Cancelled(_)))
        });
        let hist =
            h.rt.block_on(h.db.orders_for(h.household, SystemClock.now()))
                .unwrap();
        assert!(hist[0].cancelled_at.is_some());
    }
    b.stop();
    // The emptied cart stays empty after a restart; the catalogue is cached.
    let store = Store::open(&state.join("engawa.db")).unwrap();
    assert!(store.cart().unwrap().is_empty());
    assert!(store.cached_catalogue().unwrap().is_some());
}

#[test]
fn head_end_gone_keeps_the_cart_and_charges_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Headend::start(dir.path());
    let state = dir.path().join("box");
    provision(&h, &state);
    let mut b = BoxUnderTest::start(&state, &h.url);
    b.until(10, "the catalogue", |a| a.shop.catalogue.is_some());
    use Key::*;
    b.keys(&[Digit(1), Digit(3), Digit(2), Green]);
    h.stop();
    std::thread::sleep(Duration::from_millis(300));
    b.keys(&[Green]);
    b.until(20, "told the head-end is unreachable", |a| {
        matches!(dialog(a), Some(ShopNotice::Unreachable))
    });
    assert_eq!(b.app.shop.cart.lines.len(), 1);
    assert_eq!(h.counts(), (0, 0, 0));
    b.stop();
    // After a restart (no head-end) the cart is still there, from the box database.
    let mut b = BoxUnderTest::start(&state, "http://127.0.0.1:9");
    b.until(10, "the stored cart", |a| a.shop.cart.lines.len() == 1);
    b.until(10, "the cached catalogue", |a| a.shop.catalogue.is_some());
    b.stop();
}

#[test]
fn an_attempt_cut_off_by_a_power_cut_is_settled_and_told() {
    let dir = tempfile::tempdir().unwrap();
    let h = Headend::start(dir.path());
    let state = dir.path().join("box");
    provision(&h, &state);
    let mut b = BoxUnderTest::start(&state, &h.url);
    b.until(10, "the catalogue", |a| a.shop.catalogue.is_some());
    let item = b.app.shop.catalogue.as_ref().unwrap().items[0].clone();
    b.stop();

    // The moment of the cut: two attempts written to the outbox; the first reached
    // the head-end (which committed the order), the second never left the box.
    let token = runtime::headend::load_token(&state).unwrap().unwrap();
    let request = engawa_shop::api::OrderRequest {
        lines: vec![engawa_shop::api::OrderLineRequest {
            item_id: item.id,
            qty: 3,
            price_yen: item.price_yen,
        }],
    };
    let body = serde_json::to_string(&request).unwrap();
    {
        let mut store = Store::open(&state.join("engawa.db")).unwrap();
        let cart = engawa_shop::cart::Cart {
            lines: vec![engawa_shop::cart::CartLine {
                item_id: item.id,
                name: item.name.clone(),
                unit: item.unit.clone(),
                price_yen: item.price_yen,
                qty: 3,
            }],
        };
        store.save_cart(&cart).unwrap();
        store
            .outbox_add("order", "cut-attempt-reached", &body, SystemClock.now())
            .unwrap();
        store
            .outbox_add("order", "cut-attempt-lost-1", &body, SystemClock.now())
            .unwrap();
    }
    let client = runtime::headend::HeadendClient::new(&h.url).unwrap();
    let placed =
        h.rt.block_on(client.place_order(&token, "cut-attempt-reached", &request))
            .unwrap();
    assert_eq!(h.counts().0, 1);

    // Power back: the box settles both and tells the resident each outcome.
    let mut b = BoxUnderTest::start(&state, &h.url);
    b.until(10, "the first attempt settled", |a| {
        matches!(dialog(a), Some(ShopNotice::Settled(Some(_))))
    });
    let Some(ShopNotice::Settled(Some(o))) = dialog(&b.app) else {
        unreachable!()
    };
    assert_eq!(o.id, placed.id);
    b.until(10, "the second attempt settled", |a| {
        matches!(dialog(a), Some(ShopNotice::Settled(None)))
    });
    assert_eq!(h.counts(), (1, 1, 1), "nothing placed twice, nothing lost");
    // A late copy of the lost attempt creates nothing.
    let late =
        h.rt.block_on(client.place_order(&token, "cut-attempt-lost-1", &request));
    assert!(
        matches!(late, Err(runtime::headend::ClientError::Refused { ref code, .. }) if code == "idempotency_key_void"),
        "{late:?}"
    );
    assert_eq!(h.counts().0, 1);
    b.stop();
    let store = Store::open(&state.join("engawa.db")).unwrap();
    assert_eq!(
        store
            .outbox_state("cut-attempt-reached")
            .unwrap()
            .unwrap()
            .0,
        "done"
    );
    assert_eq!(
        store.outbox_state("cut-attempt-lost-1").unwrap().unwrap().0,
        "void"
    );
    assert!(store.outbox_pending().unwrap().is_empty());
    assert!(store.cart().unwrap().is_empty(), "the order went through");
}
