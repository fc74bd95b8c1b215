//! When to renew: Traefik's table from `certificatesDuration` to "renew this long before
//! expiry, look this often" (`getCertificateRenewDurations` in Traefik's ACME provider).

use std::time::{Duration, SystemTime};

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// How early to renew and how often to look.
///
/// ```
/// use std::time::Duration;
/// use rampart_tls::acme::RenewalSchedule;
/// let s = RenewalSchedule::for_duration(Duration::from_secs(90 * 24 * 3600));
/// assert_eq!(s.renew_before, Duration::from_secs(30 * 24 * 3600));
/// assert_eq!(s.check_every, Duration::from_secs(24 * 3600));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenewalSchedule {
    /// Renew once less than this is left before `notAfter`.
    pub renew_before: Duration,
    /// How often the certificates are checked.
    pub check_every: Duration,
}

impl RenewalSchedule {
    /// Traefik's table: ≥1 year: 4 months / weekly; ≥90 days: 30 days / daily; ≥30 days:
    /// 10 days / 12 h; ≥6 days: 2 days / 2 h; ≥1 day: 6 h / 10 min; shorter: 20 min / 1 min.
    pub fn for_duration(certificates_duration: Duration) -> Self {
        let d = certificates_duration.as_secs();
        let (before, every) = if d >= 365 * DAY {
            (4 * 30 * DAY, 7 * DAY)
        } else if d >= 90 * DAY {
            (30 * DAY, DAY)
        } else if d >= 30 * DAY {
            (10 * DAY, 12 * HOUR)
        } else if d >= 6 * DAY {
            (2 * DAY, 2 * HOUR)
        } else if d >= DAY {
            (6 * HOUR, 600)
        } else {
            (1200, 60)
        };
        RenewalSchedule {
            renew_before: Duration::from_secs(before),
            check_every: Duration::from_secs(every),
        }
    }

    /// True when a certificate expiring at `not_after` should be renewed at `now`.
    pub fn due(&self, not_after: SystemTime, now: SystemTime) -> bool {
        match not_after.duration_since(now) {
            Ok(left) => left < self.renew_before,
            Err(_) => true, // already expired
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traefik_table_boundaries() {
        let cases = [
            (365 * DAY, 120 * DAY, 7 * DAY),
            (2160 * HOUR, 30 * DAY, DAY),
            (89 * DAY, 10 * DAY, 12 * HOUR),
            (30 * DAY, 10 * DAY, 12 * HOUR),
            (7 * DAY, 2 * DAY, 2 * HOUR),
            (6 * DAY, 2 * DAY, 2 * HOUR),
            (DAY, 6 * HOUR, 600),
            (HOUR, 1200, 60),
        ];
        for (dur, before, every) in cases {
            let s = RenewalSchedule::for_duration(Duration::from_secs(dur));
            assert_eq!(s.renew_before.as_secs(), before, "duration {dur}");
            assert_eq!(s.check_every.as_secs(), every, "duration {dur}");
        }
    }

    #[test]
    fn due_when_less_than_a_third_of_ninety_days_is_left() {
        let s = RenewalSchedule::for_duration(Duration::from_secs(90 * DAY));
        let now = SystemTime::now();
        assert!(!s.due(now + Duration::from_secs(31 * DAY), now));
        assert!(s.due(now + Duration::from_secs(29 * DAY), now));
        assert!(s.due(now - Duration::from_secs(1), now));
    }
}
