//! Remote-control input: the `Key` vocabulary and how evdev codes become Keys.
//!
//! Owns: the Key enum (the only keys the app understands), the KEY_* name mapping
//! with its synonyms, the auto-repeat policy, ir-keytable keymap files, and the
//! evdev reader thread. Must not know what a key *does* — that is `app`.

pub mod evdev_reader;
pub mod keymap;

use evdev::{EventSummary, InputEvent, KeyCode};

/// Every key the box reacts to. Nothing else reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Up,
    Down,
    Left,
    Right,
    Ok,
    Back,
    Home,
    /// Number keys 0–12 (Japanese remotes have 1–12 for channels).
    Digit(u8),
    Blue,
    Red,
    Green,
    Yellow,
    ChannelUp,
    ChannelDown,
    VolumeUp,
    VolumeDown,
    Power,
    Info,
}

impl Key {
    /// Auto-repeat (holding a key) applies to arrows and volume only; a held 決定
    /// must never order twice.
    pub fn repeats(self) -> bool {
        matches!(
            self,
            Key::Up | Key::Down | Key::Left | Key::Right | Key::VolumeUp | Key::VolumeDown
        )
    }

    /// The Key for a Linux input key name (`KEY_OK`, `KEY_NUMERIC_3`…), with the
    /// synonyms real remotes use. `None`: engawa ignores that key.
    pub fn from_name(name: &str) -> Option<Key> {
        let k = match name {
            "KEY_UP" => Key::Up,
            "KEY_DOWN" => Key::Down,
            "KEY_LEFT" => Key::Left,
            "KEY_RIGHT" => Key::Right,
            "KEY_OK" | "KEY_ENTER" | "KEY_SELECT" | "KEY_KPENTER" => Key::Ok,
            "KEY_BACK" | "KEY_EXIT" | "KEY_ESC" | "KEY_BACKSPACE" => Key::Back,
            "KEY_HOME" | "KEY_HOMEPAGE" | "KEY_MENU" => Key::Home,
            "KEY_BLUE" | "KEY_F1" => Key::Blue,
            "KEY_RED" | "KEY_F2" => Key::Red,
            "KEY_GREEN" | "KEY_F3" => Key::Green,
            "KEY_YELLOW" | "KEY_F4" => Key::Yellow,
            "KEY_CHANNELUP" => Key::ChannelUp,
            "KEY_CHANNELDOWN" => Key::ChannelDown,
            "KEY_VOLUMEUP" => Key::VolumeUp,
            "KEY_VOLUMEDOWN" => Key::VolumeDown,
            "KEY_POWER" | "KEY_POWER2" => Key::Power,
            "KEY_INFO" | "KEY_EPG" => Key::Info,
            _ => return digit_from_name(name).map(Key::Digit),
        };
        Some(k)
    }

    pub fn from_code(code: KeyCode) -> Option<Key> {
        // KeyCode's Debug is its kernel name for every known code.
        Key::from_name(&format!("{code:?}"))
    }
}

fn digit_from_name(name: &str) -> Option<u8> {
    let n = name
        .strip_prefix("KEY_NUMERIC_")
        .or_else(|| name.strip_prefix("KEY_KP"))
        .or_else(|| name.strip_prefix("KEY_"))?;
    let d: u8 = n.parse().ok()?;
    // KEY_NUMERIC_11 / _12 exist on Japanese remotes; plain KEY_10 etc. do not.
    let max = if name.starts_with("KEY_NUMERIC_") {
        12
    } else {
        9
    };
    (d <= max).then_some(d)
}

