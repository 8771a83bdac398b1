//! The head-end under abuse, over real HTTP: login guessing (in parallel, from
//! one address and from many), login without its form token, and clients that
//! hold connections open (slow headers, idle keep-alive, a trickling body, more
//! connections than the limit).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Headend, PASSWORD, login};
use engawa_core::ManualClock;
use engawa_core::clock::tokyo;
use engawa_headend::AppState;
use engawa_headend::http::server::Limits;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn with_operator() -> (Headend, reqwest::Client) {
    let h = Headend::start().await;
    let http = h.operator().await;
    (h, http)
}

/// A login's status: `name` with `password` from `from`.
async fn tries(
    h: &Headend,
    http: &reqwest::Client,
    name: &str,
    password: &str,
    from: &str,
) -> StatusCode {
    login(http, &h.base, name, password, Some(from))
        .await
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_get_only_the_allowed_tries() {
    let (h, http) = with_operator().await;
    // Sixty guesses at once from one address: the count is reserved before
    // the password is checked, so exactly ten are checked (401), the rest are
    // refused without a check (429).
    let guesses = (0..60).map(|i| {
        let (http, base) = (http.clone(), h.base.clone());
        tokio::spawn(async move {
            login(
                &http,
                &base,
                "suzuki",
                &format!("guess{i}"),
                Some("198.51.100.7"),
            )
            .await
            .status()
        })
    });
    let mut checked = 0;
    let mut refused = 0;
    for g in guesses {
        match g.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("a guess answered {other}"),
        }
    }
    assert_eq!((checked, refused), (10, 50));
    // That address is shut out, even with the right password…
    assert_eq!(
        tries(&h, &http, "suzuki", PASSWORD, "198.51.100.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …but the operator at the office is not.
    assert_eq!(
        tries(&h, &http, "suzuki", PASSWORD, "203.0.113.5").await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn unknown_names_count_and_many_addresses_stop_at_the_account_limit() {
    let (h, http) = with_operator().await;
    // Unknown names are checked (against a dummy hash) and counted like known ones.
    for i in 0..10 {
        assert_eq!(
            tries(&h, &http, &format!("nobody{i}"), "x", "192.0.2.1").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        tries(&h, &http, "suzuki", PASSWORD, "192.0.2.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Thirty addresses guessing one name, three each: then that name waits,
    // wherever the next login comes from; other names do not.
    for i in 0..30 {
        let from = format!("10.0.{}.{}", i / 3, i % 3 + 1);
        assert_eq!(
            tries(&h, &http, "suzuki", "guess", &from).await,
            StatusCode::UNAUTHORIZED,
            "{from}"
        );
    }
    assert_eq!(
        tries(&h, &http, "suzuki", PASSWORD, "203.0.113.5").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        tries(&h, &http, "tanaka", "x", "203.0.113.5").await,
        StatusCode::UNAUTHORIZED
    );
    // Ten minutes on, the window has passed.
    h.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(
        tries(&h, &http, "suzuki", PASSWORD, "203.0.113.5").await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_login_without_its_form_token_is_refused() {
    let (h, http) = with_operator().await;
    let url = format!("{}/console/login", h.base);
    let fields = [("name", "suzuki"), ("password", "correct horse battery")];
    // No token at all (another site's form posting to ours).
    let r = http.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A token, but not the one in this browser's cookie.
    let r = http
        .post(&url)
        .header("cookie", "__Host-engawa_login=abc")
        .form(&[("csrf", "def"), fields[0], fields[1]])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(common::set_cookie(&r, "__Host-engawa_session").is_none());
    // The form's own token works.
    let r = login(&http, &h.base, "suzuki", PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// A head-end with tight limits, on its own port.
async fn strict(limits: Limits) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = common::open_db(&common::test_db(dir.path(), "headend.db").await).await;
    let clock = Arc::new(ManualClock::new(tokyo(2026, 11, 25, 10, 0)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(engawa_headend::serve_with(
        listener,
        AppState::new(db, clock),
        limits,
        std::future::pending(),
    ));
    (addr, dir)
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(s: &mut TcpStream) -> Option<String> {
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut all)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&all).into_owned()),
        Err(_) => None, // still open after 30 s
    }
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    let limits = Limits {
        header_read: Duration::from_secs(1),
        request: Duration::from_secs(2),
        ..Limits::default()
    };
    let (addr, _dir) = strict(limits).await;
    // Half a request's headers, then nothing (slowloris).
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /v1/me HTTP/1.1\r\nHost: headend\r\n")
        .await
        .unwrap();
    assert!(
        until_closed(&mut s).await.is_some(),
        "slow headers kept open"
    );
    // Connected, never a byte.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    assert!(
        until_closed(&mut s).await.is_some(),
        "a silent connection kept open"
    );
    // One answered request, then idle on keep-alive.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /v1/me HTTP/1.1\r\nHost: headend\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut s)
        .await
        .expect("an idle keep-alive kept open");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn a_trickling_body_gets_408_in_the_envelope() {
    let limits = Limits {
        header_read: Duration::from_secs(5),
        request: Duration::from_secs(1),
        ..Limits::default()
    };
    let (addr, _dir) = strict(limits).await;
    let (mut rd, mut wr) = TcpStream::connect(&addr).await.unwrap().into_split();
    wr.write_all(
        b"POST /v1/pairing HTTP/1.1\r\nHost: headend\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
    )
    .await
    .unwrap();
    // A byte every 300 ms: never idle long enough for a read timeout.
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if wr.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), rd.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(read.is_ok(), "a trickling body kept open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
}

#[tokio::test]
async fn connections_past_the_limit_wait_for_a_free_one() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let (addr, _dir) = strict(limits).await;
    let a = TcpStream::connect(&addr).await.unwrap();
    let b = TcpStream::connect(&addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // both accepted
    let http = reqwest::Client::new();
    let me = format!("http://{addr}/v1/me");
    let blocked = http
        .get(&me)
        .timeout(Duration::from_millis(1500))
        .send()
        .await;
    assert!(
        blocked.is_err(),
        "a third connection was served: {blocked:?}"
    );
    drop((a, b));
    let r = http
        .get(&me)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// `POST /v1/pairing` as a box behind `from` (the proxy's X-Forwarded-For).
async fn ask_pairing(h: &Headend, serial: &str, from: &str) -> (StatusCode, serde_json::Value) {
    let r = h
        .http
        .post(format!("{}/v1/pairing", h.base))
        .header("x-forwarded-for", from)
        .json(&serde_json::json!({"serial": serial, "software_version": "0.1.0"}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn pairing_requests_are_limited_per_address() {
    let h = Headend::start().await;
    let limit = engawa_headend::db::MAX_PAIRINGS_PER_SOURCE;
    for i in 0..limit {
        let (s, _) = ask_pairing(&h, &format!("EGW-F{i:04}"), "198.51.100.9").await;
        assert_eq!(s, StatusCode::CREATED, "request {i}");
    }
    let (s, body) = ask_pairing(&h, "EGW-F9999", "198.51.100.9").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(common::code(&body), "too_many_attempts");
    // Another address is not affected; the same one may ask again later.
    let (s, _) = ask_pairing(&h, "EGW-OTHER", "203.0.113.5").await;
    assert_eq!(s, StatusCode::CREATED);
    h.clock.advance(chrono::Duration::seconds(
        engawa_headend::db::PAIRING_WINDOW_S + 1,
    ));
    let (s, _) = ask_pairing(&h, "EGW-F9999", "198.51.100.9").await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn polls_with_unknown_codes_do_not_wait_for_the_write_lock() {
    let h = Headend::start().await;
    // Another writer holds the database's write lock (a long export, a backup).
    let writer = h.db.write_tx().await.unwrap();
    // A made-up device code is refused from a read: 401, not a 500 after the
    // write lock's busy timeout.
    let (s, body) = h
        .post(
            "/v1/pairing/token",
            serde_json::json!({"device_code": "made-up-device-code"}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    writer.rollback().await.unwrap();
}

#[tokio::test]
async fn approving_shows_the_serial_first_and_warns_of_a_box_in_use() {
    let h = Headend::start().await;
    let household = h.household("山田 花子").await;
    let c = h.console().await;
    let _old = h.pair("EGW-OLD-0001", household).await;
    let (_, grant) = ask_pairing(&h, "EGW-NEW-0002", "198.51.100.20").await;
    let code = grant["user_code"].as_str().unwrap().to_string();
    let device_code = grant["device_code"].as_str().unwrap().to_string();
    let hh = household.to_string();
    let (s, page) = c
        .form("/console/pairing", &[("code", &code), ("household", &hh)])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("機械 <strong>EGW-NEW-0002</strong>"),
        "{page}"
    );
    assert!(page.contains("もう 使っている 機械"), "{page}");
    assert!(page.contains("EGW-OLD-0001"), "{page}");
    // Not approved until confirmed: the box still waits.
    let (_, body) = h
        .post(
            "/v1/pairing/token",
            serde_json::json!({"device_code": device_code}),
            None,
        )
        .await;
    assert_eq!(common::code(&body), "authorization_pending");
    let (_, page) = c
        .form(
            "/console/pairing",
            &[("code", &code), ("household", &hh), ("confirm", "true")],
        )
        .await;
    assert!(page.contains("EGW-NEW-0002 を 世帯"), "{page}");
    h.clock.advance(chrono::Duration::seconds(6));
    let (s, body) = h
        .post(
            "/v1/pairing/token",
            serde_json::json!({"device_code": device_code}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_waiting_boxes_are_listed_a_page_at_a_time() {
    let h = Headend::start().await;
    let c = h.console().await;
    for i in 0..120 {
        let from = format!("198.51.{}.{}", 100 + i / 25, i % 25 + 1);
        let (s, _) = ask_pairing(&h, &format!("EGW-P{i:04}"), &from).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let rows = |page: &str| page.matches("<td>EGW-P").count();
    let (_, first) = c.get("/console/pairing").await;
    assert_eq!(rows(&first), 50);
    assert!(
        first.contains("（120 台）") && first.contains("1 / 3 ページ"),
        "{first}"
    );
    let (_, last) = c.get("/console/pairing?p=3").await;
    assert_eq!(rows(&last), 20);
    assert!(last.contains("3 / 3 ページ"));
}

#[tokio::test]
async fn the_server_and_every_task_stop_at_one_signal() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::open_db(&common::test_db(dir.path(), "headend.db").await).await;
    let state = AppState::new(db, Arc::new(ManualClock::new(tokyo(2026, 11, 25, 10, 0))));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(engawa_headend::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let r = reqwest::get(format!("{base}/console/login")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    stop.send(()).unwrap();
    // serve returns only when the server has drained and every background task
    // (monitor, improver, retention) has ended its loop.
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the head-end stops")
        .unwrap()
        .unwrap();
    assert!(reqwest::get(format!("{base}/console/login")).await.is_err());
}
