//! The official JMA samples in ../shared/bench/jma: every one reads, and
//! what we take from them is what the files say.

use std::path::PathBuf;

use engawa_disaster::jma::{InfoType, Intensity, Report, ReportError, Status};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/jma")
}

fn sample(name: &str) -> Report {
    Report::parse(&std::fs::read(dir().join(name)).unwrap()).unwrap()
}

#[test]
fn every_official_sample_reads() {
    let mut n = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            let r = Report::parse(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(r.status_kind().is_some(), "{}", path.display());
            assert!(r.info_type_kind().is_some(), "{}", path.display());
            n += 1;
        }
    }
    assert_eq!(n, 88);
}

#[test]
fn an_intensity_report_names_its_cities_with_their_intensity() {
    let r = sample("32-35_01_03_240613_VXSE53.xml");
    assert_eq!(r.info_type_kind(), Some(InfoType::Issued));
    let nishiizu = &r.intensities["2230600"];
    assert_eq!(nishiizu.name, "西伊豆町");
    assert_eq!(nishiizu.intensity, Some(Intensity::I5Lower));
    assert_eq!(r.intensities["2220500"].intensity, Some(Intensity::I4));
    assert!(r.cities.contains("2230600"));
    // Intensity stations are not municipalities.
    assert!(!r.cities.contains("2230630"));
    assert_eq!(
        r.strongest_in(["2220500", "2230600", "9999999"]),
        Some(Intensity::I5Lower)
    );
    assert_eq!(r.strongest_in(["9999999"]), None);
}

#[test]
fn a_flash_intensity_report_names_regions_not_cities() {
    let r = sample("32-35_01_01_100806_VXSE51.xml");
    assert_eq!(r.title, "震度速報");
    assert_eq!(r.status_kind(), Some(Status::Normal));
    assert_eq!(r.event_id.as_deref(), Some("20090811050711"));
    assert_eq!(r.serial, None);
    assert!(r.cities.is_empty());
}

#[test]
fn warnings_name_cities_by_code_type_only() {
    let r = sample("15_14_01_170216_VPWW54.xml");
    // The headline's 市町村等 areas; the body's areas carry no code type.
    assert!(r.cities.contains("1310400"), "{:?}", r.cities);
    assert!(r.cities.iter().all(|c| c.len() == 7));
    // River gauges carry their own code type and are left out.
    let river = sample("16_01_01_220728_VXKOii.xml");
    assert!(!river.cities.contains("0000000"));
}

#[test]
fn a_cancellation_reads_as_one() {
    let cancelled: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| Report::parse(&std::fs::read(p).unwrap()).unwrap())
        .filter(|r| r.info_type_kind() == Some(InfoType::Cancelled))
        .collect();
    assert_eq!(cancelled.len(), 4);
}

#[test]
fn what_is_not_a_report_is_refused() {
    assert_eq!(
        Report::parse(b"<feed/>"),
        Err(ReportError::NotAReport("feed".into()))
    );
    assert_eq!(
        Report::parse(b"<Report><Control><Title>x</Title></Control></Report>"),
        Err(ReportError::Missing("Head"))
    );
    let whole = std::fs::read(dir().join("32-35_01_01_100806_VXSE51.xml")).unwrap();
    assert!(matches!(
        Report::parse(&whole[..whole.len() / 2]),
        Err(ReportError::Xml(_))
    ));
}
