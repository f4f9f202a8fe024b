//! Reading whole uploads: every encoding, separator and workbook format.

use std::io::{Cursor, Write};

use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::*;

fn open(bytes: &[u8]) -> Table<Cursor<Vec<u8>>> {
    Table::open(Cursor::new(bytes.to_vec()), &ReadOptions::default()).unwrap()
}

fn open_err(bytes: &[u8]) -> TableError {
    match Table::open(Cursor::new(bytes.to_vec()), &ReadOptions::default()) {
        Ok(_) => panic!("expected an error"),
        Err(error) => error,
    }
}

/// Header, then (line, cells) of every row.
fn read_all(bytes: &[u8]) -> (Vec<String>, Vec<(u64, Vec<String>)>) {
    let table = open(bytes);
    let header = table.header().cells.clone();
    let rows = table
        .map(|row| row.map(|row| (row.line, row.cells)))
        .collect::<Result<_, _>>()
        .unwrap();
    (header, rows)
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| (*cell).to_owned()).collect()
}

#[test]
fn utf8_bom_crlf_semicolons_like_the_templates() {
    let bytes = "\u{feff}Courriel*;Prénom*;Nom*;Téléphone;Fonction\r\n\
                 a@b.fr;Gérard;Lefèvre;0601020304;Référent\r\n"
        .as_bytes();
    let table = open(bytes);
    assert_eq!(table.format(), FileFormat::Csv);
    assert_eq!(
        table.dialect(),
        CsvDialect {
            encoding: TextEncoding::Utf8 { bom: true },
            delimiter: Delimiter::Semicolon
        }
    );
    let (header, rows) = read_all(bytes);
    assert_eq!(header[0], "Courriel*");
    assert_eq!(
        rows,
        vec![(
            2,
            strings(&["a@b.fr", "Gérard", "Lefèvre", "0601020304", "Référent"])
        )]
    );
}

#[test]
fn windows_1252_and_latin1_files() {
    // "Prénom,Nom\nGérard,L’Hôte" as Excel writes it on a French Windows, comma-separated.
    let bytes = b"Pr\xE9nom,Nom\r\nG\xE9rard,L\x92H\xF4te\r\n";
    let table = open(bytes);
    assert_eq!(table.dialect().encoding, TextEncoding::Windows1252);
    assert_eq!(table.dialect().delimiter, Delimiter::Comma);
    let (header, rows) = read_all(bytes);
    assert_eq!(header, strings(&["Prénom", "Nom"]));
    assert_eq!(rows[0].1, strings(&["Gérard", "L’Hôte"]));
    // ISO-8859-1 is read the same way.
    let (_, rows) = read_all(b"Nom;Ville\nM\xFCller;Br\xE9al\n");
    assert_eq!(rows[0].1, strings(&["Müller", "Bréal"]));
}

#[test]
fn utf16_tab_separated_unicode_text() {
    let text = "Courriel*\tPrénom\tNom\r\nom@cd93.fr\tÉlodie\tNguyễn\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let table = open(&bytes);
    assert_eq!(table.dialect().encoding, TextEncoding::Utf16Le);
    assert_eq!(table.dialect().delimiter, Delimiter::Tab);
    let (_, rows) = read_all(&bytes);
    assert_eq!(
        rows,
        vec![(2, strings(&["om@cd93.fr", "Élodie", "Nguyễn"]))]
    );
}

#[test]
fn rfc4180_quoting_and_line_numbers() {
    let bytes = b"Nom;Adresse;Ville\r\n\
                  \r\n\
                  \"Lieu-dit \"\"Le sandwich\"\"\";\"3; rue de la Paix\";Paris\r\n\
                  Durand;\"12 avenue Foch\r\nB\xC3\xA2timent B\r\n3e \xC3\xA9tage\";Lyon\r\n\
                  Martin;\"1, rue Haute\";Lille\r\n\
                  \r\n\
                  ;;\r\n\
                  Petit;2 rue Basse;Nice";
    let (_, rows) = read_all(bytes);
    assert_eq!(
        rows,
        vec![
            (
                3,
                strings(&["Lieu-dit \"Le sandwich\"", "3; rue de la Paix", "Paris"])
            ),
            (
                4,
                strings(&["Durand", "12 avenue Foch\r\nBâtiment B\r\n3e étage", "Lyon"])
            ),
            (7, strings(&["Martin", "1, rue Haute", "Lille"])),
            (10, strings(&["Petit", "2 rue Basse", "Nice"])),
        ]
    );
}

