//! Free text: names (with the original service's rule against parentheses), other text
//! fields and lists of names.

use super::{CellError, ErrorCode, Items, MAX_TEXT_CHARS, quote_all, split_list};

/// Parses a first or last name: letters, spaces, hyphens, apostrophes and dots only, and in
/// particular no parentheses (« Dupont (née Durand) » must be split by the agent).
pub fn name(raw: &str, label: &str) -> Result<String, CellError> {
    let value = text(raw, label)?;
    if value.contains(['(', ')']) {
        return Err(CellError::new(
            ErrorCode::NameWithParentheses,
            format!(
                "{label} « {value} » contient des parenthèses, qui ne sont pas autorisées dans \
                 les noms"
            ),
        ));
    }
    let allowed = |c: char| {
        c.is_alphabetic()
            || c.is_whitespace()
            || matches!(c, '-' | '\'' | '’' | '.')
            || unicode_normalization::char::is_combining_mark(c)
    };
    if !value.chars().all(allowed) {
        return Err(CellError::new(
            ErrorCode::InvalidNameCharacters,
            format!(
                "{label} « {value} » contient des chiffres ou des symboles, qui ne sont pas \
                 autorisés dans les noms"
            ),
        ));
    }
    Ok(value)
}

/// Parses a free text, trimmed, of at most [`MAX_TEXT_CHARS`] characters.
pub fn text(raw: &str, label: &str) -> Result<String, CellError> {
    let value = raw.trim();
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(CellError::new(
            ErrorCode::TooLong,
            format!(
                "{label} « {}… » dépasse {MAX_TEXT_CHARS} caractères",
                value.chars().take(40).collect::<String>()
            ),
        ));
    }
    Ok(value.to_owned())
}

/// Parses a list of names (of structures) separated by commas, semicolons or line breaks.
pub fn text_list(raw: &str, label: &str) -> Result<Vec<String>, CellError> {
    text_items(raw, label).into_result()
}

/// The names of a cell that fit, and the error naming those too long.
pub fn text_items(raw: &str, label: &str) -> Items<String> {
    let mut items: Vec<String> = Vec::new();
    let mut too_long = Vec::new();
    for item in split_list(raw) {
        if item.chars().count() > MAX_TEXT_CHARS {
            too_long.push(item);
        } else if !items.iter().any(|known| known == item) {
            items.push(item.to_owned());
        }
    }
    Items {
        invalid: (!too_long.is_empty()).then(|| {
            CellError::new(
                ErrorCode::TooLong,
                format!(
                    "{label} contient des valeurs de plus de {MAX_TEXT_CHARS} caractères : {}",
                    quote_all(too_long)
                ),
            )
        }),
        values: items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_people_write_them() {
        for value in [
            "Marc",
            " Saintpa ",
            "Jean-Édouard",
            "N'Diaye",
            "D’Artagnan",
            "Mc Do",
            "St. Cyr",
            "Ñuñez",
            "Łukasz",
            "Nguyễn",
        ] {
            assert_eq!(
                name(value, "Le prénom"),
                Ok(value.trim().to_owned()),
                "{value}"
            );
        }
    }

    #[test]
    fn no_parentheses_in_names() {
        let error = name("Dupont (née Durand)", "Le nom").unwrap_err();
        assert_eq!(error.code, ErrorCode::NameWithParentheses);
        assert_eq!(
            error.message,
            "Le nom « Dupont (née Durand) » contient des parenthèses, qui ne sont pas autorisées \
             dans les noms"
        );
    }

    #[test]
    fn no_digits_or_symbols_in_names() {
        for value in ["Dupont2", "jean@x.fr", "Marie;Claire", "#N/A", "Paul_"] {
            assert_eq!(
                name(value, "Le prénom").unwrap_err().code,
                ErrorCode::InvalidNameCharacters,
                "{value}"
            );
        }
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(
            text("  3 rue de la Paix ", "L'adresse"),
            Ok("3 rue de la Paix".into())
        );
        let error = text(&"a".repeat(256), "L'adresse").unwrap_err();
        assert_eq!(error.code, ErrorCode::TooLong);
        assert!(text(&"é".repeat(255), "L'adresse").is_ok());
        assert_eq!(
            name(&"a".repeat(300), "Le nom").unwrap_err().code,
            ErrorCode::TooLong
        );
    }

    #[test]
    fn lists_of_structure_names() {
        assert_eq!(
            text_list(
                "CCAS de Livry, Mission locale ;\nCCAS de Livry",
                "La structure"
            ),
            Ok(vec![
                "CCAS de Livry".to_owned(),
                "Mission locale".to_owned()
            ])
        );
        assert_eq!(
            text_list(&"a".repeat(256), "La structure")
                .unwrap_err()
                .code,
            ErrorCode::TooLong
        );
    }
}
