//! NGSI-LD subscriptions (§5.8): a client asks to be told when entities of a
//! type change; the head-end POSTs a Notification to the endpoint it gave.
//! The endpoint must lie under the notification address the operator gave
//! the client (`client add --notify URL`): the head-end never posts where
//! the operator did not agree to.
//!
//! The notifier ([`run`], one instance at a time under a lease) looks at
//! every subscription each pass, makes its entities as a query would, and
//! sends those whose watched attributes changed since the last notification
//! that was taken (2xx), the first pass sending them all. A notification
//! not taken is sent again, with what changed meanwhile, at the next pass:
//! nothing is lost; each notification's id is a hash of what it says, so a
//! receiver that saw it already can tell.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::entities::{self, Kind};
use super::query::Query;
use super::{CORE_CONTEXT, LD_JSON, bad, context_url, internal, problem};
use crate::AppState;
use crate::city::CityAuth;

pub const SUBSCRIPTIONS_PATH: &str = "/ngsi-ld/v1/subscriptions";
pub const SUBSCRIPTION_PATH: &str = "/ngsi-ld/v1/subscriptions/{id}";
/// How many subscriptions one client may hold.
pub const MAX_PER_CLIENT: usize = 20;
/// How long a notification may take to be taken.
pub const NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);
/// Attributes that change at every look without anything having happened.
const VOLATILE: &[&str] = &["dateObserved"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(SUBSCRIPTIONS_PATH, get(list).post(create))
        // ngsildclient posts to the collection with a trailing slash.
        .route("/ngsi-ld/v1/subscriptions/", get(list).post(create))
        .route(SUBSCRIPTION_PATH, get(one).delete(remove))
}

/// A subscription as the client asked, checked (what is stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub kinds: BTreeSet<Kind>,
    pub ids: Vec<String>,
    pub q: Option<String>,
    pub watched: Vec<String>,
    pub attributes: Vec<String>,
    pub key_values: bool,
    pub uri: String,
    pub ld: bool,
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|x| {
                x.as_str()
                    .filter(|s| !s.is_empty() && s.len() <= 100)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{what}: names of attributes"))
            })
            .collect(),
        Some(_) => Err(format!("{what}: a non-empty list of attribute names")),
    }
}

/// `%XX` sequences decoded (ngsildclient escapes a subscription's q).
fn unescape(s: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("q={}", s.replace('+', "%2B")))
        .ok()?
        .into_iter()
        .next()
        .map(|(_, v)| v)
}

