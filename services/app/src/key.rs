//! The `Key` vocabulary: the only keys the app understands, by their Linux
//! input names. How evdev codes become keys (and the repeat policy applied
//! to them) is the box's `input` module.

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

#[cfg(test)]
mod tests {
    use super::Key;

    #[test]
    fn names_and_their_synonyms() {
        for (name, key) in [
            ("KEY_OK", Key::Ok),
            ("KEY_ENTER", Key::Ok),
            ("KEY_EXIT", Key::Back),
            ("KEY_F1", Key::Blue),
            ("KEY_NUMERIC_12", Key::Digit(12)),
            ("KEY_KP7", Key::Digit(7)),
        ] {
            assert_eq!(Key::from_name(name), Some(key), "{name}");
        }
        assert_eq!(Key::from_name("KEY_NUMERIC_13"), None);
        assert_eq!(Key::from_name("KEY_10"), None);
        assert!(Key::Up.repeats() && !Key::Ok.repeats());
    }
}
