//! Phone numbers of a file's cells, read by `cdb_connector`'s one parser (E.164, overseas
//! départements with their own country code); this module splits cells and words the errors.

use super::{CellError, ErrorCode, Items, quote_all};

pub use cdb_connector::records::PhoneNumber;

/// Parses one phone number; a cell holding several is an error.
pub fn phone(raw: &str, label: &str) -> Result<PhoneNumber, CellError> {
    let items: Vec<&str> = split_phones(raw).collect();
    if items.len() > 1 {
        return Err(CellError::new(
            ErrorCode::SeveralValues,
            format!(
                "{label} « {} » contient {} numéros : un seul est attendu",
                raw.trim(),
                items.len()
            ),
        ));
    }
    normalise(raw).ok_or_else(|| invalid(label, &[raw.trim()]))
}

/// Parses a list of phone numbers separated by commas, semicolons, slashes or line breaks.
pub fn phone_list(raw: &str, label: &str) -> Result<Vec<PhoneNumber>, CellError> {
    phone_items(raw, label).into_result()
}

/// The numbers of a cell that are valid, and the error naming those that are not.
pub fn phone_items(raw: &str, label: &str) -> Items<PhoneNumber> {
    let mut numbers = Vec::new();
    let mut invalid_items = Vec::new();
    for item in split_phones(raw) {
        match normalise(item) {
            Some(number) if !numbers.contains(&number) => numbers.push(number),
            Some(_) => {}
            None => invalid_items.push(item),
        }
    }
    Items {
        invalid: (!invalid_items.is_empty()).then(|| invalid(label, &invalid_items)),
        values: numbers,
    }
}

fn split_phones(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([',', ';', '/', '\n', '\r'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

fn invalid(label: &str, items: &[&str]) -> CellError {
    let message = match items {
        [one] => format!("{label} « {one} » n'est pas un numéro de téléphone valide"),
        _ => format!(
            "{label} contient des numéros de téléphone non valides : {}",
            quote_all(items.iter().copied())
        ),
    };
    CellError::new(ErrorCode::InvalidPhone, message)
}

/// The E.164 form of a number, if it is one (the one reading of `cdb_connector`).
fn normalise(raw: &str) -> Option<PhoneNumber> {
    PhoneNumber::parse(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str) -> String {
        phone(raw, "Le téléphone").unwrap().as_str().to_owned()
    }

    #[test]
    fn a_cell_reads_through_the_one_parser() {
        // Every writing is cdb_connector's to test; here, that the cell gets its reading.
        assert_eq!(e164(" +33 (0)6 01 23 45 67 "), "+33601234567");
        assert_eq!(e164("0692 12 34 56"), "+262692123456");
    }

    #[test]
    fn invalid_numbers() {
        for raw in [
            "06 12",
            "0001234567",
            "06012345678",
            "abc",
            "06 01 23 45 6x",
            "+33 0 01 23 45 67",
            "+1234",
            "06 01 23 45 67 (portable)",
        ] {
            assert_eq!(
                phone(raw, "Le téléphone").unwrap_err().code,
                ErrorCode::InvalidPhone,
                "{raw}"
            );
        }
        assert_eq!(
            phone("06 12", "Le téléphone").unwrap_err().message,
            "Le téléphone « 06 12 » n'est pas un numéro de téléphone valide"
        );
    }

    #[test]
    fn lists_of_numbers() {
        let list = phone_list(
            "0601234567, 07 12 34 56 78 / 0601234567;\n01 23 45 67 89",
            "Le téléphone",
        )
        .unwrap();
        let numbers: Vec<&str> = list.iter().map(PhoneNumber::as_str).collect();
        assert_eq!(numbers, ["+33601234567", "+33712345678", "+33123456789"]);
        // The 2022 template's example: its second number lacks a digit.
        let error = phone_list("0601234567, 071234567", "Le téléphone").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidPhone);
        assert_eq!(
            error.message,
            "Le téléphone « 071234567 » n'est pas un numéro de téléphone valide"
        );
        let several = phone_list("1, 2", "Le téléphone").unwrap_err();
        assert_eq!(
            several.message,
            "Le téléphone contient des numéros de téléphone non valides : « 1 », « 2 »"
        );
        let one = phone("0601234567, 0712345678", "Le téléphone").unwrap_err();
        assert_eq!(one.code, ErrorCode::SeveralValues);
    }
}