impl Wanted {
    /// Reads a subscription's body; what is not offered is refused by name.
    pub fn from_body(body: &Value, auth: &CityAuth) -> Result<Wanted, String> {
        let o = body.as_object().ok_or("a JSON object")?;
        const TAKEN: &[&str] = &[
            "id",
            "type",
            "name",
            "subscriptionName",
            "description",
            "entities",
            "watchedAttributes",
            "q",
            "notification",
            "isActive",
            "@context",
        ];
        if let Some(k) = o.keys().find(|k| !TAKEN.contains(&k.as_str())) {
            return Err(format!("{k}: not offered by this source"));
        }
        if o.get("type").and_then(Value::as_str) != Some("Subscription") {
            return Err("type: Subscription".into());
        }
        if o.get("isActive") == Some(&Value::Bool(false)) {
            return Err("isActive: false is not offered (delete the subscription instead)".into());
        }
        let selectors = o
            .get("entities")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty() && a.len() <= 10)
            .ok_or("entities: one to ten selectors, each with a type or an id")?;
        let (mut kinds, mut ids) = (BTreeSet::new(), Vec::new());
        for s in selectors {
            if s.get("idPattern").is_some() {
                return Err("entities: idPattern is not offered; name a type or an id".into());
            }
            let kind = match (
                s.get("type").and_then(Value::as_str),
                s.get("id").and_then(Value::as_str),
            ) {
                (Some(t), _) => {
                    Kind::from_name(t).ok_or_else(|| format!("entities: no type {t}"))?
                }
                (None, Some(id)) => {
                    Kind::of_id(id).ok_or_else(|| format!("entities: no entity {id}"))?
                }
                (None, None) => return Err("entities: each selector names a type or an id".into()),
            };
            if !auth.scopes.contains(&kind.scope()) {
                return Err(format!(
                    "entities: {} needs the scope {}",
                    kind.name(),
                    kind.scope().key()
                ));
            }
            kinds.insert(kind);
            if let Some(id) = s.get("id").and_then(Value::as_str) {
                ids.push(id.to_owned());
            }
        }
        let q = match o.get("q") {
            None => None,
            Some(Value::String(q)) => {
                let plain = if Query::parse(q).is_err() {
                    unescape(q).unwrap_or_default()
                } else {
                    q.clone()
                };
                Query::parse(&plain).map_err(|e| e.to_string())?;
                Some(plain)
            }
            Some(_) => return Err("q: a string".into()),
        };
        let n = o
            .get("notification")
            .and_then(Value::as_object)
            .ok_or("notification: an object with an endpoint")?;
        if let Some(k) = n
            .keys()
            .find(|k| !["attributes", "format", "endpoint"].contains(&k.as_str()))
        {
            return Err(format!("notification.{k}: not offered by this source"));
        }
        let key_values = match n.get("format").and_then(Value::as_str) {
            None | Some("normalized") => false,
            Some("keyValues") | Some("simplified") => true,
            Some(f) => {
                return Err(format!(
                    "notification.format: {f} (normalized or keyValues)"
                ));
            }
        };
        let endpoint = n
            .get("endpoint")
            .and_then(Value::as_object)
            .ok_or("notification.endpoint: an object with a uri")?;
        let uri = endpoint
            .get("uri")
            .and_then(Value::as_str)
            .ok_or("notification.endpoint.uri")?;
        let parsed = url::Url::parse(uri)
            .map_err(|_| "notification.endpoint.uri: an http(s) URL".to_string())?;
        if !["http", "https"].contains(&parsed.scheme()) || uri.len() > 500 {
            return Err("notification.endpoint.uri: an http(s) URL".into());
        }
        match &auth.notify_prefix {
            Some(prefix) if uri.starts_with(prefix.as_str()) => {}
            Some(prefix) => {
                return Err(format!(
                    "notification.endpoint.uri: this client is notified only under {prefix}"
                ));
            }
            None => {
                return Err(
                    "notification.endpoint.uri: this client has no notification address (the operator gives one: client add --notify URL)"
                        .into(),
                );
            }
        }
        let ld = match endpoint.get("accept").and_then(Value::as_str) {
            None | Some("application/json") => false,
            Some(LD_JSON) => true,
            Some(a) => return Err(format!("notification.endpoint.accept: {a}")),
        };
        Ok(Wanted {
            kinds,
            ids,
            q,
            watched: strings(o.get("watchedAttributes"), "watchedAttributes")?,
            attributes: strings(n.get("attributes"), "notification.attributes")?,
            key_values,
            uri: uri.to_owned(),
            ld,
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "types": self.kinds.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "ids": self.ids,
            "q": self.q,
            "watched": self.watched,
            "attributes": self.attributes,
            "keyValues": self.key_values,
            "uri": self.uri,
            "ld": self.ld,
        })
    }

    fn from_json(v: &Value) -> Option<Wanted> {
        let list = |k: &str| -> Vec<String> {
            v[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Wanted {
            kinds: list("types")
                .iter()
                .filter_map(|t| Kind::from_name(t))
                .collect(),
            ids: list("ids"),
            q: v["q"].as_str().map(str::to_owned),
            watched: list("watched"),
            attributes: list("attributes"),
            key_values: v["keyValues"].as_bool()?,
            uri: v["uri"].as_str()?.to_owned(),
            ld: v["ld"].as_bool()?,
        })
    }
}

fn describe(s: &AppState, stored: &super::db::StoredSubscription, ld: bool) -> Value {
    let w = Wanted::from_json(&stored.body["wanted"]);
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    let mut entities_sel: Vec<Value> = Vec::new();
    if let Some(w) = &w {
        for k in &w.kinds {
            entities_sel.push(json!({"type": k.name()}));
        }
        for id in &w.ids {
            entities_sel.push(json!({"id": id}));
        }
    }
    let failing = stored.last_failure.is_some() && stored.last_failure > stored.last_success;
    let mut out = json!({
        "id": stored.id,
        "type": "Subscription",
        "entities": entities_sel,
        "isActive": true,
        "status": "active",
        "notification": {
            "format": if w.as_ref().is_some_and(|w| w.key_values) { "keyValues" } else { "normalized" },
            "endpoint": {
                "uri": w.as_ref().map(|w| w.uri.clone()),
                "accept": if w.as_ref().is_some_and(|w| w.ld) { LD_JSON } else { "application/json" },
            },
            "status": if failing { "failed" } else { "ok" },
            "timesSent": stored.times_sent,
            "lastNotification": time(stored.last_notification),
            "lastSuccess": time(stored.last_success),
            "lastFailure": time(stored.last_failure),
        },
    });
    if let Some(w) = &w {
        if let Some(q) = &w.q {
            out["q"] = json!(q);
        }
        if !w.watched.is_empty() {
            out["watchedAttributes"] = json!(w.watched);
        }
        if !w.attributes.is_empty() {
            out["notification"]["attributes"] = json!(w.attributes);
        }
    }
    for k in ["name", "description"] {
        if let Some(v) = stored.body.get(k) {
            out[k] = v.clone();
        }
    }
    if ld {
        out["@context"] = json!([context_url(s), CORE_CONTEXT]);
    }
    out
}

