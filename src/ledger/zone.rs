//! Rendering instants in the ledger's time zone (SPEC §1.9): RFC 3339 with the zone's offset.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Whether `name` is an IANA time zone saldo can render in.
pub fn is_known(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

/// The zone's offset from UTC at instant `t`; UTC for a zone that is not known.
pub fn offset_at(name: &str, t: OffsetDateTime) -> UtcOffset {
    let seconds = jiff::tz::TimeZone::get(name)
        .ok()
        .zip(jiff::Timestamp::from_second(t.unix_timestamp()).ok())
        .map(|(tz, ts)| ts.to_zoned(tz).offset().seconds())
        .unwrap_or(0);
    UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
}

/// `2025-04-29T00:51:19+02:00`: whole seconds, in the zone's offset at that instant.
pub fn rfc3339(name: &str, t: OffsetDateTime) -> String {
    let local = t
        .to_offset(offset_at(name, t))
        .replace_nanosecond(0)
        .unwrap_or(t);
    local
        .format(&Rfc3339)
        .expect("a valid instant formats as RFC 3339")
}

/// The calendar date at instant `t` in the zone.
pub fn date(name: &str, t: OffsetDateTime) -> time::Date {
    t.to_offset(offset_at(name, t)).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_the_offset_in_force() {
        // 2025-04-28T22:51:19Z is summer time in Stockholm (+02:00), as in seed 001.
        let summer = OffsetDateTime::from_unix_timestamp(1_745_880_679).unwrap();
        assert_eq!(
            rfc3339("Europe/Stockholm", summer),
            "2025-04-29T00:51:19+02:00"
        );
        let winter = OffsetDateTime::from_unix_timestamp(1_764_547_200).unwrap();
        assert_eq!(
            rfc3339("Europe/Stockholm", winter),
            "2025-12-01T01:00:00+01:00"
        );
        assert_eq!(rfc3339("UTC", winter), "2025-12-01T00:00:00Z");
        assert_eq!(date("Europe/Stockholm", summer).to_string(), "2025-04-29");
        assert!(is_known("America/New_York"));
        assert!(!is_known("Mars/Olympus"));
    }
}
