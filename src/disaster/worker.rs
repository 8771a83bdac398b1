//! 防災's worker on the box (its own connection to the box database).
//!
//! - Follows `GET /v1/alert/stream` in its own task; when the line drops it
//!   reconnects after a jittered, growing wait (so boxes do not all return
//!   at once after a head-end restart). The heartbeat's `alert_version` is
//!   the fallback while the stream is down.
//! - Whenever the version moves on, asks `GET /v1/alert`, keeps the answer
//!   (`alert_seen`) and tells the app; at start it shows the last one kept,
//!   so a box that restarts while the head-end is out of reach still shows
//!   the alert.
//! - Each answer goes through the outbox (`store`): written with its
//!   Idempotency-Key before it is sent, resent with the same key until the
//!   head-end has it — after a lost answer, a network outage or a power cut
//!   — and counted there once.

use std::sync::Arc;
use std::time::Duration;

use engawa_core::{Clock, ErrorKind};
use engawa_disaster::api::{AlertCard, Answer, AnswerRequest};
use engawa_disaster::stream::StreamReader;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::app::Event;
use crate::app::disaster::{DisasterEffect, DisasterEvent};
use crate::runtime::headend::{ClientError, HeadendClient, new_key};
use crate::runtime::sink::EventSink;
use crate::store::Store;

use super::store::PendingAnswer;

/// The stream is dead after this long without a byte (the head-end writes a
/// comment every 20 s).
pub const SILENCE: Duration = Duration::from_secs(60);
/// The longest wait before reconnecting the stream or resending an answer.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// An alert version, and who told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Stream(i64),
    /// The heartbeat's answer: read from the database for this household,
    /// so it also catches a stream that follows the wrong municipality (the
    /// household was moved into one after the stream opened).
    Heartbeat(i64),
}

pub struct Worker {
    pub store: Store,
    pub client: Option<HeadendClient>,
    pub token: watch::Receiver<Option<String>>,
    pub sink: EventSink,
    pub clock: Arc<dyn Clock>,
}

struct State {
    /// The version of the alert last fetched.
    known: Option<i64>,
    /// The version the open stream last announced.
    stream: Option<i64>,
    /// Fetch again (the last try failed) at the retry time.
    refresh_due: bool,
    retry_at: Option<Instant>,
    wait: Duration,
    /// Answers the disk would not keep: sent from memory with their key
    /// until the head-end has them (lost only if the box restarts first).
    unkept: Vec<PendingAnswer>,
}

