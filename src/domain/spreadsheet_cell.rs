//! Cells of the CSV files the hub hands out, opened in Excel or LibreOffice by agents: a cell
//! that a spreadsheet would run as a formula is neutralised (OWASP « CSV injection »).

use std::borrow::Cow;

/// The cell as a spreadsheet will show it and never run it: a text starting with `=`, `@`, a
/// tab or a carriage return, or with `+`/`-` followed by anything but a number (a phone
/// `+33 6 12…` or an amount `-12,5` stay as they are), is prefixed with an apostrophe.
pub fn inert(cell: &str) -> Cow<'_, str> {
    let mut chars = cell.chars();
    let dangerous = match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => {
            let rest = chars.as_str();
            !rest.is_empty()
                && !rest
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | ',' | '(' | ')'))
        }
        _ => false,
    };
    if dangerous {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::inert;
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
