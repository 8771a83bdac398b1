//! The box's side of the wire contract: a small HTTP client for the head-end, and
//! the box's credentials on disk.
//!
//! The token file lives in the state directory, mode 0600, written atomically
//! (temporary file + rename) so a power cut leaves either no token or a whole one.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use engawa_core::api::{
    ErrorBody, Heartbeat, HeartbeatAnswer, MAX_ANSWER_BYTES, PairingGrant, PairingRequest,
    TokenGrant, TokenRequest, codes,
};
use engawa_disaster::api::{AlertNow, AnswerReceipt, AnswerRequest};
use engawa_ride::api::{BookRequest, Booking, Places, Quote, RideRequest};
use engawa_shop::api::{Catalogue, Order, OrderRequest, Settled};
use engawa_watch::api::{WatchConfig, WatchReport};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: network down, head-end down, timeout. Retry later.
    #[error("the head-end cannot be reached: {0}")]
    Unavailable(String),
    /// No connection could be made: the request certainly never arrived.
    #[error("no connection to the head-end: {0}")]
    NotSent(String),
    /// The head-end answered with its own error envelope (`engawa_core::api::ErrorBody`).
    /// An error without that envelope (a proxy, a captive portal) is `Unavailable`.
    #[error("the head-end refused ({status}): {code}")]
    Refused {
        status: u16,
        code: String,
        /// What the resident may be shown (empty when the answer had none).
        message_ja: String,
    },
}

impl ClientError {
    /// The head-end itself says this box's token is no longer valid (box revoked or
    /// swapped): the only answer after which the box forgets its token and pairs
    /// again. A 401 from anything else between the box and the head-end is not.
    pub fn token_refused(&self) -> bool {
        matches!(self, ClientError::Refused { status, code, .. } if refuses_token(*status, code))
    }
}

/// A refusal's status and code say the token is no longer valid (see
/// [`ClientError::token_refused`]).
pub fn refuses_token(status: u16, code: &str) -> bool {
    status == 401 && code == codes::UNAUTHORIZED
}

/// Whether `url` is a head-end address this box may use: `https://` for any host,
/// plain `http://` only for this machine (127.0.0.0/8, ::1, localhost) — the box's
/// token and the resident's orders never cross a network unencrypted.
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not an address: {e}"))?;
    let local = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err(format!("{url:?} names no host")),
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        "http" => Err(format!(
            "{url:?} is plain http:// to another machine; use https:// (http:// is only for a head-end on this machine)"
        )),
        other => Err(format!("{url:?}: {other}:// is not https://")),
    }
}

/// Reads `resp`'s body, at most `cap` bytes: a larger answer is refused before it
/// is all in memory (whatever the server says its length is).
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, ClientError> {
    let too_big = || ClientError::Unavailable(format!("answer larger than {} KiB", cap / 1024));
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| ClientError::Unavailable(e.to_string()))?
    {
        if body.len() + chunk.len() > cap {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Clone)]
pub struct HeadendClient {
    base: String,
    http: reqwest::Client,
    /// For the alert stream, which stays open: no overall timeout (the
    /// reader has its own for silence).
    long: reqwest::Client,
}

impl HeadendClient {
    pub fn new(base: &str) -> Result<HeadendClient, ClientError> {
        // The process-wide TLS provider; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        check_url(base).map_err(ClientError::Unavailable)?;
        let http = reqwest::Client::builder()
            // The head-end never redirects; following one could leave https.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("engawa/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unavailable(e.to_string()))?;
        let long = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("engawa/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unavailable(e.to_string()))?;
        Ok(HeadendClient {
            base: base.trim_end_matches('/').to_string(),
            http,
            long,
        })
    }

    async fn post<B: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        token: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<Option<R>, ClientError> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        self.send(req, token).await
    }

