//! Dates as exports write them (`25/05/1998`, `1998-05-25`, Excel serials such as `35940`),
//! and the extraction timestamps of exports (`2024-03-05 01:18:36`, French legal time).

use std::ops::RangeInclusive;

use cdb_connector::time::paris_to_utc;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use crate::error::{ErrorCode, Invalid};

/// Years accepted: beyond them a date is a typing error, not a birth or extraction date.
const YEARS: RangeInclusive<i32> = 1900..=2100;

/// Excel serials accepted: five digits (1927-05-18 to 2173-10-14). A shorter number is far
/// more likely a year or a typo (« 1990 » would otherwise read as 1905-06-12).
const SERIALS: RangeInclusive<u64> = 10_000..=99_999;

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
    let unknown = || {
        Invalid::new(
            ErrorCode::InvalidDateFormat,
            format!(
                "{label} « {value} » n'est pas une date reconnue : jj/mm/aaaa ou aaaa-mm-jj \
                 attendu, par exemple 25/05/1998"
            ),
        )
    };
    let (day_part, time) = split_time(value);
    if let Some(serial) = excel_serial(day_part) {
        let date = NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_days(Days::new(serial)))
            .ok_or_else(unknown)?;
        return Ok((date, time));
    }
    let (year, month, day) = split_date(day_part).ok_or_else(unknown)?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        Invalid::new(
            ErrorCode::NonexistentDate,
            format!("{label} « {value} » n'existe pas"),
        )
    })?;
    if !YEARS.contains(&year) {
        return Err(Invalid::new(
            ErrorCode::DateOutOfRange,
            format!(
                "{label} « {value} » est en dehors des années {} à {}",
                YEARS.start(),
                YEARS.end()
            ),
        ));
    }
    Ok((date, time))
}

/// The day part and the time of a `day time` or `dayTtime` text, if a valid time follows.
fn split_time(value: &str) -> (&str, Option<NaiveTime>) {
    match value.split_once([' ', 'T']) {
        Some((day, rest)) => match time(rest.trim()) {
            Some(time) => (day.trim_end(), Some(time)),
            None => (value, None),
        },
        None => (value, None),
    }
}

/// `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fff` (any fraction length).
fn time(text: &str) -> Option<NaiveTime> {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, "0"));
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<u32> = clock
        .split(':')
        .map(|part| {
            ((1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [hour, minute] => NaiveTime::from_hms_opt(*hour, *minute, 0),
        [hour, minute, second] => NaiveTime::from_hms_opt(*hour, *minute, *second),
        _ => None,
    }
}

/// The day count of an Excel serial (`35940`, `35940,5`), if the text is one.
fn excel_serial(value: &str) -> Option<u64> {
    let (whole, fraction) = value.split_once([',', '.']).unwrap_or((value, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    whole.parse().ok().filter(|serial| SERIALS.contains(serial))
}

/// Year, month and day of `dd/mm/yyyy` (also `-` or `.`) or `yyyy-mm-dd` (also `/`).
fn split_date(value: &str) -> Option<(i32, u32, u32)> {
    let separator = value.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = value.split(separator).collect();
    let [first, second, third] = parts.as_slice() else {
        return None;
    };
    let number = |part: &str, lengths: RangeInclusive<usize>| {
        (lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    let (year, month, day) = if first.len() == 4 {
        (
            number(first, 4..=4)?,
            number(second, 1..=2)?,
            number(third, 1..=2)?,
        )
    } else {
        (
            number(third, 4..=4)?,
            number(second, 1..=2)?,
            number(first, 1..=2)?,
        )
    };
    Some((i32::try_from(year).ok()?, month, day))
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
