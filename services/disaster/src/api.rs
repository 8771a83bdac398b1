//! The disaster service's wire types between box and head-end.
//!
//! - `GET /v1/alert/stream` (server-sent events): an `alert` event with the
//!   household's alert version (`{"version":N}`) at once and whenever it
//!   changes, a comment every 20 s to keep the line open. The box then asks
//!   `GET /v1/alert`. The heartbeat's answer carries the same version, for a
//!   box whose stream is down.
//! - `GET /v1/alert`: [`AlertNow`], the card to show (if any).
//! - `POST /v1/alert/answer` with an `Idempotency-Key`: [`AnswerRequest`] →
//!   [`AnswerReceipt`]. The same key again is the same answer, counted once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const ALERT_PATH: &str = "/v1/alert";
pub const ALERT_STREAM_PATH: &str = "/v1/alert/stream";
pub const ANSWER_PATH: &str = "/v1/alert/answer";

/// The resident's one-key answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// 「無事です」
    Safe,
    /// 「たすけが ひつようです」
    Help,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Safe => "safe",
            Answer::Help => "help",
        }
    }

    pub fn parse(s: &str) -> Option<Answer> {
        match s {
            "safe" => Some(Answer::Safe),
            "help" => Some(Answer::Help),
            _ => None,
        }
    }
}

/// What the box should show now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertNow {
    /// The household's alert version; the stream and the heartbeat say when
    /// it moves on.
    pub version: i64,
    /// The newest active alert for the household, if any.
    pub alert: Option<AlertCard>,
}

/// One alert, in finished words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertCard {
    pub campaign_id: i64,
    /// 訓練: every card and page says so.
    pub drill: bool,
    /// 警戒レベル (1–5) for the card's colour; `None` for an earthquake.
    pub level: Option<u8>,
    /// What happened: 「震度５強の 地震が ありました」.
    pub what: String,
    /// Where: 「西伊豆町」.
    pub place: String,
    /// What to do, in one or two short sentences.
    pub todo: String,
    /// The nearest open shelters suitable for this hazard, nearest first.
    pub shelters: Vec<ShelterNear>,
    pub opened_at: DateTime<Utc>,
    /// What this household already answered.
    pub answer: Option<Answer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShelterNear {
    pub name: String,
    /// From the household's registered coordinates; `None` when either is
    /// unknown.
    pub distance_m: Option<u32>,
    /// The HQ marked it crowded (混雑).
    pub crowded: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub campaign_id: i64,
    pub answer: Answer,
    /// When the key was pressed (the box's clock).
    pub answered_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerReceipt {
    pub campaign_id: i64,
    /// The answer the head-end holds for the household (the latest one).
    pub answer: Answer,
}
