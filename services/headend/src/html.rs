//! HTML for people: the one page shell of the operator's console and the
//! family page, and the notices both use.
//!
//! Pages are written with maud's `html!`: every `(value)` in it is escaped by
//! construction, so text from the database, a form or a mail can never become
//! markup. Nothing in the head-end builds HTML from strings; `PreEscaped` is
//! used only for the stylesheet below.

use maud::{DOCTYPE, PreEscaped};
pub use maud::{Markup, html};

/// Whose page it is: the colours and the width differ, the rest is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The operator's console: wide tables, a navigation bar, prints cleanly.
    Console,
    /// The family page, read on a phone.
    Family,
}

const STYLE: &str = "
body{font-family:'BIZ UDPGothic','Noto Sans CJK JP',sans-serif;font-size:20px;margin:0;color:#111;background:#fafaf7}
header{background:#0d1b33;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header a{color:#fff;font-weight:bold}
header form{margin-left:auto}
main{padding:16px 24px}
h1{font-size:30px;margin:8px 0 16px}
h2{font-size:24px;margin:24px 0 8px}
table{border-collapse:collapse;margin:8px 0 16px;background:#fff}
th,td{border:1px solid #555;padding:8px 12px;text-align:left;vertical-align:top}
th{background:#e6eaf0}
td.n{text-align:right}
td.when{white-space:nowrap}
.sub{font-size:16px;color:#444}
.ok{background:#e3f4e1;border:2px solid #1d6b2a;padding:12px;margin:12px 0}
.err{background:#fbe4e1;border:2px solid #8f1a14;padding:12px;margin:12px 0}
.warn{background:#fff4d6;border:2px solid #8a5a00;padding:12px;margin:12px 0}
.big{font-size:26px;font-weight:bold}
form.box{background:#fff;border:1px solid #888;padding:12px 16px;margin:12px 0;max-width:900px}
label{display:inline-block;min-width:10em;margin:6px 0}
input,select,button{font-size:20px;padding:4px 8px}
button{font-weight:bold}
body.family{line-height:1.6}
.family header{background:#1d4d2b;padding:12px 20px}
.family main{padding:12px 20px;max-width:760px}
.family h1{font-size:28px;margin:8px 0}
.family h2{font-size:23px;border-bottom:2px solid #1d4d2b}
.family label{min-width:0}
.family input,.family select,.family button{padding:6px 10px}
.family form{margin:8px 0}
.family li{margin:6px 0}
@media print{header,form.box,form.noprint{display:none} body{background:#fff}}
";

/// A whole page: `title` in the tab and as the heading, `header` beside the
/// service's name (the console's navigation), then `body`.
pub fn page(look: Look, title: &str, header: Markup, body: Markup) -> Markup {
    let (class, service, tab) = match look {
        Look::Console => ("console", "engawa センター", " — engawa センター"),
        Look::Family => ("family", "engawa 見守り", ""),
    };
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if look == Look::Family {
                    meta name="robots" content="noindex";
                }
                title { (title) (tab) }
                style { (PreEscaped(STYLE)) }
            }
            body class=(class) {
                header { b { (service) } (header) }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// Something went as asked.
pub fn ok(message: &str) -> Markup {
    html! { p.ok role="status" { (message) } }
}

/// Nothing was done, and why.
pub fn err(message: &str) -> Markup {
    html! { p.err role="alert" { (message) } }
}

/// Worth attention, though nothing failed.
pub fn warn(message: &str) -> Markup {
    html! { p.warn { (message) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_wherever_it_goes() {
        let evil = "<script>alert(\"x\")</script>&'";
        let page = page(
            Look::Console,
            evil,
            html! { a href=(evil) { (evil) } },
            err(evil),
        )
        .into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"),
            "{page}"
        );
        assert!(
            page.starts_with("<!DOCTYPE html><html lang=\"ja\">"),
            "{page}"
        );
    }

    #[test]
    fn the_family_page_is_not_indexed_and_the_console_is_marked_as_ours() {
        let family = page(Look::Family, "見守り", html! {}, html! {}).into_string();
        assert!(family.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(family.contains("<body class=\"family\">"));
        let console = page(Look::Console, "ホーム", html! {}, html! {}).into_string();
        assert!(console.contains("<title>ホーム — engawa センター</title>"));
        assert!(!console.contains("noindex"));
    }
}
