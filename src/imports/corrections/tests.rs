use std::collections::BTreeSet;
use std::io::Cursor;

use proptest::prelude::*;

use super::*;

fn header() -> Vec<String> {
    ["Nom*", "Prénom*", "Date de naissance*"]
        .map(String::from)
        .to_vec()
}

fn lines(list: &[i32]) -> BTreeSet<i32> {
    list.iter().copied().collect()
}

fn read_text(text: &str, correctable: &[i32]) -> Result<Vec<Correction>, CorrectionsError> {
    read(
        Cursor::new(text.as_bytes().to_vec()),
        &ReadOptions::default(),
        &header(),
        &lines(correctable),
    )
}

fn problems(result: Result<Vec<Correction>, CorrectionsError>) -> Vec<CorrectionProblem> {
    match result {
        Err(CorrectionsError::Problems(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_corrected_errors_file_replaces_its_original_lines_in_the_original_columns() {
    let text = "Nom*;Prénom*;Date de naissance*;Erreurs;Avertissements;Ligne d'origine\r\n\
                Durand;Marie;28/02/1990;Date de naissance* : n'existe pas;;12\r\n\
                ;;;;;\r\n\
                Martin;Paul;01/01/1980;;;502\r\n";
    let corrections = read_text(text, &[12, 502, 1001]).unwrap();
    assert_eq!(
        corrections,
        vec![
            Correction {
                line: 12,
                cells: ["Durand", "Marie", "28/02/1990"].map(String::from).to_vec()
            },
            Correction {
                line: 502,
                cells: ["Martin", "Paul", "01/01/1980"].map(String::from).to_vec()
            },
        ]
    );
}

#[test]
fn columns_moved_by_the_agent_are_found_by_their_name() {
    let text = "Ligne d'origine;date de naissance;PRENOM*;Nom*\n12;28/02/1990;Marie;Durand\n";
    let corrections = read_text(text, &[12]).unwrap();
    assert_eq!(
        corrections[0].cells,
        ["Durand", "Marie", "28/02/1990"].map(String::from).to_vec()
    );
}

#[test]
fn a_file_without_the_line_column_or_an_original_column_is_refused_with_its_reason() {
    let missing_line = problems(read_text(
        "Nom*;Prénom*;Date de naissance*\nA;B;01/01/1990\n",
        &[2],
    ));
    assert_eq!(missing_line[0].code, "missing_line_column");
    assert!(missing_line[0].message.contains("Ligne d'origine"));
    let missing_column = problems(read_text("Nom*;Prénom*;Ligne d'origine\nA;B;2\n", &[2]));
    assert_eq!(missing_column[0].code, "missing_column");
    assert_eq!(missing_column[0].column, "Date de naissance*");
}

#[test]
fn each_bad_line_number_is_reported_with_its_line_value_and_reason() {
    let text = "Nom*;Prénom*;Date de naissance*;Ligne d'origine\n\
                A;B;01/01/1990;douze\n\
                A;B;01/01/1990;7\n\
                A;B;01/01/1990;12\n\
                A;B;01/01/1990;12\n";
    let found = problems(read_text(text, &[12]));
    let codes: Vec<(u64, &str, &str)> = found
        .iter()
        .map(|p| (p.line, p.code.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (2, "invalid_line", "douze"),
            (3, "line_not_to_correct", "7"),
            (5, "duplicate_line", "12"),
        ]
    );
}

proptest! {
    /// Whatever the bytes, reading corrections answers (never panics) and only ever takes
    /// lines that were to correct.
    #[test]
    fn any_bytes_give_corrections_of_correctable_lines_or_a_refusal(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let correctable = lines(&[2, 3, 12]);
        if let Ok(corrections) = read(Cursor::new(bytes), &ReadOptions::default(), &header(), &correctable) {
            for correction in corrections {
                prop_assert!(correctable.contains(&correction.line));
                prop_assert_eq!(correction.cells.len(), 3);
            }
        }
    }
}
