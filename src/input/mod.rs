//! Remote-control input: the `Key` vocabulary and how evdev codes become Keys.
//!
//! Owns: evdev codes to `Key`s (the enum and its KEY_* names live in the app
//! core, `engawa_app::Key`), the auto-repeat policy, ir-keytable keymap files,
//! and the evdev reader thread. Must not know what a key *does* — that is `app`.

pub mod evdev_reader;
pub mod keymap;

use evdev::{EventSummary, InputEvent, KeyCode};

/// Every key the box reacts to. Nothing else reaches the app.
pub use engawa_app::Key;

/// The Key for an evdev key code (its kernel name, with the synonyms real
/// remotes use).
fn key_of(code: KeyCode) -> Option<Key> {
    // KeyCode's Debug is its kernel name for every known code.
    Key::from_name(&format!("{code:?}"))
}

/// What an evdev event means for the app: a fresh press, a repeat the policy
/// allows, or nothing.
pub fn key_from_event(ev: &InputEvent) -> Option<Key> {
    let EventSummary::Key(_, code, value) = ev.destructure() else {
        return None;
    };
    let key = key_of(code);
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
