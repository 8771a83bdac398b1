//! The shared taxi's worker: talks to the head-end for the taxi screens, one
//! request at a time, and keeps today's bookings fresh (at connection and every
//! five minutes) so 「タクシーが まもなく 来ます」 appears even if the taxi page
//! was never opened since a restart.
//!
//! A booking carries a fresh Idempotency-Key; when its answer is lost the
//! resident is told so and the list of bookings is fetched again — it shows
//! whether the booking went through, and nothing is booked twice.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::app::ride::RideEffect;
use crate::app::{Event, RideEvent};
use crate::runtime::headend::{ClientError, HeadendClient, new_key};
use crate::runtime::sink::EventSink;

/// How often today's bookings are fetched while connected.
const REFRESH: Duration = Duration::from_secs(5 * 60);
/// A booking without an answer is asked again this many times (same key).
const BOOK_RETRIES: u64 = 2;

pub struct Worker {
    pub client: Option<HeadendClient>,
    pub token: watch::Receiver<Option<String>>,
    pub sink: EventSink,
}

impl Worker {
    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<RideEffect>) {
        let mut token_open = true;
        let mut refresh = tokio::time::interval(REFRESH);
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(c) => self.command(c).await,
                    None => break,
                },
                changed = self.token.changed(), if token_open => {
                    if changed.is_err() {
                        token_open = false;
                    } else if self.token.borrow_and_update().is_some() {
                        self.bookings().await;
                    }
                }
                _ = refresh.tick() => {
                    if self.token.borrow().is_some() {
                        self.bookings().await;
                    }
                }
            }
        }
    }

    fn send(&self, e: RideEvent) {
        (self.sink)(Event::Ride(e));
    }

    fn connection(&self) -> Option<(HeadendClient, String)> {
        let token = self.token.borrow().clone()?;
        Some((self.client.clone()?, token))
    }

    async fn bookings(&self) {
        let Some((c, t)) = self.connection() else {
            return;
        };
        match c.ride_bookings(&t).await {
            Ok(list) => self.send(RideEvent::Bookings(list)),
            Err(e) => tracing::info!(error = %e, "taxi bookings not fetched"),
        }
    }

    async fn command(&mut self, cmd: RideEffect) {
        let Some((c, t)) = self.connection() else {
            return self.send(RideEvent::Offline);
        };
        match cmd {
            RideEffect::Load => {
                match c.ride_places(&t).await {
                    Ok(p) => self.send(RideEvent::Places(p)),
                    Err(ClientError::Refused { message_ja, .. }) => {
                        return self.send(RideEvent::NotAvailable(message_ja));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "taxi places not fetched");
                        return self.send(RideEvent::Offline);
                    }
                }
                self.bookings().await;
            }
            RideEffect::LoadBookings => self.bookings().await,
            RideEffect::Quote(req) => {
                let answer = match c.ride_quote(&t, &req).await {
                    Ok(q) => Ok(q.offers),
                    Err(ClientError::Refused {
                        message_ja, code, ..
                    }) => {
                        tracing::info!(%code, "taxi quote refused");
                        Err(if message_ja.is_empty() {
                            "いまは 予約できません。".to_string()
                        } else {
                            message_ja
                        })
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "taxi quote failed");
                        Err("センターに つながりません。しばらくして もういちど どうぞ。".into())
                    }
                };
                self.send(RideEvent::Quote(answer));
            }
            RideEffect::Book(req) => {
                // No answer is not a no: the booking may have been made. Ask
                // again with the same key (the head-end answers a repeat with
                // the ride it made, never a second one); only then say that
                // there was no answer.
                let key = new_key();
                let mut tries = 0;
                loop {
                    match c.ride_book(&t, &req, &key).await {
                        Ok(b) => break self.send(RideEvent::Booked(b)),
                        Err(ClientError::Refused {
                            message_ja, code, ..
                        }) => {
                            tracing::info!(%code, "taxi booking refused");
                            break self.send(RideEvent::Refused(message_ja));
                        }
                        Err(e) if tries < BOOK_RETRIES => {
                            tries += 1;
                            tracing::warn!(error = %e, tries, "taxi booking: no answer; asking again with the same key");
                            tokio::time::sleep(Duration::from_millis(500 * tries)).await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "taxi booking: no answer");
                            break self.send(RideEvent::Unreachable);
                        }
                    }
                }
            }
            RideEffect::Cancel(id) => match c.ride_cancel(&t, id).await {
                Ok(b) => self.send(RideEvent::Cancelled(b)),
                Err(ClientError::Refused { message_ja, .. }) => {
                    self.send(RideEvent::Refused(message_ja));
                    self.bookings().await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "taxi cancellation: no answer");
                    self.send(RideEvent::Unreachable);
                }
            },
        }
    }
}
