//! Dates as agents type them (`25/05/1998`, `25-05-1998`, `1998-05-25`) or as Excel stores
//! them (serial numbers such as `35940`), possibly followed by a time of day.

use chrono::{Days, NaiveDate};

use super::{CellError, ErrorCode};

/// Years accepted: beyond them a date is a typing error, not a birth or contract date.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Excel serials accepted: five digits, 1927-05-18 to 2173-10-14. Shorter numbers are far
/// more likely a year or a typo ("1990" would otherwise be read as 1905-06-12).
const SERIALS: std::ops::RangeInclusive<u64> = 10_000..=99_999;

/// Parses a date in `dd/mm/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd` or as an Excel
/// serial number; a trailing time (`00:00:00`, as exports add) is ignored.
pub fn date(raw: &str, label: &str) -> Result<NaiveDate, CellError> {
    let value = raw.trim();
    let day_part = strip_time(value);
    let format_error = || {
        CellError::new(
            ErrorCode::InvalidDateFormat,
            format!(
                "{label} « {value} » n'est pas une date reconnue : écrivez-la sous la forme \
                 jj/mm/aaaa, par exemple 25/05/1998"
            ),
        )
    };
    if let Some(serial) = excel_serial(day_part) {
        return NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_days(Days::new(serial)))
            .ok_or_else(format_error);
    }
    let (year, month, day) = split_date(day_part).ok_or_else(format_error)?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        CellError::new(
            ErrorCode::NonexistentDate,
            format!("{label} « {value} » n'existe pas"),
        )
    })?;
    if !YEARS.contains(&year) {
        return Err(CellError::new(
            ErrorCode::DateOutOfRange,
            format!(
                "{label} « {value} » est en dehors des années {} à {}",
                YEARS.start(),
                YEARS.end()
            ),
        ));
    }
    Ok(date)
}

/// Drops a ` hh:mm[:ss[.f]]` or `Thh:mm:ss` suffix.
fn strip_time(value: &str) -> &str {
    match value.split_once([' ', 'T']) {
        Some((day, time)) if is_time(time.trim()) => day.trim_end(),
        _ => value,
    }
}

fn is_time(text: &str) -> bool {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let parts: Vec<&str> = clock.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|part| (1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// The day count of an Excel serial (`35940`, `35940,5`), if the text is one.
fn excel_serial(value: &str) -> Option<u64> {
    let (whole, fraction) = value.split_once([',', '.']).unwrap_or((value, "0"));
    if whole.is_empty()
        || fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    whole.parse().ok().filter(|serial| SERIALS.contains(serial))
}

/// Year, month and day of a date written with `/`, `-` or `.`, if it has that shape.
fn split_date(value: &str) -> Option<(i32, u32, u32)> {
    let separator = value.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = value.split(separator).collect();
    let [first, second, third] = parts.as_slice() else {
        return None;
    };
    let numeric = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    if separator == '-' && first.len() == 4 {
        let year = numeric(first, 4..=4)?;
        return Some((
            i32::try_from(year).ok()?,
            numeric(second, 1..=2)?,
            numeric(third, 1..=2)?,
        ));
    }
    let year = numeric(third, 4..=4)?;
    Some((
        i32::try_from(year).ok()?,
        numeric(second, 1..=2)?,
        numeric(first, 1..=2)?,
    ))
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
            "1990/03/12",
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
