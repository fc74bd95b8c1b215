//! Go's `02/Jan/2006:15:04:05 -0700` (the CLF timestamp), without allocating.

use std::time::SystemTime;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Appends `time` shifted by `offset_secs` (east of UTC) as `dd/Mon/yyyy:hh:mm:ss ±hhmm`.
pub(super) fn write_clf(out: &mut Vec<u8>, time: SystemTime, offset_secs: i32) {
    let since_epoch = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            // Before 1970: round towards the past, as Go's Unix time does.
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            -secs - i64::from(d.subsec_nanos() > 0)
        }
    };
    let local = since_epoch.saturating_add(i64::from(offset_secs));
    let days = local.div_euclid(86_400);
    let secs_of_day = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);

    push2(out, day);
    out.push(b'/');
    out.extend_from_slice(MONTHS[usize::try_from(month - 1).unwrap_or(0)]);
    out.push(b'/');
    push_year(out, year);
    out.push(b':');
    push2(out, secs_of_day / 3600);
    out.push(b':');
    push2(out, secs_of_day / 60 % 60);
    out.push(b':');
    push2(out, secs_of_day % 60);
    out.push(b' ');
    out.push(if offset_secs < 0 { b'-' } else { b'+' });
    let off = i64::from(offset_secs).abs();
    push2(out, off / 3600);
    push2(out, off / 60 % 60);
}

/// Two digits, zero-padded (callers pass 0..=99).
fn push2(out: &mut Vec<u8>, v: i64) {
    let v = u8::try_from(v.rem_euclid(100)).unwrap_or(0);
    out.push(b'0' + v / 10);
    out.push(b'0' + v % 10);
}

/// The year with at least four digits, as Go writes `2006` (a sign below year 0).
fn push_year(out: &mut Vec<u8>, year: i64) {
    if year < 0 {
        out.push(b'-');
    }
    let y = year.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut rest = y;
    loop {
        digits[n] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        n += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for _ in n..4 {
        out.push(b'0');
    }
    out.extend(digits[..n].iter().rev());
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01 in the proleptic
/// Gregorian calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: i64, offset: i32) -> String {
        let t = if secs >= 0 {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        };
        let mut out = Vec::new();
        write_clf(&mut out, t, offset);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn traefik_test_dates() {
        // logger_formatters_test.go: 2009-11-10 23:00:00 UTC, and in Etc/GMT+9.
        assert_eq!(at(1_257_894_000, 0), "10/Nov/2009:23:00:00 +0000");
        assert_eq!(at(1_257_894_000, -9 * 3600), "10/Nov/2009:14:00:00 -0900");
    }

    #[test]
    fn calendar_edges() {
        assert_eq!(at(0, 0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(at(-1, 0), "31/Dec/1969:23:59:59 +0000");
        assert_eq!(at(951_782_400, 0), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(at(4_102_444_799, 0), "31/Dec/2099:23:59:59 +0000");
        assert_eq!(at(4_107_542_399, 0), "28/Feb/2100:23:59:59 +0000"); // 2100 is not a leap year
        assert_eq!(
            at(1_709_164_800, 5 * 3600 + 1800),
            "29/Feb/2024:05:30:00 +0530"
        );
        assert_eq!(at(-62_135_596_800, 0), "01/Jan/0001:00:00:00 +0000");
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // days_from_civil is the inverse; check that consecutive days advance by one.
        let mut prev = civil_from_days(-146_097 * 2);
        for d in (-146_097 * 2 + 1)..(146_097 * 2) {
            let cur = civil_from_days(d);
            let next_day = prev.2 + 1 == cur.2 && prev.1 == cur.1 && prev.0 == cur.0;
            let next_month = cur.2 == 1 && (cur.1 == prev.1 % 12 + 1);
            assert!(next_day || next_month, "{prev:?} -> {cur:?}");
            prev = cur;
        }
    }
}
