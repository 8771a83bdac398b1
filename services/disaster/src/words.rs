//! What the TV says about an alert: short, plain Japanese (UI.md), the same
//! words on the box's card and in the mails.

use crate::policy::{Hazard, Order};

/// What happened, where: 「震度５強の 地震が ありました」,
/// 「みどり町に 避難指示（警戒レベル４）」.
pub fn what(hazard: &Hazard, place: &str) -> String {
    match hazard {
        Hazard::Earthquake { intensity } => format!("{}の 地震が ありました", intensity.to_ja()),
        Hazard::Warning { name, .. } => format!("{place}に {name}が 出ました"),
        Hazard::Landslide => format!("{place}に 土砂災害警戒情報が 出ました"),
        Hazard::Tsunami { major: true } => format!("{place}に 大津波警報が 出ました"),
        Hazard::Tsunami { major: false } => format!("{place}に 津波警報が 出ました"),
        Hazard::Order { order, .. } => {
            format!(
                "{place}に {}（警戒レベル{}）",
                order.to_ja(),
                wide(order.level())
            )
        }
    }
}

/// What to do, one or two short sentences.
pub fn todo(hazard: &Hazard) -> &'static str {
    match hazard {
        Hazard::Earthquake { .. } => {
            "あわてずに 身の安全を まもってください。火の元を たしかめてください。"
        }
        Hazard::Landslide => "がけや 山の近くの方は すぐに 避難してください。",
        Hazard::Tsunami { .. } => {
            "海から はなれて、高い ところへ すぐに 避難してください。もどらないでください。"
        }
        Hazard::Order { order, .. } => match order {
            Order::ElderlyFirst => "お年寄りや 体の不自由な方は 避難を はじめてください。",
            Order::Evacuate => "危ない 場所に いる方は 全員 避難してください。",
            Order::Emergency => "命を まもる 行動を すぐに とってください。",
        },
        Hazard::Warning { .. } => match hazard.level() {
            Some(5) => "命を まもる 行動を すぐに とってください。",
            Some(4) => "危ない 場所に いる方は 避難してください。",
            _ => "川や がけに 近づかないでください。これからの 情報に 気をつけてください。",
        },
    }
}

/// A digit as the TV writes it in running text: ４.
pub fn wide(d: u8) -> char {
    char::from_u32(u32::from('０') + u32::from(d % 10)).unwrap_or('？')
}

/// A mail about one household in a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub body: String,
}

/// What a mail about a household needs.
#[derive(Clone)]
pub struct MailFacts<'a> {
    /// Whom it is to: a family contact or a helper.
    pub to: &'a str,
    pub household: &'a str,
    pub address: &'a str,
    pub phone: &'a str,
    /// [`what`] of the campaign.
    pub what: &'a str,
    /// When the TV asked, as the mail says it (「12月3日 午前9時5分」).
    pub asked_at: &'a str,
    pub operator: &'a str,
    pub operator_phone: &'a str,
}

fn sign(f: &MailFacts) -> String {
    format!("\n\n-- \n{}　{}\n", f.operator, f.operator_phone)
}

/// To family: no answer `minutes` after the TV asked.
pub fn mail_no_answer(f: &MailFacts, minutes: i64) -> MailText {
    MailText {
        subject: format!("【安否確認】{}さんから まだ 応答が ありません", f.household),
        body: format!(
            "{} 様\n\n{}。\n{} に テレビで {}さんの 安否を おたずねしましたが、{minutes}分たっても 応答が ありません。\nテレビを 見ていないだけかも しれません。お電話などで ご確認ください。{}",
            f.to,
            f.what,
            f.asked_at,
            f.household,
            sign(f)
        ),
    }
}

/// To a registered helper (避難支援者): no answer `minutes` after.
pub fn mail_to_helper(f: &MailFacts, minutes: i64) -> MailText {
    MailText {
        subject: format!("【安否確認】{}さんの ようすを 見てください", f.household),
        body: format!(
            "{} 様\n\n{}。\n{} に テレビで おたずねしましたが、{minutes}分たっても {}さんから 応答が ありません。\nできれば ようすを 見に 行ってください。\n\n{}\n{}\n電話 {}{}",
            f.to,
            f.what,
            f.asked_at,
            f.household,
            f.household,
            f.address,
            f.phone,
            sign(f)
        ),
    }
}

/// To family: the resident answered.
pub fn mail_answered(f: &MailFacts, answer: crate::api::Answer, at: &str) -> MailText {
    match answer {
        crate::api::Answer::Safe => MailText {
            subject: format!("【安否確認】{}さんは 無事です", f.household),
            body: format!(
                "{} 様\n\n{}。\n{} に {}さんが テレビで 「無事です」と 答えました。{}",
                f.to,
                f.what,
                at,
                f.household,
                sign(f)
            ),
        },
        crate::api::Answer::Help => MailText {
            subject: format!("【安否確認】{}さんが たすけを 求めています", f.household),
            body: format!(
                "{} 様\n\n{}。\n{} に {}さんが テレビで 「たすけが ひつようです」と 答えました。\n市町村の 災害対策本部にも 伝わっています。できれば 連絡を とってください。{}",
                f.to,
                f.what,
                at,
                f.household,
                sign(f)
            ),
        },
    }
}

/// The word the card shows on every drill.
pub const DRILL: &str = "訓練";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jma::Intensity;
    use crate::policy::ShelterUse;

    #[test]
    fn the_card_says_what_the_issue_asks() {
        assert_eq!(
            what(
                &Hazard::Earthquake {
                    intensity: Intensity::I5Upper
                },
                "西伊豆町"
            ),
            "震度５強の 地震が ありました"
        );
        assert_eq!(
            what(
                &Hazard::Order {
                    order: Order::Evacuate,
                    danger: ShelterUse::Flood
                },
                "みどり町"
            ),
            "みどり町に 避難指示（警戒レベル４）"
        );
        let rain = Hazard::Warning {
            code: "33".into(),
            name: "大雨特別警報".into(),
        };
        assert_eq!(
            what(&rain, "西伊豆町"),
            "西伊豆町に 大雨特別警報が 出ました"
        );
        assert_eq!(rain.level(), Some(5));
        assert_eq!(todo(&rain), "命を まもる 行動を すぐに とってください。");
    }
}
