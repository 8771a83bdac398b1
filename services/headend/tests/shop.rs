//! Shopping over real HTTP against the real head-end: ordering exactly once per
//! Idempotency-Key, cut-off and cancel rules, items going off sale, settling lost
//! attempts, household isolation on every shop endpoint, and the billing export.

mod common;

use common::{Headend, code};
use engawa_core::Clock;
use engawa_core::clock::tokyo;
use engawa_shop::api::{Catalogue, Order, Settled};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CSV: &str = "seller,category,name,price_yen,unit,on_sale
みどり農園,やさい・くだもの,だいこん,180,1本,1
みどり農園,やさい・くだもの,りんご,298,3個,1
まるや精肉店,肉・魚,豚こま切れ,420,200g,1
まるや精肉店,肉・魚,さんま,150,1尾,1
";

async fn shop(h: &Headend) {
    h.db.add_seller("みどり農園", "0265-00-1111", h.clock.now())
        .await
        .unwrap();
    h.db.add_seller("まるや精肉店", "0265-00-2222", h.clock.now())
        .await
        .unwrap();
    import(h, CSV).await;
}

async fn import(h: &Headend, csv: &str) {
    let rows = engawa_headend::shop::catalogue::parse(csv.as_bytes()).unwrap();
    h.db.import_items(&rows, h.clock.now())
        .await
        .unwrap()
        .unwrap();
}

