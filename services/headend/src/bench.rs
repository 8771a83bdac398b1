//! `engawa-headend bench`: the real server (this binary, its real SQLite file in a
//! temporary directory) and simulated boxes on loopback. With `--db
//! postgres://…` it measures, in one run and one after the other, the same
//! load on each set-up — one instance on a SQLite file, one on PostgreSQL,
//! and `--instances N` on PostgreSQL (each a `serve` child process, the boxes
//! spread over them) — and prints them side by side.
//!
//! 1. Heartbeats at rising fixed rates (open loop: each request has a scheduled
//!    send time and its latency counts from then, so a slow server cannot hide
//!    its queue). Reports per step the achieved rate and p50/p99; the result is
//!    the highest rate whose p99 stays within 50 ms.
//! 2. 2,000 orders from 2,000 boxes in the minute before the cut-off, squeezed
//!    into a few seconds, on top of heartbeats; one in ten is sent twice with the
//!    same Idempotency-Key (a box retrying). Reports p50/p99 and counts the orders
//!    in the database afterwards: exactly one per box, none lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use engawa_core::{Clock, ManualClock};
use tokio::task::JoinSet;

use crate::db::NewHousehold;
use crate::{AppState, Db};

pub struct Options {
    pub boxes: usize,
    pub step_seconds: u64,
    pub rates: Vec<u32>,
    pub orders: usize,
    /// A PostgreSQL server (its URL; the bench makes a database of its own
    /// there and drops it): compare the set-ups.
    pub postgres: Option<String>,
    /// Instances of the PostgreSQL set-up with several.
    pub instances: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            boxes: 2_000,
            step_seconds: 5,
            rates: vec![
                1_000, 2_000, 4_000, 6_000, 8_000, 10_000, 12_000, 15_000, 20_000,
            ],
            orders: 2_000,
            postgres: None,
            instances: 2,
        }
    }
}

/// p50, p99, max of latencies in milliseconds.
fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99), v[v.len() - 1])
}

struct Target {
    /// Every instance's address; box `i` talks to `bases[i % n]`.
    bases: Arc<Vec<String>>,
    http: reqwest::Client,
    tokens: Arc<Vec<String>>,
}

impl Target {
    fn base(&self, i: usize) -> &str {
        &self.bases[i % self.bases.len()]
    }
}

/// One step of heartbeats.
struct Step {
    /// Latencies of the answered (200) heartbeats, ms.
    latencies: Vec<f64>,
    /// Refused at once with 503 (past the head-end's room).
    shed: usize,
    /// Anything else: errors, timeouts.
    failed: usize,
    wall: f64,
}

/// Send `rate` heartbeats per second for `seconds`, open loop.
async fn heartbeats(t: &Target, rate: u32, seconds: u64, tag: &str) -> Step {
    let total = rate as usize * seconds as usize;
    let start = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / f64::from(rate));
        tokio::time::sleep_until(due.into()).await;
        let box_no = i % t.tokens.len();
        let (http, url) = (t.http.clone(), format!("{}/v1/heartbeat", t.base(box_no)));
        let token = t.tokens[box_no].clone();
        let key = format!("bench-{tag}-{i:08}");
        set.spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&serde_json::json!({
                    "software_version": "0.1.0", "uptime_s": 600, "last_activity_at": null
                }))
                .send()
                .await;
            let status = r.map(|r| r.status().as_u16()).unwrap_or(0);
            (status, due.elapsed().as_secs_f64() * 1000.0)
        });
    }
    let mut step = Step {
        latencies: Vec::with_capacity(total),
        shed: 0,
        failed: 0,
        wall: 0.0,
    };
    while let Some(r) = set.join_next().await {
        match r {
            Ok((200, ms)) => step.latencies.push(ms),
            Ok((503, _)) => step.shed += 1,
            _ => step.failed += 1,
        }
    }
    step.wall = start.elapsed().as_secs_f64();
    step
}

pub async fn run(opts: Options) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match opts.postgres.clone() {
        None => run_in_process(opts).await,
        Some(server) => compare(&opts, &server).await,
    }
}

/// Households, paired boxes and the demo catalogue: the boxes' tokens.
async fn provision(
    db: &Db,
    boxes: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>> {
    crate::demo::seed(db, now).await?;
    eprintln!("provisioning {boxes} boxes…");
    let mut tokens = Vec::with_capacity(boxes);
    for i in 0..boxes {
        let h = db
            .add_household(
                &NewHousehold {
                    name: format!("世帯{i}"),
                    address: format!("みどり町 {i}"),
                    phone: "0265-00-0000".into(),
                    shop: true,
                    district: format!("地区{}", i % 12),
                    ..Default::default()
                },
                now,
            )
            .await?;
        tokens.push(db.issue_token(h, &format!("EGW-B{i:05}"), now).await?);
    }
    Ok(tokens)
}

fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .timeout(Duration::from_secs(10))
        .build()
        .context("HTTP client")
}

