//! Roles: every console route, walked with every role against the real
//! head-end. A route is used by the roles its entry in the access table names
//! and refused (403, before its handler runs) to the others; without a login
//! every page but the login page sends the browser to it; the navigation bar
//! lists only the pages the login can open.

mod common;

use std::collections::BTreeMap;

use common::{Console, Headend};
use engawa_disaster::policy::Policy;
use engawa_headend::console::access::{self, REFUSED, Who};
use engawa_headend::db::{Grant, Role};
use engawa_headend::disaster::db::Municipality;
use engawa_ride::service::Vehicle;
use reqwest::StatusCode;

const TOWN: &str = "223069";

/// A route's path with its parameters filled in with something that parses.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{cid}", "1")
        .replace("{code}", TOWN)
        .replace("{file}", "orders-2026-11.csv")
}

async fn grants(h: &Headend) -> Vec<(&'static str, Grant)> {
    h.db.set_municipality(&Municipality::new(
        TOWN,
        "西伊豆町",
        ["2230600".to_string()].into(),
        Policy::default(),
    ))
    .await
    .unwrap();
    let car =
        h.db.add_vehicle(
            "1号車",
            &Vehicle {
                seats: 3,
                wheelchair: false,
                shift: (8 * 60, 17 * 60),
                depot: (35.5, 137.8),
            },
        )
        .await
        .unwrap();
    let town = Some(TOWN.to_string());
    vec![
        ("kanri", Grant::admin()),
        (
            "shokuin",
            Grant {
                role: Role::Staff,
                municipality: town.clone(),
                vehicle_id: None,
            },
        ),
        (
            "honbu",
            Grant {
                role: Role::Hq,
                municipality: town,
                vehicle_id: None,
            },
        ),
        (
            "untenshu",
            Grant {
                role: Role::Driver,
                municipality: None,
                vehicle_id: Some(car),
            },
        ),
    ]
}

async fn request(c: &Console, a: &access::Access) -> (StatusCode, String) {
    let path = concrete(a.path);
    if a.method == axum::http::Method::GET {
        c.get(&path).await
    } else {
        c.form(&path, &[]).await
    }
}

#[tokio::test]
async fn every_console_route_is_used_only_by_the_roles_it_names() {
    let h = Headend::start().await;
    h.household("山田 花子").await;
    let table = engawa_headend::routes::access_table();
    assert!(table.len() > 40, "the whole console: {}", table.len());
    let mut seen = BTreeMap::new();
    for (name, grant) in grants(&h).await {
        let c = h.console_as(name, &grant).await;
        // Logging out last: it ends the session the walk uses.
        let (last, walk): (Vec<_>, Vec<_>) =
            table.iter().partition(|a| a.path == "/console/logout");
        for a in walk.into_iter().chain(last) {
            let allowed = match a.who {
                Who::Anyone | Who::LoggedIn => true,
                Who::Roles(roles) => roles.contains(&grant.role),
            };
            let (status, body) = request(&c, a).await;
            let what = format!("{} {} as {:?}", a.method, a.path, grant.role);
            if allowed {
                assert!(!body.contains(REFUSED), "{what}: refused\n{body}");
                // The router has the route: its fallback answers JSON.
                assert!(!body.contains("\"not_found\""), "{what}: no such route");
                assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}\n{body}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}\n{body}");
                assert!(body.contains(REFUSED), "{what}\n{body}");
            }
            *seen.entry((grant.role.as_str(), allowed)).or_insert(0) += 1;
        }
        // The navigation bar lists what the role may open, and nothing else.
        let c = h.console_as(name, &grant).await;
        let (_, page) = c.get("/console/ride").await;
        let (_, page) = if page.contains(REFUSED) {
            c.get("/console/disaster").await
        } else {
            (StatusCode::OK, page)
        };
        let nav = page
            .split("<nav>")
            .nth(1)
            .and_then(|n| n.split("</nav>").next())
            .unwrap_or_default()
            .to_string();
        for href in [
            "/console/households",
            "/console/disaster",
            "/console/billing",
        ] {
            let shown = nav.contains(&format!("href=\"{href}\""));
            assert_eq!(
                shown,
                access::allows(grant.role, href, &axum::http::Method::GET),
                "{href} in the bar of {:?}: {nav}",
                grant.role
            );
        }
    }
    // Each role was refused somewhere and allowed somewhere, but 管理者.
    assert!(!seen.contains_key(&("admin", false)), "{seen:?}");
    for role in ["staff", "hq", "driver"] {
        assert!(
            seen.get(&(role, false)).copied().unwrap_or(0) > 0,
            "{seen:?}"
        );
        assert!(
            seen.get(&(role, true)).copied().unwrap_or(0) > 2,
            "{seen:?}"
        );
    }
}

#[tokio::test]
async fn without_a_login_every_page_but_the_login_page_sends_to_it() {
    let h = Headend::start().await;
    let http = h.operator().await;
    for a in engawa_headend::routes::access_table() {
        let path = concrete(a.path);
        let r = if a.method == axum::http::Method::GET {
            http.get(format!("{}{path}", h.base)).send().await.unwrap()
        } else {
            http.post(format!("{}{path}", h.base))
                .form(&[("csrf", "x")])
                .send()
                .await
                .unwrap()
        };
        let what = format!("{} {}", a.method, a.path);
        if a.who == Who::Anyone {
            assert_ne!(r.status(), StatusCode::SEE_OTHER, "{what}");
        } else {
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{what}");
            assert_eq!(
                r.headers()["location"].to_str().unwrap(),
                "/console/login",
                "{what}"
            );
        }
    }
}

/// What each role is for, said once more in words: a change to the table that
/// gives a role more than this fails here.
#[test]
fn each_role_reaches_only_its_own_work() {
    let opens = |role: Role| -> Vec<String> {
        engawa_headend::routes::access_table()
            .iter()
            .filter(|a| match a.who {
                Who::Roles(roles) => roles.contains(&role),
                Who::Anyone | Who::LoggedIn => false,
            })
            .map(|a| format!("{} {}", a.method, a.path))
            .collect()
    };
    assert_eq!(
        opens(Role::Driver),
        ["GET /console/ride", "POST /console/ride/stop"]
    );
    assert!(
        opens(Role::Hq)
            .iter()
            .all(|r| r.contains(" /console/disaster")),
        "{:?}",
        opens(Role::Hq)
    );
    assert!(
        !opens(Role::Staff)
            .iter()
            .any(|r| r.contains(" /console/disaster")),
        "{:?}",
        opens(Role::Staff)
    );
    assert_eq!(
        opens(Role::Admin).len(),
        engawa_headend::routes::access_table().len() - 4
    );
}

#[test]
fn every_role_reads_back_and_the_table_has_each_route_once() {
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()), Some(r));
    }
    let table = engawa_headend::routes::access_table();
    for (i, a) in table.iter().enumerate() {
        assert!(a.path.starts_with("/console"), "{a:?}");
        assert!(
            !table[..i]
                .iter()
                .any(|b| b.path == a.path && b.method == a.method),
            "twice: {a:?}"
        );
    }
}
