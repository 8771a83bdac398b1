//! The imperative shell: runs the app core's `Effect`s against the world (SQLite,
//! the speaker) and feeds results back as `Event`s.
//!
//! Concurrency: one thread owns a current-thread tokio runtime and the `Store`; the
//! UI thread never touches SQLite, so a slow fsync never delays a frame. It stops
//! when every `RuntimeHandle` is dropped (the effect channel closes) — the one
//! shutdown signal.

mod chime;
pub mod headend;
pub mod sink;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use engawa_core::{Clock, ErrorKind};
use tokio::sync::{mpsc, watch};

use crate::app::disaster::DisasterEffect;
use crate::app::remind::{RemindEffect, RemindEvent};
use crate::app::ride::RideEffect;
use crate::app::shop::ShopEffect;
use crate::app::{Effect, Event, TextSize};
use crate::store::{Store, StoreError};

pub use sink::EventSink;

/// How often the clock and the reminder scheduler are looked at.
pub const TICK: Duration = Duration::from_secs(1);

pub struct RuntimeConfig {
    pub chime_command: Vec<String>,
    pub state_dir: PathBuf,
    pub tick: Duration,
    /// The head-end and this box's serial; `None` = a box on its own.
    pub headend: Option<HeadendSettings>,
    /// Family emails: the SMTP server; `None` = alerts are only recorded.
    pub mail: Option<engawa_mail::MailSettings>,
    /// Who the watch-over tells, and what the mails say about the sender.
    pub watch_mail: Option<WatchMail>,
}

pub use crate::watch::WatchMail;

#[derive(Clone)]
pub struct HeadendSettings {
    pub url: String,
    pub serial: String,
    /// `HEARTBEAT` on a box; shorter in tests.
    pub heartbeat: Duration,
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
    // Time for the ticker, IO for the head-end client.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The shop worker and the mailer have their own connections to the same file.
    let shop_store = Store::open(store.path()).map_err(std::io::Error::other)?;
    let mail_store = match &config.mail {
        Some(_) => Some(Store::open(store.path()).map_err(std::io::Error::other)?),
        None => None,
    };
    // The heartbeat task keeps fetched watch-over settings with its own connection.
    let sync_store = match &config.headend {
        Some(_) => Some(Store::open(store.path()).map_err(std::io::Error::other)?),
        None => None,
    };
    // 防災's worker follows the alert stream with its own connection too.
    let disaster_store = match &config.headend {
        Some(_) => Some(Store::open(store.path()).map_err(std::io::Error::other)?),
        None => None,
    };
    let (applied_tx, applied_rx) = mpsc::unbounded_channel();
    let join = std::thread::Builder::new()
        .name("engawa runtime".into())
        .spawn(move || {
            rt.block_on(async {
                let (token_tx, token_rx) = watch::channel(None);
                let client = config.headend.as_ref().and_then(|h| {
                    headend::HeadendClient::new(&h.url)
                        .inspect_err(
                            |e| tracing::error!(error = %e, "cannot set up the head-end client"),
                        )
                        .ok()
                });
                let (shop_tx, shop_rx) = mpsc::unbounded_channel();
                let worker = crate::shop::worker::Worker {
                    store: shop_store,
                    client: client.clone(),
                    token: token_rx.clone(),
                    sink: sink.clone(),
                    clock: clock.clone(),
                };
                tokio::spawn(worker.run(shop_rx));
                let (ride_tx, ride_rx) = mpsc::unbounded_channel();
                let ride_worker = crate::ride::worker::Worker {
                    client: client.clone(),
                    token: token_rx.clone(),
                    sink: sink.clone(),
                };
                tokio::spawn(ride_worker.run(ride_rx));
                let (versions_tx, versions_rx) = mpsc::unbounded_channel();
                let disaster = disaster_store.map(|store| {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let worker = crate::disaster::worker::Worker {
                        store,
                        client: client.clone(),
                        token: token_rx.clone(),
                        sink: sink.clone(),
                        clock: clock.clone(),
                    };
                    tokio::spawn(worker.run(rx, versions_tx.clone(), versions_rx));
                    tx
                });
                if let (Some(settings), Some(mail_store)) = (config.mail.clone(), mail_store) {
                    tokio::spawn(engawa_mail::run(
                        mail_store,
                        settings,
                        clock.clone(),
                        config.tick,
                        std::future::pending(),
                    ));
                }
                let watch = match crate::watch::worker::Watch::load(
                    &store,
                    engawa_watch::Policy::default(),
                    config.watch_mail.clone(),
                    clock.now(),
                ) {
                    Ok(w) => Some(w),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the watch-over state");
                        sink(Event::Failed(ErrorKind::Storage));
                        None
                    }
                };
                let mut shell = Shell {
                    store,
                    watch,
                    clock,
                    sink,
                    chime: chime::Chime::new(config.chime_command, &config.state_dir),
                    activity: LastActivity::default(),
                    shop: shop_tx,
                    ride: ride_tx,
                    disaster,
                    ticks_failing: None,
                };
                if let (Some(h), Some(client), Some(sync_store)) =
                    (config.headend, client, sync_store)
                {
                    let (dir, sink) = (config.state_dir.clone(), shell.sink.clone());
                    let sync = SyncTask {
                        store: sync_store,
                        applied: applied_tx,
                        clock: shell.clock.clone(),
                        alert_versions: versions_tx,
                    };
                    connect(h, client, dir, sink, shell.activity.clone(), token_tx, sync);
                }
                shell.run(rx, applied_rx, config.tick).await
            });
        })?;
    Ok((RuntimeHandle { tx }, join))
}

