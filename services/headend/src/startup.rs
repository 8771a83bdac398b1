//! The whole head-end, built in one place: the shared state, every background
//! task, and the HTTP server, all stopped by one signal. `serve`, the box's demo,
//! the bench and the tests all start the service here, so none of them runs a
//! head-end that lacks a task.
//!
//! Tasks (each stops between passes when the signal comes; the server drains its
//! open requests):
//! - the mail sender (`engawa_mail::run`), when a mail server is configured —
//!   without one, mails stay queued;
//! - the watch-over monitor (offline boxes, digests) — `watch::run_monitor`;
//! - the taxi plan improver — `ride::run_improver`;
//! - retention — `retention::run`;
//! - the alert hub's refresh (`disaster::hub::run`; it also ends every open
//!   alert stream at the stop; on PostgreSQL also at once on another
//!   instance's change, `disaster::hub::listen`), the JMA feeds (`disaster::feed::run`) and the
//!   安否確認 mails (`disaster::mails::run`, every `monitor_every`).
//!
//! - the heartbeats' writer (`heartbeats::run`, group commit), in every
//!   instance.
//!
//! Several instances may share one database: every task but the alert hub
//! (each instance's streams need their own) runs under a lease
//! (`db::leases`), so it runs in one instance at a time; when that instance
//! dies its lease runs out and another takes the task.

use std::time::Duration;

use tokio::task::JoinSet;
/// The one shutdown signal of a started head-end.
pub use tokio_util::sync::CancellationToken;

use crate::http::server::Limits;
use crate::{AppState, disaster, http, retention, ride, routes, watch};

/// Which tasks run, and how often.
#[derive(Clone)]
pub struct Tasks {
    /// The mail server; `None` leaves mails queued (logged at start).
    pub mail: Option<engawa_mail::MailSettings>,
    pub mail_every: Duration,
    pub monitor_every: Duration,
    pub improver_every: Duration,
    pub retention_every: Duration,
    /// How often the alert hub reads the versions (changes made elsewhere).
    pub alert_hub_every: Duration,
    pub feeds: disaster::feed::FeedConfig,
    /// How long a lease on a task lasts without renewal (renewed every
    /// third): how soon another instance takes over from a dead one.
    pub lease: Duration,
    /// How often the NGSI-LD subscriptions are looked at.
    pub notify_every: Duration,
}

impl Default for Tasks {
    fn default() -> Tasks {
        Tasks {
            mail: None,
            mail_every: Duration::from_secs(30),
            monitor_every: Duration::from_secs(60),
            improver_every: Duration::from_secs(60),
            retention_every: retention::EVERY,
            alert_hub_every: Duration::from_secs(1),
            feeds: disaster::feed::FeedConfig::default(),
            lease: Duration::from_secs(30),
            notify_every: Duration::from_secs(2),
        }
    }
}

impl Tasks {
    /// The right-hand side of every Message-ID: the sender's domain.
    fn domain(&self) -> String {
        self.mail
            .as_ref()
            .and_then(|m| engawa_mail::domain_of(&m.from))
            .unwrap_or_else(|| "engawa.invalid".into())
    }
}

