//! engawa-headend: the CATV operator's service for engawa boxes.
//!
//! This slice: box provisioning by pairing code (the OAuth device-authorization
//! pattern, RFC 8628), per-box bearer tokens stored only as hashes, and heartbeats.
//! Config → `Db` (every SQL statement lives there) → `router` → handlers.

pub mod bench;
pub mod billing;
pub mod checks;
pub mod city;
pub mod cli;
pub mod console;
pub mod db;
pub mod demo;
pub mod disaster;
pub mod error;
pub mod heartbeats;
pub mod html;
pub mod http;
pub mod platform;
pub mod retention;
pub mod ride;
pub mod routes;
pub mod secret;
pub mod shop;
pub mod startup;
pub mod watch;

use std::sync::Arc;

use engawa_core::Clock;

pub use db::Db;

/// What every request handler shares. Stateless apart from the database, so
/// several instances can run behind a load balancer.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// How families reach the head-end (`https://center.example.jp`): the start
    /// of every family-page link.
    pub public_url: Arc<str>,
    /// The right-hand side of the Message-IDs of mails queued by requests (the
    /// sender's domain; set by [`startup::start`]).
    pub mail_domain: Arc<str>,
    /// Travel times for the taxi: haversine × road factor by default, or a
    /// routing engine's matrix (`serve --travel-matrix FILE`).
    pub travel: Arc<dyn engawa_ride::travel::TravelTime + Send + Sync>,
    /// The alert versions the boxes' streams follow.
    pub alerts: disaster::Hub,
    /// The heartbeats waiting for their batch's write (group commit).
    pub heartbeats: Arc<heartbeats::Heartbeats>,
    /// Box requests in flight (the alert streams aside): past the limit a
    /// request is refused at once with 503 and Retry-After.
    pub admission: Arc<http::Admission>,
    /// This instance among the head-ends on one database (host, process, a
    /// random part): the holder of its leases, in logs and in the JMA
    /// feeds' User-Agent.
    pub instance: Arc<str>,
}

/// A name for this process among the instances: `host-pid-xxxx`.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let mut r = [0u8; 2];
    let _ = getrandom::fill(&mut r);
    format!("{host}-{}-{:02x}{:02x}", std::process::id(), r[0], r[1])
}

impl AppState {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> AppState {
        AppState {
            db,
            clock,
            public_url: Arc::from("http://127.0.0.1:8080"),
            mail_domain: Arc::from("engawa.invalid"),
            travel: Arc::new(engawa_ride::travel::Haversine::default()),
            alerts: disaster::Hub::default(),
            instance: Arc::from(instance_name().as_str()),
            heartbeats: Arc::default(),
            admission: Arc::new(http::Admission::new(http::MAX_IN_FLIGHT)),
        }
    }

    /// [`AppState::new`] with room for `n` box requests of each class in
    /// flight (heartbeats, the rest).
    pub fn with_max_in_flight(mut self, n: usize) -> AppState {
        self.admission = Arc::new(http::Admission::new(n));
        self
    }

    pub fn with_travel(
        mut self,
        travel: Arc<dyn engawa_ride::travel::TravelTime + Send + Sync>,
    ) -> AppState {
        self.travel = travel;
        self
    }

    pub fn with_public_url(mut self, url: &str) -> AppState {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }
}

/// The whole head-end ([`startup`]: every background task, standard intervals, no
/// mail server) served on `listener` until `shutdown` resolves, with the default
/// timeouts and connection limit ([`http::server::Limits`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, http::server::Limits::default(), shutdown).await
}

/// [`serve`] with other limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: http::server::Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = tokio_util::sync::CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        on_signal.cancel();
    });
    startup::start(state, startup::Tasks::default(), stop)
        .serve(listener, limits)
        .await
}
