//! `engawa diag`: what a technician on the phone needs, in plain Japanese and
//! English, one fact per line. It only reads (the database read-only, the
//! frame file, /sys and /dev), so it is safe beside a running box, and it
//! always exits 0: a problem is a line of the report, not a failure.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use engawa_core::TOKYO;

use crate::config::Config;
use crate::input::evdev_reader::looks_like_remote;
use crate::input::keymap::Keymap;

/// One line: the Japanese label, the English label, the value.
struct Report(String);

impl Report {
    fn line(&mut self, ja: &str, en: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "{ja} / {en}: {value}");
    }
}

pub fn report(config_path: Option<&Path>) -> String {
    let mut r = Report(String::new());
    r.line(
        "版",
        "version",
        format!("engawa {}", env!("CARGO_PKG_VERSION")),
    );
    let config = match Config::load(config_path) {
        Ok(c) => c,
        Err(e) => {
            r.line(
                "設定",
                "configuration",
                format!("読めません / cannot be used: {e}"),
            );
            Config::default()
        }
    };
    let file = config_path.map(Path::to_path_buf).unwrap_or_else(|| {
        if config.demo {
            PathBuf::from("(なし・デモ / none: demo mode)")
        } else {
            PathBuf::from(crate::config::SYSTEM_CONFIG)
        }
    });
    r.line("設定ファイル", "configuration file", file.display());
    r.line("製造番号", "serial", &config.box_.serial);
    let dir = &config.box_.state_dir;
    pairing(&mut r, &config, dir);
    inputs(&mut r, &config);
    store(&mut r, &config.db_path());
    disk(&mut r, dir);
    display(&mut r, config.box_.frame_file.as_deref());
    r.0
}

fn pairing(r: &mut Report, config: &Config, dir: &Path) {
    let token = crate::runtime::headend::load_token(dir);
    let paired = match &token {
        Ok(Some(_)) => "登録済み / paired".to_string(),
        Ok(None) => "まだ 登録されていません（画面の 登録番号を 局へ） / not paired yet (the code on screen goes to the operator)".to_string(),
        Err(e) => format!("登録情報が 読めません / cannot read the token: {e}"),
    };
    r.line("機械の登録", "pairing", paired);
    if config.headend.url.is_empty() {
        r.line(
            "局の サーバー",
            "head-end",
            "設定なし（リマインドだけ） / not configured (reminders only)",
        );
        return;
    }
    let token = token.ok().flatten();
    r.line(
        "局の サーバー",
        "head-end",
        format!(
            "{} — {}",
            config.headend.url,
            reach(&config.headend.url, token)
        ),
    );
}

/// Whether the head-end answers, and if not, why, as a technician would say it.
fn reach(base: &str, token: Option<String>) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return format!("確かめられません / cannot check: {e}"),
    };
    let url = format!("{}/v1/me", base.trim_end_matches('/'));
    rt.block_on(async move {
        let http = match reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(8))
            .build()
        {
            Ok(c) => c,
            Err(e) => return format!("確かめられません / cannot check: {e}"),
        };
        let mut req = http.get(&url);
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        match req.send().await {
            Ok(resp) => match resp.status().as_u16() {
                200 => "つながります / reachable, this box is known".into(),
                401 if token.is_some() => {
                    "つながりますが この機械は 登録が 取り消されています / reachable, but this box's token was revoked or is unknown".into()
                }
                401 => "つながります（まだ 登録前） / reachable (not paired yet)".into(),
                s => format!("つながりますが 応答が おかしい / reachable but answered HTTP {s}"),
            },
            Err(e) => {
                let why = if e.is_timeout() {
                    "時間切れ / timed out"
                } else if e.is_connect() {
                    "つながりません（回線・住所・サーバー停止） / cannot connect (network, address or server down)"
                } else {
                    "つながりません / failed"
                };
                let mut chain = String::new();
                let mut src: Option<&dyn std::error::Error> = Some(&e);
                while let Some(s) = src {
                    let _ = write!(chain, ": {s}");
                    src = s.source();
                }
                format!("{why}{chain}")
            }
        }
    })
}

