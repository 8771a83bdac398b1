//! `engawa-headend bench alert`: the head-end as it runs (this binary's
//! `serve`, a child process with its own SQLite file in a temporary
//! directory), a loopback Atom feed, and N simulated boxes holding the alert
//! stream (spread over several 127.x source addresses, so ports do not run
//! short). One earthquake report for their municipality is announced on the
//! feed; then its 取消. Printed: p50/p95/max of feed entry → box has the card,
//! answer key → counted on the board, 取消 → card gone; the board's query and
//! page for all households; the head-end's RSS; the machine's load.
//!
//! The feed is polled every second, so "feed entry → card" includes up to a
//! second of waiting for the next pass (as JMA's own feed is polled). Each
//! simulated box holds its own stream connection; their requests share
//! `REQUEST_CONNECTIONS` connections (one process may not open two per box).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use engawa_disaster::policy::Policy;
use tokio::sync::mpsc;

use super::db::Municipality;
use crate::Db;

pub struct Options {
    pub boxes: usize,
}

const CITY: &str = "0000100";
const MUNICIPALITY: &str = "000001";
/// Boxes per source address.
const PER_ADDRESS: usize = 20_000;

fn report(serial: u32, info_type: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
<Control><Title>震度速報</Title><DateTime>2026-12-03T00:00:00Z</DateTime><Status>訓練</Status><EditorialOffice>気象庁本庁</EditorialOffice><PublishingOffice>気象庁</PublishingOffice></Control>
<Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><Title>震度速報</Title><ReportDateTime>2026-12-03T09:00:00+09:00</ReportDateTime><TargetDateTime>2026-12-03T09:00:00+09:00</TargetDateTime><EventID>20261203090000</EventID><InfoType>{info_type}</InfoType><Serial>{serial}</Serial><InfoKind>震度速報</InfoKind><InfoKindVersion>1.0_0</InfoKindVersion><Headline><Text>ベンチの 地震です。</Text></Headline></Head>
<Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/seismology1/"><Intensity><Observation><MaxInt>5+</MaxInt><Pref><Name>ベンチ県</Name><Code>00</Code><MaxInt>5+</MaxInt><Area><Name>ベンチ地方</Name><Code>000</Code><MaxInt>5+</MaxInt><City><Name>ベンチ町</Name><Code>{CITY}</Code><MaxInt>5+</MaxInt></City></Area></Pref></Observation></Intensity></Body>
</Report>"#
    )
}

#[derive(Default)]
struct Feed {
    entries: Vec<(String, String)>,
}

