//! Catalogue import against a real database: all or nothing, every bad row named.

mod common;

use engawa_core::clock::tokyo;
use engawa_headend::shop::catalogue::parse;

const HEADER: &str = "seller,category,name,price_yen,unit,on_sale\n";

#[tokio::test]
async fn a_file_with_an_unknown_seller_imports_nothing_then_a_fixed_one_imports_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::open_db(&common::test_db(dir.path(), "h.db").await).await;
    let now = tokyo(2026, 11, 25, 9, 0);
    db.add_seller("やまだ農園", "0265-22-3333", now)
        .await
        .unwrap();

    let bad = format!(
        "{HEADER}やまだ農園,やさい・くだもの,だいこん,150,1本,1\nまるや精肉店,肉・魚,豚こま切れ,398,200g,1\n"
    );
    let rows = parse(bad.as_bytes()).unwrap();
    let errors = db.import_items(&rows, now).await.unwrap().unwrap_err();
    assert_eq!((errors[0].line, errors[0].column.as_str()), (3, "seller"));
    assert_eq!(
        errors[0].to_string(),
        "3行目 seller: 「まるや精肉店」は 登録された お店では ありません"
    );
    assert!(
        db.items().await.unwrap().is_empty(),
        "the good row must not be imported either"
    );

    db.add_seller("まるや精肉店", "0265-44-5555", now)
        .await
        .unwrap();
    assert_eq!(db.import_items(&rows, now).await.unwrap(), Ok(2));
    // Importing again updates, not duplicates.
    let cheaper = bad.replace(",150,", ",120,");
    let rows = parse(cheaper.as_bytes()).unwrap();
    assert_eq!(db.import_items(&rows, now).await.unwrap(), Ok(2));
    let items = db.items().await.unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .any(|i| i.name == "だいこん" && i.price_yen == 120)
    );
}
