//! The `principal` extract, valid and malformed.

use cdb_connector::SourceSystem;
use cdb_connector::records::{DiagnosticItemKind, RecordBody, RegistrationStatus, Title};
use cdb_france_travail::extract::{ExtractError, RowHash, RowProblem, parse_principal};
use chrono::{NaiveDate, TimeZone, Utc};

use crate::fixture;

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

#[test]
fn a_valid_file_reads_every_row_with_its_raw_text_and_hash() {
    let bytes = fixture("principal.csv");
    let file = parse_principal(&bytes).unwrap();
    assert!(file.rejected.is_empty(), "{:?}", file.rejected);
    assert_eq!(file.rows.len(), 4);
    let text = String::from_utf8(bytes).unwrap();
    for (row, line) in file.rows.iter().zip(text.lines().skip(1)) {
        assert_eq!(row.raw, line);
        assert_eq!(row.hash, RowHash::of(line.as_bytes()));
    }
    assert_eq!(
        file.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );

    let lucie = &file.rows[0].row;
    assert_eq!(lucie.person_key, "e1881749-1334-47b9-8a34-74922528d4ea");
    assert_eq!(lucie.title, Some(Title::Mrs));
    assert_eq!(
        lucie.birth_date,
        NaiveDate::from_ymd_opt(1985, 4, 12).unwrap()
    );
    assert_eq!(
        lucie.address_lines,
        ["RESIDENCE LES LILAS", "12 RUE DU PETIT BOIS"]
    );
    assert_eq!(lucie.postal_code.as_ref().unwrap().as_str(), "08000");
    assert_eq!(lucie.city.as_deref(), Some("CHARLEVILLE MEZIERES"));
    assert_eq!(lucie.registered_on, date(2023, 6, 20));
    assert_eq!(
        lucie.work_axes,
        ["ELABORAT. PROJET PRO.", "TECHNIQ. RECH. EMPL."]
    );
    assert_eq!(lucie.projects.len(), 1);
    assert_eq!(lucie.projects[0].rome_code.as_deref(), Some("D1102"));
    let referent = lucie.referent.as_ref().unwrap();
    assert_eq!(
        referent.email.as_ref().unwrap().as_str(),
        "paul.durand@francetravail.fr"
    );
    assert_eq!(referent.title, Some(Title::Mr));
    let structure = referent.structure.as_ref().unwrap();
    assert_eq!(structure.code.as_deref(), Some("08012"));
    assert_eq!(
        structure.name.as_deref(),
        Some("AGENCE CHARLEVILLE MEZIERES")
    );
    assert_eq!(lucie.difficulties.financial, Some(true));
    assert_eq!(lucie.difficulties.health, Some(false));
    assert_eq!(lucie.rsa_beneficiary, Some(true));

    let karim = &file.rows[1].row;
    assert_eq!(karim.projects.len(), 2);
    assert!(karim.projects[0].priority && !karim.projects[1].priority);
    assert_eq!(karim.referent, None, "no referent columns filled");

    // A quoted cell may hold the separator; `_` reads as nothing, like NULL.
    let nadia = &file.rows[2].row;
    assert_eq!(nadia.address_lines[1], "APPARTEMENT 3; BATIMENT B");
    assert_eq!(nadia.last_interview, None);
    assert_eq!(
        nadia.birth_date,
        NaiveDate::from_ymd_opt(1992, 2, 29).unwrap()
    );
    // No follow-up structure nor SAFIR code: the main agency names the referent's structure.
    let structure = nadia.referent.as_ref().unwrap().structure.as_ref().unwrap();
    assert_eq!(
        (structure.code.as_deref(), structure.name.as_deref()),
        (None, Some("AGENCE RETHEL"))
    );

    let theo = &file.rows[3].row;
    assert_eq!(theo.first_name, "Théo");
    assert_eq!(theo.rsa_beneficiary, Some(false));
    assert_eq!(theo.difficulties, Default::default());
}

