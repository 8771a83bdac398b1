//! Who may open which console page: every console route is in one table of
//! (path, method, who), next to the routes in each slice; one guard in front of
//! the whole console checks it before any handler runs. A console route that is
//! not in the table is refused to everyone (and logged), so a page cannot be
//! added without saying who it is for. `tests/roles.rs` walks the table with
//! every role.

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

/// Every console route, each slice's with the console's own.
pub fn table() -> Vec<Access> {
    [
        super::ACCESS,
        crate::shop::console::ACCESS,
        crate::watch::console::ACCESS,
        crate::ride::console::ACCESS,
        crate::disaster::console::ACCESS,
    ]
    .concat()
}

fn table_cached() -> &'static [Access] {
    static TABLE: std::sync::OnceLock<Vec<Access>> = std::sync::OnceLock::new();
    TABLE.get_or_init(table)
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
    if let Who::Roles(roles) = access.who
        && !roles.contains(&session.role)
    {
        tracing::warn!(operator = %session.operator, role = session.role.as_str(), %path, method = %req.method(), "console page refused to this role");
        return refused(Some(&session));
    }
    if let Some(owner) = access.owner {
        let scope = Scope::of(&session);
        match owned(&s, &mut req, owner, &scope).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(operator = %session.operator, %path, "console: another municipality's object (or none); 404");
                return (
                    StatusCode::NOT_FOUND,
                    super::page("見つかりません", Some(&session), err(NOT_HERE)),
                )
                    .into_response();
            }
            Err(e) => return super::internal(e),
        }
    }
    req.extensions_mut().insert(session);
    next.run(req).await
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
            Some(id) => s.db.boxes_in(scope).await?.iter().any(|b| b.id == id),
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
