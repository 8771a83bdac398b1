//! The operator's command line (`engawa-headend …`), declared with clap so
//! every command and subcommand has `--help`, and checked with the same
//! [`crate::checks`] as the console's forms.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use engawa_core::{Clock, SystemClock, Yen};

use crate::db::ApproveRefusal;
use crate::db::Location;
use crate::{AppState, Db, checks};

#[derive(Debug, Parser)]
#[command(
    name = "engawa-headend",
    version,
    about = "engawa-headend — the CATV operator's service for engawa boxes",
    after_help = "The database defaults to ./engawa-headend.db (SQLite); \
                  --db postgres://USER@HOST/DATABASE uses PostgreSQL (the shared \
                  regional platform). `engawa-headend COMMAND --help` explains each command."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// A login's grant from `operator add`'s flags: staff and hq need a
/// municipality the database knows, a driver a car, an admin neither.
async fn grant(
    db: &Db,
    role: &str,
    municipality: Option<String>,
    vehicle: Option<String>,
) -> Result<crate::db::Grant> {
    use crate::db::Role;
    let role = Role::parse(role).context("--role: admin, staff, hq or driver")?;
    let needs_town = matches!(role, Role::Staff | Role::Hq);
    match (needs_town, &municipality) {
        (true, None) => bail!(
            "--municipality CODE: a {} login belongs to one municipality",
            role.as_str()
        ),
        (false, Some(_)) => bail!("--municipality is for staff and hq logins only"),
        _ => {}
    }
    if let Some(code) = &municipality
        && !db.municipalities().await?.iter().any(|m| &m.code == code)
    {
        bail!("there is no municipality {code:?} (add it with `alert municipality`)");
    }
    let vehicle_id = match (role, vehicle) {
        (Role::Driver, None) => bail!("--vehicle NAME: a driver login belongs to one car"),
        (Role::Driver, Some(name)) => Some(
            db.vehicles()
                .await?
                .into_iter()
                .find(|v| v.name == name)
                .with_context(|| format!("there is no car {name:?} (add it with `ride vehicle`)"))?
                .id,
        ),
        (_, Some(_)) => bail!("--vehicle is for driver logins only"),
        (_, None) => None,
    };
    Ok(crate::db::Grant {
        role,
        municipality,
        vehicle_id,
    })
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this login (`cli:USER` for the command line).
    #[arg(long)]
    operator: Option<String>,
    /// Only what concerned this household.
    #[arg(long)]
    household: Option<i64>,
    /// From this day (YYYY-MM-DD, Tokyo).
    #[arg(long)]
    since: Option<NaiveDate>,
    /// Up to and including this day.
    #[arg(long)]
    until: Option<NaiveDate>,
    #[arg(long, default_value_t = 100)]
    limit: i64,
    #[command(flatten)]
    db: DbFile,
}

/// The head-end's database, for every command that reads or changes it.
#[derive(Debug, Args)]
pub struct DbFile {
    /// The database: a SQLite file (created 0600 if missing) or a PostgreSQL
    /// URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]`
    /// (the database must exist; its tables are made on first use).
    #[arg(long, value_name = "FILE|URL", default_value = "engawa-headend.db")]
    pub db: String,
}

impl DbFile {
    pub fn location(&self) -> Location {
        Location::parse(&self.db)
    }

    /// Opens the database and records this run in the audit log (nothing
    /// is done unrecorded: a log that cannot be written stops the command).
    async fn open(&self) -> Result<Db> {
        let at = self.location();
        let db = Db::connect(&at)
            .await
            .with_context(|| format!("cannot open the database {at}"))?;
        db.audit(&invocation(std::env::args().skip(1)), SystemClock.now())
            .await
            .context("cannot write the audit log")?;
        Ok(db)
    }
}

