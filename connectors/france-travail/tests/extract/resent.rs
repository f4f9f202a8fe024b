//! Re-sent and next week's files: only a changed row makes a change.

use std::collections::HashSet;

use cdb_france_travail::extract::{parse_actions, parse_principal};

use crate::fixture;

#[test]
fn a_re_sent_file_changes_nothing() {
    let first = parse_principal(&fixture("principal.csv")).unwrap();
    assert_eq!(first.changed_since(&HashSet::new()).len(), 4);
    let known = first.hashes();
    let again = parse_principal(&fixture("principal.csv")).unwrap();
    assert!(again.changed_since(&known).is_empty());
}

#[test]
fn next_week_only_the_changed_and_new_rows_count() {
    let known = parse_principal(&fixture("principal.csv")).unwrap().hashes();
    // Reordered, CRLF line ends, Karim's health difficulty declared, Inès new.
    let next = parse_principal(&fixture("principal_next_week.csv")).unwrap();
    assert_eq!(next.rows.len(), 5);
    let changed: Vec<&str> = next
        .changed_since(&known)
        .iter()
        .map(|r| r.row.last_name.as_str())
        .collect();
    assert_eq!(changed, ["BENALI", "ROUSSEAU"]);
    let karim = next
        .rows
        .iter()
        .find(|r| r.row.last_name == "BENALI")
        .unwrap();
    assert_eq!(karim.row.difficulties.health, Some(true));
    assert!(!karim.raw.ends_with('\r'));
}

#[test]
fn a_row_repeated_in_a_file_counts_once() {
    let text = String::from_utf8(fixture("actions.csv")).unwrap();
    let first_row = text.lines().nth(1).unwrap();
    let doubled = format!("{text}{first_row}\n");
    let file = parse_actions(doubled.as_bytes()).unwrap();
    assert_eq!(file.rows.len(), 6);
    assert_eq!(file.changed_since(&HashSet::new()).len(), 5);
}

#[test]
fn a_row_reads_back_column_by_column_as_received() {
    let file = parse_principal(&fixture("principal.csv")).unwrap();
    let fields = file.fields(&file.rows[0]);
    assert_eq!(fields["nom"], "MARTIN");
    assert_eq!(fields["adresse_ligne2"], "NULL", "kept as received");
    assert_eq!(
        fields.as_object().unwrap().len(),
        file.columns.len(),
        "{fields}"
    );
}
