//! The watch-over's emails to family, as plain Japanese text. One place for every
//! template; the sender (box or head-end) adds the headers.

use chrono::{DateTime, Duration, Utc};
use engawa_core::{TOKYO, jp};

pub struct MailText {
    pub subject: String,
    pub body: String,
}

/// Who writes, to whom.
pub struct Context<'a> {
    pub contact: &'a str,
    pub operator: &'a str,
    pub operator_phone: &'a str,
    pub serial: &'a str,
    /// The contact's own family page (last activity, pause, reminders).
    pub link: &'a str,
}

/// 「午前9時12分」
pub fn time_words(t: DateTime<Utc>) -> String {
    jp::time_spoken(t.with_timezone(&TOKYO).time())
}

/// 「きのう 午前9時12分」 relative to `now`.
fn when_words(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let day = jp::day_relative_ja(
        t.with_timezone(&TOKYO).date_naive(),
        now.with_timezone(&TOKYO).date_naive(),
    );
    let day = match (now.with_timezone(&TOKYO).date_naive() - t.with_timezone(&TOKYO).date_naive())
        .num_days()
    {
        0 => "きょう".to_string(),
        1 => "きのう".to_string(),
        2 => "おととい".to_string(),
        _ => day,
    };
    format!("{day} {}", time_words(t))
}

fn footer(c: &Context) -> String {
    let link = if c.link.is_empty() {
        String::new()
    } else {
        format!(
            "\n様子の 確認・おしらせの 一時停止・リマインダーの 追加は こちら（あなた専用の ページです）:\n{}\n",
            c.link
        )
    };
    format!(
        "{link}\n※ このメールは 見守りの 機械（{}）から 自動で お送りしています。\n\
         見ていた 番組などは 送っていません。わかるのは リモコンを 操作した 時刻だけです。\n\
         お問い合わせ: {}（電話 {}）\n",
        c.serial, c.operator, c.operator_phone
    )
}

/// No sign of activity and no answer to the on-screen question.
pub fn alert(
    c: &Context,
    n: u32,
    since: DateTime<Utc>,
    grace: Duration,
    now: DateTime<Utc>,
) -> MailText {
    let again = if n > 1 { "【再度】" } else { "" };
    MailText {
        subject: format!(
            "{again}見守り: リモコンの 操作が ありません（{}から）",
            when_words(since, now)
        ),
        body: format!(
            "{} 様\n\n\
             engawa 見守りサービスから お知らせします。\n\n\
             {}から、テレビの リモコン操作が ありません。\n\
             テレビの 画面で 「お元気ですか？」と おたずねしましたが、{}分 たっても 返事が ありませんでした。\n\n\
             いま できること:\n\
             ・お電話で 様子を たしかめてください。\n\
             ・つながらないときは、近くの 方に 様子を 見に行ってもらってください。\n\
             ・こまったときは {}（電話 {}）に ご連絡ください。\n\n\
             リモコンの 操作が あれば、すぐに 「ご安心ください」の メールを お送りします。\n{}",
            c.contact,
            when_words(since, now),
            grace.num_minutes(),
            c.operator,
            c.operator_phone,
            footer(c)
        ),
    }
}

/// Activity again after an alert.
pub fn all_clear(c: &Context, at: DateTime<Utc>) -> MailText {
    MailText {
        subject: "見守り: ご安心ください（リモコンの 操作が ありました）".into(),
        body: format!(
            "{} 様\n\n\
             {}に テレビの リモコン操作が ありました。ご安心ください。\n\
             見守りは そのまま 続けています。\n{}",
            c.contact,
            when_words(at, at),
            footer(c)
        ),
    }
}

/// Away mode set for more than three days.
pub fn away(c: &Context, until: DateTime<Utc>, now: DateTime<Utc>) -> MailText {
    let l = until.with_timezone(&TOKYO);
    MailText {
        subject: format!(
            "見守り: {}まで 留守に なっています",
            jp::date_ja(l.date_naive())
        ),
        body: format!(
            "{} 様\n\n\
             {}に 「留守にします」が 設定されました。\n\
             {} {}まで、見守りの おしらせを 止めています（その日に 自動で もどります）。\n\
             ご存じない 場合は、お電話で たしかめてください。\n{}",
            c.contact,
            when_words(now, now),
            jp::date_ja(l.date_naive()),
            time_words(until),
            footer(c)
        ),
    }
}

