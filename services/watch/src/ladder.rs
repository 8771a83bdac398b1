//! The escalation ladder for one household, as a pure state machine.
//!
//! Watching → (no activity until the threshold) → Prompting: 「お元気ですか？」 on
//! the TV → (no answer within the grace period, outside quiet hours) → Alerted:
//! family emailed, again every `realert` (at most `MAX_ALERTS`) → any activity:
//! all-clear to those alerted, back to Watching. Away mode silences everything
//! and always ends by itself; the first key press after it greets the resident.
//!
//! The caller persists `Ladder` (it is serde) and feeds it inputs, so a reboot in
//! the middle of an escalation continues where it was. A clock that jumps back
//! restarts the window from the new now; one that jumps forward leads to the
//! prompt first, so the resident can answer before anyone is emailed.

use chrono::{DateTime, Duration, Utc};
use engawa_core::TOKYO;
use serde::{Deserialize, Serialize};

use crate::policy::{AWAY_NOTICE, MAX_AWAY, Policy};
use crate::rhythm::{Rhythm, Rule};

/// First email plus re-alerts; after that the operator's own ladder takes over.
pub const MAX_ALERTS: u32 = 3;
/// A clock this far behind the last activity has jumped back.
const CLOCK_SLACK: Duration = Duration::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Watching,
    Prompting { since: DateTime<Utc> },
    Alerted { sent: u32, next_at: DateTime<Utc> },
    Away { until: DateTime<Utc> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A key press or any resident interaction.
    Activity(DateTime<Utc>),
    /// Time passes (the caller ticks every minute or so, and at boot).
    Tick(DateTime<Utc>),
    /// 留守にします, from the resident or the family page. Capped at 14 days.
    SetAway {
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// Away cancelled early (family page).
    EndAway(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 「お元気ですか？　決定ボタンを おしてください」 with a chime.
    ShowPrompt,
    HidePrompt,
    /// Email the family: the `n`th alert; no activity since `since`.
    Alert {
        n: u32,
        since: DateTime<Utc>,
    },
    /// 「ご安心ください」 to everyone alerted.
    AllClear {
        at: DateTime<Utc>,
    },
    /// 「おかえりなさい」 on the TV.
    Greet,
    /// Away set for more than three days: the family is told.
    AwayNotice {
        until: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ladder {
    pub state: State,
    pub last_activity: DateTime<Utc>,
    /// When the prompt is due, and the rule that set it.
    pub deadline: DateTime<Utc>,
    pub rule: Rule,
}

impl Ladder {
    /// Start watching (a new box, or a box with no stored state): as if the
    /// resident had just been active.
    pub fn new(now: DateTime<Utc>, p: &Policy, rhythm: &Rhythm) -> Ladder {
        let (t, rule) = rhythm.threshold(p, now);
        Ladder {
            state: State::Watching,
            last_activity: now,
            deadline: now + t,
            rule,
        }
    }

    fn rearm(&mut self, at: DateTime<Utc>, p: &Policy, rhythm: &Rhythm) {
        self.last_activity = at;
        let (t, rule) = rhythm.threshold(p, at);
        self.deadline = at + t;
        self.rule = rule;
        self.state = State::Watching;
    }

    fn quiet(p: &Policy, now: DateTime<Utc>) -> bool {
        p.quiet_at(now.with_timezone(&TOKYO).time())
    }

    pub fn step(&mut self, input: Input, p: &Policy, rhythm: &mut Rhythm) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Activity(t) => {
                match self.state {
                    State::Away { .. } => {
                        rhythm.break_chain();
                        out.push(Action::Greet);
                    }
                    State::Prompting { .. } => out.push(Action::HidePrompt),
                    State::Alerted { .. } => {
                        // The gap that alerted is not rhythm.
                        rhythm.break_chain();
                        out.push(Action::HidePrompt);
                        out.push(Action::AllClear { at: t });
                    }
                    State::Watching => {}
                }
                rhythm.record(t);
                self.rearm(t, p, rhythm);
            }
            Input::SetAway { now, until } => {
                let until = until.min(now + MAX_AWAY);
                if until <= now {
                    return out;
                }
                if matches!(self.state, State::Prompting { .. } | State::Alerted { .. }) {
                    out.push(Action::HidePrompt);
                }
                if until - now > AWAY_NOTICE {
                    out.push(Action::AwayNotice { until });
                }
                self.state = State::Away { until };
            }
            Input::EndAway(now) => {
                if let State::Away { .. } = self.state {
                    rhythm.break_chain();
                    self.rearm(now, p, rhythm);
                }
            }
            Input::Tick(now) => self.tick(now, p, rhythm, &mut out),
        }
        out
    }

    fn tick(&mut self, now: DateTime<Utc>, p: &Policy, rhythm: &mut Rhythm, out: &mut Vec<Action>) {
        if now + CLOCK_SLACK < self.last_activity {
            // The clock jumped back: restart the window rather than wait for a
            // deadline that may now be days away.
            let alerted = matches!(self.state, State::Alerted { .. });
            if !matches!(self.state, State::Away { .. }) {
                self.last_activity = now;
                let (t, rule) = rhythm.threshold(p, now);
                self.deadline = now + t;
                self.rule = rule;
                if !alerted {
                    if let State::Prompting { .. } = self.state {
                        out.push(Action::HidePrompt);
                    }
                    self.state = State::Watching;
                }
            }
            return;
        }
        match self.state {
            State::Away { until } if now >= until => {
                // Ends by itself; watching resumes from the end of the away time.
                rhythm.break_chain();
                self.rearm(until, p, rhythm);
                self.tick(now, p, rhythm, out);
            }
            State::Away { .. } => {}
            State::Watching if now >= self.deadline => {
                self.state = State::Prompting { since: now };
                out.push(Action::ShowPrompt);
            }
            State::Watching => {}
            State::Prompting { since } if now >= since + p.grace && !Self::quiet(p, now) => {
                out.push(Action::Alert {
                    n: 1,
                    since: self.last_activity,
                });
                self.state = State::Alerted {
                    sent: 1,
                    next_at: now + p.realert,
                };
            }
            State::Prompting { .. } => {}
            State::Alerted { sent, next_at }
                if sent < MAX_ALERTS && now >= next_at && !Self::quiet(p, now) =>
            {
                out.push(Action::Alert {
                    n: sent + 1,
                    since: self.last_activity,
                });
                self.state = State::Alerted {
                    sent: sent + 1,
                    next_at: now + p.realert,
                };
            }
            State::Alerted { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests;
