//! Slint's font stack panics at start when fontconfig finds no system font at all,
//! even though engawa embeds its own. Check first and say what to install.

use std::path::{Path, PathBuf};

pub fn font_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        dirs.push(home.join(".local/share/fonts"));
        dirs.push(home.join(".fonts"));
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
        dirs.push(data.join("fonts"));
    }
    dirs
}

fn has_font(dir: &Path, depth: u32) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            depth > 0 && has_font(&p, depth - 1)
        } else {
            matches!(
                p.extension()
                    .and_then(|x| x.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("ttf" | "otf" | "ttc" | "otc")
            )
        }
    })
}

pub fn ensure_system_font() -> anyhow::Result<()> {
    if font_dirs().iter().any(|d| has_font(d, 4)) {
        return Ok(());
    }
    anyhow::bail!(
        "no system font found in {:?}; the UI toolkit needs at least one. Install one, e.g. `apt-get install fonts-morisawa-bizud-gothic`",
        font_dirs()
    )
}
