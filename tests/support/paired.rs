//! The demo head-end served on 127.0.0.1 (port 0) with a box provisioned to
//! it: the world of the box's tests against the real head-end
//! (`#[path = "support/paired.rs"] mod paired;`).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use engawa::runtime;
use engawa_core::ManualClock;
use engawa_headend::{AppState, Db};

pub struct Paired {
    /// The head-end's runtime (one worker thread); the test's own awaits
    /// on the head-end's database go through it too.
    pub rt: tokio::runtime::Runtime,
    pub db: Db,
    /// The head-end's clock, shared with the box by the tests that want one
    /// time for both.
    pub clock: Arc<ManualClock>,
    pub addr: SocketAddr,
    pub household: i64,
    /// The box's state folder: its token is saved there.
    pub state: PathBuf,
    pub dir: tempfile::TempDir,
}

/// The demo head-end at `start` (its catalogue, cars and みどり町) and the
/// demo household's box `serial`, already given its token.
pub fn demo(start: DateTime<Utc>, serial: &str) -> Paired {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let (db, addr, household, token) = rt.block_on(async {
        let db = Db::open(&dir.path().join("headend.db")).await.unwrap();
        let household = engawa_headend::demo::seed(&db, start).await.unwrap();
        let token = db.issue_token(household, serial, start).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(db.clone(), clock.clone());
        tokio::spawn(engawa_headend::serve(
            listener,
            state,
            std::future::pending(),
        ));
        (db, addr, household, token)
    });
    let state = dir.path().join("box");
    std::fs::create_dir_all(&state).unwrap();
    runtime::headend::save_token(&state, &token).unwrap();
    Paired {
        rt,
        db,
        clock,
        addr,
        household,
        state,
        dir,
    }
}
