//! Contact and organisation values: e-mail addresses, postal codes, SIRET, web sites.

use super::{CellError, ErrorCode, Items, is_scientific, quote_all, scientific_error, split_list};

pub use cdb_connector::records::Email;

/// Parses one e-mail address; a cell with several is an error.
pub fn email(raw: &str, label: &str) -> Result<Email, CellError> {
    let items: Vec<&str> = split_list(raw).collect();
    if items.len() > 1 {
        return Err(CellError::new(
            ErrorCode::SeveralValues,
            format!(
                "{label} « {} » contient {} adresses : une seule est attendue",
                raw.trim(),
                items.len()
            ),
        ));
    }
    parse_email(raw).ok_or_else(|| invalid_email(label, &[raw.trim()]))
}

/// Parses a list of e-mail addresses separated by commas, semicolons, spaces or line breaks.
pub fn email_list(raw: &str, label: &str) -> Result<Vec<Email>, CellError> {
    email_items(raw, label).into_result()
}

/// The addresses of a cell that are valid, and the error naming those that are not.
pub fn email_items(raw: &str, label: &str) -> Items<Email> {
    let mut emails = Vec::new();
    let mut invalid = Vec::new();
    for item in split_list(raw).flat_map(str::split_whitespace) {
        match parse_email(item) {
            Some(email) if !emails.contains(&email) => emails.push(email),
            Some(_) => {}
            None => invalid.push(item),
        }
    }
    Items {
        invalid: (!invalid.is_empty()).then(|| invalid_email(label, &invalid)),
        values: emails,
    }
}

fn invalid_email(label: &str, invalid: &[&str]) -> CellError {
    let message = match invalid {
        [one] => format!("{label} « {one} » n'est pas une adresse électronique valide"),
        _ => format!(
            "{label} contient des adresses électroniques non valides : {}",
            quote_all(invalid.iter().copied())
        ),
    };
    CellError::new(ErrorCode::InvalidEmail, message)
}

/// An address, by the one reading of `cdb_connector`.
fn parse_email(raw: &str) -> Option<Email> {
    Email::parse(raw).ok()
}

/// A French postal code: five digits, not starting with `00`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct PostalCode(String);

impl PostalCode {
    /// The five digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a postal code; four digits get their leading zero back, which Excel removes from
/// a number (`1000` is `01000`, Bourg-en-Bresse), spaces (`75 001`) are ignored.
pub fn postal_code(raw: &str, label: &str) -> Result<PostalCode, CellError> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = if compact.len() == 4 {
        format!("0{compact}")
    } else {
        compact
    };
    if digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with("00")
    {
        Ok(PostalCode(digits))
    } else {
        Err(CellError::new(
            ErrorCode::InvalidPostalCode,
            format!(
                "{label} « {} » n'est pas valide : il doit comporter 5 chiffres",
                raw.trim()
            ),
        ))
    }
}

/// A SIRET: 14 digits whose Luhn key is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Siret(String);

impl Siret {
    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a SIRET, spaces ignored (`123 456 789 00012`).
pub fn siret(raw: &str, label: &str) -> Result<Siret, CellError> {
    let value = raw.trim();
    if is_scientific(value) {
        return Err(scientific_error(label, value));
    }
    let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CellError::new(
            ErrorCode::InvalidSiret,
            format!("{label} « {value} » n'est pas valide : il doit comporter 14 chiffres"),
        ));
    }
    if !siret_key_is_valid(&digits) {
        return Err(CellError::new(
            ErrorCode::InvalidSiret,
            format!("{label} « {value} » n'est pas valide : sa clé de contrôle ne correspond pas"),
        ));
    }
    Ok(Siret(digits))
}

/// Luhn check; La Poste's establishments (SIREN 356000000) may instead have a digit sum
/// multiple of 5.
fn siret_key_is_valid(digits: &str) -> bool {
    let values = digits.bytes().map(|b| u32::from(b - b'0'));
    let la_poste = digits.starts_with("356000000") && values.clone().sum::<u32>().is_multiple_of(5);
    let sum: u32 = values
        .rev()
        .enumerate()
        .map(|(i, d)| match (i % 2 == 1, d * 2) {
            (true, doubled) if doubled > 9 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => d,
        })
        .sum();
    la_poste || sum.is_multiple_of(10)
}

/// A web site address, always with its scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Website(String);

