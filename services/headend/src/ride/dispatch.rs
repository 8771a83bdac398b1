//! `engawa-headend dispatch solve | verify | bench`: the static dial-a-ride
//! solver and its independent checker on instance files (Cordeau 2006,
//! Cordeau & Laporte 2003), and the benchmark table over a directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use engawa_ride::alns::{self, Params};
use engawa_ride::verify::verify;
use engawa_ride::{Instance, Solution};

pub fn load_instance(path: &Path) -> Result<Instance> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the instance {}", path.display()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Instance::parse(&name, &text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn load_solution(path: &Path) -> Result<Solution> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the solution {}", path.display()))?;
    Solution::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn solve(instance: &Path, limit: Duration, seed: u64, out: &Path) -> Result<()> {
    let inst = load_instance(instance)?;
    eprintln!("{inst}");
    let started = Instant::now();
    let sol = alns::solve(
        &inst,
        &Params {
            time_limit: limit,
            seed,
        },
    );
    let report = verify(&inst, &sol);
    std::fs::write(out, sol.to_json() + "\n")
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "{}: cost {:.2}, {} routes, {:.1} s, {}",
        inst.name,
        report.cost,
        sol.routes.len(),
        started.elapsed().as_secs_f64(),
        if report.feasible() {
            "feasible".to_string()
        } else {
            format!("INFEASIBLE: {}", report.violations.join("; "))
        }
    );
    Ok(())
}

/// Prints the cost or every violation; an infeasible solution is an error.
pub fn check(instance: &Path, solution: &Path) -> Result<()> {
    let inst = load_instance(instance)?;
    let sol = load_solution(solution)?;
    let report = verify(&inst, &sol);
    if report.feasible() {
        println!("{}: feasible, cost {:.4}", inst.name, report.cost);
        if (report.cost - sol.cost).abs() > 0.005 {
            println!(
                "note: the file states cost {:.4}; recomputed {:.4}",
                sol.cost, report.cost
            );
        }
        return Ok(());
    }
    for v in &report.violations {
        println!("{v}");
    }
    bail!(
        "{}: {} violation(s); cost of the routes as given {:.4}",
        inst.name,
        report.violations.len(),
        report.cost
    )
}

/// Best-known costs: `instance,bks,source`, empty `bks` when unknown.
fn read_bks(path: &Path) -> Result<Vec<(String, f64)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let mut f = line.splitn(3, ',');
        let (Some(name), Some(bks)) = (f.next(), f.next()) else {
            bail!(
                "{}:{}: expected `instance,bks,source`",
                path.display(),
                i + 1
            );
        };
        if bks.trim().is_empty() {
            continue;
        }
        let v: f64 = bks
            .trim()
            .parse()
            .with_context(|| format!("{}:{}: bks `{bks}`", path.display(), i + 1))?;
        out.push((name.trim().to_string(), v));
    }
    Ok(out)
}

struct Row {
    name: String,
    cost: f64,
    bks: Option<f64>,
    secs: f64,
    feasible: bool,
}

