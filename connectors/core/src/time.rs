//! French legal time, in which French sources write their timestamps without an offset.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

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
