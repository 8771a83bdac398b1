//! OAuth 2.0 for city-platform clients: the client credentials grant
//! (RFC 6749 §4.4) at `POST /oauth/token`, bearer tokens (RFC 6750) on every
//! other city call. The guard in front of the city routes looks each route up
//! in [`ACCESS`] (a route missing from it is refused), checks the token and
//! its scope, and writes the call to the audit log before the handler runs:
//! if the row cannot be written the call is refused. Refusals are logged too.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, RequestExt, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::Scope;
use super::db::TokenRefusal;
use crate::AppState;
use crate::http::ClientAddr;
use crate::platform::audit::Entry;

pub const TOKEN_PATH: &str = "/oauth/token";

/// The path prefixes the guard stands in front of.
pub const PREFIXES: [&str; 2] = ["/city/", "/ngsi-ld/"];

/// What a city route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone (the NGSI-LD @context and the JSON Schemas: documents a
    /// JSON-LD processor fetches by itself).
    Public,
    /// A token with this scope.
    Scope(Scope),
    /// A token; the scopes it needs are read from the call (the types it
    /// asks for: `ngsi::needs`), and the answer holds only what they cover.
    Token,
}

/// (route, what it needs). Every city route is here.
pub const ACCESS: &[(&str, Need)] = &[
    ("/city/v1/cap/alerts.atom", Need::Scope(Scope::Alerts)),
    ("/city/v1/cap/alerts/{id}", Need::Scope(Scope::Alerts)),
    (
        "/city/v1/cap/alerts/{id}/cancel",
        Need::Scope(Scope::Alerts),
    ),
    (super::ngsi::ENTITIES_PATH, Need::Token),
    (super::ngsi::ENTITY_PATH, Need::Token),
    (super::ngsi::TYPES_PATH, Need::Token),
    (super::ngsi::CONTEXT_PATH, Need::Public),
    (super::ngsi::SCHEMA_PATH, Need::Public),
    (super::ngsi::subscriptions::SUBSCRIPTIONS_PATH, Need::Token),
    ("/ngsi-ld/v1/subscriptions/", Need::Token),
    (super::ngsi::subscriptions::SUBSCRIPTION_PATH, Need::Token),
];

pub fn router() -> Router<AppState> {
    Router::new().route(TOKEN_PATH, post(token))
}

/// An OAuth error (RFC 6749 §5.2, RFC 6750 §3.1): JSON with `error` and
/// `error_description`, never cached.
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// `WWW-Authenticate` for a refused client or token.
    challenge: Option<String>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            challenge: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "error_description": self.description,
        });
        let mut r = (self.status, Json(body)).into_response();
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(c) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            h.insert(header::WWW_AUTHENTICATE, c);
        }
        r
    }
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Serialize)]
struct TokenAnswer {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
}

/// HTTP Basic client authentication (RFC 6749 §2.3.1): both parts
/// form-urlencoded before base64.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|v| v.into_iter().next())
            .map(|(_, v)| v)
    };
    Some((dec(id)?, dec(secret)?))
}

async fn token(
    State(s): State<AppState>,
    from: ClientAddr,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, OAuthError> {
    let Ok(Form(f)) = form else {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    };
    if f.grant_type.as_deref() != Some("client_credentials") {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is offered",
        ));
    }
    let (client, secret) = match (basic(&headers), f.client_id, f.client_secret) {
        (Some(c), None, None) => c,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => {
            let mut e = OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "authenticate the client once: HTTP Basic, or client_id and client_secret in the body",
            );
            e.challenge = Some("Basic realm=\"engawa\"".into());
            return Err(e);
        }
    };
    let asked = match f.scope.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(list) => {
            let parsed: Option<Vec<Scope>> = list.split_whitespace().map(Scope::from_key).collect();
            match parsed {
                Some(v) => Some(v),
                None => {
                    return Err(OAuthError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        "scopes offered: alerts:read shelters:read aggregates:read",
                    ));
                }
            }
        }
    };
    let now = s.clock.now();
    let issued =
        s.db.issue_city_token(&client, &secret, asked.as_deref(), now)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot issue a city token");
                OAuthError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "try again later",
                )
            })?;
    let mut entry = Entry {
        operator: format!("client:{client}"),
        action: format!("POST {TOKEN_PATH}"),
        object: TOKEN_PATH.into(),
        fields: "grant_type,scope".into(),
        outcome: "allowed".into(),
        peer: from.key(),
        ..Default::default()
    };
    match issued {
        Ok(t) => {
            if let Err(e) = s.db.audit(&entry, now).await {
                tracing::error!(error = %e, "cannot write the audit log; token not given");
                return Err(OAuthError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "try again later",
                ));
            }
            tracing::info!(%client, "city token issued");
            let mut r = Json(TokenAnswer {
                access_token: t.access_token,
                token_type: "Bearer",
                expires_in: t.expires_in,
                scope: super::db::scopes_text(&t.scopes),
            })
            .into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(r)
        }
        Err(refusal) => {
            entry.outcome = match refusal {
                TokenRefusal::InvalidClient => "refused: client",
                TokenRefusal::InvalidScope => "refused: scope",
            }
            .into();
            audit_refusal(&s, &entry).await;
            tracing::warn!(%client, outcome = %entry.outcome, "city token refused");
            Err(match refusal {
                TokenRefusal::InvalidClient => {
                    let mut e = OAuthError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        "unknown client, wrong secret, or the client is disabled",
                    );
                    e.challenge = Some("Basic realm=\"engawa\"".into());
                    e
                }
                TokenRefusal::InvalidScope => OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "a scope this client was not given",
                ),
            })
        }
    }
}