struct Shell {
    store: Store,
    watch: Option<crate::watch::worker::Watch>,
    clock: Arc<dyn Clock>,
    sink: EventSink,
    chime: chime::Chime,
    activity: LastActivity,
    shop: mpsc::UnboundedSender<ShopEffect>,
    ride: mpsc::UnboundedSender<RideEffect>,
    /// 防災's worker (with a head-end only).
    disaster: Option<mpsc::UnboundedSender<DisasterEffect>>,
    /// Since when the scheduler's ticks fail (a full or read-only disk): the
    /// error is logged once, then every `REPEAT_FAILURE`, not every tick.
    ticks_failing: Option<(std::time::Instant, u64)>,
}

/// How often a failure that repeats every tick is logged again.
const REPEAT_FAILURE: Duration = Duration::from_secs(600);

impl Shell {
    async fn run(
        &mut self,
        mut rx: mpsc::UnboundedReceiver<Effect>,
        mut applied: mpsc::UnboundedReceiver<()>,
        tick: Duration,
    ) {
        self.apply_watch_config();
        self.report_reminders();
        if let Some(w) = &self.watch {
            w.resume(&self.sink);
        }
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
                Some(()) = applied.recv() => {
                    self.apply_watch_config();
                    self.report_reminders();
                }
            }
        }
        tracing::info!("runtime stopped");
    }

    fn tick(&mut self) {
        let now = self.clock.now();
        (self.sink)(Event::Tick(now));
        if let Some(w) = &mut self.watch {
            w.tick(&mut self.store, now, &self.sink);
        }
        match self.store.run_scheduler(now) {
            Ok(due) => {
                if let Some((since, n)) = self.ticks_failing.take() {
                    tracing::info!(
                        failed_ticks = n,
                        seconds = since.elapsed().as_secs(),
                        "checking reminders works again"
                    );
                }
                (self.sink)(Event::Remind(RemindEvent::Due(due)))
            }
            Err(e) => match &mut self.ticks_failing {
                Some((since, n)) if since.elapsed() < REPEAT_FAILURE => {
                    *n += 1;
                    (self.sink)(Event::Failed(ErrorKind::Storage));
                }
                _ => {
                    self.ticks_failing = Some((std::time::Instant::now(), 1));
                    self.failed("checking reminders", e);
                }
            },
        }
    }

    fn run_effect(&mut self, effect: Effect) {
        let now = self.clock.now();
        let result = match &effect {
            Effect::Remind(e) => {
                let r = crate::remind::apply(&mut self.store, e, now);
                if matches!(e, RemindEffect::Save { .. } | RemindEffect::Delete(_)) {
                    self.report_reminders();
                }
                r
            }
            Effect::SaveTextSize(t) => self.store.set_setting("text_size", t.as_str()),
            Effect::PlayChime => {
                self.chime.play();
                Ok(())
            }
            // For the heartbeat (the time only) and the watch-over.
            Effect::Activity => {
                if let Ok(mut a) = self.activity.lock() {
                    *a = Some(now);
                }
                if let Some(w) = &mut self.watch {
                    w.activity(&mut self.store, now, &self.sink);
                }
                Ok(())
            }
            Effect::Shop(e) => self.to_shop(e.clone()),
            Effect::Ride(e) => self.to_ride(e.clone()),
            Effect::Disaster(e) => self.to_disaster(e.clone()),
            Effect::Watch(e) => {
                if let Some(w) = &mut self.watch {
                    w.effect(e, &mut self.store, now, &self.sink);
                }
                Ok(())
            }
        };
        if let Err(e) = result {
            self.failed("saving", e);
        } else if matches!(
            effect,
            Effect::Remind(RemindEffect::Done(_) | RemindEffect::Snooze { .. })
        ) {
            self.tick();
        }
    }

    /// Settings fetched from the head-end (stored by the heartbeat task).
    fn apply_watch_config(&mut self) {
        let cfg = match self.store.watch_config() {
            Ok(Some(c)) => c,
            Ok(None) => {
                if let Some(w) = &self.watch {
                    w.report_info(&self.sink);
                }
                return;
            }
            Err(e) => return self.failed("reading the watch-over settings", e),
        };
        if let Some(w) = &mut self.watch {
            w.apply_config(&cfg, &mut self.store, self.clock.now(), &self.sink);
        }
    }

    fn to_ride(&self, c: RideEffect) -> Result<(), StoreError> {
        if self.ride.send(c).is_err() {
            tracing::error!("the taxi worker has stopped");
            (self.sink)(Event::Failed(ErrorKind::Internal));
        }
        Ok(())
    }

    fn to_disaster(&self, e: DisasterEffect) -> Result<(), StoreError> {
        let sent = match &self.disaster {
            Some(tx) => tx.send(e).is_ok(),
            None => false,
        };
        if !sent {
            tracing::error!("防災's worker is not running; an answer was not kept");
            (self.sink)(Event::Failed(ErrorKind::Internal));
        }
        Ok(())
    }

    fn to_shop(&self, c: ShopEffect) -> Result<(), StoreError> {
        if self.shop.send(c).is_err() {
            tracing::error!("the shop worker has stopped");
            (self.sink)(Event::Failed(ErrorKind::Internal));
        }
        Ok(())
    }

    fn report_reminders(&mut self) {
        match self.store.reminders() {
            Ok(list) => (self.sink)(Event::Remind(RemindEvent::List(list))),
            Err(e) => self.failed("reading reminders", e),
        }
    }

    fn failed(&self, doing: &str, e: StoreError) {
        tracing::error!(error = %e, db = %self.store.path().display(), "{doing} failed");
        (self.sink)(Event::Failed(ErrorKind::Storage));
    }
}

