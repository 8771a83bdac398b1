//! The city platform's interfaces, end to end over real HTTP: OAuth 2.0
//! client credentials (scopes, expiry, disabling, secrets and tokens stored
//! only as hashes, every call in the audit log) and the headquarters'
//! orders as OASIS CAP 1.2 — each message validated against the OASIS schema
//! by xmllint and read back by an independent CAP library (capparselib, from
//! PyPI, on Debian's python3-lxml).

mod common;

use std::process::Command;

use chrono::Duration;
use common::Headend;
use engawa_core::Clock;
use engawa_disaster::policy::{Order, Policy, ShelterUse};
use engawa_headend::city::Scope;
use engawa_headend::disaster::db::{Municipality, NewShelter};
use engawa_headend::platform::audit::Search;
use reqwest::StatusCode;
use serde_json::Value;

const MIDORI: &str = "209961";
const AOBA: &str = "209971";

/// Two towns; みどり町 issued an order (one shelter) and lifted it, then a
/// second one still in force; あおば村 a drill.
async fn orders(h: &Headend) -> (i64, i64, i64) {
    for (code, name, city) in [
        (MIDORI, "みどり町", "2099600"),
        (AOBA, "あおば村", "2099700"),
    ] {
        h.db.set_municipality(&Municipality::new(
            code,
            name,
            [city.to_string()].into(),
            Policy::default(),
        ))
        .await
        .unwrap();
    }
    h.db.import_shelters(
        MIDORI,
        &[NewShelter {
            source_id: "M1".into(),
            name: "みどり小学校".into(),
            address: "みどり町 1".into(),
            lat: Some(35.5),
            lon: Some(137.8),
            capacity: Some(300),
            uses: [ShelterUse::Flood].into(),
        }],
        h.clock.now(),
    )
    .await
    .unwrap();
    let shelter = h.db.shelters(MIDORI).await.unwrap()[0].id;
    let order = |town: &'static str, o: Order, districts: Vec<String>, drill: bool| {
        let shelters = if town == MIDORI {
            vec![shelter]
        } else {
            vec![]
        };
        async move {
            h.db.issue_order(
                town,
                o,
                ShelterUse::Flood,
                &districts,
                &shelters,
                drill,
                None,
                h.clock.now(),
            )
            .await
            .unwrap()
        }
    };
    let lifted = order(MIDORI, Order::Evacuate, vec!["上組".into()], false).await;
    h.clock.advance(Duration::minutes(90));
    assert!(
        h.db.close_campaign(lifted, None, "解除", h.clock.now())
            .await
            .unwrap()
    );
    h.clock.advance(Duration::minutes(5));
    let open = order(MIDORI, Order::Emergency, vec![], false).await;
    let drill = order(AOBA, Order::ElderlyFirst, vec![], true).await;
    (lifted, open, drill)
}

