//! `engawa-headend` as an operator types it: every command and subcommand
//! explains itself with `--help`, and what the CLI stores is checked exactly
//! as the console's forms check it (nothing is stored when a field is wrong).

mod common;

use std::process::{Command, Output};

/// `common::test_db` for a test without a runtime of its own.
fn test_db(dir: &tempfile::TempDir) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(common::test_db(dir.path(), "headend.db"))
}

fn headend(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A head-end database in a temporary folder, and the CLI run on it.
struct OnDb {
    dir: tempfile::TempDir,
    db: String,
}

impl OnDb {
    fn new() -> OnDb {
        let dir = tempfile::tempdir().unwrap();
        let db = test_db(&dir);
        OnDb { dir, db }
    }

    fn run(&self, args: &[&str]) -> Output {
        headend(&[args, &["--db", &self.db]].concat())
    }

    /// Runs `args`, which must succeed; what it said.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        text(&out)
    }
}

#[test]
fn every_command_answers_help() {
    let paths = engawa_headend::cli::command_paths();
    assert!(paths.len() > 30, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        if args.last() == Some(&"help") {
            continue;
        }
        args.push("--help");
        let out = headend(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        let usage = format!("Usage: engawa-headend {}", path.join(" "));
        assert!(text(&out).contains(&usage), "{args:?}: {}", text(&out));
    }
    // The one that failed with "unknown option" before clap.
    let out = headend(&["billing", "export", "--help"]);
    assert!(text(&out).contains("--month"), "{}", text(&out));
}

#[test]
fn unknown_commands_and_options_are_refused_pointing_to_help() {
    for args in [
        &["frobnicate"][..],
        &["box", "list", "--colour"],
        &["orders", "--day", "12/24"],
    ] {
        let out = headend(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("try '--help'"),
            "{args:?}: {}",
            text(&out)
        );
    }
}

#[tokio::test]
async fn household_add_checks_what_the_console_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db(dir.path(), "headend.db").await;
    let db_arg = db.as_str();
    let base = [
        "household",
        "add",
        "--address",
        "みどり町 1-2",
        "--phone",
        "0265-11-2222",
        "--db",
        db_arg,
    ];
    let refused: [(&[&str], &str); 4] = [
        (&["--name", "   "], "--name: required"),
        (&["--name", &"長".repeat(61)], "--name: up to 60 characters"),
        (
            &["--name", "山田", "--eligibility", "学生"],
            "unknown categories 学生",
        ),
        (
            &["--name", "山田", "--lat", "95", "--lon", "137"],
            "--lat: a number",
        ),
    ];
    for (extra, why) in refused {
        let out = headend(&[&base[..], extra].concat());
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains(why), "{extra:?}: {}", text(&out));
    }
    let out = headend(
        &[
            &base[..],
            &[
                "--name",
                " 山田 花子 ",
                "--eligibility",
                "65歳以上",
                "--shop",
            ],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("household 1 added"), "{}", text(&out));
    let rows = common::open_db(&db).await.households().await.unwrap();
    assert_eq!(rows.len(), 1, "only the good one is stored");
    assert_eq!(rows[0].name, "山田 花子");
    assert_eq!(rows[0].eligibility, "65歳以上");
}

#[test]
fn taxi_setup_on_the_command_line_is_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = test_db(&dir);
    let db_arg = db.as_str();
    let vehicle = |seats: &'static str, shift: &'static str| -> Vec<&'static str> {
        vec![
            "ride",
            "vehicle",
            "--name",
            "1号車",
            "--seats",
            seats,
            "--shift",
            shift,
            "--depot",
            "35.6,137.9",
        ]
    };
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vehicle("21", "08:00-17:00"),
            "--seats: a whole number, 1 to 20",
        ),
        (vehicle("3", "17:00-08:00"), "--shift"),
        (
            vec!["ride", "place", "--name", "病院", "--at", "north"],
            "--at: LATITUDE,LONGITUDE",
        ),
        (
            vec!["ride", "fares", "--category", "a,b", "--fare", "300"],
            "--category: up to 20 characters without commas",
        ),
        (
            vec!["ride", "zone", "--link", "北部,北部"],
            "--link: two different districts",
        ),
    ];
    for (args, why) in cases {
        let out = headend(&[&args[..], &["--db", db_arg]].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(why), "{args:?}: {}", text(&out));
    }
    let out = headend(&[&vehicle("3", "08:00-17:00")[..], &["--db", db_arg]].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("vehicle 1 added"), "{}", text(&out));
}

