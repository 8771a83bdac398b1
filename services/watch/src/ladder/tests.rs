//! The ladder over time with an injected clock: each case is a list of inputs and
//! the actions expected at each.

use super::*;
use chrono::NaiveTime;
use engawa_core::clock::tokyo;

fn fixed() -> Policy {
    Policy {
        adaptive: None,
        ..Policy::default()
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Tick every minute from `from` to `to` (inclusive), collecting actions with
/// their times.
fn run(
    l: &mut Ladder,
    p: &Policy,
    r: &mut Rhythm,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, Action)> {
    let mut out = Vec::new();
    let mut t = from;
    while t <= to {
        for a in l.step(Input::Tick(t), p, r) {
            out.push((t, a));
        }
        t += Duration::minutes(1);
    }
    out
}

fn alerts(actions: &[(DateTime<Utc>, Action)]) -> Vec<DateTime<Utc>> {
    actions
        .iter()
        .filter(|(_, a)| matches!(a, Action::Alert { .. }))
        .map(|(t, _)| *t)
        .collect()
}

#[test]
fn threshold_across_midnight_then_grace_then_realerts_up_to_three() {
    let p = fixed();
    let mut r = Rhythm::default();
    let last = tokyo(2026, 11, 25, 20, 0);
    let mut l = Ladder::new(last, &p, &r);
    let got = run(&mut l, &p, &mut r, last, tokyo(2026, 11, 27, 20, 0));
    assert_eq!(got[0], (tokyo(2026, 11, 26, 20, 0), Action::ShowPrompt));
    assert_eq!(
        alerts(&got),
        [
            tokyo(2026, 11, 26, 21, 0),
            tokyo(2026, 11, 27, 3, 0),
            tokyo(2026, 11, 27, 9, 0)
        ]
    );
    assert!(matches!(got[1].1, Action::Alert { n: 1, since } if since == last));
}

#[test]
fn quiet_hours_hold_the_email_not_the_prompt() {
    let mut p = fixed();
    p.quiet = Some((hm(21, 0), hm(7, 0)));
    let mut r = Rhythm::default();
    let last = tokyo(2026, 11, 25, 20, 30);
    let mut l = Ladder::new(last, &p, &r);
    let got = run(&mut l, &p, &mut r, last, tokyo(2026, 11, 27, 8, 0));
    assert_eq!(got[0], (tokyo(2026, 11, 26, 20, 30), Action::ShowPrompt));
    assert_eq!(
        alerts(&got)[0],
        tokyo(2026, 11, 27, 7, 0),
        "held until 07:00"
    );
}

#[test]
fn answering_the_prompt_within_the_grace_sends_nothing() {
    let p = fixed();
    let mut r = Rhythm::default();
    let last = tokyo(2026, 11, 25, 9, 0);
    let mut l = Ladder::new(last, &p, &r);
    let got = run(&mut l, &p, &mut r, last, tokyo(2026, 11, 26, 9, 30));
    assert_eq!(got, [(tokyo(2026, 11, 26, 9, 0), Action::ShowPrompt)]);
    let answer = l.step(Input::Activity(tokyo(2026, 11, 26, 9, 31)), &p, &mut r);
    assert_eq!(answer, [Action::HidePrompt]);
    let later = run(
        &mut l,
        &p,
        &mut r,
        tokyo(2026, 11, 26, 9, 32),
        tokyo(2026, 11, 27, 9, 30),
    );
    assert!(alerts(&later).is_empty());
    assert_eq!(l.deadline, tokyo(2026, 11, 27, 9, 31));
}

#[test]
fn activity_after_an_alert_sends_the_all_clear_once() {
    let p = fixed();
    let mut r = Rhythm::default();
    let last = tokyo(2026, 11, 25, 9, 0);
    let mut l = Ladder::new(last, &p, &r);
    run(&mut l, &p, &mut r, last, tokyo(2026, 11, 26, 10, 0));
    assert!(matches!(l.state, State::Alerted { sent: 1, .. }));
    let back = tokyo(2026, 11, 26, 10, 5);
    assert_eq!(
        l.step(Input::Activity(back), &p, &mut r),
        [Action::HidePrompt, Action::AllClear { at: back }]
    );
    assert_eq!(
        l.step(Input::Activity(back + Duration::minutes(1)), &p, &mut r),
        []
    );
}

#[test]
fn away_mode_silences_ends_by_itself_and_greets_on_return() {
    let p = fixed();
    let mut r = Rhythm::default();
    let now = tokyo(2026, 11, 25, 9, 0);
    let mut l = Ladder::new(now, &p, &r);
    // Five days away: family told (more than three days); capped at fourteen.
    let until = tokyo(2026, 11, 30, 9, 0);
    assert_eq!(
        l.step(Input::SetAway { now, until }, &p, &mut r),
        [Action::AwayNotice { until }]
    );
    let got = run(&mut l, &p, &mut r, now, until - Duration::minutes(1));
    assert!(got.is_empty(), "{got:?}");
    // It ends by itself; watching counts from its end.
    let got = run(&mut l, &p, &mut r, until, tokyo(2026, 12, 1, 9, 0));
    assert_eq!(got, [(tokyo(2026, 12, 1, 9, 0), Action::ShowPrompt)]);
    // Coming back early: 「おかえりなさい」.
    let mut l = Ladder::new(now, &p, &r);
    l.step(Input::SetAway { now, until }, &p, &mut r);
    assert_eq!(
        l.step(Input::Activity(tokyo(2026, 11, 27, 15, 0)), &p, &mut r),
        [Action::Greet]
    );
    assert_eq!(l.state, State::Watching);
    // Never longer than fourteen days.
    let mut l = Ladder::new(now, &p, &r);
    l.step(
        Input::SetAway {
            now,
            until: now + Duration::days(60),
        },
        &p,
        &mut r,
    );
    assert_eq!(
        l.state,
        State::Away {
            until: now + Duration::days(14)
        }
    );
    // Short away: no notice.
    let mut l = Ladder::new(now, &p, &r);
    assert_eq!(
        l.step(
            Input::SetAway {
                now,
                until: now + Duration::days(2)
            },
            &p,
            &mut r
        ),
        []
    );
}

#[test]
fn a_reboot_in_the_middle_continues_without_a_second_first_alert() {
    let p = fixed();
    let mut r = Rhythm::default();
    let last = tokyo(2026, 11, 25, 9, 0);
    let mut l = Ladder::new(last, &p, &r);
    run(&mut l, &p, &mut r, last, tokyo(2026, 11, 26, 9, 30));
    assert!(matches!(l.state, State::Prompting { .. }));
    // Power cut: the stored state comes back; the box was off for 2 hours.
    let stored = serde_json::to_string(&(&l, &r)).unwrap();
    let (mut l, mut r): (Ladder, Rhythm) = serde_json::from_str(&stored).unwrap();
    let got = run(
        &mut l,
        &p,
        &mut r,
        tokyo(2026, 11, 26, 11, 30),
        tokyo(2026, 11, 26, 12, 0),
    );
    assert_eq!(
        alerts(&got),
        [tokyo(2026, 11, 26, 11, 30)],
        "one alert, at boot"
    );
    // Rebooted again right after the alert: no repeat before the re-alert time.
    let stored = serde_json::to_string(&l).unwrap();
    let mut l: Ladder = serde_json::from_str(&stored).unwrap();
    let got = run(
        &mut l,
        &p,
        &mut r,
        tokyo(2026, 11, 26, 12, 1),
        tokyo(2026, 11, 26, 17, 29),
    );
    assert!(alerts(&got).is_empty());
}

#[test]
fn clock_jumps_back_restart_the_window_and_forward_jumps_prompt_first() {
    let p = fixed();
    let mut r = Rhythm::default();
    let last = tokyo(2026, 11, 25, 9, 0);
    let mut l = Ladder::new(last, &p, &r);
    // The clock falls back to last year (a dead RTC battery): the deadline moves
    // with it instead of staying a year away.
    let back = tokyo(2025, 11, 25, 9, 0);
    assert_eq!(l.step(Input::Tick(back), &p, &mut r), []);
    assert_eq!(l.deadline, back + Duration::hours(24));
    // Forward by three days (an NTP correction): the prompt, not an email.
    let mut l = Ladder::new(last, &p, &r);
    let jump = last + Duration::days(3);
    assert_eq!(l.step(Input::Tick(jump), &p, &mut r), [Action::ShowPrompt]);
    assert_eq!(
        l.step(Input::Tick(jump + Duration::minutes(59)), &p, &mut r),
        []
    );
    assert!(matches!(
        l.step(Input::Tick(jump + Duration::minutes(60)), &p, &mut r)[..],
        [Action::Alert { n: 1, .. }]
    ));
}

#[test]
fn the_adaptive_threshold_is_used_once_learned() {
    let p = Policy::default();
    let mut r = Rhythm::default();
    let start = tokyo(2026, 11, 1, 7, 0);
    let mut l = Ladder::new(start, &p, &r);
    for day in 0..15 {
        for h in 0..=14 {
            l.step(
                Input::Activity(start + Duration::days(day) + Duration::hours(h)),
                &p,
                &mut r,
            );
        }
    }
    // Last key press 21:00 on day 15: usual night gap 10 h → asked at 12:00
    // (10 h + half of it), family at 13:00 — not 24 h later.
    assert_eq!(l.rule, Rule::Adaptive);
    assert_eq!(l.deadline, tokyo(2026, 11, 16, 12, 0));
}
