//! API errors: one type, always answered as `{ "error": { "code", "message_ja" } }`
//! with the right status. Internal details go to the log, never to the box.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engawa_core::api::{ErrorBody, ErrorDetail, codes};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message_ja: String,
    pub items: Vec<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message_ja: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message_ja: message_ja.into(),
            items: Vec::new(),
        }
    }

    /// 503 with Retry-After: more than the head-end can take now.
    pub fn busy() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::BUSY,
            "センターが こみあっています。しばらくして もういちど おためしください。",
        )
    }

    pub fn bad_request(code: &'static str, message_ja: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message_ja)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::UNAUTHORIZED,
            "この機械の登録が 確認できません。お電話ください。",
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "センターで 問題が おきました。しばらくして もういちど おためしください。",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message_ja: self.message_ja,
                items: self.items,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // 1–5 s, spread so the boxes refused together do not come back
            // together.
            let mut r = [0u8; 1];
            let _ = getrandom::fill(&mut r);
            let after = 1 + u32::from(r[0]) % 5;
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(after),
            );
        }
        response
    }
}
