//! How to reach a person: phones and email.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a text is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneNumberError {
    /// Fewer than 6 or more than 15 digits.
    #[error("a phone number has 6 to 15 digits, not {0}")]
    Length(usize),
    /// A character other than digits, spaces, dots, dashes, brackets and a leading `+`.
    #[error("a phone number holds only digits, separators and a leading +")]
    Character,
}

/// A phone number with its separators removed (`+33 6 12…` → `+33612…`, `06.12…` → `0612…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number written with usual separators; a leading `+` is kept.
    pub fn parse(text: &str) -> Result<Self, PhoneNumberError> {
        let trimmed = text.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        let mut digits = String::with_capacity(rest.len() + 1);
        digits.push_str(plus);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' | '/' => {}
                _ => return Err(PhoneNumberError::Character),
            }
        }
        let count = digits.len() - plus.len();
        if !(6..=15).contains(&count) {
            return Err(PhoneNumberError::Length(count));
        }
        Ok(Self(digits))
    }

    /// The compact number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
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
#[error("not an email address: one @ between non-empty parts, no spaces")]
pub struct EmailError;

/// An email address, trimmed; checked as the hub's database checks it (one `@`, no spaces).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses `local@domain` with non-empty parts and no whitespace.
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let trimmed = text.trim();
        let mut parts = trimmed.split('@');
        let valid = match (parts.next(), parts.next(), parts.next()) {
            (Some(local), Some(domain), None) => !local.is_empty() && !domain.is_empty(),
            _ => false,
        };
        if !valid || trimmed.chars().any(char::is_whitespace) {
            return Err(EmailError);
        }
        Ok(Self(trimmed.to_owned()))
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
    fn phones_lose_their_separators() {
        assert_eq!(
            PhoneNumber::parse("06.12.34.56.78").unwrap().as_str(),
            "0612345678"
        );
        assert_eq!(
            PhoneNumber::parse(" +33 6 12 34 56 78").unwrap().as_str(),
            "+33612345678"
        );
        assert_eq!(
            PhoneNumber::parse("698943255").unwrap().as_str(),
            "698943255"
        );
        assert_eq!(
            PhoneNumber::parse("12 34"),
            Err(PhoneNumberError::Length(4))
        );
        assert_eq!(
            PhoneNumber::parse("06 12 ab"),
            Err(PhoneNumberError::Character)
        );
        assert_eq!(PhoneNumber::parse("+"), Err(PhoneNumberError::Length(0)));
    }

    #[test]
    fn emails_need_one_at_and_no_spaces() {
        assert_eq!(Email::parse(" a@b.fr ").unwrap().as_str(), "a@b.fr");
        assert_eq!(Email::parse("a@@b"), Err(EmailError));
        assert_eq!(Email::parse("a b@c"), Err(EmailError));
        assert_eq!(Email::parse("@c"), Err(EmailError));
        assert_eq!(
            format!("{:?}", Email::parse("jean@ex.fr").unwrap()),
            "Email(***@ex.fr)"
        );
    }
}
