//! NGSI-LD (ETSI GS CIM 009), read-only: the city platform's context
//! broker — or any NGSI-LD client — queries alerts, shelters and
//! per-district counts (`entities`) by `type`, `id`, `q` (`query`), `georel`
//! near a point, `attrs`, `limit`/`offset`/`count`, in the normalized or the
//! key-values form, as `application/ld+json` with the `@context` the
//! head-end serves itself (or `application/json` with a Link header). Each
//! type has a JSON Schema (`schemas/`, served beside the context).
//! Subscriptions: `subscriptions`.

pub mod db;
pub mod entities;
pub mod query;
pub mod subscriptions;

use std::collections::BTreeSet;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};

use self::entities::Kind;
use self::query::{Near, Query};
use super::{CityAuth, Scope};
use crate::AppState;

pub const ENTITIES_PATH: &str = "/ngsi-ld/v1/entities";
pub const ENTITY_PATH: &str = "/ngsi-ld/v1/entities/{id}";
pub const TYPES_PATH: &str = "/ngsi-ld/v1/types";
pub const CONTEXT_PATH: &str = "/ngsi-ld/context.jsonld";
pub const SCHEMA_PATH: &str = "/ngsi-ld/schemas/{file}";
pub const CORE_CONTEXT: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
const LD_JSON: &str = "application/ld+json";
const CONTEXT_REL: &str = "http://www.w3.org/ns/json-ld#context";
/// What one page of entities holds at most (and by default).
pub const MAX_LIMIT: usize = 1000;
pub const DEFAULT_LIMIT: usize = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ENTITIES_PATH, get(list))
        .route(ENTITY_PATH, get(one))
        .route(TYPES_PATH, get(types))
        .route(CONTEXT_PATH, get(context))
        .route(SCHEMA_PATH, get(schema))
        .merge(subscriptions::router())
}

/// The scopes a call needs, read from what it asks for: the types it
/// names (or the type its entity id names). Nothing named: any token, and
/// the answer holds only what the token's scopes cover.
pub fn needs(route: &str, path: &str, query: Option<&str>) -> Vec<Scope> {
    let kinds: Vec<Kind> = if route == ENTITY_PATH {
        path.rsplit('/')
            .next()
            .and_then(Kind::of_id)
            .into_iter()
            .collect()
    } else if route == ENTITIES_PATH {
        params(query)
            .iter()
            .filter(|(k, _)| k == "type")
            .flat_map(|(_, v)| v.split(',').filter_map(Kind::from_name).collect::<Vec<_>>())
            .collect()
    } else {
        Vec::new()
    };
    let mut scopes: Vec<Scope> = kinds.into_iter().map(Kind::scope).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

fn params(query: Option<&str>) -> Vec<(String, String)> {
    query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

/// An NGSI-LD error (ProblemDetails, §5.5.2).
pub fn problem(status: StatusCode, kind: &str, detail: impl Into<String>) -> Response {
    let body = json!({
        "type": format!("https://uri.etsi.org/ngsi-ld/errors/{kind}"),
        "title": kind,
        "detail": detail.into(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn bad(detail: impl Into<String>) -> Response {
    problem(StatusCode::BAD_REQUEST, "BadRequestData", detail)
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "NGSI-LD call failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "the head-end could not answer; see its log",
    )
}

pub fn context_url(s: &AppState) -> String {
    format!("{}{CONTEXT_PATH}", s.public_url)
}

/// How the answer is written: JSON-LD with `@context` in each entity, or
/// plain JSON with the context in a Link header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    LdJson,
    Json,
}

/// What the client accepts; `None`: neither JSON-LD nor JSON.
fn media(headers: &HeaderMap) -> Option<Media> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    if accept.contains(LD_JSON) {
        Some(Media::LdJson)
    } else if accept.contains("application/json") || accept.contains("*/*") {
        Some(Media::Json)
    } else {
        None
    }
}

fn not_acceptable() -> Response {
    problem(
        StatusCode::NOT_ACCEPTABLE,
        "NotAcceptable",
        "application/ld+json or application/json",
    )
}

fn answer(s: &AppState, m: Media, body: Value, count: Option<usize>) -> Response {
    let ctx = context_url(s);
    let body = match (m, body) {
        (Media::LdJson, Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .map(|mut e| {
                    e["@context"] = json!([ctx, CORE_CONTEXT]);
                    e
                })
                .collect(),
        ),
        (Media::LdJson, mut e) => {
            e["@context"] = json!([ctx, CORE_CONTEXT]);
            e
        }
        (Media::Json, b) => b,
    };
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    let h = r.headers_mut();
    match m {
        Media::LdJson => {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(LD_JSON));
        }
        Media::Json => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!(
                "<{ctx}>; rel=\"{CONTEXT_REL}\"; type=\"{LD_JSON}\""
            )) {
                h.insert(header::LINK, v);
            }
        }
    }
    if let Some(n) = count
        && let Ok(v) = HeaderValue::from_str(&n.to_string())
    {
        h.insert("NGSILD-Results-Count", v);
    }
    r
}

