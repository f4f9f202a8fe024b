//! How to reach a person: phones and email.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a text is not a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "not a phone number: a French number of 10 digits or an international one (+ and 8 to 15 digits)"
)]
pub struct PhoneNumberError;

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

/// A phone number in E.164 form (`06 01 23 45 67` → `+33601234567`), as the 2024 service
/// stored them, overseas départements with their own country code (`0692…` → `+262692…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses one number as people and exports write it: spaces, dots, dashes, brackets and
    /// non-breaking spaces between digits, `+33 (0)6…`, `0033…`, `33…`, and the 9 digits a
    /// spreadsheet's number cell or the CNAF file leave when they drop the leading zero.
    pub fn parse(text: &str) -> Result<Self, PhoneNumberError> {
        let text = text.trim().replace("(0)", "");
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let separator = |c: char| matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}' | '\u{202f}');
        if !rest.chars().all(|c| c.is_ascii_digit() || separator(c)) {
            return Err(PhoneNumberError);
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
                None if (8..=15).contains(&international.len())
                    && !international.starts_with('0') =>
                {
                    Ok(Self(format!("+{international}")))
                }
                None => Err(PhoneNumberError),
            };
        }
        match digits.len() {
            10 => french(digits.strip_prefix('0').ok_or(PhoneNumberError)?),
            9 => french(&digits),
            11 => french(digits.strip_prefix("33").ok_or(PhoneNumberError)?),
            _ => Err(PhoneNumberError),
        }
    }

    /// The number: `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The E.164 form of a 9-digit French national number (without its leading 0).
fn french(national: &str) -> Result<PhoneNumber, PhoneNumberError> {
    let valid = national.len() == 9
        && national.bytes().all(|b| b.is_ascii_digit())
        && !national.starts_with('0');
    if !valid {
        return Err(PhoneNumberError);
    }
    let prefix = format!("0{}", &national[..3]);
    let country = OVERSEAS
        .iter()
        .find(|(overseas, _)| *overseas == prefix)
        .map_or("33", |(_, country)| *country);
    Ok(PhoneNumber(format!("+{country}{national}")))
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneNumberError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> Self {
        phone.0
    }
}

/// Why a text is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not an email address: local@domain.tld, without spaces")]
pub struct EmailError;

/// An email address (courriel), lowercased: accounts and matching ignore case.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address with a pragmatic check (what people mistype: spaces, a missing or
    /// doubled `@`, no domain extension), not the whole RFC 5322; `mailto:` and `<…>` are
    /// removed.
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let mut value = text.trim();
        if let Some(prefix) = value.get(..7)
            && prefix.eq_ignore_ascii_case("mailto:")
        {
            value = &value[7..];
        }
        let value = value
            .strip_prefix('<')
            .and_then(|v| v.strip_suffix('>'))
            .unwrap_or(value);
        let (local, domain) = value.split_once('@').ok_or(EmailError)?;
        let local_ok = (1..=64).contains(&local.len())
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=63).contains(&label.chars().count())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic)
            });
        if local_ok && domain_ok {
            Ok(Self(value.to_lowercase()))
        } else {
            Err(EmailError)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Emails are personal data: debug output shows only the domain.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.split('@').nth(1).unwrap_or_default();
        write!(f, "Email(***@{domain})")
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

/// Contact details (coordonnées).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Phone numbers, the preferred one first.
    pub phones: Vec<PhoneNumber>,
    /// Email address.
    pub email: Option<Email>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_read_into_e164() {
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
            assert_eq!(
                PhoneNumber::parse(raw).unwrap().as_str(),
                "+33601234567",
                "{raw}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("0692 12 34 56").unwrap().as_str(),
            "+262692123456"
        );
        assert_eq!(
            PhoneNumber::parse("0032 470 12 34 56").unwrap().as_str(),
            "+32470123456"
        );
        for raw in [
            "12 34",
            "06 12 ab",
            "+",
            "0001234567",
            "06012345678",
            "+1234",
            "0000000000",
        ] {
            assert_eq!(PhoneNumber::parse(raw), Err(PhoneNumberError), "{raw}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_parsed_phone_reads_back_as_itself(raw in "[+]?[0-9 .()-]{0,20}") {
            if let Ok(phone) = PhoneNumber::parse(&raw) {
                proptest::prop_assert_eq!(PhoneNumber::parse(phone.as_str()), Ok(phone.clone()));
                proptest::prop_assert!(phone.as_str().starts_with('+'));
            }
        }

        #[test]
        fn a_parsed_email_reads_back_as_itself(raw in "\\PC{0,30}") {
            if let Ok(email) = Email::parse(&raw) {
                proptest::prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            }
        }
    }

    #[test]
    fn emails_need_one_at_and_no_spaces() {
        assert_eq!(Email::parse(" A@B.fr ").unwrap().as_str(), "a@b.fr");
        assert_eq!(
            Email::parse("mailto:<jean@ex.fr>").unwrap().as_str(),
            "jean@ex.fr"
        );
        assert_eq!(Email::parse("a@@b.fr"), Err(EmailError));
        assert_eq!(Email::parse("a@b"), Err(EmailError));
        assert_eq!(Email::parse("jean..d@x.fr"), Err(EmailError));
        assert_eq!(Email::parse("a b@c"), Err(EmailError));
        assert_eq!(Email::parse("@c"), Err(EmailError));
        assert_eq!(
            format!("{:?}", Email::parse("jean@ex.fr").unwrap()),
            "Email(***@ex.fr)"
        );
    }
}
