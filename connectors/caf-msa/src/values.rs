//! Lexical checks of the schema's simple types, turning text into typed values.

use chrono::{NaiveDate, NaiveTime};

use crate::schema::ValueType;

/// A simple value that satisfies its schema type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A string, exactly as written (padding kept: `"CG "`).
    Text(&'a str),
    /// An integer, trimmed, as written (leading zeros kept: `"00000001"`).
    Integer(&'a str),
    /// A decimal, trimmed, as written (`"0001675.00"`).
    Decimal(&'a str),
    /// A date (an optional time zone is accepted and ignored).
    Date(NaiveDate),
    /// A time (an optional time zone is accepted and ignored).
    Time(NaiveTime),
    /// A boolean (`0`, `1`, `false`, `true`).
    Boolean(bool),
}

/// Checks `raw` against `value_type`; `None` when the schema rejects it.
pub(crate) fn check(value_type: ValueType, raw: &str) -> Option<Value<'_>> {
    match value_type {
        ValueType::Text(max) => text(raw, max).map(Value::Text),
        // Types other than strings collapse their whitespace before any check.
        ValueType::Integer(digits) => integer(trim(raw), digits).map(Value::Integer),
        ValueType::Decimal(total, fraction) => {
            decimal(trim(raw), total, fraction).map(Value::Decimal)
        }
        ValueType::Date => date(trim(raw)).map(Value::Date),
        ValueType::Time => time(trim(raw)).map(Value::Time),
        ValueType::Boolean => match trim(raw) {
            "1" | "true" => Some(Value::Boolean(true)),
            "0" | "false" => Some(Value::Boolean(false)),
            _ => None,
        },
    }
}

/// What the schema expects of a type, for error messages.
pub(crate) fn describe(value_type: ValueType) -> String {
    match value_type {
        ValueType::Text(1) => "a text of at most 1 character".to_owned(),
        ValueType::Text(max) => format!("a text of at most {max} characters"),
        ValueType::Integer(digits) => format!("an integer of at most {digits} digits"),
        ValueType::Decimal(total, fraction) => {
            format!("a decimal of at most {total} digits, {fraction} after the point")
        }
        ValueType::Date => "a date (YYYY-MM-DD)".to_owned(),
        ValueType::Time => "a time (hh:mm:ss)".to_owned(),
        ValueType::Boolean => "a boolean (0, 1, false, true)".to_owned(),
    }
}

/// Trims XML whitespace (space, tab, CR, LF) only.
pub(crate) fn trim(text: &str) -> &str {
    text.trim_matches(is_xml_space)
}

/// True for the four XML whitespace characters.
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn text(raw: &str, max: u16) -> Option<&str> {
    let max = usize::from(max);
    // Bytes bound characters from above: most values need no counting.
    (raw.len() <= max || raw.chars().count() <= max).then_some(raw)
}

fn unsigned(text: &str) -> &str {
    text.strip_prefix(['+', '-']).unwrap_or(text)
}

fn all_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit())
}

fn integer(text: &str, digits: u8) -> Option<&str> {
    let magnitude = unsigned(text);
    let significant = magnitude.trim_start_matches('0').len();
    (!magnitude.is_empty() && all_digits(magnitude) && significant <= usize::from(digits))
        .then_some(text)
}

fn decimal(text: &str, total: u8, fraction: u8) -> Option<&str> {
    let magnitude = unsigned(text);
    let (whole, part) = magnitude.split_once('.').unwrap_or((magnitude, ""));
    let valid = !(whole.is_empty() && part.is_empty()) && all_digits(whole) && all_digits(part);
    // Facets bound the value, so leading and trailing zeros do not count.
    let whole_digits = whole.trim_start_matches('0').len();
    let fraction_digits = part.trim_end_matches('0').len();
    (valid
        && fraction_digits <= usize::from(fraction)
        && whole_digits + fraction_digits <= usize::from(total))
    .then_some(text)
}

fn number(text: &str, range: std::ops::Range<usize>) -> Option<u32> {
    let digits = text.get(range)?;
    if !all_digits(digits) {
        return None;
    }
    digits.parse().ok()
}

fn date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' || !time_zone(text.get(10..)?) {
        return None;
    }
    let year = number(text, 0..4)?;
    if year == 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        number(text, 5..7)?,
        number(text, 8..10)?,
    )
}

fn time(text: &str) -> Option<NaiveTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 8 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let (hour, minute, second) = (
        number(text, 0..2)?,
        number(text, 3..5)?,
        number(text, 6..8)?,
    );
    let rest = text.get(8..)?;
    let (nanos, zone) = match rest.strip_prefix('.') {
        Some(fraction) => {
            let end = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            if end == 0 {
                return None;
            }
            let kept = &fraction[..end.min(9)];
            let scale = 10u32.pow(9 - kept.len() as u32);
            (kept.parse::<u32>().ok()? * scale, &fraction[end..])
        }
        None => (0, rest),
    };
    if !time_zone(zone) {
        return None;
    }
    // 24:00:00 is the schema's way of writing the midnight that ends a day.
    if hour == 24 && minute == 0 && second == 0 && nanos == 0 {
        return NaiveTime::from_hms_opt(0, 0, 0);
    }
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
}