fn key_values(p: &[(String, String)]) -> bool {
    p.iter().any(|(k, v)| {
        (k == "options" && v.split(',').any(|o| o == "keyValues" || o == "simplified"))
            || (k == "format" && (v == "keyValues" || v == "simplified"))
    })
}

/// What the client's token lets it see of the kinds asked for.
fn readable(auth: &CityAuth, kinds: impl IntoIterator<Item = Kind>) -> BTreeSet<Kind> {
    kinds
        .into_iter()
        .filter(|k| auth.scopes.contains(&k.scope()))
        .collect()
}

async fn list(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(m) = media(&headers) else {
        return not_acceptable();
    };
    let p = params(raw.as_deref());
    let get = |name: &str| p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let types = get("type");
    let ids: Vec<&str> = get("id")
        .map(|v| v.split(',').collect())
        .unwrap_or_default();
    let q = match get("q").map(Query::parse).transpose() {
        Ok(q) => q,
        Err(e) => return bad(e.to_string()),
    };
    let near = match get("georel")
        .map(|g| Near::parse(g, get("geometry"), get("coordinates")))
        .transpose()
    {
        Ok(n) => n,
        Err(e) => return bad(e.to_string()),
    };
    let attrs: Vec<String> = get("attrs")
        .map(|a| a.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    if types.is_none() && ids.is_empty() && q.is_none() && near.is_none() && attrs.is_empty() {
        return bad("say what to find: type, id, q, attrs or georel");
    }
    let number = |name: &str, default: usize| -> Result<usize, String> {
        match get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{name}: a whole number")),
        }
    };
    let (limit, offset) = match (number("limit", DEFAULT_LIMIT), number("offset", 0)) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(why), _) | (_, Err(why)) => return bad(why),
    };
    if limit > MAX_LIMIT {
        return problem(
            StatusCode::FORBIDDEN,
            "TooManyResults",
            format!("limit: at most {MAX_LIMIT}"),
        );
    }
    let kinds = match types {
        Some(t) => readable(&auth, t.split(',').filter_map(Kind::from_name)),
        None if !ids.is_empty() => readable(&auth, ids.iter().filter_map(|i| Kind::of_id(i))),
        None => readable(&auth, Kind::ALL),
    };
    let all = match entities::load(&s, &auth.scope(), &kinds).await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let found: Vec<Value> = all
        .into_iter()
        .filter(|e| {
            ids.is_empty()
                || ids
                    .iter()
                    .any(|i| entities::same_id(e["id"].as_str().unwrap_or_default(), i))
        })
        .filter(|e| q.as_ref().is_none_or(|q| q.matches(e)))
        .filter(|e| near.is_none_or(|n| n.admits(&e["location"])))
        .filter(|e| {
            attrs.is_empty() || attrs.iter().any(|a| e.get(a).is_some_and(|v| !v.is_null()))
        })
        .collect();
    let total = found.len();
    let page: Vec<Value> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|e| {
            let e = if attrs.is_empty() {
                e
            } else {
                entities::project(&e, &attrs)
            };
            if key_values(&p) {
                e
            } else {
                entities::normalized(&e)
            }
        })
        .collect();
    let count = get("count").is_some_and(|c| c == "true").then_some(total);
    answer(&s, m, Value::Array(page), count)
}

