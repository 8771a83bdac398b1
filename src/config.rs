//! Box configuration: TOML at `/etc/engawa/box.toml` on a box, `--config FILE`
//! anywhere, or nothing at all (demo mode). Every field has a default; bad values
//! are refused at start with the file, line and field named.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const SYSTEM_CONFIG: &str = "/etc/engawa/box.toml";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(rename = "box")]
    pub box_: BoxSection,
    pub operator: Operator,
    pub input: Input,
    pub chime: Chime,
    pub headend: Headend,
    pub mail: Mail,
    pub watch: Watch,
    /// Not from the file: set when no file was found.
    #[serde(skip)]
    pub demo: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BoxSection {
    /// Printed on the box's label; shown in settings and sent to the head-end.
    pub serial: String,
    /// Where the box keeps its database.
    pub state_dir: PathBuf,
    /// "ja" (residents) or "en" (developers).
    pub language: String,
    /// Where the box writes what the TV shows now (the frame as JSON, after
    /// every change): `engawa diag` reads it, and `engawa screenshot --frame`
    /// draws it again. Unset = not written.
    pub frame_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Operator {
    pub name: String,
    /// Shown on every error and help screen.
    pub phone: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Input {
    /// evdev devices to read; empty = every device with arrows and OK.
    pub devices: Vec<PathBuf>,
    /// Take the devices exclusively so no other program sees the same press.
    pub grab: bool,
    /// An ir-keytable keymap (TOML) engawa loads into the receivers itself;
    /// unset = the kernel's keymap (loaded by ir-keytable/udev) is used.
    pub keymap: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Headend {
    /// The operator's head-end, e.g. "https://headend.example.jp"; empty = this
    /// box runs on its own (reminders only).
    pub url: String,
}

/// The SMTP server the watch-over mails family through. Empty host = no mail.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Mail {
    pub host: String,
    pub port: u16,
    /// "starttls", "tls" or "none" (a relay on this machine only).
    pub security: String,
    /// Two lines: user name, password. Never on the command line or in logs.
    pub credentials_file: Option<PathBuf>,
    /// e.g. "みどり町ケーブルテレビ 見守り <mimamori@example.jp>"
    pub from: String,
    pub reply_to: String,
}

impl Default for Mail {
    fn default() -> Self {
        Mail {
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            credentials_file: None,
            from: String::new(),
            reply_to: String::new(),
        }
    }
}

/// Who is told when the resident shows no sign of activity (up to 4, in order).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Watch {
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Chime {
    /// Program and arguments that play a WAV file (its path is appended);
    /// empty = silent.
    pub command: Vec<String>,
}

impl Default for BoxSection {
    fn default() -> Self {
        BoxSection {
            serial: "EGW-DEMO-0001".into(),
            state_dir: PathBuf::from("/var/lib/engawa"),
            language: "ja".into(),
            frame_file: None,
        }
    }
}

impl Default for Operator {
    fn default() -> Self {
        Operator {
            name: "engawa サポート".into(),
            phone: "0120-000-000".into(),
        }
    }
}

impl Default for Input {
    fn default() -> Self {
        Input {
            devices: Vec::new(),
            grab: true,
            keymap: None,
        }
    }
}

impl Default for Chime {
    fn default() -> Self {
        Chime {
            command: vec!["aplay".into(), "-q".into()],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the configuration: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}:{line}: field `{field}`: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        field: String,
        message: String,
    },
}

impl Config {
    /// `--config FILE` if given; else the system file if present; else demo mode.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        match explicit {
            Some(p) => Config::from_file(p),
            None if Path::new(SYSTEM_CONFIG).exists() => {
                Config::from_file(Path::new(SYSTEM_CONFIG))
            }
            None => Ok(Config::demo()),
        }
    }

    /// No configuration: a demo box keeping its state under the user's home.
    pub fn demo() -> Config {
        let base = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
            .unwrap_or_else(std::env::temp_dir);
        let mut c = Config::default();
        c.box_.state_dir = base.join("engawa-demo");
        c.demo = true;
        c
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: toml_message(&e),
        })?;
        c.validate(path, text)?;
        Ok(c)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let bad = |section: &str, key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: line_of_key(text, section, key),
            field: format!("{section}.{key}"),
            message,
        };
        if !matches!(self.box_.language.as_str(), "ja" | "en") {
            return Err(bad(
                "box",
                "language",
                format!("{:?} is not \"ja\" or \"en\"", self.box_.language),
            ));
        }
        if self.box_.serial.trim().is_empty() || self.box_.serial.chars().count() > 40 {
            return Err(bad("box", "serial", "must be 1–40 characters".into()));
        }
        if !self.box_.state_dir.is_absolute() {
            return Err(bad(
                "box",
                "state_dir",
                format!("{} must be an absolute path", self.box_.state_dir.display()),
            ));
        }
        if let Some(f) = &self.box_.frame_file
            && !f.is_absolute()
        {
            return Err(bad(
                "box",
                "frame_file",
                format!("{} must be an absolute path", f.display()),
            ));
        }
        if self.operator.name.trim().is_empty() {
            return Err(bad(
                "operator",
                "name",
                "must not be empty: residents see it on every help screen".into(),
            ));
        }
        let phone = &self.operator.phone;
        let digits = phone.chars().filter(|c| c.is_ascii_digit()).count();
        if digits < 3
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || "-+() ".contains(c))
        {
            return Err(bad(
                "operator",
                "phone",
                format!("{phone:?} is not a phone number (digits and hyphens, e.g. 0265-00-0000)"),
            ));
        }
        if self.watch.contacts.len() > 4 {
            return Err(bad("watch", "contacts", "at most 4 contacts".into()));
        }
        for c in &self.watch.contacts {
            if c.email.parse::<lettre::Address>().is_err() {
                return Err(bad(
                    "watch",
                    "contacts",
                    format!("{:?} is not an email address", c.email),
                ));
            }
            if c.name.trim().is_empty() {
                return Err(bad(
                    "watch",
                    "contacts",
                    "every contact needs a name".into(),
                ));
            }
        }
        if !self.mail.host.is_empty() {
            if !matches!(self.mail.security.as_str(), "starttls" | "tls" | "none") {
                return Err(bad(
                    "mail",
                    "security",
                    format!(
                        "{:?} is not \"starttls\", \"tls\" or \"none\"",
                        self.mail.security
                    ),
                ));
            }
            if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(bad(
                    "mail",
                    "from",
                    format!(
                        "{:?} is not a sender such as \"見守り <mimamori@example.jp>\"",
                        self.mail.from
                    ),
                ));
            }
            if !self.mail.reply_to.is_empty()
                && self
                    .mail
                    .reply_to
                    .parse::<lettre::message::Mailbox>()
                    .is_err()
            {
                return Err(bad(
                    "mail",
                    "reply_to",
                    format!("{:?} is not an email address", self.mail.reply_to),
                ));
            }
        }
        let url = &self.headend.url;
        if !url.is_empty() {
            crate::runtime::headend::check_url(url).map_err(|why| bad("headend", "url", why))?;
        }
        if let Some(p) = self.input.devices.iter().find(|p| !p.is_absolute()) {
            return Err(bad(
                "input",
                "devices",
                format!(
                    "{} must be an absolute path such as /dev/input/event3",
                    p.display()
                ),
            ));
        }
        Ok(())
    }

    pub fn db_path(&self) -> PathBuf {
        self.box_.state_dir.join("engawa.db")
    }
}

