//! The errors file: written in the upload's dialect, read back identically, re-uploadable.

use std::io::Cursor;

use proptest::prelude::*;

use super::super::encoding::TextEncoding;
use super::super::kinds::{self, Beneficiaries, BeneficiaryTemplate, Professionals, RowError};
use super::super::sniff::Delimiter;
use super::super::table::{ReadOptions, Table};
use super::super::values::ErrorCode;
use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/imports/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn open(bytes: &[u8]) -> Table<Cursor<Vec<u8>>> {
    Table::open(Cursor::new(bytes.to_vec()), &ReadOptions::default()).unwrap()
}

/// Reads an upload as beneficiaries (2024) and writes its errors file.
fn errors_file_of(upload: &[u8]) -> (Vec<u8>, Vec<FailedRow>, CsvDialect) {
    let table = open(upload);
    let dialect = table.dialect();
    let header = table.header().cells.clone();
    let failed: Vec<FailedRow> = kinds::read(
        Beneficiaries {
            template: BeneficiaryTemplate::V2024,
        },
        table,
    )
    .unwrap()
    .filter_map(|row| row.unwrap().err())
    .collect();
    let mut out = Vec::new();
    write_errors(&mut out, dialect, &header, &failed).unwrap();
    (out, failed, dialect)
}

fn read_back(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let table = open(bytes);
    let header = table.header().cells.clone();
    let rows = table.map(|row| row.unwrap().cells).collect();
    (header, rows)
}

#[test]
fn utf8_template_errors_file_reads_back_with_its_errors() {
    let (bytes, failed, dialect) = errors_file_of(&fixture("import_beneficiaires.csv"));
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(open(&bytes).dialect(), dialect);
    let (header, rows) = read_back(&bytes);
    assert_eq!(header.len(), 28);
    assert_eq!(header[0], "Identifiant dans le SI*");
    assert_eq!(header[25], "Erreurs");
    assert_eq!(header[26], "Avertissements");
    assert_eq!(header[27], "Ligne d'origine");
    assert_eq!(rows[0][27], failed[0].line.to_string());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][..25], failed[0].cells[..]);
    assert!(rows[0][25].starts_with(
        "Prénom* : Le prénom « Marie (Jo) » contient des parenthèses, qui ne sont pas autorisées \
         dans les noms | Date de naissance* : La date de naissance « 31/02/1990 » n'existe pas | "
    ));
}

#[test]
fn windows_1252_comma_upload_gets_a_windows_1252_comma_errors_file() {
    let upload = b"Identifiant dans le SI*,Pr\xE9nom*,Nom*,Date de naissance*,Adresse\r\n\
                   w1,G\xE9rard,Lef\xE8vre,31/02/1982,\"3, rue de l\x92\xC9glise\"\r\n";
    let (bytes, _, dialect) = errors_file_of(upload);
    assert_eq!(
        dialect,
        CsvDialect {
            encoding: TextEncoding::Windows1252,
            delimiter: Delimiter::Comma
        }
    );
    assert!(bytes.starts_with(b"Identifiant dans le SI*,Pr\xE9nom*,"));
    // « and » are Windows-1252 bytes 0xAB and 0xBB.
    assert!(bytes.windows(3).any(|w| w == b"\xAB 3"));
    let (header, rows) = read_back(&bytes);
    assert_eq!(header[5], "Erreurs");
    assert_eq!(rows[0][4], "3, rue de l’Église");
    assert_eq!(
        rows[0][5],
        "Date de naissance* : La date de naissance « 31/02/1982 » n'existe pas"
    );
}

#[test]
fn utf16_tab_upload_gets_a_utf16_tab_errors_file() {
    let text = "Courriel*\tPrénom*\tNom*\r\npas-un-email\tÉlodie\tNguyễn\r\n";
    let mut upload = vec![0xFF, 0xFE];
    upload.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let table = open(&upload);
    let dialect = table.dialect();
    let header = table.header().cells.clone();
    let failed: Vec<FailedRow> = kinds::read(Professionals, table)
        .unwrap()
        .filter_map(|row| row.unwrap().err())
        .collect();
    let mut out = Vec::new();
    write_errors(&mut out, dialect, &header, &failed).unwrap();
    assert!(out.starts_with(b"\xFF\xFE"));
    let reopened = open(&out);
    assert_eq!(reopened.dialect(), dialect);
    let (header, rows) = read_back(&out);
    assert_eq!(
        header,
        [
            "Courriel*",
            "Prénom*",
            "Nom*",
            "Erreurs",
            "Avertissements",
            "Ligne d'origine"
        ]
    );
    assert_eq!(rows[0][2], "Nguyễn");
}