#[test]
fn the_headquarters_order_from_the_command_line_is_checked_counted_and_lifted() {
    let on = OnDb::new();
    let run = |args: &[&str]| on.run(args);
    let ok = |args: &[&str]| on.ok(args);
    ok(&[
        "household",
        "add",
        "--name",
        "山田 花子",
        "--address",
        "みどり町 1",
        "--phone",
        "0265-11-2222",
        "--district",
        "上沢",
    ]);
    ok(&[
        "alert",
        "municipality",
        "--code",
        "209996",
        "--name",
        "みどり町",
        "--city",
        "2099900",
    ]);
    for (extra, why) in [
        (
            &["--tsunami-area", "38"][..],
            "--tsunami-area 38: a 津波予報区 code has 3 digits",
        ),
        (&["--coastal", "上沢"], "--coastal needs the --tsunami-area"),
    ] {
        let base = [
            "alert",
            "municipality",
            "--code",
            "209996",
            "--name",
            "みどり町",
            "--city",
            "2099900",
        ];
        let out = run(&[&base[..], extra].concat());
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains(why), "{extra:?}: {}", text(&out));
    }
    ok(&[
        "alert",
        "household",
        "1",
        "--municipality",
        "209996",
        "--jma-city",
        "2099900",
    ]);
    let order = ["alert", "order", "--municipality", "209996"];
    let refused: [(&[&str], &str); 5] = [
        (
            &["--order", "leave", "--hazard", "flood"],
            "--order leave: one of elderly",
        ),
        (
            &["--order", "evacuate", "--hazard", "rain"],
            "--hazard rain: one of flood",
        ),
        (
            &[
                "--order",
                "evacuate",
                "--hazard",
                "flood",
                "--district",
                "下沢",
            ],
            "--district 下沢: no household of みどり町 is there (its districts: 上沢)",
        ),
        (
            &["--order", "evacuate", "--hazard", "flood", "--shelter", "9"],
            "--shelter 9: not one of みどり町's shelters",
        ),
        (
            &[
                "--order",
                "evacuate",
                "--hazard",
                "flood",
                "--municipality",
                "999999",
            ],
            "",
        ),
    ];
    for (extra, why) in refused {
        let out = run(&[&order[..], extra].concat());
        assert_ne!(out.status.code(), Some(0), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains(why), "{extra:?}: {}", text(&out));
    }
    let out = ok(&[
        &order[..],
        &[
            "--order",
            "evacuate",
            "--hazard",
            "flood",
            "--district",
            "上沢",
        ],
    ]
    .concat());
    assert!(
        out.contains("campaign 1 opened: 上沢に 避難指示（警戒レベル４）"),
        "{out}"
    );
    let board = ok(&["alert", "board", "1"]);
    assert!(
        board.contains("合計  無事 0  たすけが必要 0  応答なし 0  機械が つながらない 1"),
        "{board}"
    );
    assert!(board.contains("上沢  無事 0"), "{board}");
    assert!(ok(&["alert", "lift", "1"]).contains("campaign 1 lifted"));
    assert!(ok(&["alert", "lift", "1"]).contains("already lifted"));
    assert_eq!(run(&["alert", "board", "7"]).status.code(), Some(1));
}