/// Phase 1 of one set-up: the steps, the sustained rate, and twice it.
struct Phase1 {
    rows: Vec<(u32, f64, f64, f64, f64, usize, usize)>,
    best: Option<(u32, f64)>,
}

async fn phase1(t: &Target, opts: &Options, print: bool) -> Phase1 {
    let mut out = Phase1 {
        rows: Vec::new(),
        best: None,
    };
    let measure = |rate: u32, step: Step, out: &mut Phase1| {
        let achieved = step.latencies.len() as f64 / step.wall;
        let (p50, p99, max) = percentiles(step.latencies);
        if print {
            println!(
                "   {rate:>8}  {achieved:>10.0}  {p50:>7.1}  {p99:>7.1}  {max:>7.1}  {:>9}  {:>6}",
                step.shed, step.failed
            );
        }
        out.rows
            .push((rate, achieved, p50, p99, max, step.shed, step.failed));
        (achieved, p99, step.shed + step.failed)
    };
    for &rate in &opts.rates {
        let step = heartbeats(t, rate, opts.step_seconds, &format!("r{rate}")).await;
        let (achieved, p99, refused) = measure(rate, step, &mut out);
        if p99 <= 50.0 && refused == 0 && achieved >= 0.95 * f64::from(rate) {
            out.best = Some((rate, achieved));
        } else if out.best.is_some() {
            break; // past the knee
        }
    }
    if let Some((r, _)) = out.best {
        let twice = r * 2;
        let step = heartbeats(t, twice, opts.step_seconds, &format!("x{twice}")).await;
        measure(twice, step, &mut out);
    }
    out
}

/// Phase 2 of one set-up: the order burst.
struct Burst {
    n: usize,
    created: usize,
    replayed: usize,
    failed: usize,
    wall: f64,
    latency: (f64, f64, f64),
    heartbeats: (f64, f64),
    heartbeats_failed: usize,
    stored: i64,
    keyed: i64,
}

impl Burst {
    fn exact(&self) -> bool {
        self.stored as usize == self.n && self.keyed as usize == self.n
    }
}