async fn token_as(
    h: &Headend,
    client: &str,
    secret: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    h.http
        .post(format!("{}/oauth/token", h.base))
        .basic_auth(client, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn token(h: &Headend, client: &str, secret: &str, scope: Option<&str>) -> String {
    let r = token_as(h, client, secret, scope).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn get(h: &Headend, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut r = h.http.get(format!("{}{path}", h.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

fn challenge(r: &reqwest::Response) -> String {
    r.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn clients_get_scoped_tokens_and_every_call_is_audited() {
    let h = Headend::start().await;
    orders(&h).await;
    let secret =
        h.db.add_city_client(
            "midori-portal",
            &[Scope::Alerts],
            Some(MIDORI),
            None,
            h.clock.now(),
        )
        .await
        .unwrap();
    let wide =
        h.db.add_city_client("platform", &Scope::ALL, None, None, h.clock.now())
            .await
            .unwrap();

    // The grant: Basic authentication, the scopes it has, never cached.
    let r = token_as(&h, "midori-portal", &secret, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "alerts:read");
    let tok = body["access_token"].as_str().unwrap().to_string();

    // The same through the body's client_id and client_secret.
    let r = h
        .http
        .post(format!("{}/oauth/token", h.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "midori-portal"),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Refusals, in OAuth's words.
    let r = token_as(&h, "midori-portal", "wrong", None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&r).starts_with("Basic"), "{}", challenge(&r));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let r = token_as(&h, "nobody", &secret, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = token_as(&h, "midori-portal", &secret, Some("shelters:read")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let r = token_as(&h, "midori-portal", &secret, Some("everything")).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let r = h
        .http
        .post(format!("{}/oauth/token", h.base))
        .basic_auth("midori-portal", Some(&secret))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    // Calls: no token, a wrong one, a scope it lacks, then the right one.
    let feed = "/city/v1/cap/alerts.atom";
    let r = get(&h, feed, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&r), "Bearer realm=\"engawa\"");
    let r = get(&h, feed, Some("not-a-token")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&r).contains("error=\"invalid_token\""));
    let shelters_only = token(&h, "platform", &wide, Some("shelters:read")).await;
    let r = get(&h, feed, Some(&shelters_only)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        challenge(&r).contains("error=\"insufficient_scope\", scope=\"alerts:read\""),
        "{}",
        challenge(&r)
    );
    let r = get(&h, feed, Some(&tok)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let xml = r.text().await.unwrap();
    // みどり町's client sees みどり町's orders only.
    assert!(xml.contains("みどり町"), "{xml}");
    assert!(!xml.contains("あおば村"), "{xml}");
    let all = token(&h, "platform", &wide, None).await;
    let xml = get(&h, feed, Some(&all)).await.text().await.unwrap();
    assert!(xml.contains("あおば村") && xml.contains("みどり町"));

    // Every call and every refusal is in the audit log, by client.
    let logged = |who: &'static str| {
        let db = h.db.clone();
        async move {
            let q = Search {
                operator: who.into(),
                ..Default::default()
            };
            db.audit_search(&q, 0, 100).await.unwrap().0
        }
    };
    let mine = logged("client:midori-portal").await;
    let outcomes: Vec<(&str, &str)> = mine
        .iter()
        .map(|l| (l.entry.action.as_str(), l.entry.outcome.as_str()))
        .collect();
    assert!(outcomes.contains(&("GET /city/v1/cap/alerts.atom", "allowed")));
    assert!(outcomes.contains(&("POST /oauth/token", "refused: client")));
    assert!(outcomes.contains(&("POST /oauth/token", "refused: scope")));
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == ("POST /oauth/token", "allowed"))
            .count(),
        2
    );
    assert!(
        mine.iter()
            .all(|l| l.entry.municipality.as_deref() != Some(AOBA))
    );
    let platform = logged("client:platform").await;
    assert!(
        platform.iter().any(|l| l.entry.outcome == "refused: scope"
            && l.entry.action == "GET /city/v1/cap/alerts.atom")
    );
    let anonymous = logged("client:?").await;
    assert!(
        anonymous
            .iter()
            .any(|l| l.entry.outcome == "refused: no token")
    );
    assert!(
        anonymous
            .iter()
            .any(|l| l.entry.outcome == "refused: token")
    );

    // A token lasts an hour.
    h.clock.advance(Duration::seconds(3601));
    assert_eq!(
        get(&h, feed, Some(&tok)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let tok = token(&h, "midori-portal", &secret, None).await;
    assert_eq!(get(&h, feed, Some(&tok)).await.status(), StatusCode::OK);

    // Neither the secret nor a token is stored as it was given.
    for bytes in h.stored_bytes() {
        for s in [&secret, &wide, &tok, &all] {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "a secret or token stored in clear"
            );
        }
    }

    // Disabled: its token stops working at once, and it gets no new one.
    h.db.disable_city_client("midori-portal", h.clock.now())
        .await
        .unwrap();
    assert_eq!(
        get(&h, feed, Some(&tok)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        token_as(&h, "midori-portal", &secret, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Another client goes on.
    let theirs = token(&h, "platform", &wide, None).await;
    assert_eq!(get(&h, feed, Some(&theirs)).await.status(), StatusCode::OK);
}

/// Where capparselib keeps the OASIS schema it validates with.
fn capparselib_dir() -> String {
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import capparselib, os; print(os.path.dirname(capparselib.__file__))",
        ])
        .output()
        .expect("/usr/bin/python3");
    assert!(
        out.status.success(),
        "capparselib is missing (packaging/dev/install-deps installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn xmllint(schema: &str, file: &std::path::Path) {
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema", schema])
        .arg(file)
        .output()
        .expect("xmllint (Debian's libxml2-utils)");
    assert!(
        out.status.success(),
        "{} is not valid against {schema}: {}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap()
    );
}

/// The messages in a file as capparselib reads them.
fn read_back(file: &std::path::Path) -> Vec<Value> {
    const SCRIPT: &str = r#"
import json, sys
from capparselib.parsers import CAPParser
out = []
for a in CAPParser(open(sys.argv[1], encoding="utf-8").read()).as_dict():
    info = a["cap_info"][0]
    area = info["cap_area"][0]
    out.append({
        "identifier": str(a["cap_id"]),
        "sender": str(a["cap_sender"]),
        "sent": str(a["cap_sent"]),
        "status": str(a["cap_status"]),
        "msgType": str(a["cap_message_type"]),
        "references": str(a.get("cap_references", "")),
        "event": str(info["cap_event"]),
        "severity": str(info["cap_severity"]),
        "urgency": str(info["cap_urgency"]),
        "headline": str(info["cap_headline"]),
        "description": str(info["cap_description"]),
        "areaDesc": str(area["area_description"]),
        "geocode": [str(g["value"]) for g in area["geocodes"]],
    })
print(json.dumps(out, ensure_ascii=False))
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "capparselib could not read {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn orders_are_cap_that_the_oasis_schema_and_another_library_accept() {
    let h = Headend::start().await;
    let (lifted, open, drill) = orders(&h).await;
    let secret =
        h.db.add_city_client("platform", &Scope::ALL, None, None, h.clock.now())
            .await
            .unwrap();
    let tok = token(&h, "platform", &secret, None).await;
    let lib = capparselib_dir();
    let oasis = format!("{lib}/schema/CAP-v1.2.xsd");
    let atom = format!("{lib}/schema/atom.xsd");
    let dir = tempfile::tempdir().unwrap();

    let r = get(&h, "/city/v1/cap/alerts.atom", Some(&tok)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let feed_file = dir.path().join("alerts.atom");
    std::fs::write(&feed_file, r.text().await.unwrap()).unwrap();
    xmllint(&atom, &feed_file);
    let feed = read_back(&feed_file);
    // Newest first: the drill, the order in force, the lift, the first order.
    let ids: Vec<&str> = feed
        .iter()
        .map(|m| m["identifier"].as_str().unwrap())
        .collect();
    let domain = h.state.mail_domain.to_string();
    let id = |n: i64| format!("engawa.{domain}.order.{n}");
    assert_eq!(
        ids,
        [
            id(drill),
            id(open),
            format!("{}.cancel", id(lifted)),
            id(lifted)
        ]
    );

    let mut singles = Vec::new();
    for (path, name) in [
        (format!("/city/v1/cap/alerts/{lifted}"), "lifted"),
        (format!("/city/v1/cap/alerts/{lifted}/cancel"), "cancel"),
        (format!("/city/v1/cap/alerts/{open}"), "open"),
        (format!("/city/v1/cap/alerts/{drill}"), "drill"),
    ] {
        let r = get(&h, &path, Some(&tok)).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/cap+xml")
        );
        let file = dir.path().join(format!("{name}.xml"));
        std::fs::write(&file, r.text().await.unwrap()).unwrap();
        xmllint(&oasis, &file);
        let mut m = read_back(&file);
        assert_eq!(m.len(), 1);
        singles.push(m.remove(0));
    }
    let [first, cancel, now, exercise] = &singles[..] else {
        unreachable!()
    };
    // Each message reads back as it was written, and as the feed carries it.
    assert_eq!(first, &feed[3]);
    assert_eq!(cancel, &feed[2]);
    assert_eq!(first["sender"], format!("hq.{MIDORI}@{domain}"));
    assert_eq!(first["sent"], "2026-11-25T10:00:00+09:00");
    assert_eq!(first["status"], "Actual");
    assert_eq!(first["msgType"], "Alert");
    assert_eq!(first["event"], "避難指示");
    assert_eq!(first["severity"], "Severe");
    assert_eq!(first["urgency"], "Immediate");
    assert_eq!(first["headline"], "上組に 避難指示（警戒レベル４）");
    assert!(
        first["description"]
            .as_str()
            .unwrap()
            .contains("みどり小学校")
    );
    assert_eq!(first["areaDesc"], "みどり町 上組");
    assert_eq!(first["geocode"], serde_json::json!([MIDORI]));
    assert_eq!(cancel["msgType"], "Cancel");
    assert_eq!(cancel["urgency"], "Past");
    assert_eq!(
        cancel["headline"],
        "上組の 避難指示（警戒レベル４）は 解除されました"
    );
    assert_eq!(cancel["sent"], "2026-11-25T11:30:00+09:00");
    assert_eq!(
        cancel["references"],
        format!(
            "hq.{MIDORI}@{domain},{},2026-11-25T10:00:00+09:00",
            id(lifted)
        )
    );
    assert_eq!(now["severity"], "Extreme");
    assert_eq!(now["areaDesc"], "みどり町");
    assert_eq!(exercise["status"], "Exercise");
    assert_eq!(exercise["geocode"], serde_json::json!([AOBA]));

    // What is not there: an order still in force has no Cancel, a number
    // that is no order is not found, another town's order is not found for
    // a client of one town.
    let r = get(
        &h,
        &format!("/city/v1/cap/alerts/{open}/cancel"),
        Some(&tok),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    for bad in ["999", "x", "-1"] {
        let r = get(&h, &format!("/city/v1/cap/alerts/{bad}"), Some(&tok)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    let s =
        h.db.add_city_client(
            "midori",
            &[Scope::Alerts],
            Some(MIDORI),
            None,
            h.clock.now(),
        )
        .await
        .unwrap();
    let mine = token(&h, "midori", &s, None).await;
    let r = get(&h, &format!("/city/v1/cap/alerts/{drill}"), Some(&mine)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = get(&h, &format!("/city/v1/cap/alerts/{open}"), Some(&mine)).await;
    assert_eq!(r.status(), StatusCode::OK);
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engawa-headend"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_operator_adds_lists_and_disables_clients_from_the_command_line() {
    let h = Headend::start().await;
    orders(&h).await;
    let db = h.location.as_str();
    let out = cli(&[
        "client",
        "add",
        "--name",
        "midori-portal",
        "--scope",
        "alerts:read,shelters:read",
        "--municipality",
        MIDORI,
        "--db",
        db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let secret = printed
        .lines()
        .find_map(|l| l.strip_prefix("client_secret\t"))
        .expect("the secret is printed once")
        .to_string();
    let tok = token(&h, "midori-portal", &secret, None).await;
    let r = get(&h, "/city/v1/cap/alerts.atom", Some(&tok)).await;
    assert_eq!(r.status(), StatusCode::OK);

    let list = cli(&["client", "list", "--db", db]);
    assert_eq!(
        String::from_utf8(list.stdout).unwrap(),
        format!("midori-portal\talerts:read,shelters:read\t{MIDORI}\t-\tactive\n")
    );
    for (args, says) in [
        (
            vec!["--name", "two words", "--scope", "alerts:read"],
            "--name",
        ),
        (
            vec!["--name", "x", "--scope", "alerts:write"],
            "alerts:write",
        ),
        (
            vec![
                "--name",
                "x",
                "--scope",
                "alerts:read",
                "--municipality",
                "000000",
            ],
            "no municipality",
        ),
    ] {
        let mut all = vec!["client", "add"];
        all.extend(args);
        all.extend(["--db", db]);
        let out = cli(&all);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{all:?}"
        );
    }

    let out = cli(&["client", "disable", "--name", "midori-portal", "--db", db]);
    assert!(out.status.success());
    assert_eq!(
        get(&h, "/city/v1/cap/alerts.atom", Some(&tok))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let out = cli(&["client", "disable", "--name", "nobody", "--db", db]);
    assert!(!out.status.success());
    // A new secret for the same name: the client works again, the old secret not.
    let out = cli(&[
        "client",
        "add",
        "--name",
        "midori-portal",
        "--scope",
        "alerts:read",
        "--db",
        db,
    ]);
    assert!(out.status.success());
    assert_eq!(
        token_as(&h, "midori-portal", &secret, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