#[test]
fn trailing_empty_columns_and_whitespace_lines_are_dropped() {
    let bytes = b"id; nom; pr\xC3\xA9nom; date de naissance; emails des professionnels;;\r\n\
                  b7e43c7c-7c3e-464b-80de-f4926d4bb1e0; Saintpa; Marc; 1982-02-01; ;;\r\n\
                  \x20;\t; \r\n";
    let (header, rows) = read_all(bytes);
    assert_eq!(header.len(), 5);
    assert_eq!(header[4], " emails des professionnels");
    assert_eq!(
        rows,
        vec![(
            2,
            strings(&[
                "b7e43c7c-7c3e-464b-80de-f4926d4bb1e0",
                " Saintpa",
                " Marc",
                " 1982-02-01"
            ])
        )]
    );
}

#[test]
fn mac_line_endings() {
    let (_, rows) = read_all(b"Nom;Ville\rDurand;Lyon\r\rMartin;Lille\r");
    assert_eq!(
        rows,
        vec![
            (2, strings(&["Durand", "Lyon"])),
            (4, strings(&["Martin", "Lille"]))
        ]
    );
}

#[test]
fn lines_keep_their_numbers_past_the_sniffed_prefix() {
    let mut text = String::from("Nom;Ville\n");
    for i in 0..20_000 {
        text.push_str(&format!("Nom{i};\"Ville\n{i}\"\n"));
    }
    let table = open(text.as_bytes());
    let mut count = 0;
    for (i, row) in table.enumerate() {
        let row = row.unwrap();
        assert_eq!(row.line, 2 + 2 * i as u64);
        assert_eq!(row.cells[1], format!("Ville\n{i}"));
        count += 1;
    }
    assert_eq!(count, 20_000);
}

#[test]
fn forced_dialect() {
    let options = ReadOptions {
        delimiter: Some(Delimiter::Comma),
        encoding: Some(TextEncoding::Windows1252),
        ..ReadOptions::default()
    };
    let table = Table::open(Cursor::new("a;b,c\n".as_bytes()), &options).unwrap();
    assert_eq!(table.header().cells, strings(&["a;b", "c"]));
}

#[test]
fn empty_and_unreadable_files() {
    assert!(matches!(open_err(b""), TableError::Empty));
    assert!(matches!(
        open_err(b"\xEF\xBB\xBF\r\n\r\n;;;\r\n"),
        TableError::Empty
    ));
    assert_eq!(open_err(b"").code(), "empty_file");
    for bytes in [
        &b"%PDF-1.7\n..."[..],
        b"<html><table><tr><td>Nom</td></tr></table></html>",
        b"\xEF\xBB\xBF  <?xml version=\"1.0\"?><Workbook>",
        b"Nom;\x00\x01\x02",
    ] {
        let error = open_err(bytes);
        assert!(matches!(error, TableError::UnknownFormat), "{bytes:?}");
        assert_eq!(error.code(), "unknown_format");
    }
    let error = open_err(b"PK\x03\x04 not really a zip");
    assert_eq!(error.code(), "unreadable_spreadsheet");
    assert!(
        error
            .to_string()
            .starts_with("Le classeur n'a pas pu être lu"),
        "{error}"
    );
    let cfb = open_err(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 broken");
    assert_eq!(cfb.code(), "unreadable_spreadsheet");
}

/// A workbook like the orientation managers template, with the cells Excel users produce.
fn sample_xlsx() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let hidden = workbook.add_worksheet();
    hidden.set_name("Notes").unwrap();
    hidden.write_string(0, 0, "ne pas importer").unwrap();
    hidden.set_hidden(true);
    let sheet = workbook.add_worksheet();
    sheet.set_name("Import").unwrap();
    sheet.set_active(true);
    // Two empty rows above the header, as agents leave them: numbering must follow Excel.
    for (column, header) in [
        "Courriel*",
        "Prénom",
        "Nom",
        "Téléphones",
        "Naissance",
        "Actif",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, column as u16, *header).unwrap();
    }
    sheet.write_string(3, 0, "om@cd93.fr").unwrap();
    sheet.write_string(3, 1, "Élodie").unwrap();
    sheet.write_string(3, 2, "Nguyễn").unwrap();
    sheet.write_number(3, 3, 601_020_304).unwrap();
    let birth = ExcelDateTime::from_ymd(1982, 2, 1).unwrap();
    sheet
        .write_datetime_with_format(3, 4, &birth, &date)
        .unwrap();
    sheet.write_boolean(3, 5, true).unwrap();
    // Row 5 left blank; row 6 has numbers Excel would mangle in a CSV.
    sheet.write_string(5, 0, "x@cd93.fr").unwrap();
    sheet.write_number(5, 3, 282_025_110_803_027.0).unwrap();
    sheet.write_number(5, 4, 32874).unwrap();
    sheet.write_number(5, 5, 12.5).unwrap();
    let other = workbook.add_worksheet();
    other.set_name("Autre").unwrap();
    other.write_string(0, 0, "Nom").unwrap();
    other.write_string(1, 0, "Durand").unwrap();
    workbook.save_to_buffer().unwrap()
}

