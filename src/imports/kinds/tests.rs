//! Each kind read from the original templates' header lines and sample rows, quirks included.

use std::io::Cursor;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::super::table::{ReadOptions, Table};
use super::super::values::{EducationLevel, ErrorCode, GeographicalArea, RsaRight, WorkSituation};
use super::*;

/// A fixture's bytes (kept under `fixtures/imports/` next to the manifest).
fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/imports/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn table(bytes: Vec<u8>) -> Table<Cursor<Vec<u8>>> {
    Table::open(Cursor::new(bytes), &ReadOptions::default()).unwrap()
}

/// Every parsed row of a file.
fn parse<K: TemplateKind>(kind: K, bytes: Vec<u8>) -> Vec<ParsedRow<K::Row>> {
    read(kind, table(bytes))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn valid<T: std::fmt::Debug>(row: &ParsedRow<T>) -> &T {
    match row {
        Ok(numbered) => &numbered.value,
        Err(failed) => panic!("line {} failed: {:#?}", failed.line, failed.errors),
    }
}

fn failed<T: std::fmt::Debug>(row: &ParsedRow<T>) -> &FailedRow {
    match row {
        Ok(numbered) => panic!("line {} should fail: {:#?}", numbered.line, numbered.value),
        Err(failed) => failed,
    }
}

fn codes(failed: &FailedRow) -> Vec<(&str, ErrorCode)> {
    failed
        .errors
        .iter()
        .map(|error| (error.column.as_str(), error.code))
        .collect()
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn beneficiaries_2024_template_with_keys_labels_and_errors() {
    let bytes = fixture("import_beneficiaires.csv");
    let header = table(bytes.clone()).header().cells.clone();
    let kind = Beneficiaries::detect(&header);
    assert_eq!(kind.template, BeneficiaryTemplate::V2024);
    let rows = parse(kind, bytes);
    assert_eq!(rows.len(), 3);

    let sophie = valid(&rows[0]);
    assert_eq!(sophie.external_id.as_deref(), Some("1234"));
    assert_eq!(sophie.date_of_birth, ymd(1982, 8, 15));
    assert_eq!(
        sophie.nir.as_ref().map(|n| n.as_str()),
        Some("2000000000000")
    );
    assert_eq!(sophie.mobile_numbers[0].as_str(), "+33601234567");
    assert_eq!(
        sophie.caf_number.as_ref().map(|c| c.as_str()),
        Some("2055990")
    );
    assert_eq!(sophie.work_situation, Some(WorkSituation::SeekingJob));
    assert_eq!(sophie.right_rsa, Some(RsaRight::OpenSuspended));
    assert_eq!(
        (
            sophie.right_are,
            sophie.right_ass,
            sophie.right_bonus,
            sophie.right_rqth
        ),
        (Some(true), Some(false), Some(false), Some(true))
    );
    assert_eq!(
        sophie.geographical_area,
        Some(GeographicalArea::Between20And30)
    );
    assert_eq!(sophie.wanted_jobs[0].code, "N1104");
    assert_eq!(sophie.education_level, Some(EducationLevel::Nv5));
    assert_eq!(sophie.structures, ["CCAS de Livry"]);
    assert_eq!(
        sophie.advisors[0].as_str(),
        "pierre.chevalier@livry-gargan.fr"
    );

    let gerard = valid(&rows[1]);
    assert_eq!(gerard.lastname, "L’Hôte");
    assert_eq!(
        gerard.place_of_birth.as_deref(),
        Some("Saint-Denis (Réunion)")
    );
    assert_eq!(
        gerard.address1.as_deref(),
        Some("12, chemin des Mangues; lieu-dit \"Le Bois\"")
    );
    let phones: Vec<&str> = gerard.mobile_numbers.iter().map(|p| p.as_str()).collect();
    assert_eq!(phones, ["+262692123456", "+33123456789"]);
    assert_eq!(gerard.email, None);
    assert_eq!(gerard.right_rsa, Some(RsaRight::OpenPayable));
    assert_eq!(
        (
            gerard.right_are,
            gerard.right_ass,
            gerard.right_bonus,
            gerard.right_rqth
        ),
        (Some(true), Some(false), Some(true), Some(false))
    );
    let jobs: Vec<&str> = gerard.wanted_jobs.iter().map(|j| j.code.as_str()).collect();
    assert_eq!(jobs, ["B1805", "A1101"]);
    assert_eq!(gerard.education_level, Some(EducationLevel::Nv4));
    assert!(gerard.advisors.is_empty() && gerard.structures.is_empty());

    let marie = failed(&rows[2]);
    assert_eq!(marie.line, 4);
    assert_eq!(marie.cells[1], "Marie (Jo)");
    assert_eq!(
        codes(marie),
        vec![
            ("Prénom*", ErrorCode::NameWithParentheses),
            ("Date de naissance*", ErrorCode::NonexistentDate),
            ("NIR", ErrorCode::InvalidNirKey),
            ("Téléphone", ErrorCode::InvalidPhone),
            ("Email", ErrorCode::InvalidEmail),
            ("Code postal", ErrorCode::InvalidPostalCode),
            ("Situation", ErrorCode::UnknownValue),
            ("Identifiant Pôle emploi", ErrorCode::ScientificNotation),
            ("Droits RSA", ErrorCode::UnknownValue),
            ("Droits ARE", ErrorCode::InvalidBoolean),
            ("Zone de mobilité", ErrorCode::UnknownValue),
            ("Emploi recherché (code ROME)", ErrorCode::InvalidRome),
            ("Niveau de formation", ErrorCode::UnknownValue),
            ("Accompagnateurs", ErrorCode::InvalidEmail),
        ]
    );
    let date = &marie.errors[1];
    assert_eq!(date.line, 4);
    assert_eq!(date.raw, "31/02/1990");
    assert_eq!(
        date.message,
        "La date de naissance « 31/02/1990 » n'existe pas"
    );
}

#[test]
fn beneficiaries_2022_template_with_its_typo_and_legacy_values() {
    let bytes = fixture("import_beneficiaires_2022.csv");
    let header = table(bytes.clone()).header().cells.clone();
    assert_eq!(header[12], "Numéro allocaire CAF/MSA");
    let kind = Beneficiaries::detect(&header);
    assert_eq!(kind.template, BeneficiaryTemplate::V2022);
    let reader = read(kind, table(bytes.clone())).unwrap();
    assert!(reader.headers().unknown().is_empty());
    let rows = parse(kind, bytes);

    // The official sample row: its "Situation" placeholder and its short second phone number
    // are left out with a warning (optional cells), its keys and legacy values are understood.
    let sample = match &rows[0] {
        Ok(numbered) => numbered,
        Err(failed) => panic!("the sample row is kept: {:#?}", failed.errors),
    };
    let left_out: Vec<(&str, &str)> = sample
        .warnings
        .iter()
        .map(|warning| (warning.column.as_str(), warning.code.as_str()))
        .collect();
    assert_eq!(
        left_out,
        vec![
            ("Téléphone", "invalid_phone"),
            ("Situation", "unknown_value")
        ]
    );
    let sophie = &sample.value;
    assert_eq!(sophie.mobile_numbers.len(), 1, "the valid number is kept");
    assert_eq!(sophie.work_situation, None);
    assert_eq!(
        sophie.caf_number.as_ref().map(|c| c.as_str()),
        Some("2055990")
    );
    assert_eq!(sophie.right_rsa, Some(RsaRight::OpenSuspended));
    assert_eq!(
        sophie.geographical_area,
        Some(GeographicalArea::Between20And30)
    );
    assert_eq!(sophie.education_level, Some(EducationLevel::Nv2));
    assert_eq!(sophie.right_rqth, Some(false));
    assert_eq!(sophie.structures, ["CCAS de Livry", "Mission locale"]);
    assert_eq!(sophie.advisors.len(), 2);
    assert_eq!(
        sophie.email.as_ref().map(|e| e.as_str()),
        Some("sophie.tifour@example.fr")
    );

    // The SI identifier may be empty in 2022.
    let charlie = valid(&rows[1]);
    assert_eq!(charlie.external_id, None);
    assert_eq!(charlie.date_of_birth, ymd(1997, 4, 22));
    assert_eq!(charlie.work_situation, Some(WorkSituation::SeekingTraining));
    assert_eq!(charlie.right_rsa, Some(RsaRight::OpenPaymentSuspended));
    assert_eq!(charlie.right_rqth, Some(true));
}

#[test]
fn beneficiaries_partial_file_and_e2e_duplicates() {
    let bytes = fixture("import_beneficiaires_partial.csv");
    let kind = Beneficiaries::detect(&table(bytes.clone()).header().cells);
    assert_eq!(kind.template, BeneficiaryTemplate::V2024);
    let rows = parse(kind, bytes);
    assert_eq!(rows.len(), 3);
    // Duplicates differing by case all parse: deduplication is the database's job.
    assert_eq!(valid(&rows[1]).firstname, "Charlie");
    assert_eq!(valid(&rows[2]).lastname, "FONDUE");
    assert_eq!(valid(&rows[2]).date_of_birth, ymd(1997, 4, 22));
}

#[test]
fn beneficiaries_with_all_date_formats() {
    let rows = parse(
        Beneficiaries {
            template: BeneficiaryTemplate::V2024,
        },
        fixture("import_beneficiaires_with_all_date_formats.csv"),
    );
    for row in &rows {
        assert_eq!(valid(row).date_of_birth, ymd(1998, 5, 25));
    }
    assert_eq!(rows.len(), 4);
}

#[test]
fn beneficiaries_in_windows_1252_with_commas() {
    let rows = parse(
        Beneficiaries {
            template: BeneficiaryTemplate::V2024,
        },
        fixture("import_beneficiaires_windows1252_comma.csv"),
    );
    let gerard = valid(&rows[0]);
    assert_eq!(gerard.lastname, "Lefèvre");
    assert_eq!(gerard.address1.as_deref(), Some("3, rue de l’Église"));
    assert_eq!(gerard.city.as_deref(), Some("Évry"));
}

#[test]
fn missing_required_columns_are_reported_before_any_row() {
    let bytes = "Prénom;Nom;Commentaire\r\nMarc;Saintpa;x\r\n"
        .as_bytes()
        .to_vec();
    let error = read(
        Beneficiaries {
            template: BeneficiaryTemplate::V2024,
        },
        table(bytes),
    )
    .err()
    .unwrap();
    assert_eq!(
        error.missing,
        ["Identifiant dans le SI*", "Date de naissance*"]
    );
    assert_eq!(
        error.to_string(),
        "Colonnes obligatoires absentes de la première ligne du fichier : « Identifiant dans \
         le SI* », « Date de naissance* ». Colonnes non reconnues : « Commentaire »."
    );
}

#[test]
fn unknown_columns_are_ignored_and_reported_and_shifted_values_caught() {
    let bytes = "Commentaire;Courriel*;Prénom*;Nom*\r\n\
                 à rappeler;a@b.fr;Jean;Dupont\r\n\
                 ;c@d.fr;Paul;Martin;3 rue X\r\n"
        .as_bytes()
        .to_vec();
    let reader = read(Professionals, table(bytes.clone())).unwrap();
    assert_eq!(reader.headers().unknown()[0].header, "Commentaire");
    let rows = parse(Professionals, bytes);
    assert_eq!(valid(&rows[0]).lastname, "Dupont");
    let shifted = failed(&rows[1]);
    assert_eq!(
        codes(shifted),
        vec![("Colonne E", ErrorCode::CellWithoutHeader)]
    );
    assert_eq!(
        shifted.errors[0].message,
        "La colonne E n'a pas d'en-tête mais contient « 3 rue X » : une valeur a peut-être été \
         décalée par un séparateur en trop"
    );
}

#[test]
fn required_values_and_spreadsheet_errors() {
    let bytes = "Courriel*;Prénom*;Nom*;Téléphone\r\n;#N/A;  ;#REF!\r\n"
        .as_bytes()
        .to_vec();
    let rows = parse(Professionals, bytes);
    let row = failed(&rows[0]);
    assert_eq!(
        codes(row),
        vec![
            ("Courriel*", ErrorCode::Required),
            ("Prénom*", ErrorCode::SpreadsheetError),
            ("Nom*", ErrorCode::Required),
            ("Téléphone", ErrorCode::SpreadsheetError),
        ]
    );
    assert_eq!(row.errors[0].message, "Le courriel est obligatoire");
}

#[test]
fn structures_2024_2022_and_missing_key() {
    let rows = parse(Structures, fixture("import_structures.csv"));
    let ccas = valid(&rows[0]);
    assert_eq!(ccas.postal_code.as_str(), "93190");
    assert_eq!(
        ccas.website.as_ref().map(|w| w.as_str()),
        Some("https://www.livry-gargan.fr")
    );
    assert_eq!(
        ccas.siret.as_ref().map(|s| s.as_str()),
        Some("13002526500013")
    );
    assert_eq!(ccas.admin.email.as_str(), "admin@livry-gargan.fr");
    assert_eq!(ccas.admin.lastname.as_deref(), Some("Martin"));
    assert_eq!(ccas.admin.phones.len(), 2);
    // The template's Excel-mangled SIRET sample, and no administrator.
    let mission = failed(&rows[1]);
    assert_eq!(
        codes(mission),
        vec![
            ("Siret", ErrorCode::ScientificNotation),
            ("Courriel responsable", ErrorCode::Required)
        ]
    );

    let rows = parse(Structures, fixture("import_structures_2022.csv"));
    assert_eq!(valid(&rows[0]).city, "Livry-Gargan");
    let rows = parse(Structures, fixture("import_structures_missing_key.csv"));
    assert_eq!(valid(&rows[0]).siret, None);
}

#[test]
fn professionals_template_and_lowercase_e2e_headers() {
    let rows = parse(Professionals, fixture("import_professionnels.csv"));
    let pierre = valid(&rows[0]);
    assert_eq!(
        pierre.mobile_number.as_ref().map(|p| p.as_str()),
        Some("+33601020304")
    );
    assert_eq!(pierre.position.as_deref(), Some("Conseiller"));
    assert_eq!(valid(&rows[1]).mobile_number, None);

    let rows = parse(Professionals, fixture("import_professionnels_e2e.csv"));
    assert_eq!(valid(&rows[0]).email.as_str(), "jean.dupont@cd93.fr");
    let wrong = failed(&rows[1]);
    assert_eq!(
        codes(wrong),
        vec![
            ("email", ErrorCode::InvalidEmail),
            ("prénom", ErrorCode::InvalidNameCharacters),
            ("nom", ErrorCode::NameWithParentheses),
            ("téléphone", ErrorCode::InvalidPhone),
        ]
    );
}

#[test]
fn reorientations() {
    let rows = parse(Reorientations, fixture("import_reorientation.csv"));
    let sophie = valid(&rows[0]);
    assert_eq!(sophie.date_of_birth, ymd(1982, 8, 15));
    assert_eq!(
        sophie.advisors_to_add[0].as_str(),
        "pierre.chevalier@livry-gargan.fr"
    );
    assert_eq!(sophie.advisors_to_remove[0].as_str(), "sanka@groupe-ns.fr");
    assert_eq!(
        valid(&rows[1]).structures,
        ["CCAS de Livry", "Mission locale"]
    );
    // The UI's « à enlever » header is the same column.
    let ui = "Prénom*;Nom*;Date de naissance*;Accompagnateurs à enlever*\nA;B;01/01/1990;x@y.fr\n";
    let rows = parse(Reorientations, ui.as_bytes().to_vec());
    assert_eq!(valid(&rows[0]).advisors_to_remove.len(), 1);
}

#[test]
fn rattachement_round_trip_file_with_spaces_after_separators() {
    let rows = parse(Rattachements, fixture("beneficiaires_en_attente.csv"));
    let marc = valid(&rows[0]);
    assert_eq!(
        marc.notebook_id.as_str(),
        "b7e43c7c-7c3e-464b-80de-f4926d4bb1e0"
    );
    assert_eq!(marc.lastname.as_deref(), Some("Saintpa"));
    assert_eq!(marc.firstname.as_deref(), Some("Marc"));
    assert_eq!(marc.date_of_birth, Some(ymd(1982, 2, 1)));
    assert_eq!(
        marc.professional_emails[0].as_str(),
        "pierre.chevalier@livry-gargan.fr"
    );
    // The last column left empty, as exported.
    let pending = failed(&rows[1]);
    assert_eq!(
        codes(pending),
        vec![("emails des professionnels", ErrorCode::Required)]
    );

    let rows = parse(Rattachements, fixture("import_rattachement_ui.csv"));
    let marc = valid(&rows[0]);
    assert_eq!(marc.firstname.as_deref(), Some("Marc"));
    assert_eq!(marc.lastname.as_deref(), Some("Saintpa"));
}

#[test]
fn orientation_managers_csv_two_valid_of_four() {
    let rows = parse(
        OrientationManagers,
        fixture("import_charges_orientation.csv"),
    );
    assert_eq!(rows.iter().filter(|row| row.is_ok()).count(), 2);
    let olivia = valid(&rows[0]);
    assert_eq!(olivia.firstname.as_deref(), Some("Olivia"));
    assert_eq!(olivia.lastname.as_deref(), Some("Martin"));
    assert_eq!(olivia.phone_numbers.len(), 2);
    assert_eq!(
        codes(failed(&rows[2])),
        vec![("Courriel*", ErrorCode::Required)]
    );
    assert_eq!(
        codes(failed(&rows[3])),
        vec![("Courriel*", ErrorCode::InvalidEmail)]
    );
}

#[test]
fn orientation_managers_from_xlsx() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["Courriel*", "Prénom", "Nom", "Téléphones"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "om@cd93.fr").unwrap();
    sheet.write_string(1, 1, "Élodie").unwrap();
    sheet.write_string(1, 2, "Nguyễn").unwrap();
    // A phone number typed in a "Standard" cell: Excel dropped the leading zero.
    sheet.write_number(1, 3, 601_020_304).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let rows = parse(OrientationManagers, bytes);
    let elodie = valid(&rows[0]);
    assert_eq!(elodie.lastname.as_deref(), Some("Nguyễn"));
    assert_eq!(elodie.phone_numbers[0].as_str(), "+33601020304");
}

#[test]
fn beneficiaries_from_ods() {
    use super::super::table::tests::{ods_bytes, ods_row};
    let rows = format!(
        "{}{}",
        ods_row(&[
            "Identifiant dans le SI*",
            "Prénom*",
            "Nom*",
            "Date de naissance*",
            "Code postal"
        ]),
        concat!(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>o1</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string"><text:p>Marc</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string"><text:p>Saintpa</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="date" office:date-value="1982-02-01"><text:p>01/02/82</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="float" office:value="1000"><text:p>1000</text:p></table:table-cell></table:table-row>"#
        )
    );
    let parsed = parse(
        Beneficiaries {
            template: BeneficiaryTemplate::V2024,
        },
        ods_bytes(&rows),
    );
    let marc = valid(&parsed[0]);
    assert_eq!(marc.date_of_birth, ymd(1982, 2, 1));
    assert_eq!(marc.postal_code.as_ref().map(|p| p.as_str()), Some("01000"));
}

proptest! {
    #[test]
    fn any_cell_text_never_panics(cells in proptest::collection::vec(".{0,40}", 0..26)) {
        let header = Row::new(1, COLUMN_NAMES.iter().map(|s| (*s).to_owned()).collect()).unwrap();
        let row = Row::new(2, cells);
        let beneficiaries = KindRows::new(
            Beneficiaries { template: BeneficiaryTemplate::V2024 },
            &header,
            std::iter::empty(),
        )
        .unwrap();
        let structures = KindRows::new(Structures, &header, std::iter::empty());
        if let Some(row) = row {
            let _ = beneficiaries.parse_row(row.clone());
            if let Ok(structures) = structures {
                let _ = structures.parse_row(row);
            }
        }
    }
}

/// The 2024 beneficiaries header, cell by cell.
const COLUMN_NAMES: [&str; 25] = [
    "Identifiant dans le SI*",
    "Prénom*",
    "Nom*",
    "Date de naissance*",
    "NIR",
    "Lieu de naissance",
    "Téléphone",
    "Email",
    "Adresse",
    "Adresse (complément)",
    "Code postal",
    "Ville",
    "Situation",
    "Numéro allocataire CAF/MSA",
    "Identifiant Pôle emploi",
    "Droits RSA",
    "Droits ARE",
    "Droits ASS",
    "Prime d'activité",
    "RQTH",
    "Zone de mobilité",
    "Emploi recherché (code ROME)",
    "Niveau de formation",
    "Structure",
    "Accompagnateurs",
];

#[test]
fn orientation_managers_from_xls() {
    let rows = parse(
        OrientationManagers,
        fixture("import_charges_orientation.xls"),
    );
    assert_eq!(valid(&rows[0]).phone_numbers[0].as_str(), "+33601020304");
    let oscar = failed(&rows[1]);
    assert_eq!(oscar.line, 4);
    assert_eq!(
        codes(oscar),
        vec![
            ("Courriel*", ErrorCode::InvalidEmail),
            ("Téléphones", ErrorCode::InvalidPhone)
        ]
    );
}