/// How often a connected box tells the head-end it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5 * 60);

/// The time of the resident's last key press, shared with the heartbeat task.
/// Only this time leaves the box — never what was watched.
pub type LastActivity = Arc<std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>>;

/// With a head-end configured: use the stored token or pair (RFC 8628) and store
/// one, then send heartbeats. A token the head-end refuses (box revoked or
/// swapped) is deleted and the box pairs again. Runs as its own task; the resident
/// keeps using the box meanwhile.
fn connect(
    h: HeadendSettings,
    client: headend::HeadendClient,
    state_dir: PathBuf,
    sink: EventSink,
    activity: LastActivity,
    token_tx: watch::Sender<Option<String>>,
    mut sync: SyncTask,
) {
    tokio::spawn(async move {
        loop {
            let token = match headend::load_token(&state_dir) {
                Ok(Some(t)) => t,
                Ok(None) => pair(&client, &h, &state_dir, &sink).await,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the stored token; pairing again");
                    pair(&client, &h, &state_dir, &sink).await
                }
            };
            sink(Event::Connected);
            token_tx.send_replace(Some(token.clone()));
            send_heartbeats(&client, &h, &token, &activity, &mut sync).await;
            token_tx.send_replace(None);
            tracing::warn!("the head-end no longer accepts this box; pairing again");
            if let Err(e) = std::fs::remove_file(headend::token_path(&state_dir)) {
                tracing::error!(error = %e, "cannot remove the refused token");
            }
        }
    });
}

