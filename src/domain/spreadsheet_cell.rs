//! Cells of the CSV files the hub hands out, opened in Excel or LibreOffice by agents: a cell
//! that a spreadsheet would run as a formula is neutralised (OWASP « CSV injection »).

use std::borrow::Cow;

/// Whether a spreadsheet would run this text as a formula: it starts with `=`, `@`, a tab or a
/// carriage return, or with `+`/`-` followed by anything but a number (a phone `+33 6 12…` or
/// an amount `-12,5` are not).
fn runs_as_formula(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => {
            let rest = chars.as_str();
            !rest.is_empty()
                && !rest
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | ',' | '(' | ')'))
        }
        _ => false,
    }
}

/// The cell as a spreadsheet will show it and never run it: a formula-like text is prefixed
/// with an apostrophe (as is one whose apostrophes already precede such a text, so that
/// [`restored`] gives back exactly the original).
pub fn inert(cell: &str) -> Cow<'_, str> {
    if runs_as_formula(cell.trim_start_matches('\'')) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell read back from a file the hub handed out: the apostrophe [`inert`] added is taken
/// away again, so that a corrected errors file imports the values the agent typed.
pub fn restored(cell: &str) -> Option<&str> {
    let rest = cell.strip_prefix('\'')?;
    runs_as_formula(rest.trim_start_matches('\'')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::{inert, restored};
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(
            inert("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("-1+cmd|' /C calc'!A0"), "'-1+cmd|' /C calc'!A0");
        assert_eq!(inert("+33 6 12 34 56 78"), "+33 6 12 34 56 78");
        assert_eq!(inert("-12,5"), "-12,5");
        assert_eq!(inert("Dupont"), "Dupont");
        assert_eq!(inert("\tx"), "'\tx");
    }

    proptest! {
        #[test]
        fn a_neutralised_cell_reads_back_as_it_was(cell in "'{0,3}[=+@a-z0-9 -]{0,10}|.{0,40}") {
            let shown = inert(&cell);
            prop_assert_eq!(restored(&shown).unwrap_or(&shown), cell.as_str());
        }

        #[test]
        fn no_cell_handed_out_starts_a_formula(cell in ".{0,40}") {
            let shown = inert(&cell);
            let first = shown.chars().next();
            prop_assert!(!matches!(first, Some('=' | '@' | '\t' | '\r')));
            if matches!(first, Some('+' | '-')) {
                prop_assert!(shown[1..].chars().all(|c| c.is_ascii_digit() || " .,()".contains(c)));
            }
        }
    }
}
