//! 防災 on the box's screen: the full-screen alert card over everything, its
//! one-key answer (無事です / たすけが ひつようです), the chime that repeats,
//! the question asked again after ten minutes, and home's banner while an
//! alert is active. The card's words come finished from the head-end
//! (`engawa_disaster::api::AlertCard`); the box's worker (`engawa::disaster`)
//! follows the alert stream and keeps each answer in an outbox until the
//! head-end has it.
//!
//! UI.md: an alert cannot be closed by accident — each of its keys is
//! pressed twice (決定 決定 = 無事です, 赤 赤 = たすけが ひつようです,
//! 戻る 戻る = あとで; asked again ten minutes later). Every key press also
//! counts as the watch-over's sign of life (`Effect::Activity`).

use chrono::{DateTime, Duration, Utc};
use engawa_disaster::api::{AlertCard, Answer};

use crate::{App, Effect, Key};

pub mod view;

/// While a card asks and nobody answers, it chimes this often…
pub const CHIME_EVERY_S: i64 = 30;
/// …this many times, then waits for the next asking.
pub const CHIMES_PER_ASK: u32 = 6;
/// Unanswered (on screen or put aside with 戻る 戻る): asked again this long
/// after it last asked.
pub const ASK_AGAIN_MIN: i64 = 10;

/// What the box's worker tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum DisasterEvent {
    /// The alert to show now (`None`: no active alert — lifted, cancelled
    /// (取消) or none yet). The card's `answer` is the newest one known, the
    /// box's own unsent one included.
    Now(Option<AlertCard>),
    /// The head-end has the answer.
    Delivered { campaign_id: i64, answer: Answer },
    /// The head-end cannot be reached; the answer is kept and sent when it can.
    Waiting { campaign_id: i64, answer: Answer },
}

/// What the card asks of the box's worker.
#[derive(Debug, Clone, PartialEq)]
pub enum DisasterEffect {
    /// Keep this answer and send it until the head-end has it.
    Answer {
        campaign_id: i64,
        answer: Answer,
        answered_at: DateTime<Utc>,
    },
}

/// Where the card is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// On top of everything, asking for an answer.
    Asking,
    /// Put aside with 戻る 戻る: home's banner only; asked again later.
    Later,
    /// 「つたえました」 on top until any key.
    Told,
    /// Answered: home's banner only.
    Answered,
    /// Opened again from home with 青 after an answer: one 戻る closes it.
    Reading,
}

/// The first of a pair of presses, waiting for the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Armed {
    Answer(Answer),
    Later,
}

/// How the box's answer is getting to the head-end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sending,
    Delivered,
    /// Not reachable now: kept, sent when it can be.
    Waiting,
}

/// The active alert on the box.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub card: AlertCard,
    pub stage: Stage,
    pub armed: Option<Armed>,
    /// The box's own answer in this campaign and how far it got.
    pub sent: Option<(Answer, Delivery)>,
    /// When it last asked (shown, or asked again).
    pub asked_at: DateTime<Utc>,
    /// Chimes played since then.
    pub chimes: u32,
}

impl Alert {
    /// The answer the household gave, the box's own first.
    pub fn answer(&self) -> Option<Answer> {
        self.sent.map(|s| s.0).or(self.card.answer)
    }

    /// On top of every screen (see `App::top_overlay`).
    pub fn on_top(&self) -> bool {
        matches!(self.stage, Stage::Asking | Stage::Told | Stage::Reading)
    }
}

/// The words of a card the resident reads; a change in them (訂正) asks again.
fn same_words(a: &AlertCard, b: &AlertCard) -> bool {
    (a.drill, a.level, &a.what, &a.place, &a.todo) == (b.drill, b.level, &b.what, &b.place, &b.todo)
}

impl App {
    pub(super) fn disaster_event(&mut self, e: DisasterEvent) {
        match e {
            DisasterEvent::Now(None) => self.alert = None,
            DisasterEvent::Now(Some(card)) => self.alert_card(card),
            DisasterEvent::Delivered {
                campaign_id,
                answer,
            } => self.alert_delivery(campaign_id, answer, Delivery::Delivered),
            DisasterEvent::Waiting {
                campaign_id,
                answer,
            } => self.alert_delivery(campaign_id, answer, Delivery::Waiting),
        }
    }

