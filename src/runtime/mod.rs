//! The imperative shell: runs the app core's `Effect`s against the world (SQLite,
//! the speaker) and feeds results back as `Event`s.
//!
//! Concurrency: one thread owns a current-thread tokio runtime and the `Store`; the
//! UI thread never touches SQLite, so a slow fsync never delays a frame. It stops
//! when every `RuntimeHandle` is dropped (the effect channel closes) — the one
//! shutdown signal.

mod chime;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use engawa_core::{Clock, ErrorKind};
use tokio::sync::mpsc;

use crate::app::{Effect, Event, TextSize};
use crate::store::{Store, StoreError};

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// How often the clock and the reminder scheduler are looked at.
pub const TICK: Duration = Duration::from_secs(1);

pub struct RuntimeConfig {
    pub chime_command: Vec<String>,
    pub state_dir: PathBuf,
    pub tick: Duration,
}

#[derive(Clone)]
pub struct RuntimeHandle {
    tx: mpsc::UnboundedSender<Effect>,
}

impl RuntimeHandle {
    pub fn send(&self, effect: Effect) {
        if self.tx.send(effect).is_err() {
            tracing::error!("the runtime has stopped; an effect was not run");
        }
    }
}

/// Start the runtime thread. It first reports the stored reminders and settings,
/// then ticks.
pub fn spawn(
    store: Store,
    clock: Arc<dyn Clock>,
    config: RuntimeConfig,
    sink: EventSink,
) -> std::io::Result<(RuntimeHandle, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let join = std::thread::Builder::new()
        .name("engawa runtime".into())
        .spawn(move || {
            let mut shell = Shell {
                store,
                clock,
                sink,
                chime: chime::Chime::new(config.chime_command, &config.state_dir),
            };
            rt.block_on(shell.run(rx, config.tick));
        })?;
    Ok((RuntimeHandle { tx }, join))
}

struct Shell {
    store: Store,
    clock: Arc<dyn Clock>,
    sink: EventSink,
    chime: chime::Chime,
}

impl Shell {
    async fn run(&mut self, mut rx: mpsc::UnboundedReceiver<Effect>, tick: Duration) {
        self.report_reminders();
        match self.store.setting("text_size") {
            Ok(Some(s)) => {
                if let Some(t) = TextSize::parse(&s) {
                    (self.sink)(Event::TextSize(t));
                }
            }
            Ok(None) => {}
            Err(e) => self.failed("reading settings", e),
        }
        // Look at the clock before taking any effect, so the scheduler's first mark
        // predates anything the resident changes.
        self.tick();
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                effect = rx.recv() => match effect {
                    Some(e) => self.run_effect(e),
                    None => break,
                },
                _ = ticker.tick() => self.tick(),
            }
        }
        tracing::info!("runtime stopped");
    }

    fn tick(&mut self) {
        let now = self.clock.now();
        (self.sink)(Event::Tick(now));
        match self.store.run_scheduler(now) {
            Ok(due) => (self.sink)(Event::Due(due)),
            Err(e) => self.failed("checking reminders", e),
        }
    }

    fn run_effect(&mut self, effect: Effect) {
        let now = self.clock.now();
        let result = match &effect {
            Effect::SaveReminder {
                id,
                phrase,
                schedule,
            } => {
                let r = self
                    .store
                    .save_reminder(*id, phrase, schedule, now)
                    .map(|_| ());
                self.report_reminders();
                r
            }
            Effect::DeleteReminder(id) => {
                let r = self.store.delete_reminder(*id);
                self.report_reminders();
                r
            }
            Effect::MarkDone(id) => self.store.mark_done(*id, now),
            Effect::Snooze { id, until } => self.store.snooze(*id, *until),
            Effect::SaveTextSize(t) => self.store.set_setting("text_size", t.as_str()),
            Effect::PlayChime => {
                self.chime.play();
                Ok(())
            }
            // The watch-over module (issue 5) consumes this; nothing to store yet.
            Effect::Activity => Ok(()),
        };
        if let Err(e) = result {
            self.failed("saving", e);
        } else if matches!(effect, Effect::MarkDone(_) | Effect::Snooze { .. }) {
            self.tick();
        }
    }

    fn report_reminders(&mut self) {
        match self.store.reminders() {
            Ok(list) => (self.sink)(Event::Reminders(list)),
            Err(e) => self.failed("reading reminders", e),
        }
    }

    fn failed(&self, doing: &str, e: StoreError) {
        tracing::error!(error = %e, db = %self.store.path().display(), "{doing} failed");
        (self.sink)(Event::Failed(ErrorKind::Storage));
    }
}
