//! A municipality's rules on JMA's samples: which reports ask its
//! households, and the six-hour aftershock rule.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use engawa_disaster::Report;
use engawa_disaster::jma::Intensity;
use engawa_disaster::policy::{
    AFTERSHOCK_WINDOW, Campaign, Decision, Hazard, Policy, decide, hazards,
};

fn sample(name: &str) -> Report {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/bench/jma")
        .join(name);
    Report::parse(&std::fs::read(path).unwrap()).unwrap()
}

fn cities(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

fn policy() -> Policy {
    Policy {
        quake_from: Some(Intensity::I5Lower),
        warnings: ["33".to_string()].into(),
        landslide: true,
        ..Policy::default()
    }
}

#[test]
fn an_earthquake_asks_from_the_municipalitys_intensity() {
    // 西伊豆町 5-, 熱海市 4 (a drill).
    let quake = sample("32-35_01_03_240613_VXSE53.xml");
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 3, 0, 0).unwrap();
    assert_eq!(
        decide(&quake, &policy(), &cities(&["2230600"]), &[], now),
        Decision::Open {
            hazard: Hazard::Earthquake {
                intensity: Intensity::I5Lower
            },
            drill: true
        }
    );
    assert_eq!(
        decide(&quake, &policy(), &cities(&["2220500"]), &[], now),
        Decision::Ignore
    );
    let strict = Policy {
        quake_from: Some(Intensity::I5Upper),
        ..policy()
    };
    assert_eq!(
        decide(&quake, &strict, &cities(&["2230600"]), &[], now),
        Decision::Ignore
    );
    let never = Policy {
        quake_from: None,
        ..policy()
    };
    assert_eq!(
        decide(&quake, &never, &cities(&["2230600"]), &[], now),
        Decision::Ignore
    );
}

#[test]
fn aftershocks_within_six_hours_join_unless_stronger() {
    let quake = sample("32-35_01_03_240613_VXSE53.xml");
    let opened = Utc.with_ymd_and_hms(2026, 12, 2, 3, 0, 0).unwrap();
    let campaign = |intensity, drill| Campaign {
        id: 7,
        opened_at: opened,
        drill,
        hazard: Hazard::Earthquake { intensity },
        event_id: Some("other".into()),
    };
    let here = cities(&["2230600"]);
    let soon = opened + Duration::hours(5);
    assert_eq!(
        decide(
            &quake,
            &policy(),
            &here,
            &[campaign(Intensity::I5Lower, true)],
            soon
        ),
        Decision::Join { campaign: 7 }
    );
    assert_eq!(
        decide(
            &quake,
            &policy(),
            &here,
            &[campaign(Intensity::I6Lower, true)],
            soon
        ),
        Decision::Join { campaign: 7 }
    );
    // Stronger than the campaign asked for: everyone is asked again.
    assert!(matches!(
        decide(
            &quake,
            &policy(),
            &here,
            &[campaign(Intensity::I4, true)],
            soon
        ),
        Decision::Open { .. }
    ));
    // Six hours on, it is a new event.
    assert!(matches!(
        decide(
            &quake,
            &policy(),
            &here,
            &[campaign(Intensity::I5Lower, true)],
            opened + AFTERSHOCK_WINDOW
        ),
        Decision::Open { .. }
    ));
    // A drill never joins a real campaign.
    assert!(matches!(
        decide(
            &quake,
            &policy(),
            &here,
            &[campaign(Intensity::I6Lower, false)],
            soon
        ),
        Decision::Open { drill: true, .. }
    ));
}

