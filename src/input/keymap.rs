//! ir-keytable keymap files (the TOML under udev's `rc_keymaps`): loading,
//! validation, and the report `engawa keymap check` prints.
//!
//! Format: one or more `[[protocols]]`, each with `protocol` (required), optional
//! `name`, `variant` and numeric decoder parameters, and `[protocols.scancodes]`
//! mapping a scancode (`0x800f0400`) to a Linux key name (`"KEY_NUMERIC_0"`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use evdev::KeyCode;
use serde::Deserialize;

use super::Key;

#[derive(Debug, Clone)]
pub struct Keymap {
    pub path: PathBuf,
    pub protocols: Vec<Protocol>,
}

#[derive(Debug, Clone)]
pub struct Protocol {
    pub name: Option<String>,
    pub protocol: String,
    pub variant: Option<String>,
    pub scancodes: Vec<Scancode>,
}

#[derive(Debug, Clone)]
pub struct Scancode {
    pub scancode: u64,
    pub key_name: String,
    /// What engawa makes of it; `None` = ignored.
    pub key: Option<Key>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    protocols: Vec<RawProtocol>,
}

#[derive(Deserialize)]
struct RawProtocol {
    name: Option<String>,
    protocol: String,
    variant: Option<String>,
    #[serde(default)]
    scancodes: BTreeMap<String, String>,
    /// Decoder parameters (`bits`, `header_pulse`…): numbers, checked below.
    #[serde(flatten)]
    params: BTreeMap<String, toml::Value>,
}

impl Keymap {
    pub fn load(path: &Path) -> Result<Keymap, KeymapError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeymapError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Keymap::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Keymap, KeymapError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| KeymapError::Syntax {
            path: path.to_path_buf(),
            message: crate::config::toml_message(&e),
        })?;
        let invalid = |needle: &str, message: String| KeymapError::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, needle),
            message,
        };
        if raw.protocols.is_empty() {
            return Err(invalid(
                "protocols",
                "the file defines no [[protocols]]".into(),
            ));
        }
        let mut protocols = Vec::new();
        for p in raw.protocols {
            for (k, v) in &p.params {
                if !matches!(v, toml::Value::Integer(n) if *n >= 0) {
                    return Err(invalid(
                        k,
                        format!("decoder parameter `{k}` must be a non-negative number, found {v}"),
                    ));
                }
            }
            let mut scancodes = Vec::new();
            for (code, name) in p.scancodes {
                let scancode = parse_scancode(&code).ok_or_else(|| {
                    invalid(
                        &code,
                        format!("`{code}` is not a scancode (expected e.g. 0x800f0400)"),
                    )
                })?;
                if KeyCode::from_str(&name).is_err() {
                    return Err(invalid(
                        &name,
                        format!("`{name}` (scancode {code}) is not a Linux input key name"),
                    ));
                }
                scancodes.push(Scancode {
                    scancode,
                    key: Key::from_name(&name),
                    key_name: name,
                });
            }
            protocols.push(Protocol {
                name: p.name,
                protocol: p.protocol,
                variant: p.variant,
                scancodes,
            });
        }
        Ok(Keymap {
            path: path.to_path_buf(),
            protocols,
        })
    }

    /// How many scancodes engawa understands (for `engawa diag`).
    pub fn len(&self) -> usize {
        self.protocols
            .iter()
            .flat_map(|p| &p.scancodes)
            .filter(|s| s.key.is_some())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The protocols the kernel must decode for this keymap (for ir-keytable -p).
    pub fn protocol_names(&self) -> Vec<&str> {
        self.protocols.iter().map(|p| p.protocol.as_str()).collect()
    }

    /// The human report for `engawa keymap check`.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: ok", self.path.display());
        for p in &self.protocols {
            let mapped = p.scancodes.iter().filter(|s| s.key.is_some()).count();
            let _ = writeln!(
                out,
                "  protocol {}{}{}: {} scancodes, {} used by engawa",
                p.protocol,
                p.variant
                    .as_deref()
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default(),
                p.name
                    .as_deref()
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default(),
                p.scancodes.len(),
                mapped
            );
            for s in p.scancodes.iter().filter(|s| s.key.is_some()) {
                if let Some(key) = s.key {
                    let _ = writeln!(
                        out,
                        "    {:#010x} {:<18} -> {:?}",
                        s.scancode, s.key_name, key
                    );
                }
            }
            let mut ignored: Vec<&str> = p
                .scancodes
                .iter()
                .filter(|s| s.key.is_none())
                .map(|s| s.key_name.as_str())
                .collect();
            ignored.sort_unstable();
            ignored.dedup();
            if !ignored.is_empty() {
                let _ = writeln!(out, "    ignored: {}", ignored.join(" "));
            }
        }
        out
    }

    /// Keys a resident can not press with this remote (for a warning).
    pub fn missing_essentials(&self) -> Vec<&'static str> {
        let has = |k: Key| {
            self.protocols
                .iter()
                .flat_map(|p| &p.scancodes)
                .any(|s| s.key == Some(k))
        };
        [
            (Key::Up, "Up"),
            (Key::Down, "Down"),
            (Key::Left, "Left"),
            (Key::Right, "Right"),
            (Key::Ok, "Ok"),
            (Key::Back, "Back"),
        ]
        .into_iter()
        .filter(|(k, _)| !has(*k))
        .map(|(_, n)| n)
        .collect()
    }
}