impl Website {
    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a web address; `www.exemple.fr` gets `https://`, as browsers do.
pub fn website(raw: &str, label: &str) -> Result<Website, CellError> {
    let value = raw.trim();
    let lowered = value.to_ascii_lowercase();
    let (scheme, rest) = if lowered.starts_with("https://") {
        ("https://", &value[8..])
    } else if lowered.starts_with("http://") {
        ("http://", &value[7..])
    } else {
        ("https://", value)
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(host, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            host
        } else {
            ""
        }
    });
    let labels: Vec<&str> = host.split('.').collect();
    let valid = !rest.chars().any(char::is_whitespace)
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    if valid {
        Ok(Website(format!("{scheme}{rest}")))
    } else {
        Err(CellError::new(
            ErrorCode::InvalidUrl,
            format!("{label} « {value} » n'est pas une adresse web valide"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            email(" Pierre.Chevalier@Livry-Gargan.fr ", "Le courriel")
                .unwrap()
                .as_str(),
            "pierre.chevalier@livry-gargan.fr"
        );
        assert_eq!(
            email("mailto:a.b@c.fr", "Le courriel").unwrap().as_str(),
            "a.b@c.fr"
        );
        assert_eq!(
            email("<a+tag@c.fr>", "Le courriel").unwrap().as_str(),
            "a+tag@c.fr"
        );
    }

    #[test]
    fn invalid_emails() {
        for value in [
            "jean.dupont",
            "jean@",
            "@x.fr",
            "jean dupont@x.fr",
            "jean@@x.fr",
            "jean@x",
            "jean@x.f",
            "jean@-x.fr",
            "jean..d@x.fr",
            ".jean@x.fr",
            "jean@x..fr",
            "jean@x.12",
        ] {
            let error = email(value, "Le courriel").unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidEmail, "{value}");
        }
        assert_eq!(
            email("jean@", "Le courriel").unwrap_err().message,
            "Le courriel « jean@ » n'est pas une adresse électronique valide"
        );
    }

    #[test]
    fn one_email_only_where_one_is_expected() {
        let error = email("a@b.fr, c@d.fr", "Le courriel").unwrap_err();
        assert_eq!(error.code, ErrorCode::SeveralValues);
        assert_eq!(
            error.message,
            "Le courriel « a@b.fr, c@d.fr » contient 2 adresses : une seule est attendue"
        );
    }

    #[test]
    fn email_lists() {
        let list = email_list("a@b.fr, C@D.fr;e@f.fr\ng@h.fr a@b.fr", "L'accompagnateur").unwrap();
        let texts: Vec<&str> = list.iter().map(Email::as_str).collect();
        assert_eq!(texts, ["a@b.fr", "c@d.fr", "e@f.fr", "g@h.fr"]);
        let error = email_list("a@b.fr, nope, x@", "L'accompagnateur").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidEmail);
        assert_eq!(
            error.message,
            "L'accompagnateur contient des adresses électroniques non valides : « nope », « x@ »"
        );
    }

    #[test]
    fn postal_codes() {
        assert_eq!(
            postal_code("75001", "Le code postal").unwrap().as_str(),
            "75001"
        );
        assert_eq!(
            postal_code(" 75 001 ", "Le code postal").unwrap().as_str(),
            "75001"
        );
        assert_eq!(
            postal_code("1000", "Le code postal").unwrap().as_str(),
            "01000"
        );
        assert_eq!(
            postal_code("97411", "Le code postal").unwrap().as_str(),
            "97411"
        );
        for value in ["00100", "0100", "750011", "7500A", "123", "2A004"] {
            let error = postal_code(value, "Le code postal").unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidPostalCode, "{value}");
        }
        assert_eq!(
            postal_code("750", "Le code postal").unwrap_err().message,
            "Le code postal « 750 » n'est pas valide : il doit comporter 5 chiffres"
        );
    }

    #[test]
    fn sirets() {
        // The DINUM's SIRET, and one of La Poste's establishments.
        assert_eq!(
            siret("130 025 265 00013", "Le SIRET").unwrap().as_str(),
            "13002526500013"
        );
        assert!(siret("35600000000001", "Le SIRET").is_ok());
        let wrong_key = siret("13002526500014", "Le SIRET").unwrap_err();
        assert_eq!(wrong_key.code, ErrorCode::InvalidSiret);
        assert_eq!(
            wrong_key.message,
            "Le SIRET « 13002526500014 » n'est pas valide : sa clé de contrôle ne correspond pas"
        );
        assert_eq!(
            siret("1300252650001", "Le SIRET").unwrap_err().code,
            ErrorCode::InvalidSiret
        );
        // The template's own sample, mangled by Excel.
        assert_eq!(
            siret("1,2E+13", "Le SIRET").unwrap_err().code,
            ErrorCode::ScientificNotation
        );
    }

    #[test]
    fn websites() {
        assert_eq!(
            website("www.livry-gargan.fr", "Le site web")
                .unwrap()
                .as_str(),
            "https://www.livry-gargan.fr"
        );
        assert_eq!(
            website("HTTP://exemple.fr:8080/a?b", "Le site web")
                .unwrap()
                .as_str(),
            "http://exemple.fr:8080/a?b"
        );
        for value in [
            "exemple",
            "http://",
            "www.exemple .fr",
            "ftp:/x",
            "https://x.1",
        ] {
            let error = website(value, "Le site web").unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidUrl, "{value}");
        }
    }
}
