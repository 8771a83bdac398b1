//! The box's head-end client against what can stand between a box and its
//! head-end: a captive portal or proxy answering 401 in HTML, a server sending far
//! more than any answer of ours (JSON or photo, with or without a length). The
//! "server" is a few lines of raw HTTP on 127.0.0.1, because that is exactly what
//! such a middlebox is; the genuine refusal comes from the real head-end.

#[path = "support/boxed.rs"]
mod boxed;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use boxed::{TestBox, headend_config, wait};
use engawa::runtime::headend::{self, ClientError, HeadendClient};
use engawa::store::Store;
use engawa_core::SystemClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the fake answers to every request: status line + headers, then `body`
/// (sent in 64 KiB chunks, so a length-less body really streams).
#[derive(Clone)]
struct Answer {
    head: &'static str,
    body: Arc<Vec<u8>>,
}

/// A raw HTTP/1.1 server on 127.0.0.1:0 answering `answer` to each request and
/// counting them; one request per connection.
async fn middlebox(answer: Answer) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(answer.head.as_bytes()).await;
                for chunk in answer.body.chunks(64 * 1024) {
                    if conn.write_all(chunk).await.is_err() {
                        return;
                    }
                }
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, seen)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

const PORTAL: &str =
    "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n";

#[test]
fn a_401_that_is_not_the_head_ends_is_not_a_refused_token() {
    let rt = rt();
    let body = Arc::new(b"<html><body>Please log in to the hotel Wi-Fi</body></html>".to_vec());
    let (url, _) = rt.block_on(middlebox(Answer { head: PORTAL, body }));
    let client = HeadendClient::new(&url).unwrap();
    let hb = engawa_core::api::Heartbeat {
        software_version: "test".into(),
        uptime_s: 1,
        last_activity_at: None,
    };
    let err = rt.block_on(client.heartbeat("tok", &hb, "k1")).unwrap_err();
    assert!(!err.token_refused(), "{err:?}");
    assert!(matches!(err, ClientError::Unavailable(_)), "{err:?}");
}

#[test]
fn a_paired_box_keeps_its_token_through_a_portals_401s() {
    let rt = rt();
    let body = Arc::new(b"<html>login</html>".to_vec());
    let (url, seen) = rt.block_on(middlebox(Answer { head: PORTAL, body }));
    let dir = tempfile::tempdir().unwrap();
    headend::save_token(dir.path(), "a-token-the-head-end-gave").unwrap();
    let bx = TestBox::spawn(
        Store::open(&dir.path().join("engawa.db")).unwrap(),
        Arc::new(SystemClock),
        headend_config(
            dir.path(),
            &url,
            "EGW-PORTAL-0001",
            Duration::from_millis(50),
            Duration::from_millis(50),
        ),
    );
    // Several heartbeats meet the portal; none is a reason to forget the token.
    wait("five heartbeats through the portal", 20, || {
        seen.load(Ordering::SeqCst) >= 5
    });
    assert_eq!(
        headend::load_token(dir.path()).unwrap().as_deref(),
        Some("a-token-the-head-end-gave")
    );
    bx.stop();
}

#[test]
fn answers_larger_than_the_box_reads_are_refused() {
    let rt = rt();
    let big_json = {
        let mut v = b"[".to_vec();
        while v.len() < 3 * engawa_core::api::MAX_ANSWER_BYTES {
            v.extend_from_slice(b"\"padding padding padding padding\",");
        }
        v.extend_from_slice(b"\"end\"]");
        Arc::new(v)
    };
    let big_photo = Arc::new(vec![0u8; 4 * engawa_shop::photo::MAX_BYTES]);
    let length = |n: usize| -> &'static str {
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n")
            .leak()
    };
    // No length: the body ends when the connection closes, as HTTP/1.1 allows.
    const STREAM: &str =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    for (what, head, body) in [
        (
            "JSON with a length",
            length(big_json.len()),
            big_json.clone(),
        ),
        ("JSON without a length", STREAM, big_json.clone()),
        (
            "photo with a length",
            length(big_photo.len()),
            big_photo.clone(),
        ),
        ("photo without a length", STREAM, big_photo.clone()),
    ] {
        let (url, _) = rt.block_on(middlebox(Answer { head, body }));
        let client = HeadendClient::new(&url).unwrap();
        let err = if what.starts_with("JSON") {
            rt.block_on(client.orders("tok")).map(|_| ()).unwrap_err()
        } else {
            rt.block_on(client.photo("tok", 1)).map(|_| ()).unwrap_err()
        };
        assert!(
            err.to_string().contains("answer larger than"),
            "{what}: {err}"
        );
    }
}

#[test]
fn the_client_will_not_speak_plain_http_to_another_machine() {
    let err = HeadendClient::new("http://192.0.2.7:8080")
        .err()
        .expect("plain http to another machine");
    assert!(err.to_string().contains("use https://"), "{err}");
    assert!(HeadendClient::new("http://127.0.0.1:8080").is_ok());
    assert!(HeadendClient::new("https://headend.example.jp").is_ok());
}
