//! Dates as exports write them (`25/05/1998`, `1998-05-25`, Excel serials such as `35940`),
//! and the extraction timestamps of exports (`2024-03-05 01:18:36`, French legal time).

use cdb_connector::time::{DateError, YEARS, paris_to_utc, parse_date};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::error::{ErrorCode, Invalid};

/// Parses a date written `dd/mm/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd`, or an
/// Excel serial; a time of day after it (`00:00:00`, as exports add) is ignored.
pub(crate) fn date(raw: &str, label: &str) -> Result<NaiveDate, Invalid> {
    date_and_time(raw, label).map(|(date, _)| date)
}

/// Parses an extraction date or timestamp, read as French legal time; a bare date is midnight.
pub(crate) fn timestamp(raw: &str, label: &str) -> Result<DateTime<Utc>, Invalid> {
    let (date, time) = date_and_time(raw, label)?;
    Ok(paris_to_utc(date.and_time(time.unwrap_or(NaiveTime::MIN))))
}

fn date_and_time(raw: &str, label: &str) -> Result<(NaiveDate, Option<NaiveTime>), Invalid> {
    let value = raw.trim();
    parse_date(value).map_err(|error| match error {
        DateError::Format => Invalid::new(
            ErrorCode::InvalidDateFormat,
            format!(
                "{label} « {value} » n'est pas une date reconnue : jj/mm/aaaa ou aaaa-mm-jj \
                 attendu, par exemple 25/05/1998"
            ),
        ),
        DateError::Nonexistent => Invalid::new(
            ErrorCode::NonexistentDate,
            format!("{label} « {value} » n'existe pas"),
        ),
        DateError::OutOfRange => Invalid::new(
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
    use chrono::TimeZone;

    use super::*;

    const LABEL: &str = "La date de naissance";

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn french_and_iso_dates() {
        assert_eq!(date("25/05/1998", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("25-05-1998", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("25.05.1998", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("1998-05-25", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("1998/05/25", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date(" 1/2/1982 ", LABEL), Ok(ymd(1982, 2, 1)));
    }

    #[test]
    fn excel_serials_and_times_of_day() {
        assert_eq!(date("35940", LABEL), Ok(ymd(1998, 5, 25)));
        assert_eq!(date("32874,75", LABEL), Ok(ymd(1990, 1, 1)));
        assert_eq!(date("1982-02-01 00:00:00.0", LABEL), Ok(ymd(1982, 2, 1)));
        assert_eq!(date("1982-02-01T08:30:00", LABEL), Ok(ymd(1982, 2, 1)));
        assert_eq!(date("01/02/1982 08:30", LABEL), Ok(ymd(1982, 2, 1)));
    }

    #[test]
    fn a_date_that_is_not_in_the_calendar() {
        let error = date("31/02/1990", LABEL).unwrap_err();
        assert_eq!(error.code, ErrorCode::NonexistentDate);
        assert_eq!(
            error.message,
            "La date de naissance « 31/02/1990 » n'existe pas"
        );
        assert_eq!(date("29/02/2024", LABEL), Ok(ymd(2024, 2, 29)));
        assert_eq!(
            date("29/02/2023", LABEL).unwrap_err().code,
            ErrorCode::NonexistentDate
        );
    }

    #[test]
    fn what_is_not_a_date() {
        for value in [
            "1990",
            "12/03/90",
            "12 mars 1990",
            "abc",
            "-",
            "1/2/3/4",
            "123456",
            "25/05/1998 midi",
            "+3594",
            "1998-05-25 25:00",
        ] {
            assert_eq!(
                date(value, LABEL).unwrap_err().code,
                ErrorCode::InvalidDateFormat,
                "{value}"
            );
        }
        let error = date("12/03/1789", LABEL).unwrap_err();
        assert_eq!(error.code, ErrorCode::DateOutOfRange);
        assert_eq!(
            error.message,
            "La date de naissance « 12/03/1789 » est en dehors des années 1900 à 2100"
        );
    }

    #[test]
    fn extraction_timestamps_are_french_legal_time() {
        assert_eq!(
            timestamp("2024-03-05 01:18:36", "La date d'extraction"),
            Ok(Utc.with_ymd_and_hms(2024, 3, 5, 0, 18, 36).unwrap())
        );
        assert_eq!(
            timestamp("05/07/2024", "La date d'extraction"),
            Ok(Utc.with_ymd_and_hms(2024, 7, 4, 22, 0, 0).unwrap())
        );
        assert_eq!(
            timestamp("2024-07-05 12:00:00.123456", "La date d'extraction"),
            Ok(Utc.with_ymd_and_hms(2024, 7, 5, 10, 0, 0).unwrap())
        );
    }
}