/// The head-end hears nothing from the box: to the operator, who can check the
/// line or visit before anyone worries the family.
pub fn offline_operator(
    household: &str,
    address: &str,
    phone: &str,
    serial: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> MailText {
    MailText {
        subject: format!(
            "【機械の 連絡 とだえ】{household} 様宅（{}から）",
            when_words(since, now)
        ),
        body: format!(
            "{household} 様宅の 機械（{serial}）から {}から 連絡が ありません。\n\
             住所: {address}\n電話: {phone}\n\n\
             ご本人の 様子では なく、機械・電源・ケーブルの 問題かも しれません。\n\
             お電話か 訪問で たしかめてください。\n\
             このまま 連絡が なければ、ご家族にも お知らせします。\n",
            when_words(since, now)
        ),
    }
}

/// Still nothing: to the family, worded as a machine problem, not a person's.
pub fn offline_family(c: &Context, since: DateTime<Utc>, now: DateTime<Utc>) -> MailText {
    MailText {
        subject: format!(
            "見守り: 機械からの 連絡が とだえています（{}から）",
            when_words(since, now)
        ),
        body: format!(
            "{} 様\n\n\
             {}から、見守りの 機械（テレビの 横の 箱）から センターに 連絡が ありません。\n\
             電源が 抜けたり、ケーブルが 外れたり している かもしれません。\n\
             そのあいだは リモコンの 操作が あっても わかりません。\n\n\
             いま できること:\n\
             ・お電話で 様子と 機械の 電源を たしかめてください。\n\
             ・{}でも 確認を 進めています（電話 {}）。\n{}",
            c.contact,
            when_words(since, now),
            c.operator,
            c.operator_phone,
            footer(c)
        ),
    }
}

/// Someone paused the alerts from the family page: every contact is told, the
/// one who did it too, so a forwarded link cannot silence watch-over unseen.
pub fn paused(c: &Context, by: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> MailText {
    let l = until.with_timezone(&TOKYO);
    MailText {
        subject: format!(
            "見守り: {}まで おしらせを 止めました",
            jp::date_ja(l.date_naive())
        ),
        body: format!(
            "{} 様

             {}に、家族の ページから 見守りの おしらせが 止められました（操作: {} 様の ページ）。
             {} {}まで、リモコンの 操作が なくても・機械が つながらなくても メールは 届きません。
             ご存じない 場合は、下の ページの 「おしらせを 再開する」で すぐに もどせます。
{}",
            c.contact,
            when_words(now, now),
            by,
            jp::date_ja(l.date_naive()),
            time_words(until),
            footer(c)
        ),
    }
}

/// The box was revoked (swapped or lost): every family-page link is new.
pub fn new_link(c: &Context) -> MailText {
    MailText {
        subject: "見守り: 家族の ページの アドレスが かわりました".into(),
        body: format!(
            "{} 様

             見守りの 機械が 取りかえられたため、家族の ページの アドレスを 新しくしました。
             前の アドレスは もう 使えません。
{}",
            c.contact,
            footer(c)
        ),
    }
}

/// The box talks again.
pub fn back_online(c: &Context, at: DateTime<Utc>) -> MailText {
    MailText {
        subject: "見守り: 機械からの 連絡が もどりました".into(),
        body: format!(
            "{} 様\n\n{}に 見守りの 機械からの 連絡が もどりました。\n見守りは そのまま 続けています。\n{}",
            c.contact,
            when_words(at, at),
            footer(c)
        ),
    }
}

/// The optional daily 「お元気です」.
pub fn digest(c: &Context, last_activity: Option<DateTime<Utc>>, now: DateTime<Utc>) -> MailText {
    let recent = last_activity.filter(|t| now - *t < Duration::hours(24));
    match recent {
        Some(t) => MailText {
            subject: "見守り: きょうも お元気です".into(),
            body: format!(
                "{} 様\n\n最後の リモコン操作は {} でした。\nきょうも お元気に すごされています。\n{}",
                c.contact,
                when_words(t, now),
                footer(c)
            ),
        },
        None => MailText {
            subject: "見守り: この24時間 リモコンの 操作が ありません".into(),
            body: format!(
                "{} 様\n\n{}。\n\
                 お出かけ中かも しれません。つづくときは 画面で おたずねし、返事が なければ あらためて お知らせします。\n{}",
                c.contact,
                match last_activity {
                    Some(t) => format!("最後の リモコン操作は {} です", when_words(t, now)),
                    None => "まだ リモコン操作の 記録が ありません".to_string(),
                },
                footer(c)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engawa_core::clock::tokyo;

    fn ctx() -> Context<'static> {
        Context {
            contact: "山田 太郎",
            operator: "みどり町ケーブルテレビ",
            operator_phone: "0265-00-0000",
            serial: "EGW-0042",
            link: "https://center.example.jp/family/abc",
        }
    }

    #[test]
    fn the_alert_says_what_was_noticed_what_was_tried_and_what_to_do() {
        let m = alert(
            &ctx(),
            1,
            tokyo(2026, 11, 24, 9, 12),
            Duration::minutes(60),
            tokyo(2026, 11, 25, 10, 30),
        );
        assert_eq!(
            m.subject,
            "見守り: リモコンの 操作が ありません（きのう 午前9時12分から）"
        );
        for part in [
            "山田 太郎 様",
            "きのう 午前9時12分から、テレビの リモコン操作が ありません",
            "「お元気ですか？」",
            "60分",
            "0265-00-0000",
            "番組などは 送っていません",
        ] {
            assert!(m.body.contains(part), "{part}\n{}", m.body);
        }
        assert!(
            alert(
                &ctx(),
                2,
                tokyo(2026, 11, 24, 9, 12),
                Duration::minutes(60),
                tokyo(2026, 11, 25, 16, 30)
            )
            .subject
            .starts_with("【再度】")
        );
        assert_eq!(time_words(tokyo(2026, 11, 25, 0, 0)), "午前0時");
        assert_eq!(time_words(tokyo(2026, 11, 25, 13, 5)), "午後1時5分");
    }

    #[test]
    fn all_clear_and_away_are_plain_and_kind() {
        let m = all_clear(&ctx(), tokyo(2026, 11, 25, 10, 45));
        assert!(m.subject.contains("ご安心ください"));
        assert!(m.body.contains("きょう 午前10時45分に"));
        let m = away(
            &ctx(),
            tokyo(2026, 12, 2, 16, 38),
            tokyo(2026, 11, 25, 16, 38),
        );
        assert!(m.subject.contains("12月2日(水)まで"), "{}", m.subject);
        assert!(m.body.contains("自動で もどります"));
    }

    #[test]
    fn offline_mails_speak_of_the_machine_not_the_person() {
        let since = tokyo(2026, 11, 25, 6, 0);
        let now = tokyo(2026, 11, 25, 8, 5);
        let op = offline_operator(
            "山田 ハナ",
            "みどり町1-2",
            "0265-11-2222",
            "EGW-0042",
            since,
            now,
        );
        assert!(op.subject.contains("機械の 連絡 とだえ"));
        assert!(op.body.contains("ご本人の 様子では なく"));
        let fam = offline_family(&ctx(), since, now);
        assert!(fam.subject.contains("機械からの 連絡"), "{}", fam.subject);
        assert!(!fam.subject.contains("リモコン"));
        assert!(fam.body.contains("https://center.example.jp/family/abc"));
        let d = digest(
            &ctx(),
            Some(tokyo(2026, 11, 25, 7, 40)),
            tokyo(2026, 11, 25, 9, 0),
        );
        assert!(d.subject.contains("お元気です"));
        assert!(d.body.contains("きょう 午前7時40分"), "{}", d.body);
        let d = digest(
            &ctx(),
            Some(tokyo(2026, 11, 23, 7, 40)),
            tokyo(2026, 11, 25, 9, 0),
        );
        assert!(d.subject.contains("ありません"));
        assert!(back_online(&ctx(), now).subject.contains("もどりました"));
    }
}