    async fn get<R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<R, ClientError> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req, Some(token)).await?.ok_or_else(empty_answer)
    }

    async fn send<R: serde::de::DeserializeOwned>(
        &self,
        mut req: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> Result<Option<R>, ClientError> {
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| {
            if e.is_connect() {
                ClientError::NotSent(e.to_string())
            } else {
                ClientError::Unavailable(e.to_string())
            }
        })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let bytes = read_capped(resp, MAX_ANSWER_BYTES).await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ClientError::Refused {
                    status: status.as_u16(),
                    code: format!("unreadable answer: {e}"),
                    message_ja: String::new(),
                });
        }
        let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(&bytes) else {
            // Not the head-end speaking: a proxy or portal on the way. Nothing it
            // says (a 401 included) changes what the box knows; try again later.
            return Err(ClientError::Unavailable(format!(
                "{status} without the head-end's error envelope"
            )));
        };
        let (code, message_ja) = (error.code, error.message_ja);
        if status.is_server_error() {
            return Err(ClientError::Unavailable(format!("{status} {code}")));
        }
        Err(ClientError::Refused {
            status: status.as_u16(),
            code,
            message_ja,
        })
    }

    pub async fn start_pairing(&self, serial: &str) -> Result<PairingGrant, ClientError> {
        let body = PairingRequest {
            serial: serial.to_string(),
            software_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        self.post("/v1/pairing", &body, None, None)
            .await?
            .ok_or_else(empty_answer)
    }

    pub async fn poll_token(&self, device_code: &str) -> Result<TokenGrant, ClientError> {
        let body = TokenRequest {
            device_code: device_code.to_string(),
        };
        self.post("/v1/pairing/token", &body, None, None)
            .await?
            .ok_or_else(empty_answer)
    }

    pub async fn heartbeat(
        &self,
        token: &str,
        hb: &Heartbeat,
        idempotency_key: &str,
    ) -> Result<HeartbeatAnswer, ClientError> {
        self.post("/v1/heartbeat", hb, Some(token), Some(idempotency_key))
            .await?
            .ok_or_else(empty_answer)
    }

    /// The household's watch-over settings (`engawa_watch::api`).
    pub async fn watch_config(&self, token: &str) -> Result<WatchConfig, ClientError> {
        self.get("/v1/watch", token).await
    }

    pub async fn watch_report(
        &self,
        token: &str,
        report: &WatchReport,
        idempotency_key: &str,
    ) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>(
            "/v1/watch/report",
            report,
            Some(token),
            Some(idempotency_key),
        )
        .await
        .map(|_| ())
    }
}

fn empty_answer() -> ClientError {
    ClientError::Refused {
        status: 204,
        code: "empty answer".into(),
        message_ja: String::new(),
    }
}

/// The shop's requests (contract in `engawa_shop::api`).
impl HeadendClient {
    pub async fn catalogue(&self, token: &str) -> Result<Catalogue, ClientError> {
        self.get("/v1/shop/catalogue", token).await
    }

    pub async fn orders(&self, token: &str) -> Result<Vec<Order>, ClientError> {
        self.get("/v1/shop/orders", token).await
    }

    pub async fn place_order(
        &self,
        token: &str,
        key: &str,
        body: &OrderRequest,
    ) -> Result<Order, ClientError> {
        self.post("/v1/shop/orders", body, Some(token), Some(key))
            .await?
            .ok_or_else(empty_answer)
    }

    pub async fn cancel_order(&self, token: &str, id: i64) -> Result<Order, ClientError> {
        let path = format!("/v1/shop/orders/{id}/cancel");
        self.post(&path, &serde_json::json!({}), Some(token), Some(&new_key()))
            .await?
            .ok_or_else(empty_answer)
    }