async fn one(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(m) = media(&headers) else {
        return not_acceptable();
    };
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("no entity {id}"),
        )
    };
    let Some(kind) = Kind::of_id(&id) else {
        return not_found();
    };
    let kinds = readable(&auth, [kind]);
    let all = match entities::load(&s, &auth.scope(), &kinds).await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let Some(e) = all
        .into_iter()
        .find(|e| entities::same_id(e["id"].as_str().unwrap_or_default(), &id))
    else {
        return not_found();
    };
    let p = params(raw.as_deref());
    let e = if key_values(&p) {
        e
    } else {
        entities::normalized(&e)
    };
    answer(&s, m, e, None)
}

async fn types(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(m) = media(&headers) else {
        return not_acceptable();
    };
    let kinds = readable(&auth, Kind::ALL);
    let all = match entities::load(&s, &auth.scope(), &kinds).await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let present: BTreeSet<&str> = all.iter().filter_map(|e| e["type"].as_str()).collect();
    let details = params(raw.as_deref())
        .iter()
        .any(|(k, v)| k == "details" && v == "true");
    let body = if details {
        Value::Array(
            present
                .iter()
                .map(|t| json!({"id": t, "type": "EntityType", "typeName": t}))
                .collect(),
        )
    } else {
        json!({
            "id": format!("urn:ngsi-ld:EntityTypeList:{}", entities::urn_part(&s.mail_domain)),
            "type": "EntityTypeList",
            "typeList": present,
        })
    };
    answer(&s, m, body, None)
}

/// The terms of our entities: Smart Data Models' for the Alert, ours (under
/// the head-end's own address) for the rest.
pub fn context_document(s: &AppState) -> Value {
    let sdm = |t: &str| format!("https://smartdatamodels.org/dataModel.Alert/{t}");
    let ours = |t: &str| format!("{}/ngsi-ld/terms#{t}", s.public_url);
    let mut terms = serde_json::Map::new();
    for t in [
        "Alert",
        "alertSource",
        "category",
        "subCategory",
        "severity",
        "dateIssued",
        "validFrom",
        "validTo",
    ] {
        terms.insert(t.into(), json!(sdm(t)));
    }
    terms.insert("name".into(), json!("https://schema.org/name"));
    terms.insert(
        "description".into(),
        json!("https://schema.org/description"),
    );
    terms.insert("address".into(), json!("https://schema.org/address"));
    for t in [
        "Shelter",
        "CampaignDistrictAnswers",
        "DistrictDailyActivity",
        "municipality",
        "districts",
        "district",
        "drill",
        "warningLevel",
        "status",
        "capacity",
        "suitableFor",
        "sourceId",
        "refAlert",
        "households",
        "safe",
        "help",
        "noAnswer",
        "offline",
        "answeredShare",
        "dateObserved",
        "date",
        "orders",
        "rides",
    ] {
        terms.insert(t.into(), json!(ours(t)));
    }
    json!({"@context": Value::Object(terms)})
}

async fn context(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, LD_JSON)],
        context_document(&s).to_string(),
    )
        .into_response()
}

/// Each type's JSON Schema (of its key-values form).
pub const SCHEMAS: &[(&str, &str)] = &[
    ("Alert", include_str!("schemas/Alert.json")),
    ("Shelter", include_str!("schemas/Shelter.json")),
    (
        "CampaignDistrictAnswers",
        include_str!("schemas/CampaignDistrictAnswers.json"),
    ),
    (
        "DistrictDailyActivity",
        include_str!("schemas/DistrictDailyActivity.json"),
    ),
];

async fn schema(Path(file): Path<String>) -> Response {
    let name = file.strip_suffix(".json").unwrap_or(&file);
    match SCHEMAS.iter().find(|(n, _)| *n == name) {
        Some((_, text)) => {
            ([(header::CONTENT_TYPE, "application/schema+json")], *text).into_response()
        }
        None => problem(StatusCode::NOT_FOUND, "ResourceNotFound", "no such schema"),
    }
}