fn inputs(r: &mut Report, config: &Config) {
    let keymap = keymap_path(config);
    match Keymap::load(&keymap) {
        Ok(km) => r.line(
            "リモコンの 割り当て",
            "keymap",
            format!("{} ({} keys)", keymap.display(), km.len()),
        ),
        Err(e) => r.line(
            "リモコンの 割り当て",
            "keymap",
            format!("{}: 読めません / malformed: {e}", keymap.display()),
        ),
    }
    // IR receivers and the protocols the kernel decodes for them.
    let mut receivers = 0;
    if let Ok(rd) = std::fs::read_dir("/sys/class/rc") {
        let mut names: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        names.sort();
        for p in names {
            receivers += 1;
            let read = |f: &str| {
                std::fs::read_to_string(p.join(f))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default()
            };
            let uevent = read("uevent");
            let driver = uevent
                .lines()
                .find_map(|l| l.strip_prefix("DRV_NAME="))
                .unwrap_or("?")
                .to_string();
            let map = uevent
                .lines()
                .find_map(|l| l.strip_prefix("NAME="))
                .unwrap_or("?")
                .to_string();
            // The enabled protocols are the ones in [brackets].
            let protocols = read("protocols");
            let enabled: Vec<&str> = protocols
                .split_whitespace()
                .filter(|w| w.starts_with('['))
                .map(|w| w.trim_matches(|c| c == '[' || c == ']'))
                .collect();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            r.line(
                "赤外線の 受光部",
                "IR receiver",
                format!(
                    "{name}: {driver}, 割り当て / kernel map {map}, 方式 / protocols {}",
                    if enabled.is_empty() {
                        "なし / none (no keymap loaded)".to_string()
                    } else {
                        enabled.join(" ")
                    }
                ),
            );
        }
    }
    if receivers == 0 {
        r.line(
            "赤外線の 受光部",
            "IR receiver",
            "見つかりません / none found",
        );
    }
    let mut devices: Vec<(PathBuf, evdev::Device)> = evdev::enumerate().collect();
    devices.sort_by(|a, b| a.0.cmp(&b.0));
    if devices.is_empty() {
        r.line(
            "入力機器",
            "input devices",
            "見つかりません（権限か 接続を 確認） / none found (check permissions or the connection)",
        );
    }
    for (path, d) in devices {
        let keys: Vec<evdev::KeyCode> = d
            .supported_keys()
            .map(|k| k.iter().collect())
            .unwrap_or_default();
        let usable = if config.input.devices.is_empty() {
            looks_like_remote(&keys)
        } else {
            config.input.devices.contains(&path)
        };
        r.line(
            "入力機器",
            "input device",
            format!(
                "{} \"{}\" — {}",
                path.display(),
                d.name().unwrap_or("?"),
                if usable {
                    "リモコンとして 使います / used as a remote"
                } else {
                    "使いません / not used"
                }
            ),
        );
    }
}

/// The keymap a receiver gets: `[input] keymap` in box.toml, or the package's.
pub fn keymap_path(config: &Config) -> PathBuf {
    config
        .input
        .keymap
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_KEYMAP))
}

/// The operator's remote as the package ships it.
pub const DEFAULT_KEYMAP: &str = "/usr/share/engawa/keymaps/engawa-remote.toml";

fn when(at: i64) -> String {
    DateTime::<Utc>::from_timestamp(at, 0)
        .map(|t| {
            let l = t.with_timezone(&TOKYO);
            format!("{} ({})", l.format("%Y-%m-%d %H:%M"), t.to_rfc3339())
        })
        .unwrap_or_else(|| "?".into())
}

