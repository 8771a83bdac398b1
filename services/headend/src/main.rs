//! engawa-headend: wiring and the operator's command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use engawa_core::{Clock, SystemClock};
use engawa_headend::db::{ApproveRefusal, NewHousehold};
use engawa_headend::{AppState, Db};

const USAGE: &str = "\
engawa-headend — the CATV operator's service for engawa boxes

usage:
  engawa-headend serve [--db FILE] [--listen 127.0.0.1:8080] [--public-url https://…] [--mail FILE.toml] [--travel-matrix FILE]
  engawa-headend household add --name NAME --address ADDRESS --phone PHONE [--district D] [--lat N --lon N] [--shop] [--ride] [--eligibility LIST] [--db FILE]
  engawa-headend operator add --name NAME [--db FILE]     (password read from standard input)
  engawa-headend pair approve CODE --household ID [--db FILE]
  engawa-headend box list [--db FILE]
  engawa-headend box revoke ID [--db FILE]
  engawa-headend seller add --name NAME --phone PHONE [--db FILE]
  engawa-headend catalogue import FILE.csv [--db FILE]
  engawa-headend catalogue list [--db FILE]
  engawa-headend catalogue photo ITEM FILE.png [--db FILE]
  engawa-headend shop rules [--cutoff HH:MM] [--weekdays 1-5] [--holidays 2026-12-31,2027-01-01] [--db FILE]
  engawa-headend orders [--day YYYY-MM-DD] [--db FILE]
  engawa-headend ride vehicle --name 1号車 --seats 3 --shift 08:00-17:00 --depot LAT,LON [--wheelchair] [--db FILE]
  engawa-headend ride rider --household ID [--needs 車いす,玄関まで介助] [--extra-minutes 5] [--db FILE]
  engawa-headend ride place --name みどり病院 --kind 病院 --at LAT,LON [--district 中心部] [--db FILE]
  engawa-headend ride favourite --household ID --place ID [--db FILE]
  engawa-headend ride plan [--day YYYY-MM-DD] [--db FILE]     (the drivers' manifests)
  engawa-headend ride fares [--category 免許返納 --fare 250 | --remove 免許返納] [--tv-discount 100] [--db FILE]
  engawa-headend ride zone --link 北部,中心部 | --unlink 北部,中心部 [--db FILE]     (no links: one zone)
  engawa-headend dispatch solve --instance FILE --time-limit SECS [--seed N] --out SOLUTION.json
  engawa-headend dispatch verify --instance FILE --solution SOLUTION.json
  engawa-headend dispatch bench --dir DIR --time-limit SECS [--seed N] [--jobs 1] [--bks FILE]
  engawa-headend dispatch online --dir DIR [--lead 60] [--improve-ms 20]
  engawa-headend dispatch generate --like a4-40.txt [--seed 1] --out FILE     (a fresh instance drawn the same way)
  engawa-headend dispatch day [--requests 80] [--vehicles 4] [--seats 3] [--seed 1] [--improve-rounds 100]
  engawa-headend bench [--boxes 2000] [--seconds 5] [--rates 500,1000,2000,…] [--orders 2000]
  engawa-headend billing export --month YYYY-MM [--out-dir DIR] [--bom] [--db FILE]

Catalogue CSV columns: seller,category,name,price_yen,unit,on_sale (UTF-8, BOM allowed).
A file with any bad row is refused whole, every bad row named by line.
Weekdays are 1 (Monday) to 7 (Sunday), as ranges and lists: 1-5, 1,3,5, 1-6.
The billing export writes households-YYYY-MM.csv and sellers-YYYY-MM.csv; their
columns are documented in services/headend/src/billing.rs.

The travel matrix (a routing engine's times for the taxi's places): first line
the number of places P, then P lines `latitude longitude`, then P rows of P
minutes; other places fall back to haversine × 1.3 at 30 km/h.

The mail file has one [mail] table: host, port, security (starttls|tls|none),
credentials_file (two lines: user, password), from, reply_to. Without it,
watch-over mails wait in the outbox.

The database defaults to ./engawa-headend.db (SQLite).";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                // The benchmark prints its own numbers; a log line per request
                // would drown them (and slow the server it measures).
                let bench = std::env::args().nth(1).as_deref() == Some("bench");
                tracing_subscriber::EnvFilter::new(if bench { "warn" } else { "info" })
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("engawa-headend: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engawa-headend: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` style options, plus bare flags and positionals.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, Option<String>)>,
}

impl Args {
    fn parse(raw: &[String], flags: &[&str]) -> Args {
        let (mut positional, mut options) = (Vec::new(), Vec::new());
        let mut it = raw.iter();
        while let Some(a) = it.next() {
            match a.strip_prefix("--") {
                Some(name) if flags.contains(&name) => options.push((name.to_string(), None)),
                Some(name) => options.push((name.to_string(), it.next().cloned())),
                None => positional.push(a.clone()),
            }
        }
        Args {
            positional,
            options,
        }
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }
    fn need(&self, name: &str) -> Result<&str> {
        self.get(name)
            .with_context(|| format!("--{name} is required\n\n{USAGE}"))
    }
    fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| n == name)
    }
    fn check_known(&self, known: &[&str]) -> Result<()> {
        for (n, _) in &self.options {
            if !known.contains(&n.as_str()) {
                bail!("unknown option --{n}\n\n{USAGE}");
            }
        }
        Ok(())
    }
    async fn db(&self) -> Result<Db> {
        let path = PathBuf::from(self.get("db").unwrap_or("engawa-headend.db"));
        Db::open(&path)
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))
    }
}