/// 負担金 from the command line: the month's cost and the key are checked,
/// each municipality's counts come from its own households, boxes, orders
/// and rides of the month, and the shares add up to the cost to the yen.
#[test]
fn the_platform_cost_is_split_among_the_municipalities_to_the_yen() {
    use chrono::{Datelike, Utc};
    let on = OnDb::new();
    let db_arg = on.db.as_str();
    let ok = |args: &[&str]| on.ok(args);
    let refused = |args: &[&str], why: &str| {
        let out = on.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(why), "{args:?}: {}", text(&out));
    };
    // This month (the households are registered today), in Tokyo.
    let today = Utc::now().with_timezone(&engawa_core::TOKYO).date_naive();
    let month = format!("{:04}-{:02}", today.year(), today.month());
    let first = today.with_day(1).unwrap();
    let next_month = first + chrono::Months::new(1);
    for (code, name, city) in [
        ("209996", "みどり町", "2099900"),
        ("209997", "あおば村", "2099901"),
    ] {
        ok(&[
            "alert",
            "municipality",
            "--code",
            code,
            "--name",
            name,
            "--city",
            city,
        ]);
    }
    // みどり町: households 1 and 2; あおば村: 3; 4 is in neither.
    for (i, m) in [
        (1, Some(("209996", "2099900"))),
        (2, Some(("209996", "2099900"))),
        (3, Some(("209997", "2099901"))),
        (4, None),
    ] {
        ok(&[
            "household",
            "add",
            "--name",
            &format!("世帯 {i}"),
            "--address",
            "1-1",
            "--phone",
            "0265-11-2222",
        ]);
        if let Some((m, city)) = m {
            ok(&[
                "alert",
                "household",
                &i.to_string(),
                "--municipality",
                m,
                "--jma-city",
                city,
            ]);
        }
    }
    // Boxes, orders and rides, written as the services would have.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = common::sql_connection(db_arg).await;
        let now = Utc::now().timestamp();
        let long_ago = now - 90 * 86_400;
        // (household, revoked_at): household 1's second box was revoked
        // long before this month, so it is not active in it.
        for (i, (h, revoked)) in [(1, None), (1, Some(long_ago)), (2, None), (3, None)]
            .into_iter()
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO boxes (household_id, serial, token_hash, created_at, revoked_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(h)
            .bind(format!("EGW-{i}"))
            .bind(format!("hash-{i}"))
            .bind(long_ago - 1)
            .bind(revoked)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        // (household, delivery day, cancelled): one cancelled, one next month.
        for (h, day, cancelled) in [
            (1, first, None),
            (2, first, None),
            (2, first, Some(now)),
            (1, next_month, None),
            (3, first, None),
        ] {
            sqlx::query(
                "INSERT INTO orders (household_id, box_id, placed_at, delivery_day, cancel_until,
                                     cancelled_at, total_yen) VALUES ($1, 1, $2, $3, $4, $5, 500)",
            )
            .bind(h)
            .bind(now)
            .bind(day.to_string())
            .bind(now)
            .bind(cancelled)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        // (household, state): あおば村 rides twice, once cancelled.
        for (h, state) in [(1, "booked"), (3, "booked"), (3, "booked"), (3, "cancelled")] {
            sqlx::query(
                "INSERT INTO rides (household_id, day, people, pickup_from, pickup_to, arrive_at,
                                    fare_yen, state, created_at) VALUES ($1, $2, 1, 0, 0, 0, 300, $3, $4)",
            )
            .bind(h)
            .bind(first.to_string())
            .bind(state)
            .bind(now)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        sqlx::Connection::close(conn).await.unwrap();
    });

    refused(
        &["billing", "contributions", "--month", &month],
        "no cost entered",
    );
    refused(
        &["billing", "cost", "--month", "2026/11", "--yen", "5"],
        "expected YYYY-MM",
    );
    refused(
        &["billing", "cost", "--month", &month, "--yen=-5"],
        "cannot be negative",
    );
    assert!(ok(&["billing", "cost", "--month", &month]).contains("no cost entered yet"));
    ok(&["billing", "cost", "--month", &month, "--yen", "900000"]);
    assert!(
        ok(&["billing", "cost", "--month", &month, "--yen", "1000001"]).contains("(was 900,000円)")
    );
    assert!(
        ok(&["billing", "key"]).contains("equal 0, households 50, boxes 20, orders 15, rides 15")
    );
    refused(
        &["billing", "key", "--equal", "10", "--households", "40"],
        "missing --boxes, --orders, --rides",
    );
    refused(
        &[
            "billing",
            "key",
            "--equal",
            "10",
            "--households",
            "40",
            "--boxes",
            "20",
            "--orders",
            "20",
            "--rides",
            "5",
        ],
        "add up to 100, not 95",
    );
    ok(&[
        "billing",
        "key",
        "--equal",
        "10",
        "--households",
        "40",
        "--boxes",
        "20",
        "--orders",
        "20",
        "--rides",
        "10",
    ]);

    let out_dir = on.dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let said = ok(&[
        "billing",
        "contributions",
        "--month",
        &month,
        "--out-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert!(said.contains("1 households have no municipality"), "{said}");
    let csv = std::fs::read_to_string(out_dir.join(format!("contributions-{month}.csv"))).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "month",
            "municipality",
            "name",
            "households",
            "boxes",
            "orders",
            "rides",
            "exact_yen",
            "share_yen"
        ]
    );
    // Counts: みどり町 2 households, 2 active boxes, 2 orders, 1 ride;
    // あおば村 1, 1, 1, 2.
    assert_eq!(rows[1][1..7], ["209996", "みどり町", "2", "2", "2", "1"]);
    assert_eq!(rows[2][1..7], ["209997", "あおば村", "1", "1", "1", "2"]);
    let cost = 1_000_001.0;
    let exact = |h: f64, b: f64, o: f64, r: f64| {
        cost * (0.10 / 2.0 + 0.40 * h / 3.0 + 0.20 * b / 3.0 + 0.20 * o / 3.0 + 0.10 * r / 3.0)
    };
    let shares: Vec<i64> = rows[1..3].iter().map(|r| r[8].parse().unwrap()).collect();
    for (share, want) in shares
        .iter()
        .zip([exact(2.0, 2.0, 2.0, 1.0), exact(1.0, 1.0, 1.0, 2.0)])
    {
        assert!((*share as f64 - want).abs() < 1.0, "{share} vs {want}");
    }
    assert_eq!(shares.iter().sum::<i64>(), 1_000_001, "to the yen");
    assert_eq!(rows[3][1], "total");
    assert_eq!(rows[3][8], "1000001");
    assert_eq!(rows[4][1], "key");
}