pub fn bench(
    dir: &Path,
    limit: Duration,
    seed: u64,
    jobs: usize,
    bks: Option<PathBuf>,
) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort_by_key(|p| instance_order(p));
    if files.is_empty() {
        bail!("no instance files (*.txt) in {}", dir.display());
    }
    let bks_path = bks.or_else(|| {
        [dir.join("bks.csv"), dir.join("../bks.csv")]
            .into_iter()
            .find(|p| p.exists())
    });
    let known = match &bks_path {
        Some(p) => read_bks(p)?,
        None => Vec::new(),
    };
    let instances: Vec<Instance> = files
        .iter()
        .map(|p| load_instance(p))
        .collect::<Result<_>>()?;
    println!(
        "{} instances, {:.0} s each, {} at a time, seed {seed}",
        instances.len(),
        limit.as_secs_f64(),
        jobs
    );
    println!(
        "{:<8} {:>10} {:>10} {:>7} {:>6}  feasible",
        "instance", "cost", "BKS", "gap %", "time s"
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(inst) = instances.get(i) else { break };
                    let started = Instant::now();
                    let sol = alns::solve(
                        inst,
                        &Params {
                            time_limit: limit,
                            seed,
                        },
                    );
                    let secs = started.elapsed().as_secs_f64();
                    let report = verify(inst, &sol);
                    let row = Row {
                        name: inst.name.clone(),
                        cost: report.cost,
                        bks: known.iter().find(|(n, _)| *n == inst.name).map(|b| b.1),
                        secs,
                        feasible: report.feasible(),
                    };
                    let line = format_row(&row);
                    println!("{line}");
                    rows.lock().map(|mut r| r.push((i, row))).ok();
                }
            });
        }
    });
    let mut rows = rows.into_inner().unwrap_or_default();
    rows.sort_by_key(|r| r.0);
    let gaps: Vec<f64> = rows
        .iter()
        .filter_map(|(_, r)| r.bks.map(|b| gap(r.cost, b)))
        .collect();
    let infeasible = rows.iter().filter(|(_, r)| !r.feasible).count();
    let summary = if gaps.is_empty() {
        "no best-known costs for these instances".to_string()
    } else {
        format!(
            "average gap to best-known over {} instances: {:.2} % (max {:.2} %)",
            gaps.len(),
            gaps.iter().sum::<f64>() / gaps.len() as f64,
            gaps.iter().copied().fold(f64::MIN, f64::max)
        )
    };
    println!(
        "{} feasible of {}; {summary}",
        rows.len() - infeasible,
        rows.len(),
    );
    if infeasible > 0 {
        bail!("{infeasible} infeasible solution(s)");
    }
    Ok(())
}

fn gap(cost: f64, bks: f64) -> f64 {
    ((cost * 100.0).round() / 100.0 - bks) / bks * 100.0
}

fn format_row(r: &Row) -> String {
    format!(
        "{:<8} {:>10.2} {:>10} {:>7} {:>6.1}  {}",
        r.name,
        r.cost,
        r.bks.map_or("—".to_string(), |b| format!("{b:.2}")),
        r.bks
            .map_or("—".to_string(), |b| format!("{:.2}", gap(r.cost, b))),
        r.secs,
        if r.feasible { "yes" } else { "NO" }
    )
}

/// The online benchmark: every instance in `dir` replayed with requests revealed
/// `lead` minutes before their window; acceptance and time to answer.
pub fn online(dir: &Path, lead: f64, improve: Duration) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort_by_key(|p| instance_order(p));
    if files.is_empty() {
        bail!("no instance files (*.txt) in {}", dir.display());
    }
    println!(
        "requests revealed {lead:.0} min before their window; answered by insertion, then the plan improved for {} ms",
        improve.as_millis()
    );
    println!(
        "{:<8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>10}",
        "instance", "requests", "accepted", "p50 ms", "p99 ms", "max ms", "cost"
    );
    let (mut all_ms, mut total, mut accepted) = (Vec::new(), 0, 0);
    for f in &files {
        let inst = load_instance(f)?;
        let rep = engawa_ride::online::simulate(&inst, lead, improve);
        let check = engawa_ride::verify::verify_partial(
            &inst,
            &Solution {
                instance: inst.name.clone(),
                cost: rep.cost,
                routes: rep.routes.clone(),
            },
        );
        if !check.feasible() {
            bail!(
                "{}: the online plan broke a promise: {:?}",
                inst.name,
                check.violations
            );
        }
        println!(
            "{:<8} {:>8} {:>8.1}% {:>8.2} {:>8.2} {:>8.2} {:>10.2}",
            inst.name,
            rep.requests,
            100.0 * rep.accepted as f64 / rep.requests as f64,
            rep.percentile(0.5),
            rep.percentile(0.99),
            rep.answer_ms.last().copied().unwrap_or(0.0),
            rep.cost
        );
        total += rep.requests;
        accepted += rep.accepted;
        all_ms.extend(rep.answer_ms);
    }
    all_ms.sort_by(f64::total_cmp);
    let p = |q: f64| all_ms[((all_ms.len() as f64 * q).ceil() as usize).clamp(1, all_ms.len()) - 1];
    println!(
        "all: {accepted} of {total} accepted ({:.1} %); answer p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; every accepted ride kept",
        100.0 * accepted as f64 / total as f64,
        p(0.5),
        p(0.99),
        all_ms.last().copied().unwrap_or(0.0)
    );
    Ok(())
}

