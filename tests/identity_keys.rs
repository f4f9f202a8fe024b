//! One canonical value per identity key, whatever the path: the same person written as a line
//! of the 2024 template, as a line read by the départements' `cdb` profile, as a partner's API
//! call and as a CAF/MSA flux, in the many ways people and exports write each key, ends up
//! with the same NIR, CAF/MSA matricule, France Travail id, phone, e-mail and birth date in the
//! hub's canonical record.

use cdb_caf_msa::FluxReader;
use cdb_caf_msa::generate::{SyntheticFlux, synthetic_households, write_flux};
use cdb_connector::identity::CafOrganisation;
use cdb_departement::{Profile, RowContext};
use cdb_hub::api::sync::{PersonInput, person_fields};
use cdb_hub::imports::kinds::{Beneficiaries, KindRows};
use cdb_hub::imports::records::beneficiary_record;
use cdb_hub::imports::table::{Row, TableError};
use cdb_hub::inbound::canonical::person_records;
use cdb_hub::inbound::record::PersonFields;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;

/// The keys every path must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Keys {
    nir: Option<String>,
    caf_number: Option<String>,
    france_travail_id: Option<String>,
    mobile_number: Option<String>,
    email: Option<String>,
    date_of_birth: Option<NaiveDate>,
}

impl Keys {
    fn of(fields: &PersonFields) -> Self {
        Self {
            nir: fields.nir.clone().map(String::from),
            caf_number: fields.caf_number.clone().map(String::from),
            france_travail_id: fields.france_travail_id.clone().map(String::from),
            mobile_number: fields.mobile_number.clone(),
            email: fields.email.clone().map(String::from),
            date_of_birth: fields.date_of_birth,
        }
    }
}

/// One person, each key written the way one source or another writes it.
#[derive(Debug, Clone)]
struct Written {
    nir: String,
    caf: String,
    france_travail: String,
    phone: String,
    email: String,
    birth: NaiveDate,
    /// The birth date as a file writes it (`dd/mm/yyyy`, `yyyy-mm-dd`, `yyyy/mm/dd`, serial…).
    birth_in_file: String,
}

fn nir() -> impl Strategy<Value = String> {
    (
        1u64..=2,
        40u64..=99,
        1u64..=12,
        1u64..=95,
        1u64..=999,
        1u64..=999,
    )
        .prop_map(|(sex, year, month, department, commune, order)| {
            let body = format!("{sex}{year:02}{month:02}{department:02}{commune:03}{order:03}");
            let number: u64 = body.parse().unwrap_or_default();
            format!("{body}{:02}", 97 - number % 97)
        })
}

