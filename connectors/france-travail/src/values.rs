//! Reading France Travail's loosely typed values: blanks and literal nulls, dates with or
//! without a time, civilities.

use cdb_connector::Nir;
use cdb_connector::records::{Sex, Title};
use chrono::NaiveDate;

/// Trimmed text, or `None` for blanks and the null markers FT writes as text (`NULL`,
/// `null`, `_`).
pub(crate) fn text(value: Option<&str>) -> Option<String> {
    let trimmed = value?.trim();
    match trimmed {
        "" | "NULL" | "null" | "_" => None,
        _ => Some(trimmed.to_owned()),
    }
}

/// A date written `YYYY-MM-DD`, optionally followed by a time (`2022-12-08T23:00:00.000+00:00`,
/// `2021-05-17 14:47:11.0`), or `DD/MM/YYYY`. The date is taken as written.
pub(crate) fn date(value: &str) -> Option<NaiveDate> {
    let value = value.trim();
    let head = value.get(..10)?;
    let rest = &value[10..];
    if !(rest.is_empty() || rest.starts_with(['T', ' '])) {
        return None;
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(head, "%d/%m/%Y"))
        .ok()
}

/// An optional date: blank or null is `None`, unreadable is `None` too (API payloads, where
/// a bad optional date must not cost the whole record).
pub(crate) fn optional_date(value: Option<&str>) -> Option<NaiveDate> {
    text(value).as_deref().and_then(date)
}

/// A civility (`M.`, `MME`, `Monsieur`…).
pub(crate) fn title(value: &str) -> Option<Title> {
    let upper = value.trim().trim_end_matches('.').to_uppercase();
    match upper.as_str() {
        "M" | "MR" | "MONSIEUR" => Some(Title::Mr),
        "MME" | "MLLE" | "MADAME" | "MADEMOISELLE" => Some(Title::Mrs),
        _ => None,
    }
}

/// The sex the NIR's first digit encodes.
pub(crate) fn sex_of(nir: &Nir) -> Option<Sex> {
    match nir.as_str().as_bytes().first() {
        Some(b'1') => Some(Sex::Male),
        Some(b'2') => Some(Sex::Female),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_blanks_are_nothing() {
        assert_eq!(text(Some(" NULL ")), None);
        assert_eq!(text(Some("_")), None);
        assert_eq!(text(None), None);
        assert_eq!(text(Some(" DOE ")).as_deref(), Some("DOE"));
    }

    #[test]
    fn dates_come_in_several_shapes() {
        let day = NaiveDate::from_ymd_opt(2021, 5, 17).unwrap();
        assert_eq!(date("2021-05-17"), Some(day));
        assert_eq!(date("2021-05-17 14:47:11.0"), Some(day));
        assert_eq!(date("2021-05-17T14:47:11.000+00:00"), Some(day));
        assert_eq!(date("17/05/2021"), Some(day));
        assert_eq!(date("2021-05-17x"), None);
        assert_eq!(date("2021-02-30"), None);
        assert_eq!(date("été"), None);
        assert_eq!(optional_date(Some("NULL")), None);
    }

    #[test]
    fn civilities_and_sex() {
        assert_eq!(title("M."), Some(Title::Mr));
        assert_eq!(title("Mme"), Some(Title::Mrs));
        assert_eq!(title("Dr"), None);
        assert_eq!(
            sex_of(&Nir::parse("1041174010081").unwrap()),
            Some(Sex::Male)
        );
    }
}
