//! What a reminder says. Residents pick from a list (no keyboard on a remote), so
//! phrases are a fixed catalogue; the first few are the presets offered first.

use serde::{Deserialize, Serialize};

/// The catalogue, presets first. Japanese only: this is what appears on the TV.
pub const PHRASES: &[&str] = &[
    "お薬を飲む",
    "ゴミ出し(燃えるごみ)",
    "病院の日",
    "水分をとる",
    "ゴミ出し(資源ごみ)",
    "ゴミ出し(燃えないごみ)",
    "デイサービスの日",
    "タクシーが来る",
    "家族に電話する",
    "血圧をはかる",
    "目薬をさす",
    "回覧板をまわす",
    "お風呂に入る",
    "散歩に行く",
    "戸じまりをする",
    "ストーブを消す",
];

/// How many of `PHRASES` are the presets shown first.
pub const PRESET_COUNT: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phrase(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhraseError {
    #[error("reminder text is empty")]
    Empty,
    #[error("reminder text is {0} characters long; at most 40 fit on the screen")]
    TooLong(usize),
}

impl Phrase {
    pub fn parse(s: &str) -> Result<Self, PhraseError> {
        let s = s.trim();
        let n = s.chars().count();
        if n == 0 {
            Err(PhraseError::Empty)
        } else if n > 40 {
            Err(PhraseError::TooLong(n))
        } else {
            Ok(Phrase(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position in the catalogue, if it is one of ours.
    pub fn catalogue_index(&self) -> Option<usize> {
        PHRASES.iter().position(|p| *p == self.0)
    }
}

impl TryFrom<String> for Phrase {
    type Error = PhraseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phrase::parse(&s)
    }
}

impl From<Phrase> for String {
    fn from(p: Phrase) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_phrases_all_parse_and_presets_come_first() {
        for p in PHRASES {
            assert!(Phrase::parse(p).is_ok(), "{p}");
        }
        assert_eq!(
            &PHRASES[..PRESET_COUNT],
            &[
                "お薬を飲む",
                "ゴミ出し(燃えるごみ)",
                "病院の日",
                "水分をとる"
            ]
        );
    }

    #[test]
    fn bad_phrases_are_refused() {
        assert_eq!(Phrase::parse("  "), Err(PhraseError::Empty));
        assert_eq!(
            Phrase::parse(&"あ".repeat(41)),
            Err(PhraseError::TooLong(41))
        );
    }
}
