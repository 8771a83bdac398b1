//! The disaster service (防災) on the head-end: the JMA feeds (`feed`), the
//! stream hub (`hub`), the boxes' routes (`routes`), the SQL (`db`) and the
//! tables (`schema`), and reading JMA reports from files (`engawa-headend
//! alert parse`), with the pure reader and rules in `engawa_disaster`.

pub mod bench;
pub mod console;
pub mod db;
pub mod feed;
pub mod hub;
pub mod import;
pub mod mails;
pub mod routes;
pub mod schema;

use std::io::Write;
use std::path::Path;

use axum::Router;
use engawa_disaster::Report;
use serde::Serialize;

use crate::AppState;

pub use hub::Hub;

/// The disaster service's box routes and console pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crate::http::box_api(routes::router()))
        .merge(console::router())
}

/// What `alert parse` prints for one report: strings, `null` when the report
/// leaves them empty.
#[derive(Debug, Serialize)]
pub struct ParsedLine<'a> {
    pub file: String,
    pub status: Option<&'a str>,
    pub info_type: Option<&'a str>,
    pub event_id: Option<&'a str>,
    pub serial: Option<&'a str>,
    pub cities: Vec<&'a str>,
}

impl<'a> ParsedLine<'a> {
    pub fn new(file: &Path, r: &'a Report) -> Self {
        ParsedLine {
            file: file.display().to_string(),
            status: r.status.as_deref(),
            info_type: r.info_type.as_deref(),
            event_id: r.event_id.as_deref(),
            serial: r.serial.as_deref(),
            cities: r.cities.iter().map(String::as_str).collect(),
        }
    }
}

/// Reads each file as a JMA report: one JSON line per good file on `out`,
/// the file and the reason for each bad one on `err`. Returns how many were
/// bad. A file larger than the reader accepts is refused before it is read
/// whole.
pub fn parse_files(
    files: &[impl AsRef<Path>],
    out: &mut impl Write,
    err: &mut impl Write,
) -> std::io::Result<usize> {
    let mut bad = 0;
    for file in files {
        let file = file.as_ref();
        let read = std::fs::File::open(file).and_then(|f| {
            use std::io::Read;
            let mut bytes = Vec::new();
            f.take(engawa_disaster::xml::Limits::JMA.max_bytes as u64 + 1)
                .read_to_end(&mut bytes)?;
            Ok(bytes)
        });
        let result = match read {
            Ok(bytes) => Report::parse(&bytes).map_err(|e| e.to_string()),
            Err(e) => Err(format!("cannot read it: {e}")),
        };
        match result {
            Ok(report) => {
                let line = serde_json::to_string(&ParsedLine::new(file, &report))
                    .expect("strings serialise");
                writeln!(out, "{line}")?;
            }
            Err(reason) => {
                bad += 1;
                writeln!(err, "{}: {reason}", file.display())?;
            }
        }
    }
    Ok(bad)
}
