//! The JMA feeds: each configured Atom feed is asked every `every` with
//! `If-Modified-Since`; each entry not yet handled has its report fetched,
//! read (hostile input: `engawa_disaster::xml`'s limits) and ingested. An
//! entry is marked handled only once its report is ingested or refused as
//! garbage; a report that cannot be fetched leaves the feed's
//! `Last-Modified` unstored, so the next pass tries it again. Every failure
//! is logged and kept as the feed's last error for the console.

use std::time::Duration;

use engawa_disaster::{Report, atom};

use super::db::Ingested;
use crate::AppState;

/// Where and how often.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Atom feeds (JMA: `https://www.data.jma.go.jp/developer/xml/feed/extra.xml`
    /// and `eqvol.xml`). None: the task does not run.
    pub urls: Vec<String>,
    pub every: Duration,
    /// For one request, feed or report.
    pub timeout: Duration,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            urls: Vec::new(),
            // JMA's 高頻度 feeds change at most once a minute.
            every: Duration::from_secs(60),
            timeout: Duration::from_secs(20),
        }
    }
}

/// What one pass over a feed did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// 304: nothing new.
    pub not_modified: bool,
    pub new_entries: usize,
    pub ingested: usize,
    pub duplicates: usize,
    pub refused: usize,
}

pub fn client(timeout: Duration) -> reqwest::Client {
    client_of(None, timeout)
}

/// The feeds' client; its User-Agent names the instance that polls, so a
/// feed's operator (and a test) can tell instances apart.
fn client_of(instance: Option<&str>, timeout: Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let agent = match instance {
        Some(i) => format!(
            "engawa-headend/{} (instance {i})",
            env!("CARGO_PKG_VERSION")
        ),
        None => format!("engawa-headend/{}", env!("CARGO_PKG_VERSION")),
    };
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .user_agent(agent)
        .build()
        .expect("a plain client builds")
}

/// Polls every feed until `stop`.
pub async fn run(state: AppState, config: FeedConfig, stop: impl std::future::Future<Output = ()>) {
    if config.urls.is_empty() {
        tracing::info!(
            "no JMA feeds configured (--jma-feed URL): alerts come only from the headquarters"
        );
        return;
    }
    let http = client_of(Some(&state.instance), config.timeout);
    tokio::pin!(stop);
    loop {
        for url in &config.urls {
            match poll(&state, &http, url).await {
                Ok(pass) if pass.new_entries > 0 => {
                    tracing::info!(%url, new = pass.new_entries, ingested = pass.ingested, refused = pass.refused, "JMA feed read")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(%url, error = %e, "JMA feed failed; trying again next pass")
                }
            }
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(config.every) => {}
        }
    }
}

/// One pass over one feed. `Err` is what the console shows as its last
/// error (also stored).
pub async fn poll(state: &AppState, http: &reqwest::Client, url: &str) -> Result<Pass, String> {
    let result = poll_inner(state, http, url).await;
    if let Err(e) = &result
        && let Err(db) = state.db.feed_error(url, e, state.clock.now()).await
    {
        tracing::error!(error = %db, "cannot record a feed's error");
    }
    result
}

async fn poll_inner(state: &AppState, http: &reqwest::Client, url: &str) -> Result<Pass, String> {
    let db = |e: sqlx::Error| format!("database: {e}");
    let mut req = http.get(url);
    if let Some(since) = state.db.feed_last_modified(url).await.map_err(db)? {
        req = req.header(reqwest::header::IF_MODIFIED_SINCE, since);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("cannot reach the feed: {e}"))?;
    let mut pass = Pass::default();
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
        pass.not_modified = true;
        state
            .db
            .feed_ok(url, None, 0, state.clock.now())
            .await
            .map_err(db)?;
        return Ok(pass);
    }
    if !resp.status().is_success() {
        return Err(format!("the feed answered {}", resp.status()));
    }
    let last_modified = resp
        .headers()
        .get(reqwest::header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = read_capped(resp)
        .await?
        .map_err(|n| format!("the feed is larger than {n} bytes"))?;
    let (entries, skipped) =
        atom::parse(&body).map_err(|e| format!("the feed is not readable: {e}"))?;
    if skipped > 0 {
        tracing::warn!(%url, skipped, "feed entries without an id or a link were left out");
    }
    let base = reqwest::Url::parse(url).map_err(|e| format!("the feed's address: {e}"))?;
    let mut refusals = Vec::new();
    // JMA lists the newest first; reports are ingested in the order they came.
    for entry in entries.iter().rev() {
        if state.db.entry_seen(&entry.id).await.map_err(db)? {
            continue;
        }
        pass.new_entries += 1;
        // Atom links may be relative to the feed.
        let link = match base.join(&entry.link) {
            Ok(l) if matches!(l.scheme(), "http" | "https") => l,
            _ => {
                pass.refused += 1;
                tracing::warn!(link = %entry.link, "refused a feed entry's link");
                refusals.push(format!("{}: not a web address", entry.link));
                let outcome = "refused: not a web address";
                state
                    .db
                    .mark_entry(&entry.id, url, &entry.link, outcome, state.clock.now())
                    .await
                    .map_err(db)?;
                continue;
            }
        };
        let bytes = match http.get(link).send().await {
            Ok(r) if r.status().is_success() => read_capped(r).await?,
            Ok(r) => return Err(format!("report {} answered {}", entry.link, r.status())),
            Err(e) => return Err(format!("cannot fetch report {}: {e}", entry.link)),
        };
        let now = state.clock.now();
        let parsed = bytes
            .map_err(|n| format!("larger than {n} bytes"))
            .and_then(|b| Report::parse(&b).map_err(|e| e.to_string()));
        let outcome = match parsed {
            Ok(report) => match state.db.ingest_report(&report, now).await.map_err(db)? {
                Ingested::Duplicate => {
                    pass.duplicates += 1;
                    "duplicate".to_string()
                }
                Ingested::Done(actions) => {
                    pass.ingested += 1;
                    for (m, a) in &actions {
                        tracing::info!(municipality = %m, action = ?a, title = %report.title, event = ?report.event_id, "JMA report acted on");
                    }
                    "ingested".to_string()
                }
            },
            Err(e) => {
                pass.refused += 1;
                tracing::warn!(link = %entry.link, error = %e, "refused a JMA report");
                refusals.push(format!("{}: {e}", entry.link));
                format!("refused: {e}")
            }
        };
        state
            .db
            .mark_entry(&entry.id, url, &entry.link, &outcome, now)
            .await
            .map_err(db)?;
    }
    state.alerts.refresh(&state.db).await.map_err(db)?;
    state
        .db
        .feed_ok(
            url,
            last_modified.as_deref(),
            pass.new_entries as i64,
            state.clock.now(),
        )
        .await
        .map_err(db)?;
    if !refusals.is_empty() {
        // The pass went through, but the console should say a report was garbage.
        let _ = state
            .db
            .feed_error(
                url,
                &format!("refused {}", refusals.join("; ")),
                state.clock.now(),
            )
            .await;
    }
    Ok(pass)
}

/// A body up to the reader's limit (`Err(limit)` past it, refused before it
/// is all in memory); the outer `Err` is a failed read.
async fn read_capped(mut resp: reqwest::Response) -> Result<Result<Vec<u8>, usize>, String> {
    let limit = engawa_disaster::xml::Limits::JMA.max_bytes;
    if resp.content_length().is_some_and(|n| n as usize > limit) {
        return Ok(Err(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading {}: {e}", resp.url()))?
    {
        if body.len() + chunk.len() > limit {
            return Ok(Err(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body))
}
