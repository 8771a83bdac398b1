//! Reading the alert stream (server-sent events, as the head-end writes
//! them: `event: alert` with `data: {"version":N}`, comments to keep the
//! line open). Bytes arrive in any pieces; a line may be split anywhere.
//! Anything else on the line is skipped and counted, never trusted.

/// A line longer than this is not ours: the reader stops (the caller
/// reconnects).
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Default)]
pub struct StreamReader {
    line: Vec<u8>,
    event: String,
    data: String,
    /// Events that were not a readable `alert` (counted for the log).
    pub skipped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTooLong;

#[derive(serde::Deserialize)]
struct Version {
    version: i64,
}

impl StreamReader {
    /// Feed the next bytes; returns the alert versions completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<i64>, LineTooLong> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.line_done(&line, &mut out);
            } else {
                if self.line.len() >= MAX_LINE {
                    return Err(LineTooLong);
                }
                self.line.push(b);
            }
        }
        Ok(out)
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<i64>) {
        if line.is_empty() {
            // The blank line ends an event.
            let (event, data) = (
                std::mem::take(&mut self.event),
                std::mem::take(&mut self.data),
            );
            if event.is_empty() && data.is_empty() {
                return;
            }
            match (event.as_str(), serde_json::from_str::<Version>(&data)) {
                ("alert", Ok(v)) => out.push(v.version),
                _ => self.skipped += 1,
            }
            return;
        }
        if line[0] == b':' {
            return; // a comment: the line is alive
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (text.as_ref(), ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(value);
            }
            _ => {} // id, retry: not used
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_out_however_the_bytes_are_cut() {
        let wire = b": hello\n\nevent: alert\ndata: {\"version\":3}\n\n:\n\nevent: alert\r\ndata:{\"version\":4}\r\n\r\n";
        for cut in 1..wire.len() {
            let mut r = StreamReader::default();
            let mut got = r.feed(&wire[..cut]).unwrap();
            got.extend(r.feed(&wire[cut..]).unwrap());
            assert_eq!(got, [3, 4], "cut at {cut}");
            assert_eq!(r.skipped, 0);
        }
    }

    #[test]
    fn anything_else_is_skipped_and_counted() {
        let mut r = StreamReader::default();
        let got = r
            .feed(b"event: other\ndata: {\"version\":9}\n\nevent: alert\ndata: nine\n\nevent: alert\ndata: {\"version\":5}\n\n")
            .unwrap();
        assert_eq!(got, [5]);
        assert_eq!(r.skipped, 2);
    }

    #[test]
    fn an_endless_line_stops_the_reader() {
        let mut r = StreamReader::default();
        assert_eq!(r.feed(&[b'x'; MAX_LINE + 1]), Err(LineTooLong));
    }
}
