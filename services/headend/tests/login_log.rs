//! What the log keeps of a console login: a password typed into the name
//! field never reaches it.
//!
//! This test is alone in its binary on purpose. It catches the log with a
//! thread-local subscriber (`set_default`), and tracing caches each log line's
//! interest process-wide: when another test on another thread reaches the same
//! line while this subscriber is being installed, the cache can end up saying
//! "nobody listens" and the line is lost (it failed CI that way once in
//! `hardening.rs`). With no other test in the process there is no such race.

mod common;

use std::sync::{Arc, Mutex};

use common::{Headend, login};
use reqwest::StatusCode;

/// The log, kept for the test that reads it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn what_was_typed_as_a_name_is_not_logged() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let h = Headend::start().await;
    let http = h.operator().await;
    // A password typed into the name field by mistake.
    let r = login(
        &http,
        &h.base,
        "Sekret-pass-123",
        "suzuki",
        Some("192.0.2.9"),
    )
    .await
    .status();
    assert_eq!(r, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(
            &http,
            &h.base,
            "suzuki",
            common::PASSWORD,
            Some("192.0.2.9")
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("console login failed"), "{text}");
    assert!(text.contains("operator logged in"), "{text}");
    assert!(!text.contains("Sekret-pass-123"), "{text}");
}
