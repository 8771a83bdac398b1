//! Reads remote-control receivers through evdev on background threads and hands
//! Keys to a sink (in the window, the Slint event loop).
//!
//! Device discovery: the configured paths, or every input device that has arrow
//! keys and an OK/Enter key. A device that disappears (receiver unplugged) is
//! looked for again every `RESCAN` and read again when it is back. Devices are
//! grabbed (EVIOCGRAB) so no other reader — e.g. a libinput-based backend — gets the
//! same press a second time.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evdev::{Device, InputEvent, KeyCode};

use super::keymap::{KeymapWatcher, apply_to_device};
use super::{Key, key_from_event};

pub const RESCAN: Duration = Duration::from_secs(2);

/// One opened input device: blocks until it has events, errors when it is gone.
pub trait EventSource: Send {
    fn next_events(&mut self) -> io::Result<Vec<InputEvent>>;
}

/// Finds devices to read. The real one uses /dev/input; tests supply their own.
pub trait DeviceFinder: Send {
    fn find(&mut self, skip: &HashSet<PathBuf>) -> Vec<(PathBuf, Box<dyn EventSource>)>;
    /// Called once per rescan, e.g. to reload a keymap.
    fn maintain(&mut self) {}
}

pub type KeySink = Arc<dyn Fn(Key) + Send + Sync>;