#[test]
fn spreadsheet_uploads_get_a_utf8_semicolon_file() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["Courriel*", "Prénom*", "Nom*"].iter().enumerate() {
        sheet.write_string(0, column as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "x@").unwrap();
    sheet.write_string(1, 1, "Jean").unwrap();
    sheet.write_string(1, 2, "Dupont").unwrap();
    let table = open(&workbook.save_to_buffer().unwrap());
    assert_eq!(table.dialect(), CsvDialect::default());
    let header = table.header().cells.clone();
    let failed: Vec<FailedRow> = kinds::read(Professionals, table)
        .unwrap()
        .filter_map(|row| row.unwrap().err())
        .collect();
    let mut out = Vec::new();
    write_errors(&mut out, CsvDialect::default(), &header, &failed).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\u{feff}Courriel*;Prénom*;Nom*;Erreurs;Avertissements;Ligne d'origine\r\n\
         x@;Jean;Dupont;Courriel* : Le courriel « x@ » n'est pas une adresse électronique valide;;2\r\n"
    );
}

#[test]
fn the_fixed_errors_file_can_be_uploaded_again() {
    let upload = "Courriel*;Prénom*;Nom*\r\nx@;Jean;Dupont\r\n";
    let table = open(upload.as_bytes());
    let header = table.header().cells.clone();
    let failed: Vec<FailedRow> = kinds::read(Professionals, table)
        .unwrap()
        .filter_map(|row| row.unwrap().err())
        .collect();
    let mut out = Vec::new();
    write_errors(&mut out, CsvDialect::default(), &header, &failed).unwrap();
    // The agent fixes the address in Excel and saves, leaving the « Erreurs » column.
    let fixed = String::from_utf8(out)
        .unwrap()
        .replace("x@;", "jean.dupont@cd93.fr;");
    let reader = kinds::read(Professionals, open(fixed.as_bytes())).unwrap();
    assert!(reader.headers().unknown().is_empty());
    let rows: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].as_ref().unwrap().value.email.as_str(),
        "jean.dupont@cd93.fr"
    );
}

#[test]
fn the_errors_column_comes_after_the_widest_row() {
    let failed = [FailedRow {
        line: 2,
        cells: vec!["a".into(), "b".into(), "c".into()],
        errors: vec![RowError {
            line: 2,
            column: "Colonne C".into(),
            raw: "c".into(),
            code: ErrorCode::CellWithoutHeader,
            message: "La colonne C n'a pas d'en-tête".into(),
        }],
    }];
    let mut out = Vec::new();
    write_errors(&mut out, CsvDialect::default(), &["Nom".into()], &failed).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\u{feff}Nom;;;Erreurs;Avertissements;Ligne d'origine\r\na;b;c;Colonne C : La colonne C n'a pas d'en-tête;;2\r\n"
    );
}

fn dialects() -> impl Strategy<Value = CsvDialect> {
    (
        prop_oneof![
            Just(TextEncoding::Utf8 { bom: true }),
            Just(TextEncoding::Windows1252),
            Just(TextEncoding::Utf16Le),
            Just(TextEncoding::Utf16Be),
        ],
        prop_oneof![
            Just(Delimiter::Semicolon),
            Just(Delimiter::Comma),
            Just(Delimiter::Tab)
        ],
    )
        .prop_map(|(encoding, delimiter)| CsvDialect {
            encoding,
            delimiter,
        })
}

/// Cells as agents write them, in characters Windows-1252 has.
const CELL: &str = "[a-zA-Z0-9éèÉàç€’«» ;,\t\"\n@.-]{0,12}";

proptest! {
    #[test]
    fn written_cells_read_back_identically(
        dialect in dialects(),
        header in proptest::collection::vec("[A-Za-zéÉ][A-Za-zé ]{0,10}[*]?", 1..6),
        rows in proptest::collection::vec(proptest::collection::vec(CELL, 1..8), 1..6),
    ) {
        let failed: Vec<FailedRow> = rows
            .iter()
            .enumerate()
            .map(|(i, cells)| FailedRow {
                line: i as u64 + 2,
                cells: cells.clone(),
                errors: vec![RowError {
                    line: i as u64 + 2,
                    column: header[0].clone(),
                    raw: cells[0].clone(),
                    code: ErrorCode::Required,
                    message: "La valeur « x; y » est obligatoire".into(),
                }],
            })
            .collect();
        let mut out = Vec::new();
        write_errors(&mut out, dialect, &header, &failed).unwrap();
        let table = open(&out);
        prop_assert_eq!(table.dialect().delimiter, dialect.delimiter);
        let width = rows.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
        let mut expected_header = header.clone();
        expected_header.resize(width, String::new());
        expected_header.push("Erreurs".into());
        expected_header.push("Avertissements".into());
        expected_header.push("Ligne d'origine".into());
        prop_assert_eq!(&table.header().cells, &expected_header);
        let read: Vec<Vec<String>> = table.map(|row| row.unwrap().cells).collect();
        prop_assert_eq!(read.len(), rows.len());
        for (index, (read, written)) in read.iter().zip(&rows).enumerate() {
            let mut expected = written.clone();
            expected.resize(width, String::new());
            expected.push(format!("{} : La valeur « x; y » est obligatoire", header[0]));
            expected.push(String::new());
            expected.push((index + 2).to_string());
            prop_assert_eq!(read, &expected);
        }
    }
}