/// Pair until a token is stored; returns it.
async fn pair(
    client: &headend::HeadendClient,
    h: &HeadendSettings,
    state_dir: &std::path::Path,
    sink: &EventSink,
) -> String {
    loop {
        let grant = match client.start_pairing(&h.serial).await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "cannot ask for a pairing code; retrying");
                sink(Event::PairingOffline);
                tokio::time::sleep(Duration::from_secs(10)).await;
                continue;
            }
        };
        tracing::info!("showing a pairing code");
        tracing::debug!(code = %grant.user_code, "the pairing code shown");
        sink(Event::PairingCode {
            user_code: grant.user_code.clone(),
        });
        let mut interval = Duration::from_secs(u64::from(grant.interval_s.max(1)));
        loop {
            tokio::time::sleep(interval).await;
            match client.poll_token(&grant.device_code).await {
                Ok(t) => match headend::save_token(state_dir, &t.token) {
                    Ok(()) => {
                        tracing::info!(household = t.household_id, "paired with the head-end");
                        return t.token;
                    }
                    Err(e) => {
                        // The code is used up; without a stored token, pair again.
                        tracing::error!(error = %e, "cannot store the token");
                        sink(Event::Failed(ErrorKind::Storage));
                        break;
                    }
                },
                Err(headend::ClientError::Refused { code, .. })
                    if code == "authorization_pending" => {}
                Err(headend::ClientError::Refused { code, .. }) if code == "slow_down" => {
                    interval += Duration::from_secs(5);
                }
                Err(headend::ClientError::Refused { code, .. }) => {
                    tracing::info!(%code, "pairing code no longer valid; asking for a new one");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "head-end unreachable while pairing");
                    sink(Event::PairingOffline);
                }
            }
        }
    }
}

/// The heartbeat task's share of watch-over sync.
struct SyncTask {
    store: Store,
    applied: mpsc::UnboundedSender<()>,
    clock: Arc<dyn Clock>,
    /// 防災's worker: the alert version each heartbeat answers, for when
    /// the stream is down.
    alert_versions: mpsc::UnboundedSender<crate::disaster::worker::Version>,
}

/// Heartbeats until the head-end itself refuses the token (401 with its
/// `unauthorized` envelope). Network trouble is
/// logged and retried at the next beat: the head-end notices silence itself.
async fn send_heartbeats(
    client: &headend::HeadendClient,
    h: &HeadendSettings,
    token: &str,
    activity: &LastActivity,
    sync: &mut SyncTask,
) {
    let started = std::time::Instant::now();
    let mut seq: u64 = 0;
    loop {
        seq += 1;
        let hb = engawa_core::api::Heartbeat {
            software_version: env!("CARGO_PKG_VERSION").into(),
            uptime_s: started.elapsed().as_secs(),
            last_activity_at: activity.lock().map(|a| *a).unwrap_or(None),
        };
        let key = format!("hb-{}-{seq}", chrono::Utc::now().timestamp());
        match client.heartbeat(token, &hb, &key).await {
            Ok(answer) => {
                tracing::debug!(seq, "heartbeat sent");
                let _ = sync
                    .alert_versions
                    .send(crate::disaster::worker::Version::Heartbeat(
                        answer.alert_version,
                    ));
                let now = sync.clock.now();
                crate::watch::sync::after_heartbeat(
                    client,
                    token,
                    &mut sync.store,
                    answer.watch_version,
                    &sync.applied,
                    now,
                )
                .await;
            }
            Err(e) if e.token_refused() => return,
            Err(e) => tracing::warn!(error = %e, "heartbeat not delivered"),
        }
        tokio::time::sleep(h.heartbeat).await;
    }
}