fn store(r: &mut Report, db: &Path) {
    use rusqlite::{Connection, OpenFlags};
    let conn = match Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(e) => {
            r.line(
                "データ",
                "database",
                format!("{}: 開けません / cannot open: {e}", db.display()),
            );
            return;
        }
    };
    let _ = conn.busy_timeout(Duration::from_secs(2));
    match conn.query_row("PRAGMA quick_check", [], |row| row.get::<_, String>(0)) {
        Ok(s) if s == "ok" => r.line("データ", "database", format!("{} — ok", db.display())),
        Ok(s) => r.line(
            "データ",
            "database",
            format!("{} — 壊れています / damaged: {s}", db.display()),
        ),
        Err(e) => {
            r.line(
                "データ",
                "database",
                format!("{} — 読めません / unreadable: {e}", db.display()),
            );
            return;
        }
    }
    let last: Option<i64> = conn
        .query_row("SELECT max(at) FROM activity", [], |row| row.get(0))
        .unwrap_or(None);
    r.line(
        "最後の リモコン操作",
        "last key press",
        last.map(when)
            .unwrap_or_else(|| "記録なし / none recorded".into()),
    );
    let count = |sql: &str| -> String {
        conn.query_row(sql, [], |row| row.get::<_, i64>(0))
            .map(|n| n.to_string())
            .unwrap_or_else(|e| format!("? ({e})"))
    };
    r.line(
        "送る前の 注文など",
        "outbox not yet settled (orders)",
        count("SELECT count(*) FROM outbox WHERE state = 'pending'"),
    );
    r.line(
        "送る前の メール",
        "mails waiting",
        count("SELECT count(*) FROM mail_outbox WHERE state = 'pending'"),
    );
    let failed = count("SELECT count(*) FROM mail_outbox WHERE state = 'failed'");
    if failed != "0" {
        r.line("届かなかった メール", "mails refused", failed);
    }
}

fn disk(r: &mut Report, dir: &Path) {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return;
    };
    // SAFETY: statvfs only writes into the struct we pass.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut s) };
    if rc != 0 {
        r.line(
            "ディスクの 空き",
            "disk free",
            format!(
                "{}: 分かりません / unknown: {}",
                dir.display(),
                std::io::Error::last_os_error()
            ),
        );
        return;
    }
    let free = s.f_bavail as u64 * s.f_frsize as u64;
    let total = s.f_blocks as u64 * s.f_frsize as u64;
    let mb = |b: u64| b / (1024 * 1024);
    let warn = if free < 50 * 1024 * 1024 {
        " — 少なすぎます / too little"
    } else {
        ""
    };
    r.line(
        "ディスクの 空き",
        "disk free",
        format!(
            "{}: {} MB / {} MB{warn}",
            dir.display(),
            mb(free),
            mb(total)
        ),
    );
}

fn display(r: &mut Report, frame_file: Option<&Path>) {
    // What the kernel sees: connectors and their state.
    let mut any = false;
    if let Ok(rd) = std::fs::read_dir("/sys/class/drm") {
        let mut names: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        names.sort();
        for p in names {
            let Ok(status) = std::fs::read_to_string(p.join("status")) else {
                continue;
            };
            any = true;
            let modes = std::fs::read_to_string(p.join("modes")).unwrap_or_default();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            r.line(
                "画面の 出力",
                "display output",
                format!(
                    "{name}: {} (modes: {})",
                    status.trim(),
                    modes.lines().take(3).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    if !any {
        r.line(
            "画面の 出力",
            "display output",
            "DRM の 画面が ありません / no DRM display",
        );
    }
    let Some(f) = frame_file else {
        return;
    };
    match crate::view::dump::read(f) {
        Ok(d) => {
            r.line(
                "いまの 画面",
                "on screen now",
                format!(
                    "{}x{}, 「{}」 (frame {})",
                    d.width, d.height, d.frame.title, d.seq
                ),
            );
        }
        Err(e) => r.line("いまの 画面", "on screen now", format!("{e:#}")),
    }
}