#[test]
fn xlsx_first_visible_sheet_as_text() {
    let bytes = sample_xlsx();
    let table = open(&bytes);
    assert_eq!(table.format(), FileFormat::Xlsx);
    assert_eq!(table.dialect(), CsvDialect::default());
    assert_eq!(table.header().line, 3);
    let (header, rows) = read_all(&bytes);
    assert_eq!(
        header,
        strings(&[
            "Courriel*",
            "Prénom",
            "Nom",
            "Téléphones",
            "Naissance",
            "Actif"
        ])
    );
    assert_eq!(
        rows,
        vec![
            (
                4,
                strings(&[
                    "om@cd93.fr",
                    "Élodie",
                    "Nguyễn",
                    "601020304",
                    "01/02/1982",
                    "VRAI"
                ])
            ),
            (
                6,
                strings(&["x@cd93.fr", "", "", "282025110803027", "32874", "12,5"])
            ),
        ]
    );
}

#[test]
fn xlsx_named_sheet() {
    let bytes = sample_xlsx();
    let options = ReadOptions {
        sheet: SheetChoice::Named("autre".into()),
        ..ReadOptions::default()
    };
    let table = Table::open(Cursor::new(bytes.clone()), &options).unwrap();
    assert_eq!(table.header().cells, strings(&["Nom"]));
    let rows: Vec<Row> = table.map(Result::unwrap).collect();
    assert_eq!(rows, vec![Row::new(2, strings(&["Durand"])).unwrap()]);

    let missing = ReadOptions {
        sheet: SheetChoice::Named("Bénéficiaires".into()),
        ..ReadOptions::default()
    };
    let error = Table::open(Cursor::new(bytes), &missing).err().unwrap();
    assert_eq!(error.code(), "sheet_not_found");
    assert_eq!(
        error.to_string(),
        "La feuille « Bénéficiaires » n'existe pas dans ce classeur (feuilles présentes : \
         Notes, Import, Autre)"
    );
}