fn spaced(text: String, spaces: bool) -> String {
    if !spaces {
        return text;
    }
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if i > 0 && i % 3 == 0 {
                format!(" {c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn written() -> impl Strategy<Value = Written> {
    (
        (nir(), any::<bool>()),
        ("[0-9]{6}[1-9]", 0usize..3),
        ("[0-9A-Z]{11}", any::<bool>(), any::<bool>()),
        ("[67][0-9]{8}", 0usize..5),
        (
            "[a-z]{1,8}(\\.[a-z]{1,8})?",
            "[a-z]{2,10}",
            prop::sample::select(vec!["fr", "org", "gouv.fr"]),
            any::<bool>(),
        ),
        (0i64..36_500, 0usize..5),
    )
        .prop_map(|(nir, caf, ft, phone, email, birth)| {
            let (nir, spaces) = nir;
            let (matricule, caf_form) = caf;
            let caf = match caf_form {
                // The flux's 15-digit form, the bare number, the number without its zeros.
                0 => format!("{matricule}00000000"),
                1 => matricule.clone(),
                _ => match matricule.trim_start_matches('0') {
                    "" => matricule.clone(),
                    short => short.to_owned(),
                },
            };
            let (id, lower, id_spaces) = ft;
            let id = if lower { id.to_lowercase() } else { id };
            let (national, phone_form) = phone;
            let phone = match phone_form {
                0 => format!("0{national}"),
                1 => format!("+33 {national}"),
                2 => format!("0033{national}"),
                3 => format!("+33 (0){national}"),
                _ => national.clone(),
            };
            let (local, domain, tld, upper) = email;
            let email = format!("{local}@{domain}.{tld}");
            let email = if upper { email.to_uppercase() } else { email };
            let (days, birth_form) = birth;
            // From 1928: an Excel serial has five digits from 1927-05-18 on (a shorter number is refused).
            let birth = NaiveDate::from_ymd_opt(1928, 1, 1).unwrap() + Duration::days(days);
            let birth_in_file = match birth_form {
                0 => birth.format("%d/%m/%Y").to_string(),
                1 => birth.format("%Y-%m-%d").to_string(),
                2 => birth.format("%Y/%m/%d").to_string(),
                3 => birth.format("%d-%m-%Y 00:00:00").to_string(),
                _ => (birth - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap())
                    .num_days()
                    .to_string(),
            };
            Written {
                nir: spaced(nir, spaces),
                caf,
                france_travail: spaced(id, id_spaces),
                phone,
                email,
                birth,
                birth_in_file,
            }
        })
}

const HEADER: [&str; 9] = [
    "Identifiant dans le SI",
    "Prénom",
    "Nom",
    "Date de naissance",
    "NIR",
    "Numéro allocataire CAF/MSA",
    "Identifiant France Travail",
    "Téléphone",
    "Email",
];

fn line(person: &Written) -> Vec<String> {
    [
        "SI-1",
        "Ana",
        "Foyer",
        person.birth_in_file.as_str(),
        person.nir.as_str(),
        person.caf.as_str(),
        person.france_travail.as_str(),
        person.phone.as_str(),
        person.email.as_str(),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn header() -> Vec<String> {
    HEADER.map(str::to_owned).to_vec()
}

fn template_path(person: &Written) -> Keys {
    let kind = Beneficiaries::detect(&header());
    let rows = KindRows::new(
        kind,
        &Row::new(1, header()).expect("a header"),
        std::iter::empty::<Result<Row, TableError>>(),
    )
    .expect("the template's header");
    let row = rows
        .parse_row(Row::new(2, line(person)).expect("a line"))
        .unwrap_or_else(|failed| panic!("{:?}", failed.errors))
        .value;
    let record = beneficiary_record(
        &row,
        "Identifiant France Travail",
        Uuid::nil(),
        "departement:import",
        Utc::now(),
    )
    .unwrap_or_else(|errors| panic!("{errors:?}"));
    Keys::of(&record.fields)
}

fn profile_path(person: &Written) -> Keys {
    let bound = Profile::named("cdb")
        .expect("the cdb profile")
        .bind(&header())
        .expect("the template's header");
    let context = RowContext {
        caf_organisation: Some(CafOrganisation::parse("CAF261").expect("an organisation")),
        ..RowContext::new(Utc.with_ymd_and_hms(2024, 3, 6, 9, 0, 0).unwrap())
    };
    let records = bound
        .read_row(2, &line(person), &context)
        .unwrap_or_else(|errors| panic!("{errors:?}"));
    let people = person_records(Uuid::nil(), &records);
    assert_eq!(people.len(), 1, "{people:?}");
    Keys::of(&people[0].fields)
}

fn api_path(person: &Written) -> Keys {
    let input = PersonInput {
        firstname: Some("Ana".into()),
        lastname: Some("Foyer".into()),
        date_of_birth: Some(person.birth.format("%Y-%m-%d").to_string()),
        nir: Some(person.nir.clone()),
        caf_number: Some(person.caf.clone()),
        france_travail_id: Some(person.france_travail.clone()),
        mobile_number: Some(person.phone.clone()),
        email: Some(person.email.clone()),
        ..PersonInput::default()
    };
    Keys::of(&person_fields(&input).unwrap_or_else(|errors| panic!("{errors:?}")))
}

/// The NIR, matricule and birth date of the applicant of a flux written for this person.
fn flux_path(person: &Written, seed: u64) -> (Option<String>, Option<String>, Option<NaiveDate>) {
    let mut household = synthetic_households(1, seed).next().expect("a household");
    household.matricule = person.caf.clone();
    household.persons.truncate(1);
    household.persons[0].role = "DEM".into();
    household.persons[0].nir = Some(person.nir.replace(' ', ""));
    household.persons[0].birth_date = person.birth;
    let mut bytes = Vec::new();
    let created = NaiveDate::from_ymd_opt(2024, 3, 5).expect("a day");
    write_flux(&mut bytes, &SyntheticFlux::monthly(created), [household]).expect("a flux");
    let mut reader = FluxReader::new(bytes.as_slice()).expect("the flux opens");
    let household = reader
        .next()
        .expect("one household")
        .expect("a readable household");
    let records = household.records(reader.header(), None);
    let people = person_records(Uuid::nil(), &records);
    let applicant = people.first().expect("the applicant");
    (
        applicant.fields.nir.clone().map(String::from),
        applicant.fields.caf_number.clone().map(String::from),
        applicant.fields.date_of_birth,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_path_gives_each_key_one_canonical_value(person in written(), seed in 1u64..1_000) {
        let template = template_path(&person);
        let profile = profile_path(&person);
        let api = api_path(&person);
        prop_assert_eq!(&template, &api, "template and API");
        prop_assert_eq!(&profile, &api, "profile and API");
        prop_assert_eq!(
            flux_path(&person, seed),
            (api.nir.clone(), api.caf_number.clone(), api.date_of_birth),
            "CAF/MSA flux and API"
        );
        // The canonical forms themselves.
        prop_assert!(api.mobile_number.as_deref().is_some_and(|p| p.starts_with('+')));
        prop_assert_eq!(api.caf_number.as_deref().map(str::len), Some(7));
        prop_assert_eq!(api.email.clone(), Some(person.email.to_lowercase()));
        prop_assert_eq!(api.date_of_birth, Some(person.birth));
    }
}

#[test]
fn the_matricule_of_the_issue_is_one_number_on_every_path() {
    let person = Written {
        nir: "180022636213480".into(),
        caf: "012345600000000".into(),
        france_travail: "1234567890a".into(),
        phone: "06 01 23 45 67".into(),
        email: "Ana.Foyer@Example.org".into(),
        birth: NaiveDate::from_ymd_opt(1980, 2, 1).unwrap(),
        birth_in_file: "01/02/1980".into(),
    };
    let expected = Keys {
        // Stored as its 13 identifying characters (the key is checked, then dropped).
        nir: Some("1800226362134".into()),
        caf_number: Some("0123456".into()),
        france_travail_id: Some("1234567890A".into()),
        mobile_number: Some("+33601234567".into()),
        email: Some("ana.foyer@example.org".into()),
        date_of_birth: NaiveDate::from_ymd_opt(1980, 2, 1),
    };
    assert_eq!(template_path(&person), expected);
    assert_eq!(profile_path(&person), expected);
    assert_eq!(api_path(&person), expected);
    assert_eq!(
        flux_path(&person, 7),
        (
            expected.nir.clone(),
            expected.caf_number.clone(),
            expected.date_of_birth
        )
    );
}
