//! A TCP gate in front of the head-end for the box's fault tests: it passes
//! bytes both ways, and on command cuts every connection and refuses new
//! ones (the network gone), refuses the alert stream only, or loses the
//! head-end's answer to every `POST /v1/alert/answer` (the request arrives,
//! the box hears nothing).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
pub struct Gate {
    pub addr: Option<SocketAddr>,
    /// The network is gone: connections cut, new ones closed at once.
    pub down: AtomicBool,
    /// The alert stream is refused (closed before any byte).
    pub no_stream: AtomicBool,
    /// The answer to each 安否 answer is lost.
    pub lose_answers: AtomicBool,
    /// 安否 answers that reached the head-end through the gate.
    pub answers_through: AtomicU64,
    /// Alert streams the box opened through the gate.
    pub streams_opened: AtomicU64,
}

impl Gate {
    pub fn set(&self, flag: &AtomicBool, on: bool) {
        flag.store(on, Ordering::SeqCst);
    }
}

/// A gate in front of `target`; returns it with its address filled in.
pub fn gate(target: SocketAddr) -> Arc<Gate> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let g = Arc::new(Gate {
        addr: Some(listener.local_addr().unwrap()),
        ..Gate::default()
    });
    let gg = g.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if gg.down.load(Ordering::SeqCst) {
                let _ = client.shutdown(Shutdown::Both);
                continue;
            }
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            pipe(gg.clone(), client, server);
        }
    });
    g
}

fn pipe(g: Arc<Gate>, client: TcpStream, server: TcpStream) {
    let lose = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicBool::new(false));
    for s in [&client, &server] {
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
    }
    let (c_in, s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (g_up, lose_up, cut_up) = (g.clone(), lose.clone(), cut.clone());
    // Box → head-end.
    std::thread::spawn(move || {
        copy(&g_up, &cut_up, c_in, s_out, |chunk| {
            if contains(chunk, b"GET /v1/alert/stream") {
                if g_up.no_stream.load(Ordering::SeqCst) {
                    return false;
                }
                g_up.streams_opened.fetch_add(1, Ordering::SeqCst);
            }
            if contains(chunk, b"POST /v1/alert/answer") {
                g_up.answers_through.fetch_add(1, Ordering::SeqCst);
                if g_up.lose_answers.load(Ordering::SeqCst) {
                    lose_up.store(true, Ordering::SeqCst);
                }
            }
            true
        })
    });
    // Head-end → box: once an answer is to be lost, the head-end answers
    // and the box hears nothing.
    std::thread::spawn(move || copy(&g, &cut, server, client, |_| !lose.load(Ordering::SeqCst)));
}

/// Copies `from` to `to` until either side closes, the gate goes down or
/// the pair is cut; `pass` sees each chunk first and stops the copy by
/// saying no. Either direction ending cuts the pair.
fn copy(
    g: &Gate,
    cut: &AtomicBool,
    mut from: TcpStream,
    mut to: TcpStream,
    mut pass: impl FnMut(&[u8]) -> bool,
) {
    let mut buf = [0u8; 16 * 1024];
    while !g.down.load(Ordering::SeqCst) && !cut.load(Ordering::SeqCst) {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if is_timeout(&e) => continue,
            Err(_) => break,
        };
        if !pass(&buf[..n]) || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    cut.store(true, Ordering::SeqCst);
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
