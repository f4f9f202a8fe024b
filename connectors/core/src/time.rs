//! Dates as people and exports write them, and French legal time, in which French sources
//! write their timestamps without an offset. The one reading of a date for the templates,
//! the départements' profiles and the API.

use std::ops::RangeInclusive;

use chrono::{
    DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};

/// Years accepted: beyond them a date is a typing error, not a birth, contract or extraction date.
pub const YEARS: RangeInclusive<i32> = 1900..=2100;

/// Excel serials accepted: five digits (1927-05-18 to 2173-10-14). A shorter number is far
/// more likely a year or a typo (« 1990 » would otherwise read as 1905-06-12).
const SERIALS: RangeInclusive<u64> = 10_000..=99_999;

/// Why a text is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not a shape of date we read.
    #[error("not a date: dd/mm/yyyy, yyyy-mm-dd or an Excel serial expected")]
    Format,
    /// A date shape naming no day (`31/02/1990`).
    #[error("no such day")]
    Nonexistent,
    /// A year outside 1900 to 2100.
    #[error("the year is outside 1900 to 2100")]
    OutOfRange,
}

/// Parses a date written `dd/mm/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd`,
/// `yyyy/mm/dd`, or an Excel serial, with the time of day that may follow it (`08:30`,
/// `00:00:00.0`, `T00:00:00`).
pub fn parse_date(text: &str) -> Result<(NaiveDate, Option<NaiveTime>), DateError> {
    let value = text.trim();
    let (day_part, time) = split_time(value);
    if let Some(serial) = excel_serial(day_part) {
        let date = NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_days(Days::new(serial)))
            .ok_or(DateError::Format)?;
        return Ok((date, time));
    }
    let (year, month, day) = split_date(day_part).ok_or(DateError::Format)?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::Nonexistent)?;
    if !YEARS.contains(&year) {
        return Err(DateError::OutOfRange);
    }
    Ok((date, time))
}

/// Parses an ISO date (`yyyy-mm-dd`, as the API writes dates) within [`YEARS`].
pub fn parse_iso_date(text: &str) -> Result<NaiveDate, DateError> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| DateError::Format)?;
    if YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange)
    }
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

/// Converts a metropolitan-France wall-clock time (Europe/Paris) to UTC.
///
/// Sources such as the CAF flux write local times without an offset. The EU rule applies
/// (summer time from the last Sunday of March, 01:00 UTC, to the last Sunday of October,
/// 01:00 UTC). A time in the skipped spring hour, which no clock showed, is read as summer
/// time; a time in the repeated autumn hour is read as its first (summer-time) occurrence.
pub fn paris_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let year = local.year();
    let summer_start = last_sunday(year, 3).and_hms_opt(1, 0, 0);
    let summer_end = last_sunday(year, 10).and_hms_opt(1, 0, 0);
    let as_winter = local - Duration::hours(1);
    let as_summer = local - Duration::hours(2);
    let summer = match (summer_start, summer_end) {
        (Some(start), Some(end)) => as_winter >= start && as_summer < end,
        _ => false,
    };
    Utc.from_utc_datetime(&if summer { as_summer } else { as_winter })
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let last_day = next_month
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MIN);
    let back = last_day.weekday().num_days_from_sunday();
    last_day - Duration::days(i64::from(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_in_every_written_form() {
        for text in [
            "25/05/1998",
            "25-05-1998",
            "25.05.1998",
            "1998-05-25",
            "1998/05/25",
            "35940",
            "35940,5",
        ] {
            assert_eq!(
                parse_date(text).map(|(d, _)| d),
                Ok(ymd(1998, 5, 25)),
                "{text}"
            );
        }
        assert_eq!(
            parse_date("01/02/1982 08:30"),
            Ok((ymd(1982, 2, 1), NaiveTime::from_hms_opt(8, 30, 0)))
        );
        assert_eq!(parse_date("31/02/1990"), Err(DateError::Nonexistent));
        assert_eq!(parse_date("12/03/1789"), Err(DateError::OutOfRange));
        for text in [
            "1990",
            "12/03/90",
            "12 mars 1990",
            "25/05/1998 midi",
            "1998-05-25 25:00",
            "",
        ] {
            assert_eq!(parse_date(text), Err(DateError::Format), "{text}");
        }
        assert_eq!(parse_iso_date("1998-05-25"), Ok(ymd(1998, 5, 25)));
        assert_eq!(parse_iso_date("1789-07-14"), Err(DateError::OutOfRange));
        assert_eq!(parse_iso_date("25/05/1998"), Err(DateError::Format));
    }

    proptest::proptest! {
        #[test]
        fn every_form_of_a_day_reads_as_that_day(days in 0i64..73_000) {
            let day = ymd(1900, 1, 1) + Duration::days(days);
            for text in [
                day.format("%d/%m/%Y").to_string(),
                day.format("%d-%m-%Y").to_string(),
                day.format("%Y-%m-%d").to_string(),
                day.format("%Y/%m/%d").to_string(),
                day.format("%Y-%m-%d 00:00:00").to_string(),
            ] {
                proptest::prop_assert_eq!(parse_date(&text).map(|(d, _)| d), Ok(day));
            }
            proptest::prop_assert_eq!(parse_iso_date(&day.format("%Y-%m-%d").to_string()), Ok(day));
        }
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(&local(text))
    }

    #[test]
    fn winter_is_one_hour_ahead_and_summer_two() {
        assert_eq!(
            paris_to_utc(local("2022-03-05 01:18:36")),
            utc("2022-03-05 00:18:36")
        );
        assert_eq!(
            paris_to_utc(local("2022-07-14 12:00:00")),
            utc("2022-07-14 10:00:00")
        );
    }

    #[test]
    fn the_switch_days_follow_the_eu_rule() {
        // 2024: summer time from 31 March 02:00 local to 27 October 03:00 local.
        assert_eq!(
            last_sunday(2024, 3),
            NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()
        );
        assert_eq!(
            last_sunday(2024, 10),
            NaiveDate::from_ymd_opt(2024, 10, 27).unwrap()
        );
        assert_eq!(
            paris_to_utc(local("2024-03-31 01:59:59")),
            utc("2024-03-31 00:59:59")
        );
        assert_eq!(
            paris_to_utc(local("2024-03-31 03:00:00")),
            utc("2024-03-31 01:00:00")
        );
        assert_eq!(
            paris_to_utc(local("2024-10-27 02:30:00")),
            utc("2024-10-27 00:30:00")
        );
        assert_eq!(
            paris_to_utc(local("2024-10-27 03:00:00")),
            utc("2024-10-27 02:00:00")
        );
        assert_eq!(
            last_sunday(2023, 12),
            NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()
        );
    }
}