/// `operator add` with the password on standard input.
fn add_login(on: &OnDb, args: &[&str]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args([&["operator", "add"], args, &["--db", &on.db]].concat())
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_login_gets_a_role_with_its_municipality_or_car_checked() {
    let on = OnDb::new();
    on.ok(&[
        "alert",
        "municipality",
        "--code",
        "223069",
        "--name",
        "西伊豆町",
        "--city",
        "2230600",
    ]);
    on.ok(&[
        "ride",
        "vehicle",
        "--name",
        "1号車",
        "--seats",
        "3",
        "--shift",
        "08:00-17:00",
        "--depot",
        "35.611,137.935",
    ]);
    for (args, why) in [
        (
            &["--name", "a", "--role", "staff"][..],
            "--municipality CODE",
        ),
        (
            &["--name", "a", "--role", "hq", "--municipality", "999999"],
            "no municipality",
        ),
        (
            &["--name", "a", "--role", "admin", "--municipality", "223069"],
            "for staff and hq",
        ),
        (&["--name", "a", "--role", "driver"], "--vehicle NAME"),
        (
            &["--name", "a", "--role", "driver", "--vehicle", "9号車"],
            "no car",
        ),
        (
            &[
                "--name",
                "a",
                "--role",
                "staff",
                "--municipality",
                "223069",
                "--vehicle",
                "1号車",
            ],
            "for driver",
        ),
        (&["--name", "a", "--role", "boss"], "invalid value"),
        (&["--name", "a"], "--role"),
    ] {
        let out = add_login(&on, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(text(&out).contains(why), "{args:?}: {}", text(&out));
    }
    for args in [
        &["--name", "yamada", "--role", "admin"][..],
        &[
            "--name",
            "sato",
            "--role",
            "staff",
            "--municipality",
            "223069",
        ],
        &[
            "--name",
            "honbu",
            "--role",
            "hq",
            "--municipality",
            "223069",
        ],
        &[
            "--name",
            "untenshu",
            "--role",
            "driver",
            "--vehicle",
            "1号車",
        ],
    ] {
        let out = add_login(&on, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    on.ok(&["operator", "disable", "--name", "honbu"]);
    let list = on.ok(&["operator", "list"]);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .map(|l| l.split('\t').skip(1).collect())
        .collect();
    assert_eq!(
        rows,
        [
            ["honbu", "hq", "223069", "disabled"],
            ["sato", "staff", "223069", "active"],
            ["untenshu", "driver", "1号車", "active"],
            ["yamada", "admin", "-", "active"],
        ]
    );
}
