//! A box under test: the real runtime on its own thread and the app core fed by
//! the test, as the UI thread would feed it. Shared by the box's integration
//! tests (`#[path = "support/boxed.rs"] mod boxed;`).
#![allow(dead_code)]

use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use engawa::app::{App, Event, Key};
use engawa::runtime::{self, HeadendSettings, RuntimeConfig, RuntimeHandle};
use engawa::store::Store;
use engawa_core::Clock;

pub struct TestBox {
    pub app: App,
    pub rx: mpsc::Receiver<Event>,
    pub handle: RuntimeHandle,
    join: std::thread::JoinHandle<()>,
}

impl TestBox {
    /// Start the runtime on `store` with `clock`; the app starts at the clock's
    /// time.
    pub fn spawn(store: Store, clock: Arc<dyn Clock>, config: RuntimeConfig) -> TestBox {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let now = clock.now();
        let (handle, join) = runtime::spawn(
            store,
            clock,
            config,
            Arc::new(move |ev| {
                let _ = tx.lock().unwrap().send(ev);
            }),
        )
        .unwrap();
        TestBox {
            app: App::new(now),
            rx,
            handle,
            join,
        }
    }

    /// Hand an event to the app and its effects to the runtime.
    pub fn feed(&mut self, ev: Event) {
        for fx in self.app.handle(ev) {
            self.handle.send(fx);
        }
    }

    pub fn keys(&mut self, keys: &[Key]) {
        for k in keys {
            self.feed(Event::Key(*k));
        }
    }

    /// Feed the runtime's events to the app until `done` holds; fail after
    /// `secs` seconds naming `what`.
    pub fn until(&mut self, secs: u64, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            let ev = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
            if std::env::var_os("DEBUG_EVENTS").is_some() {
                eprintln!("{ev:?}");
            }
            self.feed(ev);
        }
    }

    /// Power off: the runtime stops (the effect channel closes).
    pub fn stop(self) {
        drop(self.handle);
        let _ = self.join.join();
    }
}

/// A box on `state` talking to the head-end at `url` as `serial`, without
/// chime or mail.
pub fn headend_config(
    state: &std::path::Path,
    url: &str,
    serial: &str,
    tick: Duration,
    heartbeat: Duration,
) -> RuntimeConfig {
    RuntimeConfig {
        chime_command: vec![],
        state_dir: state.to_path_buf(),
        tick,
        headend: Some(HeadendSettings {
            url: url.into(),
            serial: serial.into(),
            heartbeat,
        }),
        mail: None,
        watch_mail: None,
    }
}

/// Poll `cond` every 50 ms; fail after `secs` seconds naming `what`.
pub fn wait(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