async fn audit_refusal(s: &AppState, entry: &Entry) {
    if let Err(e) = s.db.audit(entry, s.clock.now()).await {
        tracing::error!(error = %e, action = %entry.action, "cannot write the audit log");
    }
}

fn bearer_refused(error: &'static str, description: &str, scope: Option<Scope>) -> OAuthError {
    let (status, challenge) = match (error, scope) {
        ("insufficient_scope", Some(sc)) => (
            StatusCode::FORBIDDEN,
            format!(
                "Bearer realm=\"engawa\", error=\"insufficient_scope\", scope=\"{}\"",
                sc.key()
            ),
        ),
        ("", _) => (
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"engawa\"".to_string(),
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            format!("Bearer realm=\"engawa\", error=\"{error}\""),
        ),
    };
    let mut e = OAuthError::new(
        status,
        if error.is_empty() {
            "invalid_request"
        } else {
            error
        },
        description,
    );
    e.challenge = Some(challenge);
    e
}

/// The guard in front of the city routes (installed by `routes::router`).
pub async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !PREFIXES.iter().any(|p| path.starts_with(p)) {
        return next.run(req).await;
    }
    let Some(route) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        // No such route: the fallback's 404.
        return next.run(req).await;
    };
    let Some(&(_, need)) = ACCESS.iter().find(|(r, _)| *r == route) else {
        tracing::error!(%route, "a city route missing from the access table; refused");
        return OAuthError::new(StatusCode::FORBIDDEN, "access_denied", "not offered")
            .into_response();
    };
    if need == Need::Public {
        return next.run(req).await;
    }
    let needed: Vec<Scope> = match need {
        Need::Scope(s) => vec![s],
        _ => super::ngsi::needs(&route, req.uri().path(), req.uri().query()),
    };
    let peer = req
        .extract_parts::<ClientAddr>()
        .await
        .map(|c| c.key())
        .unwrap_or_else(|_| "unknown".into());
    let mut entry = Entry {
        operator: "client:?".into(),
        action: format!("{} {route}", req.method()),
        object: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        outcome: "allowed".into(),
        peer,
        ..Default::default()
    };
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let Some(token) = token else {
        entry.outcome = "refused: no token".into();
        audit_refusal(&s, &entry).await;
        return bearer_refused("", "a bearer token is needed (POST /oauth/token)", None)
            .into_response();
    };
    let now = s.clock.now();
    let auth = match s.db.city_auth(&token, now).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            entry.outcome = "refused: token".into();
            audit_refusal(&s, &entry).await;
            tracing::warn!(%route, "city call with an unknown or expired token");
            return bearer_refused(
                "invalid_token",
                "the token is unknown, expired or revoked",
                None,
            )
            .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot check a city token");
            return OAuthError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "try again later",
            )
            .into_response();
        }
    };
    entry.operator = format!("client:{}", auth.client);
    entry.municipality = auth.municipality.clone();
    if let Some(&missing) = needed.iter().find(|n| !auth.scopes.contains(n)) {
        entry.outcome = "refused: scope".into();
        audit_refusal(&s, &entry).await;
        tracing::warn!(client = %auth.client, %route, "city call outside the token's scopes");
        return bearer_refused(
            "insufficient_scope",
            "the token's scopes do not cover this",
            Some(missing),
        )
        .into_response();
    }
    if let Err(e) = s.db.audit(&entry, now).await {
        tracing::error!(error = %e, "cannot write the audit log; city call refused");
        return OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "try again later",
        )
        .into_response();
    }
    req.extensions_mut().insert(auth);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        let raw = base64::engine::general_purpose::STANDARD.encode("city%2Dportal:a%2Bb%3Ac");
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {raw}").parse().unwrap(),
        );
        assert_eq!(basic(&h), Some(("city-portal".into(), "a+b:c".into())));
        h.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert_eq!(basic(&h), None);
    }
}
