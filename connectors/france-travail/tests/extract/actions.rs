//! The `actions` extract: event dates and themes.

use cdb_france_travail::FocusTheme;
use cdb_france_travail::extract::{ActionCategories, ExtractError, parse_actions};
use chrono::NaiveDate;

use crate::fixture;

#[test]
fn actions_read_with_their_event_date_and_theme() {
    let file = parse_actions(&fixture("actions.csv")).unwrap();
    assert!(file.rejected.is_empty(), "{:?}", file.rejected);
    assert_eq!(file.rows.len(), 5);
    let categories = ActionCategories::builtin();
    let summary: Vec<(&str, Option<NaiveDate>, Option<FocusTheme>)> = file
        .rows
        .iter()
        .map(|r| {
            (
                r.row.label.as_str(),
                r.row.event_date(),
                r.row.theme(&categories),
            )
        })
        .collect();
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    assert_eq!(
        summary,
        [
            // Carried out and ended: the day it was carried out.
            (
                "ACCELER'EMPLOI",
                date(2024, 2, 12),
                Some(FocusTheme::Emploi)
            ),
            // A training in a field: its end, even though it has a carrying-out date.
            (
                "UNE FORMATION DANS LE DOMAINE SUIVANT",
                date(2024, 9, 30),
                Some(FocusTheme::Formation)
            ),
            // Only prescribed; carnet-de-bord left this label without a theme.
            ("ECRIVAIN PUBLIC", date(2024, 2, 20), None),
            (
                "DEMANDE D'AIDE FINANCIERE",
                date(2024, 1, 10),
                Some(FocusTheme::DifficulteFinanciere)
            ),
            // Ended without a carrying-out date; unknown label.
            ("ATELIER INCONNU DU REFERENTIEL", date(2024, 1, 12), None),
        ]
    );
    assert_eq!(
        file.rows[0].row.person_key,
        "e1881749-1334-47b9-8a34-74922528d4ea"
    );
    assert_eq!(
        file.rows[1].row.training.as_deref(),
        Some("CAP BOULANGER EN 6 MOIS")
    );
}

#[test]
fn a_principal_file_is_not_an_actions_file() {
    assert_eq!(
        parse_actions(&fixture("principal.csv")).unwrap_err(),
        ExtractError::MissingColumns(vec!["lblaction".to_owned()])
    );
}

#[test]
fn a_categorisation_file_can_replace_the_builtin_one() {
    let categories =
        ActionCategories::parse("actions;focus\nATELIER CV;emploi\nX;inconnu\n").unwrap();
    assert_eq!(categories.len(), 1);
    assert_eq!(categories.theme(" atelier cv"), Some(FocusTheme::Emploi));
    assert!(ActionCategories::parse("label;theme\n").is_err());
}