/// toml's own message (it names the line, the column and the field), indented to
/// read well under our "FILE: " prefix. Shared by every TOML file engawa reads.
pub(crate) fn toml_message(e: &toml::de::Error) -> String {
    e.to_string().trim_end().replace('\n', "\n    ")
}

/// The line of `key` inside `[section]` (1-based), for error messages; the
/// section header's line if the key is absent, 1 if neither is there.
fn line_of_key(text: &str, section: &str, key: &str) -> usize {
    let mut in_section = false;
    let mut header = 1;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('[') {
            in_section = l == format!("[{section}]");
            if in_section {
                header = i + 1;
            }
        } else if in_section && l.split('=').next().map(str::trim) == Some(key) {
            return i + 1;
        }
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[box]
serial = "EGW-2026-00042"
state_dir = "/var/lib/engawa"
language = "ja"

[operator]
name = "みどり町ケーブルテレビ"
phone = "0265-00-0000"

[input]
devices = ["/dev/input/event3"]
grab = true

[chime]
command = []
"#;

    #[test]
    fn a_full_file_loads_and_an_empty_one_is_all_defaults() {
        let c = Config::parse(Path::new("box.toml"), FULL).unwrap();
        assert_eq!(c.box_.serial, "EGW-2026-00042");
        assert_eq!(c.operator.phone, "0265-00-0000");
        assert!(c.chime.command.is_empty());
        assert!(!c.demo);
        assert_eq!(
            Config::parse(Path::new("box.toml"), "").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn bad_values_name_file_line_and_field() {
        let cases = [
            (
                FULL.replace("\"0265-00-0000\"", "\"call us\""),
                "box.toml:9: field `operator.phone`",
            ),
            (
                FULL.replace("language = \"ja\"", "language = \"fr\""),
                "box.toml:5: field `box.language`",
            ),
            (
                FULL.replace("\"/var/lib/engawa\"", "\"state\""),
                "box.toml:4: field `box.state_dir`",
            ),
            (
                FULL.replace("\"/dev/input/event3\"", "\"event3\""),
                "box.toml:12: field `input.devices`",
            ),
            (FULL.replace("grab = true", "grab = \"yes\""), "line 13"),
            (
                FULL.replace("grab = true", "grabb = true"),
                "unknown field `grabb`",
            ),
            (
                FULL.replace("[chime]", "[chimes]"),
                "unknown field `chimes`",
            ),
        ];
        for (text, want) in cases {
            let err = Config::parse(Path::new("box.toml"), &text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "want {want:?} in:\n{err}");
            assert!(err.starts_with("box.toml"), "{err}");
        }
    }

    #[test]
    fn plain_http_is_only_for_a_head_end_on_this_machine() {
        let with = |url: &str| {
            Config::parse(
                Path::new("box.toml"),
                &format!("{FULL}\n[headend]\nurl = \"{url}\"\n"),
            )
        };
        for ok in [
            "https://headend.example.jp",
            "https://192.0.2.7:8443/",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:8080",
            "http://localhost:8080",
        ] {
            assert!(with(ok).is_ok(), "{ok}: {:?}", with(ok).err());
        }
        for (bad, want) in [
            ("http://192.0.2.7:8080", "use https://"),
            ("http://headend.example.jp", "use https://"),
            ("http://localhost.example.jp", "use https://"),
            ("ftp://127.0.0.1", "is not https://"),
            ("headend.example.jp", "is not an address"),
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("field `headend.url`"), "{bad}: {err}");
            assert!(err.contains(want), "{bad}: want {want:?} in {err}");
        }
    }

    #[test]
    fn a_missing_explicit_file_is_an_error_not_demo_mode() {
        let err = Config::load(Some(Path::new("/nonexistent/box.toml"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/box.toml"), "{err}");
    }
}
