//! What every HTTP handler shares: the server with its timers and connection
//! limit, and the extractors — [`ClientAddr`], [`ApiJson`] (bodies refused in
//! our envelope), [`BoxAuth`] (a box's bearer token), [`IdempotencyKey`].

pub mod server;

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use engawa_core::api::codes;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::db::BoxAuth;
use crate::error::ApiError;

/// The address a request came from, for counting login attempts and pairing
/// requests. The head-end listens on loopback behind its TLS proxy
/// (packaging/headend/nginx-engawa-headend.conf), so for a peer on loopback the
/// last `X-Forwarded-For` entry — the one the proxy appended — is the
/// client's; any other peer is the client itself. A request that came in
/// without a peer address (a test calling the router directly) is "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// What limits count by: the IPv4 address, or the IPv6 /64 (one household
    /// line gets a whole /64, so counting single v6 addresses would not limit).
    pub fn key(&self) -> String {
        match self.0 {
            None => "unknown".to_string(),
            Some(IpAddr::V4(a)) => a.to_string(),
            Some(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = a.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
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

/// `Json` whose rejections (malformed, unknown field, too big, wrong type) are
/// answered in our envelope instead of axum's plain text.
pub struct ApiJson<T>(pub T);

/// Box requests of one class in flight at once (the alert streams aside)
/// before the next is refused with 503: about what the head-end answers in
/// 50 ms at its capacity, so a request it takes is answered in time and one
/// it cannot take is told so at once instead of waiting in a queue.
pub const MAX_IN_FLIGHT: usize = 512;

/// The room for box requests, by class: heartbeats (the flood: every box
/// every few minutes, cheap to send again) apart from everything else
/// (orders, bookings, 安否 answers, what the screens read), so that a
/// heartbeat flood past capacity never sheds what a resident did.
#[derive(Debug)]
pub struct Admission {
    pub heartbeats: std::sync::Arc<tokio::sync::Semaphore>,
    pub requests: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Admission {
    /// Room for `n` of each class.
    pub fn new(n: usize) -> Admission {
        let room = || std::sync::Arc::new(tokio::sync::Semaphore::new(n.max(1)));
        Admission {
            heartbeats: room(),
            requests: room(),
        }
    }

    fn for_path(&self, path: &str) -> &std::sync::Arc<tokio::sync::Semaphore> {
        if path == HEARTBEAT_PATH {
            &self.heartbeats
        } else {
            &self.requests
        }
    }
}

pub const HEARTBEAT_PATH: &str = "/v1/heartbeat";

/// Admission: a box request (not the alert stream, which stays open for
/// hours) takes a place in its class of `AppState::admission` for as long
/// as it runs; with none free it is answered 503 + Retry-After at once,
/// which costs next to nothing, so the requests taken keep their speed past
/// capacity.
pub async fn admit(
    axum::extract::State(s): axum::extract::State<crate::AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    if !path.starts_with("/v1/") || path == engawa_disaster::api::ALERT_STREAM_PATH {
        return next.run(req).await;
    }
    match s.admission.for_path(path).clone().try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => {
            tracing::debug!(%path, "box request refused: too many in flight");
            crate::error::ApiError::busy().into_response()
        }
    }
}

/// No box request is anywhere near this big.
pub const MAX_BOX_BODY_BYTES: usize = 16 * 1024;

/// Box routes (`/v1/...`) with their body cap; every slice wraps its box
/// routes in this, its console pages not.
pub fn box_api<S: Clone + Send + Sync + 'static>(routes: axum::Router<S>) -> axum::Router<S> {
    routes.layer(axum::extract::DefaultBodyLimit::max(MAX_BOX_BODY_BYTES))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                tracing::info!(reason = %rejection.body_text(), "refused a request body");
                Err(ApiError::new(
                    rejection.status(),
                    codes::INVALID_JSON,
                    "送られた内容を 読めませんでした。",
                ))
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BoxAuth
where
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = <AppState as axum::extract::FromRef<S>>::from_ref(state);
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        state
            .db
            .box_by_token(token.trim())
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The `Idempotency-Key` every mutating box request carries (a UUID-like token
/// the box keeps with the request it retries), checked by
/// [`check_idempotency_key`]; missing or malformed → 400 in the envelope.
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        check_idempotency_key(key).map(IdempotencyKey)
    }
}

/// 8–100 characters of letters, digits and `-`.
pub fn check_idempotency_key(key: &str) -> Result<String, ApiError> {
    let key = key.trim();
    if key.len() < 8
        || key.len() > 100
        || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ApiError::bad_request(
            codes::MISSING_IDEMPOTENCY_KEY,
            "送られた内容を 読めませんでした。",
        ));
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_ipv4_addresses_and_ipv6_networks() {
        let key = |a: &str| ClientAddr(Some(a.parse().unwrap())).key();
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff::9"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(ClientAddr(None).key(), "unknown");
    }
}
