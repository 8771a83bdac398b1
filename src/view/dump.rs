//! What the TV shows now, written to a file after every change: the `Frame` as
//! JSON with a sequence number and the screen's size. `engawa diag` reads it for
//! a technician on the phone, and `engawa screenshot --frame FILE` draws the same
//! frame again without a display, so a test can compare the real screen with a
//! fresh render of the same state.
//!
//! Written on its own thread (the UI thread never waits for a disk); only the
//! latest frame matters, so frames that arrive while one is being written are
//! skipped. Each write is a new file renamed over the old one: a reader never
//! sees half a frame.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde::{Deserialize, Serialize};

use super::model::Frame;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dumped {
    /// Counts the frames pushed to the screen since the program started.
    pub seq: u64,
    /// The window's size in physical pixels (the display mode on a box).
    pub width: u32,
    pub height: u32,
    pub frame: Frame,
}

pub struct FrameDump {
    tx: mpsc::Sender<Dumped>,
    seq: u64,
}

impl FrameDump {
    pub fn start(path: PathBuf) -> std::io::Result<FrameDump> {
        let (tx, rx) = mpsc::channel::<Dumped>();
        std::thread::Builder::new()
            .name("frame dump".into())
            .spawn(move || {
                while let Ok(mut d) = rx.recv() {
                    // Only the newest frame is worth writing.
                    while let Ok(newer) = rx.try_recv() {
                        d = newer;
                    }
                    if let Err(e) = write(&path, &d) {
                        tracing::warn!(file = %path.display(), error = %e, "cannot write the frame file");
                    }
                }
            })?;
        Ok(FrameDump { tx, seq: 0 })
    }

    pub fn push(&mut self, frame: &Frame, size: (u32, u32)) {
        self.seq += 1;
        let _ = self.tx.send(Dumped {
            seq: self.seq,
            width: size.0,
            height: size.1,
            frame: frame.clone(),
        });
    }
}

fn write(path: &Path, d: &Dumped) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let json = serde_json::to_vec(d).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, path)
}

pub fn read(path: &Path) -> anyhow::Result<Dumped> {
    use anyhow::Context;
    let text = std::fs::read(path)
        .with_context(|| format!("cannot read the frame file {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a frame written by engawa", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::model::{BoxInfo, Lang, frame};

    #[test]
    fn a_written_frame_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frame.json");
        let app = crate::demo::scene("shop-cart").unwrap();
        let info = BoxInfo {
            serial: "EGW-1".into(),
            operator_name: "局".into(),
            operator_phone: "0120-000-000".into(),
            version: "t".into(),
            connected: true,
        };
        let f = frame(&app, &info, Lang::Ja);
        let mut dump = FrameDump::start(path.clone()).unwrap();
        dump.push(&f, (1920, 1080));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let d = loop {
            if let Ok(d) = read(&path) {
                break d;
            }
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!((d.seq, d.width, d.height), (1, 1920, 1080));
        assert_eq!(d.frame, f);
        assert!(read(&dir.path().join("nothing.json")).is_err());
    }
}
