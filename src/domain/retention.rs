//! Retention rules: how long a deployment keeps a person who no longer comes, and the files it
//! received; when the managers are told, and when a person is purged.
//!
//! The original service's privacy policy keeps a person's data « 2 ans à compter du dernier
//! contact émanant de la personne »: the default. Received files hold whole lists of NIRs and
//! serve only to apply and check an import or a flux: 90 days once applied.

use chrono::{DateTime, Days, NaiveDate, Utc};

/// Default days a person is kept after their last activity (2 years).
pub const DEFAULT_PERSON_INACTIVITY_DAYS: i32 = 730;
/// Default days a received file or raw payload is kept once applied.
pub const DEFAULT_FILE_DAYS: i32 = 90;
/// Shortest and longest person retention a deployment may set, in days.
pub const PERSON_INACTIVITY_DAYS: std::ops::RangeInclusive<i32> = 180..=3650;
/// Shortest and longest file retention a deployment may set, in days.
pub const FILE_DAYS: std::ops::RangeInclusive<i32> = 7..=730;
/// Days between the managers' notice and the purge, at least.
pub const NOTICE_DAYS: u64 = 30;
/// Longest postponement, in days from today (5 years).
pub const MAX_POSTPONEMENT_DAYS: u64 = 1826;

/// A deployment's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Days a person is kept after their last activity.
    pub person_inactivity_days: i32,
    /// Days a received file or raw payload is kept once applied.
    pub file_days: i32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            person_inactivity_days: DEFAULT_PERSON_INACTIVITY_DAYS,
            file_days: DEFAULT_FILE_DAYS,
        }
    }
}

/// Why retention settings or a postponement are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    /// The person retention is out of bounds.
    #[error("person_inactivity_days must be between 180 and 3650, not {0}.")]
    PersonDays(i32),
    /// The file retention is out of bounds.
    #[error("file_days must be between 7 and 730, not {0}.")]
    FileDays(i32),
    /// A sweep runs as of now or a past instant, never a future one.
    #[error(
        "a sweep runs as of now or a past instant, not {0}: a future day would purge people before theirs."
    )]
    FutureSweep(DateTime<Utc>),
    /// A postponement must end after today and within 5 years.
    #[error("until must be after {today} and no later than {latest}.")]
    Until {
        /// Today.
        today: NaiveDate,
        /// The latest date accepted.
        latest: NaiveDate,
    },
}

impl RetentionSettings {
    /// Settings within the bounds.
    pub fn new(person_inactivity_days: i32, file_days: i32) -> Result<Self, RetentionError> {
        if !PERSON_INACTIVITY_DAYS.contains(&person_inactivity_days) {
            return Err(RetentionError::PersonDays(person_inactivity_days));
        }
        if !FILE_DAYS.contains(&file_days) {
            return Err(RetentionError::FileDays(file_days));
        }
        Ok(RetentionSettings {
            person_inactivity_days,
            file_days,
        })
    }
}

/// The day the managers are told about people due up to then: today plus the notice period.
pub fn notice_horizon(as_of: DateTime<Utc>) -> NaiveDate {
    as_of.date_naive() + Days::new(NOTICE_DAYS)
}

/// The day a person due on `due_on` is purged: not before the notice period has run since the
/// managers were told; never when they were not.
pub fn purge_on(due_on: NaiveDate, noticed_at: Option<DateTime<Utc>>) -> Option<NaiveDate> {
    noticed_at.map(|noticed| due_on.max(noticed.date_naive() + Days::new(NOTICE_DAYS)))
}

/// The instant a sweep runs as: now, or a past instant (to catch up a missed night); a future
/// one is refused (up to 5 minutes of clock skew between machines aside), since it would purge
/// people before their day.
pub fn sweep_instant(
    asked: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, RetentionError> {
    match asked {
        None => Ok(now),
        Some(at) if at <= now + chrono::Duration::minutes(5) => Ok(at),
        Some(at) => Err(RetentionError::FutureSweep(at)),
    }
}

/// A postponement's end, checked against today.
pub fn postponement_until(until: NaiveDate, today: NaiveDate) -> Result<NaiveDate, RetentionError> {
    let latest = today + Days::new(MAX_POSTPONEMENT_DAYS);
    if until <= today || until > latest {
        return Err(RetentionError::Until { today, latest });
    }
    Ok(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn settings_stay_within_their_bounds() {
        assert_eq!(
            RetentionSettings::new(730, 90).unwrap(),
            RetentionSettings::default()
        );
        assert_eq!(
            RetentionSettings::new(179, 90),
            Err(RetentionError::PersonDays(179))
        );
        assert_eq!(
            RetentionSettings::new(3651, 90),
            Err(RetentionError::PersonDays(3651))
        );
        assert_eq!(
            RetentionSettings::new(730, 6),
            Err(RetentionError::FileDays(6))
        );
        assert!(RetentionSettings::new(180, 730).is_ok());
    }

    #[test]
    fn nobody_is_purged_without_a_full_notice() {
        let due = day(2028, 12, 10);
        assert_eq!(purge_on(due, None), None, "never without a notice");
        let early = Utc.with_ymd_and_hms(2028, 11, 1, 3, 0, 0).unwrap();
        assert_eq!(
            purge_on(due, Some(early)),
            Some(due),
            "told in time: on the day"
        );
        let late = Utc.with_ymd_and_hms(2028, 12, 5, 3, 0, 0).unwrap();
        assert_eq!(
            purge_on(due, Some(late)),
            Some(day(2029, 1, 4)),
            "told late: 30 days after the notice"
        );
    }

    #[test]
    fn a_postponement_ends_after_today_and_within_five_years() {
        let today = day(2026, 12, 7);
        assert!(postponement_until(today, today).is_err());
        assert_eq!(
            postponement_until(day(2027, 6, 1), today),
            Ok(day(2027, 6, 1))
        );
        assert!(postponement_until(day(2031, 12, 7), today).is_ok());
        assert!(postponement_until(day(2031, 12, 8), today).is_err());
    }

    #[test]
    fn a_sweep_never_runs_as_of_a_future_day() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 3, 0, 0).unwrap();
        assert_eq!(sweep_instant(None, now), Ok(now));
        let yesterday = now - chrono::Duration::days(1);
        assert_eq!(sweep_instant(Some(yesterday), now), Ok(yesterday));
        let tomorrow = now + chrono::Duration::days(1);
        assert_eq!(
            sweep_instant(Some(tomorrow), now),
            Err(RetentionError::FutureSweep(tomorrow))
        );
    }

    #[test]
    fn the_horizon_is_a_month_ahead() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 23, 59, 0).unwrap();
        assert_eq!(notice_horizon(now), day(2027, 1, 6));
    }
}
