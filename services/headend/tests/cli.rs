//! `engawa-headend` as an operator types it: every command and subcommand
//! explains itself with `--help`, and what the CLI stores is checked exactly
//! as the console's forms check it (nothing is stored when a field is wrong).

use std::process::{Command, Output};

use engawa_headend::Db;

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
    let db = dir.path().join("headend.db");
    let db_arg = db.to_str().unwrap();
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
    let rows = Db::open(&db).await.unwrap().households().await.unwrap();
    assert_eq!(rows.len(), 1, "only the good one is stored");
    assert_eq!(rows[0].name, "山田 花子");
    assert_eq!(rows[0].eligibility, "65歳以上");
}

#[test]
fn taxi_setup_on_the_command_line_is_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("headend.db");
    let db_arg = db.to_str().unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("headend.db");
    let db_arg = db.to_str().unwrap();
    let run = |args: &[&str]| headend(&[args, &["--db", db_arg]].concat());
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        text(&out)
    };
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
