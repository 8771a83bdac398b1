//! Watch-over on the box: every key press goes into the activity log and the
//! escalation ladder (`engawa_watch`); the ladder's prompts reach the screen as
//! events and its alerts are recorded for the family's mail.
//!
//! The ladder's state is kept in the box database whenever it changes, so a
//! reboot in the middle of an escalation continues it; the person's rhythm is
//! rebuilt from the activity log at start.

use chrono::{DateTime, Utc};
use engawa_core::ErrorKind;
use engawa_watch::api::{AlertKind, WatchConfig};
use engawa_watch::rhythm::WINDOW;
use engawa_watch::{Action, Input, Ladder, Policy, Rhythm, mail};

use crate::app::watch::{WatchEffect, WatchEvent};
use crate::app::{Event, WatchInfo};
use crate::runtime::sink::EventSink;
use crate::store::{Store, StoreError};

pub struct Watch {
    policy: Policy,
    ladder: Ladder,
    rhythm: Rhythm,
    mail: Option<super::WatchMail>,
    /// The head-end's settings, once fetched: its contacts replace the file's.
    synced: Option<WatchConfig>,
    /// The minute of the last key press handled (the log's resolution).
    last_minute: Option<i64>,
}

/// Settings key: the family pause the ladder has taken over.
const PAUSE_APPLIED: &str = "watch_pause_applied";

/// One recipient: a stable key for Message-IDs, name, address, family page.
struct Recipient {
    key: String,
    name: String,
    email: String,
    link: String,
}

