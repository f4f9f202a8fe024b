//! Phone numbers, normalised to E.164 (`0601234567` → `+33601234567`) as the 2024 service
//! stored them, with overseas départements given their own country code.

use super::{CellError, ErrorCode, quote_all};

/// Overseas national prefixes and the E.164 country code they belong to.
const OVERSEAS: [(&str, &str); 14] = [
    ("0262", "262"),
    ("0263", "262"),
    ("0269", "262"),
    ("0639", "262"),
    ("0692", "262"),
    ("0693", "262"),
    ("0590", "590"),
    ("0690", "590"),
    ("0691", "590"),
    ("0594", "594"),
    ("0694", "594"),
    ("0596", "596"),
    ("0696", "596"),
    ("0697", "596"),
];

/// A phone number in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The number, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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
    let mut numbers = Vec::new();
    let mut invalid_items = Vec::new();
    for item in split_phones(raw) {
        match normalise(item) {
            Some(number) if !numbers.contains(&number) => numbers.push(number),
            Some(_) => {}
            None => invalid_items.push(item),
        }
    }
    if invalid_items.is_empty() {
        Ok(numbers)
    } else {
        Err(invalid(label, &invalid_items))
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

/// The E.164 form of a French or international number, if it is one.
fn normalise(raw: &str) -> Option<PhoneNumber> {
    let text = raw.trim().replace("(0)", "");
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '\u{a0}' | '\u{202f}'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    if let Some(international) = international {
        return match international.strip_prefix("33") {
            Some(national) => french(national.strip_prefix('0').unwrap_or(national)),
            None if (8..=15).contains(&international.len()) && !international.starts_with('0') => {
                Some(PhoneNumber(format!("+{international}")))
            }
            None => None,
        };
    }
    match digits.len() {
        10 => french(digits.strip_prefix('0')?),
        // Excel drops the leading zero of a number typed in a "Standard" cell.
        9 => french(&digits),
        11 => french(digits.strip_prefix("33")?),
        _ => None,
    }
}

/// The E.164 form of a 9-digit French national number (without its leading 0).
fn french(national: &str) -> Option<PhoneNumber> {
    let valid = national.len() == 9
        && national.bytes().all(|b| b.is_ascii_digit())
        && !national.starts_with('0');
    if !valid {
        return None;
    }
    let prefix = format!("0{}", &national[..3]);
    let country = OVERSEAS
        .iter()
        .find(|(overseas, _)| *overseas == prefix)
        .map_or("33", |(_, country)| *country);
    Some(PhoneNumber(format!("+{country}{national}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str) -> String {
        phone(raw, "Le téléphone").unwrap().as_str().to_owned()
    }

    #[test]
    fn french_numbers_in_every_usual_writing() {
        for raw in [
            "0601234567",
            "06 01 23 45 67",
            "06.01.23.45.67",
            "06-01-23-45-67",
            "+33 6 01 23 45 67",
            "+33 (0)6 01 23 45 67",
            "+330601234567",
            "0033 6 01 23 45 67",
            "33601234567",
            "601234567",
            "06\u{a0}01\u{a0}23\u{a0}45\u{a0}67",
        ] {
            assert_eq!(e164(raw), "+33601234567", "{raw}");
        }
        assert_eq!(e164("01 23 45 67 89"), "+33123456789");
    }

    #[test]
    fn overseas_and_foreign_numbers() {
        assert_eq!(e164("0692 12 34 56"), "+262692123456");
        assert_eq!(e164("0262 12 34 56"), "+262262123456");
        assert_eq!(e164("0696 12 34 56"), "+596696123456");
        assert_eq!(e164("0590 12 34 56"), "+590590123456");
        assert_eq!(e164("0694 12 34 56"), "+594694123456");
        assert_eq!(e164("+262 692 12 34 56"), "+262692123456");
        assert_eq!(e164("+32 470 12 34 56"), "+32470123456");
        assert_eq!(e164("0032 470 12 34 56"), "+32470123456");
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
