//! Error kinds that cross crate and wire boundaries.
//!
//! Each kind has one short Japanese sentence for the TV; details stay in logs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input was malformed or out of range; retrying the same won't help.
    InvalidInput,
    /// The thing asked for does not exist (or is not this household's).
    NotFound,
    /// The head-end could not be reached; retrying later may help.
    Unavailable,
    /// The box's credentials were refused.
    Unauthorized,
    /// Local storage failed (disk full, corrupted file).
    Storage,
    /// A bug: something that should not happen.
    Internal,
}

impl ErrorKind {
    /// What the resident reads. Plain, polite, says what to do.
    pub fn message_ja(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => {
                "入力を うけつけられませんでした。もういちど おためしください。"
            }
            ErrorKind::NotFound => "見つかりませんでした。",
            ErrorKind::Unavailable => {
                "いま つながりません。しばらくして もういちど おためしください。"
            }
            ErrorKind::Unauthorized => "この機械の登録が 確認できません。お電話ください。",
            ErrorKind::Storage => "機械の中の記録に 問題があります。お電話ください。",
            ErrorKind::Internal => "うまく動きませんでした。お電話ください。",
        }
    }
}