#[test]
fn warnings_and_landslide_alerts_ask_by_the_municipalitys_list() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 3, 0, 0).unwrap();
    // 奥多摩町: 大雨特別警報 (33) and 洪水警報 (04) issued.
    let rain = sample("15_14_01_170216_VPWW54.xml");
    let okutama = cities(&["1330800"]);
    let special = Hazard::Warning {
        code: "33".into(),
        name: "大雨特別警報".into(),
    };
    assert_eq!(hazards(&rain, &policy(), &okutama), vec![special.clone()]);
    assert_eq!(
        decide(&rain, &policy(), &okutama, &[], now),
        Decision::Open {
            hazard: special.clone(),
            drill: false
        }
    );
    let floods_only = Policy {
        warnings: ["04".to_string()].into(),
        ..policy()
    };
    assert!(matches!(
        &hazards(&rain, &floods_only, &okutama)[..],
        [Hazard::Warning { code, .. }] if code == "04"
    ));
    // The same warning still in force joins its campaign.
    let open = Campaign {
        id: 3,
        opened_at: now - Duration::hours(30),
        drill: false,
        hazard: special,
        event_id: None,
    };
    assert_eq!(
        decide(&rain, &policy(), &okutama, &[open], now),
        Decision::Join { campaign: 3 }
    );
    // 土砂災害警戒情報 for 岡山県's 3320900.
    let landslide = sample("17_03_01_190529_VXWW50.xml");
    let here = cities(&["3320900"]);
    assert_eq!(
        hazards(&landslide, &policy(), &here),
        vec![Hazard::Landslide]
    );
    let no_landslide = Policy {
        landslide: false,
        ..policy()
    };
    assert_eq!(
        decide(&landslide, &no_landslide, &here, &[], now),
        Decision::Ignore
    );
    // 岡山市 has nothing in force in that report.
    assert_eq!(
        hazards(&landslide, &policy(), &cities(&["3310000"])),
        vec![]
    );
}

#[test]
fn cancellations_and_tests_never_ask() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 3, 0, 0).unwrap();
    let mut quake = sample("32-35_01_03_240613_VXSE53.xml");
    let here = cities(&["2230600"]);
    quake.status = Some("試験".into());
    assert_eq!(decide(&quake, &policy(), &here, &[], now), Decision::Ignore);
    quake.status = Some("通常".into());
    quake.info_type = Some("取消".into());
    assert_eq!(decide(&quake, &policy(), &here, &[], now), Decision::Ignore);
    quake.status = Some("何か".into());
    quake.info_type = Some("発表".into());
    assert_eq!(decide(&quake, &policy(), &here, &[], now), Decision::Ignore);
}

#[test]
fn a_tsunami_warning_for_its_coast_asks_and_an_advisory_does_not() {
    // 2011-03-11 14:49: 大津波警報 for 宮城県 (220), 津波警報 for 北海道太平洋沿岸中部
    // (101), 津波注意報 for 静岡県 (380).
    let first = sample("32-39_11_02_250206_VTSE41.xml");
    let now = Utc.with_ymd_and_hms(2011, 3, 11, 5, 50, 0).unwrap();
    let coast = |areas: &[&str]| Policy {
        tsunami_areas: areas.iter().map(|a| a.to_string()).collect(),
        ..policy()
    };
    let open = |major| Decision::Open {
        hazard: Hazard::Tsunami { major },
        drill: false,
    };
    let none = BTreeSet::new();
    assert_eq!(
        decide(&first, &coast(&["220"]), &none, &[], now),
        open(true)
    );
    assert_eq!(
        decide(&first, &coast(&["101"]), &none, &[], now),
        open(false)
    );
    assert_eq!(
        decide(&first, &coast(&["380"]), &none, &[], now),
        Decision::Ignore,
        "an advisory keeps people off the beach; it does not ask"
    );
    assert_eq!(decide(&first, &policy(), &none, &[], now), Decision::Ignore);
    // Raised from 津波警報 to 大津波警報: asked again, not joined.
    let was = Campaign {
        id: 4,
        opened_at: now - Duration::minutes(20),
        drill: false,
        hazard: Hazard::Tsunami { major: false },
        event_id: first.event_id.clone(),
    };
    assert_eq!(
        decide(
            &first,
            &coast(&["220"]),
            &none,
            std::slice::from_ref(&was),
            now
        ),
        open(true)
    );
    // The same warning again (a later serial) joins.
    assert_eq!(
        decide(&first, &coast(&["101"]), &none, &[was], now),
        Decision::Join { campaign: 4 }
    );
    // Its words and shelters.
    let h = Hazard::Tsunami { major: true };
    assert_eq!(
        engawa_disaster::words::what(&h, "仁科"),
        "仁科に 大津波警報が 出ました"
    );
    assert_eq!(
        h.shelter_use(),
        Some(engawa_disaster::policy::ShelterUse::Tsunami)
    );
    // Only 津波予報 left (the last report of the event): nothing asks.
    let last = sample("32-39_11_13_250206_VTSE41.xml");
    assert!(last.tsunami.values().all(|k| !k.is_warning()));
    assert_eq!(
        decide(&last, &coast(&["220"]), &none, &[], now),
        Decision::Ignore
    );
}