impl Worker {
    /// `versions`: alert versions from the stream and the heartbeat.
    pub async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<DisasterEffect>,
        versions_tx: mpsc::UnboundedSender<Version>,
        mut versions: mpsc::UnboundedReceiver<Version>,
    ) {
        let stale = Arc::new(tokio::sync::Notify::new());
        if let Some(client) = self.client.clone() {
            tokio::spawn(follow(
                client,
                self.token.clone(),
                versions_tx,
                stale.clone(),
            ));
        }
        let mut st = State {
            known: None,
            stream: None,
            refresh_due: false,
            retry_at: None,
            wait: Duration::from_secs(2),
            unkept: Vec::new(),
        };
        match self.store.alert_seen() {
            Ok(Some(seen)) => {
                st.known = Some(seen.version);
                self.show(seen.alert);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot read the last alert"),
        }
        let mut token_open = true;
        if self.token.borrow().is_some() {
            self.connected(&mut st).await;
        }
        loop {
            let retry = st.retry_at;
            tokio::select! {
                e = rx.recv() => match e {
                    Some(e) => self.effect(e, &mut st).await,
                    None => break,
                },
                Some(v) = versions.recv() => {
                    let v = match v {
                        Version::Stream(v) => {
                            st.stream = Some(v);
                            v
                        }
                        Version::Heartbeat(v) => {
                            if st.stream.is_some_and(|s| s != v) {
                                tracing::info!(stream = st.stream, heartbeat = v, "the alert stream is behind the heartbeat; reopening it");
                                st.stream = None;
                                stale.notify_one();
                            }
                            v
                        }
                    };
                    if st.known != Some(v) {
                        self.refresh(&mut st).await;
                    }
                    // The head-end answers again: what waited goes now.
                    if st.retry_at.take().is_some() {
                        self.deliver(&mut st).await;
                    }
                }
                changed = self.token.changed(), if token_open => {
                    if changed.is_err() {
                        token_open = false;
                    } else if self.token.borrow_and_update().is_some() {
                        self.connected(&mut st).await;
                    }
                }
                _ = tokio::time::sleep_until(retry.unwrap_or_else(Instant::now)), if retry.is_some() => {
                    st.retry_at = None;
                    if st.refresh_due {
                        self.refresh(&mut st).await;
                    }
                    self.deliver(&mut st).await;
                }
            }
        }
    }

    fn connection(&self) -> Option<(HeadendClient, String)> {
        let token = self.token.borrow().clone()?;
        Some((self.client.clone()?, token))
    }

    async fn connected(&mut self, st: &mut State) {
        self.refresh(st).await;
        self.deliver(st).await;
    }

    async fn effect(&mut self, e: DisasterEffect, st: &mut State) {
        match e {
            DisasterEffect::Answer {
                campaign_id,
                answer,
                answered_at,
            } => {
                let key = new_key();
                if let Err(e) = self
                    .store
                    .queue_answer(&key, campaign_id, answer, answered_at)
                {
                    // Sent from memory instead: only a resend after a
                    // restart is lost with the disk.
                    tracing::error!(error = %e, "cannot keep the 安否 answer; sending it from memory");
                    (self.sink)(Event::Failed(ErrorKind::Storage));
                    st.unkept.push(PendingAnswer {
                        id: 0,
                        key,
                        campaign_id,
                        answer,
                        answered_at,
                    });
                }
                self.deliver(st).await;
            }
        }
    }

    /// The card to show, with this box's own answer where the head-end does
    /// not have it yet.
    fn show(&self, card: Option<AlertCard>) {
        let Some(mut card) = card else {
            return (self.sink)(Event::Disaster(DisasterEvent::Now(None)));
        };
        let own = self.store.own_answer(card.campaign_id).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the kept 安否 answers");
            None
        });
        let pending = match own {
            Some((a, true)) => {
                card.answer = Some(a);
                Some(a)
            }
            Some((a, false)) if card.answer.is_none() => {
                card.answer = Some(a);
                None
            }
            _ => None,
        };
        let campaign_id = card.campaign_id;
        (self.sink)(Event::Disaster(DisasterEvent::Now(Some(card))));
        if let Some(answer) = pending {
            (self.sink)(Event::Disaster(waiting(campaign_id, answer)));
        }
    }

    async fn refresh(&mut self, st: &mut State) {
        let Some((c, t)) = self.connection() else {
            return;
        };
        match c.alert_now(&t).await {
            Ok(now) => {
                st.refresh_due = false;
                if let Err(e) = self.store.save_alert_seen(&now, self.clock.now()) {
                    tracing::error!(error = %e, "cannot keep the alert");
                }
                if st.known != Some(now.version) {
                    tracing::info!(
                        version = now.version,
                        campaign = now.alert.as_ref().map(|a| a.campaign_id),
                        "alert"
                    );
                }
                st.known = Some(now.version);
                self.show(now.alert);
            }
            Err(e) => {
                tracing::warn!(error = %e, "the alert could not be fetched; trying again");
                st.refresh_due = true;
                self.retry_later(st);
            }
        }
    }

    fn retry_later(&self, st: &mut State) {
        if st.retry_at.is_none() {
            st.retry_at = Some(Instant::now() + st.wait);
            st.wait = (st.wait * 2).min(MAX_WAIT);
        }
    }

    /// Send every answer not yet delivered — those only in memory first,
    /// then the kept ones oldest first — until one cannot be.
    async fn deliver(&mut self, st: &mut State) {
        let kept = self.store.pending_answers().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the kept 安否 answers");
            Vec::new()
        });
        let pending: Vec<(bool, PendingAnswer)> = st
            .unkept
            .iter()
            .cloned()
            .map(|p| (false, p))
            .chain(kept.into_iter().map(|p| (true, p)))
            .collect();
        if pending.is_empty() {
            return;
        }
        let Some((c, t)) = self.connection() else {
            for (_, p) in &pending {
                (self.sink)(Event::Disaster(waiting(p.campaign_id, p.answer)));
            }
            return;
        };
        for (i, (kept, p)) in pending.iter().enumerate() {
            if *kept && let Err(e) = self.store.answer_attempt(p.id) {
                tracing::error!(error = %e, "cannot count a try of a 安否 answer");
            }
            let req = AnswerRequest {
                campaign_id: p.campaign_id,
                answer: p.answer,
                answered_at: p.answered_at,
            };
            let (ok, what) = match c.alert_answer(&t, &req, &p.key).await {
                Ok(receipt) => {
                    tracing::info!(
                        campaign = p.campaign_id,
                        answer = p.answer.as_str(),
                        "安否 answer delivered"
                    );
                    st.wait = Duration::from_secs(2);
                    (true, receipt.answer.as_str().to_string())
                }
                Err(ClientError::Refused { status, code, .. }) => {
                    tracing::error!(
                        campaign = p.campaign_id,
                        status,
                        %code,
                        "the head-end refused a 安否 answer; it is not sent again"
                    );
                    (false, format!("{status} {code}"))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "安否 answer not delivered yet; kept");
                    for (_, q) in &pending[i..] {
                        (self.sink)(Event::Disaster(waiting(q.campaign_id, q.answer)));
                    }
                    self.retry_later(st);
                    return;
                }
            };
            if *kept {
                if let Err(e) = self.store.settle_answer(p.id, ok, &what, self.clock.now()) {
                    // Sent again at the next pass: the same key, counted once.
                    tracing::error!(error = %e, "cannot record the end of a 安否 answer");
                }
            } else {
                st.unkept.retain(|u| u.key != p.key);
            }
            // Recorded first, then told: 「つたえました」 never shows an
            // answer the box would still send.
            if ok {
                (self.sink)(Event::Disaster(delivered(p.campaign_id, p.answer)));
            } else {
                // What the head-end holds is what the card shows.
                self.refresh(st).await;
            }
        }
    }
}

