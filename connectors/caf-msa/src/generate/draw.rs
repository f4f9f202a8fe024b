//! Drawing made-up households: deterministic, varied like a real monthly flux.

use cdb_connector::identity::Nir;
use chrono::{Datelike, Duration, NaiveDate};

use super::{SyntheticAddress, SyntheticHousehold, SyntheticPerson};

/// A small deterministic generator (SplitMix64): same seed, same file.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn date(&mut self, from_year: i32, years: u64) -> NaiveDate {
        let start = NaiveDate::from_ymd_opt(from_year, 1, 1).unwrap_or_default();
        start + Duration::days(self.below(years * 365) as i64)
    }
}

const LAST_NAMES: &[&str] = &[
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "PETIT",
    "DURAND",
    "LEFÈVRE",
    "GARÇON",
    "NOËL",
    "CŒURDEROY",
    "D'ALMEIDA",
    "FAURE",
    "ROUSSEAU",
    "BLANC",
    "GUÉRIN",
];
const FIRST_NAMES_F: &[&str] = &[
    "ZOÉ", "ANAÏS", "HÉLÈNE", "CHLOÉ", "CÉCILE", "SOPHIE", "MARIE", "LÉA", "INÈS", "MANON",
];
const FIRST_NAMES_M: &[&str] = &[
    "NOËL",
    "FRANÇOIS",
    "JÉRÔME",
    "LOÏC",
    "MAËL",
    "KARIM",
    "THÉO",
    "LUCAS",
    "ANDRÉ",
    "YANN",
];
const PLACES: &[(&str, &str, &str)] = &[
    ("VALENCE", "26362", "26000"),
    ("BOURG-EN-BRESSE", "01053", "1000"),
    ("LEVALLOIS PERRET", "92044", "92300"),
    ("CHAUMONT", "52121", "52000"),
    ("AJACCIO", "2A004", "20000"),
    ("SAINT-ÉTIENNE", "42218", "42000"),
];
const STREETS: &[&str] = &[
    "DES ALPES",
    "HENRI BARBUSSE",
    "DE LA GARE",
    "VICTOR HUGO",
    "DU MOULIN",
];
const STREET_TYPES: &[&str] = &["RUE", "AVENUE", "CHEMIN", "BOULEVARD", "IMPASSE"];
const PAYMENT_SUSPENSIONS: &[&str] = &["01", "05", "06", "35", "44", "70", "AB", "CV", "CG"];
const CLOSURES: &[&str] = &["PCG", "ECH", "MUT", "RFD", "RAU"];

/// Draws `count` made-up households from `seed`; the n-th household is the same for a
/// given seed whatever `count` is.
pub fn synthetic_households(count: usize, seed: u64) -> impl Iterator<Item = SyntheticHousehold> {
    (0..count).map(move |index| synthetic_household(seed, index as u64))
}

fn nir(draw: &mut Draw, sex: &str, birth: NaiveDate, insee_code: &str) -> String {
    let body = format!(
        "{sex}{:02}{:02}{}{:03}",
        birth.year() % 100,
        birth.month(),
        insee_code,
        draw.below(999) + 1
    );
    // Some sources send the 2-digit key: a few NIRs carry it.
    if draw.chance(10) {
        Nir::parse(&body).map_or(body, |nir| nir.with_key())
    } else {
        body
    }
}

fn person(draw: &mut Draw, role: &str, last_name: &str, adult: bool) -> SyntheticPerson {
    let woman = draw.chance(50);
    let sex = if woman { "2" } else { "1" };
    let birth_date = if adult {
        draw.date(1960, 40)
    } else {
        draw.date(2008, 15)
    };
    let (birth_place, insee_code, _) = PLACES[draw.below(PLACES.len() as u64) as usize];
    let first_name = draw.pick(if woman { FIRST_NAMES_F } else { FIRST_NAMES_M });
    let rights_and_duties = adult.then(|| draw.chance(80));
    SyntheticPerson {
        title: adult.then(|| if woman { "MME" } else { "MR" }.to_owned()),
        last_name: last_name.to_owned(),
        birth_name: last_name.to_owned(),
        first_name: first_name.to_owned(),
        second_first_name: draw.chance(20).then(|| draw.pick(FIRST_NAMES_F).to_owned()),
        birth_place: birth_place.to_owned(),
        birth_date,
        nir: draw
            .chance(95)
            .then(|| nir(draw, sex, birth_date, insee_code)),
        sex: sex.to_owned(),
        role: role.to_owned(),
        file_holder: role == "DEM",
        dependent: true,
        rights_and_duties,
        entrant: rights_and_duties.and_then(|_| draw.chance(10).then_some(true)),
        resources: adult,
        activities: if adult { draw.below(3) as u8 } else { 0 },
    }
}

