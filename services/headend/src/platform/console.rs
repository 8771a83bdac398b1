//! The platform's console page: 記録 (the audit log), for 管理者 only. It
//! can only be searched; nothing in the console changes or removes a row.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use engawa_core::TOKYO;
use serde::Deserialize;

use crate::AppState;
use crate::console::access::{self, PLATFORM};
use crate::console::{Operator, page, try_db};
use crate::html::{err, html};
use crate::platform::audit::Search;

/// Who may use the platform's pages (see `console::access`).
pub(crate) const ACCESS: &[access::Access] = &[access::get("/console/audit", PLATFORM)];

pub fn router() -> Router<AppState> {
    Router::new().route("/console/audit", get(audit))
}

/// Rows per page of the log.
const PER_PAGE: i64 = 100;

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    operator: String,
    #[serde(default)]
    household: String,
    /// YYYY-MM-DD, Tokyo.
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    p: Option<i64>,
}

/// Midnight of a Tokyo day typed as YYYY-MM-DD.
fn day_start(d: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    crate::platform::audit::midnight(NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()?)
}

async fn audit(
    State(s): State<AppState>,
    Operator(session): Operator,
    Query(q): Query<AuditQuery>,
) -> Response {
    let mut problems = Vec::new();
    let household = match q.household.trim() {
        "" => None,
        h => match h.parse::<i64>() {
            Ok(h) => Some(h),
            Err(_) => {
                problems.push("世帯は 番号で 入れてください。");
                None
            }
        },
    };
    let mut day = |d: &str, next: bool| match d.trim() {
        "" => None,
        d => match day_start(d) {
            Some(t) => Some(if next {
                t + chrono::Duration::days(1)
            } else {
                t
            }),
            None => {
                problems.push("日付は 2026-12-01 の ように 入れてください。");
                None
            }
        },
    };
    let search = Search {
        operator: q.operator.trim().to_string(),
        household_id: household,
        since: day(&q.since, false),
        until: day(&q.until, true),
    };
    let page_no = q.p.unwrap_or(1).max(1);
    let (rows, total) = try_db!(
        s.db.audit_search(&search, (page_no - 1).saturating_mul(PER_PAGE), PER_PAGE)
            .await
    );
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    let link = |p: i64| {
        format!(
            "/console/audit?operator={}&household={}&since={}&until={}&p={p}",
            urlencode(&q.operator),
            urlencode(&q.household),
            urlencode(&q.since),
            urlencode(&q.until)
        )
    };
    let body = html! {
        @for p in &problems { (err(p)) }
        p { "コンソールでの すべての 閲覧・変更と、コマンドの 実行の 記録です（入力の 値は 記録せず、項目の 名前だけ）。記録は 消すことも 変えることも できません。" }
        form.box.noprint method="get" action="/console/audit" {
            p { label for="operator" { "ログイン名" } input id="operator" name="operator" value=(q.operator); }
            p { label for="household" { "世帯の 番号" } input id="household" name="household" value=(q.household) inputmode="numeric"; }
            p { label for="since" { "いつから" } input id="since" name="since" type="date" value=(q.since); }
            p { label for="until" { "いつまで" } input id="until" name="until" type="date" value=(q.until); }
            p { button type="submit" { "さがす" } }
        }
        p { (total) " 件" }
        table {
            tr { th { "時刻" } th { "だれが" } th { "なにを" } th { "世帯" } th { "結果" } th { "どこから" } }
            @for r in &rows {
                tr {
                    td.when { (r.at.with_timezone(&TOKYO).format("%Y-%m-%d %H:%M:%S")) }
                    td {
                        (r.entry.operator)
                        @if let Some(m) = &r.entry.municipality { br; span.sub { (m) } }
                    }
                    td {
                        code { (r.entry.object) }
                        @if !r.entry.fields.is_empty() {
                            br; span.sub { "項目: " (r.entry.fields.replace(',', ", ")) }
                        }
                    }
                    td.n { @if let Some(h) = r.entry.household_id { (h) } }
                    td { (outcome_ja(&r.entry.outcome)) }
                    td { (r.entry.peer) }
                }
            }
        }
        @if pages > 1 {
            p.noprint {
                @if page_no > 1 { a href=(link(page_no - 1)) { "← 新しい 記録" } " " }
                (page_no) " / " (pages) " ページ"
                @if page_no < pages { " " a href=(link(page_no + 1)) { "古い 記録 →" } }
            }
        }
    };
    page("記録", Some(&session), body).into_response()
}

fn outcome_ja(o: &str) -> &str {
    match o {
        "allowed" => "行った",
        "refused: role" => "断った（係が ちがう）",
        "refused: not in scope" => "断った（ほかの 自治体）",
        other => other,
    }
}

fn urlencode(v: &str) -> String {
    serde_urlencoded::to_string([("", v)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
