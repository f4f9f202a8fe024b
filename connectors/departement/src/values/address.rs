//! Postal codes, and the « CP Ville » cells that hold a postal code and a city together.

use cdb_connector::records::PostalCode;

use super::text;
use crate::error::{ErrorCode, Invalid};

/// Parses a French postal code; a 4-digit one lost its leading zero in a spreadsheet.
pub(crate) fn postal_code(raw: &str, label: &str) -> Result<PostalCode, Invalid> {
    let value = raw.trim();
    PostalCode::from_number_text(value).map_err(|_| {
        Invalid::new(
            ErrorCode::InvalidPostalCode,
            format!("{label} « {value} » n'est pas un code postal français (5 chiffres)"),
        )
    })
}

/// Splits « 26000 Valence », « 26000-VALENCE » or « Valence 26000 » into postal code and city;
/// a cell holding only the postal code gives no city.
pub(crate) fn postal_code_city(
    raw: &str,
    label: &str,
) -> Result<(PostalCode, Option<String>), Invalid> {
    let value = raw.trim();
    let leading = value.len() - value.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let trailing = value.len() - value.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (code, city) = if leading > 0 {
        value.split_at(leading)
    } else if trailing > 0 {
        let (city, code) = value.split_at(value.len() - trailing);
        (code, city)
    } else {
        return Err(Invalid::new(
            ErrorCode::InvalidPostalCodeCity,
            format!(
                "{label} « {value} » ne contient pas de code postal : « 26000 Valence » attendu"
            ),
        ));
    };
    let code = postal_code(code, label)?;
    let city = city.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | ',' | ';'));
    let city = if city.is_empty() {
        None
    } else {
        Some(text(city, label)?)
    };
    Ok((code, city))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: &str = "Le code postal et la commune";

    fn split(raw: &str) -> (String, Option<String>) {
        let (code, city) = postal_code_city(raw, LABEL).unwrap();
        (code.as_str().to_owned(), city)
    }

    #[test]
    fn code_then_city_or_city_then_code() {
        assert_eq!(
            split("26000 Valence"),
            ("26000".to_owned(), Some("Valence".to_owned()))
        );
        assert_eq!(
            split(" 93200 SAINT-DENIS CEDEX "),
            ("93200".to_owned(), Some("SAINT-DENIS CEDEX".to_owned()))
        );
        assert_eq!(
            split("26000-VALENCE"),
            ("26000".to_owned(), Some("VALENCE".to_owned()))
        );
        assert_eq!(
            split("Bourg-en-Bresse 1000"),
            ("01000".to_owned(), Some("Bourg-en-Bresse".to_owned()))
        );
        assert_eq!(split("26000"), ("26000".to_owned(), None));
    }

    #[test]
    fn a_cell_without_a_code() {
        let error = postal_code_city("Valence", LABEL).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidPostalCodeCity);
        assert_eq!(
            error.message,
            "Le code postal et la commune « Valence » ne contient pas de code postal : \
             « 26000 Valence » attendu"
        );
        assert_eq!(
            postal_code_city("123456 Valence", LABEL).unwrap_err().code,
            ErrorCode::InvalidPostalCode
        );
        assert_eq!(
            postal_code("2600O", "Le code postal").unwrap_err().message,
            "Le code postal « 2600O » n'est pas un code postal français (5 chiffres)"
        );
    }
}