/// What an evdev event means for the app: a fresh press, a repeat the policy
/// allows, or nothing.
pub fn key_from_event(ev: &InputEvent) -> Option<Key> {
    let EventSummary::Key(_, code, value) = ev.destructure() else {
        return None;
    };
    let key = Key::from_code(code);
    if key.is_none() {
        tracing::debug!(code = ?code, "ignoring a key engawa has no use for");
    }
    let key = key?;
    match value {
        1 => Some(key),
        2 if key.repeats() => Some(key),
        _ => None, // release (0), or a repeat of a key that must not repeat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evdev::EventType;

    fn ev(code: KeyCode, value: i32) -> InputEvent {
        InputEvent::new(EventType::KEY.0, code.0, value)
    }

    #[test]
    fn synonyms_map_to_one_key() {
        let table = [
            (KeyCode::KEY_OK, Key::Ok),
            (KeyCode::KEY_ENTER, Key::Ok),
            (KeyCode::KEY_SELECT, Key::Ok),
            (KeyCode::KEY_BACK, Key::Back),
            (KeyCode::KEY_EXIT, Key::Back),
            (KeyCode::KEY_ESC, Key::Back),
            (KeyCode::KEY_0, Key::Digit(0)),
            (KeyCode::KEY_9, Key::Digit(9)),
            (KeyCode::KEY_NUMERIC_0, Key::Digit(0)),
            (KeyCode::KEY_NUMERIC_7, Key::Digit(7)),
            (KeyCode::KEY_NUMERIC_11, Key::Digit(11)),
            (KeyCode::KEY_NUMERIC_12, Key::Digit(12)),
            (KeyCode::KEY_BLUE, Key::Blue),
            (KeyCode::KEY_RED, Key::Red),
            (KeyCode::KEY_GREEN, Key::Green),
            (KeyCode::KEY_YELLOW, Key::Yellow),
            (KeyCode::KEY_F1, Key::Blue),
            (KeyCode::KEY_F4, Key::Yellow),
            (KeyCode::KEY_UP, Key::Up),
            (KeyCode::KEY_CHANNELDOWN, Key::ChannelDown),
            (KeyCode::KEY_VOLUMEUP, Key::VolumeUp),
            (KeyCode::KEY_POWER, Key::Power),
            (KeyCode::KEY_INFO, Key::Info),
            (KeyCode::KEY_HOME, Key::Home),
        ];
        for (code, key) in table {
            assert_eq!(key_from_event(&ev(code, 1)), Some(key), "{code:?}");
        }
    }

    #[test]
    fn unknown_keys_and_releases_are_ignored() {
        assert_eq!(key_from_event(&ev(KeyCode::KEY_A, 1)), None);
        assert_eq!(key_from_event(&ev(KeyCode::KEY_RECORD, 1)), None);
        assert_eq!(key_from_event(&ev(KeyCode::KEY_OK, 0)), None);
        assert_eq!(Key::from_name("KEY_NUMERIC_13"), None);
        assert_eq!(Key::from_name("KEY_10"), None);
        // A non-key event (a scancode report) is not a key.
        assert_eq!(
            key_from_event(&InputEvent::new(EventType::MISC.0, 4, 0x0f0400)),
            None
        );
    }

    #[test]
    fn auto_repeat_only_for_arrows_and_volume() {
        for (code, repeats) in [
            (KeyCode::KEY_UP, true),
            (KeyCode::KEY_LEFT, true),
            (KeyCode::KEY_VOLUMEDOWN, true),
            (KeyCode::KEY_OK, false),
            (KeyCode::KEY_GREEN, false),
            (KeyCode::KEY_NUMERIC_1, false),
            (KeyCode::KEY_BACK, false),
        ] {
            assert_eq!(key_from_event(&ev(code, 2)).is_some(), repeats, "{code:?}");
        }
    }

    #[test]
    fn a_stuck_ok_key_orders_once() {
        // Press, 500 auto-repeats, release: exactly one Ok.
        let mut events = vec![ev(KeyCode::KEY_OK, 1)];
        events.extend(std::iter::repeat_n(ev(KeyCode::KEY_OK, 2), 500));
        events.push(ev(KeyCode::KEY_OK, 0));
        let keys: Vec<Key> = events.iter().filter_map(key_from_event).collect();
        assert_eq!(keys, vec![Key::Ok]);
    }
}
