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
//!   alert stream at the stop), the JMA feeds (`disaster::feed::run`) and the
//!   安否確認 mails (`disaster::mails::run`, every `monitor_every`).

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
    match tasks.mail.clone() {
        Some(settings) => {
            set.spawn(engawa_mail::run(
                state.db.clone(),
                settings,
                state.clock.clone(),
                tasks.mail_every,
                stop.clone().cancelled_owned(),
            ));
        }
        None => tracing::warn!(
            "no mail server (no --mail FILE, or its [mail] host is empty): watch-over mails are queued but not sent"
        ),
    }
    set.spawn(watch::run_monitor(
        state.clone(),
        watch::MonitorConfig {
            domain,
            every: tasks.monitor_every,
        },
        stop.clone().cancelled_owned(),
    ));
    set.spawn(ride::run_improver(
        state.clone(),
        tasks.improver_every,
        stop.clone().cancelled_owned(),
    ));
    set.spawn(retention::run(
        state.clone(),
        tasks.retention_every,
        stop.clone().cancelled_owned(),
    ));
    set.spawn(disaster::hub::run(
        state.alerts.clone(),
        state.db.clone(),
        tasks.alert_hub_every,
        stop.clone().cancelled_owned(),
    ));
    set.spawn(disaster::mails::run(
        state.clone(),
        tasks.monitor_every,
        stop.clone().cancelled_owned(),
    ));
    set.spawn(disaster::feed::run(
        state.clone(),
        tasks.feeds.clone(),
        stop.clone().cancelled_owned(),
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
