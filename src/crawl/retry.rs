//! When to try again: `Retry-After` parsing and exponential backoff.

use std::time::{Duration, SystemTime};

/// Parses a `Retry-After` value: delta seconds or an HTTP date.
/// A date in the past means "now" (zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Delay before retry number `attempt` (0-based): `base * 2^attempt` plus
/// up to the same again of random jitter, so many tasks that failed together
/// do not come back together. Capped at `cap`.
pub fn backoff(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16));
    let jitter_ms = exp.as_millis().min(u128::from(u32::MAX)) as u64;
    let jitter = if jitter_ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(rand::random_range(0..jitter_ms))
    };
    (exp + jitter).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        for _ in 0..50 {
            let d0 = backoff(base, 0, cap);
            assert!(d0 >= base && d0 < base * 2, "{d0:?}");
            let d2 = backoff(base, 2, cap);
            assert!(d2 >= base * 4 && d2 < base * 8, "{d2:?}");
            assert!(backoff(base, 10, cap) <= cap);
        }
    }
}