fn time_zone(zone: &str) -> bool {
    match zone.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', _, _, b':', _, _] => {
            matches!((number(zone, 1..3), number(zone, 4..6)), (Some(h), Some(m)) if h <= 14 && m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strings_keep_their_padding_and_count_characters() {
        assert_eq!(check(ValueType::Text(4), "CG  "), Some(Value::Text("CG  ")));
        assert_eq!(check(ValueType::Text(3), "CG  "), None);
        assert_eq!(check(ValueType::Text(3), "éèà"), Some(Value::Text("éèà")));
        assert_eq!(check(ValueType::Text(38), ""), Some(Value::Text("")));
    }

    #[test]
    fn integers_count_significant_digits() {
        assert_eq!(
            check(ValueType::Integer(8), "00000001"),
            Some(Value::Integer("00000001"))
        );
        assert_eq!(
            check(ValueType::Integer(15), " 205599000000000\n"),
            Some(Value::Integer("205599000000000"))
        );
        assert_eq!(
            check(ValueType::Integer(2), "0001"),
            Some(Value::Integer("0001"))
        );
        assert_eq!(check(ValueType::Integer(2), "123"), None);
        assert_eq!(
            check(ValueType::Integer(5), "-12"),
            Some(Value::Integer("-12"))
        );
        for invalid in ["", "+", "1 2", "1.0", "12a"] {
            assert_eq!(check(ValueType::Integer(5), invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn decimals_accept_zero_padding() {
        assert_eq!(
            check(ValueType::Decimal(9, 2), "0001675.00"),
            Some(Value::Decimal("0001675.00"))
        );
        assert!(check(ValueType::Decimal(9, 2), "1675.5").is_some());
        assert!(check(ValueType::Decimal(9, 2), ".5").is_some());
        assert!(check(ValueType::Decimal(9, 2), "5.").is_some());
        assert!(check(ValueType::Decimal(9, 2), "1.125").is_none());
        assert!(check(ValueType::Decimal(5, 2), "12345.1").is_none());
        for invalid in ["", ".", "1,5", "1.2.3", "abc"] {
            assert_eq!(
                check(ValueType::Decimal(9, 2), invalid),
                None,
                "{invalid:?}"
            );
        }
    }

    #[test]
    fn dates_and_times_follow_the_schema_lexical_forms() {
        let date = |s| check(ValueType::Date, s);
        assert_eq!(
            date("2022-03-05"),
            Some(Value::Date(NaiveDate::from_ymd_opt(2022, 3, 5).unwrap()))
        );
        assert!(date(" 2022-03-05Z ").is_some());
        assert!(date("2022-03-05+01:00").is_some());
        for invalid in [
            "2022-02-30",
            "0000-01-01",
            "05/03/2022",
            "2022-3-5",
            "2022-03-05T",
            "2022-03-05+1:00",
            "２０２２-03-05",
        ] {
            assert_eq!(date(invalid), None, "{invalid:?}");
        }
        let time = |s| check(ValueType::Time, s);
        assert_eq!(
            time("01:18:36.0000"),
            Some(Value::Time(NaiveTime::from_hms_opt(1, 18, 36).unwrap()))
        );
        assert_eq!(
            time("23:59:59.1234567891"),
            Some(Value::Time(
                NaiveTime::from_hms_nano_opt(23, 59, 59, 123_456_789).unwrap()
            ))
        );
        assert!(time("24:00:00").is_some());
        for invalid in [
            "25:00:00",
            "24:00:01",
            "01:18",
            "01:18:36.",
            "1:18:36",
            "01:18:36+25:00",
        ] {
            assert_eq!(time(invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn booleans_are_zero_one_true_false() {
        assert_eq!(check(ValueType::Boolean, " 1 "), Some(Value::Boolean(true)));
        assert_eq!(
            check(ValueType::Boolean, "false"),
            Some(Value::Boolean(false))
        );
        assert_eq!(check(ValueType::Boolean, "O"), None);
    }

    proptest! {
        #[test]
        fn no_text_makes_a_check_panic(text in "\\PC{0,24}", digits in 0u8..20) {
            for value_type in [
                ValueType::Text(u16::from(digits)),
                ValueType::Integer(digits),
                ValueType::Decimal(digits, 2),
                ValueType::Date,
                ValueType::Time,
                ValueType::Boolean,
            ] {
                let _ = check(value_type, &text);
            }
        }
    }
}
