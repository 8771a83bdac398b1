//! The catalogue CSV an operator imports: parsing and validation, pure.
//!
//! Columns (UTF-8, header row required, a BOM is accepted):
//! `seller,category,name,price_yen,unit,on_sale`
//! - `category`: one of `CATEGORIES`
//! - `price_yen`: whole yen including tax, 1–100000
//! - `on_sale`: `1`/`0` (also `yes`/`no`, `true`/`false`)
//!
//! A file with any bad row is refused whole: every bad row is reported by line and
//! column, and nothing is imported.

use serde::Serialize;

pub use engawa_shop::CATEGORIES;

pub const MAX_PRICE_YEN: i64 = 100_000;
const COLUMNS: [&str; 6] = ["seller", "category", "name", "price_yen", "unit", "on_sale"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// The line in the file (1-based, the header is line 1).
    pub line: u64,
    pub seller: String,
    pub category: String,
    pub name: String,
    pub price_yen: i64,
    pub unit: String,
    pub on_sale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}行目 {}: {}", self.line, self.column, self.message)
    }
}

fn text(line: u64, column: &str, value: &str, max: usize, errors: &mut Vec<LineError>) -> String {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 || n > max || v.chars().any(char::is_control) {
        errors.push(LineError {
            line,
            column: column.into(),
            message: format!("1〜{max}字で 入れてください（改行などの 制御文字は 使えません）"),
        });
    }
    v.to_string()
}

/// Parse a whole file. `Ok` only when every row is good.
pub fn parse(data: &[u8]) -> Result<Vec<ItemRow>, Vec<LineError>> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(data);
    let err = |line: u64, column: &str, message: String| LineError {
        line,
        column: column.into(),
        message,
    };
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect::<Vec<_>>(),
        Err(e) => return Err(vec![err(1, "header", format!("読めません（{e}）"))]),
    };
    if headers != COLUMNS {
        return Err(vec![err(
            1,
            "header",
            format!(
                "1行目は「{}」の はずですが、「{}」でした",
                COLUMNS.join(","),
                headers.join(",")
            ),
        )]);
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(err(line, "row", format!("読めません（{e}）")));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let before = errors.len();
        let seller = text(line, "seller", &record[0], 60, &mut errors);
        let category = record[1].trim().to_string();
        if !CATEGORIES.contains(&category.as_str()) {
            errors.push(err(
                line,
                "category",
                format!(
                    "「{category}」という 分類は ありません（{}）",
                    CATEGORIES.join(" / ")
                ),
            ));
        }
        let name = text(line, "name", &record[2], 60, &mut errors);
        let price_yen = match record[3].trim().parse::<i64>() {
            Ok(p) if (1..=MAX_PRICE_YEN).contains(&p) => p,
            _ => {
                errors.push(err(
                    line,
                    "price_yen",
                    format!(
                        "「{}」は 1〜{MAX_PRICE_YEN}円の 整数では ありません",
                        &record[3]
                    ),
                ));
                0
            }
        };
        let unit = text(line, "unit", &record[4], 20, &mut errors);
        let on_sale = match record[5].trim().to_ascii_lowercase().as_str() {
            "1" | "yes" | "true" => true,
            "0" | "no" | "false" => false,
            other => {
                errors.push(err(
                    line,
                    "on_sale",
                    format!("「{other}」は 1（売る）か 0（売らない）では ありません"),
                ));
                false
            }
        };
        if errors.len() == before {
            rows.push(ItemRow {
                line,
                seller,
                category,
                name,
                price_yen,
                unit,
                on_sale,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "seller,category,name,price_yen,unit,on_sale\n";

    #[test]
    fn a_good_file_with_a_bom_and_quotes() {
        let file = format!(
            "\u{feff}{HEADER}やまだ農園,やさい・くだもの,だいこん,150,1本,1\n\"まるや, 精肉店\",肉・魚,豚こま切れ,398,200g,yes\n"
        );
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].seller, "まるや, 精肉店");
        assert_eq!(
            (rows[1].line, rows[1].price_yen, rows[1].on_sale),
            (3, 398, true)
        );
    }

    #[test]
    fn every_bad_row_is_reported_by_line_and_nothing_is_returned() {
        let file = format!(
            "{HEADER}やまだ農園,やさい・くだもの,だいこん,150,1本,1\n\
             やまだ農園,おもちゃ,こま,300,1個,1\n\
             やまだ農園,飲み物,お茶,-5,1本,1\n\
             ,飲み物,お水,100,1本,maybe\n\
             やまだ農園,飲み物,お茶\n"
        );
        let errors = parse(file.as_bytes()).unwrap_err();
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "category"),
                (4, "price_yen"),
                (5, "seller"),
                (5, "on_sale"),
                (6, "row")
            ]
        );
        assert!(
            errors[0].to_string().starts_with("3行目 category: 「"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let errors = parse("name,price\nだいこん,150\n".as_bytes()).unwrap_err();
        assert_eq!((errors[0].line, errors[0].column.as_str()), (1, "header"));
    }
}
