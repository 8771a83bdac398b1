//! The wire contract between box and head-end (JSON over HTTPS, `/v1/...`).
//!
//! Both sides use these types, so a field renamed on one side fails to compile on
//! the other. Requests refuse unknown fields: a box and a head-end that disagree
//! find out at once, not by silently dropping data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every error the head-end returns: `{ "error": { "code", "message_ja" } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable (`authorization_pending`, `invalid_json`…).
    pub code: String,
    /// What the resident may be shown.
    pub message_ja: String,
    /// The items a refusal is about (an item gone off sale, a changed price).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<i64>,
}

/// A box without credentials asks for a pairing code (RFC 8628 §3.1).
/// `POST /v1/pairing`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingRequest {
    pub serial: String,
    pub software_version: String,
}

/// The head-end's answer (RFC 8628 §3.2): the box shows `user_code` on the TV and
/// polls with `device_code`, which it keeps secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingGrant {
    pub device_code: String,
    /// 「4K7-P2Q」: what the operator types into the console.
    pub user_code: String,
    pub interval_s: u32,
    pub expires_in_s: u32,
}

/// `POST /v1/pairing/token`: "has the operator approved me yet?"
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub device_code: String,
}

/// The box's own bearer token, given exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenGrant {
    pub token: String,
    pub household_id: i64,
}

/// `POST /v1/heartbeat`, every few minutes. Never what was watched: only the time
/// of the last resident activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    pub software_version: String,
    pub uptime_s: u64,
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// The head-end's answer to a heartbeat: what the box should fetch again.
/// Unknown fields are allowed: a newer head-end may add versions an older box
/// does not follow yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatAnswer {
    /// The household's watch-over settings version (`GET /v1/watch` when it
    /// differs from the one the box has).
    pub watch_version: i64,
    /// The household's alert version (`GET /v1/alert` when it differs): the
    /// fallback for a box whose alert stream is down. 0 from a head-end
    /// without the disaster service.
    #[serde(default)]
    pub alert_version: i64,
}

/// The largest JSON answer a box reads from the head-end; a larger one is refused
/// before it is all in memory. A household's catalogue, orders and rides are far
/// smaller. (Photos have their own cap, `engawa_shop::photo::MAX_BYTES`.)
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Error codes of the pairing flow (RFC 8628 §3.5 names).
pub mod codes {
    pub const AUTHORIZATION_PENDING: &str = "authorization_pending";
    pub const SLOW_DOWN: &str = "slow_down";
    pub const EXPIRED_TOKEN: &str = "expired_token";
    pub const ALREADY_ISSUED: &str = "already_issued";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const INVALID_JSON: &str = "invalid_json";
    pub const INVALID_INPUT: &str = "invalid_input";
    pub const MISSING_IDEMPOTENCY_KEY: &str = "missing_idempotency_key";
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
    pub const NOT_FOUND: &str = "not_found";
    pub const INTERNAL: &str = "internal";
    /// The request took longer than the head-end allows (a trickling body).
    pub const TIMEOUT: &str = "timeout";
    /// The head-end is past what it can take now: try again after the
    /// response's Retry-After.
    pub const BUSY: &str = "busy";
}