/// A minimal OpenDocument spreadsheet, as LibreOffice writes one.
pub(crate) fn ods_bytes(content_rows: &str) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="Feuille1">{content_rows}</table:table>
<table:table table:name="Feuille2"><table:table-row><table:table-cell office:value-type="string"><text:p>autre</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// One ODS row of string cells.
pub(crate) fn ods_row(cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .map(|cell| {
            format!(r#"<table:table-cell office:value-type="string"><text:p>{cell}</text:p></table:table-cell>"#)
        })
        .collect();
    format!("<table:table-row>{cells}</table:table-row>")
}

#[test]
fn ods_with_dates_and_numbers() {
    let rows = format!(
        "{}{}{}",
        ods_row(&["Prénom*", "Nom*", "Date de naissance*", "Code postal"]),
        r#"<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>"#,
        concat!(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Marc</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string"><text:p>Saintpa</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="date" office:date-value="1982-02-01"><text:p>01/02/82</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="float" office:value="1000"><text:p>1000</text:p></table:table-cell></table:table-row>"#
        )
    );
    let bytes = ods_bytes(&rows);
    let table = open(&bytes);
    assert_eq!(table.format(), FileFormat::Ods);
    let (header, rows) = read_all(&bytes);
    assert_eq!(header[2], "Date de naissance*");
    assert_eq!(
        rows,
        vec![(4, strings(&["Marc", "Saintpa", "01/02/1982", "1000"]))]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        read_anything(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[a-zé;,\t\"\r\n ]{0,400}") {
        read_anything(text.as_bytes());
    }

    #[test]
    fn arbitrary_workbook_lookalikes_never_panic(
        magic in prop_oneof![
            Just(b"PK\x03\x04".to_vec()),
            Just(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec()),
            Just(b"\xFF\xFE".to_vec()),
            Just(b"\xEF\xBB\xBF".to_vec()),
        ],
        tail in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        read_anything(&[magic, tail].concat());
    }
}

/// Opens and drains a table, ignoring errors: only panics matter.
fn read_anything(bytes: &[u8]) {
    if let Ok(table) = Table::open(Cursor::new(bytes), &ReadOptions::default()) {
        for row in table {
            if row.is_err() {
                break;
            }
        }
    }
}

#[test]
fn truncated_real_workbooks_never_panic() {
    let xlsx = sample_xlsx();
    let ods = ods_bytes(&ods_row(&["Nom"]));
    for bytes in [xlsx, ods] {
        for cut in (0..bytes.len()).step_by(97) {
            read_anything(&bytes[..cut]);
        }
        let mut flipped = bytes.clone();
        for i in (30..flipped.len()).step_by(211) {
            flipped[i] ^= 0x5A;
            read_anything(&flipped);
        }
    }
}

#[test]
fn an_unclosed_quote_does_not_swallow_the_file() {
    let mut text = String::from("Nom;Adresse\nDurand;\"3 rue Haute\nMartin;");
    for i in 0..60_000 {
        text.push_str(&format!("ligne {i} sans fin;\n"));
    }
    let mut table = open(text.as_bytes());
    match table.next() {
        Some(Err(error @ TableError::RecordTooLong { line: 2 })) => {
            assert_eq!(error.code(), "record_too_long");
        }
        other => panic!("{other:?}"),
    }
    assert!(table.next().is_none());

    let many_cells = format!("Nom\n{}\n", ";".repeat(20_000));
    let mut table = open(many_cells.as_bytes());
    let next = table.next();
    assert!(
        matches!(next, Some(Err(TableError::RecordTooLong { line: 2 }))),
        "{:?}",
        next.map(|r| r.map(|row| (row.line, row.cells.len())))
    );
}

#[test]
fn xls_97_2003_workbook() {
    // Written by xlwt: a hidden instructions sheet first, then the data.
    let path = format!(
        "{}/fixtures/imports/import_charges_orientation.xls",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).unwrap();
    let table = open(&bytes);
    assert_eq!(table.format(), FileFormat::Xls);
    let (header, rows) = read_all(&bytes);
    assert_eq!(
        header,
        strings(&["Courriel*", "Prénom", "Nom", "Téléphones", "Date d'arrivée"])
    );
    assert_eq!(
        rows,
        vec![
            (
                2,
                strings(&["om1@cd93.fr", "Élodie", "Nguyễn", "601020304", "01/02/2024"])
            ),
            (4, strings(&["pas-un-courriel", "Oscar", "Durand", "VRAI"])),
        ]
    );
}

/// A workbook whose two cells sit at opposite corners of the grid (A1 and XFD1048576), or
/// that writes past the 10,000th column: the reader must neither allocate the grid between
/// them nor crash.
fn corner_xlsx(far_row: u32, far_column: u16) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "nir").unwrap();
    sheet.write_string(far_row, far_column, "x").unwrap();
    workbook.save_to_buffer().unwrap()
}

#[test]
fn a_sparse_workbook_is_read_as_the_cells_it_has_never_as_its_grid() {
    // Far row, near column: two rows, the second a line of Excel's last row.
    let (header, rows) = read_all(&corner_xlsx(1_048_575, 3));
    assert_eq!(header, strings(&["nir"]));
    assert_eq!(rows, vec![(1_048_576, strings(&["", "", "", "x"]))]);
    // The opposite corner: refused with the cell's place, in French, without laying out
    // 17 billion cells.
    let error = open_err(&corner_xlsx(1_048_575, 16_383));
    assert_eq!(error.code(), "sheet_too_wide");
    assert!(
        error.to_string().contains("ligne 1048576, colonne 16384"),
        "{error}"
    );
}