/// Runs forever on the calling thread: finds devices, starts one reader thread per
/// device, rescans for lost or new devices.
pub fn supervise(mut finder: Box<dyn DeviceFinder>, sink: KeySink, rescan: Duration) {
    let open: Arc<Mutex<HashSet<PathBuf>>> = Arc::default();
    loop {
        finder.maintain();
        let skip = open.lock().map(|s| s.clone()).unwrap_or_default();
        for (path, source) in finder.find(&skip) {
            tracing::info!(device = %path.display(), "reading remote control");
            if let Ok(mut s) = open.lock() {
                s.insert(path.clone());
            }
            let (open, sink) = (open.clone(), sink.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("evdev {}", path.display()))
                .spawn(move || {
                    read_until_gone(source, &sink, &path);
                    if let Ok(mut s) = open.lock() {
                        s.remove(&path);
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start an input thread");
            }
        }
        std::thread::sleep(rescan);
    }
}

fn read_until_gone(mut source: Box<dyn EventSource>, sink: &KeySink, path: &std::path::Path) {
    loop {
        match source.next_events() {
            Ok(events) => events
                .iter()
                .filter_map(key_from_event)
                .for_each(|k| sink(k)),
            Err(e) => {
                tracing::warn!(device = %path.display(), error = %e, "remote control lost; will look for it again");
                return;
            }
        }
    }
}

/// The real finder over /dev/input.
pub struct EvdevFinder {
    pub configured: Vec<PathBuf>,
    pub grab: bool,
    /// A keymap engawa loads into every receiver it reads (instead of relying on
    /// ir-keytable), reloaded when the file changes.
    pub keymap: Option<KeymapWatcher>,
    /// Devices handed out, to load a reloaded keymap into.
    pub seen: Vec<PathBuf>,
}

impl EvdevFinder {
    pub fn new(configured: Vec<PathBuf>, grab: bool, keymap: Option<KeymapWatcher>) -> Self {
        EvdevFinder {
            configured,
            grab,
            keymap,
            seen: Vec::new(),
        }
    }
}

struct EvdevSource(Device);

impl EventSource for EvdevSource {
    fn next_events(&mut self) -> io::Result<Vec<InputEvent>> {
        Ok(self.0.fetch_events()?.collect())
    }
}

/// A device is a remote (or a keyboard usable as one) if it has arrows and OK.
pub fn looks_like_remote(keys: &[KeyCode]) -> bool {
    let has = |k| keys.contains(&k);
    has(KeyCode::KEY_UP)
        && has(KeyCode::KEY_DOWN)
        && (has(KeyCode::KEY_OK) || has(KeyCode::KEY_ENTER) || has(KeyCode::KEY_SELECT))
}

impl DeviceFinder for EvdevFinder {
    fn find(&mut self, skip: &HashSet<PathBuf>) -> Vec<(PathBuf, Box<dyn EventSource>)> {
        let candidates: Vec<(PathBuf, Device)> = if self.configured.is_empty() {
            evdev::enumerate()
                .filter(|(_, d)| {
                    let keys: Vec<KeyCode> = d
                        .supported_keys()
                        .map(|k| k.iter().collect())
                        .unwrap_or_default();
                    looks_like_remote(&keys)
                })
                .collect()
        } else {
            self.configured
                .iter()
                .filter(|p| !skip.contains(*p))
                .filter_map(|p| match Device::open(p) {
                    Ok(d) => Some((p.clone(), d)),
                    Err(e) => {
                        tracing::debug!(device = %p.display(), error = %e, "configured input device not available");
                        None
                    }
                })
                .collect()
        };
        candidates
            .into_iter()
            .filter(|(p, _)| !skip.contains(p))
            .map(|(p, mut d)| {
                if let Some(w) = &self.keymap {
                    let n = apply_to_device(&d, w.current());
                    tracing::info!(device = %p.display(), entries = n, "keymap loaded into the receiver");
                }
                if !self.seen.contains(&p) {
                    self.seen.push(p.clone());
                }
                if self.grab
                    && let Err(e) = d.grab()
                {
                    tracing::warn!(device = %p.display(), error = %e, "cannot grab the remote; keys may arrive twice");
                }
                (p, Box::new(EvdevSource(d)) as Box<dyn EventSource>)
            })
            .collect()
    }

    fn maintain(&mut self) {
        let Some(km) = self.keymap.as_mut().and_then(|w| w.poll()).cloned() else {
            return;
        };
        // The kernel keymap belongs to the device, so a second handle can set it
        // while the reader thread blocks on the first.
        for p in &self.seen {
            match Device::open(p) {
                Ok(d) => {
                    let n = apply_to_device(&d, &km);
                    tracing::info!(device = %p.display(), entries = n, "reloaded keymap loaded into the receiver");
                }
                Err(e) => {
                    tracing::debug!(device = %p.display(), error = %e, "receiver not present for the new keymap")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evdev::EventType;
    use std::sync::mpsc;

    /// A receiver that delivers its scripted batches, then "unplugs".
    struct Scripted(Vec<Vec<InputEvent>>);
    impl EventSource for Scripted {
        fn next_events(&mut self) -> io::Result<Vec<InputEvent>> {
            if self.0.is_empty() {
                return Err(io::Error::from_raw_os_error(19)); // ENODEV
            }
            Ok(self.0.remove(0))
        }
    }

    /// Plugged in at scan 0, gone, plugged in again at scan 3.
    struct Flaky {
        scans: usize,
    }
    impl DeviceFinder for Flaky {
        fn find(&mut self, skip: &HashSet<PathBuf>) -> Vec<(PathBuf, Box<dyn EventSource>)> {
            let path = PathBuf::from("/dev/input/event7");
            self.scans += 1;
            let code = if self.scans == 1 {
                KeyCode::KEY_UP
            } else {
                KeyCode::KEY_OK
            };
            if skip.contains(&path) || !(self.scans == 1 || self.scans == 4) {
                return vec![];
            }
            let press = vec![
                InputEvent::new(EventType::KEY.0, code.0, 1),
                InputEvent::new(EventType::KEY.0, code.0, 0),
            ];
            vec![(path, Box::new(Scripted(vec![press])))]
        }
    }

    #[test]
    fn a_lost_receiver_is_read_again_when_it_comes_back() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let sink: KeySink = Arc::new(move |k| {
            let _ = tx.lock().unwrap().send(k);
        });
        std::thread::spawn(move || {
            supervise(Box::new(Flaky { scans: 0 }), sink, Duration::from_millis(5))
        });
        let got: Vec<Key> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(got, vec![Key::Up, Key::Ok]);
    }

    #[test]
    fn remote_detection_needs_arrows_and_ok() {
        assert!(looks_like_remote(&[
            KeyCode::KEY_UP,
            KeyCode::KEY_DOWN,
            KeyCode::KEY_OK
        ]));
        assert!(looks_like_remote(&[
            KeyCode::KEY_UP,
            KeyCode::KEY_DOWN,
            KeyCode::KEY_ENTER
        ]));
        assert!(!looks_like_remote(&[KeyCode::KEY_UP, KeyCode::KEY_DOWN]));
        assert!(!looks_like_remote(&[
            KeyCode::KEY_VOLUMEUP,
            KeyCode::KEY_OK
        ]));
    }
}