async fn catalogue(h: &Headend, token: &str) -> Catalogue {
    let (s, body) = h.get("/v1/shop/catalogue", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

fn item(c: &Catalogue, name: &str) -> (i64, i64) {
    let i = c.items.iter().find(|i| i.name == name).unwrap();
    (i.id, i.price_yen.0)
}

fn lines(items: &[((i64, i64), u32)]) -> Value {
    let lines: Vec<Value> = items
        .iter()
        .map(|((id, price), qty)| json!({"item_id": id, "qty": qty, "price_yen": price}))
        .collect();
    json!({ "lines": lines })
}

async fn counts(h: &Headend) -> (i64, i64, i64) {
    h.db.order_counts().await.unwrap()
}

#[tokio::test]
async fn an_order_is_placed_once_per_key_and_cancelled_until_the_cutoff() {
    let h = Headend::start().await; // Wednesday 2026-11-25 10:00 Tokyo
    shop(&h).await;
    let hh = h.household("山田 花子").await;
    let token = h.pair("EGW-0001", hh).await;
    let c = catalogue(&h, &token).await;
    assert_eq!(c.items.len(), 4);
    assert!(c.usual.is_empty());
    assert_eq!(c.categories[0], "やさい・くだもの");

    let body = lines(&[(item(&c, "だいこん"), 2), (item(&c, "さんま"), 3)]);
    let key = "order-7f3c9a10-0001";
    let (s, first) = h
        .post_keyed("/v1/shop/orders", body.clone(), Some(&token), key)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let first: Order = serde_json::from_value(first).unwrap();
    assert_eq!(first.total_yen.0, 180 * 2 + 150 * 3);
    assert_eq!(
        first.delivery_day.to_string(),
        "2026-11-25",
        "before 11:00: today"
    );
    assert_eq!(first.cancel_until, tokyo(2026, 11, 25, 11, 0));

    // The box retries (lost answer): the same order, nothing new.
    let (s, again) = h
        .post_keyed("/v1/shop/orders", body.clone(), Some(&token), key)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(serde_json::from_value::<Order>(again).unwrap(), first);
    // The same key with another request is refused.
    let other = lines(&[(item(&c, "りんご"), 1)]);
    let (s, e) = h
        .post_keyed("/v1/shop/orders", other.clone(), Some(&token), key)
        .await;
    assert_eq!(
        (s, code(&e).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    assert_eq!(counts(&h).await, (1, 2, 1));

    // After 11:00 an order arrives tomorrow; the first can no longer be cancelled.
    h.clock.set(tokyo(2026, 11, 25, 11, 5));
    let (s, second) = h
        .post_keyed(
            "/v1/shop/orders",
            other,
            Some(&token),
            "order-7f3c9a10-0002",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let second: Order = serde_json::from_value(second).unwrap();
    assert_eq!(second.delivery_day.to_string(), "2026-11-26");
    let cancel = |id: i64| format!("/v1/shop/orders/{id}/cancel");
    let (s, e) = h
        .post_keyed(&cancel(first.id), json!({}), Some(&token), "cancel-0000001")
        .await;
    assert_eq!((s, code(&e).as_str()), (StatusCode::CONFLICT, "too_late"));
    let (s, done) = h
        .post_keyed(
            &cancel(second.id),
            json!({}),
            Some(&token),
            "cancel-0000002",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let done: Order = serde_json::from_value(done).unwrap();
    assert_eq!(done.cancelled_at, Some(tokyo(2026, 11, 25, 11, 5)));

    // History, newest first; 「いつもの」 from the order that was not cancelled.
    let (_, hist) = h.get("/v1/shop/orders", Some(&token)).await;
    let hist: Vec<Order> = serde_json::from_value(hist).unwrap();
    assert_eq!(
        hist.iter().map(|o| o.id).collect::<Vec<_>>(),
        [second.id, first.id]
    );
    let c2 = catalogue(&h, &token).await;
    let mut usual = c2.usual.clone();
    usual.sort();
    let mut want = vec![item(&c, "だいこん").0, item(&c, "さんま").0];
    want.sort();
    assert_eq!(usual, want);

    // Friday after the cut-off → Monday (Monday–Friday deliveries by default).
    h.clock.set(tokyo(2026, 11, 27, 11, 0));
    let (_, third) = h
        .post_keyed("/v1/shop/orders", body, Some(&token), "order-7f3c9a10-0003")
        .await;
    let third: Order = serde_json::from_value(third).unwrap();
    assert_eq!(third.delivery_day.to_string(), "2026-11-30");
}

#[tokio::test]
async fn concurrent_duplicates_create_exactly_one_order() {
    let h = Headend::start().await;
    shop(&h).await;
    let token = h.pair("EGW-0002", h.household("佐藤 一郎").await).await;
    let c = catalogue(&h, &token).await;
    let body = lines(&[(item(&c, "りんご"), 1)]);
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (http, base, token, body) =
            (h.http.clone(), h.base.clone(), token.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/v1/shop/orders"))
                .bearer_auth(token)
                .header("Idempotency-Key", "same-key-for-all-24")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            let order: Order =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {text} ({e})"));
            (status, order.id)
        }));
    }
    let mut ids = Vec::new();
    let mut created = 0;
    for t in tasks {
        let (status, id) = t.await.unwrap();
        created += usize::from(status == StatusCode::CREATED);
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every duplicate answered with the one order");
    assert_eq!(created, 1);
    assert_eq!(counts(&h).await, (1, 1, 1));
}

#[tokio::test]
async fn an_item_gone_off_sale_or_repriced_is_refused_by_name_not_failed() {
    let h = Headend::start().await;
    shop(&h).await;
    let token = h.pair("EGW-0003", h.household("鈴木 さち").await).await;
    let c = catalogue(&h, &token).await;
    let (radish, apple) = (item(&c, "だいこん"), item(&c, "りんご"));
    // The seller takes radishes off sale and reprices apples while the resident browses.
    import(
        &h,
        "seller,category,name,price_yen,unit,on_sale
みどり農園,やさい・くだもの,だいこん,180,1本,0
みどり農園,やさい・くだもの,りんご,320,3個,1
",
    )
    .await;
    let (s, e) = h
        .post_keyed(
            "/v1/shop/orders",
            lines(&[(radish, 1), (apple, 1)]),
            Some(&token),
            "order-offsale-01",
        )
        .await;
    assert_eq!(
        (s, code(&e).as_str()),
        (StatusCode::CONFLICT, "item_off_sale")
    );
    assert_eq!(e["error"]["items"], json!([radish.0]));
    assert!(
        e["error"]["message_ja"]
            .as_str()
            .unwrap()
            .contains("売り切れ")
    );
    let (s, e) = h
        .post_keyed(
            "/v1/shop/orders",
            lines(&[(apple, 1)]),
            Some(&token),
            "order-offsale-02",
        )
        .await;
    assert_eq!(
        (s, code(&e).as_str()),
        (StatusCode::CONFLICT, "price_changed")
    );
    assert_eq!(e["error"]["items"], json!([apple.0]));
    assert_eq!(counts(&h).await, (0, 0, 0));
    // With the new price the order goes through, at the new price.
    let (s, o) = h
        .post_keyed(
            "/v1/shop/orders",
            lines(&[((apple.0, 320), 2)]),
            Some(&token),
            "order-offsale-03",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(serde_json::from_value::<Order>(o).unwrap().total_yen.0, 640);
    assert!(
        catalogue(&h, &token)
            .await
            .items
            .iter()
            .all(|i| i.id != radish.0)
    );
}

#[tokio::test]
async fn settling_a_lost_attempt_answers_the_order_or_voids_the_key() {
    let h = Headend::start().await;
    shop(&h).await;
    let token = h.pair("EGW-0004", h.household("高橋 とし").await).await;
    let c = catalogue(&h, &token).await;
    let body = lines(&[(item(&c, "さんま"), 2)]);
    let settle = |k: &str| format!("/v1/shop/attempts/{k}/settle");

    // The request reached the head-end; the box lost the answer.
    let (_, placed) = h
        .post_keyed(
            "/v1/shop/orders",
            body.clone(),
            Some(&token),
            "attempt-reached",
        )
        .await;
    let placed: Order = serde_json::from_value(placed).unwrap();
    let (s, v) = h
        .post(&settle("attempt-reached"), json!({}), Some(&token))
        .await;
    assert_eq!(s, StatusCode::OK);
    let settled: Settled = serde_json::from_value(v).unwrap();
    assert_eq!(settled.order, Some(placed));

    // The request never arrived: settled as no order; a late copy creates nothing.
    let (_, v) = h
        .post(&settle("attempt-lost-1"), json!({}), Some(&token))
        .await;
    assert_eq!(serde_json::from_value::<Settled>(v).unwrap().order, None);
    let (s, e) = h
        .post_keyed("/v1/shop/orders", body, Some(&token), "attempt-lost-1")
        .await;
    assert_eq!(
        (s, code(&e).as_str()),
        (StatusCode::CONFLICT, "idempotency_key_void")
    );
    // Settling twice gives the same answer.
    let (_, v) = h
        .post(&settle("attempt-lost-1"), json!({}), Some(&token))
        .await;
    assert_eq!(serde_json::from_value::<Settled>(v).unwrap().order, None);
    let (s, _) = h.post(&settle("bad;key'--"), json!({}), Some(&token)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(counts(&h).await, (1, 1, 1));
}

#[tokio::test]
async fn one_household_can_never_see_or_change_another_households_orders() {
    let h = Headend::start().await;
    shop(&h).await;
    let a = h.pair("EGW-000A", h.household("A 家").await).await;
    let b = h.pair("EGW-000B", h.household("B 家").await).await;
    let c = catalogue(&h, &a).await;
    let (_, oa) = h
        .post_keyed(
            "/v1/shop/orders",
            lines(&[(item(&c, "豚こま切れ"), 1)]),
            Some(&a),
            "household-a-order",
        )
        .await;
    let oa: Order = serde_json::from_value(oa).unwrap();

    // B's history, 「いつもの」 and every order endpoint know nothing of A's order.
    let (_, hist) = h.get("/v1/shop/orders", Some(&b)).await;
    assert_eq!(hist, json!([]));
    assert!(catalogue(&h, &b).await.usual.is_empty());
    let (s, e) = h
        .post_keyed(
            &format!("/v1/shop/orders/{}/cancel", oa.id),
            json!({}),
            Some(&b),
            "household-b-cancel",
        )
        .await;
    assert_eq!((s, code(&e).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    // B replaying A's key creates B's own order, never answers A's.
    let (s, ob) = h
        .post_keyed(
            "/v1/shop/orders",
            lines(&[(item(&c, "豚こま切れ"), 1)]),
            Some(&b),
            "household-a-order",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(serde_json::from_value::<Order>(ob).unwrap().id, oa.id);
    let (_, v) = h
        .post(
            "/v1/shop/attempts/household-a-order/settle",
            json!({}),
            Some(&b),
        )
        .await;
    let settled: Settled = serde_json::from_value(v).unwrap();
    assert_ne!(settled.order.map(|o| o.id), Some(oa.id));
    // A's order is untouched.
    let (_, hist) = h.get("/v1/shop/orders", Some(&a)).await;
    let hist: Vec<Order> = serde_json::from_value(hist).unwrap();
    assert_eq!(hist, vec![oa]);

    // Without a token, or with a made-up one: 401 on every shop endpoint.
    for t in [None, Some("not-a-real-token-at-all")] {
        for path in ["/v1/shop/catalogue", "/v1/shop/orders"] {
            let (s, _) = h.get(path, t).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        }
        for path in [
            "/v1/shop/orders".to_string(),
            "/v1/shop/orders/1/cancel".into(),
            "/v1/shop/attempts/some-key-123/settle".into(),
        ] {
            let (s, _) = h.post(&path, json!({"lines": []}), t).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        }
    }
}

#[tokio::test]
async fn malformed_orders_get_4xx_and_store_nothing() {
    let h = Headend::start().await;
    shop(&h).await;
    let token = h.pair("EGW-0005", h.household("伊藤 みよ").await).await;
    let c = catalogue(&h, &token).await;
    let (id, price) = item(&c, "だいこん");
    let bad = [
        json!({"lines": [{"item_id": id, "qty": -2, "price_yen": price}]}),
        json!({"lines": [{"item_id": id, "qty": 0, "price_yen": price}]}),
        json!({"lines": [{"item_id": id, "qty": 100, "price_yen": price}]}),
        json!({"lines": [{"item_id": id, "qty": 1, "price_yen": -price}]}),
        json!({"lines": []}),
        json!({"lines": [{"item_id": id, "qty": 1, "price_yen": price}], "discount": 100}),
        json!({"lines": [{"item_id": "1; DROP TABLE orders;--", "qty": 1, "price_yen": price}]}),
        json!({"lines": [{"item_id": id, "qty": 1, "price_yen": price},
                         {"item_id": id, "qty": 1, "price_yen": price}]}),
        json!("not an order"),
    ];
    for (i, body) in bad.into_iter().enumerate() {
        let (s, e) = h
            .post_keyed(
                "/v1/shop/orders",
                body,
                Some(&token),
                &format!("bad-order-{i:04}"),
            )
            .await;
        assert!(s.is_client_error(), "case {i}: {s}");
        assert!(!code(&e).is_empty());
    }
    // Missing or hostile Idempotency-Key.
    let good = lines(&[((id, price), 1)]);
    let (s, e) = h
        .post_keyed("/v1/shop/orders", good.clone(), Some(&token), "x' OR 1=1")
        .await;
    assert_eq!(
        (s, code(&e).as_str()),
        (StatusCode::BAD_REQUEST, "missing_idempotency_key")
    );
    // Oversized body.
    let huge = json!({"lines": [{"item_id": id, "qty": 1, "price_yen": price}], "pad": "x".repeat(40_000)});
    let (s, _) = h
        .post_keyed("/v1/shop/orders", huge, Some(&token), "huge-body-0001")
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(counts(&h).await, (0, 0, 0));
}

#[tokio::test]
async fn the_month_bills_fees_and_goods_and_reconciles_to_the_yen() {
    let h = Headend::start().await;
    shop(&h).await;
    let a = h.pair("EGW-00B1", h.household("A 家").await).await;
    let b = h.pair("EGW-00B2", h.household("B 家").await).await;
    let _idle = h.household("C 家（注文なし）").await;
    let c = catalogue(&h, &a).await;
    let (radish, pork, apple) = (
        item(&c, "だいこん"),
        item(&c, "豚こま切れ"),
        item(&c, "りんご"),
    );
    let mut n = 0;
    let mut order = |tok: String, body: Value| {
        n += 1;
        let key = format!("billing-order-{n:04}");
        let h = &h;
        async move {
            let (s, o) = h
                .post_keyed("/v1/shop/orders", body, Some(&tok), &key)
                .await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            serde_json::from_value::<Order>(o).unwrap()
        }
    };
    order(a.clone(), lines(&[(radish, 3), (pork, 1)])).await; // 540 + 420
    order(b.clone(), lines(&[(apple, 7)])).await; // 2086
    let cancelled = order(b.clone(), lines(&[(pork, 5)])).await;
    let (s, _) = h
        .post_keyed(
            &format!("/v1/shop/orders/{}/cancel", cancelled.id),
            json!({}),
            Some(&b),
            "billing-cancel-1",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Ordered on 30 November after the cut-off → delivered (and billed) in December.
    h.clock.set(tokyo(2026, 11, 30, 11, 30));
    let dec = order(a.clone(), lines(&[(apple, 1)])).await;
    assert_eq!(dec.delivery_day.to_string(), "2026-12-01");

    let (first, last) = engawa_headend::billing::month_bounds("2026-11").unwrap();
    let month = h.db.billing_month(first, last).await.unwrap();
    let e = engawa_headend::billing::export("2026-11", &month, true).unwrap();
    assert!(e.totals.reconciles(), "{:?}", e.totals);
    assert_eq!(e.totals.households, 3);
    assert_eq!(e.totals.monthly_fees, 3_000);
    assert_eq!(e.totals.goods, 540 + 420 + 2_086);
    // Sellers: みどり農園 540 + 2086 = 2626 → fee 262 (rounded down), payout 2364;
    // まるや精肉店 420 → fee 42, payout 378.
    let sellers = String::from_utf8(e.sellers_csv.clone()).unwrap();
    assert!(sellers.starts_with('\u{feff}'), "BOM on request");
    assert_eq!(
        sellers.trim_start_matches('\u{feff}'),
        "month,seller_id,name,gross_yen,fee_yen,payout_yen\r\n\
         2026-11,1,みどり農園,2626,262,2364\r\n\
         2026-11,2,まるや精肉店,420,42,378\r\n"
    );
    let households = String::from_utf8(e.households_csv).unwrap();
    let rows: Vec<&str> = households.lines().collect();
    assert_eq!(
        rows[1..],
        [
            "2026-11,1,A 家,1000,960,1,0,0,1960",
            "2026-11,2,B 家,1000,2086,1,0,0,3086",
            "2026-11,3,C 家（注文なし）,1000,0,0,0,0,1000",
        ]
    );
    let (first, last) = engawa_headend::billing::month_bounds("2026-12").unwrap();
    let december = h.db.billing_month(first, last).await.unwrap();
    let e = engawa_headend::billing::export("2026-12", &december, false).unwrap();
    assert_eq!(e.totals.goods, 298);
    assert!(e.totals.reconciles());
}
