//! What every HTTP handler shares: the server with its timers and connection
//! limit, and the extractors.

pub mod server;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The address a request came from, for counting login attempts and pairing
/// requests. The head-end listens on loopback behind its TLS proxy
/// (packaging/headend/nginx-engawa-headend.conf), so for a peer on loopback the
/// last `X-Forwarded-For` entry — the one the proxy appended — is the
/// client's; any other peer is the client itself. A request that came in
/// without a peer address (a test calling the router directly) is "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    pub fn key(&self) -> String {
        self.0
            .map_or_else(|| "unknown".to_string(), |a| a.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(match peer {
            Some(ip) if ip.is_loopback() => forwarded(parts).or(Some(ip)),
            other => other,
        }))
    }
}

fn forwarded(parts: &Parts) -> Option<IpAddr> {
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|a| a.trim().parse().ok())
}
