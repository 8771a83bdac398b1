//! Who may open which console page: every console route is in one table of
//! (path, method, who), next to the routes in each slice; one guard in front of
//! the whole console checks it before any handler runs. A console route that is
//! not in the table is refused to everyone (and logged), so a page cannot be
//! added without saying who it is for. The whole table is put together in
//! `routes::access_table`; `tests/roles.rs` walks it with every role.

use axum::RequestExt;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::db::Scope;
use crate::html::err;

pub use crate::db::Role;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No login needed (the login page itself).
    Anyone,
    /// Any logged-in operator.
    LoggedIn,
    /// Logged in with one of these roles.
    Roles(&'static [Role]),
}

pub const OFFICE: Who = Who::Roles(&[Role::Admin, Role::Staff]);
pub const DISASTER: Who = Who::Roles(&[Role::Admin, Role::Hq]);
pub const DRIVING: Who = Who::Roles(&[Role::Admin, Role::Staff, Role::Driver]);
pub const PLATFORM: Who = Who::Roles(&[Role::Admin]);

/// What a route's `{id}` (or `{code}`) names, so the guard can check it
/// belongs to the login's municipality before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// `{id}` is a household.
    Household,
    /// `{id}` is a box.
    Box,
    /// `{id}` is a disaster campaign (an order or an alert).
    Campaign,
    /// `{code}` is a municipality.
    Town,
}

/// One console route: its path as the router has it (`{id}` for a
/// parameter), its method, who may use it, and what its parameter names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub path: &'static str,
    pub method: Method,
    pub who: Who,
    pub owner: Option<Owner>,
}

pub const fn get(path: &'static str, who: Who) -> Access {
    Access {
        path,
        method: Method::GET,
        who,
        owner: None,
    }
}

pub const fn post(path: &'static str, who: Who) -> Access {
    Access {
        path,
        method: Method::POST,
        who,
        owner: None,
    }
}

impl Access {
    /// The route's parameter names an `owner`: another municipality's is
    /// answered 404, as if it did not exist.
    pub const fn of(mut self, owner: Owner) -> Access {
        self.owner = Some(owner);
        self
    }
}

/// The table the guard reads: every slice's, installed by the router
/// (`routes::access_table`; this module imports no slice). Before it is
/// installed every console route is refused.
static TABLE: std::sync::OnceLock<Vec<Access>> = std::sync::OnceLock::new();

pub fn install(table: Vec<Access>) {
    let _ = TABLE.set(table);
}

fn table_cached() -> &'static [Access] {
    TABLE.get().map(Vec::as_slice).unwrap_or(&[])
}

/// The route's entry; HEAD is answered as GET.
pub fn entry(path: &str, method: &Method) -> Option<Access> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    table_cached()
        .iter()
        .find(|a| a.path == path && a.method == *method)
        .cloned()
}

/// Whether `role` may use the route (for the navigation bar: only pages the
/// operator can open are shown).
pub fn allows(role: Role, path: &str, method: &Method) -> bool {
    entry(path, method).is_some_and(|a| match a.who {
        Who::Anyone | Who::LoggedIn => true,
        Who::Roles(roles) => roles.contains(&role),
    })
}