/// A keymap file that may be edited while the box runs: reloaded when its
/// modification time changes. A malformed new version is logged and the last good
/// one stays in force — a typo must never leave a resident without a remote.
pub struct KeymapWatcher {
    path: PathBuf,
    stamp: Option<std::time::SystemTime>,
    current: Keymap,
}

impl KeymapWatcher {
    /// Loads the file now; at start a malformed keymap is an error.
    pub fn new(path: &Path) -> Result<KeymapWatcher, KeymapError> {
        let current = Keymap::load(path)?;
        Ok(KeymapWatcher {
            path: path.to_path_buf(),
            stamp: modified(path),
            current,
        })
    }

    /// At start: the file, or — when it has errors — the first good one of
    /// `fallbacks` (the last good keymap udev loaded, the package's), logged;
    /// the file is still watched, so a mended version takes over. Only when
    /// none is good is it an error (the file's).
    pub fn start(path: &Path, fallbacks: &[&Path]) -> Result<KeymapWatcher, KeymapError> {
        let err = match KeymapWatcher::new(path) {
            Ok(w) => return Ok(w),
            Err(e) => e,
        };
        for f in fallbacks {
            if let Ok(current) = Keymap::load(f) {
                tracing::error!(error = %err, fallback = %f.display(), "keymap has errors; using the last good one");
                return Ok(KeymapWatcher {
                    path: path.to_path_buf(),
                    stamp: modified(path),
                    current,
                });
            }
        }
        Err(err)
    }

    pub fn current(&self) -> &Keymap {
        &self.current
    }

    /// `Some` when the file changed and its new version is good.
    pub fn poll(&mut self) -> Option<&Keymap> {
        let stamp = modified(&self.path);
        if stamp == self.stamp {
            return None;
        }
        self.stamp = stamp;
        match Keymap::load(&self.path) {
            Ok(km) => {
                tracing::info!(keymap = %self.path.display(), "keymap reloaded");
                self.current = km;
                Some(&self.current)
            }
            Err(e) => {
                tracing::error!(error = %e, "keymap not reloaded; keeping the last good one");
                None
            }
        }
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Load `km` into a receiver's kernel keymap (what `ir-keytable -w` does), so the
/// device reports the keys engawa expects. Returns how many entries were taken.
/// Scancodes wider than 32 bits cannot be set through evdev and are skipped.
pub fn apply_to_device(device: &evdev::Device, km: &Keymap) -> usize {
    let mut applied = 0;
    for s in km.protocols.iter().flat_map(|p| &p.scancodes) {
        let (Ok(code), Ok(scancode)) = (KeyCode::from_str(&s.key_name), u32::try_from(s.scancode))
        else {
            continue;
        };
        match device.update_scancode(code, &scancode.to_le_bytes()) {
            Ok(_) => applied += 1,
            Err(e) => {
                tracing::debug!(scancode = s.scancode, key = %s.key_name, error = %e, "keymap entry refused")
            }
        }
    }
    applied
}

fn parse_scancode(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// 1-based line of the first occurrence of `needle`, for error messages.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[protocols]]
name = "test"
protocol = "nec"
variant = "nec"
[protocols.scancodes]
0x01 = "KEY_UP"
0x02 = "KEY_NUMERIC_1"
0x03 = "KEY_RECORD"
0x04 = "KEY_OK"
"#;

    #[test]
    fn loads_and_maps_scancodes() {
        let km = Keymap::parse(Path::new("t.toml"), GOOD).unwrap();
        let s = &km.protocols[0].scancodes;
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].key, Some(Key::Up));
        assert_eq!(s[1].key, Some(Key::Digit(1)));
        assert_eq!(s[2].key, None);
        let report = km.report();
        assert!(report.contains("0x00000002 KEY_NUMERIC_1"), "{report}");
        assert!(report.contains("ignored: KEY_RECORD"), "{report}");
        assert_eq!(
            km.missing_essentials(),
            vec!["Down", "Left", "Right", "Back"]
        );
    }

