//! The operator console in a real browser: headless Chromium driven through
//! chromedriver (Debian packages `chromium` and `chromium-driver`) against the real
//! head-end on 127.0.0.1:0. The operator logs in, imports a catalogue CSV (a bad
//! file first: nothing imported, every bad row named), approves a box's pairing
//! code, and sees the order that box places appear in the picking and delivery
//! lists. Forms without the session's CSRF token and pages without a login are
//! refused.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Headend;
use engawa_core::Clock;
use engawa_core::api::PairingGrant;
use engawa_shop::api::{Catalogue, Order};
use fantoccini::{ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::json;

struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    fn start() -> Chromedriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; tests/run installs it)");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// With `ENGAWA_CONSOLE_SHOTS=DIR`, save what the browser shows (for a human to look at).
async fn shot(c: &fantoccini::Client, name: &str) {
    if let Some(dir) = std::env::var_os("ENGAWA_CONSOLE_SHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// Click a button that loads a new page, and wait until it has.
async fn submit(c: &fantoccini::Client, css: &str) {
    let old = c.find(Locator::Css("main")).await.unwrap();
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let start = Instant::now();
    while old.text().await.is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{css}: no new page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const GOOD_CSV: &str = "seller,category,name,price_yen,unit,on_sale
みどり農園,やさい・くだもの,だいこん,180,1本,1
みどり農園,やさい・くだもの,りんご,298,3個,1
";
const BAD_CSV: &str = "seller,category,name,price_yen,unit,on_sale
みどり農園,やさい・くだもの,だいこん,180,1本,1
みどり農園,おもちゃ,こま,abc,1個,1
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_imports_approves_and_sees_the_order_in_the_picking_list() {
    let h = Headend::start().await;
    let hash = engawa_headend::console::hash_password("correct horse battery").unwrap();
    h.db.add_operator(
        "suzuki",
        &hash,
        &engawa_headend::db::Grant::admin(),
        h.clock.now(),
    )
    .await
    .unwrap();
    h.db.add_seller("みどり農園", "0265-00-1111", h.clock.now())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&good, GOOD_CSV).unwrap();
    std::fs::write(&bad, BAD_CSV).unwrap();

    let driver = Chromedriver::start();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=ja", "--window-size=1280,900"]}),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("headless Chromium through chromedriver");
    let base = h.base.clone();
    let text = |c: &fantoccini::Client| {
        let c = c.clone();
        async move {
            c.find(Locator::Css("main"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };

    // Not logged in: every page leads to the login form.
    c.goto(&format!("{base}/console/picking")).await.unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );

    // A wrong password is refused; the right one logs in.
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("suzuki")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("wrong password")
        .await
        .unwrap();
    submit(&c, "button[type=submit]").await;
    assert!(text(&c).await.contains("ちがいます"));
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("suzuki")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    submit(&c, "button[type=submit]").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/console"));
    assert!(text(&c).await.contains("きょう"));

    // A bad file: every bad row named by line, nothing imported.
    c.goto(&format!("{base}/console/catalogue")).await.unwrap();
    c.find(Locator::Id("csv"))
        .await
        .unwrap()
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    submit(&c, "form.box button").await;
    let page = text(&c).await;
    assert!(page.contains("何も 取り込んでいません"), "{page}");
    assert!(
        page.contains("category") && page.contains("price_yen"),
        "{page}"
    );
    shot(&c, "catalogue-refused").await;
    assert!(h.db.items().await.unwrap().is_empty());
    // The good file.
    c.find(Locator::Id("csv"))
        .await
        .unwrap()
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    submit(&c, "form.box button").await;
    assert!(text(&c).await.contains("2 品を 取り込みました"));

    // A household, and a box showing its pairing code: approved in the console.
    c.goto(&format!("{base}/console/households")).await.unwrap();
    for (id, v) in [
        ("h-name", "山田 花子"),
        ("h-district", "上沢"),
        ("h-address", "みどり町 上沢 1234"),
        ("h-phone", "0265-12-3456"),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(v)
            .await
            .unwrap();
    }
    submit(&c, "form.box button").await;
    assert!(
        text(&c)
            .await
            .contains("山田 花子 さんを 世帯 1 として 登録しました")
    );
    let (s, grant) = h
        .post(
            "/v1/pairing",
            json!({"serial": "EGW-0100", "software_version": "0.1.0"}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let grant: PairingGrant = serde_json::from_value(grant).unwrap();
    c.goto(&format!("{base}/console/pairing")).await.unwrap();
    assert!(text(&c).await.contains(&grant.user_code));
    c.find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(&grant.user_code.to_lowercase().replace('-', ""))
        .await
        .unwrap();
    submit(&c, "form.box button").await;
    // First the box's serial, to compare with the TV; then the approval.
    let confirm = text(&c).await;
    assert!(
        confirm.contains("機械 EGW-0100") && confirm.contains("世帯 1 山田 花子 に 登録します"),
        "{confirm}"
    );
    assert!(!confirm.contains("もう 使っている 機械"), "{confirm}");
    submit(&c, "form.box button").await;
    assert!(
        text(&c)
            .await
            .contains("EGW-0100 を 世帯 1 に 登録しました")
    );
    let (s, tok) = h
        .post(
            "/v1/pairing/token",
            json!({"device_code": grant.device_code}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let token = tok["token"].as_str().unwrap().to_string();
    // A second (old) box of the household is revoked from the console.
    let old =
        h.db.issue_token(1, "EGW-0099", h.clock.now())
            .await
            .unwrap();
    c.goto(&format!("{base}/console/pairing")).await.unwrap();
    let buttons = c
        .find_all(Locator::Css("form[action$='/revoke'] button"))
        .await
        .unwrap();
    assert_eq!(buttons.len(), 2);
    submit(&c, "form[action='/console/boxes/2/revoke'] button").await;
    assert!(text(&c).await.contains("機械 2 を 使えなくしました"));
    let (s, _) = h.get("/v1/shop/catalogue", Some(&old)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The box orders; the order shows in the picking and delivery lists.
    let (_, cat) = h.get("/v1/shop/catalogue", Some(&token)).await;
    let cat: Catalogue = serde_json::from_value(cat).unwrap();
    let apple = cat.items.iter().find(|i| i.name == "りんご").unwrap();
    let (s, order) = h
        .post_keyed(
            "/v1/shop/orders",
            json!({"lines": [{"item_id": apple.id, "qty": 2, "price_yen": apple.price_yen}]}),
            Some(&token),
            "console-test-order-1",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let order: Order = serde_json::from_value(order).unwrap();
    c.goto(&format!(
        "{base}/console/picking?day={}",
        order.delivery_day
    ))
    .await
    .unwrap();
    let page = text(&c).await;
    assert!(page.contains("みどり農園"), "{page}");
    assert!(page.contains("りんご") && page.contains("596円"), "{page}");
    assert!(page.contains("山田 花子"), "{page}");
    shot(&c, "picking").await;
    c.goto(&format!(
        "{base}/console/delivery?day={}",
        order.delivery_day
    ))
    .await
    .unwrap();
    let page = text(&c).await;
    assert!(page.contains("上沢") && page.contains("0265-12-3456") && page.contains("請求済み"));
    c.goto(&format!("{base}/console/billing?month=2026-11"))
        .await
        .unwrap();
    let page = text(&c).await;
    assert!(page.contains("合計は 一致しています"));
    assert!(page.contains("運用費は まだ 入力されていません"), "{page}");
    // 負担金: the platform operator enters the month's cost (CLI); the
    // page splits it among the municipalities, to the yen.
    for (code, name) in [("209996", "みどり町"), ("209997", "あおば村")] {
        h.db.set_municipality(&engawa_headend::disaster::db::Municipality::new(
            code,
            name,
            Default::default(),
            Default::default(),
        ))
        .await
        .unwrap();
    }
    h.db.set_platform_cost("2026-11", 100_001, "test", h.clock.now())
        .await
        .unwrap();
    c.goto(&format!("{base}/console/billing?month=2026-11"))
        .await
        .unwrap();
    let page = text(&c).await;
    assert!(page.contains("1円まで 一致しています"), "{page}");
    assert!(page.contains("あおば村（209997）"), "{page}");
    shot(&c, "billing").await;
    // What this browser did is in the 記録 page, newest first.
    c.goto(&format!("{base}/console/audit")).await.unwrap();
    let page = text(&c).await;
    assert!(
        page.contains("GET /console/billing") || page.contains("/console/billing?month=2026-11"),
        "{page}"
    );
    assert!(page.contains("suzuki"), "{page}");
    shot(&c, "audit").await;
    // The same session, outside the browser (it would download the file).
    let cookie = c.get_named_cookie("__Host-engawa_session").await.unwrap();
    let csv = h
        .http
        .get(format!(
            "{base}/console/billing/contributions.csv?month=2026-11"
        ))
        .header(
            "cookie",
            format!("__Host-engawa_session={}", cookie.value()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("2026-11,total,,"), "{csv}");
    assert!(
        csv.ends_with(",,\r\n") && csv.contains(",100001\r\n"),
        "{csv}"
    );

    // Logging out ends the session.
    c.goto(&format!("{base}/console")).await.unwrap();
    submit(&c, "header form button").await;
    c.goto(&format!("{base}/console/orders")).await.unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn console_forms_need_a_session_and_its_csrf_token() {
    let h = Headend::start().await;
    let http = h.operator().await;
    let url = |p: &str| format!("{}{p}", h.base);
    // Without a session: redirected to the login, nothing stored.
    let r = http
        .post(url("/console/sellers"))
        .form(&[("csrf", "x"), ("name", "にせの店"), ("phone", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/console/login");
    // Log in (plain HTTP client carrying the cookie by hand).
    let r = common::login(&http, &h.base, "suzuki", "correct horse battery", None).await;
    let cookie = common::set_cookie(&r, "__Host-engawa_session").unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/;"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    // With the session but a wrong CSRF token: refused.
    let r = http
        .post(url("/console/sellers"))
        .header("cookie", &session)
        .form(&[("csrf", "forged"), ("name", "にせの店"), ("phone", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(h.db.sellers().await.unwrap().is_empty());
    // The token from the page works; names with markup are shown escaped.
    let page = http
        .get(url("/console/sellers"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_of(&page);
    let r = http
        .post(url("/console/sellers"))
        .header("cookie", &session)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "<script>alert(1)</script>"),
            ("phone", "0265-00-0000"),
        ])
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(body.contains("&lt;script&gt;") && !body.contains("<script>alert"));
    assert_eq!(h.db.sellers().await.unwrap().len(), 1);
    // Delivery rules from the console: a bad date changes nothing; a good form saves.
    let post_rules = |fields: Vec<(&'static str, String)>| {
        let (http, url, session) = (http.clone(), url("/console/rules"), session.clone());
        async move {
            http.post(url)
                .header("cookie", session)
                .form(&fields)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let page = post_rules(vec![
        ("csrf", csrf.clone()),
        ("cutoff", "10:30".into()),
        ("wd0", "1".into()),
        ("holidays", "2026-12-31\n12月31日".into()),
    ])
    .await;
    assert!(page.contains("日付に なっていません"), "{page}");
    assert_eq!(
        h.db.delivery_rules().await.unwrap(),
        engawa_shop::delivery::DeliveryRules::default()
    );
    let page = post_rules(vec![
        ("csrf", csrf.clone()),
        ("cutoff", "10:30".into()),
        ("wd0", "1".into()),
        ("wd2", "1".into()),
        ("wd4", "1".into()),
        ("holidays", "2026-12-31\n2027-01-01".into()),
    ])
    .await;
    assert!(page.contains("しめきりは 午前10:30 です"), "{page}");
    let r = h.db.delivery_rules().await.unwrap();
    assert_eq!(
        r.cutoff,
        chrono::NaiveTime::from_hms_opt(10, 30, 0).unwrap()
    );
    assert_eq!(r.weekdays, [true, false, true, false, true, false, false]);
    assert_eq!(r.holidays.len(), 2);
    // Ten wrong passwords from one address: then even the right one waits there.
    for _ in 0..10 {
        common::login(&http, &h.base, "suzuki", "guess", None).await;
    }
    let r = common::login(&http, &h.base, "suzuki", "correct horse battery", None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// A disabled login cannot log in and its open sessions end at once; a new
/// password ends every session of the old one; enabled again, it logs in.
#[tokio::test]
async fn a_disabled_login_or_a_new_password_ends_the_sessions() {
    let h = Headend::start().await;
    let c = h.console().await;
    let other = h.console().await;
    assert_eq!(c.get("/console/households").await.0, StatusCode::OK);
    assert_eq!(other.get("/console/households").await.0, StatusCode::OK);
    let logged_out = |c: &common::Console| {
        let c = c.clone();
        async move {
            let (s, _) = c.get("/console/households").await;
            s == StatusCode::SEE_OTHER
        }
    };

    assert_eq!(
        h.db.set_operator_disabled("suzuki", true, h.clock.now())
            .await
            .unwrap(),
        Some(2),
        "both sessions ended"
    );
    assert!(logged_out(&c).await && logged_out(&other).await);
    let http = h.operator().await;
    let r = common::login(&http, &h.base, "suzuki", common::PASSWORD, None).await;
    assert_ne!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a disabled login is refused"
    );
    assert!(
        common::set_cookie(&r, "__Host-engawa_session").is_none(),
        "no session"
    );
    assert_eq!(
        h.db.set_operator_disabled("nobody", true, h.clock.now())
            .await
            .unwrap(),
        None
    );

    h.db.set_operator_disabled("suzuki", false, h.clock.now())
        .await
        .unwrap();
    let c = h.console().await;
    assert_eq!(c.get("/console/households").await.0, StatusCode::OK);
    // A new password (the CLI's `operator add` for an existing name).
    let hash = engawa_headend::console::hash_password("another long password").unwrap();
    h.db.add_operator(
        "suzuki",
        &hash,
        &engawa_headend::db::Grant::admin(),
        h.clock.now(),
    )
    .await
    .unwrap();
    assert!(logged_out(&c).await, "the old session ended");
}