async fn feed_server(feed: Arc<Mutex<Feed>>) -> Result<String> {
    use axum::extract::{Path, State};
    use axum::response::IntoResponse;
    let app = axum::Router::new()
        .route(
            "/feed.xml",
            axum::routing::get(|State(f): State<Arc<Mutex<Feed>>>| async move {
                let f = f.lock().expect("feed lock");
                let mut xml = String::from(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>bench</title>",
                );
                for (id, _) in f.entries.iter().rev() {
                    xml.push_str(&format!(
                        "<entry><title>震度速報</title><id>urn:bench:{id}</id><updated>2026-12-03T00:00:00Z</updated><link href=\"/r/{id}\"/></entry>"
                    ));
                }
                xml.push_str("</feed>");
                xml
            }),
        )
        .route(
            "/r/{id}",
            axum::routing::get(
                |State(f): State<Arc<Mutex<Feed>>>, Path(id): Path<String>| async move {
                    let f = f.lock().expect("feed lock");
                    match f.entries.iter().find(|(i, _)| *i == id) {
                        Some((_, body)) => body.clone().into_response(),
                        None => axum::http::StatusCode::NOT_FOUND.into_response(),
                    }
                },
            ),
        )
        .with_state(feed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/feed.xml", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// n households in one municipality, each with a box that has just sent a
/// heartbeat; their tokens.
async fn prepare(db: &Db, n: usize) -> Result<Vec<String>> {
    let mut m = Municipality::new(
        MUNICIPALITY,
        "ベンチ町",
        [CITY.to_string()].into(),
        Policy {
            quake_from: Some(engawa_disaster::Intensity::I5Lower),
            ..Default::default()
        },
    );
    m.family_after_min = 24 * 60;
    m.helpers_after_min = 24 * 60;
    db.set_municipality(&m).await?;
    let now = Utc::now().timestamp();
    let mut tokens = Vec::with_capacity(n);
    let mut tx = db.write_tx().await?;
    for i in 0..n {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO households (name, address, phone, lat, lon, created_at, district, municipality, jma_city, support_consent)
             VALUES ($1, $2, '0000-00-0000', 35.0, 138.0, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(format!("世帯{i}"))
        .bind(format!("ベンチ町 {i}"))
        .bind(now)
        .bind(format!("地区{:02}", i % 20))
        .bind(MUNICIPALITY)
        .bind(CITY)
        .bind((i % 10 == 0).then_some("2026-04-01"))
        .fetch_one(&mut *tx)
        .await?;
        let token = crate::secret::new_secret();
        sqlx::query(
            "INSERT INTO boxes (household_id, serial, token_hash, created_at, last_heartbeat_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(format!("bench-{i}"))
        .bind(crate::secret::hash(&token))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tokens.push(token);
    }
    tx.commit().await?;
    Ok(tokens)
}

/// What one box saw, in seconds since the bench's start.
#[derive(Default, Clone, Copy)]
struct Seen {
    card_at: Option<f64>,
    answered_at: Option<f64>,
    gone_at: Option<f64>,
    campaign: i64,
}

const WAITING: u8 = 0;
const ALERT: u8 = 1;
const CANCEL: u8 = 2;

/// The boxes' requests (the card, the answer) share this many connections:
/// each box also holds its stream, and one process here may open only
/// ~20,000 files. Waiting for one counts in the latencies, as the head-end's
/// queue would.
const REQUEST_CONNECTIONS: usize = 512;

/// The stream's client and the shared one for requests.
#[derive(Clone)]
struct Clients {
    stream: reqwest::Client,
    requests: reqwest::Client,
    /// Half the connections for fetching cards, half for answers, so the
    /// bench's own queue of answers never delays another box's card.
    reads: Arc<tokio::sync::Semaphore>,
    writes: Arc<tokio::sync::Semaphore>,
    failures: Arc<Failures>,
}

/// Requests that failed (and were tried again, as a box does).
#[derive(Default)]
struct Failures {
    count: std::sync::atomic::AtomicUsize,
    first: Mutex<Option<String>>,
}

impl Failures {
    fn note(&self, what: impl std::fmt::Display) {
        self.count.fetch_add(1, Ordering::SeqCst);
        let mut first = self.first.lock().expect("failures lock");
        if first.is_none() {
            *first = Some(what.to_string());
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn a_box(
    c: Clients,
    base: Arc<str>,
    token: String,
    key: String,
    phase: Arc<AtomicU8>,
    start: Instant,
    ready: mpsc::Sender<()>,
    seen: mpsc::UnboundedSender<(usize, Seen)>,
    me: usize,
) {
    let mut state = Seen::default();
    // Reconnect with jitter, as a box does; a bench box gives up after a minute.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut told_ready = false;
    while Instant::now() < deadline {
        let resp = c
            .stream
            .get(format!("{base}/v1/alert/stream"))
            .bearer_auth(&token)
            .send()
            .await;
        let Ok(mut resp) = resp else {
            tokio::time::sleep(Duration::from_millis(200 + (me as u64 % 800))).await;
            continue;
        };
        let mut buf = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                if !event.lines().any(|l| l.starts_with("data: ")) {
                    continue;
                }
                if !told_ready {
                    told_ready = true;
                    let _ = ready.send(()).await;
                    continue;
                }
                // The card, tried again after a second when it fails (the
                // box's worker does the same, with a growing wait).
                let mut now = None;
                for _ in 0..30 {
                    let slot = c.reads.acquire().await;
                    let got = match c
                        .requests
                        .get(format!("{base}/v1/alert"))
                        .bearer_auth(&token)
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => r
                            .json::<engawa_disaster::api::AlertNow>()
                            .await
                            .map_err(|e| e.to_string()),
                        Ok(r) => Err(format!("GET /v1/alert: {}", r.status())),
                        Err(e) => Err(format!("GET /v1/alert: {e}")),
                    };
                    drop(slot);
                    match got {
                        Ok(n) => {
                            now = Some(n);
                            break;
                        }
                        Err(e) => {
                            c.failures.note(e);
                            tokio::time::sleep(Duration::from_millis(1000 + (me as u64 % 500)))
                                .await;
                        }
                    }
                }
                let Some(now) = now else { continue };
                let t = start.elapsed().as_secs_f64();
                match (phase.load(Ordering::SeqCst), now.alert) {
                    (ALERT, Some(card)) if state.card_at.is_none() => {
                        state.card_at = Some(t);
                        state.campaign = card.campaign_id;
                        let body = engawa_disaster::api::AnswerRequest {
                            campaign_id: card.campaign_id,
                            answer: engawa_disaster::api::Answer::Safe,
                            answered_at: Utc::now(),
                        };
                        let _slot = c.writes.acquire().await;
                        let sent = start.elapsed().as_secs_f64();
                        for _ in 0..30 {
                            match c
                                .requests
                                .post(format!("{base}/v1/alert/answer"))
                                .bearer_auth(&token)
                                .header("Idempotency-Key", &key)
                                .json(&body)
                                .send()
                                .await
                            {
                                Ok(r) if r.status().is_success() => {
                                    state.answered_at = Some(sent);
                                    break;
                                }
                                Ok(r) => c
                                    .failures
                                    .note(format!("POST /v1/alert/answer: {}", r.status())),
                                Err(e) => c.failures.note(format!("POST /v1/alert/answer: {e}")),
                            }
                            tokio::time::sleep(Duration::from_millis(1000 + (me as u64 % 500)))
                                .await;
                        }
                        let _ = seen.send((me, state));
                    }
                    (CANCEL, None) if state.gone_at.is_none() => {
                        state.gone_at = Some(t);
                        let _ = seen.send((me, state));
                        return;
                    }
                    _ => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200 + (me as u64 % 800))).await;
    }
}

fn pct(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "—".into();
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    format!(
        "p50 {:>7.0} ms  p95 {:>7.0} ms  max {:>7.0} ms  ({} boxes)",
        at(0.5) * 1000.0,
        at(0.95) * 1000.0,
        v[v.len() - 1] * 1000.0,
        v.len()
    )
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// (soft, hard) limit of open files of this process, from /proc.
fn open_files_limit() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    let mut n = line["Max open files".len()..].split_whitespace();
    let num = |v: Option<&str>| v.and_then(|v| v.parse().ok()).unwrap_or(u64::MAX);
    Some((num(n.next()), num(n.next())))
}

pub async fn run(o: Options) -> Result<()> {
    let n = o.boxes;
    // Each box's stream is a file here and one in the head-end (a child
    // with the same limit), plus the request pool and a few.
    let need = (n + REQUEST_CONNECTIONS + 128) as u64;
    if let Some((soft, hard)) = open_files_limit()
        && need > soft
    {
        bail!(
            "{n} boxes need about {need} open files in this process and as many in the head-end; \
             this process may open {soft} (hard limit {hard}): raise `ulimit -n` or use fewer boxes"
        );
    }
    let dir = std::env::temp_dir().join(format!("engawa-bench-alert-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("headend.db");
    println!(
        "engawa-headend bench alert — {n} boxes, head-end as a child process, SQLite file {}",
        path.display()
    );
    println!(
        "machine: {} cores, load {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    let db = Db::open(&path).await?;
    let t = Instant::now();
    let tokens = prepare(&db, n).await?;
    println!(
        "prepared {n} households and boxes in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let feed = Arc::new(Mutex::new(Feed::default()));
    let feed_url = feed_server(feed.clone()).await?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let base: Arc<str> = Arc::from(format!("http://127.0.0.1:{port}").as_str());
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--db"])
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--jma-feed", &feed_url, "--jma-every", "1"])
        // Room for the streams, the bench's own request pool and the HQ's
        // page: with exactly n + 512 the page's new connection waited in the
        // accept queue until one of the pool's idle ones timed out (4 s).
        .args([
            "--max-connections",
            &(n + REQUEST_CONNECTIONS + 64).to_string(),
        ])
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the head-end")?;
    let pid = child.id().context("the head-end has no pid")?;
    let probe = reqwest::Client::new();
    let up = Instant::now();
    while probe.get(format!("{base}/v1/me")).send().await.is_err() {
        if up.elapsed() > Duration::from_secs(30) {
            bail!("the head-end did not start");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle_rss = status_kb(pid, "VmRSS:").unwrap_or(0);

    let start = Instant::now();
    let phase = Arc::new(AtomicU8::new(WAITING));
    let (ready_tx, mut ready_rx) = mpsc::channel(n.max(1));
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let clients: Vec<reqwest::Client> = (0..n.div_ceil(PER_ADDRESS))
        .map(|k| {
            reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 0, (k + 1) as u8]))
                .pool_max_idle_per_host(PER_ADDRESS)
                .timeout(Duration::from_secs(600))
                .build()
        })
        .collect::<Result<_, _>>()?;
    let requests = reqwest::Client::builder()
        .pool_max_idle_per_host(REQUEST_CONNECTIONS)
        .timeout(Duration::from_secs(60))
        .build()?;
    let reads = Arc::new(tokio::sync::Semaphore::new(REQUEST_CONNECTIONS / 2));
    let writes = Arc::new(tokio::sync::Semaphore::new(REQUEST_CONNECTIONS / 2));
    let failures = Arc::new(Failures::default());
    for (i, token) in tokens.into_iter().enumerate() {
        let c = Clients {
            stream: clients[i / PER_ADDRESS].clone(),
            requests: requests.clone(),
            reads: reads.clone(),
            writes: writes.clone(),
            failures: failures.clone(),
        };
        tokio::spawn(a_box(
            c,
            base.clone(),
            token,
            format!("bench-answer-{i:08}"),
            phase.clone(),
            start,
            ready_tx.clone(),
            seen_tx.clone(),
            i,
        ));
    }
    drop(ready_tx);
    let mut ready = 0;
    while ready < n {
        match tokio::time::timeout(Duration::from_secs(120), ready_rx.recv()).await {
            Ok(Some(())) => ready += 1,
            _ => bail!("only {ready} of {n} boxes got their stream"),
        }
    }
    println!(
        "{n} streams open after {:.1} s; head-end RSS {} MB idle, {} MB with the streams",
        start.elapsed().as_secs_f64(),
        idle_rss / 1024,
        status_kb(pid, "VmRSS:").unwrap_or(0) / 1024
    );

    // The earthquake.
    phase.store(ALERT, Ordering::SeqCst);
    let alert_at = start.elapsed().as_secs_f64();
    feed.lock()
        .expect("feed lock")
        .entries
        .push(("quake".into(), report(1, "発表")));
    let mut seen: HashMap<usize, Seen> = HashMap::new();
    let mut counted: HashMap<i64, f64> = HashMap::new();
    let mut board_ms = Vec::new();
    let reader = Db::open(&path).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut campaign = 0;
    while (seen.values().filter(|s| s.card_at.is_some()).count() < n || counted.len() < n)
        && Instant::now() < deadline
    {
        while let Ok((i, s)) = seen_rx.try_recv() {
            campaign = s.campaign;
            seen.insert(i, s);
        }
        if campaign != 0 {
            // What the board counts: the answers recorded (the whole board
            // is timed on its own below; polling it here would load the
            // machine the head-end runs on).
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT household_id FROM answers WHERE campaign_id = $1")
                    .bind(campaign)
                    .fetch_all(&reader.pool)
                    .await?;
            let now = start.elapsed().as_secs_f64();
            for id in ids {
                counted.entry(id).or_insert(now);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered: Vec<f64> = seen
        .values()
        .filter_map(|s| s.card_at)
        .map(|t| t - alert_at)
        .collect();
    // Households were inserted in box order: household i+1 is box i.
    let first_household: i64 = sqlx::query_scalar("SELECT MIN(id) FROM households")
        .fetch_one(&reader.pool)
        .await?;
    let answers: Vec<f64> = seen
        .iter()
        .filter_map(|(i, s)| {
            let sent = s.answered_at?;
            counted
                .get(&(first_household + *i as i64))
                .map(|c| (c - sent).max(0.0))
        })
        .collect();
    let peak_rss = status_kb(pid, "VmRSS:").unwrap_or(0);
    let mut summary_ms = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let s = reader
            .board_summary(campaign, Utc::now(), crate::disaster::console::BOARD_LIST)
            .await?
            .context("no board")?;
        summary_ms.push(t.elapsed().as_secs_f64());
        if s.total.safe as usize != counted.len() {
            bail!(
                "the board page counts {} safe, the answers are {}",
                s.total.safe,
                counted.len()
            );
        }
        let t = Instant::now();
        let b = reader
            .board(campaign, Utc::now())
            .await?
            .context("no board")?;
        board_ms.push(t.elapsed().as_secs_f64());
        if b.total.safe as usize != counted.len() {
            bail!(
                "the board counts {} safe, the answers are {}",
                b.total.safe,
                counted.len()
            );
        }
    }

    // The board as HQ sees it: the query and the whole page over HTTP.
    let op = reader
        .add_operator("bench", "x", &crate::db::Grant::admin(), Utc::now())
        .await?;
    let session = crate::secret::new_secret();
    reader
        .create_session(&crate::secret::hash(&session), op, "csrf", Utc::now(), 3600)
        .await?;
    let mut page_ms = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = probe
            .get(format!("{base}/console/disaster/{campaign}"))
            .header("cookie", format!("__Host-engawa_session={session}"))
            .send()
            .await?;
        let ok = r.status().is_success();
        let len = r.bytes().await?.len();
        if !ok || len < 1000 {
            bail!("the board page did not come ({len} bytes)");
        }
        page_ms.push(t.elapsed().as_secs_f64());
    }

    // 取消.
    phase.store(CANCEL, Ordering::SeqCst);
    let cancel_at = start.elapsed().as_secs_f64();
    feed.lock()
        .expect("feed lock")
        .entries
        .push(("cancel".into(), report(2, "取消")));
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.values().filter(|s| s.gone_at.is_some()).count() < n && Instant::now() < deadline {
        while let Ok((i, s)) = seen_rx.try_recv() {
            seen.insert(i, s);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cleared: Vec<f64> = seen
        .values()
        .filter_map(|s| s.gone_at)
        .map(|t| t - cancel_at)
        .collect();
    let hwm = status_kb(pid, "VmHWM:").unwrap_or(0);

    println!("feed entry → box has the card   {}", pct(delivered));
    println!("answer key → counted on board   {}", pct(answers));
    println!("取消 → card gone                 {}", pct(cleared));
    println!(
        "board page's query (SQL tallies, {} listed) {}",
        crate::disaster::console::BOARD_LIST,
        pct(summary_ms).replace("boxes", "queries")
    );
    println!(
        "full board (patrol list, CSV), {n} households {}",
        pct(board_ms).replace("boxes", "queries")
    );
    println!(
        "board page over HTTP            {}  (each: {})",
        pct(page_ms.clone()).replace("boxes", "pages"),
        page_ms
            .iter()
            .map(|t| format!("{:.0}", t * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "head-end RSS: {} MB idle, {} MB during the alert, peak {} MB; load now {}",
        idle_rss / 1024,
        peak_rss / 1024,
        hwm / 1024,
        loadavg()
    );
    let failed = failures.count.load(Ordering::SeqCst);
    match failures.first.lock().expect("failures lock").as_deref() {
        Some(first) => {
            println!("requests that failed and were tried again: {failed} (the first: {first})")
        }
        None => println!("requests that failed: 0"),
    }
    println!("goals at 10,000: delivery p95 ≤ 5 s, answers counted p95 ≤ 5 s, board ≤ 200 ms");
    let _ = child.start_kill();
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