impl Watch {
    /// The stored ladder, or a new one as if the resident had just been active.
    pub fn load(
        store: &Store,
        policy: Policy,
        mail: Option<super::WatchMail>,
        now: DateTime<Utc>,
    ) -> Result<Watch, StoreError> {
        let mut rhythm = Rhythm::default();
        for t in store.activity_since(now - WINDOW)? {
            rhythm.record(t);
        }
        let ladder = match store.watch_state()? {
            Some(json) => match serde_json::from_str::<Ladder>(&json) {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "stored watch-over state unreadable; starting afresh");
                    Ladder::new(now, &policy, &rhythm)
                }
            },
            None => Ladder::new(now, &policy, &rhythm),
        };
        Ok(Watch {
            policy,
            ladder,
            rhythm,
            mail,
            synced: None,
            last_minute: None,
        })
    }

    fn recipients(&self) -> Vec<Recipient> {
        match (&self.synced, &self.mail) {
            (Some(cfg), _) => cfg
                .contacts
                .iter()
                .map(|c| Recipient {
                    key: format!("c{}", c.id),
                    name: c.name.clone(),
                    email: c.email.clone(),
                    link: c.link.clone(),
                })
                .collect(),
            (None, Some(m)) => m
                .contacts
                .iter()
                .enumerate()
                .map(|(i, (name, email))| Recipient {
                    key: i.to_string(),
                    name: name.clone(),
                    email: email.clone(),
                    link: String::new(),
                })
                .collect(),
            (None, None) => Vec::new(),
        }
    }

    /// Who is told and the rule in force, for 「だれに 知らせるか」 on the TV.
    pub fn report_info(&self, sink: &EventSink) {
        sink(Event::Watch(WatchEvent::Info(WatchInfo {
            contacts: self.recipients().into_iter().map(|r| r.name).collect(),
            threshold_min: (self.ladder.deadline - self.ladder.last_activity).num_minutes(),
            adaptive: self.ladder.rule == engawa_watch::rhythm::Rule::Adaptive,
        })));
    }

    /// Take over settings from the head-end: its policy (if it can fire), its
    /// contacts, and a pause the family set or lifted on the family page.
    pub fn apply_config(
        &mut self,
        cfg: &WatchConfig,
        store: &mut Store,
        now: DateTime<Utc>,
        sink: &EventSink,
    ) {
        match cfg.policy.validate() {
            Ok(()) => self.policy = cfg.policy.clone(),
            Err(e) => tracing::error!(
                ?e,
                "the head-end's watch-over policy can never fire; keeping the last one"
            ),
        }
        self.synced = Some(cfg.clone());
        let applied = store
            .setting(PAUSE_APPLIED)
            .ok()
            .flatten()
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|s| DateTime::from_timestamp(s, 0));
        if cfg.paused_until != applied {
            match cfg.paused_until {
                Some(until) if until > now => self.set_away(store, now, until, sink),
                Some(_) => {}
                None => {
                    if matches!(self.ladder.state, engawa_watch::State::Away { until } if Some(until) == applied)
                    {
                        self.end_away(store, now, sink);
                    }
                }
            }
            let v = cfg
                .paused_until
                .map(|u| u.timestamp().to_string())
                .unwrap_or_default();
            if let Err(e) = store.set_setting(PAUSE_APPLIED, &v) {
                failed(sink, "saving the family pause", e);
            }
        }
        self.report_info(sink);
    }

    fn away(&self) -> Option<DateTime<Utc>> {
        match self.ladder.state {
            engawa_watch::State::Away { until } => Some(until),
            _ => None,
        }
    }

    /// What the screens asked of watch-over.
    pub fn effect(
        &mut self,
        e: &WatchEffect,
        store: &mut Store,
        now: DateTime<Utc>,
        sink: &EventSink,
    ) {
        match e {
            WatchEffect::SetAway(until) => self.set_away(store, now, *until, sink),
            WatchEffect::EndAway => self.end_away(store, now, sink),
        }
    }

    pub fn set_away(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        sink: &EventSink,
    ) {
        let actions = self.ladder.step(
            Input::SetAway { now, until },
            &self.policy,
            &mut self.rhythm,
        );
        self.save(store, sink);
        tracing::info!(until = ?self.away(), "away mode set");
        sink(Event::Watch(WatchEvent::Away(self.away())));
        self.act(actions, store, now, sink);
    }

    pub fn end_away(&mut self, store: &mut Store, now: DateTime<Utc>, sink: &EventSink) {
        let actions = self
            .ladder
            .step(Input::EndAway(now), &self.policy, &mut self.rhythm);
        self.save(store, sink);
        sink(Event::Watch(WatchEvent::Away(None)));
        self.act(actions, store, now, sink);
    }

    /// After a restart in the middle of an escalation: ask again on screen.
    pub fn resume(&self, sink: &EventSink) {
        sink(Event::Watch(WatchEvent::Away(self.away())));
        if matches!(
            self.ladder.state,
            engawa_watch::State::Prompting { .. } | engawa_watch::State::Alerted { .. }
        ) {
            sink(Event::Watch(WatchEvent::SafetyCheck(true)));
        }
    }

    pub fn activity(&mut self, store: &mut Store, at: DateTime<Utc>, sink: &EventSink) {
        // More key presses in the same minute while simply watching change
        // nothing that matters (the log and the rhythm are by the minute, the
        // deadline moves by seconds): skip the write and the rhythm scan. A
        // press that answers the prompt or ends away mode is always handled.
        let minute = at.timestamp().div_euclid(60);
        if self.last_minute == Some(minute)
            && matches!(self.ladder.state, engawa_watch::State::Watching)
        {
            return;
        }
        self.last_minute = Some(minute);
        let logged = match store.record_activity(at) {
            Ok(l) => l,
            Err(e) => return failed(sink, "logging activity", e),
        };
        let actions = self
            .ladder
            .step(Input::Activity(at), &self.policy, &mut self.rhythm);
        let greet = actions.contains(&Action::Greet);
        let acted = !actions.is_empty();
        // Alerts and mails are recorded before the new state: a crash between the
        // two repeats the step, and both are unique, so nothing doubles.
        self.act(actions, store, at, sink);
        // The deadline moves with every key press; storing it once a minute is
        // enough (a reboot loses at most a minute of it).
        if logged || acted {
            self.save(store, sink);
        }
        if greet {
            sink(Event::Watch(WatchEvent::Away(None)));
        }
    }

    pub fn tick(&mut self, store: &mut Store, now: DateTime<Utc>, sink: &EventSink) {
        let before = self.ladder.state.clone();
        let actions = self
            .ladder
            .step(Input::Tick(now), &self.policy, &mut self.rhythm);
        self.act(actions, store, now, sink);
        if self.ladder.state != before {
            self.save(store, sink);
            if matches!(before, engawa_watch::State::Away { .. }) {
                sink(Event::Watch(WatchEvent::Away(self.away())));
            }
        }
    }

    fn save(&self, store: &mut Store, sink: &EventSink) {
        match serde_json::to_string(&self.ladder) {
            Ok(json) => {
                if let Err(e) = store.save_watch_state(&json) {
                    failed(sink, "saving the watch-over state", e);
                }
                self.report_info(sink);
            }
            Err(e) => tracing::error!(error = %e, "cannot encode the watch-over state"),
        }
    }

    fn act(&self, actions: Vec<Action>, store: &mut Store, now: DateTime<Utc>, sink: &EventSink) {
        for a in actions {
            let recorded = match a {
                Action::ShowPrompt => {
                    tracing::info!("no activity for the threshold: asking on screen");
                    sink(Event::Watch(WatchEvent::SafetyCheck(true)));
                    continue;
                }
                Action::HidePrompt => {
                    sink(Event::Watch(WatchEvent::SafetyCheck(false)));
                    continue;
                }
                Action::Greet => {
                    sink(Event::Watch(WatchEvent::WelcomeBack));
                    continue;
                }
                Action::Alert { n, since } => {
                    tracing::warn!(n, %since, "no answer: family alert");
                    self.mail_family(
                        store,
                        &format!("inactive.{n}.{}", since.timestamp()),
                        now,
                        |c| mail::alert(c, n, since, self.policy.grace, now),
                    );
                    store.record_alert(AlertKind::Inactive, n, now, Some(since))
                }
                Action::AllClear { at } => {
                    tracing::info!("activity again: all clear");
                    self.mail_family(store, &format!("clear.{}", at.timestamp()), now, |c| {
                        mail::all_clear(c, at)
                    });
                    store.record_alert(AlertKind::AllClear, 1, at, Some(at))
                }
                Action::AwayNotice { until } => {
                    self.mail_family(store, &format!("away.{}", until.timestamp()), now, |c| {
                        mail::away(c, until, now)
                    });
                    store.record_alert(AlertKind::Away, 1, now, Some(until))
                }
            };
            if let Err(e) = recorded {
                failed(sink, "recording an alert", e);
            }
        }
    }
}

impl Watch {
    /// Queue one mail per contact, each with a Message-ID fixed by what it is
    /// about, so the same alert is never queued twice.
    fn mail_family(
        &self,
        store: &mut Store,
        about: &str,
        now: DateTime<Utc>,
        text: impl Fn(&mail::Context) -> mail::MailText,
    ) {
        let Some(m) = &self.mail else { return };
        for r in self.recipients() {
            let ctx = mail::Context {
                contact: &r.name,
                operator: &m.operator,
                operator_phone: &m.operator_phone,
                serial: &m.serial,
                link: &r.link,
            };
            let t = text(&ctx);
            let id = format!("<watch.{about}.{}.{}@{}>", r.key, m.serial, m.domain);
            if let Err(e) = store.enqueue_mail(&id, (&r.name, &r.email), &t.subject, &t.body, now) {
                tracing::error!(error = %e, "cannot queue a family mail");
            }
        }
    }
}

fn failed(sink: &EventSink, doing: &str, e: StoreError) {
    tracing::error!(error = %e, "{doing} failed");
    sink(Event::Failed(ErrorKind::Storage));
}