    /// An item photo (PNG bytes).
    pub async fn photo(&self, token: &str, item_id: i64) -> Result<Vec<u8>, ClientError> {
        let resp = self
            .http
            .get(format!("{}/v1/shop/photos/{item_id}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| ClientError::Unavailable(e.to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(ClientError::Refused {
                status: status.as_u16(),
                code: "no photo".into(),
                message_ja: String::new(),
            });
        }
        read_capped(resp, engawa_shop::photo::MAX_BYTES).await
    }

    pub async fn settle(&self, token: &str, key: &str) -> Result<Settled, ClientError> {
        let path = format!("/v1/shop/attempts/{key}/settle");
        self.post(&path, &serde_json::json!({}), Some(token), None)
            .await?
            .ok_or_else(empty_answer)
    }
}

/// A fresh Idempotency-Key: 128 random bits from the kernel, as hex.
pub fn new_key() -> String {
    use std::io::Read;
    let mut b = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    if let Err(e) = read {
        // Never reuse a key: fall back to time and process id, which are unique here.
        tracing::warn!(error = %e, "no /dev/urandom; key from the clock");
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        return format!("t{t:x}-{:x}", std::process::id());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn token_path(state_dir: &Path) -> PathBuf {
    state_dir.join("token")
}

/// The stored token, if this box has been paired.
pub fn load_token(state_dir: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(token_path(state_dir)) {
        Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_string())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Write the token readable by this user only, atomically and durably.
pub fn save_token(state_dir: &Path, token: &str) -> std::io::Result<()> {
    let tmp = state_dir.join("token.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, token_path(state_dir))?;
    std::fs::File::open(state_dir)?.sync_all()
}

/// 防災's requests (contract in `engawa_disaster::api`).
impl HeadendClient {
    pub async fn alert_now(&self, token: &str) -> Result<AlertNow, ClientError> {
        self.get(engawa_disaster::api::ALERT_PATH, token).await
    }

    pub async fn alert_answer(
        &self,
        token: &str,
        req: &AnswerRequest,
        key: &str,
    ) -> Result<AnswerReceipt, ClientError> {
        self.post(
            engawa_disaster::api::ANSWER_PATH,
            req,
            Some(token),
            Some(key),
        )
        .await?
        .ok_or_else(empty_answer)
    }

    /// The open stream of alert versions (server-sent events); the caller
    /// reads it with `Response::chunk`.
    pub async fn alert_stream(&self, token: &str) -> Result<reqwest::Response, ClientError> {
        let resp = self
            .long
            .get(format!(
                "{}{}",
                self.base,
                engawa_disaster::api::ALERT_STREAM_PATH
            ))
            .header("Accept", "text/event-stream")
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| ClientError::NotSent(e.to_string()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let bytes = read_capped(resp, MAX_ANSWER_BYTES).await?;
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(ErrorBody { error }) if status.is_client_error() => Err(ClientError::Refused {
                status: status.as_u16(),
                code: error.code,
                message_ja: error.message_ja,
            }),
            _ => Err(ClientError::Unavailable(format!("alert stream: {status}"))),
        }
    }
}

/// The shared taxi's requests (contract in `engawa_ride::api`).
impl HeadendClient {
    pub async fn ride_places(&self, token: &str) -> Result<Places, ClientError> {
        self.get("/v1/ride/places", token).await
    }

    pub async fn ride_bookings(&self, token: &str) -> Result<Vec<Booking>, ClientError> {
        self.get("/v1/ride/bookings", token).await
    }

    pub async fn ride_quote(&self, token: &str, req: &RideRequest) -> Result<Quote, ClientError> {
        self.post("/v1/ride/quote", req, Some(token), None)
            .await?
            .ok_or_else(empty_answer)
    }

    pub async fn ride_book(
        &self,
        token: &str,
        req: &BookRequest,
        key: &str,
    ) -> Result<Booking, ClientError> {
        self.post("/v1/ride/bookings", req, Some(token), Some(key))
            .await?
            .ok_or_else(empty_answer)
    }

    pub async fn ride_cancel(&self, token: &str, id: i64) -> Result<Booking, ClientError> {
        self.post(
            &format!("/v1/ride/bookings/{id}/cancel"),
            &serde_json::json!({}),
            Some(token),
            None,
        )
        .await?
        .ok_or_else(empty_answer)
    }
}
