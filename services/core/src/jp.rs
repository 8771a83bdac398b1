//! Dates and times the way residents say them: 「11月25日(水)　午後4:38」.
//!
//! Pure formatting; the caller decides the language and the instant.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};

/// 月 火 水 木 金 土 日, Monday first (the order of `Weekday::num_days_from_monday`).
pub const WEEKDAYS_JA: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

pub fn weekday_ja(w: Weekday) -> &'static str {
    WEEKDAYS_JA[w.num_days_from_monday() as usize]
}

/// 「11月25日(水)」
pub fn date_ja(d: NaiveDate) -> String {
    format!("{}月{}日({})", d.month(), d.day(), weekday_ja(d.weekday()))
}

/// 「午後4:38」, 「午前0:05」 (Japanese 12-hour clock: noon is 午後0時).
pub fn time_ja(t: NaiveTime) -> String {
    let (pm, h) = (t.hour() >= 12, t.hour() % 12);
    format!(
        "{}{}:{:02}",
        if pm { "午後" } else { "午前" },
        h,
        t.minute()
    )
}

/// 「11月25日(水)　午後4:38」 with an ideographic space, as on the home screen.
pub fn date_time_ja(d: NaiveDate, t: NaiveTime) -> String {
    format!("{}\u{3000}{}", date_ja(d), time_ja(t))
}

/// 「きょう」「あした」「あさって」, otherwise the date — how a day is named
/// relative to today.
pub fn day_relative_ja(day: NaiveDate, today: NaiveDate) -> String {
    match (day - today).num_days() {
        0 => "きょう".to_string(),
        1 => "あした".to_string(),
        2 => "あさって".to_string(),
        _ => date_ja(day),
    }
}

/// 「午前10時」「午後1時5分」: a time as people say it (and as mails and the
/// taxi screens write it). Noon is 午後0時, as on the clock ([`time_ja`]).
pub fn time_spoken(t: NaiveTime) -> String {
    let half = if t.hour() >= 12 { "午後" } else { "午前" };
    format!("{half}{}", time_spoken_bare(t))
}

/// [`time_spoken`] without 午前/午後: the end of a range whose start has it
/// (「午前10時10分〜10時25分」).
pub fn time_spoken_bare(t: NaiveTime) -> String {
    match t.minute() {
        0 => format!("{}時", t.hour() % 12),
        m => format!("{}時{m}分", t.hour() % 12),
    }
}

/// A time of day given in minutes after midnight (the taxi's unit), as
/// [`time_spoken`]; minutes past the day wrap.
pub fn minutes_spoken(minutes: i64) -> String {
    time_spoken(of_minutes(minutes))
}

/// [`time_spoken_bare`] for minutes after midnight.
pub fn minutes_spoken_bare(minutes: i64) -> String {
    time_spoken_bare(of_minutes(minutes))
}

fn of_minutes(minutes: i64) -> NaiveTime {
    let m = minutes.rem_euclid(24 * 60) as u32;
    NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap_or(NaiveTime::MIN)
}

/// 「45分」「6時間」「1時間30分」
pub fn duration_ja(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}分"),
        (h, 0) => format!("{h}時間"),
        (h, m) => format!("{h}時間{m}分"),
    }
}

/// English equivalents for the development translation.
pub fn date_en(d: NaiveDate) -> String {
    format!("{} {} ({})", d.format("%b"), d.day(), d.format("%a"))
}

pub fn time_en(t: NaiveTime) -> String {
    let h = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    format!(
        "{}:{:02} {}",
        h,
        t.minute(),
        if t.hour() >= 12 { "PM" } else { "AM" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn home_screen_clock_reads_like_speech() {
        assert_eq!(
            date_time_ja(d(2026, 11, 25), t(16, 38)),
            "11月25日(水)　午後4:38"
        );
    }

    #[test]
    fn twelve_hour_clock_table() {
        for (h, m, ja, en) in [
            (0, 5, "午前0:05", "12:05 AM"),
            (8, 0, "午前8:00", "8:00 AM"),
            (11, 59, "午前11:59", "11:59 AM"),
            (12, 0, "午後0:00", "12:00 PM"),
            (16, 38, "午後4:38", "4:38 PM"),
            (23, 30, "午後11:30", "11:30 PM"),
        ] {
            assert_eq!(time_ja(t(h, m)), ja);
            assert_eq!(time_en(t(h, m)), en);
        }
    }

    #[test]
    fn spoken_times_and_durations() {
        for (h, m, said) in [
            (0, 0, "午前0時"),
            (10, 5, "午前10時5分"),
            (11, 59, "午前11時59分"),
            (12, 0, "午後0時"),
            (12, 30, "午後0時30分"),
            (13, 5, "午後1時5分"),
            (23, 0, "午後11時"),
        ] {
            assert_eq!(time_spoken(t(h, m)), said);
            assert_eq!(minutes_spoken(i64::from(h * 60 + m)), said);
        }
        assert_eq!(minutes_spoken_bare(12 * 60 + 25), "0時25分");
        assert_eq!(minutes_spoken(24 * 60 + 30), "午前0時30分");
        assert_eq!(duration_ja(45), "45分");
        assert_eq!(duration_ja(360), "6時間");
        assert_eq!(duration_ja(90), "1時間30分");
    }

    #[test]
    fn relative_days() {
        let today = d(2026, 11, 30);
        assert_eq!(day_relative_ja(today, today), "きょう");
        assert_eq!(day_relative_ja(d(2026, 12, 1), today), "あした");
        assert_eq!(day_relative_ja(d(2026, 12, 2), today), "あさって");
        assert_eq!(day_relative_ja(d(2026, 12, 3), today), "12月3日(木)");
        assert_eq!(date_en(d(2026, 12, 3)), "Dec 3 (Thu)");
    }
}