fn waiting(campaign_id: i64, answer: Answer) -> DisasterEvent {
    DisasterEvent::Waiting {
        campaign_id,
        answer,
    }
}

fn delivered(campaign_id: i64, answer: Answer) -> DisasterEvent {
    DisasterEvent::Delivered {
        campaign_id,
        answer,
    }
}

/// A random fraction in [0, 1) from the kernel (the jitter of a wait).
fn random_fraction() -> f64 {
    let key = new_key();
    let bits = u32::from_str_radix(key.get(..8).unwrap_or("0"), 16).unwrap_or(0);
    f64::from(bits) / (f64::from(u32::MAX) + 1.0)
}

/// Keep the alert stream open while there is a token, and pass on every
/// version it announces.
async fn follow(
    client: HeadendClient,
    mut token: watch::Receiver<Option<String>>,
    versions: mpsc::UnboundedSender<Version>,
    stale: Arc<tokio::sync::Notify>,
) {
    // First wait 1–3 s, then up to 45 s: half fixed, half random.
    let mut wait = Duration::from_secs(2);
    loop {
        let t = match token.wait_for(|t| t.is_some()).await {
            Ok(t) => t.clone().unwrap_or_default(),
            Err(_) => return, // the runtime stopped
        };
        let opened = Instant::now();
        match read_stream(&client, &t, &versions, &stale).await {
            Ok(()) => tracing::info!("the alert stream ended; reconnecting"),
            Err(e) => tracing::warn!(error = %e, "the alert stream failed; reconnecting"),
        }
        if versions.is_closed() {
            return;
        }
        if opened.elapsed() > MAX_WAIT {
            wait = Duration::from_secs(2);
        }
        let pause = wait
            .mul_f64(0.5 + random_fraction())
            .max(Duration::from_secs(1));
        tokio::time::sleep(pause).await;
        wait = (wait * 2).min(MAX_WAIT);
    }
}

async fn read_stream(
    client: &HeadendClient,
    token: &str,
    versions: &mpsc::UnboundedSender<Version>,
    stale: &tokio::sync::Notify,
) -> Result<(), String> {
    let mut resp = client
        .alert_stream(token)
        .await
        .map_err(|e| e.to_string())?;
    tracing::debug!("alert stream open");
    let mut reader = StreamReader::default();
    loop {
        let chunk = tokio::select! {
            c = tokio::time::timeout(SILENCE, resp.chunk()) => c
                .map_err(|_| format!("nothing for {} s", SILENCE.as_secs()))?
                .map_err(|e| e.to_string())?,
            _ = stale.notified() => return Err("behind the heartbeat".into()),
        };
        let Some(chunk) = chunk else {
            return Ok(());
        };
        let skipped = reader.skipped;
        for v in reader
            .feed(&chunk)
            .map_err(|_| "a line too long on the alert stream".to_string())?
        {
            if versions.send(Version::Stream(v)).is_err() {
                return Ok(());
            }
        }
        if reader.skipped > skipped {
            tracing::warn!(
                skipped = reader.skipped,
                "unreadable events on the alert stream"
            );
        }
    }
}