async fn order_burst(t: &Target, db: &Db, orders: usize) -> Result<Burst> {
    let catalogue = db.catalogue(1, crate::shop::catalogue::CATEGORIES).await?;
    let items: Vec<(i64, engawa_core::Yen)> = catalogue
        .items
        .iter()
        .map(|i| (i.id, i.price_yen))
        .collect();
    if items.is_empty() {
        bail!("the demo catalogue is empty");
    }
    let n = orders.min(t.tokens.len());
    let burst = Duration::from_secs(5);
    let before = db.order_counts().await?;
    let hb = {
        let t2 = Target {
            bases: t.bases.clone(),
            http: t.http.clone(),
            tokens: t.tokens.clone(),
        };
        tokio::spawn(async move { heartbeats(&t2, 1_000, 6, "burst").await })
    };
    let start = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..n {
        let due = start + burst.mul_f64(i as f64 / n as f64);
        tokio::time::sleep_until(due.into()).await;
        let sends = if i % 10 == 0 { 2 } else { 1 };
        for _ in 0..sends {
            let (http, url) = (t.http.clone(), format!("{}/v1/shop/orders", t.base(i)));
            let token = t.tokens[i].clone();
            let a = items[i % items.len()];
            let b = items[(i * 7 + 3) % items.len()];
            let mut lines =
                vec![serde_json::json!({"item_id": a.0, "qty": 1 + i % 3, "price_yen": a.1})];
            if b.0 != a.0 {
                lines.push(serde_json::json!({"item_id": b.0, "qty": 1, "price_yen": b.1}));
            }
            let key = format!("bench-order-{i:06}");
            set.spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", key)
                    .json(&serde_json::json!({ "lines": lines }))
                    .send()
                    .await;
                let status = r.map(|r| r.status().as_u16()).unwrap_or(0);
                (status, due.elapsed().as_secs_f64() * 1000.0)
            });
        }
    }
    let (mut lat, mut created, mut replayed, mut failed) = (Vec::new(), 0, 0, 0);
    while let Some(r) = set.join_next().await {
        match r {
            Ok((201, ms)) => {
                created += 1;
                lat.push(ms)
            }
            Ok((200, ms)) => {
                replayed += 1;
                lat.push(ms)
            }
            _ => failed += 1,
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let hb_step = hb.await.context("heartbeat task")?;
    let heartbeats_failed = hb_step.shed + hb_step.failed;
    let (hp50, hp99, _) = percentiles(hb_step.latencies);
    let after = db.order_counts().await?;
    Ok(Burst {
        n,
        created,
        replayed,
        failed,
        wall,
        latency: percentiles(lat),
        heartbeats: (hp50, hp99),
        heartbeats_failed,
        stored: after.0 - before.0,
        keyed: after.2 - before.2,
    })
}

/// The default: one head-end in this process on a SQLite file.
async fn run_in_process(opts: Options) -> Result<()> {
    let dir = tempfile_dir()?;
    let db_path = dir.join("bench-headend.db");
    let db = Db::open(&db_path).await?;
    // Wednesday 10:59 in Tokyo: the minute before the cut-off.
    let clock = Arc::new(ManualClock::new(engawa_core::clock::tokyo(
        2026, 11, 25, 10, 59,
    )));
    let tokens = provision(&db, opts.boxes, clock.now()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(db.clone(), clock.clone());
    let writer = state.heartbeats.clone();
    tokio::spawn(crate::serve(listener, state, std::future::pending()));
    let t = Target {
        bases: Arc::new(vec![base]),
        http: client()?,
        tokens: Arc::new(tokens),
    };
    // Warm the connection pool and the database.
    let _ = heartbeats(&t, 200, 1, "warm").await;

    println!(
        "engawa-headend bench — real server, SQLite file {}",
        db_path.display()
    );
    println!(
        "{} cores here, load average {}; {} simulated boxes on loopback",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        crate::disaster::bench::loadavg(),
        opts.boxes
    );
    let batches_before = writer.batches();
    println!(
        "\n1. heartbeats, open loop, {} s per step",
        opts.step_seconds
    );
    println!("   target/s  achieved/s   p50 ms   p99 ms   max ms  shed(503)  failed");
    let p = phase1(&t, &opts, true).await;
    match p.best {
        Some((r, capacity)) => {
            println!(
                "   → highest sustained rate with p99 ≤ 50 ms: {r}/s (= {} boxes at one heartbeat per 5 minutes)",
                u64::from(r) * 300
            );
            if let Some(&(twice, achieved, _, p99, ..)) = p.rows.last() {
                println!(
                    "   → at 2× ({twice}/s offered): goodput {achieved:.0}/s = {:.0} % of the {capacity:.0}/s sustained, p99 of the answered {p99:.1} ms",
                    100.0 * achieved / capacity
                );
            }
        }
        None => println!("   → no step held p99 ≤ 50 ms"),
    }
    println!(
        "   heartbeats written in {} transactions (group commit); load average now {}",
        writer.batches() - batches_before,
        crate::disaster::bench::loadavg()
    );

    // 2. The order burst, on top of heartbeats at 1,000/s.
    let n = opts.orders.min(t.tokens.len());
    println!(
        "\n2. {n} orders from {n} boxes within 5 s (the minute before the cut-off, squeezed), 1 in 10 sent twice, heartbeats 1000/s alongside"
    );
    let b = order_burst(&t, &db, opts.orders).await?;
    println!(
        "   orders: {} created, {} duplicates answered with the same order, {} failed, in {:.1} s",
        b.created, b.replayed, b.failed, b.wall
    );
    let (p50, p99, max) = b.latency;
    println!("   order latency: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");
    println!(
        "   heartbeats alongside: p50 {:.1} ms, p99 {:.1} ms, {} failed",
        b.heartbeats.0, b.heartbeats.1, b.heartbeats_failed
    );
    println!(
        "   in the database: {} orders, {} idempotency keys with an order → {}",
        b.stored,
        b.keyed,
        if b.exact() && b.failed == 0 {
            "none lost, none duplicated"
        } else {
            "MISMATCH"
        }
    );
    if !b.exact() {
        bail!("expected exactly {n} orders, found {}", b.stored);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A set-up being measured: its name, database and instances.
struct Setup {
    name: String,
    location: String,
    instances: usize,
    /// The bench's own PostgreSQL database, dropped at the end.
    made: Option<String>,
}

/// `serve` child processes on `location`, killed when dropped.
struct Instances {
    _children: Vec<tokio::process::Child>,
}

async fn start_instances(location: &str, n: usize) -> Result<(Instances, Vec<String>)> {
    let mut children = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..n {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["serve", "--db", location])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--max-connections", "4096"])
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start a head-end")?;
        children.push(child);
        let base = format!("http://127.0.0.1:{port}");
        let probe = reqwest::Client::new();
        let up = Instant::now();
        while probe.get(format!("{base}/v1/me")).send().await.is_err() {
            if up.elapsed() > Duration::from_secs(30) {
                bail!("a head-end instance did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bases.push(base);
    }
    Ok((
        Instances {
            _children: children,
        },
        bases,
    ))
}

/// A fresh database of the bench's own on the PostgreSQL `server`.
async fn fresh_postgres(server: &str, tag: &str) -> Result<(String, String)> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("engawa_bench_{}_{tag}", std::process::id());
    let mut admin = sqlx::AnyConnection::connect(server)
        .await
        .with_context(|| {
            format!(
                "cannot reach PostgreSQL at {}",
                crate::db::Location::parse(server)
            )
        })?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .context("cannot create the bench's database (the user needs CREATEDB)")?;
    let mut url = url::Url::parse(server).context("--db: not a URL")?;
    url.set_path(&name);
    Ok((url.to_string(), name))
}

async fn drop_postgres(server: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut admin) = sqlx::AnyConnection::connect(server).await {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
    }
}

/// `--db postgres://…`: the same load on each set-up, side by side.
async fn compare(opts: &Options, server: &str) -> Result<()> {
    let dir = tempfile_dir()?;
    let mut setups = vec![Setup {
        name: "SQLite ×1".into(),
        location: dir.join("bench-headend.db").display().to_string(),
        instances: 1,
        made: None,
    }];
    for (k, n) in [1, opts.instances.max(2)].into_iter().enumerate() {
        let (location, name) = fresh_postgres(server, &k.to_string()).await?;
        setups.push(Setup {
            name: format!("PostgreSQL ×{n}"),
            location,
            instances: n,
            made: Some(name),
        });
    }
    println!(
        "engawa-headend bench — each set-up in turn: {} (serve child processes, the boxes spread over the instances)",
        setups
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "{} cores here, load average {}; {} simulated boxes on loopback, {} s per step",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        crate::disaster::bench::loadavg(),
        opts.boxes,
        opts.step_seconds
    );
    let mut results = Vec::new();
    for s in &setups {
        eprintln!("— {} —", s.name);
        let db = Db::connect(&crate::db::Location::parse(&s.location)).await?;
        let tokens = provision(&db, opts.boxes, chrono::Utc::now()).await?;
        let (instances, bases) = start_instances(&s.location, s.instances).await?;
        let t = Target {
            bases: Arc::new(bases),
            http: client()?,
            tokens: Arc::new(tokens),
        };
        let _ = heartbeats(&t, 200, 1, "warm").await;
        let p = phase1(&t, opts, false).await;
        let b = order_burst(&t, &db, opts.orders).await?;
        drop(instances);
        results.push((p, b, crate::disaster::bench::loadavg()));
    }
    for s in &setups {
        if let Some(name) = &s.made {
            drop_postgres(server, name).await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!("\n1. heartbeats, open loop: answered/s · p99 ms · shed (503)");
    print!("   target/s");
    for s in &setups {
        print!("  {:>28}", s.name);
    }
    println!();
    let mut rates: Vec<u32> = results
        .iter()
        .flat_map(|(p, ..)| p.rows.iter().map(|r| r.0))
        .collect();
    rates.sort_unstable();
    rates.dedup();
    for rate in rates {
        print!("   {rate:>8}");
        for (p, ..) in &results {
            match p.rows.iter().find(|r| r.0 == rate) {
                Some(&(_, achieved, _, p99, _, shed, failed)) => print!(
                    "  {:>28}",
                    format!("{achieved:.0} · {p99:.1} · {}", shed + failed)
                ),
                None => print!("  {:>28}", "—"),
            }
        }
        println!();
    }
    print!("   sustained");
    for (p, ..) in &results {
        let cell = match p.best {
            Some((r, _)) => format!("{r}/s at p99 ≤ 50 ms"),
            None => "none at p99 ≤ 50 ms".into(),
        };
        print!("  {cell:>28}");
    }
    println!();
    print!("   2× goodput");
    for (p, ..) in &results {
        let cell = match (p.best, p.rows.last()) {
            (Some((_, capacity)), Some(&(_, achieved, ..))) => {
                format!("{achieved:.0}/s = {:.0} %", 100.0 * achieved / capacity)
            }
            _ => "—".into(),
        };
        print!("  {cell:>28}");
    }
    println!();
    println!(
        "\n2. {} orders within 5 s, 1 in 10 sent twice, heartbeats 1000/s alongside",
        opts.orders
    );
    for ((_, b, load), s) in results.iter().zip(&setups) {
        println!(
            "   {:<16} orders p50 {:.1} ms, p99 {:.1} ms; {} created, {} replays, {} failed; heartbeats p99 {:.1} ms; stored {} → {} (load after {load})",
            s.name,
            b.latency.0,
            b.latency.1,
            b.created,
            b.replayed,
            b.failed,
            b.heartbeats.1,
            b.stored,
            if b.exact() {
                "none lost, none duplicated"
            } else {
                "MISMATCH"
            }
        );
    }
    if let Some((_, b, _)) = results.iter().find(|(_, b, _)| !b.exact()) {
        bail!("expected exactly {} orders, found {}", b.n, b.stored);
    }
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("engawa-headend-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