    fn alert_card(&mut self, card: AlertCard) {
        let now = self.now;
        match &mut self.alert {
            Some(a) if a.card.campaign_id == card.campaign_id => {
                let reworded = !same_words(&a.card, &card);
                a.card = card;
                if reworded {
                    // 訂正: the new words are read, answered or not.
                    a.stage = if a.answer().is_some() {
                        Stage::Reading
                    } else {
                        Stage::Asking
                    };
                    a.armed = None;
                    a.asked_at = now;
                    a.chimes = 0;
                }
            }
            _ => {
                let answered = card.answer.is_some();
                self.alert = Some(Alert {
                    card,
                    stage: if answered {
                        Stage::Answered
                    } else {
                        Stage::Asking
                    },
                    armed: None,
                    sent: None,
                    asked_at: now,
                    chimes: if answered { CHIMES_PER_ASK } else { 0 },
                });
            }
        }
    }

    fn alert_delivery(&mut self, campaign_id: i64, answer: Answer, d: Delivery) {
        if let Some(a) = &mut self.alert
            && a.card.campaign_id == campaign_id
        {
            // A later answer already on its way is not overwritten by news
            // of an earlier one.
            match a.sent {
                Some((mine, _)) if mine != answer => {}
                _ => a.sent = Some((answer, d)),
            }
        }
    }

    /// After every event: the chime while a card asks, and asking again.
    pub(super) fn alert_clock(&mut self, fx: &mut Vec<Effect>) {
        let now = self.now;
        let Some(a) = &mut self.alert else { return };
        if a.answer().is_none() && now >= a.asked_at + Duration::minutes(ASK_AGAIN_MIN) {
            a.stage = Stage::Asking;
            a.armed = None;
            a.asked_at = now;
            a.chimes = 0;
        }
        if a.stage == Stage::Asking
            && a.chimes < CHIMES_PER_ASK
            && now >= a.asked_at + Duration::seconds(CHIME_EVERY_S * i64::from(a.chimes))
        {
            a.chimes += 1;
            fx.push(Effect::PlayChime);
        }
    }

    /// A key while the card is on top. Returns false when the card was not
    /// on top (the key goes elsewhere).
    pub(super) fn alert_key(&mut self, k: Key, fx: &mut Vec<Effect>) -> bool {
        let now = self.now;
        let Some(a) = self.alert.as_mut().filter(|a| a.on_top()) else {
            return false;
        };
        if a.stage == Stage::Told {
            a.stage = Stage::Answered;
            return true;
        }
        let second = |want: Armed, a: &mut Alert| {
            let again = a.armed == Some(want);
            a.armed = if again { None } else { Some(want) };
            again
        };
        match k {
            Key::Ok | Key::Red => {
                let answer = if k == Key::Ok {
                    Answer::Safe
                } else {
                    Answer::Help
                };
                if second(Armed::Answer(answer), a) {
                    a.sent = Some((answer, Delivery::Sending));
                    a.stage = Stage::Told;
                    fx.push(Effect::Disaster(DisasterEffect::Answer {
                        campaign_id: a.card.campaign_id,
                        answer,
                        answered_at: now,
                    }));
                }
            }
            // Answered already: closing the card loses nothing.
            Key::Back | Key::Home if a.stage == Stage::Reading => {
                a.stage = Stage::Answered;
                a.armed = None;
            }
            Key::Back => {
                if second(Armed::Later, a) {
                    a.stage = Stage::Later;
                    a.asked_at = now;
                    a.chimes = CHIMES_PER_ASK;
                }
            }
            _ => a.armed = None,
        }
        true
    }

    /// 青 on home while an alert is active: the card again.
    pub(super) fn alert_reopen(&mut self) -> bool {
        let Some(a) = &mut self.alert else {
            return false;
        };
        a.armed = None;
        a.stage = if a.answer().is_some() {
            Stage::Reading
        } else {
            Stage::Asking
        };
        true
    }
}

#[cfg(test)]
mod tests;
