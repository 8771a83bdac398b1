//! The reminder chime: a short two-tone sound written once as a WAV file in the
//! state directory and played with the configured command (e.g. `aplay -q`).
//! A missing player or sound card is logged, never shown as an error: the overlay
//! itself is the reminder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Chime {
    command: Vec<String>,
    wav: Option<PathBuf>,
}

const RATE: u32 = 16_000;

impl Chime {
    pub fn new(command: Vec<String>, state_dir: &Path) -> Chime {
        if command.is_empty() {
            return Chime { command, wav: None };
        }
        let path = state_dir.join("chime.wav");
        let wav = match std::fs::write(&path, chime_wav()) {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot write the chime; reminders will be silent");
                None
            }
        };
        Chime { command, wav }
    }

    pub fn play(&self) {
        let (Some((program, args)), Some(wav)) = (self.command.split_first(), &self.wav) else {
            return;
        };
        let spawned = Command::new(program)
            .args(args)
            .arg(wav)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            // Reap it off-thread so no zombie is left.
            Ok(mut child) => {
                let _ = std::thread::Builder::new()
                    .name("chime".into())
                    .spawn(move || child.wait());
            }
            Err(e) => tracing::warn!(program = %program, error = %e, "cannot play the chime"),
        }
    }
}

/// 「ピンポーン」: E5 then C5, each fading out, 16-bit mono PCM.
pub fn chime_wav() -> Vec<u8> {
    let mut samples: Vec<i16> = Vec::new();
    for (freq, secs) in [(659.25_f32, 0.45_f32), (523.25, 0.9)] {
        let n = (RATE as f32 * secs) as usize;
        for i in 0..n {
            let t = i as f32 / RATE as f32;
            let env = (1.0 - i as f32 / n as f32).powi(2);
            let v = (t * freq * std::f32::consts::TAU).sin() * env * 0.6;
            samples.push((v * i16::MAX as f32) as i16);
        }
    }
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn chime_is_a_well_formed_wav() {
        let w = super::chime_wav();
        assert_eq!(&w[0..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes([w[4], w[5], w[6], w[7]]) as usize,
            w.len() - 8
        );
        assert_eq!(
            u32::from_le_bytes([w[40], w[41], w[42], w[43]]) as usize,
            w.len() - 44
        );
    }
}