    #[test]
    fn a_bad_edit_at_runtime_keeps_the_last_good_keymap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("remote.toml");
        let touch = |text: &str, secs: u64| {
            std::fs::write(&path, text).unwrap();
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
                .unwrap();
        };
        touch(GOOD, 1_000);
        let mut w = KeymapWatcher::new(&path).unwrap();
        assert!(w.poll().is_none(), "unchanged");
        // A typo: reported, not taken.
        touch(&GOOD.replace("KEY_OK", "KEY_OKK"), 2_000);
        assert!(w.poll().is_none());
        assert_eq!(w.current().protocols[0].scancodes[3].key, Some(Key::Ok));
        // Fixed, with a new key: taken.
        touch(
            &GOOD.replace("0x03 = \"KEY_RECORD\"", "0x03 = \"KEY_BACK\""),
            3_000,
        );
        assert!(w.poll().is_some());
        assert_eq!(
            w.current().missing_essentials(),
            vec!["Down", "Left", "Right"]
        );
        // Deleted: the last good one stays.
        std::fs::remove_file(&path).unwrap();
        assert!(w.poll().is_none());
        assert_eq!(w.current().protocols[0].scancodes.len(), 4);
        // At start, a malformed file is an error naming file and line.
        touch(
            "[[protocols]]\nprotocol = \"nec\"\n[protocols.scancodes]\n0x1 = \"NOPE\"\n",
            4_000,
        );
        let err = KeymapWatcher::new(&path).err().unwrap().to_string();
        assert!(err.contains("remote.toml:4"), "{err}");
        // ... unless a last good one is at hand: that one is used, and a
        // mended file still takes over.
        let last_good = dir.path().join("last-good.toml");
        std::fs::write(&last_good, GOOD).unwrap();
        let missing = dir.path().join("nowhere.toml");
        let mut w = KeymapWatcher::start(&path, &[&missing, &last_good]).unwrap();
        assert_eq!(w.current().protocols[0].scancodes[3].key, Some(Key::Ok));
        assert!(w.poll().is_none(), "the broken file is not read again");
        touch(GOOD, 5_000);
        assert!(w.poll().is_some());
        let err = KeymapWatcher::start(&path, &[&missing]);
        assert!(err.is_ok(), "the mended file is good by itself");
        touch("nonsense", 6_000);
        let err = KeymapWatcher::start(&path, &[&missing])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("remote.toml"), "{err}");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            (
                GOOD.replace("0x03", "0xZZ"),
                "t.toml:9: `0xZZ` is not a scancode",
            ),
            (
                GOOD.replace("KEY_RECORD", "KEY_NONSENSE"),
                "t.toml:9: `KEY_NONSENSE`",
            ),
            (
                GOOD.replace("protocol = \"nec\"", ""),
                "missing field `protocol`",
            ),
            (
                GOOD.replace("0x04 = \"KEY_OK\"", "0x04 = KEY_OK"),
                "line 10",
            ),
            (
                "[[protocols]]\nprotocol = \"nec\"\nbits = \"x\"\n".to_string(),
                "t.toml:3: decoder parameter `bits`",
            ),
            ("".to_string(), "missing field `protocols`"),
        ];
        for (text, want) in cases {
            let err = Keymap::parse(Path::new("t.toml"), &text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "want {want:?} in {err:?}");
            assert!(err.starts_with("t.toml"), "{err}");
        }
    }
}