/// A started head-end: its tasks are running; [`Headend::serve`] adds the server.
pub struct Headend {
    pub state: AppState,
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

/// Start every background task of `tasks` on `state`; they run until `stop` is
/// cancelled.
pub fn start(mut state: AppState, tasks: Tasks, stop: CancellationToken) -> Headend {
    let mut set = JoinSet::new();
    let domain = tasks.domain();
    state.mail_domain = std::sync::Arc::from(domain.as_str());
    let lease = tasks.lease;
    match tasks.mail.clone() {
        Some(settings) => {
            let (db, clock, every) = (state.db.clone(), state.clock.clone(), tasks.mail_every);
            set.spawn(leased(
                state.clone(),
                "mail",
                lease,
                stop.clone(),
                move |stop| {
                    engawa_mail::run(db.clone(), settings.clone(), clock.clone(), every, stop)
                },
            ));
        }
        None => tracing::warn!(
            "no mail server (no --mail FILE, or its [mail] host is empty): watch-over mails are queued but not sent"
        ),
    }
    let monitor = watch::MonitorConfig {
        domain,
        every: tasks.monitor_every,
    };
    let s = state.clone();
    set.spawn(leased(
        state.clone(),
        "watch-monitor",
        lease,
        stop.clone(),
        move |stop| watch::run_monitor(s.clone(), monitor.clone(), stop),
    ));
    let (s, every) = (state.clone(), tasks.improver_every);
    set.spawn(leased(
        state.clone(),
        "ride-improver",
        lease,
        stop.clone(),
        move |stop| ride::run_improver(s.clone(), every, stop),
    ));
    let (s, every) = (state.clone(), tasks.retention_every);
    set.spawn(leased(
        state.clone(),
        "retention",
        lease,
        stop.clone(),
        move |stop| retention::run(s.clone(), every, stop),
    ));
    set.spawn(disaster::hub::run(
        state.alerts.clone(),
        state.db.clone(),
        tasks.alert_hub_every,
        stop.clone().cancelled_owned(),
    ));
    set.spawn(crate::heartbeats::run(
        state.heartbeats.clone(),
        state.db.clone(),
        stop.clone().cancelled_owned(),
    ));
    set.spawn(disaster::hub::listen(
        state.alerts.clone(),
        state.db.clone(),
        stop.clone().cancelled_owned(),
    ));
    let (s, every) = (state.clone(), tasks.monitor_every);
    set.spawn(leased(
        state.clone(),
        "disaster-mails",
        lease,
        stop.clone(),
        move |stop| disaster::mails::run(s.clone(), every, stop),
    ));
    let (s, feeds) = (state.clone(), tasks.feeds.clone());
    set.spawn(leased(
        state.clone(),
        "jma-feeds",
        lease,
        stop.clone(),
        move |stop| disaster::feed::run(s.clone(), feeds.clone(), stop),
    ));
    let (s, every) = (state.clone(), tasks.notify_every);
    set.spawn(leased(
        state.clone(),
        "ngsi-notify",
        lease,
        stop.clone(),
        move |stop| crate::city::ngsi::subscriptions::run(s.clone(), every, stop),
    ));
    Headend {
        state,
        stop,
        tasks: set,
    }
}

impl Headend {
    /// Serve HTTP on `listener` until the stop signal; then wait for open
    /// requests (up to `limits.drain`) and for every task to finish its pass.
    /// If the server fails, the tasks are stopped too.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        limits: Limits,
    ) -> std::io::Result<()> {
        self.serve_wrapped(listener, limits, |r| r).await
    }

    /// [`Headend::serve`] with the router wrapped first — a test's fault
    /// injection (a slow head-end) around the real routes.
    pub async fn serve_wrapped(
        mut self,
        listener: tokio::net::TcpListener,
        limits: Limits,
        wrap: impl FnOnce(axum::Router) -> axum::Router,
    ) -> std::io::Result<()> {
        let stop = self.stop.clone();
        let served = http::server::serve(
            listener,
            wrap(routes::router(self.state.clone())),
            limits,
            stop.cancelled_owned(),
        )
        .await;
        self.stop.cancel();
        while let Some(r) = self.tasks.join_next().await {
            if let Err(e) = r {
                tracing::error!(error = %e, "a background task failed");
            }
        }
        served
    }
}

/// Runs the task `make` builds only while this instance holds the lease
/// `name`: takes it (or waits for it), renews it every third of `term`, and
/// drops the task at once — mid-pass, as a kill would — if a renewal fails,
/// then waits to take it again. At the stop signal the task ends its pass and
/// the lease is given back, so another instance takes it without waiting.
async fn leased<F, Fut>(
    state: AppState,
    name: &'static str,
    term: Duration,
    stop: CancellationToken,
    make: F,
) where
    F: Fn(tokio_util::sync::WaitForCancellationFutureOwned) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let holder = state.instance.clone();
    let term_s = i64::try_from(term.as_secs().max(1)).unwrap_or(30);
    let every = (term / 3).max(Duration::from_millis(200));
    let mut said_waiting = false;
    loop {
        match state.db.take_lease(name, &holder, term_s).await {
            Ok(true) => {
                tracing::info!(task = name, instance = %holder, "lease taken: the task runs in this instance");
                let task_stop = stop.child_token();
                let run = make(task_stop.cancelled_owned());
                tokio::pin!(run);
                let mut renew = tokio::time::interval(every);
                renew.tick().await;
                let lost = loop {
                    tokio::select! {
                        () = &mut run => break false,
                        _ = renew.tick() => match state.db.take_lease(name, &holder, term_s).await {
                            Ok(true) => {}
                            Ok(false) => {
                                tracing::warn!(task = name, instance = %holder, "lease taken by another instance; the task stops here");
                                break true;
                            }
                            Err(e) => {
                                tracing::error!(task = name, instance = %holder, error = %e, "cannot renew the lease; the task stops here");
                                break true;
                            }
                        },
                    }
                };
                if !lost {
                    if let Err(e) = state.db.release_lease(name, &holder).await {
                        tracing::warn!(task = name, error = %e, "cannot give the lease back; it runs out");
                    }
                    return;
                }
                said_waiting = false;
            }
            Ok(false) => {
                if !said_waiting {
                    tracing::info!(task = name, instance = %holder, "another instance runs this task; waiting for its lease");
                    said_waiting = true;
                }
            }
            Err(e) => {
                tracing::warn!(task = name, error = %e, "cannot take the lease; trying again")
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