/// The console's guard, in front of every route under `/console`: the
/// session is read once here (and handed to the handler's extractor), and a
/// role the route is not for gets 403 before the handler runs.
pub async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(req).await;
    };
    if !path.starts_with("/console") {
        return next.run(req).await;
    }
    let Some(access) = entry(&path, req.method()) else {
        tracing::error!(%path, method = %req.method(), "a console route missing from the access table; refused");
        return refused(None);
    };
    if access.who == Who::Anyone {
        return next.run(req).await;
    }
    let session = match super::session(&s, req.headers()).await {
        Ok(session) => session,
        Err(to_login) => return to_login,
    };
    let peer = req
        .extract_parts::<crate::http::ClientAddr>()
        .await
        .map(|c| c.0.map(|ip| ip.to_string()))
        .unwrap_or_default()
        .unwrap_or_else(|| "unknown".into());
    // What the request concerns, for the audit log: its concrete path and
    // query, the household it names, the names of the fields it sends.
    let mut entry = crate::platform::audit::Entry {
        operator: session.operator.clone(),
        operator_id: Some(session.operator_id),
        municipality: session.municipality.clone(),
        action: format!("{} {path}", req.method()),
        object: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        household_id: query_household(req.uri().query()),
        fields: String::new(),
        outcome: "allowed".into(),
        peer,
    };
    if let Who::Roles(roles) = access.who
        && !roles.contains(&session.role)
    {
        tracing::warn!(operator = %session.operator, role = session.role.as_str(), %path, method = %req.method(), "console page refused to this role");
        entry.outcome = "refused: role".into();
        audit(&s, &entry).await;
        return refused(Some(&session));
    }
    if let Some(owner) = access.owner {
        if owner == Owner::Household {
            entry.household_id = path_id(&mut req).await.or(entry.household_id);
        }
        let scope = Scope::of(&session);
        match owned(&s, &mut req, owner, &scope).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(operator = %session.operator, %path, "console: another municipality's object (or none); 404");
                entry.outcome = "refused: not in scope".into();
                audit(&s, &entry).await;
                return (
                    StatusCode::NOT_FOUND,
                    super::page("見つかりません", Some(&session), err(NOT_HERE)),
                )
                    .into_response();
            }
            Err(e) => return super::internal(e),
        }
    }
    let req = match form_fields(req, &mut entry).await {
        Ok(req) => req,
        Err(too_big) => return too_big,
    };
    // Nothing is shown or changed unrecorded.
    if let Err(e) = s.db.audit(&entry, s.clock.now()).await {
        return super::internal(format!("cannot write the audit log: {e}"));
    }
    let mut req = req;
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// Records a refusal; a refusal is given even when the log cannot be written.
async fn audit(s: &AppState, entry: &crate::platform::audit::Entry) {
    if let Err(e) = s.db.audit(entry, s.clock.now()).await {
        tracing::error!(error = %e, action = %entry.action, "cannot write the audit log");
    }
}

/// `?household=N` in a query.
fn query_household(query: Option<&str>) -> Option<i64> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "household")
        .and_then(|(_, v)| v.parse().ok())
}

async fn path_id(req: &mut Request) -> Option<i64> {
    let params = req.extract_parts::<RawPathParams>().await.ok()?;
    params
        .iter()
        .find(|(k, _)| *k == "id")
        .and_then(|(_, v)| v.parse().ok())
}

/// A form's field names (not their values) and the household it names, for
/// the log; the body is handed on to the handler as it came. An upload is
/// recorded as one.
async fn form_fields(
    req: Request,
    entry: &mut crate::platform::audit::Entry,
) -> Result<Request, Response> {
    let form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase());
    match form.as_deref() {
        Some(t) if t.starts_with("application/x-www-form-urlencoded") => {}
        Some(t) if t.starts_with("multipart/form-data") => {
            entry.fields = "(upload)".into();
            return Ok(req);
        }
        _ => return Ok(req),
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, super::MAX_FORM_BYTES).await else {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            super::page("受け付けられません", None, err("入力が 長すぎます。")),
        )
            .into_response());
    };
    let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).unwrap_or_default();
    let mut names: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != "csrf")
        .collect();
    names.dedup();
    entry.fields = names.join(",");
    if let Some(h) = pairs
        .iter()
        .find(|(k, _)| k == "household")
        .and_then(|(_, v)| v.parse().ok())
    {
        entry.household_id = Some(h);
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// The words of a page whose object is not in the login's municipality (or
/// does not exist: the two are not told apart).
pub const NOT_HERE: &str = "その ページは ありません。";

/// Whether the route's parameter names something in `scope`.
async fn owned(
    s: &AppState,
    req: &mut Request,
    owner: Owner,
    scope: &Scope,
) -> Result<bool, sqlx::Error> {
    if *scope == Scope::All {
        return Ok(true);
    }
    let Ok(params) = req.extract_parts::<RawPathParams>().await else {
        return Ok(false);
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    };
    let id = || param("id").and_then(|v| v.parse::<i64>().ok());
    Ok(match owner {
        Owner::Household => match id() {
            Some(id) => s.db.household_in(scope, id).await?,
            None => false,
        },
        Owner::Box => match id() {
            Some(id) => s.db.box_household_in(scope, id).await?.is_some(),
            None => false,
        },
        Owner::Campaign => match id() {
            Some(id) => {
                s.db.campaign(id)
                    .await?
                    .is_some_and(|c| scope.admits(Some(&c.municipality)))
            }
            None => false,
        },
        Owner::Town => scope.admits(param("code").as_deref()),
    })
}

/// The words of a refusal by role (tests look for them).
pub const REFUSED: &str = "この ページは、この ログインの 係では 使えません。";

fn refused(session: Option<&crate::db::Session>) -> Response {
    (
        StatusCode::FORBIDDEN,
        super::page("使えません", session, err(REFUSED)),
    )
        .into_response()
}
