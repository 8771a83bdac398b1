//! The audit log against the real head-end: console reads and changes,
//! refusals and command-line runs are written with who, when, what and from
//! where, never with the values typed; 管理者 finds them on the 記録 page and
//! with `engawa-headend audit`; the database refuses to change or delete a
//! row, on SQLite and on PostgreSQL.

mod common;

use common::Headend;
use engawa_core::Clock;
use engawa_headend::db::{Grant, Role};
use engawa_headend::platform::audit::Search;
use reqwest::StatusCode;

fn staff_of(code: &str) -> Grant {
    Grant {
        role: Role::Staff,
        municipality: Some(code.into()),
        vehicle_id: None,
    }
}

#[tokio::test]
async fn console_reads_changes_and_refusals_are_logged_without_values_and_cannot_be_changed() {
    let h = Headend::start().await;
    h.db.set_municipality(&engawa_headend::disaster::db::Municipality::new(
        "209996",
        "みどり町",
        ["2099600".to_string()].into(),
        Default::default(),
    ))
    .await
    .unwrap();
    let household = h.household("山田 花子").await; // the platform's (no municipality)
    let admin = h.console().await;
    let (s, _) = admin.get(&format!("/console/watch/{household}")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = admin
        .form(
            &format!("/console/watch/{household}/contacts"),
            &[("name", "山田 一郎"), ("email", "ichiro@example.jp")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Staff of みどり町 try the platform's household: refused, and logged.
    let staff = h.console_as("sato", &staff_of("209996")).await;
    let (s, _) = staff.get(&format!("/console/watch/{household}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = staff.get("/console/disaster").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let search = |operator: &str, household: Option<i64>| Search {
        operator: operator.into(),
        household_id: household,
        ..Default::default()
    };
    let (rows, total) =
        h.db.audit_search(&search("", Some(household)), 0, 100)
            .await
            .unwrap();
    assert_eq!(total, 3, "{rows:#?}");
    // Newest first: the refusal, the change, the read.
    let [refusal, change, read] = &rows[..] else {
        panic!("{rows:#?}")
    };
    assert_eq!(read.entry.operator, "suzuki");
    assert_eq!(read.entry.action, "GET /console/watch/{id}");
    assert_eq!(read.entry.object, format!("/console/watch/{household}"));
    assert_eq!(read.entry.outcome, "allowed");
    assert_eq!(read.entry.peer, "127.0.0.1");
    assert_eq!(read.at, h.clock.now());
    assert_eq!(change.entry.action, "POST /console/watch/{id}/contacts");
    assert_eq!(change.entry.fields, "name,email");
    assert_eq!(refusal.entry.operator, "sato");
    assert_eq!(refusal.entry.municipality.as_deref(), Some("209996"));
    assert_eq!(refusal.entry.outcome, "refused: not in scope");
    let (rows, _) =
        h.db.audit_search(&search("sato", None), 0, 100)
            .await
            .unwrap();
    assert!(
        rows.iter().any(
            |r| r.entry.action == "GET /console/disaster" && r.entry.outcome == "refused: role"
        ),
        "{rows:#?}"
    );
    // The values typed are nowhere in the log.
    let (all, _) =
        h.db.audit_search(&Search::default(), 0, 1000)
            .await
            .unwrap();
    let text = format!("{all:?}");
    assert!(
        !text.contains("ichiro@example.jp") && !text.contains("山田 一郎"),
        "{text}"
    );

    // 管理者 finds them on the 記録 page; nobody can change them.
    let (s, page) = admin
        .get(&format!("/console/audit?household={household}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    // The three, and this search itself (it names the household).
    assert!(page.contains("4 件"), "{page}");
    assert!(page.contains("断った（ほかの 自治体）"), "{page}");
    let (s, _) = staff.get("/console/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut sql = common::sql_connection(&h.location).await;
    for statement in [
        "UPDATE audit_log SET operator = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let e = sqlx::query(statement).execute(&mut sql).await.unwrap_err();
        assert!(e.to_string().contains("insert-only"), "{statement}: {e}");
    }
    if common::postgres_server().is_some() {
        let e = sqlx::query("TRUNCATE audit_log")
            .execute(&mut sql)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("insert-only"), "{e}");
    }
    let (_, still) = h.db.audit_search(&Search::default(), 0, 1).await.unwrap();
    assert!(still >= all.len() as i64);
}

#[test]
fn command_line_runs_are_logged_with_their_flags_but_not_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(common::test_db(dir.path(), "headend.db"));
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
            .args(args)
            .args(["--db", &db])
            .env("RUST_LOG", "warn")
            .env("USER", "tanaka")
            .env("SUDO_USER", "")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    run(&[
        "household",
        "add",
        "--name",
        "山田 花子",
        "--address",
        "みどり町 1-2",
        "--phone",
        "0265-11-2222",
    ]);
    run(&["box", "list"]);
    let log = run(&["audit", "--operator", "cli:tanaka"]);
    let lines: Vec<Vec<&str>> = log.lines().map(|l| l.split('\t').collect()).collect();
    // Newest first: audit itself, the box list, the add.
    assert_eq!(lines.len(), 3, "{log}");
    assert_eq!(lines[0][3], "audit");
    assert_eq!(lines[1][3], "box list");
    assert_eq!(lines[2][1], "cli:tanaka");
    assert_eq!(lines[2][3], "household add");
    assert_eq!(lines[2][5], "name,address,phone,db");
    assert!(!log.contains("山田") && !log.contains("0265"), "{log}");
}