fn synthetic_household(seed: u64, index: u64) -> SyntheticHousehold {
    let mut draw = Draw(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
    let last_name = draw.pick(LAST_NAMES);
    let couple = draw.chance(35);
    let children = if draw.chance(45) {
        1 + draw.below(3)
    } else {
        0
    };
    let mut persons = vec![person(&mut draw, "DEM", last_name, true)];
    if couple {
        persons.push(person(&mut draw, "CJT", last_name, true));
    }
    for _ in 0..children {
        persons.push(person(&mut draw, "ENF", last_name, false));
    }
    let application_date = draw.date(2015, 9);
    let later = |draw: &mut Draw| application_date + Duration::days(30 + draw.below(900) as i64);
    let (state, refusal, right_suspensions, payment_suspensions, closure, earlier_closure) =
        match draw.below(100) {
            0..=54 => ("2", None, vec![], vec![], None, None),
            55..=66 => {
                let code = draw.pick(PAYMENT_SUSPENSIONS).to_owned();
                (
                    "4",
                    None,
                    vec![],
                    vec![(code, later(&mut draw))],
                    None,
                    None,
                )
            }
            67..=71 => (
                "3",
                None,
                vec![("DB".to_owned(), later(&mut draw))],
                vec![],
                None,
                None,
            ),
            72..=81 => {
                let code = draw.pick(CLOSURES).to_owned();
                (
                    "5",
                    None,
                    vec![],
                    vec![],
                    Some((code, later(&mut draw))),
                    None,
                )
            }
            82..=84 => (
                "6",
                None,
                vec![],
                vec![],
                None,
                Some(("ECH".to_owned(), later(&mut draw))),
            ),
            85..=92 => ("0", None, vec![], vec![], None, None),
            _ => (
                "1",
                Some(("DSD".to_owned(), later(&mut draw))),
                vec![],
                vec![],
                None,
                None,
            ),
        };
    let (city, insee_code, postal_code) = PLACES[draw.below(PLACES.len() as u64) as usize];
    let current = SyntheticAddress {
        rank: 1,
        moved_in_on: Some(later(&mut draw)),
        country: "FRA".to_owned(),
        street_number: (1 + draw.below(120)).to_string(),
        street_type: draw.pick(STREET_TYPES).to_owned(),
        street_name: draw.pick(STREETS).to_owned(),
        place: if draw.chance(15) {
            "BÂTIMENT B".to_owned()
        } else {
            String::new()
        },
        insee_code: insee_code.to_owned(),
        postal_code: postal_code.to_owned(),
        city: city.to_owned(),
        foreign_lines: Vec::new(),
    };
    let mut addresses = vec![current.clone()];
    if draw.chance(10) {
        addresses.push(SyntheticAddress {
            rank: 2,
            street_number: "3".to_owned(),
            ..current
        });
    }
    let organisation_number = format!("{:03}", 1 + draw.below(989));
    SyntheticHousehold {
        fund: if draw.chance(5) { "MSA" } else { "CAF" }.to_owned(),
        organisation_number,
        matricule: format!("{:07}00000000", 1_000_000 + draw.below(8_999_999)),
        partner_kind: "CG ".to_owned(),
        partner_code: "026".to_owned(),
        application_date,
        application_number: format!("{:011}", draw.below(99_999_999_999)),
        persons,
        family_status: if couple {
            draw.pick(&["MAR", "VIM", "PAC"])
        } else {
            draw.pick(&["CEL", "DIV", "SEF", "VEU"])
        }
        .to_owned(),
        family_since: application_date - Duration::days(400),
        addresses,
        state: state.to_owned(),
        refusal,
        right_suspensions,
        payment_suspensions,
        closure,
        earlier_closure,
        no_fixed_address: draw.chance(3),
        dependants: (children > 0).then_some(children as u16),
    }
}