/// a2-16 before a2-20 before a10-…: by letters, then the numbers.
fn instance_order(p: &Path) -> (String, Vec<u32>) {
    let s = p
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let letters: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|x| x.parse().ok())
        .collect();
    (letters, nums)
}

/// The day's plan per vehicle as a driver's manifest (text).
/// A simulated day of the real service (`dispatch day`): how many requests are
/// served, how long a quote takes, what background improvement saves.
pub fn day(o: &engawa_ride::day_sim::DayOptions) {
    use engawa_ride::day_sim::DayReport;
    let travel = engawa_ride::travel::Haversine::default();
    let r = engawa_ride::day_sim::simulate(o, &travel);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} requests, {} cars × {} seats (seed {})",
        r.requests, o.vehicles, o.seats, o.seed
    );
    println!(
        "booked {} ({:.1} %), {} in the window asked for",
        r.booked,
        100.0 * r.booked as f64 / r.requests.max(1) as f64,
        r.as_asked
    );
    println!(
        "quote (up to 3 offers): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(DayReport::percentile(&r.quote_times, 0.5)),
        ms(DayReport::percentile(&r.quote_times, 0.99)),
        ms(DayReport::percentile(&r.quote_times, 1.0))
    );
    if !r.improve_times.is_empty() {
        println!(
            "improvement pass ({} rounds): p50 {:.2} ms, max {:.2} ms",
            o.improve_rounds,
            ms(DayReport::percentile(&r.improve_times, 0.5)),
            ms(DayReport::percentile(&r.improve_times, 1.0))
        );
    }
    println!(
        "with background improvement: {} booked, {:.1} min driving; without: {} booked, {:.1} min",
        r.booked, r.driving, r.booked_without_improvement, r.driving_without_improvement,
    );
}

pub async fn manifest(
    db: &crate::Db,
    day: &str,
    travel: &dyn engawa_ride::travel::TravelTime,
) -> Result<String> {
    use std::fmt::Write as _;
    let state = db.ride_day(day).await?;
    let schedule = state.schedule(travel);
    let mut out = String::new();
    for (k, v) in state.vehicles.iter().enumerate() {
        let _ = writeln!(
            out,
            "{} （{}席、{}〜{}）",
            v.name,
            v.vehicle.seats,
            engawa_ride::api::hhmm(v.vehicle.shift.0),
            engawa_ride::api::hhmm(v.vehicle.shift.1)
        );
        let stops = schedule.get(k).cloned().unwrap_or_default();
        if stops.is_empty() {
            let _ = writeln!(out, "  予約なし");
        }
        for ((id, drop), t) in stops {
            let Some(r) = state.rides.iter().find(|r| r.id == id) else {
                continue;
            };
            let (what, place) = if drop {
                ("おろす", &r.to_name)
            } else {
                ("お迎え", &r.from_name)
            };
            let place = if place == "家" { &r.address } else { place };
            let fare = if drop {
                String::new()
            } else {
                format!("  {}円 請求済み", r.fare_yen)
            };
            let needs = if r.needs.is_empty() {
                String::new()
            } else {
                format!("  【{}】", r.needs)
            };
            let _ = writeln!(
                out,
                "  {}  {what}  {} 様（{}人）{needs}  {place}  電話 {}{fare}",
                engawa_ride::api::hhmm(t.round() as i64),
                r.rider,
                r.people,
                r.phone
            );
        }
    }
    Ok(out)
}
