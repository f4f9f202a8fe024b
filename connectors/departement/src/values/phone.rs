//! Phone numbers as exports write them: several in one cell, each read by `cdb_connector`'s
//! one parser (any usual separators, the leading zero spreadsheets and the CNAF file drop).

use cdb_connector::records::PhoneNumber;

use crate::error::{ErrorCode, Invalid, quote_all};

/// Parses every number of a cell (separated by `,`, `;`, `/`, `|` or line breaks), in order,
/// without repeats; one number that cannot be read makes the whole cell an error.
pub(crate) fn phones(raw: &str, label: &str) -> Result<Vec<PhoneNumber>, Invalid> {
    let mut numbers = Vec::new();
    let mut invalid = Vec::new();
    for item in raw
        .split([',', ';', '/', '|', '\n', '\r'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        match phone(item) {
            Some(number) if !numbers.contains(&number) => numbers.push(number),
            Some(_) => {}
            None => invalid.push(item),
        }
    }
    match invalid.as_slice() {
        [] => Ok(numbers),
        [one] => Err(Invalid::new(
            ErrorCode::InvalidPhone,
            format!("{label} « {one} » n'est pas un numéro de téléphone valide"),
        )),
        several => Err(Invalid::new(
            ErrorCode::InvalidPhone,
            format!(
                "{label} contient des numéros de téléphone non valides : {}",
                quote_all(several.iter().copied())
            ),
        )),
    }
}

/// One number, by the one reading of `cdb_connector` (E.164).
fn phone(item: &str) -> Option<PhoneNumber> {
    PhoneNumber::parse(item).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: &str = "Le téléphone";

    fn texts(raw: &str) -> Vec<String> {
        phones(raw, LABEL)
            .unwrap()
            .into_iter()
            .map(|p| p.as_str().to_owned())
            .collect()
    }

    #[test]
    fn separators_and_missing_zeros() {
        assert_eq!(texts("06.12.34.56.78"), ["+33612345678"]);
        assert_eq!(texts("06 12 34 56 78"), ["+33612345678"]);
        assert_eq!(texts("698943255"), ["+33698943255"]);
        assert_eq!(texts("+33 (0)6 12 34 56 78"), ["+33612345678"]);
        assert_eq!(texts("0033 6 12 34 56 78"), ["+33612345678"]);
        assert_eq!(texts("+262 692 12 34 56"), ["+262692123456"]);
    }

    #[test]
    fn several_numbers_in_one_cell() {
        assert_eq!(
            texts("0612345678, 04 75 12 34 56 / 0612345678"),
            ["+33612345678", "+33475123456"]
        );
        assert_eq!(texts(" ; "), Vec::<String>::new());
    }

    #[test]
    fn what_is_not_a_number() {
        let error = phones("06 12 34", LABEL).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidPhone);
        assert_eq!(
            error.message,
            "Le téléphone « 06 12 34 » n'est pas un numéro de téléphone valide"
        );
        assert_eq!(
            phones("abc, 0612345678, 12", LABEL).unwrap_err().message,
            "Le téléphone contient des numéros de téléphone non valides : « abc », « 12 »"
        );
        for value in [
            "0012",
            "+0612345678",
            "061234567890",
            "06 12 34 56 7x",
            "0000000000",
        ] {
            assert!(phones(value, LABEL).is_err(), "{value}");
        }
    }
}