/// A command-line run as the audit log keeps it: who ran it (the system
/// user, and who used sudo), the command, the names of its flags (never
/// their values), and the household it names.
fn invocation(args: impl Iterator<Item = String>) -> crate::platform::audit::Entry {
    let args: Vec<String> = args.collect();
    let command = command_paths()
        .into_iter()
        .filter(|p| args.len() >= p.len() && args[..p.len()] == p[..])
        .max_by_key(Vec::len)
        .unwrap_or_default();
    let mut flags: Vec<&str> = args
        .iter()
        .filter_map(|a| a.strip_prefix("--"))
        .map(|a| a.split('=').next().unwrap_or(a))
        .filter(|a| !a.is_empty())
        .collect();
    flags.dedup();
    let household = args
        .iter()
        .position(|a| a == "--household")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok());
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let operator = match std::env::var("SUDO_USER") {
        Ok(by) if !by.is_empty() => format!("cli:{user} (sudo {by})"),
        _ => format!("cli:{user}"),
    };
    crate::platform::audit::Entry {
        operator,
        action: format!("cli {}", command.join(" ")),
        object: command.join(" "),
        household_id: household,
        fields: flags.join(","),
        outcome: "allowed".into(),
        peer: "cli".into(),
        ..Default::default()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: the boxes' API, the console, the family pages and
    /// every background task (mail, offline monitor, taxi improver, retention).
    Serve(Serve),
    /// Register households.
    #[command(subcommand)]
    Household(HouseholdCommand),
    /// Console logins.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Search the audit log (every console request and command run; it
    /// cannot be changed), newest first, tab-separated.
    Audit(AuditArgs),
    /// City-platform clients (OAuth 2.0 client credentials): what the
    /// regional data platform and other municipal systems read with.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Approve the code a new box shows on the TV.
    #[command(subcommand)]
    Pair(PairCommand),
    /// The boxes in service.
    #[command(name = "box", subcommand)]
    Boxes(BoxCommand),
    /// The shop's sellers.
    #[command(subcommand)]
    Seller(SellerCommand),
    /// The shop's items.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// The shop's delivery rules.
    #[command(subcommand)]
    Shop(ShopCommand),
    /// The orders delivered on one day.
    Orders(Orders),
    /// The shared taxi: vehicles, riders, places, fares, zones, the day's plan.
    #[command(subcommand)]
    Ride(RideCommand),
    /// The dial-a-ride solver on benchmark instances.
    #[command(subcommand)]
    Dispatch(DispatchCommand),
    /// Measure the head-end: heartbeats at rising rates, then an order burst.
    Bench(Bench),
    /// Monthly billing files.
    #[command(subcommand)]
    Billing(BillingCommand),
    /// JMA disaster reports (防災情報XML).
    #[command(subcommand)]
    Alert(AlertCommand),
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Read JMA reports and print one JSON line per file: file, status,
    /// info_type, event_id, serial (null when empty) and cities, the sorted
    /// 7-digit municipality codes the report names. A file that is not a
    /// well-formed report is named on stderr with the reason, and the command
    /// exits 1 after reading the others.
    Parse {
        /// The report files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Add a municipality or change its JMA city codes and rules: which JMA
    /// reports open a 安否確認 for its households.
    Municipality(MunicipalityArgs),
    /// Import a municipality's shelters from its open-data CSV (the
    /// 自治体標準オープンデータセット 指定緊急避難場所 columns: ID, 名称,
    /// 所在地, 緯度, 経度, 想定収容人数 and the hazard flags). Known IDs are
    /// updated; whether a shelter is open stays as the headquarters set it.
    Shelters {
        #[command(flatten)]
        db: DbFile,
        /// The municipality's code.
        #[arg(long)]
        municipality: String,
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
    },
    /// Import a municipality's district boundaries (GeoJSON: a
    /// FeatureCollection of Polygons or MultiPolygons, the district's name in
    /// a property) for the board's map; replaces the ones it had. The names
    /// must be the households' districts.
    Districts {
        #[command(flatten)]
        db: DbFile,
        #[arg(long)]
        municipality: String,
        /// The property that holds the district's name.
        #[arg(long, default_value = "name")]
        name_property: String,
        #[arg(value_name = "FILE.geojson")]
        file: PathBuf,
    },
    /// Put a household in a municipality, with its JMA city code and its
    /// place on the 避難行動要支援者 list (the date of consent only — never
    /// the reason).
    Household {
        #[command(flatten)]
        db: DbFile,
        household: i64,
        #[arg(long)]
        municipality: String,
        /// The 7-digit JMA city code (one of the municipality's).
        #[arg(long)]
        jma_city: String,
        /// On the 要支援者 list since this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        support_consent: Option<chrono::NaiveDate>,
    },
    /// Issue the headquarters' evacuation order for some districts of a
    /// municipality (none: all of it), as the console's 防災 page does: every
    /// box there shows it within seconds. Prints the campaign's number.
    Order {
        #[command(flatten)]
        db: DbFile,
        #[arg(long)]
        municipality: String,
        /// elderly (高齢者等避難), evacuate (避難指示) or emergency (緊急安全確保).
        #[arg(long, value_name = "ORDER")]
        order: String,
        /// The danger, which picks the shelters fit for it: flood, landslide,
        /// storm_surge, earthquake, tsunami, fire, inland_flood, volcano.
        #[arg(long, value_name = "HAZARD")]
        hazard: String,
        /// A district (repeat); none: the whole municipality.
        #[arg(long = "district", value_name = "NAME")]
        districts: Vec<String>,
        /// A shelter to list on the card, by its number (repeat).
        #[arg(long = "shelter", value_name = "ID")]
        shelters: Vec<i64>,
        /// A drill (訓練): every card and page says so; never counted as real.
        #[arg(long)]
        drill: bool,
    },
    /// Lift an order or end a campaign: the cards clear on every box.
    Lift {
        #[command(flatten)]
        db: DbFile,
        campaign: i64,
        /// Why, for the record.
        #[arg(long, default_value = "解除")]
        why: String,
    },
    /// A campaign's board as text: its tally in total, then by district
    /// (無事 / たすけが必要 / 応答なし / 機械が つながらない).
    Board {
        #[command(flatten)]
        db: DbFile,
        campaign: i64,
    },
    /// Register a household's helper (避難支援者: 民生委員, a neighbour).
    Helper {
        #[command(flatten)]
        db: DbFile,
        household: i64,
        #[arg(long)]
        name: String,
        /// 民生委員, 近所 …
        #[arg(long, default_value = "")]
        role: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        email: String,
    },
}

#[derive(Debug, Args)]
pub struct MunicipalityArgs {
    #[command(flatten)]
    pub db: DbFile,
    /// 全国地方公共団体コード (6 digits).
    #[arg(long)]
    pub code: String,
    #[arg(long)]
    pub name: String,
    /// A JMA 市町村等 code (7 digits) its reports name it by; repeat.
    #[arg(long = "city", required = true, value_name = "CODE")]
    pub cities: Vec<String>,
    /// The weakest intensity that asks (1…4, 5-, 5+, 6-, 6+, 7); none: earthquakes never ask.
    #[arg(long, value_name = "INTENSITY", allow_hyphen_values = true)]
    pub quake_from: Option<String>,
    /// A JMA warning kind code that asks (33 大雨特別警報 …); repeat.
    #[arg(long = "warning", value_name = "CODE")]
    pub warnings: Vec<String>,
    /// 土砂災害警戒情報 asks.
    #[arg(long)]
    pub landslide: bool,
    /// A 津波予報区 code (3 digits, e.g. 380 静岡県) its coast lies in: a
    /// 大津波警報 or 津波警報 there asks; repeat.
    #[arg(long = "tsunami-area", value_name = "CODE")]
    pub tsunami_areas: Vec<String>,
    /// A district by the sea, the only ones a tsunami asks; repeat (none: all).
    #[arg(long = "coastal", value_name = "DISTRICT")]
    pub coastal: Vec<String>,
    /// Minutes without an answer before the family is mailed.
    #[arg(long, default_value_t = 30, value_name = "MINUTES")]
    pub family_after: i64,
    /// Minutes without an answer before the household's helpers are mailed.
    #[arg(long, default_value_t = 60, value_name = "MINUTES")]
    pub helpers_after: i64,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The mail file has one [mail] table: host, port, security (starttls|tls|none),
credentials_file (two lines: user, password; mode 0600), from, reply_to.
Without it, watch-over mails wait in the outbox.

The travel matrix (a routing engine's times for the taxi's places): first line
the number of places P, then P lines `latitude longitude`, then P rows of P
minutes; other places fall back to haversine × 1.3 at 30 km/h.")]
pub struct Serve {
    #[command(flatten)]
    pub db: DbFile,
    /// Where to listen (behind a TLS proxy).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The address families and boxes reach, for links in mails.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// The SMTP settings (TOML).
    #[arg(long, value_name = "FILE.toml")]
    pub mail: Option<PathBuf>,
    /// Taxi travel times between places from a routing engine.
    #[arg(long, value_name = "FILE")]
    pub travel_matrix: Option<PathBuf>,
    /// A JMA Atom feed to follow (repeat for several: JMA's extra.xml and
    /// eqvol.xml). Without one, alerts come only from the headquarters.
    #[arg(long = "jma-feed", value_name = "URL")]
    pub jma_feeds: Vec<String>,
    /// Seconds between passes over the JMA feeds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub jma_every: u64,
    /// Several instances on one database: how long an instance's hold on a
    /// background task lasts unrenewed (renewed every third), so how soon
    /// another takes over when it dies.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub lease_seconds: u64,
    /// How often each instance reads the alert versions to hear of changes
    /// made by others (on PostgreSQL they are also heard at once, by
    /// notification; this is the fallback).
    #[arg(long, default_value_t = 1, value_name = "SECONDS")]
    pub alert_hub_every: u64,
    /// Box requests handled at once, of each class: heartbeats, and the rest
    /// (orders, bookings, answers…), so that a flood of heartbeats never
    /// sheds the rest; the alert streams aside. Past it a request is
    /// answered 503 with Retry-After at once.
    #[arg(long, default_value_t = crate::http::MAX_IN_FLIGHT, value_name = "N")]
    pub max_in_flight: usize,
    /// Connections served at once: every box holds one for its alert stream,
    /// so this must exceed the boxes in service (and the process's open-file
    /// limit must exceed this).
    #[arg(long, default_value_t = crate::http::server::Limits::default().max_connections)]
    pub max_connections: usize,
}

#[derive(Debug, Subcommand)]
pub enum HouseholdCommand {
    /// Register a household (checked as the console's form is).
    Add(HouseholdAdd),
}

#[derive(Debug, Args)]
pub struct HouseholdAdd {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub address: String,
    #[arg(long)]
    pub phone: String,
    /// The village or district (delivery lists are grouped by it).
    #[arg(long, default_value = "")]
    pub district: String,
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    pub lat: Option<String>,
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    pub lon: Option<String>,
    /// Uses the shop.
    #[arg(long)]
    pub shop: bool,
    /// Uses the shared taxi.
    #[arg(long)]
    pub ride: bool,
    /// Taxi categories from the fare table, such as 65歳以上,免許返納.
    #[arg(long, default_value = "")]
    pub eligibility: String,
    #[command(flatten)]
    pub db: DbFile,
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Add a console login, or give an existing one a new password and role;
    /// the password (10 characters or more) is read from standard input. A new
    /// password ends every session the login had.
    Add {
        #[arg(long)]
        name: String,
        /// admin (管理者: the platform, every municipality), staff (職員: one
        /// municipality's office), hq (災害本部: its disaster board), driver
        /// (運転手: today's manifest of one car).
        #[arg(long, value_parser = ["admin", "staff", "hq", "driver"])]
        role: String,
        /// The municipality (its code, as `alert municipality` added it) of
        /// staff and hq.
        #[arg(long, value_name = "CODE")]
        municipality: Option<String>,
        /// The car of a driver, by its name (`ride vehicle --name`).
        #[arg(long, value_name = "NAME")]
        vehicle: Option<String>,
        #[command(flatten)]
        db: DbFile,
    },
    /// List the console logins: role, municipality or car, disabled or not.
    List {
        #[command(flatten)]
        db: DbFile,
    },
    /// Stop a console login: it cannot log in and its sessions end now.
    Disable {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbFile,
    },
    /// Let a disabled console login log in again.
    Enable {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Add a client, or give an existing one a new secret, scopes and
    /// municipality (the tokens it had stop working). Prints the client_id
    /// and the secret once: only the secret's hash is kept.
    Add {
        /// The client_id: letters, digits, `-` and `_`, up to 40.
        #[arg(long)]
        name: String,
        /// What it may read: alerts:read (the headquarters' orders, CAP and
        /// NGSI-LD alerts), shelters:read, aggregates:read (per-district
        /// figures). Comma separated or repeated.
        #[arg(long = "scope", required = true, value_delimiter = ',')]
        scopes: Vec<String>,
        /// The one municipality (its code) it reads; without it, every
        /// municipality on the platform.
        #[arg(long, value_name = "CODE")]
        municipality: Option<String>,
        /// Where its NGSI-LD subscriptions may be notified: an http(s) URL
        /// every notification address must start with (without it, the
        /// client cannot subscribe). The head-end posts nowhere else.
        #[arg(long, value_name = "URL")]
        notify: Option<String>,
        #[command(flatten)]
        db: DbFile,
    },
    /// List the clients: scopes, municipality, notification address,
    /// disabled or not.
    List {
        #[command(flatten)]
        db: DbFile,
    },
    /// Stop a client: no new tokens, and the ones it has stop working now.
    Disable {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum PairCommand {
    /// Let the box showing CODE join a household at its next poll.
    Approve {
        /// The code on the TV, such as 4K7-P2Q.
        code: String,
        #[arg(long)]
        household: i64,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum BoxCommand {
    /// Every box: id, household, serial, state, last heartbeat.
    List {
        #[command(flatten)]
        db: DbFile,
    },
    /// Stop a swapped or lost box: its token no longer works.
    Revoke {
        /// The box's id (see `box list`).
        id: i64,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum SellerCommand {
    /// Register a seller (checked as the console's form is).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// Import items from CSV: all or nothing, every bad row named by line.
    #[command(after_help = "\
Columns: seller,category,name,price_yen,unit,on_sale (UTF-8, BOM allowed).")]
    Import {
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        #[command(flatten)]
        db: DbFile,
    },
    /// Every item with its price, seller and state.
    List {
        #[command(flatten)]
        db: DbFile,
    },
    /// Store an item's photo (PNG).
    Photo {
        /// The item's number (see `catalogue list`).
        item: i64,
        #[arg(value_name = "FILE.png")]
        file: PathBuf,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShopCommand {
    /// Show or change the order cut-off, delivery weekdays and holidays.
    Rules {
        /// The order cut-off, HH:MM.
        #[arg(long)]
        cutoff: Option<String>,
        /// 1 (Monday) to 7 (Sunday), as ranges and lists: 1-5, 1,3,5, 1-6.
        #[arg(long)]
        weekdays: Option<String>,
        /// Days without delivery, such as 2026-12-31,2027-01-01 (replaces the list).
        #[arg(long)]
        holidays: Option<String>,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Args)]
pub struct Orders {
    /// The delivery day (default: today in Japan).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub day: Option<NaiveDate>,
    #[command(flatten)]
    pub db: DbFile,
}

#[derive(Debug, Subcommand)]
pub enum RideCommand {
    /// Add a vehicle.
    Vehicle {
        #[arg(long)]
        name: String,
        #[arg(long)]
        seats: String,
        /// Its working hours, such as 08:00-17:00.
        #[arg(long)]
        shift: String,
        /// Where it starts and ends, LAT,LON.
        #[arg(long)]
        depot: String,
        /// It takes a wheelchair.
        #[arg(long)]
        wheelchair: bool,
        #[command(flatten)]
        db: DbFile,
    },
    /// Set a rider's needs and the minutes added at each stop.
    Rider {
        #[arg(long)]
        household: i64,
        /// Such as 車いす,玄関まで介助.
        #[arg(long, default_value = "")]
        needs: String,
        #[arg(long, default_value = "0")]
        extra_minutes: String,
        #[command(flatten)]
        db: DbFile,
    },
    /// Add a place riders go to.
    Place {
        #[arg(long)]
        name: String,
        /// Such as 病院 (default その他).
        #[arg(long, default_value = "")]
        kind: String,
        /// LAT,LON.
        #[arg(long)]
        at: String,
        #[arg(long, default_value = "")]
        district: String,
        #[command(flatten)]
        db: DbFile,
    },
    /// Put a place on a household's list on the TV.
    Favourite {
        #[arg(long)]
        household: i64,
        #[arg(long)]
        place: i64,
        #[command(flatten)]
        db: DbFile,
    },
    /// The drivers' manifests for a day.
    Plan {
        #[arg(long, value_name = "YYYY-MM-DD")]
        day: Option<NaiveDate>,
        #[command(flatten)]
        db: DbFile,
    },
    /// Show or change the fare table.
    Fares {
        /// A category to add or change (with --fare).
        #[arg(long, requires = "fare")]
        category: Option<String>,
        /// Yen per person for --category.
        #[arg(long, requires = "category")]
        fare: Option<String>,
        /// A category to remove.
        #[arg(long)]
        remove: Option<String>,
        /// Yen less per person when booked from the TV.
        #[arg(long)]
        tv_discount: Option<String>,
        #[command(flatten)]
        db: DbFile,
    },
    /// Let riders of two districts share a taxi, or stop it (no links: one zone).
    Zone {
        /// Two districts, such as 北部,中心部.
        #[arg(long, conflicts_with = "unlink", required_unless_present = "unlink")]
        link: Option<String>,
        #[arg(long)]
        unlink: Option<String>,
        #[command(flatten)]
        db: DbFile,
    },
}

#[derive(Debug, Subcommand)]
pub enum DispatchCommand {
    /// Solve one instance and write the solution.
    Solve {
        #[arg(long)]
        instance: PathBuf,
        #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
        time_limit: std::time::Duration,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_name = "SOLUTION.json")]
        out: PathBuf,
    },
    /// Check a solution against its instance.
    Verify {
        #[arg(long)]
        instance: PathBuf,
        #[arg(long, value_name = "SOLUTION.json")]
        solution: PathBuf,
    },
    /// Solve every instance in a directory and compare with the best known.
    Bench {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
        time_limit: std::time::Duration,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        #[arg(long, value_name = "FILE")]
        bks: Option<PathBuf>,
    },
    /// Replay instances as requests arriving through the day.
    Online {
        #[arg(long)]
        dir: PathBuf,
        /// Minutes between a request and its pick-up window.
        #[arg(long, default_value_t = 60.0)]
        lead: f64,
        #[arg(long, default_value_t = 20)]
        improve_ms: u64,
    },
    /// A fresh instance drawn the same way as an `a` or `b` file.
    Generate {
        #[arg(long, value_name = "FILE")]
        like: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// A simulated day of bookings.
    Day {
        #[arg(long)]
        requests: Option<usize>,
        #[arg(long)]
        vehicles: Option<usize>,
        #[arg(long)]
        seats: Option<i32>,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        improve_rounds: Option<usize>,
    },
}

#[derive(Debug, Args)]
pub struct Bench {
    /// Another bench instead of heartbeats and orders.
    #[command(subcommand)]
    pub what: Option<BenchWhat>,
    /// Paired boxes sending heartbeats.
    #[arg(long)]
    pub boxes: Option<usize>,
    /// Seconds at each rate.
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Heartbeats per second offered, in steps.
    #[arg(long, value_delimiter = ',')]
    pub rates: Option<Vec<u32>>,
    /// Orders in the burst.
    #[arg(long)]
    pub orders: Option<usize>,
    /// A PostgreSQL server (`postgres://USER@HOST/DATABASE`; the user needs
    /// CREATEDB): the same load is measured on a SQLite file, on one
    /// instance on PostgreSQL and on --instances instances, side by side
    /// (each in a database of the bench's own, dropped afterwards).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// Instances of the PostgreSQL set-up with several (with --db).
    #[arg(long, default_value_t = 2)]
    pub instances: usize,
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// 防災: N boxes hold the alert stream; an earthquake report for their
    /// municipality comes on a loopback JMA feed, each box answers, then the
    /// report is cancelled. Prints p50/p95/max of feed → card, answer →
    /// counted on the board, 取消 → card gone, the board's time and the
    /// head-end's RSS (it runs as a child process).
    Alert {
        #[arg(long, default_value_t = 10_000)]
        boxes: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum BillingCommand {
    /// Write households-YYYY-MM.csv and sellers-YYYY-MM.csv (columns in
    /// services/headend/src/billing.rs); nothing is written unless the month
    /// reconciles.
    Export {
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        #[arg(long, value_name = "DIR", default_value = ".")]
        out_dir: PathBuf,
        /// Start the files with a byte-order mark (for Excel).
        #[arg(long)]
        bom: bool,
        #[command(flatten)]
        db: DbFile,
    },
    /// The platform's running cost for a month (in yen), which
    /// `contributions` splits among the municipalities; without --yen, shows it.
    Cost {
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        #[arg(long, value_name = "YEN")]
        yen: Option<i64>,
        /// Who enters it (kept with it).
        #[arg(long, value_name = "NAME", default_value = "platform operator")]
        by: String,
        #[command(flatten)]
        db: DbFile,
    },
    /// The key that splits the cost: percent per factor, all five adding up
    /// to 100 (equal = 均等割; the others in proportion to each
    /// municipality's registered households, active boxes, orders and taxi
    /// rides of the month). Without weights, shows the key in force.
    Key {
        /// 均等割: shared the same by every municipality.
        #[arg(long, value_name = "PERCENT")]
        equal: Option<i64>,
        /// By the households registered by the month's last day.
        #[arg(long, value_name = "PERCENT")]
        households: Option<i64>,
        /// By the boxes provisioned by the month's last day and not revoked before its first.
        #[arg(long, value_name = "PERCENT")]
        boxes: Option<i64>,
        /// By the orders delivered in the month (not cancelled).
        #[arg(long, value_name = "PERCENT")]
        orders: Option<i64>,
        /// By the taxi rides booked for a day of the month.
        #[arg(long, value_name = "PERCENT")]
        rides: Option<i64>,
        #[arg(long, value_name = "NAME", default_value = "platform operator")]
        by: String,
        #[command(flatten)]
        db: DbFile,
    },
    /// 負担金: the month's cost split among the municipalities by the key,
    /// to the yen; writes contributions-YYYY-MM.csv with each one's basis
    /// (columns in services/headend/src/platform/contributions.rs).
    Contributions {
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        #[arg(long, value_name = "DIR", default_value = ".")]
        out_dir: PathBuf,
        /// Start the file with a byte-order mark (for Excel).
        #[arg(long)]
        bom: bool,
        #[command(flatten)]
        db: DbFile,
    },
}

/// `--time-limit 10` or `2.5`: seconds.
fn seconds(v: &str) -> Result<std::time::Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e6)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("expected seconds such as 10, got {v}"))
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
    Ok(checks::weekdays(days)?)
}

fn today() -> NaiveDate {
    SystemClock
        .now()
        .with_timezone(&engawa_core::TOKYO)
        .date_naive()
}

/// Carry out one command.
pub async fn run(cli: Cli) -> Result<()> {
    // reqwest (the JMA feeds, the benches) uses rustls with the ring provider,
    // installed once for the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let now = SystemClock.now();
    match cli.command {
        Command::Serve(a) => serve(a).await,
        Command::Audit(a) => {
            use crate::platform::audit::midnight;
            let search = crate::platform::audit::Search {
                operator: a.operator.unwrap_or_default(),
                household_id: a.household,
                since: a.since.and_then(midnight),
                until: a.until.and_then(|d| d.succ_opt()).and_then(midnight),
            };
            let db = a.db.open().await?;
            let (rows, total) = db.audit_search(&search, 0, a.limit.max(1)).await?;
            for r in &rows {
                let e = &r.entry;
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.at.with_timezone(&engawa_core::TOKYO)
                        .format("%Y-%m-%d %H:%M:%S"),
                    e.operator,
                    e.municipality.as_deref().unwrap_or("-"),
                    e.object,
                    e.household_id
                        .map(|h| h.to_string())
                        .unwrap_or_else(|| "-".into()),
                    if e.fields.is_empty() { "-" } else { &e.fields },
                    e.outcome,
                    e.peer
                );
            }
            eprintln!("{} of {total} rows", rows.len());
            Ok(())
        }
        Command::Household(HouseholdCommand::Add(a)) => {
            let db = a.db.open().await?;
            let input = checks::HouseholdInput {
                name: a.name,
                district: a.district,
                address: a.address,
                phone: a.phone,
                lat: a.lat.unwrap_or_default(),
                lon: a.lon.unwrap_or_default(),
                shop: a.shop,
                ride: a.ride,
                eligibility: a.eligibility,
            };
            let h = checks::household(&input, &db.fares().await?)?;
            let id = db.add_household(&h, now).await?;
            println!("household {id} added");
            Ok(())
        }
        Command::Pair(PairCommand::Approve {
            code,
            household,
            db,
        }) => {
            let db = db.open().await?;
            match db.approve_pairing(&code, household, now).await? {
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
        Command::Operator(OperatorCommand::Add {
            name,
            role,
            municipality,
            vehicle,
            db,
        }) => {
            let name = checks::clean(&name, 60)
                .filter(|n| !n.is_empty())
                .context("--name: up to 60 characters")?;
            let db = db.open().await?;
            let grant = grant(&db, &role, municipality, vehicle).await?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = checks::password(password.trim_end_matches(['\r', '\n']))
                .map_err(|why| anyhow::anyhow!("{}", why.en))?;
            let hash = crate::console::hash_password(password)?;
            let id = db.add_operator(&name, &hash, &grant, now).await?;
            println!(
                "operator {id} ({name}, {}) can log in at /console",
                grant.role.as_str()
            );
            Ok(())
        }
        Command::Operator(OperatorCommand::List { db }) => {
            for o in db.open().await?.operators().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    o.id,
                    o.name,
                    o.grant.role.as_str(),
                    o.grant
                        .municipality
                        .clone()
                        .or(o.vehicle.clone())
                        .unwrap_or_else(|| "-".into()),
                    if o.disabled { "disabled" } else { "active" }
                );
            }
            Ok(())
        }
        Command::Operator(OperatorCommand::Disable { name, db }) => {
            let ended = set_disabled(&db, &name, true).await?;
            tracing::info!(operator = %name, sessions = ended, "console login disabled");
            println!("{name} can no longer log in; {ended} sessions ended");
            Ok(())
        }
        Command::Operator(OperatorCommand::Enable { name, db }) => {
            set_disabled(&db, &name, false).await?;
            println!("{name} can log in again");
            Ok(())
        }
        Command::Client(ClientCommand::Add {
            name,
            scopes,
            municipality,
            notify,
            db,
        }) => {
            use crate::city::Scope;
            if let Some(n) = &notify {
                let ok = url::Url::parse(n)
                    .is_ok_and(|u| ["http", "https"].contains(&u.scheme()) && u.host().is_some());
                if !ok || n.len() > 400 {
                    bail!("--notify: an http(s) URL, such as https://city.example.jp/ngsi/notify/");
                }
            }
            if name.is_empty()
                || name.len() > 40
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                bail!("--name: 1 to 40 letters, digits, - or _ (it is the client_id)");
            }
            let mut parsed = Vec::new();
            for s in &scopes {
                let s = s.trim();
                parsed.push(Scope::from_key(s).with_context(|| {
                    format!("--scope {s:?}: alerts:read, shelters:read or aggregates:read")
                })?);
            }
            parsed.sort();
            parsed.dedup();
            let db = db.open().await?;
            if let Some(code) = &municipality
                && !db.municipalities().await?.iter().any(|m| &m.code == code)
            {
                bail!("there is no municipality {code:?} (add it with `alert municipality`)");
            }
            let secret = db
                .add_city_client(
                    &name,
                    &parsed,
                    municipality.as_deref(),
                    notify.as_deref(),
                    now,
                )
                .await?;
            tracing::info!(client = %name, "city client added");
            println!("client_id\t{name}");
            println!("client_secret\t{secret}");
            eprintln!(
                "keep the secret now: only its hash is stored. Tokens: POST {} with grant_type=client_credentials",
                crate::city::auth::TOKEN_PATH
            );
            Ok(())
        }
        Command::Client(ClientCommand::List { db }) => {
            for c in db.open().await?.city_clients().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.name,
                    crate::city::db::scopes_text(&c.scopes).replace(' ', ","),
                    c.municipality.as_deref().unwrap_or("*"),
                    c.notify_prefix.as_deref().unwrap_or("-"),
                    if c.disabled { "disabled" } else { "active" }
                );
            }
            Ok(())
        }
        Command::Client(ClientCommand::Disable { name, db }) => {
            if !db.open().await?.disable_city_client(&name, now).await? {
                bail!("there is no client {name:?}");
            }
            tracing::info!(client = %name, "city client disabled");
            println!("{name} can no longer get tokens; the ones it had stop working now");
            Ok(())
        }
        Command::Boxes(BoxCommand::List { db }) => {
            for b in db.open().await?.boxes().await? {
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
        Command::Boxes(BoxCommand::Revoke { id, db }) => {
            if db.open().await?.revoke_box(id, now).await? {
                println!("box {id} revoked; its token no longer works");
                Ok(())
            } else {
                bail!("no active box {id}")
            }
        }
        Command::Seller(SellerCommand::Add { name, phone, db }) => {
            let (name, phone) = checks::seller(&name, &phone)?;
            let id = db.open().await?.add_seller(&name, &phone, now).await?;
            println!("seller {id} added");
            Ok(())
        }
        Command::Catalogue(c) => catalogue(c).await,
        Command::Shop(ShopCommand::Rules {
            cutoff,
            weekdays,
            holidays,
            db,
        }) => {
            let db = db.open().await?;
            let mut rules = db.delivery_rules().await?;
            if let Some(c) = cutoff {
                rules.cutoff = checks::cutoff(&c)?;
            }
            if let Some(w) = weekdays {
                rules.weekdays = parse_weekdays(&w)?;
            }
            if let Some(h) = holidays {
                rules.holidays = checks::holidays(h.split(','))?;
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
        Command::Orders(a) => {
            let day = a.day.unwrap_or_else(today);
            let orders = a.db.open().await?.orders_on(day).await?;
            for d in &orders {
                let (o, hid, name, address) = (&d.order, d.household_id, &d.name, &d.address);
                for l in &o.lines {
                    println!(
                        "{}\thousehold {hid}\t{name}\t{address}\t{}\t{} x{}\t{}",
                        o.id,
                        l.name,
                        l.unit,
                        l.qty,
                        (l.price_yen * i64::from(l.qty)).to_ja()
                    );
                }
            }
            println!("{} orders for delivery on {day}", orders.len());
            Ok(())
        }
        Command::Billing(b) => billing(b).await,
        Command::Ride(r) => ride(r).await,
        Command::Dispatch(d) => dispatch(d),
        Command::Bench(Bench {
            what: Some(BenchWhat::Alert { boxes }),
            ..
        }) => {
            if cfg!(debug_assertions) {
                eprintln!(
                    "note: a debug build; measure with `cargo run --release -p engawa-headend -- bench alert`"
                );
            }
            crate::disaster::bench::run(crate::disaster::bench::Options { boxes }).await
        }
        Command::Bench(a) => {
            let mut o = crate::bench::Options::default();
            if let Some(v) = a.boxes {
                o.boxes = v;
            }
            if let Some(v) = a.seconds {
                o.step_seconds = v;
            }
            if let Some(v) = a.orders {
                o.orders = v;
            }
            if let Some(v) = a.rates {
                o.rates = v;
            }
            if let Some(url) = a.db {
                if !matches!(
                    crate::db::Location::parse(&url),
                    crate::db::Location::Postgres(_)
                ) {
                    bail!("--db {url}: a postgres:// URL (the SQLite set-up is always measured)");
                }
                o.postgres = Some(url);
            }
            o.instances = a.instances;
            if cfg!(debug_assertions) {
                eprintln!(
                    "note: a debug build; measure with `cargo run --release -p engawa-headend -- bench`"
                );
            }
            crate::bench::run(o).await
        }
        Command::Alert(AlertCommand::Municipality(a)) => {
            let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
            if !digits(&a.code, 6) {
                bail!("--code {}: a municipality code has 6 digits", a.code);
            }
            if let Some(bad) = a.cities.iter().find(|c| !digits(c, 7)) {
                bail!("--city {bad}: a JMA city code has 7 digits");
            }
            if let Some(bad) = a.warnings.iter().find(|c| !digits(c, 2)) {
                bail!("--warning {bad}: a JMA warning code has 2 digits");
            }
            if let Some(bad) = a.tsunami_areas.iter().find(|c| !digits(c, 3)) {
                bail!("--tsunami-area {bad}: a 津波予報区 code has 3 digits");
            }
            if !a.coastal.is_empty() && a.tsunami_areas.is_empty() {
                bail!("--coastal needs the --tsunami-area its coast lies in");
            }
            let quake_from = match &a.quake_from {
                None => None,
                Some(q) => Some(engawa_disaster::Intensity::from_code(q).with_context(|| {
                    format!("--quake-from {q}: an intensity is 1…4, 5-, 5+, 6-, 6+ or 7")
                })?),
            };
            if !(1..=24 * 60).contains(&a.family_after) || !(1..=24 * 60).contains(&a.helpers_after)
            {
                bail!("--family-after and --helpers-after are minutes, 1 to 1440");
            }
            let db = a.db.open().await?;
            let mut m = crate::disaster::db::Municipality::new(
                &a.code,
                &a.name,
                a.cities.iter().cloned().collect(),
                engawa_disaster::policy::Policy {
                    quake_from,
                    warnings: a.warnings.iter().cloned().collect(),
                    landslide: a.landslide,
                    tsunami_areas: a.tsunami_areas.iter().cloned().collect(),
                    coastal_districts: a
                        .coastal
                        .iter()
                        .map(|d| d.trim().to_string())
                        .filter(|d| !d.is_empty())
                        .collect(),
                },
            );
            m.family_after_min = a.family_after;
            m.helpers_after_min = a.helpers_after;
            db.set_municipality(&m).await?;
            println!("municipality {} {} saved", a.code, a.name);
            Ok(())
        }
        Command::Alert(AlertCommand::Shelters {
            db,
            municipality,
            file,
        }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (UTF-8 CSV)", file.display()))?;
            let shelters = crate::disaster::import::shelters_csv(&text).map_err(|bad| {
                let lines: Vec<String> = bad
                    .iter()
                    .map(|(l, why)| format!("{}:{l}: {why}", file.display()))
                    .collect();
                anyhow::anyhow!("nothing imported:\n{}", lines.join("\n"))
            })?;
            let db = db.open().await?;
            municipality_named(&db, &municipality).await?;
            let (added, updated) = db
                .import_shelters(&municipality, &shelters, SystemClock.now())
                .await?;
            println!("{added} shelters added, {updated} updated");
            Ok(())
        }
        Command::Alert(AlertCommand::Districts {
            db,
            municipality,
            name_property,
            file,
        }) => {
            let meta = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            if meta.len() > 16 * 1024 * 1024 {
                bail!(
                    "{}: larger than 16 MiB; simplify the boundaries first",
                    file.display()
                );
            }
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (UTF-8 GeoJSON)", file.display()))?;
            let shapes = engawa_disaster::geo::districts(&text, &name_property)
                .map_err(|why| anyhow::anyhow!("{}: {why}; nothing imported", file.display()))?;
            let db = db.open().await?;
            municipality_named(&db, &municipality).await?;
            let known = db.districts(&municipality).await?;
            let unknown: Vec<&str> = shapes
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| !known.iter().any(|k| k == n))
                .collect();
            db.set_district_shapes(&municipality, &shapes).await?;
            println!("{} districts imported", shapes.len());
            if !unknown.is_empty() {
                eprintln!(
                    "note: no household is in {} (yet); those are drawn grey",
                    unknown.join(", ")
                );
            }
            Ok(())
        }
        Command::Alert(AlertCommand::Household {
            db,
            household,
            municipality,
            jma_city,
            support_consent,
        }) => {
            let db = db.open().await?;
            let m = municipality_named(&db, &municipality).await?;
            if !m.jma_cities.contains(&jma_city) {
                bail!(
                    "--jma-city {jma_city} is not one of {}'s ({})",
                    m.name,
                    m.jma_cities.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
            if !db
                .set_household_disaster(
                    household,
                    Some(&municipality),
                    Some(&jma_city),
                    support_consent,
                )
                .await?
            {
                bail!("no household {household}");
            }
            println!("household {household} is in {}", m.name);
            Ok(())
        }
        Command::Alert(AlertCommand::Helper {
            db,
            household,
            name,
            role,
            phone,
            email,
        }) => {
            if name.trim().is_empty() {
                bail!("--name is empty");
            }
            if !email.is_empty()
                && let Err(why) = engawa_mail::check_address(&email)
            {
                bail!("--email {email}: {why}");
            }
            let db = db.open().await?;
            if !db.households().await?.iter().any(|h| h.id == household) {
                bail!("no household {household}");
            }
            let id = db
                .add_helper(
                    household,
                    name.trim(),
                    role.trim(),
                    phone.trim(),
                    email.trim(),
                    SystemClock.now(),
                )
                .await?;
            println!("helper {id} added");
            Ok(())
        }
        Command::Alert(AlertCommand::Order {
            db,
            municipality,
            order,
            hazard,
            districts,
            shelters,
            drill,
        }) => {
            use engawa_disaster::policy::{Order, ShelterUse};
            let order = Order::from_key(&order)
                .with_context(|| format!("--order {order}: one of elderly, evacuate, emergency"))?;
            let danger = ShelterUse::from_key(&hazard).with_context(|| {
                let all: Vec<&str> = ShelterUse::ALL.iter().map(|u| u.key()).collect();
                format!("--hazard {hazard}: one of {}", all.join(", "))
            })?;
            let db = db.open().await?;
            let m = municipality_named(&db, &municipality).await?;
            let known = db.districts(&municipality).await?;
            if let Some(bad) = districts.iter().find(|d| !known.contains(d)) {
                bail!(
                    "--district {bad}: no household of {} is there (its districts: {})",
                    m.name,
                    known.join(", ")
                );
            }
            let theirs = db.shelters(&municipality).await?;
            if let Some(bad) = shelters
                .iter()
                .find(|id| !theirs.iter().any(|s| s.id == **id))
            {
                bail!("--shelter {bad}: not one of {}'s shelters", m.name);
            }
            let now = SystemClock.now();
            let id = db
                .issue_order(
                    &municipality,
                    order,
                    danger,
                    &districts,
                    &shelters,
                    drill,
                    None,
                    now,
                )
                .await?;
            let place = if districts.is_empty() {
                m.name.clone()
            } else {
                districts.join("・")
            };
            println!(
                "campaign {id} opened: {}{}",
                if drill { "【訓練】" } else { "" },
                engawa_disaster::words::what(
                    &engawa_disaster::policy::Hazard::Order { order, danger },
                    &place
                )
            );
            Ok(())
        }
        Command::Alert(AlertCommand::Lift { db, campaign, why }) => {
            let db = db.open().await?;
            if db.campaign(campaign).await?.is_none() {
                bail!("no campaign {campaign}");
            }
            if db
                .close_campaign(campaign, None, why.trim(), SystemClock.now())
                .await?
            {
                println!("campaign {campaign} lifted");
            } else {
                println!("campaign {campaign} was already lifted");
            }
            Ok(())
        }
        Command::Alert(AlertCommand::Board { db, campaign }) => {
            let db = db.open().await?;
            let Some(b) = db.board(campaign, SystemClock.now()).await? else {
                bail!("no campaign {campaign}");
            };
            let line = |t: &crate::disaster::db::Tally| {
                format!(
                    "無事 {}  たすけが必要 {}  応答なし {}  機械が つながらない {}",
                    t.safe, t.help, t.no_answer, t.offline
                )
            };
            println!("合計  {}", line(&b.total));
            for (district, t) in &b.districts {
                println!("{district}  {}", line(t));
            }
            Ok(())
        }
        Command::Alert(AlertCommand::Parse { files }) => {
            let bad = crate::disaster::parse_files(
                &files,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            )?;
            if bad > 0 {
                bail!("{bad} of {} files are not JMA reports", files.len());
            }
            Ok(())
        }
    }
}

/// The municipality with this code, or an error naming the command that adds it.
async fn municipality_named(db: &Db, code: &str) -> Result<crate::disaster::db::Municipality> {
    db.municipalities()
        .await?
        .into_iter()
        .find(|m| m.code == code)
        .with_context(|| format!("no municipality {code} (engawa-headend alert municipality)"))
}

async fn serve(a: Serve) -> Result<()> {
    let mut state = AppState::new(a.db.open().await?, Arc::new(SystemClock))
        .with_max_in_flight(a.max_in_flight);
    if let Some(url) = &a.public_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!("--public-url: expected an address such as https://center.example.jp");
        }
        state = state.with_public_url(url);
    }
    if let Some(path) = &a.travel_matrix {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the travel matrix {}", path.display()))?;
        let table =
            engawa_ride::travel::Table::parse(&text, engawa_ride::travel::Haversine::default())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "taxi travel times from a routing engine's matrix");
        state = state.with_travel(Arc::new(table));
    }
    let mail = match &a.mail {
        Some(path) => crate::watch::mail_settings(path)?,
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    tracing::info!(addr = %listener.local_addr()?, "engawa-headend listening");
    let stop = tokio_util::sync::CancellationToken::new();
    let on_signal = stop.clone();
    // SIGTERM (systemd stopping the service) or SIGINT (Ctrl-C).
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot watch for SIGTERM")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("shutting down");
        on_signal.cancel();
    });
    for url in &a.jma_feeds {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            anyhow::bail!("--jma-feed {url}: not an http(s) address");
        }
    }
    let tasks = crate::startup::Tasks {
        mail,
        feeds: crate::disaster::feed::FeedConfig {
            urls: a.jma_feeds.clone(),
            every: std::time::Duration::from_secs(a.jma_every.max(1)),
            ..Default::default()
        },
        lease: std::time::Duration::from_secs(a.lease_seconds.max(1)),
        alert_hub_every: std::time::Duration::from_secs(a.alert_hub_every.max(1)),
        ..Default::default()
    };
    let limits = crate::http::server::Limits {
        max_connections: a.max_connections.max(16),
        ..Default::default()
    };
    crate::startup::start(state, tasks, stop)
        .serve(listener, limits)
        .await?;
    Ok(())
}

async fn catalogue(c: CatalogueCommand) -> Result<()> {
    let now = SystemClock.now();
    match c {
        CatalogueCommand::Import { file, db } => {
            let name = file.display();
            let data = std::fs::read(&file).with_context(|| format!("cannot read {name}"))?;
            let refused = |errors: &[String]| {
                for e in errors {
                    eprintln!("{name}: {e}");
                }
                anyhow::anyhow!("{name}: {} bad rows; nothing imported", errors.len())
            };
            let rows = crate::shop::catalogue::parse(&data).map_err(|errors| {
                refused(&errors.iter().map(|e| e.to_string()).collect::<Vec<_>>())
            })?;
            match db.open().await?.import_items(&rows, now).await? {
                Ok(n) => {
                    println!("{n} items imported from {name}");
                    Ok(())
                }
                Err(errors) => Err(refused(
                    &errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                )),
            }
        }
        CatalogueCommand::List { db } => {
            for it in db.open().await?.items().await? {
                let price = Yen(it.price_yen).to_ja();
                let sale = if it.on_sale { "" } else { "\t(off sale)" };
                let photo = if it.photo { "\tphoto" } else { "" };
                println!(
                    "{}\t{}\t{}\t{}\t{price}\t{}{photo}{sale}",
                    it.id, it.category, it.name, it.unit, it.seller
                );
            }
            Ok(())
        }
        CatalogueCommand::Photo { item, file, db } => {
            let name = file.display();
            let data = std::fs::read(&file).with_context(|| format!("cannot read {name}"))?;
            engawa_shop::photo::check(&data).map_err(|why| anyhow::anyhow!("{name}: {why}"))?;
            match db.open().await?.set_photo(item, &data, now).await? {
                Some(v) => println!("photo of item {item} stored (version {v})"),
                None => bail!("there is no item {item}"),
            }
            Ok(())
        }
    }
}

async fn ride(r: RideCommand) -> Result<()> {
    match r {
        RideCommand::Vehicle {
            name,
            seats,
            shift,
            depot,
            wheelchair,
            db,
        } => {
            let (from, to) = shift.split_once('-').unwrap_or((&shift, ""));
            let (name, vehicle) = checks::vehicle(&name, &seats, from, to, &depot, wheelchair)?;
            let id = db.open().await?.add_vehicle(&name, &vehicle).await?;
            println!("vehicle {id} added");
        }
        RideCommand::Place {
            name,
            kind,
            at,
            district,
            db,
        } => {
            let p = checks::place(&name, &kind, &at, &district)?;
            let id = db
                .open()
                .await?
                .add_place(&p.name, &p.kind, p.at, &p.district)
                .await?;
            println!("place {id} added");
        }
        RideCommand::Favourite {
            household,
            place,
            db,
        } => {
            db.open().await?.add_favourite(household, place).await?;
            println!("household {household}: place {place} is on the TV's list");
        }
        RideCommand::Rider {
            household,
            needs,
            extra_minutes,
            db,
        } => {
            let needs = checks::needs(crate::ride::db::categories_of(&needs))?;
            let extra = checks::extra_minutes(&extra_minutes)?;
            if !db
                .open()
                .await?
                .set_rider_profile(household, None, &needs, extra)
                .await?
            {
                bail!("no household {household}");
            }
            println!("household {household}: needs {needs:?}, {extra} extra minutes per stop");
        }
        RideCommand::Fares {
            category,
            fare,
            remove,
            tv_discount,
            db,
        } => {
            let db = db.open().await?;
            if let (Some(c), Some(f)) = (category, fare) {
                db.set_category(&checks::category(&c)?, checks::fare("fare", &f)?)
                    .await?;
            }
            if let Some(c) = remove
                && !db.remove_category(c.trim()).await?
            {
                bail!("--remove: no category {c:?}");
            }
            if let Some(v) = tv_discount {
                db.set_tv_discount(checks::fare("tv-discount", &v)?).await?;
            }
            let f = db.fares().await?;
            for (name, fare) in &f.categories {
                println!("{name}\t{} per person", fare.to_en());
            }
            println!("booked from the TV: {} less", f.tv_discount.to_en());
        }
        RideCommand::Zone { link, unlink, db } => {
            let db = db.open().await?;
            let (v, on, flag) = match (link, unlink) {
                (Some(v), _) => (v, true, "--link"),
                (None, Some(v)) => (v, false, "--unlink"),
                (None, None) => bail!("give --link A,B or --unlink A,B"),
            };
            let (a, b) = v.split_once(',').unwrap_or((&v, ""));
            let (a, b) =
                checks::zone_pair(a, b).map_err(|why| anyhow::anyhow!("{flag}: {}", why.en))?;
            db.link_zones(&a, &b, on).await?;
            let z = db.zones().await?;
            if z.links.is_empty() {
                println!("no links: the whole area is one zone");
            }
            for (x, y) in &z.links {
                println!("{x} ↔ {y}");
            }
        }
        RideCommand::Plan { day, db } => {
            let day = day.unwrap_or_else(today).to_string();
            let travel = engawa_ride::travel::Haversine::default();
            print!(
                "{}",
                crate::ride::dispatch::manifest(&db.open().await?, &day, &travel).await?
            );
        }
    }
    Ok(())
}

fn dispatch(d: DispatchCommand) -> Result<()> {
    let release_note = |what: &str| {
        if cfg!(debug_assertions) {
            eprintln!(
                "note: a debug build; measure with `cargo run --release -p engawa-headend -- dispatch {what} …`"
            );
        }
    };
    match d {
        DispatchCommand::Solve {
            instance,
            time_limit,
            seed,
            out,
        } => crate::ride::dispatch::solve(&instance, time_limit, seed, &out),
        DispatchCommand::Verify { instance, solution } => {
            crate::ride::dispatch::check(&instance, &solution)
        }
        DispatchCommand::Bench {
            dir,
            time_limit,
            seed,
            jobs,
            bks,
        } => {
            release_note("bench");
            crate::ride::dispatch::bench(&dir, time_limit, seed, jobs, bks)
        }
        DispatchCommand::Online {
            dir,
            lead,
            improve_ms,
        } => {
            crate::ride::dispatch::online(&dir, lead, std::time::Duration::from_millis(improve_ms))
        }
        DispatchCommand::Generate {
            like: path,
            seed,
            out,
        } => {
            let like = crate::ride::dispatch::load_instance(&path)?;
            if like.max_ride.is_infinite() || like.nodes[0].x != 0.0 || like.nodes[0].y != 0.0 {
                bail!("--like: an `a` or `b` file (depot at the origin)");
            }
            std::fs::write(&out, engawa_ride::generate::like(&like, seed))
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "{}: {} requests like {} (seed {seed})",
                out.display(),
                like.n,
                like.name
            );
            Ok(())
        }
        DispatchCommand::Day {
            requests,
            vehicles,
            seats,
            seed,
            improve_rounds,
        } => {
            let mut o = engawa_ride::day_sim::DayOptions::default();
            if let Some(v) = requests {
                o.requests = v;
            }
            if let Some(v) = vehicles {
                o.vehicles = v.max(1);
            }
            if let Some(v) = seats {
                o.seats = v.clamp(1, 20);
            }
            if let Some(v) = seed {
                o.seed = v;
            }
            if let Some(v) = improve_rounds {
                o.improve_rounds = v;
            }
            crate::ride::dispatch::day(&o);
            Ok(())
        }
    }
}

/// Paths a test can walk to ask every command for its `--help`.
pub fn command_paths() -> Vec<Vec<String>> {
    fn walk(c: &clap::Command, at: &[String], out: &mut Vec<Vec<String>>) {
        for sub in c.get_subcommands() {
            let mut path = at.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&<Cli as clap::CommandFactory>::command(), &[], &mut out);
    out
}

/// Sets a console login disabled or enabled; how many sessions ended.
async fn set_disabled(db: &DbFile, name: &str, disabled: bool) -> Result<u64> {
    db.open()
        .await?
        .set_operator_disabled(name, disabled, SystemClock.now())
        .await?
        .with_context(|| format!("no console login named {name:?}"))
}

/// `billing export|cost|key|contributions`.
async fn billing(b: BillingCommand) -> Result<()> {
    use crate::platform::contributions::{self, FACTORS, Key};
    let month_of = |month: &str| {
        crate::billing::month_bounds(month)
            .with_context(|| format!("--month: expected YYYY-MM, got {month:?}"))
    };
    match b {
        BillingCommand::Export {
            month,
            out_dir,
            bom,
            db,
        } => {
            let (first, last) = crate::billing::month_bounds(&month)
                .with_context(|| format!("--month: expected YYYY-MM, got {month:?}"))?;
            let b = db.open().await?.billing_month(first, last).await?;
            let e = crate::billing::export(&month, &b, bom)?;
            if !e.totals.reconciles() {
                bail!(
                    "the month does not reconcile: {:?}; nothing written",
                    e.totals
                );
            }
            for (name, data) in [
                (format!("households-{month}.csv"), &e.households_csv),
                (format!("sellers-{month}.csv"), &e.sellers_csv),
            ] {
                let path = out_dir.join(name);
                crate::billing::write_private(&path, data)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            let t = e.totals;
            println!(
                "{month}: {} households, monthly fees {}, goods {}, {} taxi rides {}; sellers gross {} = fee {} + payout {}",
                t.households,
                Yen(t.monthly_fees).to_ja(),
                Yen(t.goods).to_ja(),
                t.rides,
                Yen(t.ride_yen).to_ja(),
                Yen(t.gross).to_ja(),
                Yen(t.fees).to_ja(),
                Yen(t.payouts).to_ja(),
            );
            Ok(())
        }
        BillingCommand::Cost { month, yen, by, db } => {
            month_of(&month)?;
            let db = db.open().await?;
            match yen {
                None => match db.platform_cost(&month).await? {
                    Some(y) => println!("{month}: the platform's cost is {}", Yen(y).to_ja()),
                    None => println!("{month}: no cost entered yet"),
                },
                Some(y) if y < 0 => bail!("--yen: a cost cannot be negative ({y})"),
                Some(y) => {
                    let before = db
                        .set_platform_cost(&month, y, &by, SystemClock.now())
                        .await?;
                    match before {
                        Some(b) => println!(
                            "{month}: the platform's cost is {} (was {})",
                            Yen(y).to_ja(),
                            Yen(b).to_ja()
                        ),
                        None => println!("{month}: the platform's cost is {}", Yen(y).to_ja()),
                    }
                }
            }
            Ok(())
        }
        BillingCommand::Key {
            equal,
            households,
            boxes,
            orders,
            rides,
            by,
            db,
        } => {
            let given = [equal, households, boxes, orders, rides];
            let db = db.open().await?;
            if given.iter().all(Option::is_none) {
                println!("key: {}", db.contribution_key().await?.describe());
                return Ok(());
            }
            let missing: Vec<String> = FACTORS
                .iter()
                .zip(given)
                .filter(|(_, g)| g.is_none())
                .map(|(f, _)| format!("--{f}"))
                .collect();
            if !missing.is_empty() {
                bail!(
                    "a key gives all five weights; missing {}",
                    missing.join(", ")
                );
            }
            let key = Key::new(given.map(|g| g.unwrap_or(0))).map_err(anyhow::Error::msg)?;
            db.set_contribution_key(key, &by, SystemClock.now()).await?;
            println!("key: {}", key.describe());
            Ok(())
        }
        BillingCommand::Contributions {
            month,
            out_dir,
            bom,
            db,
        } => {
            let (first, last) = month_of(&month)?;
            let db = db.open().await?;
            let Some(cost) = db.platform_cost(&month).await? else {
                bail!(
                    "{month}: no cost entered; `engawa-headend billing cost --month {month} --yen N` first"
                );
            };
            let key = db.contribution_key().await?;
            let basis = db.contribution_basis(first, last).await?;
            let split = contributions::split(&month, cost, key, &basis.municipalities)
                .map_err(anyhow::Error::msg)?;
            if split.total() != cost {
                bail!(
                    "the shares add up to {} yen, not the cost {cost}; nothing written",
                    split.total()
                );
            }
            let path = out_dir.join(format!("contributions-{month}.csv"));
            crate::billing::write_private(&path, contributions::csv(&split, bom).as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
            println!("{month}: {} by {}", Yen(cost).to_ja(), key.describe());
            for s in &split.shares {
                println!(
                    "  {} {}: {} (households {}, boxes {}, orders {}, rides {})",
                    s.code,
                    s.name,
                    Yen(s.yen).to_ja(),
                    s.counts[1],
                    s.counts[2],
                    s.counts[3],
                    s.counts[4]
                );
            }
            if !split.shared_equally.is_empty() {
                println!(
                    "  nobody had any {} this month: that part is shared equally",
                    split.shared_equally.join(", ")
                );
            }
            if basis.households_without > 0 {
                println!(
                    "  {} households have no municipality and are in nobody's share",
                    basis.households_without
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn weekdays_read_as_ranges_and_lists() {
        assert_eq!(
            parse_weekdays("1-5").unwrap(),
            [true, true, true, true, true, false, false]
        );
        assert_eq!(
            parse_weekdays("1,3,7").unwrap(),
            [true, false, true, false, false, false, true]
        );
        assert!(parse_weekdays("5-1").is_err());
        assert!(parse_weekdays("0").is_err());
    }
}
