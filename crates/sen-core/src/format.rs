//! Dates and numbers written the Vietnamese way, in Vietnam's time zone.

use time::{OffsetDateTime, UtcOffset, Weekday};

/// Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving.
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Groups digits with dots: `13405422` becomes `13.405.422`.
pub fn number(n: u64) -> String {
    Grouped::new(n).as_str().to_string()
}

/// A number with its digits grouped by dots, made without allocating (a cached page writes five
/// of them into every answer).
pub struct Grouped {
    // u64::MAX has 20 digits: 6 dots between them.
    buf: [u8; 26],
    start: usize,
}

impl Grouped {
    pub fn new(mut n: u64) -> Self {
        let mut buf = [0u8; 26];
        let mut start = buf.len();
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                start -= 1;
                buf[start] = b'.';
            }
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            digits += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self { buf, start }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Thứ Hai",
        Weekday::Tuesday => "Thứ Ba",
        Weekday::Wednesday => "Thứ Tư",
        Weekday::Thursday => "Thứ Năm",
        Weekday::Friday => "Thứ Sáu",
        Weekday::Saturday => "Thứ Bảy",
        Weekday::Sunday => "Chủ Nhật",
    }
}

/// `27/11/2026`
pub fn date(t: OffsetDateTime) -> String {
    let t = t.to_offset(VIETNAM);
    format!("{:02}/{:02}/{}", t.day(), u8::from(t.month()), t.year())
}

/// `21:35 27/11/2026`
pub fn time_date(t: OffsetDateTime) -> String {
    let local = t.to_offset(VIETNAM);
    format!("{:02}:{:02} {}", local.hour(), local.minute(), date(t))
}

/// `Thứ Sáu, 27/11/2026, 21:35 (GMT+7)`
pub fn date_long(t: OffsetDateTime) -> String {
    let local = t.to_offset(VIETNAM);
    format!(
        "{}, {}, {:02}:{:02} (GMT+7)",
        weekday_name(local.weekday()),
        date(t),
        local.hour(),
        local.minute()
    )
}

/// The calendar day in Vietnam as `YYYY-MM-DD`: the key of daily statistics.
pub fn day_key(t: OffsetDateTime) -> String {
    let d = t.to_offset(VIETNAM).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The day key of the Monday that starts the week (in Vietnam) containing `t`.
pub fn week_start_key(t: OffsetDateTime) -> String {
    let local = t.to_offset(VIETNAM);
    let back = i64::from(local.weekday().number_days_from_monday());
    day_key(local - time::Duration::days(back))
}

/// The instant in UTC, whole seconds: the one form of every stored time. SQLite keeps times as
/// text and compares them as text, which orders instants only when offset and precision agree.
pub fn utc_seconds(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// RFC 3339 in UTC, whole seconds (`2026-11-27T14:35:00Z`), for feeds, the API and `<time datetime>`.
pub fn rfc3339(t: OffsetDateTime) -> String {
    utc_seconds(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn numbers_are_grouped_with_dots() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1.000");
        assert_eq!(number(13_405_422), "13.405.422");
        assert_eq!(number(100_000), "100.000");
        assert_eq!(number(u64::MAX), "18.446.744.073.709.551.615");
        for n in [1, 12, 123, 1234, 12_345, 123_456, 1_234_567] {
            let digits = n.to_string();
            assert_eq!(number(n).replace('.', ""), digits);
            assert_eq!(number(n).len(), digits.len() + (digits.len() - 1) / 3);
        }
    }

    #[test]
    fn dates_are_in_vietnam_time() {
        let t = datetime!(2026-11-27 17:05 UTC);
        assert_eq!(date(t), "28/11/2026");
        assert_eq!(time_date(t), "00:05 28/11/2026");
        assert_eq!(date_long(t), "Thứ Bảy, 28/11/2026, 00:05 (GMT+7)");
        assert_eq!(day_key(t), "2026-11-28");
    }

    #[test]
    fn times_are_written_in_utc_seconds() {
        let t = datetime!(2026-11-27 21:35:00.123456789 +07:00);
        assert_eq!(utc_seconds(t), datetime!(2026-11-27 14:35 UTC));
        assert_eq!(utc_seconds(t).offset(), UtcOffset::UTC);
        assert_eq!(rfc3339(t), "2026-11-27T14:35:00Z");
    }

    #[test]
    fn weeks_start_on_monday_in_vietnam() {
        // Sunday 2026-11-29 23:00 in Vietnam is still the week of Monday 2026-11-23.
        assert_eq!(
            week_start_key(datetime!(2026-11-29 16:00 UTC)),
            "2026-11-23"
        );
        // One hour later it is Monday in Vietnam, while UTC is still Sunday.
        assert_eq!(
            week_start_key(datetime!(2026-11-29 17:00 UTC)),
            "2026-11-30"
        );
        assert_eq!(
            week_start_key(datetime!(2026-11-23 00:00 UTC)),
            "2026-11-23"
        );
    }
}