#[test]
fn rows_become_canonical_records_under_the_extract_key() {
    let file = parse_principal(&fixture("principal.csv")).unwrap();
    let as_of = Utc.with_ymd_and_hms(2024, 3, 7, 23, 0, 0).unwrap();
    let records = file.rows[0].row.records(as_of, Some("extract-2024-10"));
    let kinds: Vec<&str> = records.iter().map(|r| r.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "identity",
            "address",
            "job_seeker_registration",
            "diagnostic"
        ]
    );
    for record in &records {
        assert_eq!(record.source.system, SourceSystem::FranceTravail);
        assert_eq!(
            record.source.record_id,
            "e1881749-1334-47b9-8a34-74922528d4ea"
        );
        assert_eq!(record.source.as_of, as_of);
        assert_eq!(record.source.run_id.as_deref(), Some("extract-2024-10"));
        let names = record.subject.name_and_birth.as_ref().unwrap();
        assert_eq!(
            (names.first_name.as_str(), names.last_name.as_str()),
            ("Lucie", "MARTIN")
        );
        assert!(record.subject.nir.is_none() && record.subject.france_travail_id.is_none());
    }
    let RecordBody::JobSeekerRegistration(registration) = &records[2].body else {
        panic!()
    };
    assert_eq!(registration.status, RegistrationStatus::Registered);
    assert_eq!(registration.agency_code.as_deref(), Some("08012"));
    assert_eq!(registration.category.as_deref(), Some("1"));
    let RecordBody::Diagnostic(diagnostic) = &records[3].body else {
        panic!()
    };
    assert_eq!(diagnostic.updated_on, date(2024, 3, 2));
    let constraints: Vec<(&str, &str)> = diagnostic
        .items
        .iter()
        .inspect(|i| assert_eq!(i.kind, DiagnosticItemKind::Constraint))
        .map(|i| (i.code.as_str(), i.value.as_str()))
        .collect();
    assert_eq!(
        constraints,
        [
            ("23", "OUI"),
            ("24", "NON"),
            ("25", "NON"),
            ("27", "OUI"),
            ("28", "OUI"),
            ("29", "NON"),
            ("dif_inser_com", "NON"),
        ]
    );
    // No difficulty said at all: no diagnostic record.
    let theo = file.rows[3].row.records(as_of, None);
    assert!(theo.iter().all(|r| r.body.kind() != "diagnostic"));
}

#[test]
fn malformed_rows_are_rejected_one_by_one_and_the_rest_is_read() {
    let file = parse_principal(&fixture("principal_malformed.csv")).unwrap();
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].line, 2);
    let problems: Vec<(u64, RowProblem)> = file
        .rejected
        .iter()
        .map(|r| (r.line, r.problem.clone()))
        .collect();
    let invalid = |column: &str, expected: &'static str| RowProblem::Invalid {
        column: column.to_owned(),
        expected,
    };
    assert_eq!(
        problems,
        [
            (
                3,
                RowProblem::FieldCount {
                    expected: 44,
                    found: 20
                }
            ),
            (4, invalid("date_naissance", "a date")),
            (5, invalid("dif_logement", "O or N")),
            // line 6 is blank and skipped
            (
                7,
                RowProblem::Missing {
                    column: "identifiant_unique_de".to_owned()
                }
            ),
            (8, invalid("referent_mail", "an email address")),
            (
                9,
                RowProblem::Encoding {
                    column: "row".to_owned()
                }
            ),
        ]
    );
    // Problems name columns, never values (they are personal data).
    for rejected in &file.rejected {
        let text = rejected.problem.to_string();
        assert!(!text.contains("1979") && !text.contains("durand"), "{text}");
    }
}

#[test]
fn files_that_are_not_principal_extracts_are_refused_whole() {
    assert_eq!(parse_principal(b"").unwrap_err(), ExtractError::Empty);
    assert_eq!(
        parse_principal(b"identifiant_unique_de,nom,prenom,date_naissance\nx,y,z,2000-01-01\n")
            .unwrap_err(),
        ExtractError::NotSemicolonSeparated
    );
    assert_eq!(
        parse_principal(b"identifiant_unique_de;nom;prenom\nx;y;z\n").unwrap_err(),
        ExtractError::MissingColumns(vec!["date_naissance".to_owned()])
    );
    assert_eq!(
        parse_principal(b"identifiant_unique_de;n\xe9m;prenom\n").unwrap_err(),
        ExtractError::HeaderEncoding
    );
    // A BOM and header case do not matter; a header-only file has no rows.
    let empty = parse_principal(b"\xEF\xBB\xBFIDENTIFIANT_UNIQUE_DE;Nom;Prenom;Date_Naissance\r\n")
        .unwrap();
    assert!(empty.rows.is_empty() && empty.rejected.is_empty());
}
