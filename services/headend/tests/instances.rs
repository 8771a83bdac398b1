//! Several head-end instances on one database (real `engawa-headend serve`
//! processes; PostgreSQL in the suite's second pass, one SQLite file in the
//! first): a background task runs in one instance at a time — seen from a
//! loopback JMA feed that records which instance polls it (its User-Agent) —
//! and when that instance is killed with SIGKILL the other takes the task
//! over once the dead one's lease runs out; and an order given elsewhere
//! reaches a box streaming from any instance (on PostgreSQL by notification,
//! with the once-a-second reading turned down to once a minute).

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;

/// Each poll: when, and the instance in its User-Agent.
type Polls = Arc<Mutex<Vec<(Instant, String)>>>;

async fn feed(State(polls): State<Polls>, headers: HeaderMap) -> String {
    let agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let instance = agent
        .split("(instance ")
        .nth(1)
        .map(|i| i.trim_end_matches(')').to_string())
        .unwrap_or_else(|| agent.to_string());
    polls.lock().unwrap().push((Instant::now(), instance));
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" lang=\"ja\"><title>高頻度（随時）</title></feed>".into()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Instance {
    child: Child,
    port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &str, feed: &str) -> Instance {
    start_with(
        db,
        &[
            "--jma-feed",
            feed,
            "--jma-every",
            "1",
            "--lease-seconds",
            "3",
        ],
    )
}

fn start_with(db: &str, args: &[&str]) -> Instance {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Instance { child, port }
}

async fn up(i: &Instance) {
    let http = reqwest::Client::new();
    let t = Instant::now();
    while http
        .get(format!("http://127.0.0.1:{}/v1/me", i.port))
        .send()
        .await
        .is_err()
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "instance did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The instances that polled in the last `window`.
fn pollers(polls: &Polls, window: Duration) -> Vec<String> {
    let mut who: Vec<String> = polls
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t.elapsed() < window)
        .map(|(_, i)| i.clone())
        .collect();
    who.sort();
    who.dedup();
    who
}

#[tokio::test]
async fn a_task_runs_in_one_instance_and_another_takes_it_when_that_one_is_killed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let polls: Polls = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let feed_url = format!("http://{}/feed.xml", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/feed.xml", get(feed))
        .with_state(polls.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db(dir.path(), "headend.db").await;
    // The first makes the tables; then the second joins.
    let a = start(&db, &feed_url);
    up(&a).await;
    let b = start(&db, &feed_url);
    up(&b).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let now = pollers(&polls, Duration::from_secs(4));
    assert_eq!(now.len(), 1, "one instance polls: {now:?}");
    let holder = now[0].clone();
    let pid = |i: &Instance| i.child.id().to_string();
    let (mut dead, alive) = if holder.contains(&format!("-{}-", pid(&a))) {
        (a, b)
    } else {
        assert!(holder.contains(&format!("-{}-", pid(&b))), "{holder}");
        (b, a)
    };
    // Every task's lease is the holder's (the feeds' shows by the polls).
    let leases = common::open_db(&db).await.leases().await.unwrap();
    let names: Vec<&str> = leases.iter().map(|l| l.0.as_str()).collect();
    for task in [
        "disaster-mails",
        "jma-feeds",
        "retention",
        "ride-improver",
        "watch-monitor",
    ] {
        assert!(names.contains(&task), "{task}: {leases:?}");
    }

    // kill -9: it gives nothing back; its lease runs out (3 s) and the other
    // takes the task.
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();
    let killed = Instant::now();
    let t = Instant::now();
    let taken_over = loop {
        let recent = pollers(&polls, Duration::from_secs(1));
        if recent.iter().any(|i| *i != holder) {
            break killed.elapsed();
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "nobody took the feeds over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(taken_over >= Duration::from_millis(500), "{taken_over:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let now = pollers(&polls, Duration::from_secs(2));
    assert_eq!(now.len(), 1, "{now:?}");
    assert!(
        now[0].contains(&format!("-{}-", alive.child.id())),
        "{now:?}"
    );
    // No poll by two instances in the same second, at any time.
    let all = polls.lock().unwrap().clone();
    for w in all.windows(2) {
        if w[0].1 != w[1].1 {
            assert!(
                w[1].0.duration_since(w[0].0) > Duration::from_millis(900),
                "both polled at once: {:?}",
                &all
            );
        }
    }
    let leases = common::open_db(&db).await.leases().await.unwrap();
    assert!(
        leases.iter().all(|l| l.1 != holder),
        "the dead one holds nothing: {leases:?}"
    );
    eprintln!("taken over {taken_over:?} after SIGKILL (lease 3 s)");
    drop(alive);
}

/// The versions a box's alert stream on `port` receives.
async fn stream(port: u16, token: &str) -> Arc<Mutex<Vec<i64>>> {
    let resp = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/v1/alert/stream"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    common::alert_versions(resp)
}

#[tokio::test]
async fn an_order_given_elsewhere_reaches_a_box_streaming_from_another_instance() {
    use engawa_core::Clock;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_db(dir.path(), "headend.db").await;
    let store = common::open_db(&db).await;
    let clock = engawa_core::SystemClock;
    store
        .set_municipality(&engawa_headend::disaster::db::Municipality::new(
            "209996",
            "みどり町",
            ["2099600".to_string()].into(),
            Default::default(),
        ))
        .await
        .unwrap();
    let household = store
        .add_household(
            &engawa_headend::db::NewHousehold {
                name: "山田 花子".into(),
                address: "みどり町 1".into(),
                phone: "0265-11-2222".into(),
                district: "上沢".into(),
                municipality: Some("209996".into()),
                ..Default::default()
            },
            clock.now(),
        )
        .await
        .unwrap();
    let token = store
        .issue_token(household, "EGW-PUSH", clock.now())
        .await
        .unwrap();
    // On PostgreSQL the instances read the versions only once a minute: the
    // notification alone must carry the order across. On SQLite (one
    // instance's engine) the reading every second does.
    let on_postgres = common::postgres_server().is_some();
    let every = if on_postgres { "60" } else { "1" };
    let a = start_with(&db, &["--alert-hub-every", every]);
    up(&a).await;
    let b = start_with(&db, &["--alert-hub-every", every]);
    up(&b).await;
    let versions = stream(b.port, &token).await;
    let t = Instant::now();
    while versions.lock().unwrap().is_empty() {
        assert!(t.elapsed() < Duration::from_secs(10), "no first event");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = *versions.lock().unwrap().last().unwrap();
    // The order, from a third process on the same database (the command
    // line, as an operator would give it): instance B hears of it.
    let out = Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args(["alert", "order", "--db", &db, "--municipality", "209996"])
        .args(["--order", "evacuate", "--hazard", "flood", "--drill"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let given = Instant::now();
    while *versions.lock().unwrap().last().unwrap() == before {
        assert!(
            given.elapsed() < Duration::from_secs(10),
            "the box on the other instance never heard of the order"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = given.elapsed();
    eprintln!("order heard on the other instance after {took:?}");
    if on_postgres {
        // Far sooner than the minute the reading would take.
        assert!(took < Duration::from_secs(30), "{took:?}");
    }
    drop((a, b));
}