async fn run(raw: Vec<String>) -> Result<()> {
    let clock = SystemClock;
    let words: Vec<&str> = raw.iter().map(String::as_str).take(2).collect();
    match words.as_slice() {
        ["serve", ..] => {
            let a = Args::parse(&raw[1..], &[]);
            a.check_known(&["db", "listen", "public-url", "mail", "travel-matrix"])?;
            let addr: SocketAddr = a
                .get("listen")
                .unwrap_or("127.0.0.1:8080")
                .parse()
                .context("--listen: expected an address such as 127.0.0.1:8080")?;
            let mut state = AppState::new(a.db().await?, Arc::new(SystemClock));
            if let Some(url) = a.get("public-url") {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    bail!("--public-url: expected an address such as https://center.example.jp");
                }
                state = state.with_public_url(url);
            }
            if let Some(path) = a.get("travel-matrix") {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the travel matrix {path}"))?;
                let table = engawa_ride::travel::Table::parse(
                    &text,
                    engawa_ride::travel::Haversine::default(),
                )
                .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
                tracing::info!(path, "taxi travel times from a routing engine's matrix");
                state = state.with_travel(std::sync::Arc::new(table));
            }
            let mail = match a.get("mail") {
                Some(path) => engawa_headend::watch::mail_settings(std::path::Path::new(path))?,
                None => None,
            };
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(addr = %listener.local_addr()?, "engawa-headend listening");
            let stop = tokio_util::sync::CancellationToken::new();
            let on_signal = stop.clone();
            // SIGTERM (systemd stopping the service) or SIGINT (Ctrl-C).
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .context("cannot watch for SIGTERM")?;
            tokio::spawn(async move {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                tracing::info!("shutting down");
                on_signal.cancel();
            });
            let tasks = engawa_headend::startup::Tasks {
                mail,
                ..Default::default()
            };
            engawa_headend::startup::start(state, tasks, stop)
                .serve(listener, engawa_headend::http::server::Limits::default())
                .await?;
            Ok(())
        }
        ["household", "add"] => {
            let a = Args::parse(&raw[2..], &["shop", "ride"]);
            a.check_known(&[
                "name",
                "address",
                "phone",
                "lat",
                "lon",
                "shop",
                "ride",
                "district",
                "eligibility",
                "db",
            ])?;
            let coord = |n: &str| -> Result<Option<f64>> {
                a.get(n)
                    .map(|v| {
                        v.parse()
                            .with_context(|| format!("--{n}: not a number: {v}"))
                    })
                    .transpose()
            };
            let h = NewHousehold {
                name: a.need("name")?.to_string(),
                address: a.need("address")?.to_string(),
                phone: a.need("phone")?.to_string(),
                lat: coord("lat")?,
                lon: coord("lon")?,
                shop: a.flag("shop"),
                ride: a.flag("ride"),
                district: a.get("district").unwrap_or_default().to_string(),
                eligibility: a.get("eligibility").unwrap_or_default().to_string(),
            };
            let db = a.db().await?;
            let unknown = db.fares().await?.unknown(&h.eligibility).join(", ");
            if !unknown.is_empty() {
                bail!(
                    "--eligibility: unknown categories {unknown}; the fare table has {} (ride fares --category NAME --fare YEN adds one)",
                    db.fares().await?.names()
                );
            }
            let id = db.add_household(&h, clock.now()).await?;
            println!("household {id} added");
            Ok(())
        }
        ["pair", "approve"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["household", "db"])?;
            let code = a
                .positional
                .first()
                .context("pair approve: give the pairing code shown on the TV")?;
            let household: i64 = a
                .need("household")?
                .parse()
                .context("--household: expected a number")?;
            let db = a.db().await?;
            match db.approve_pairing(code, household, clock.now()).await? {
                Ok(serial) => {
                    println!("box {serial} will join household {household} at its next poll");
                    for b in db.boxes().await? {
                        if b.household_id == household && !b.revoked {
                            eprintln!(
                                "note: household {household} already has box {} ({}) in use; if the new box replaces it, revoke it with `engawa-headend box revoke {}`",
                                b.id, b.serial, b.id
                            );
                        }
                    }
                    Ok(())
                }
                Err(ApproveRefusal::UnknownCode) => bail!(
                    "no waiting box shows the code {code:?} (typo, or expired after 15 minutes?)"
                ),
                Err(ApproveRefusal::NoSuchHousehold) => bail!("there is no household {household}"),
                Err(ApproveRefusal::TooManyAttempts) => {
                    bail!("too many wrong codes in the last 10 minutes; wait and try again")
                }
            }
        }
        ["operator", "add"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["name", "db"])?;
            let name = a.need("name")?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 10 {
                bail!("the password must have at least 10 characters");
            }
            let hash = engawa_headend::console::hash_password(password)?;
            let id = a.db().await?.add_operator(name, &hash, clock.now()).await?;
            println!("operator {id} ({name}) can log in at /console");
            Ok(())
        }
        ["box", "list"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["db"])?;
            for b in a.db().await?.boxes().await? {
                println!(
                    "{}\thousehold {}\t{}\t{}\tlast heartbeat {}",
                    b.id,
                    b.household_id,
                    b.serial,
                    if b.revoked { "revoked" } else { "active" },
                    b.last_heartbeat_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into())
                );
            }
            Ok(())
        }
        ["box", "revoke"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["db"])?;
            let id: i64 = a
                .positional
                .first()
                .context("box revoke: give the box id (see box list)")?
                .parse()
                .context("box id: expected a number")?;
            if a.db().await?.revoke_box(id, clock.now()).await? {
                println!("box {id} revoked; its token no longer works");
                Ok(())
            } else {
                bail!("no active box {id}")
            }
        }
        ["seller", "add"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["name", "phone", "db"])?;
            let id = a
                .db()
                .await?
                .add_seller(a.need("name")?, a.need("phone")?, clock.now())
                .await?;
            println!("seller {id} added");
            Ok(())
        }
        ["catalogue", "import"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["db"])?;
            let file = a
                .positional
                .first()
                .context("catalogue import: give the CSV file")?;
            let data = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
            let rows = match engawa_headend::catalogue::parse(&data) {
                Ok(rows) => rows,
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{file}: {e}");
                    }
                    bail!("{file}: {} bad rows; nothing imported", errors.len());
                }
            };
            match a.db().await?.import_items(&rows, clock.now()).await? {
                Ok(n) => {
                    println!("{n} items imported from {file}");
                    Ok(())
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{file}: {e}");
                    }
                    bail!("{file}: {} bad rows; nothing imported", errors.len())
                }
            }
        }
        ["catalogue", "photo"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["db"])?;
            let [item, file] = a.positional.as_slice() else {
                bail!("catalogue photo: give the item number (see catalogue list) and a PNG file");
            };
            let item: i64 = item.parse().context("item: expected a number")?;
            let data = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
            engawa_shop::photo::check(&data).map_err(|why| anyhow::anyhow!("{file}: {why}"))?;
            match a.db().await?.set_photo(item, &data, clock.now()).await? {
                Some(v) => println!("photo of item {item} stored (version {v})"),
                None => bail!("there is no item {item}"),
            }
            Ok(())
        }
        ["catalogue", "list"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["db"])?;
            for it in a.db().await?.items().await? {
                let price = engawa_core::Yen(it.price_yen).to_ja();
                let sale = if it.on_sale { "" } else { "\t(off sale)" };
                let photo = if it.photo { "\tphoto" } else { "" };
                println!(
                    "{}\t{}\t{}\t{}\t{price}\t{}{photo}{sale}",
                    it.id, it.category, it.name, it.unit, it.seller
                );
            }
            Ok(())
        }
        ["shop", "rules"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["cutoff", "weekdays", "holidays", "db"])?;
            let db = a.db().await?;
            let mut rules = db.delivery_rules().await?;
            if let Some(c) = a.get("cutoff") {
                rules.cutoff = chrono::NaiveTime::parse_from_str(c, "%H:%M")
                    .with_context(|| format!("--cutoff: expected HH:MM, got {c:?}"))?;
            }
            if let Some(w) = a.get("weekdays") {
                rules.weekdays = parse_weekdays(w)?;
            }
            if let Some(h) = a.get("holidays") {
                rules.holidays = h
                    .split(',')
                    .filter(|d| !d.trim().is_empty())
                    .map(|d| {
                        d.trim()
                            .parse()
                            .with_context(|| format!("--holidays: not a date: {d:?}"))
                    })
                    .collect::<Result<_>>()?;
            }
            db.set_delivery_rules(&rules).await?;
            let days: Vec<String> = (0..7)
                .filter(|i| rules.weekdays[*i])
                .map(|i| (i + 1).to_string())
                .collect();
            println!(
                "cut-off {}, delivery weekdays {}, {} holidays",
                rules.cutoff.format("%H:%M"),
                days.join(","),
                rules.holidays.len()
            );
            Ok(())
        }
        ["orders", ..] => {
            let a = Args::parse(&raw[1..], &[]);
            a.check_known(&["day", "db"])?;
            let day = match a.get("day") {
                Some(d) => d
                    .parse()
                    .with_context(|| format!("--day: not a date: {d:?}"))?,
                None => clock.now().with_timezone(&engawa_core::TOKYO).date_naive(),
            };
            let orders = a.db().await?.orders_on(day).await?;
            for d in &orders {
                let (o, hid, name, address) = (&d.order, d.household_id, &d.name, &d.address);
                for l in &o.lines {
                    println!(
                        "{}	household {hid}	{name}	{address}	{}	{} x{}	{}",
                        o.id,
                        l.name,
                        l.unit,
                        l.qty,
                        engawa_core::Yen(l.price_yen * i64::from(l.qty)).to_ja()
                    );
                }
            }
            println!("{} orders for delivery on {day}", orders.len());
            Ok(())
        }
        ["billing", "export"] => {
            let a = Args::parse(&raw[2..], &["bom"]);
            a.check_known(&["month", "out-dir", "bom", "db"])?;
            let month = a.need("month")?;
            let (first, last) = engawa_headend::billing::month_bounds(month)
                .with_context(|| format!("--month: expected YYYY-MM, got {month:?}"))?;
            let b = a.db().await?.billing_month(first, last).await?;
            let e = engawa_headend::billing::export(month, &b, a.flag("bom"))?;
            if !e.totals.reconciles() {
                bail!(
                    "the month does not reconcile: {:?}; nothing written",
                    e.totals
                );
            }
            let dir = PathBuf::from(a.get("out-dir").unwrap_or("."));
            for (name, data) in [
                (format!("households-{month}.csv"), &e.households_csv),
                (format!("sellers-{month}.csv"), &e.sellers_csv),
            ] {
                let path = dir.join(name);
                engawa_headend::billing::write_private(&path, data)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            let t = e.totals;
            println!(
                "{month}: {} households, monthly fees {}, goods {}, {} taxi rides {}; sellers gross {} = fee {} + payout {}",
                t.households,
                engawa_core::Yen(t.monthly_fees).to_ja(),
                engawa_core::Yen(t.goods).to_ja(),
                t.rides,
                engawa_core::Yen(t.ride_yen).to_ja(),
                engawa_core::Yen(t.gross).to_ja(),
                engawa_core::Yen(t.fees).to_ja(),
                engawa_core::Yen(t.payouts).to_ja(),
            );
            Ok(())
        }
        ["dispatch", "solve"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["instance", "time-limit", "seed", "out"])?;
            let (inst, out) = (a.need("instance")?, a.need("out")?);
            engawa_headend::dispatch::solve(
                std::path::Path::new(inst),
                seconds(a.get("time-limit").unwrap_or("10"))?,
                a.get("seed")
                    .unwrap_or("1")
                    .parse()
                    .context("--seed: a whole number")?,
                std::path::Path::new(out),
            )
        }
        ["dispatch", "verify"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["instance", "solution"])?;
            engawa_headend::dispatch::check(
                std::path::Path::new(a.need("instance")?),
                std::path::Path::new(a.need("solution")?),
            )
        }
        ["dispatch", "bench"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["dir", "time-limit", "seed", "jobs", "bks"])?;
            if cfg!(debug_assertions) {
                eprintln!(
                    "note: a debug build; measure with `cargo run --release -p engawa-headend -- dispatch bench …`"
                );
            }
            engawa_headend::dispatch::bench(
                std::path::Path::new(a.need("dir")?),
                seconds(a.get("time-limit").unwrap_or("10"))?,
                a.get("seed")
                    .unwrap_or("1")
                    .parse()
                    .context("--seed: a whole number")?,
                a.get("jobs")
                    .unwrap_or("1")
                    .parse()
                    .context("--jobs: a whole number")?,
                a.get("bks").map(PathBuf::from),
            )
        }
        ["ride", "vehicle"] => {
            let a = Args::parse(&raw[2..], &["wheelchair"]);
            a.check_known(&["name", "seats", "shift", "depot", "wheelchair", "db"])?;
            let seats: i32 = a
                .need("seats")?
                .parse()
                .context("--seats: a whole number")?;
            let (from, to) = a
                .need("shift")?
                .split_once('-')
                .and_then(|(f, t)| {
                    Some((engawa_ride::api::minutes(f)?, engawa_ride::api::minutes(t)?))
                })
                .filter(|(f, t)| f < t)
                .context("--shift: HH:MM-HH:MM, such as 08:00-17:00")?;
            let depot = lat_lon(a.need("depot")?).context("--depot")?;
            if !(1..=20).contains(&seats) {
                bail!("--seats: 1 to 20");
            }
            let id = a
                .db()
                .await?
                .add_vehicle(
                    a.need("name")?,
                    &engawa_ride::service::Vehicle {
                        seats,
                        wheelchair: a.flag("wheelchair"),
                        shift: (from, to),
                        depot,
                    },
                )
                .await?;
            println!("vehicle {id} added");
            Ok(())
        }
        ["ride", "place"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["name", "kind", "at", "district", "db"])?;
            let at = lat_lon(a.need("at")?).context("--at")?;
            let id = a
                .db()
                .await?
                .add_place(
                    a.need("name")?,
                    a.get("kind").unwrap_or("その他"),
                    at,
                    a.get("district").unwrap_or_default(),
                )
                .await?;
            println!("place {id} added");
            Ok(())
        }
        ["ride", "favourite"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["household", "place", "db"])?;
            let (h, p): (i64, i64) = (
                a.need("household")?.parse().context("--household: an id")?,
                a.need("place")?.parse().context("--place: an id")?,
            );
            a.db().await?.add_favourite(h, p).await?;
            Ok(())
        }
        ["ride", "rider"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["household", "needs", "extra-minutes", "db"])?;
            let h: i64 = a.need("household")?.parse().context("--household: an id")?;
            let needs = a.get("needs").unwrap_or_default();
            if needs.chars().count() > 60 || needs.chars().any(char::is_control) {
                bail!("--needs: up to 60 characters, such as 車いす,玄関まで介助");
            }
            let extra: i64 = a
                .get("extra-minutes")
                .unwrap_or("0")
                .parse()
                .ok()
                .filter(|m| (0..=30).contains(m))
                .context("--extra-minutes: 0 to 30")?;
            if !a
                .db()
                .await?
                .set_rider_profile(h, None, needs, extra)
                .await?
            {
                bail!("no household {h}");
            }
            println!("household {h}: needs {needs:?}, {extra} extra minutes per stop");
            Ok(())
        }
        ["ride", "fares"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["category", "fare", "remove", "tv-discount", "db"])?;
            let db = a.db().await?;
            let yen = |n: &str, v: &str| -> Result<i64> {
                v.parse::<i64>()
                    .ok()
                    .filter(|y| (0..=100_000).contains(y))
                    .with_context(|| format!("--{n}: yen, 0 to 100000"))
            };
            if let Some(c) = a.get("category") {
                let c = c.trim();
                if c.is_empty() || c.chars().count() > 20 || c.contains([',', '、']) {
                    bail!("--category: a name of up to 20 characters without commas");
                }
                db.set_category(c, yen("fare", a.need("fare")?)?).await?;
            }
            if let Some(c) = a.get("remove")
                && !db.remove_category(c).await?
            {
                bail!("--remove: no category {c:?}");
            }
            if let Some(v) = a.get("tv-discount") {
                db.set_tv_discount(yen("tv-discount", v)?).await?;
            }
            let f = db.fares().await?;
            for (name, fare) in &f.categories {
                println!("{name}\t{fare} yen per person");
            }
            println!("booked from the TV: {} yen less", f.tv_discount_yen);
            Ok(())
        }
        ["ride", "zone"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["link", "unlink", "db"])?;
            let db = a.db().await?;
            let pair = |v: &str| -> Result<(String, String)> {
                let (x, y) = v
                    .split_once(',')
                    .map(|(x, y)| (x.trim(), y.trim()))
                    .filter(|(x, y)| !x.is_empty() && !y.is_empty() && x != y)
                    .context("two different districts, such as 北部,中心部")?;
                Ok((x.to_string(), y.to_string()))
            };
            match (a.get("link"), a.get("unlink")) {
                (Some(v), None) => {
                    let (x, y) = pair(v).context("--link")?;
                    db.link_zones(&x, &y, true).await?;
                }
                (None, Some(v)) => {
                    let (x, y) = pair(v).context("--unlink")?;
                    db.link_zones(&x, &y, false).await?;
                }
                _ => bail!("give --link A,B or --unlink A,B"),
            }
            let z = db.zones().await?;
            if z.links.is_empty() {
                println!("no links: the whole area is one zone");
            }
            for (x, y) in &z.links {
                println!("{x} ↔ {y}");
            }
            Ok(())
        }
        ["ride", "plan"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["day", "db"])?;
            let day = match a.get("day") {
                Some(d) => d
                    .parse::<chrono::NaiveDate>()
                    .context("--day: YYYY-MM-DD")?
                    .to_string(),
                None => SystemClock
                    .now()
                    .with_timezone(&engawa_core::TOKYO)
                    .date_naive()
                    .to_string(),
            };
            let travel = engawa_ride::travel::Haversine::default();
            print!(
                "{}",
                engawa_headend::dispatch::manifest(&a.db().await?, &day, &travel).await?
            );
            Ok(())
        }
        ["dispatch", "online"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["dir", "lead", "improve-ms"])?;
            let lead: f64 = a
                .get("lead")
                .unwrap_or("60")
                .parse()
                .context("--lead: minutes, such as 60")?;
            let improve: u64 = a
                .get("improve-ms")
                .unwrap_or("20")
                .parse()
                .context("--improve-ms: milliseconds, such as 20")?;
            engawa_headend::dispatch::online(
                std::path::Path::new(a.need("dir")?),
                lead,
                std::time::Duration::from_millis(improve),
            )
        }
        ["dispatch", "generate"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["like", "seed", "out"])?;
            let like =
                engawa_headend::dispatch::load_instance(std::path::Path::new(a.need("like")?))?;
            if like.max_ride.is_infinite() || like.nodes[0].x != 0.0 || like.nodes[0].y != 0.0 {
                bail!("--like: an `a` or `b` file (depot at the origin)");
            }
            let seed: u64 = a
                .get("seed")
                .unwrap_or("1")
                .parse()
                .context("--seed: a whole number")?;
            let out = a.need("out")?;
            std::fs::write(out, engawa_ride::generate::like(&like, seed))
                .with_context(|| format!("cannot write {out}"))?;
            println!(
                "{out}: {} requests like {} (seed {seed})",
                like.n, like.name
            );
            Ok(())
        }
        ["dispatch", "day"] => {
            let a = Args::parse(&raw[2..], &[]);
            a.check_known(&["requests", "vehicles", "seats", "seed", "improve-rounds"])?;
            let mut o = engawa_ride::day_sim::DayOptions::default();
            let num = |n: &str, v: &str| -> Result<usize> {
                v.parse()
                    .with_context(|| format!("--{n}: not a number: {v}"))
            };
            if let Some(v) = a.get("requests") {
                o.requests = num("requests", v)?;
            }
            if let Some(v) = a.get("vehicles") {
                o.vehicles = num("vehicles", v)?.max(1);
            }
            if let Some(v) = a.get("seats") {
                o.seats = num("seats", v)?.clamp(1, 20) as i32;
            }
            if let Some(v) = a.get("seed") {
                o.seed = num("seed", v)? as u64;
            }
            if let Some(v) = a.get("improve-rounds") {
                o.improve_rounds = num("improve-rounds", v)?;
            }
            engawa_headend::dispatch::day(&o);
            Ok(())
        }
        ["bench", ..] => {
            let a = Args::parse(&raw[1..], &[]);
            a.check_known(&["boxes", "seconds", "rates", "orders"])?;
            let mut o = engawa_headend::bench::Options::default();
            let num = |n: &str, v: &str| -> Result<u64> {
                v.parse()
                    .with_context(|| format!("--{n}: not a number: {v}"))
            };
            if let Some(v) = a.get("boxes") {
                o.boxes = num("boxes", v)? as usize;
            }
            if let Some(v) = a.get("seconds") {
                o.step_seconds = num("seconds", v)?;
            }
            if let Some(v) = a.get("orders") {
                o.orders = num("orders", v)? as usize;
            }
            if let Some(v) = a.get("rates") {
                o.rates = v
                    .split(',')
                    .map(|r| num("rates", r.trim()).map(|r| r as u32))
                    .collect::<Result<_>>()?;
            }
            if cfg!(debug_assertions) {
                eprintln!(
                    "note: a debug build; measure with `cargo run --release -p engawa-headend -- bench`"
                );
            }
            engawa_headend::bench::run(o).await
        }
        ["--help" | "-h" | "help", ..] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command {raw:?}\n\n{USAGE}"),
    }
}

