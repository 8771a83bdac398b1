//! `engawa-watch sim`: the watch-over rules over a simulated year.

use std::process::ExitCode;

use engawa_watch::Policy;
use engawa_watch::sim::{PROFILES, RuleReport, compare};

const USAGE: &str = "\
engawa-watch — the watch-over rules, simulated

usage:
  engawa-watch sim [--days 365] [--households 4] [--incidents 12] [--seed 1]

Replays synthetic households (every profile × --households) over --days with
--incidents injected per household, for the fixed 24-hour rule and the adaptive
rule (both with the 60-minute on-screen prompt), and prints false alerts to
family per household-year, incidents missed and detection delay.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("sim") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let opt = |name: &str, default: u64| -> Result<u64, String> {
        match args.iter().position(|a| a == name) {
            None => Ok(default),
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name}: expected a number")),
        }
    };
    let parsed = (|| {
        Ok::<_, String>((
            opt("--days", 365)?,
            opt("--households", 4)?,
            opt("--incidents", 12)?,
            opt("--seed", 1)?,
        ))
    })();
    let (days, per, incidents, seed) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("engawa-watch: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if days < 30 {
        eprintln!("engawa-watch: --days must be at least 30 (two weeks are spent learning)");
        return ExitCode::from(2);
    }
    let adaptive = Policy::default();
    let fixed = Policy {
        adaptive: None,
        ..Policy::default()
    };
    let started = std::time::Instant::now();
    let f = compare(&fixed, days as i64, per as usize, incidents as usize, seed);
    let a = compare(
        &adaptive,
        days as i64,
        per as usize,
        incidents as usize,
        seed,
    );
    println!(
        "{} households ({} profiles × {per}: {}), {days} days, {} incidents each rule, grace 60 min",
        f.households,
        PROFILES.len(),
        PROFILES.map(|p| p.name()).join(", "),
        f.incidents
    );
    println!();
    println!(
        "rule                 false alerts/household-year  unannounced-absence alerts  missed  delay p50   delay max"
    );
    let row = |name: &str, r: &RuleReport| {
        println!(
            "{name:<20} {:>28.2}  {:>26}  {:>6}  {:>6.1} h  {:>8.1} h",
            r.false_per_household_year(),
            r.absence_alerts,
            r.missed,
            r.delay(0.5) as f64 / 60.0,
            r.delay(1.0) as f64 / 60.0,
        )
    };
    row("fixed 24 h", &f);
    row("adaptive (6–24 h)", &a);
    println!();
    println!("false alerts in the whole run, by profile (fixed / adaptive):");
    for (i, p) in PROFILES.iter().enumerate() {
        println!(
            "  {:<26} {:>3} / {:>3}",
            p.name(),
            f.false_by_profile[i],
            a.false_by_profile[i]
        );
    }
    println!();
    println!(
        "late (beyond the threshold in force + grace): fixed {}, adaptive {}; simulated in {:.1} s",
        f.late,
        a.late,
        started.elapsed().as_secs_f64()
    );
    if a.missed > 0 || f.missed > 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
