//! The HTTP/1 server under the router, with the timers `axum::serve` leaves
//! off: a client that sends its headers a byte at a time, keeps an idle
//! connection open, or trickles a request body cannot hold a connection (and
//! its memory) for ever, and at most `max_connections` are served at once —
//! the rest wait in the kernel's accept queue.
//!
//! - header read: from the moment the server waits for a request's headers
//!   (also between requests on a kept-alive connection) until they are all in;
//!   a connection that sends nothing in that time is closed — the idle timeout;
//! - request: the handler's whole answer, body reading included; past it the
//!   client gets 408 in the API's error envelope and the connection is closed.
//!
//! Each request carries the peer's address (`ConnectInfo<SocketAddr>`), which
//! [`super::ClientAddr`] reads. On shutdown, accepting stops, every connection
//! is asked to finish its request in flight, and the server waits up to
//! `drain` for them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

use engawa_core::api::codes;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read: Duration,
    pub request: Duration,
    pub max_connections: usize,
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Boxes send a heartbeat a minute; a browser keeps a connection
            // for a few seconds. Neither needs longer to send its headers.
            header_read: Duration::from_secs(15),
            // The largest request is a catalogue upload of 2 MiB from an
            // operator's office line.
            request: Duration::from_secs(60),
            // Every box holds one connection for its alert stream (≈ 20 KiB
            // each: a task and two buffers), so this is the boxes in service
            // plus room for the console; the unit's LimitNOFILE is above it.
            max_connections: 16_384,
            drain: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(v) => v,
                // Out of file descriptors, or the peer gone before accept:
                // the listener itself is fine; wait a little and go on.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let router = router.clone();
                async move {
                    let req = req.map(Body::new);
                    let answer = tokio::time::timeout(limits.request, router.oneshot(req)).await;
                    Ok::<Response, Infallible>(match answer {
                        Ok(Ok(r)) => r,
                        Ok(Err(never)) => match never {},
                        Err(_) => too_slow(peer),
                    })
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let ended = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.drain, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            left = limits.max_connections - slots.available_permits(),
            "stopped with connections still open"
        );
    }
    Ok(())
}

fn too_slow(peer: SocketAddr) -> Response {
    tracing::info!(%peer, "request took too long; connection closed");
    let mut r = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        codes::TIMEOUT,
        "時間が かかりすぎたため 受け付けませんでした。もういちど おためしください。",
    )
    .into_response();
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    r
}