fn wants_ld(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(LD_JSON))
}

fn json_answer(status: StatusCode, ld: bool, body: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            if ld { LD_JSON } else { "application/json" },
        )],
        body.to_string(),
    )
        .into_response()
}

async fn create(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "the body is not JSON",
        );
    };
    let wanted = match Wanted::from_body(&body, &auth) {
        Ok(w) => w,
        Err(why) => return bad(why),
    };
    let mine = match s.db.subscriptions(Some(auth.client_id)).await {
        Ok(m) => m,
        Err(e) => return internal(e),
    };
    if mine.len() >= MAX_PER_CLIENT {
        return problem(
            StatusCode::FORBIDDEN,
            "OperationNotSupported",
            format!("a client holds at most {MAX_PER_CLIENT} subscriptions"),
        );
    }
    let id = match body.get("id").and_then(Value::as_str) {
        Some(id) if id.starts_with("urn:") && id.len() <= 200 && !id.contains(['/', '?', '#']) => {
            id.to_owned()
        }
        Some(_) => return bad("id: a URN without / ? #"),
        None => format!("urn:ngsi-ld:Subscription:{}", crate::secret::new_secret()),
    };
    let mut stored = json!({"wanted": wanted.to_json()});
    for k in ["name", "subscriptionName", "description"] {
        if let Some(Value::String(v)) = body.get(k) {
            stored[if k == "subscriptionName" { "name" } else { k }] =
                json!(v.chars().take(200).collect::<String>());
        }
    }
    match s
        .db
        .add_subscription(&id, auth.client_id, &stored, s.clock.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return problem(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!("{id} exists"),
            );
        }
        Err(e) => return internal(e),
    }
    tracing::info!(client = %auth.client, subscription = %id, "NGSI-LD subscription made");
    let mut r = StatusCode::CREATED.into_response();
    if let Ok(v) = format!("{SUBSCRIPTIONS_PATH}/{id}").parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

async fn list(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    headers: HeaderMap,
) -> Response {
    let ld = wants_ld(&headers);
    match s.db.subscriptions(Some(auth.client_id)).await {
        Ok(all) => json_answer(
            StatusCode::OK,
            ld,
            Value::Array(all.iter().map(|x| describe(&s, x, ld)).collect()),
        ),
        Err(e) => internal(e),
    }
}

fn no_such(id: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("no subscription {id}"),
    )
}

async fn one(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ld = wants_ld(&headers);
    match s.db.subscription(auth.client_id, &id).await {
        Ok(Some(x)) => json_answer(StatusCode::OK, ld, describe(&s, &x, ld)),
        Ok(None) => no_such(&id),
        Err(e) => internal(e),
    }
}

