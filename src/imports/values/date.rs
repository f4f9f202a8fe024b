//! Dates as agents type them (`25/05/1998`, `25-05-1998`, `1998-05-25`) or as Excel stores
//! them (serial numbers such as `35940`), read by `cdb_connector`'s one parser; this module
//! words the errors.

use cdb_connector::time::{DateError, YEARS, parse_date};
use chrono::NaiveDate;

use super::{CellError, ErrorCode};

/// Parses a date in `dd/mm/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd`, `yyyy/mm/dd` or
/// as an Excel serial number (`cdb_connector`'s one reading); a trailing time is ignored.
pub fn date(raw: &str, label: &str) -> Result<NaiveDate, CellError> {
    let value = raw.trim();
    parse_date(value)
        .map(|(date, _)| date)
        .map_err(|error| match error {
            DateError::Format => CellError::new(
                ErrorCode::InvalidDateFormat,
                format!(
                    "{label} « {value} » n'est pas une date reconnue : écrivez-la sous la forme \
                     jj/mm/aaaa, par exemple 25/05/1998"
                ),
            ),
            DateError::Nonexistent => CellError::new(
                ErrorCode::NonexistentDate,
                format!("{label} « {value} » n'existe pas"),
            ),
            DateError::OutOfRange => CellError::new(
                ErrorCode::DateOutOfRange,
                format!(
                    "{label} « {value} » est en dehors des années {} à {}",
                    YEARS.start(),
                    YEARS.end()
                ),
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: &str = "La date de naissance";

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_three_template_formats() {
        assert_eq!(date("25/05/1998", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("25-05-1998", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("1998-05-25", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date(" 1/2/1982 ", LABEL), Ok(ymd(1982, 2, 1)));
        assert_eq!(date("01.02.1982", LABEL), Ok(ymd(1982, 2, 1)));
    }

    #[test]
    fn excel_serials() {
        assert_eq!(date("35940", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("32874", LABEL), Ok(ymd(1990, 1, 1)));
        assert_eq!(date("32874,75", LABEL), Ok(ymd(1990, 1, 1)));
        assert_eq!(date("32874.5", LABEL), Ok(ymd(1990, 1, 1)));
    }

    #[test]
    fn a_year_first_date_with_slashes_reads_as_the_profiles_read_it() {
        assert_eq!(date("1990/03/12", LABEL), Ok(ymd(1990, 3, 12)));
    }

    #[test]
    fn a_time_of_day_is_ignored() {
        assert_eq!(date("1982-02-01 00:00:00.0", LABEL), Ok(ymd(1982, 2, 1)));
        assert_eq!(date("01/02/1982 08:30", LABEL), Ok(ymd(1982, 2, 1)));
        assert_eq!(date("1982-02-01T00:00:00", LABEL), Ok(ymd(1982, 2, 1)));
    }

    #[test]
    fn nonexistent_dates() {
        let error = date("31/02/1990", LABEL).unwrap_err();
        assert_eq!(error.code, ErrorCode::NonexistentDate);
        assert_eq!(
            error.message,
            "La date de naissance « 31/02/1990 » n'existe pas"
        );
        assert_eq!(
            date("29/02/2023", LABEL).unwrap_err().code,
            ErrorCode::NonexistentDate
        );
        assert_eq!(date("29/02/2024", LABEL), Ok(ymd(2024, 2, 29)));
        assert_eq!(
            date("12/13/1990", LABEL).unwrap_err().code,
            ErrorCode::NonexistentDate
        );
    }

    #[test]
    fn unknown_formats() {
        for value in [
            "1990",
            "12/03/90",
            "12 mars 1990",
            "12/03",
            "abc",
            "-",
            "1/2/3/4",
            "123456",
            "9999",
            "25/05/1998 midi",
            "+3594",
        ] {
            let error = date(value, LABEL).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidDateFormat, "{value}");
        }
        assert_eq!(
            date("12 mars 1990", LABEL).unwrap_err().message,
            "La date de naissance « 12 mars 1990 » n'est pas une date reconnue : écrivez-la \
             sous la forme jj/mm/aaaa, par exemple 25/05/1998"
        );
    }

    #[test]
    fn out_of_range_years() {
        let error = date("12/03/1789", LABEL).unwrap_err();
        assert_eq!(error.code, ErrorCode::DateOutOfRange);
        assert_eq!(
            error.message,
            "La date de naissance « 12/03/1789 » est en dehors des années 1900 à 2100"
        );
        assert_eq!(
            date("0000-01-01", LABEL).unwrap_err().code,
            ErrorCode::DateOutOfRange
        );
    }
}
