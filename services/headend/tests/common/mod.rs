//! The test head-end: the real server on 127.0.0.1:0 with a fresh database (a
//! temporary SQLite file, or a fresh PostgreSQL database when `ENGAWA_TEST_PG`
//! names a server) and a manual clock, plus a plain HTTP client acting as boxes.
#![allow(dead_code)] // each test file uses its own part

use std::sync::Arc;

use engawa_core::api::{ErrorBody, PairingGrant, TokenGrant};
use engawa_core::clock::tokyo;
use engawa_core::{Clock, ManualClock};
use engawa_headend::db::{Grant, NewHousehold, Role};
use engawa_headend::{AppState, Db};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The server the suite's databases are made on, if it runs on PostgreSQL:
/// `ENGAWA_TEST_PG=postgres://USER@HOST/DATABASE?host=SOCKET_DIR`.
pub fn postgres_server() -> Option<String> {
    std::env::var("ENGAWA_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Where a test's head-end database is (as `--db` takes it): a fresh, empty
/// PostgreSQL database of its own on `postgres_server()`, else `name` in `dir`.
pub async fn test_db(dir: &std::path::Path, name: &str) -> String {
    let Some(server) = postgres_server() else {
        return dir.join(name).display().to_string();
    };
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    sqlx::any::install_default_drivers();
    let db = format!(
        "engawa_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let mut admin = sqlx::AnyConnection::connect(&server)
        .await
        .expect("the test PostgreSQL server (ENGAWA_TEST_PG)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&db);
    url.to_string()
}

/// A plain connection to a test database, for what a test writes or reads by SQL.
pub async fn sql_connection(location: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = if location.starts_with("postgres") {
        location.to_string()
    } else {
        format!("sqlite://{location}")
    };
    sqlx::AnyConnection::connect(&url).await.unwrap()
}

/// Opens (and migrates) a test database.
pub async fn open_db(location: &str) -> Db {
    Db::connect(&engawa_headend::db::Location::parse(location))
        .await
        .unwrap()
}

pub struct Headend {
    pub base: String,
    pub db: Db,
    /// Where `db` is, as `--db` takes it.
    pub location: String,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub state: AppState,
}

impl Headend {
    pub async fn start() -> Headend {
        Headend::start_with(|s| s).await
    }

    /// [`Headend::start`] with the state changed by `f` first.
    pub async fn start_with(f: impl FnOnce(AppState) -> AppState) -> Headend {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let location = test_db(dir.path(), "headend.db").await;
        let db = open_db(&location).await;
        let clock = Arc::new(ManualClock::new(tokyo(2026, 11, 25, 10, 0)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = f(AppState::new(db.clone(), clock.clone()));
        tokio::spawn(engawa_headend::serve(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        Headend {
            base,
            db,
            location,
            clock,
            http: reqwest::Client::new(),
            dir,
            state,
        }
    }

    /// Everything the database holds, as bytes: the SQLite file and its WAL,
    /// or the whole PostgreSQL database as pg_dump writes it out.
    pub fn stored_bytes(&self) -> Vec<Vec<u8>> {
        if postgres_server().is_some() {
            let dump = std::process::Command::new("pg_dump")
                .arg(&self.location)
                .output()
                .expect("pg_dump (PostgreSQL's client programs on PATH)");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            assert!(String::from_utf8_lossy(&dump.stdout).contains("token_hash"));
            vec![dump.stdout]
        } else {
            vec![
                std::fs::read(self.dir.path().join("headend.db")).unwrap(),
                std::fs::read(self.dir.path().join("headend.db-wal")).unwrap_or_default(),
            ]
        }
    }

    pub async fn household(&self, name: &str) -> i64 {
        let h = NewHousehold {
            name: name.into(),
            address: "長野県 みどり町 1-2".into(),
            phone: "0265-11-2222".into(),
            lat: Some(35.5),
            lon: Some(137.8),
            shop: true,
            ride: false,
            ..Default::default()
        };
        self.db.add_household(&h, self.clock.now()).await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
        self.post_keyed(path, body, token, "0b5e8a52-6d3f-4f7e-9b1c-1a2b3c4d5e6f")
            .await
    }

    pub async fn post_keyed(
        &self,
        path: &str,
        body: Value,
        token: Option<&str>,
        key: &str,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Idempotency-Key", key)
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req).await
    }

    pub async fn pair(&self, serial: &str, household: i64) -> String {
        let (s, grant) = self
            .post(
                "/v1/pairing",
                json!({"serial": serial, "software_version": "0.1.0"}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let grant: PairingGrant = serde_json::from_value(grant).unwrap();
        self.db
            .approve_pairing(&grant.user_code, household, self.clock.now())
            .await
            .unwrap()
            .unwrap();
        let (s, tok) = self
            .post(
                "/v1/pairing/token",
                json!({"device_code": grant.device_code}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{tok}");
        serde_json::from_value::<TokenGrant>(tok).unwrap().token
    }
}

pub fn code(body: &Value) -> String {
    serde_json::from_value::<ErrorBody>(body.clone())
        .unwrap_or_else(|_| panic!("not an error envelope: {body}"))
        .error
        .code
}

async fn answer(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The CSRF token of a console page's first form.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form with a CSRF token")
        .to_string()
}

/// The `Set-Cookie` header that sets `name`, whole.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The login form, then a login as a browser does it: the form's token and its
/// cookie sent back. `from` is the address the TLS proxy would put in
/// `X-Forwarded-For`.
pub async fn login(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    password: &str,
    from: Option<&str>,
) -> reqwest::Response {
    let with_from = |rb: reqwest::RequestBuilder| match from {
        Some(a) => rb.header("x-forwarded-for", a),
        None => rb,
    };
    let form = with_from(http.get(format!("{base}/console/login")))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&form, "__Host-engawa_login").expect("the login form sets its cookie");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = form.text().await.unwrap();
    let csrf = csrf_of(&page);
    with_from(http.post(format!("{base}/console/login")))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", name),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// A logged-in operator over plain HTTP (the browser tests use Chromium).
#[derive(Clone)]
pub struct Console {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

/// The password of the operator `suzuki` that [`Headend::operator`] adds.
pub const PASSWORD: &str = "correct horse battery";

impl Headend {
    /// Adds the operator `suzuki` (管理者; once: setting the password again
    /// would end the sessions it has); a client that does not follow redirects.
    pub async fn operator(&self) -> reqwest::Client {
        self.operator_as("suzuki", &Grant::admin()).await
    }

    /// Adds the login `name` with `grant` unless it is there.
    pub async fn operator_as(&self, name: &str, grant: &Grant) -> reqwest::Client {
        if self.db.operator_login(name).await.unwrap().is_none() {
            let hash = engawa_headend::console::hash_password(PASSWORD).unwrap();
            self.db
                .add_operator(name, &hash, grant, self.clock.now())
                .await
                .unwrap();
        }
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// The console logged in as `suzuki` (管理者).
    pub async fn console(&self) -> Console {
        self.console_as("suzuki", &Grant::admin()).await
    }

    /// The console logged in as `name` with `grant` (added if missing), on
    /// the page that role lands on.
    pub async fn console_as(&self, name: &str, grant: &Grant) -> Console {
        let http = self.operator_as(name, grant).await;
        let r = login(&http, &self.base, name, PASSWORD, None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login");
        let cookie = set_cookie(&r, "__Host-engawa_session").unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let mut c = Console {
            http,
            base: self.base.clone(),
            cookie,
            csrf: String::new(),
        };
        let landing = match grant.role {
            Role::Driver => "/console/ride",
            Role::Hq => "/console/disaster",
            Role::Admin | Role::Staff => "/console",
        };
        let (_, page) = c.get(landing).await;
        c.csrf = csrf_of(&page);
        c
    }
}

impl Console {
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Post a form with the session's CSRF token.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&all)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

/// Poll `cond` every 20 ms; fail after 10 s naming `what`.
pub async fn wait_for<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The versions an open alert stream (`GET /v1/alert/stream`) delivers, as
/// they come, read in the background.
pub fn alert_versions(mut resp: reqwest::Response) -> Arc<std::sync::Mutex<Vec<i64>>> {
    let versions: Arc<std::sync::Mutex<Vec<i64>>> = Arc::default();
    let seen = versions.clone();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                    let v: serde_json::Value = serde_json::from_str(data).unwrap();
                    seen.lock().unwrap().push(v["version"].as_i64().unwrap());
                }
            }
        }
    });
    versions
}
