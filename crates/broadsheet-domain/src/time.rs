//! Showing times in the paper's time zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A time ready for a page: the machine-readable value for `<time datetime>`
/// and the words a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownTime {
    /// RFC 3339 with the zone's offset, e.g. `2026-11-26T14:05:00+00:00`.
    pub datetime: String,
    /// e.g. `Thursday 26 November 2026, 14:05`.
    pub text: String,
    /// e.g. `26 November 2026`.
    pub date: String,
}

/// Looks up an IANA zone name such as `Europe/London`.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name)
        .map_err(|_| format!("unknown time zone {name:?}: use an IANA name such as Europe/London"))
}

pub fn show(unix_secs: i64, tz: &TimeZone) -> ShownTime {
    let ts = Timestamp::from_second(unix_secs).unwrap_or(Timestamp::UNIX_EPOCH);
    let z = ts.to_zoned_datetime(tz.clone());
    ShownTime {
        datetime: z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        text: z.strftime("%A %-d %B %Y, %H:%M").to_string(),
        date: z.strftime("%-d %B %Y").to_string(),
    }
}

/// The paper's local date (`YYYY-MM-DD`) and hour at `unix_secs`.
pub fn local_date_hour(unix_secs: i64, tz: &TimeZone) -> (String, i64) {
    let ts = Timestamp::from_second(unix_secs).unwrap_or(Timestamp::UNIX_EPOCH);
    let z = ts.to_zoned_datetime(tz.clone());
    (z.strftime("%Y-%m-%d").to_string(), i64::from(z.hour()))
}

/// RFC 7231 HTTP date, for Last-Modified.
pub fn http_date(unix_secs: i64) -> String {
    let ts = Timestamp::from_second(unix_secs).unwrap_or(Timestamp::UNIX_EPOCH);
    ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Parses an HTTP date (If-Modified-Since); `None` if malformed.
pub fn parse_http_date(s: &str) -> Option<i64> {
    jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", s.trim())
        .ok()?
        .to_datetime()
        .ok()?
        .to_zoned_datetime(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn london_summer_and_winter() -> Result<(), String> {
        let london = zone("Europe/London")?;
        // 2026-07-01 12:00 UTC is 13:00 BST.
        let t = show(1_782_907_200, &london);
        assert_eq!(t.datetime, "2026-07-01T13:00:00+01:00");
        assert_eq!(t.text, "Wednesday 1 July 2026, 13:00");
        // 2026-11-26 12:00 UTC is 12:00 GMT.
        let t = show(1_795_694_400, &london);
        assert_eq!(t.datetime, "2026-11-26T12:00:00+00:00");
        assert_eq!(t.date, "26 November 2026");
        assert!(zone("Mars/Olympus").is_err());
        Ok(())
    }

    #[test]
    fn http_dates_round_trip() {
        let s = http_date(1_795_694_400);
        assert_eq!(s, "Thu, 26 Nov 2026 12:00:00 GMT");
        assert_eq!(parse_http_date(&s), Some(1_795_694_400));
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