async fn remove(
    State(s): State<AppState>,
    Extension(auth): Extension<CityAuth>,
    Path(id): Path<String>,
) -> Response {
    match s.db.delete_subscription(auth.client_id, &id).await {
        Ok(true) => {
            tracing::info!(client = %auth.client, subscription = %id, "NGSI-LD subscription deleted");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => no_such(&id),
        Err(e) => internal(e),
    }
}

/// What a subscription watches of an entity, hashed.
fn watched_hash(e: &Value, watched: &[String]) -> String {
    let mut m = serde_json::Map::new();
    for (k, v) in e.as_object().into_iter().flatten() {
        if VOLATILE.contains(&k.as_str()) {
            continue;
        }
        if watched.is_empty() || watched.iter().any(|w| w == k) || k == "id" {
            m.insert(k.clone(), v.clone());
        }
    }
    let bytes = serde_json::to_vec(&Value::Object(m)).expect("JSON serialises");
    crate::secret::hash(&String::from_utf8_lossy(&bytes))
}

/// One look at every subscription; returns how many notifications were
/// taken.
pub async fn pass(s: &AppState, http: &reqwest::Client) -> Result<usize, sqlx::Error> {
    let clients = s.db.city_clients().await?;
    let mut taken = 0;
    for sub in s.db.subscriptions(None).await? {
        let Some(client) = clients
            .iter()
            .find(|c| c.id == sub.client_id && !c.disabled)
        else {
            continue;
        };
        let Some(w) = Wanted::from_json(&sub.body["wanted"]) else {
            tracing::error!(subscription = %sub.id, "a stored subscription cannot be read; skipped");
            continue;
        };
        let auth = CityAuth {
            client_id: client.id,
            client: client.name.clone(),
            scopes: client.scopes.clone(),
            municipality: client.municipality.clone(),
            notify_prefix: client.notify_prefix.clone(),
        };
        // The client's scopes now, not when it subscribed; and its address.
        if !auth
            .notify_prefix
            .as_deref()
            .is_some_and(|p| w.uri.starts_with(p))
        {
            continue;
        }
        let kinds: BTreeSet<Kind> = w
            .kinds
            .iter()
            .copied()
            .filter(|k| auth.scopes.contains(&k.scope()))
            .collect();
        let q = w.q.as_deref().and_then(|q| Query::parse(q).ok());
        let found: Vec<Value> = entities::load(s, &auth.scope(), &kinds)
            .await?
            .into_iter()
            .filter(|e| w.ids.is_empty() || w.ids.iter().any(|i| e["id"] == i.as_str()))
            .filter(|e| q.as_ref().is_none_or(|q| q.matches(e)))
            .collect();
        let seen = s.db.notified(&sub.id).await?;
        let mut told = Vec::new();
        let mut data = Vec::new();
        for e in found {
            let id = e["id"].as_str().unwrap_or_default().to_owned();
            let h = watched_hash(&e, &w.watched);
            if seen.get(&id) == Some(&h) {
                continue;
            }
            let e = if w.attributes.is_empty() {
                e
            } else {
                entities::project(&e, &w.attributes)
            };
            let mut e = if w.key_values {
                e
            } else {
                entities::normalized(&e)
            };
            if w.ld {
                e["@context"] = json!([context_url(s), CORE_CONTEXT]);
            }
            data.push(e);
            told.push((id, h));
        }
        if data.is_empty() {
            continue;
        }
        let now = s.clock.now();
        let digest = Sha256::digest(
            format!(
                "{}{}",
                sub.id,
                told.iter()
                    .map(|(i, h)| format!("{i}={h};"))
                    .collect::<String>()
            )
            .as_bytes(),
        );
        let notification = json!({
            "id": format!("urn:ngsi-ld:Notification:{}", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>()),
            "type": "Notification",
            "subscriptionId": sub.id,
            "notifiedAt": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": data,
        });
        let mut req = http
            .post(&w.uri)
            .timeout(NOTIFY_TIMEOUT)
            .header(
                header::CONTENT_TYPE,
                if w.ld { LD_JSON } else { "application/json" },
            )
            .body(notification.to_string());
        if !w.ld {
            req = req.header(
                header::LINK,
                format!(
                    "<{}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"{LD_JSON}\"",
                    context_url(s)
                ),
            );
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                s.db.notification_sent(&sub.id, &told, now).await?;
                taken += 1;
                tracing::info!(subscription = %sub.id, entities = told.len(), "NGSI-LD notification taken");
            }
            Ok(r) => {
                let why = format!("the endpoint answered {}", r.status());
                tracing::warn!(subscription = %sub.id, %why, "NGSI-LD notification not taken; tried again next pass");
                s.db.notification_failed(&sub.id, &why, now).await?;
            }
            Err(e) => {
                let why = format!("cannot reach the endpoint: {e}");
                tracing::warn!(subscription = %sub.id, %why, "NGSI-LD notification not taken; tried again next pass");
                s.db.notification_failed(&sub.id, &why, now).await?;
            }
        }
    }
    Ok(taken)
}

/// The notifier: a pass every `every` until the stop signal.
pub async fn run(
    s: AppState,
    every: Duration,
    stop: tokio_util::sync::WaitForCancellationFutureOwned,
) {
    let http = match reqwest::Client::builder().build() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "cannot make the notifier's HTTP client; NGSI-LD notifications stop");
            return;
        }
    };
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {
                if let Err(e) = pass(&s, &http).await {
                    tracing::error!(error = %e, "NGSI-LD notification pass failed; tried again");
                }
            }
        }
    }
}