/// "1-5" or "1,3,5" (1 = Monday … 7 = Sunday) → the delivery weekdays.
fn parse_weekdays(spec: &str) -> Result<[bool; 7]> {
    let mut days = [false; 7];
    let num = |s: &str| -> Result<usize> {
        match s.trim().parse::<usize>() {
            Ok(n @ 1..=7) => Ok(n - 1),
            _ => bail!("--weekdays: {s:?} is not a day 1 (Monday) to 7 (Sunday)"),
        }
    };
    for part in spec.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    bail!("--weekdays: {part:?} runs backwards");
                }
                days[a..=b].iter_mut().for_each(|d| *d = true);
            }
            None => days[num(part)?] = true,
        }
    }
    Ok(days)
}

/// `--time-limit 10` or `2.5`: seconds.
fn seconds(v: &str) -> Result<std::time::Duration> {
    let s: f64 = v
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e6)
        .with_context(|| format!("--time-limit: expected seconds such as 10, got {v}"))?;
    Ok(std::time::Duration::from_secs_f64(s))
}

/// "35.51,137.82"
fn lat_lon(v: &str) -> Result<(f64, f64)> {
    let (a, b) = v
        .split_once(',')
        .context("expected LATITUDE,LONGITUDE such as 35.51,137.82")?;
    let (lat, lon): (f64, f64) = (
        a.trim().parse().context("latitude")?,
        b.trim().parse().context("longitude")?,
    );
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        bail!("{v}: not a place on Earth");
    }
    Ok((lat, lon))
}
